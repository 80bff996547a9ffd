/* SPDX-License-Identifier: MIT OR LGPL-2.1 */
/*
 * The zero-copy receive ABI of mainline Linux, as a program written for
 * mainline sees it: only mainline's uapi headers and mainline liburing's
 * names (io_uring_register_ifq(), io_uring_register_zcrx_ctrl(),
 * io_uring_register_query(), struct io_uring_zcrx_rq, sqe->zcrx_ifq_idx),
 * nothing of liburing-zc's own.  Built with include/mainline first on the
 * include path, as "pkg-config --cflags liburing-zc-mainline" puts it.
 *
 * Over loopback in a network namespace of its own, no NIC needed:
 *   1. IORING_REGISTER_QUERY decides what runs, as mainline liburing's
 *      tests do;
 *   2. a device-less ifq with events and statistics receives a stream,
 *      one COPY event per arming;
 *   3. the ifq exported, imported by a second ring, the first one closed:
 *      the second receives through the shared area and refill ring;
 *   4. a udmabuf area on a device-less ifq is refused (-EINVAL);
 *   5. if the kernel reports ZCRX_FEATURE_RX_PAGE_SIZE: 16 KiB buffers
 *      over huge pages.
 *
 * One TAP line per case; exit status 0 only if every case that ran passed.
 * Needs root (CAP_NET_ADMIN, CAP_SYS_ADMIN for the namespace).
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/io_uring.h>
#include <linux/io_uring/zcrx.h>
#include <linux/io_uring/query.h>
#include <linux/udmabuf.h>
#include <liburing.h>

#ifndef MAP_HUGE_2MB
#define MAP_HUGE_2MB	(21 << MAP_HUGE_SHIFT)
#endif

#define KiB		1024ULL
#define MiB		(1024 * KiB)
#define RQ_ENTRIES	4096
#define PORT		9600
#define STREAM_UD	1ULL
#define EVENT_UD	0x7a637278ULL	/* "zcrx" */
#define STALL_MS	30000
#define EVENT_TYPES	(1U << ZCRX_EVENT_ALLOC_FAIL | 1U << ZCRX_EVENT_COPY)

static size_t page;
static int ntests, nfailed;

/* What the query said; sizes of the refill region follow from it. */
static struct io_uring_query_opcode q_ops;
static struct io_uring_query_zcrx q_zcrx;
static struct io_uring_query_zcrx_notif q_notif;

static void diag(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("# ", stdout);
	vprintf(fmt, ap);
	fputc('\n', stdout);
	va_end(ap);
	fflush(stdout);
}

/* @why: a skipped case (ok) or why a case could not run (not ok) */
static void tap(int ok, const char *what, const char *why)
{
	ntests++;
	if (!ok)
		nfailed++;
	if (!why)
		printf("%sok %d %s\n", ok ? "" : "not ", ntests, what);
	else if (ok)
		printf("ok %d %s # SKIP %s\n", ntests, what, why);
	else
		printf("not ok %d %s: not run, %s\n", ntests, what, why);
	fflush(stdout);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static size_t align_up(size_t v, size_t a)
{
	return (v + a - 1) & ~(a - 1);
}

/* The stream's byte at @pos: depends on the position and the stream. */
static inline unsigned char pattern(uint32_t seed, uint64_t pos)
{
	uint64_t x = pos * 0x9e3779b97f4a7c15ULL + seed;

	return (unsigned char)(x >> 56 ^ pos >> 12 ^ pos);
}

/* --- loopback, listener and sender ----------------------------------- */

static int netns_lo_up(void)
{
	struct ifreq ifr;
	int fd, ret = 0;

	if (unshare(CLONE_NEWNET))
		return -errno;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr))
		ret = -errno;
	ifr.ifr_flags |= IFF_UP;
	if (!ret && ioctl(fd, SIOCSIFFLAGS, &ifr))
		ret = -errno;
	close(fd);
	return ret;
}

static void lo_addr(struct sockaddr_in *sin, int port)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
}

static int lo_listen(int port)
{
	struct sockaddr_in sin;
	int fd, one = 1;

	lo_addr(&sin, port);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) || listen(fd, 4)) {
		close(fd);
		return -errno;
	}
	return fd;
}

/*
 * The child must not keep a ring alive: its copies of the ring's
 * mappings hold the ring's file as much as a descriptor does.
 */
static void drop_ring_maps(void)
{
	unsigned long start[64], end[64];
	char line[512];
	int n = 0, i;
	FILE *f;

	f = fopen("/proc/self/maps", "re");
	if (!f)
		return;
	while (n < 64 && fgets(line, sizeof(line), f))
		if (strstr(line, "io_uring") &&
		    sscanf(line, "%lx-%lx", &start[n], &end[n]) == 2)
			n++;
	fclose(f);
	for (i = 0; i < n; i++)
		munmap((void *)start[i], end[i] - start[i]);
}

/* A child that sends @size bytes of the pattern @seed to @port. */
static pid_t sender(int port, uint64_t size, uint32_t seed)
{
	static unsigned char buf[64 * KiB];
	struct sockaddr_in sin;
	uint64_t pos = 0;
	pid_t pid;
	int fd;

	fflush(stdout);
	pid = fork();
	if (pid)
		return pid;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	drop_ring_maps();
	syscall(SYS_close_range, 3, ~0U, 0);
	lo_addr(&sin, port);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		_exit(3);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)))
		_exit(4);
	while (pos < size) {
		size_t n = size - pos < sizeof(buf) ? size - pos : sizeof(buf);
		size_t i, sent = 0;

		for (i = 0; i < n; i++)
			buf[i] = pattern(seed, pos + i);
		while (sent < n) {
			ssize_t r = send(fd, buf + sent, n - sent, 0);

			if (r <= 0)
				_exit(5);
			sent += r;
		}
		pos += n;
	}
	close(fd);
	_exit(0);
}

static int reap(pid_t pid)
{
	int status;

	if (pid <= 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int accept_timeout(int lfd, int ms)
{
	struct pollfd p = { .fd = lfd, .events = POLLIN };

	if (poll(&p, 1, ms) != 1)
		return -ETIMEDOUT;
	return accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
}

/* --- rings and ifqs ---------------------------------------------------- */

struct rx {
	struct io_uring ring;
	unsigned int events[2];		/* per zcrx_event_type */
	unsigned int bad_events;
};

struct ifq {
	struct io_uring_zcrx_ifq_reg reg;
	struct io_uring_zcrx_area_reg area_reg;
	struct io_uring_region_desc rd;
	struct zcrx_event_desc ev;
	struct io_uring_zcrx_rq rq;
	void *area;
	size_t area_len;
	void *region;
	size_t region_len;
	size_t stats_off;
	volatile struct zcrx_stats *stats;
	__u64 token;
	__u32 id;		/* this ring's id of the ifq */
	size_t buf_len;
	int huge;
};

struct stream {
	int fd;
	uint32_t seed;
	uint64_t want, got;
	unsigned int cqes, enomem, enospc, max_res;
	int done, err;
	uint64_t bad_pos;
};

static int rx_init(struct rx *rx)
{
	struct io_uring_params p;

	memset(rx, 0, sizeof(*rx));
	memset(&p, 0, sizeof(p));
	p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN |
		  IORING_SETUP_CQE32 | IORING_SETUP_CQSIZE;
	p.cq_entries = 4096;
	return io_uring_queue_init_params(64, &rx->ring, &p);
}

/* A refill region in user memory with room for the statistics at its end. */
static int region_alloc(struct ifq *q)
{
	size_t rqes = align_up(q_zcrx.rq_hdr_size, q_zcrx.rq_hdr_alignment);
	size_t salign = q_notif.stats_off_alignment ? q_notif.stats_off_alignment : 8;
	size_t ssize = q_notif.stats_size ? q_notif.stats_size : sizeof(struct zcrx_stats);

	q->region_len = align_up(rqes + RQ_ENTRIES * sizeof(struct io_uring_zcrx_rqe) +
				 salign + ssize, page);
	q->stats_off = (q->region_len - ssize) & ~(salign - 1);
	q->region = mmap(NULL, q->region_len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (q->region == MAP_FAILED) {
		q->region = NULL;
		return -errno;
	}
	madvise(q->region, q->region_len, MADV_DONTFORK);
	return 0;
}

static int area_alloc(struct ifq *q, size_t len, int huge)
{
	int flags = MAP_PRIVATE | MAP_ANONYMOUS;

	if (huge)
		flags |= MAP_HUGETLB | MAP_HUGE_2MB;
	q->area_len = len;
	q->huge = huge;
	q->area = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, -1, 0);
	if (q->area == MAP_FAILED) {
		q->area = NULL;
		return -errno;
	}
	madvise(q->area, len, MADV_DONTFORK);
	return 0;
}

static void ifq_free(struct ifq *q)
{
	if (q->area)
		munmap(q->area, q->area_len);
	if (q->region)
		munmap(q->region, q->region_len);
	q->area = q->region = NULL;
}

/* The refill ring as struct io_uring_zcrx_rq, from what the kernel wrote. */
static void rq_setup(struct ifq *q, const struct io_uring_zcrx_ifq_reg *reg)
{
	char *base = q->region;

	q->rq.khead = (__u32 *)(base + reg->offsets.head);
	q->rq.ktail = (__u32 *)(base + reg->offsets.tail);
	q->rq.rqes = (struct io_uring_zcrx_rqe *)(base + reg->offsets.rqes);
	q->rq.ring_entries = reg->rq_entries;
	q->rq.ring_ptr = base;
	/* whoever produced before us left the tail here */
	q->rq.rq_tail = io_uring_smp_load_acquire(q->rq.ktail);
	q->id = reg->zcrx_id;
}

/* A device-less registration of @q's memory on @rx's ring. */
static int ifq_register_nodev(struct rx *rx, struct ifq *q, __u32 rx_buf_len,
			      int events)
{
	int ret;

	memset(&q->rd, 0, sizeof(q->rd));
	q->rd.user_addr = (__u64)(uintptr_t)q->region;
	q->rd.size = q->region_len;
	q->rd.flags = IORING_MEM_REGION_TYPE_USER;

	memset(&q->area_reg, 0, sizeof(q->area_reg));
	q->area_reg.addr = (__u64)(uintptr_t)q->area;
	q->area_reg.len = q->area_len;

	memset(&q->ev, 0, sizeof(q->ev));
	q->ev.user_data = EVENT_UD;
	q->ev.type_mask = EVENT_TYPES;
	q->ev.flags = ZCRX_EVENT_DESC_FLAG_STATS;
	q->ev.stats_offset = q->stats_off;

	memset(&q->reg, 0, sizeof(q->reg));
	q->reg.flags = ZCRX_REG_NODEV;
	q->reg.rq_entries = RQ_ENTRIES;
	q->reg.area_ptr = (__u64)(uintptr_t)&q->area_reg;
	q->reg.region_ptr = (__u64)(uintptr_t)&q->rd;
	q->reg.rx_buf_len = rx_buf_len;
	if (events)
		q->reg.event_desc = (__u64)(uintptr_t)&q->ev;

	ret = io_uring_register_ifq(&rx->ring, &q->reg);
	if (ret)
		return ret;
	q->token = q->area_reg.rq_area_token;
	q->buf_len = q->reg.rx_buf_len ? q->reg.rx_buf_len : page;
	q->stats = events ? (volatile struct zcrx_stats *)((char *)q->region + q->stats_off)
			  : NULL;
	rq_setup(q, &q->reg);
	return 0;
}

static int ctrl(struct rx *rx, __u32 id, __u32 op, __u32 arg, __u32 *out)
{
	struct zcrx_ctrl c;
	int ret;

	memset(&c, 0, sizeof(c));
	c.zcrx_id = id;
	c.op = op;
	if (op == ZCRX_CTRL_ARM_EVENT)
		c.zc_arm_event.event_type = arg;
	ret = io_uring_register_zcrx_ctrl(&rx->ring, &c);
	if (!ret && out)
		*out = c.zc_export.zcrx_fd;
	return ret;
}

static int flush_rq(struct rx *rx, struct ifq *q)
{
	return ctrl(rx, q->id, ZCRX_CTRL_FLUSH_RQ, 0, NULL);
}

/* Hand one buffer back through the refill ring. */
static int rq_put(struct rx *rx, struct ifq *q, __u64 off, __u32 len)
{
	struct io_uring_zcrx_rq *rq = &q->rq;
	struct io_uring_zcrx_rqe *rqe;

	if (rq->rq_tail - io_uring_smp_load_acquire(rq->khead) >= rq->ring_entries) {
		int ret = flush_rq(rx, q);

		if (ret)
			return ret;
		if (rq->rq_tail - io_uring_smp_load_acquire(rq->khead) >=
		    rq->ring_entries)
			return -ENOSPC;
	}
	rqe = &rq->rqes[rq->rq_tail & (rq->ring_entries - 1)];
	rqe->off = (off & ~IORING_ZCRX_AREA_MASK) | q->token;
	rqe->len = len;
	rqe->__pad = 0;
	io_uring_smp_store_release(rq->ktail, rq->rq_tail + 1);
	rq->rq_tail++;
	return 0;
}

static void arm_recv(struct rx *rx, struct ifq *q, struct stream *s)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&rx->ring);

	io_uring_prep_rw(IORING_OP_RECV_ZC, sqe, s->fd, NULL, 0, 0);
	sqe->ioprio |= IORING_RECV_MULTISHOT;
	sqe->zcrx_ifq_idx = q->id;
	io_uring_sqe_set_data64(sqe, STREAM_UD);
}

/* One completion: an event, or the stream's data, end or error. */
static void handle(struct rx *rx, struct ifq *q, struct stream *s,
		   struct io_uring_cqe *cqe)
{
	const struct io_uring_zcrx_cqe *zc = (const void *)(cqe + 1);
	unsigned char *data;
	__u64 off;
	int res = cqe->res, i;

	if (cqe->user_data == EVENT_UD) {
		if ((res == ZCRX_EVENT_ALLOC_FAIL || res == ZCRX_EVENT_COPY) &&
		    !cqe->flags)
			rx->events[res]++;
		else
			rx->bad_events++;
		return;
	}
	if (!s || s->done || cqe->user_data != STREAM_UD) {
		rx->bad_events++;
		return;
	}
	if (res > 0) {
		off = zc->off & ~IORING_ZCRX_AREA_MASK;
		if ((zc->off & IORING_ZCRX_AREA_MASK) != q->token ||
		    off + res > q->area_len ||
		    off / q->buf_len != (off + res - 1) / q->buf_len) {
			diag("completion off %#llx res %d outside a buffer",
			     (unsigned long long)zc->off, res);
			s->err = EFAULT;
			s->done = 1;
			return;
		}
		data = (unsigned char *)q->area + off;
		for (i = 0; i < res; i++) {
			if (data[i] != pattern(s->seed, s->got + i)) {
				s->bad_pos = s->got + i;
				s->err = EILSEQ;
				s->done = 1;
				return;
			}
		}
		s->got += res;
		s->cqes++;
		if ((unsigned int)res > s->max_res)
			s->max_res = res;
		i = rq_put(rx, q, zc->off, res);
		if (i) {
			s->err = -i;
			s->done = 1;
			return;
		}
		if (!(cqe->flags & IORING_CQE_F_MORE))
			arm_recv(rx, q, s);
		return;
	}
	if (res == 0) {
		if (!(cqe->flags & IORING_CQE_F_MORE))
			s->done = 1;
		return;
	}
	/* ended for want of a free buffer, or a full CQ: ask again */
	if (res == -ENOMEM || res == -ENOSPC) {
		if (res == -ENOMEM) {
			s->enomem++;
			flush_rq(rx, q);
		} else {
			s->enospc++;
		}
		arm_recv(rx, q, s);
		return;
	}
	s->err = -res;
	s->done = 1;
}

static unsigned int reap_cqes(struct rx *rx, struct ifq *q, struct stream *s)
{
	struct io_uring_cqe *cqe;
	unsigned int head, n = 0;

	io_uring_for_each_cqe(&rx->ring, head, cqe) {
		handle(rx, q, s, cqe);
		n++;
	}
	io_uring_cq_advance(&rx->ring, n);
	return n;
}

/* Receive @s through @q until its end; every buffer handed back. */
static int rx_run(struct rx *rx, struct ifq *q, struct stream *s)
{
	struct __kernel_timespec ts = { .tv_sec = 0, .tv_nsec = 200000000 };
	uint64_t last = now_ms();
	unsigned int since_flush = 0;

	arm_recv(rx, q, s);
	while (!s->done) {
		struct io_uring_cqe *cqe;
		unsigned int n;
		int ret;

		ret = io_uring_submit(&rx->ring);
		if (ret < 0)
			return ret;
		ret = io_uring_wait_cqe_timeout(&rx->ring, &cqe, &ts);
		if (ret && ret != -ETIME)
			return ret;
		n = reap_cqes(rx, q, s);
		if (n)
			last = now_ms();
		else if (now_ms() - last > STALL_MS)
			return -ETIMEDOUT;
		since_flush += n;
		if (since_flush >= 64) {
			ret = flush_rq(rx, q);
			if (ret)
				return ret;
			since_flush = 0;
		}
	}
	return flush_rq(rx, q);
}

/*
 * Events are posted by task work, which runs when the ring is entered
 * for completions: enter every time, for @ms.
 */
static void rx_settle(struct rx *rx, struct ifq *q, int ms)
{
	uint64_t end = now_ms() + ms;

	while (now_ms() < end) {
		io_uring_get_events(&rx->ring);
		reap_cqes(rx, q, NULL);
		usleep(10000);
	}
}

/*
 * A stream of @size bytes from a sender child to @port, received through
 * @q on @rx; 0 if all of it arrived intact and the sender succeeded.
 */
static int one_stream(struct rx *rx, struct ifq *q, int port, uint64_t size,
		      uint32_t seed, struct stream *s)
{
	pid_t tx;
	int lfd, ret, code;

	memset(s, 0, sizeof(*s));
	s->fd = -1;
	s->seed = seed;
	s->want = size;
	lfd = lo_listen(port);
	if (lfd < 0) {
		diag("listen on port %d: %s", port, strerror(-lfd));
		return -1;
	}
	tx = sender(port, size, seed);
	if (tx < 0) {
		diag("fork: %s", strerror(errno));
		close(lfd);
		return -1;
	}
	s->fd = accept_timeout(lfd, STALL_MS);
	if (s->fd < 0) {
		diag("accept: %s", strerror(s->fd == -ETIMEDOUT ? ETIMEDOUT : errno));
		kill(tx, SIGKILL);
		reap(tx);
		close(lfd);
		return -1;
	}
	ret = rx_run(rx, q, s);
	if (ret)
		kill(tx, SIGKILL);
	code = reap(tx);
	close(s->fd);
	close(lfd);
	if (ret) {
		diag("receive: %s after %llu of %llu bytes", strerror(-ret),
		     (unsigned long long)s->got, (unsigned long long)size);
		return -1;
	}
	if (s->err) {
		diag("stream ended: %s after %llu of %llu bytes%s", strerror(s->err),
		     (unsigned long long)s->got, (unsigned long long)size,
		     s->err == EILSEQ ? " (pattern mismatch)" : "");
		if (s->err == EILSEQ)
			diag("first wrong byte at %llu", (unsigned long long)s->bad_pos);
		return -1;
	}
	if (code) {
		diag("sender exited with %d", code);
		return -1;
	}
	if (s->got != size) {
		diag("%llu of %llu bytes arrived", (unsigned long long)s->got,
		     (unsigned long long)size);
		return -1;
	}
	diag("%llu bytes intact in %u completions (largest %u, %u -ENOMEM, %u -ENOSPC)",
	     (unsigned long long)s->got, s->cqes, s->max_res, s->enomem, s->enospc);
	return 0;
}

#define CHECK(cond, ...)			\
	do {					\
		if (!(cond)) {			\
			diag(__VA_ARGS__);	\
			goto out;		\
		}				\
	} while (0)

/* --- 1. the query ------------------------------------------------------ */

static int have_large_bufs;

static int case_query(void)
{
	struct io_uring_query_hdr h[3];
	int ret, ok = 0;

	memset(h, 0, sizeof(h));
	memset(&q_ops, 0, sizeof(q_ops));
	memset(&q_zcrx, 0, sizeof(q_zcrx));
	memset(&q_notif, 0, sizeof(q_notif));
	h[0].query_op = IO_URING_QUERY_OPCODES;
	h[0].query_data = (__u64)(uintptr_t)&q_ops;
	h[0].size = sizeof(q_ops);
	h[0].next_entry = (__u64)(uintptr_t)&h[1];
	h[1].query_op = IO_URING_QUERY_ZCRX;
	h[1].query_data = (__u64)(uintptr_t)&q_zcrx;
	h[1].size = sizeof(q_zcrx);
	h[1].next_entry = (__u64)(uintptr_t)&h[2];
	h[2].query_op = IO_URING_QUERY_ZCRX_NOTIF;
	h[2].query_data = (__u64)(uintptr_t)&q_notif;
	h[2].size = sizeof(q_notif);

	ret = io_uring_register_query(&h[0]);
	CHECK(ret == 0, "io_uring_register_query: %d", ret);
	CHECK(!h[0].result && !h[1].result && !h[2].result,
	      "results: opcodes %d, zcrx %d, zcrx notif %d",
	      h[0].result, h[1].result, h[2].result);
	diag("opcodes: %u requests, %u register, %u queries",
	     q_ops.nr_request_opcodes, q_ops.nr_register_opcodes,
	     q_ops.nr_query_opcodes);
	diag("zcrx: register_flags %#llx area_flags %#llx ctrl ops %u features %#x refill header %u bytes aligned to %u",
	     (unsigned long long)q_zcrx.register_flags,
	     (unsigned long long)q_zcrx.area_flags, q_zcrx.nr_ctrl_opcodes,
	     q_zcrx.features, q_zcrx.rq_hdr_size, q_zcrx.rq_hdr_alignment);
	diag("zcrx events: flags %#x, stats %u bytes aligned to %u",
	     q_notif.flags, q_notif.stats_size, q_notif.stats_off_alignment);

	CHECK(q_ops.nr_request_opcodes > IORING_OP_RECV_ZC,
	      "IORING_OP_RECV_ZC not among %u request opcodes", q_ops.nr_request_opcodes);
	CHECK(q_ops.nr_register_opcodes > IORING_REGISTER_ZCRX_CTRL,
	      "IORING_REGISTER_ZCRX_CTRL not among %u register opcodes",
	      q_ops.nr_register_opcodes);
	CHECK(q_ops.nr_query_opcodes > IO_URING_QUERY_ZCRX_NOTIF,
	      "IO_URING_QUERY_ZCRX_NOTIF not among %u query opcodes",
	      q_ops.nr_query_opcodes);
	CHECK(q_zcrx.register_flags & ZCRX_REG_NODEV, "no ZCRX_REG_NODEV");
	CHECK(q_zcrx.register_flags & ZCRX_REG_IMPORT, "no ZCRX_REG_IMPORT");
	CHECK(q_zcrx.area_flags & IORING_ZCRX_AREA_DMABUF, "no IORING_ZCRX_AREA_DMABUF");
	CHECK(q_zcrx.features & ZCRX_FEATURE_EVENT, "no ZCRX_FEATURE_EVENT");
	CHECK(q_zcrx.nr_ctrl_opcodes >= 3, "%u ctrl ops, not 3 or more",
	      q_zcrx.nr_ctrl_opcodes);
	CHECK(q_zcrx.rq_hdr_size && q_zcrx.rq_hdr_alignment &&
	      !(q_zcrx.rq_hdr_alignment & (q_zcrx.rq_hdr_alignment - 1)) &&
	      align_up(q_zcrx.rq_hdr_size, q_zcrx.rq_hdr_alignment) < page,
	      "refill header %u aligned to %u", q_zcrx.rq_hdr_size,
	      q_zcrx.rq_hdr_alignment);
	CHECK(q_notif.flags & ZCRX_EVENT_DESC_FLAG_STATS, "no ZCRX_EVENT_DESC_FLAG_STATS");
	CHECK(q_notif.stats_size == sizeof(struct zcrx_stats),
	      "stats size %u, not %zu", q_notif.stats_size, sizeof(struct zcrx_stats));
	CHECK(q_notif.stats_off_alignment &&
	      !(q_notif.stats_off_alignment & (q_notif.stats_off_alignment - 1)) &&
	      q_notif.stats_off_alignment <= page,
	      "stats alignment %u", q_notif.stats_off_alignment);
	have_large_bufs = !!(q_zcrx.features & ZCRX_FEATURE_RX_PAGE_SIZE);
	ok = 1;
out:
	return ok;
}

/* --- 2. device-less ifq, events, statistics ---------------------------- */

static struct rx rx1;
static struct ifq q1;
static int have_q1;

static int case_events(void)
{
	const uint64_t size = 4 * MiB, size2 = 256 * KiB;
	struct stream s;
	int ret, ok = 0;

	ret = rx_init(&rx1);
	CHECK(!ret, "ring: %s", strerror(-ret));
	ret = region_alloc(&q1);
	CHECK(!ret, "refill region: %s", strerror(-ret));
	ret = area_alloc(&q1, 4 * MiB, 0);
	CHECK(!ret, "area: %s", strerror(-ret));
	/* the kernel zeroes the statistics */
	memset((char *)q1.region + q1.stats_off, 0xff, sizeof(struct zcrx_stats));
	ret = ifq_register_nodev(&rx1, &q1, 0, 1);
	CHECK(!ret, "io_uring_register_ifq (NODEV, events): %s", strerror(-ret));
	have_q1 = 1;
	diag("ifq %u: %u refill entries, rqes at %u, stats at %zu, token %#llx",
	     q1.id, q1.reg.rq_entries, q1.reg.offsets.rqes, q1.stats_off,
	     (unsigned long long)q1.token);
	CHECK(q1.stats->copy_count == 0 && q1.stats->copy_bytes == 0,
	      "statistics not zeroed at registration");
	CHECK(q1.stats_off >= q1.reg.offsets.rqes +
			     q1.reg.rq_entries * sizeof(struct io_uring_zcrx_rqe),
	      "statistics overlap the entries");

	CHECK(!one_stream(&rx1, &q1, PORT, size, 0x1234, &s), "first stream");
	rx_settle(&rx1, &q1, 500);
	diag("events: %u COPY, %u ALLOC_FAIL; stats: %llu copies, %llu bytes",
	     rx1.events[ZCRX_EVENT_COPY], rx1.events[ZCRX_EVENT_ALLOC_FAIL],
	     (unsigned long long)q1.stats->copy_count,
	     (unsigned long long)q1.stats->copy_bytes);
	CHECK(!rx1.bad_events, "%u unexpected completions", rx1.bad_events);
	CHECK(rx1.events[ZCRX_EVENT_COPY] == 1, "%u COPY events, not 1",
	      rx1.events[ZCRX_EVENT_COPY]);
	CHECK(rx1.events[ZCRX_EVENT_ALLOC_FAIL] == (s.enomem ? 1U : 0U),
	      "%u ALLOC_FAIL events after %u -ENOMEM ends",
	      rx1.events[ZCRX_EVENT_ALLOC_FAIL], s.enomem);
	CHECK(q1.stats->copy_bytes == size, "stats copy_bytes %llu, not %llu",
	      (unsigned long long)q1.stats->copy_bytes, (unsigned long long)size);
	CHECK(q1.stats->copy_count == s.cqes, "stats copy_count %llu, not %u",
	      (unsigned long long)q1.stats->copy_count, s.cqes);

	/* not armed again: a second stream would raise nothing; armed: one */
	ret = ctrl(&rx1, q1.id, ZCRX_CTRL_ARM_EVENT, ZCRX_EVENT_COPY, NULL);
	CHECK(!ret, "ZCRX_CTRL_ARM_EVENT: %s", strerror(-ret));
	CHECK(!one_stream(&rx1, &q1, PORT + 1, size2, 0x5678, &s), "second stream");
	rx_settle(&rx1, &q1, 500);
	diag("events: %u COPY, %u ALLOC_FAIL; stats: %llu copies, %llu bytes",
	     rx1.events[ZCRX_EVENT_COPY], rx1.events[ZCRX_EVENT_ALLOC_FAIL],
	     (unsigned long long)q1.stats->copy_count,
	     (unsigned long long)q1.stats->copy_bytes);
	CHECK(!rx1.bad_events, "%u unexpected completions", rx1.bad_events);
	CHECK(rx1.events[ZCRX_EVENT_COPY] == 2, "%u COPY events, not 2",
	      rx1.events[ZCRX_EVENT_COPY]);
	CHECK(q1.stats->copy_bytes == size + size2, "stats copy_bytes %llu, not %llu",
	      (unsigned long long)q1.stats->copy_bytes,
	      (unsigned long long)(size + size2));
	ok = 1;
out:
	return ok;
}

/* --- 3. export and import ---------------------------------------------- */

static int case_share(void)
{
	const uint64_t size = 1 * MiB;
	uint64_t copied = q1.stats->copy_bytes;
	struct io_uring_zcrx_ifq_reg reg;
	struct ifq q2;
	struct stream s;
	struct rx rx2;
	__u32 fd = ~0U;
	int ret, ok = 0, have_rx2 = 0;

	ret = ctrl(&rx1, q1.id, ZCRX_CTRL_EXPORT, 0, &fd);
	CHECK(!ret, "ZCRX_CTRL_EXPORT: %s", strerror(-ret));
	CHECK((int)fd >= 0, "exported descriptor %d", (int)fd);

	/* the exporting ring goes first: the descriptor keeps the ifq */
	io_uring_queue_exit(&rx1.ring);
	have_q1 = 0;

	ret = rx_init(&rx2);
	CHECK(!ret, "second ring: %s", strerror(-ret));
	have_rx2 = 1;
	memset(&reg, 0, sizeof(reg));
	reg.if_idx = fd;
	reg.flags = ZCRX_REG_IMPORT;
	ret = io_uring_register_ifq(&rx2.ring, &reg);
	close(fd);
	fd = ~0U;
	CHECK(!ret, "io_uring_register_ifq (IMPORT): %s", strerror(-ret));
	diag("imported as ifq %u: %u entries, rqes at %u", reg.zcrx_id,
	     reg.rq_entries, reg.offsets.rqes);
	CHECK(reg.rq_entries == q1.reg.rq_entries &&
	      reg.offsets.head == q1.reg.offsets.head &&
	      reg.offsets.tail == q1.reg.offsets.tail &&
	      reg.offsets.rqes == q1.reg.offsets.rqes,
	      "the import describes another refill ring");

	/* the same area and refill ring, produced from where ring 1 stopped */
	q2 = q1;
	rq_setup(&q2, &reg);
	CHECK(q2.rq.rq_tail == q1.rq.rq_tail, "tail %u in the region, ring 1 left %u",
	      q2.rq.rq_tail, q1.rq.rq_tail);

	CHECK(!one_stream(&rx2, &q2, PORT + 2, size, 0x9abc, &s),
	      "stream on the importing ring");
	rx_settle(&rx2, &q2, 300);
	CHECK(!rx2.bad_events && !rx2.events[0] && !rx2.events[1],
	      "the importing ring got events (%u COPY, %u ALLOC_FAIL, %u other)",
	      rx2.events[ZCRX_EVENT_COPY], rx2.events[ZCRX_EVENT_ALLOC_FAIL],
	      rx2.bad_events);
	CHECK(q1.stats->copy_bytes == copied + size,
	      "stats copy_bytes %llu, not %llu", (unsigned long long)q1.stats->copy_bytes,
	      (unsigned long long)(copied + size));
	ok = 1;
out:
	if ((int)fd >= 0)
		close(fd);
	if (have_q1)
		io_uring_queue_exit(&rx1.ring);
	have_q1 = 0;
	if (have_rx2)
		io_uring_queue_exit(&rx2.ring);
	ifq_free(&q1);
	return ok;
}

/* --- 4. udmabuf area on a device-less ifq ------------------------------ */

static int case_dmabuf(void)
{
	const size_t len = 2 * MiB;
	struct io_uring_zcrx_area_reg area;
	struct io_uring_zcrx_ifq_reg reg;
	struct udmabuf_create c;
	struct ifq q;
	struct rx rx;
	int memfd = -1, dev = -1, dmabuf = -1, ret, ok = 0, have_rx = 0;

	memset(&q, 0, sizeof(q));
	memfd = memfd_create("mainline-abi", MFD_ALLOW_SEALING | MFD_CLOEXEC);
	CHECK(memfd >= 0, "memfd_create: %s", strerror(errno));
	CHECK(!ftruncate(memfd, len) && !fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK),
	      "memfd: %s", strerror(errno));
	dev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
	CHECK(dev >= 0, "/dev/udmabuf: %s", strerror(errno));
	memset(&c, 0, sizeof(c));
	c.memfd = memfd;
	c.flags = UDMABUF_FLAGS_CLOEXEC;
	c.offset = 0;
	c.size = len;
	dmabuf = ioctl(dev, UDMABUF_CREATE, &c);
	CHECK(dmabuf >= 0, "UDMABUF_CREATE: %s", strerror(errno));

	ret = rx_init(&rx);
	CHECK(!ret, "ring: %s", strerror(-ret));
	have_rx = 1;
	ret = region_alloc(&q);
	CHECK(!ret, "refill region: %s", strerror(-ret));

	memset(&q.rd, 0, sizeof(q.rd));
	q.rd.user_addr = (__u64)(uintptr_t)q.region;
	q.rd.size = q.region_len;
	q.rd.flags = IORING_MEM_REGION_TYPE_USER;
	memset(&area, 0, sizeof(area));
	area.addr = 0;
	area.len = len;
	area.flags = IORING_ZCRX_AREA_DMABUF;
	area.dmabuf_fd = dmabuf;
	memset(&reg, 0, sizeof(reg));
	reg.flags = ZCRX_REG_NODEV;
	reg.rq_entries = RQ_ENTRIES;
	reg.area_ptr = (__u64)(uintptr_t)&area;
	reg.region_ptr = (__u64)(uintptr_t)&q.rd;
	ret = io_uring_register_ifq(&rx.ring, &reg);
	diag("NODEV with a %zu-byte udmabuf area: %d (%s)", len, ret,
	     ret ? strerror(-ret) : "registered");
	CHECK(ret == -EINVAL, "a device-less ifq took a dmabuf area: %d, not -EINVAL",
	      ret);

	/* the same ring and region take an area of user memory */
	ret = area_alloc(&q, 2 * MiB, 0);
	CHECK(!ret, "area: %s", strerror(-ret));
	ret = ifq_register_nodev(&rx, &q, 0, 0);
	CHECK(!ret, "then with user memory: %s, not 0", strerror(-ret));
	ok = 1;
out:
	if (have_rx)
		io_uring_queue_exit(&rx.ring);
	ifq_free(&q);
	if (dmabuf >= 0)
		close(dmabuf);
	if (dev >= 0)
		close(dev);
	if (memfd >= 0)
		close(memfd);
	return ok;
}

/* --- 5. 16 KiB buffers over huge pages --------------------------------- */

static long read_long(const char *path)
{
	FILE *f = fopen(path, "re");
	long v = -1;

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static int write_long(const char *path, long v)
{
	FILE *f = fopen(path, "we");
	int ret;

	if (!f)
		return -errno;
	ret = fprintf(f, "%ld\n", v) > 0 ? 0 : -EIO;
	if (fclose(f))
		ret = -errno;
	return ret;
}

static int case_large(void)
{
	static const char *nr = "/proc/sys/vm/nr_hugepages";
	const uint64_t size = 4 * MiB;
	long before = read_long(nr);
	struct stream s;
	struct ifq q;
	struct rx rx;
	int ret, ok = 0, have_rx = 0;

	memset(&q, 0, sizeof(q));
	if (before < 8) {
		write_long(nr, 8);
		diag("nr_hugepages %ld -> %ld", before, read_long(nr));
	}
	ret = area_alloc(&q, 8 * MiB, 1);
	CHECK(!ret, "an area of 2 MiB huge pages: %s", strerror(-ret));
	ret = region_alloc(&q);
	CHECK(!ret, "refill region: %s", strerror(-ret));
	ret = rx_init(&rx);
	CHECK(!ret, "ring: %s", strerror(-ret));
	have_rx = 1;
	ret = ifq_register_nodev(&rx, &q, 16 * KiB, 0);
	CHECK(!ret, "io_uring_register_ifq (NODEV, rx_buf_len 16384): %s",
	      strerror(-ret));
	CHECK(q.reg.rx_buf_len == 16 * KiB, "rx_buf_len written back as %u, not 16384",
	      q.reg.rx_buf_len);
	CHECK(!one_stream(&rx, &q, PORT + 3, size, 0xdef0, &s), "stream");
	CHECK(s.max_res > 4096, "no completion longer than 4096 bytes (largest %u)",
	      s.max_res);
	CHECK(!rx.bad_events, "%u unexpected completions", rx.bad_events);
	ok = 1;
out:
	if (have_rx)
		io_uring_queue_exit(&rx.ring);
	ifq_free(&q);
	if (before >= 0 && before < 8)
		write_long(nr, before);
	return ok;
}

int main(void)
{
	int ret, basics, events_ok = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	page = sysconf(_SC_PAGESIZE);
	printf("TAP version 13\n1..5\n");
	ret = netns_lo_up();
	if (ret) {
		diag("a network namespace with loopback up: %s", strerror(-ret));
		for (ret = 0; ret < 5; ret++)
			tap(0, "no network namespace", NULL);
		return 1;
	}

	basics = case_query();
	tap(basics, "query: NODEV, IMPORT, DMABUF areas, events, 3 ctrl ops", NULL);
	if (basics) {
		events_ok = case_events();
		tap(events_ok, "device-less ifq over loopback: stream intact, one COPY event per arming, statistics", NULL);
		if (events_ok || have_q1)
			tap(case_share(), "export, first ring closed, import: a stream through the shared area", NULL);
		else
			tap(0, "export and import", "no ifq to export");
		tap(case_dmabuf(), "udmabuf area on a device-less ifq: -EINVAL", NULL);
	} else {
		tap(0, "device-less ifq with events", "the query did not report it");
		tap(0, "export and import", "the query did not report it");
		tap(0, "udmabuf area", "the query did not report it");
	}
	if (basics && have_large_bufs) {
		tap(case_large(), "rx_buf_len 16384 over huge pages: stream intact, completions above 4096", NULL);
	} else if (basics) {
		diag("ZCRX_FEATURE_RX_PAGE_SIZE is not reported by this kernel: large buffers not tried");
		tap(1, "large buffers", "ZCRX_FEATURE_RX_PAGE_SIZE not reported");
	} else {
		tap(0, "large buffers", "the query failed");
	}
	return nfailed ? 1 : 0;
}
