// SPDX-License-Identifier: GPL-2.0
/*
 * io_uring zero-copy receive over two linked netdevsim ports in two network
 * namespaces.  Namespace B receives: its port has three rx queues and
 * tcp-data-split on, an ntuple rule steers the test flow to the rx queue
 * that an interface queue ("ifq") of an io_uring instance is bound to, and
 * IORING_OP_RECV_ZC hands the payload over inside the ifq's area.  The
 * senders in namespace A write the pattern of zcrx_common.h, so that every
 * misplaced, duplicated or lost byte shows.
 *
 *   reg.*   registration: each rule of the ABI broken once gets its errno,
 *           and the queue is still free afterwards
 *   xfer.*  one connection, 1 B to 256 MiB, IPv4 and IPv6
 *   zcrx.*  several connections and ifqs, the copy fallback, the len limit,
 *           area exhaustion, CQ overflow, a hostile refill ring, and the
 *           lifetimes of rings, processes and devices
 *
 * The fdinfo of a ring has one "ZcrxIfq:" line per ifq; its counters make
 * the checks exact.
 */
#define _GNU_SOURCE
#include <linux/capability.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

/*
 * Keep -Wextra builds quiet about the harness itself: an unused parameter
 * in its header, and the locals its test wrappers keep across setjmp().
 */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "../kselftest_harness.h"
#pragma GCC diagnostic pop
#pragma GCC diagnostic ignored "-Wclobbered"
#include "zcrx_common.h"
#include "zcrx_uring.h"

#define IFNAME		"eth0"
#define NR_QUEUES	3
#define ZC_QUEUE	1	/* the ifq's queue */
#define ALT_QUEUE	2	/* another queue with ordinary pages */
#define PORT		9300
#define PORT2		9301
#define RULE_LOC	1
#define RULE_LOC2	2

#define RING_FLAGS	(IORING_SETUP_DEFER_TASKRUN | \
			 IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_CQE32)
#define SQ_ENTRIES	64
#define CQ_ENTRIES	4096
#define AREA_LEN	(16UL << 20)
#define RQ_ENTRIES	4096
#define REG_AREA_LEN	(1UL << 20)	/* registration tests */
#define REG_RQ_ENTRIES	256
#define STALL_MS	30000		/* no completion for this long: stuck */
#define MAX_STREAMS	4
#define MAX_KIDS	8

#define CANCEL_UD	(1ULL << 32)	/* user_data of cancel requests */

#define KiB		1024ULL
#define MiB		(1024ULL * 1024)

/* The layouts of the ABI sheet, as this file sees them. */
_Static_assert(sizeof(struct io_uring_zcrx_rqe) == 16, "rqe");
_Static_assert(sizeof(struct io_uring_zcrx_cqe) == 16, "zcrx cqe");
_Static_assert(sizeof(struct io_uring_zcrx_offsets) == 32, "offsets");
_Static_assert(sizeof(struct io_uring_zcrx_area_reg) == 48, "area_reg");
_Static_assert(sizeof(struct io_uring_zcrx_ifq_reg) == 96, "ifq_reg");
_Static_assert(sizeof(struct io_uring_region_desc) == 64, "region_desc");
_Static_assert(sizeof(struct zcrx_ctrl) == 72, "zcrx_ctrl");
_Static_assert(offsetof(struct io_uring_sqe, file_index) == 44, "ifq slot");

static size_t pagesz(void)
{
	static size_t sz;

	if (!sz)
		sz = sysconf(_SC_PAGESIZE);
	return sz;
}

static size_t page_align(size_t len)
{
	return (len + pagesz() - 1) & ~(pagesz() - 1);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

static bool is_one_of(int v, int a, int b, int c)
{
	return v == a || v == b || v == c;
}

/* ---- the two namespaces ------------------------------------------------ */

/*
 * Setting the netdevsim pair up and down takes about 15 s under a debug
 * kernel in emulation, so the tests share one pair: the first test that
 * finds none (or a broken one) creates it, the test program removes it when
 * it exits.  A test that changes the pair puts it back, or leaves it
 * visibly broken for the next test to recreate.
 */
struct env {
	char ns_a[32];
	char ns_b[32];
	int ifindex;		/* eth0 of namespace B */
	bool hds_off;		/* tcp-data-split to turn on again */
	pid_t kids[MAX_KIDS];	/* senders not reaped yet */
};

static pid_t main_pid;

static void env_names(struct env *e)
{
	snprintf(e->ns_a, sizeof(e->ns_a), "zcrx-ia-%d", main_pid);
	snprintf(e->ns_b, sizeof(e->ns_b), "zcrx-ib-%d", main_pid);
}

/* Both devices still there, as nsim_env.sh recorded them. */
static bool env_alive(const struct env *e)
{
	char path[128];

	snprintf(path, sizeof(path), "/run/netns/.%s.nsim", e->ns_a);
	if (access(path, F_OK))
		return false;
	snprintf(path, sizeof(path), "/run/netns/.%s.nsim", e->ns_b);
	return !access(path, F_OK);
}

/* Get the pair (split headers on B) and move into namespace B. */
static int env_get(struct env *e)
{
	memset(e, 0, sizeof(*e));
	env_names(e);
	if (!env_alive(e)) {
		zcrx_env_down(e->ns_a, e->ns_b);
		if (zcrx_env_up(e->ns_a, e->ns_b, NR_QUEUES))
			return -1;
		if (zcrx_env_hds(e->ns_b, 1)) {
			zcrx_env_down(e->ns_a, e->ns_b);
			return -1;
		}
	}
	if (zcrx_enter_netns(e->ns_b))
		return -1;
	e->ifindex = if_nametoindex(IFNAME);
	return e->ifindex ? 0 : -1;
}

/* End of a test: no sender survives it, split is on again. */
static int env_put(struct env *e)
{
	int i, ret = 0;

	for (i = 0; i < MAX_KIDS; i++) {
		if (e->kids[i] > 0) {
			kill(e->kids[i], SIGKILL);
			waitpid(e->kids[i], NULL, 0);
			e->kids[i] = 0;
		}
	}
	if (e->hds_off && env_alive(e))
		ret = zcrx_env_hds(e->ns_b, 1);
	return ret;
}

static void __attribute__((constructor)) env_init(void)
{
	main_pid = getpid();
}

static void __attribute__((destructor)) env_fini(void)
{
	struct env e;
	char path[128];

	if (getpid() != main_pid)
		return;
	env_names(&e);
	snprintf(path, sizeof(path), "/run/netns/%s", e.ns_b);
	if (env_alive(&e) || !access(path, F_OK))
		zcrx_env_down(e.ns_a, e.ns_b);
}

/* Steer TCP to @port of namespace B (the current one) to rx queue @queue. */
static int steer(int family, int port, int queue, int loc)
{
	struct ethtool_rxnfc nfc;
	struct ifreq ifr;
	int fd, ret;

	memset(&nfc, 0, sizeof(nfc));
	nfc.cmd = ETHTOOL_SRXCLSRLINS;
	if (family == AF_INET) {
		nfc.fs.flow_type = TCP_V4_FLOW;
		nfc.fs.h_u.tcp_ip4_spec.pdst = htons(port);
		nfc.fs.m_u.tcp_ip4_spec.pdst = htons(0xffff);
	} else {
		nfc.fs.flow_type = TCP_V6_FLOW;
		nfc.fs.h_u.tcp_ip6_spec.pdst = htons(port);
		nfc.fs.m_u.tcp_ip6_spec.pdst = htons(0xffff);
	}
	nfc.fs.ring_cookie = queue;
	nfc.fs.location = loc;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", IFNAME);
	ifr.ifr_data = (void *)&nfc;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	ret = ioctl(fd, SIOCETHTOOL, &ifr) ? -errno : 0;
	close(fd);
	return ret;
}

static const char *b_addr(int family)
{
	return family == AF_INET ? ZCRX_NS_B_ADDR4 : ZCRX_NS_B_ADDR6;
}

static int tcp_listen(int family, int port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int one = 1;
	int fd, ret;

	if (zcrx_sockaddr(family, b_addr(family), port, &ss, &len))
		return -EINVAL;
	fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) || listen(fd, 8)) {
		ret = -errno;
		close(fd);
		return ret;
	}
	return fd;
}

static int tcp_accept(int lfd, int timeout_ms)
{
	struct pollfd pfd = { .fd = lfd, .events = POLLIN };
	int ret;

	ret = poll(&pfd, 1, timeout_ms);
	if (ret <= 0)
		return ret ? -errno : -ETIMEDOUT;
	ret = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	return ret < 0 ? -errno : ret;
}

/*
 * The sender, in a child: connect from namespace A to @port of B, send
 * @size bytes of the pattern, then, if @linger, wait for the peer to close
 * before closing.  Exit codes: 0 sent, 2 netns, 3 socket, 4 connect, 5 send.
 */
static int sender_main(const char *ns, int family, int port, uint64_t size,
		       bool linger)
{
	struct sockaddr_storage ss;
	socklen_t len;
	uint64_t end;
	char c;
	int fd;

	signal(SIGPIPE, SIG_IGN);
	if (zcrx_enter_netns(ns))
		return 2;
	if (zcrx_sockaddr(family, b_addr(family), port, &ss, &len))
		return 3;
	for (end = now_ms() + ZCRX_WAIT_MS;;) {
		fd = socket(family, SOCK_STREAM, 0);
		if (fd < 0)
			return 3;
		if (!connect(fd, (struct sockaddr *)&ss, len))
			break;
		close(fd);
		if (now_ms() > end)
			return 4;
		usleep(20 * 1000);
	}
	if (zcrx_send_pattern(fd, size))
		return 5;
	if (linger)
		while (recv(fd, &c, 1, 0) > 0)
			;
	close(fd);
	return 0;
}

/*
 * In a forked child: unmap every io_uring mapping.  A mapping holds the
 * ring's file, so the ring and the queues bound to it would outlive the
 * parent's close() for as long as the child lives.  (MADV_DONTFORK would
 * do, but small kernels leave madvise() out.)
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

/* Fork a sender; the child keeps no descriptor of ours (rings above all). */
static pid_t start_sender(struct env *e, int family, int port, uint64_t size,
			  bool linger)
{
	pid_t pid;
	int i;

	for (i = 0; i < MAX_KIDS && e->kids[i] > 0; i++)
		;
	if (i == MAX_KIDS)
		return -1;
	pid = fork();
	if (pid == 0) {
		/* Die with the test, whatever ends it. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		syscall(__NR_close_range, 3, ~0U, 0);
		drop_ring_maps();
		_exit(sender_main(e->ns_a, family, port, size, linger));
	}
	if (pid > 0)
		e->kids[i] = pid;
	return pid;
}

/* Reap a sender: its exit code, or 128 + the signal that ended it. */
static int reap_sender(struct env *e, pid_t pid)
{
	int i, status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	for (i = 0; i < MAX_KIDS; i++)
		if (e->kids[i] == pid)
			e->kids[i] = 0;
	return WIFEXITED(status) ? WEXITSTATUS(status) :
				   128 + WTERMSIG(status);
}

static void stop_sender(struct env *e, pid_t pid)
{
	kill(pid, SIGKILL);
	reap_sender(e, pid);
}

/* ---- memory, registration and rings ------------------------------------ */

/*
 * The memory of one ifq: its area and, unless the kernel allocates it, the
 * memory of its refill ring.
 */
struct zc_mem {
	void *area;
	size_t area_len;
	void *region;		/* NULL: a kernel-allocated region */
	size_t region_len;
};

/* A page for the ring header, then the entries. */
static size_t rq_region_len(unsigned int entries)
{
	return page_align(pagesz() +
			  (size_t)entries * sizeof(struct io_uring_zcrx_rqe));
}

static void *map_mem(size_t len, int prot)
{
	void *p;

	p = mmap(NULL, len, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	/*
	 * Forked senders need none of it: spare them copies of pinned pages,
	 * where the kernel has madvise().
	 */
	madvise(p, len, MADV_DONTFORK);
	return p;
}

static void zc_mem_free(struct zc_mem *m)
{
	if (m->area)
		munmap(m->area, m->area_len);
	if (m->region)
		munmap(m->region, m->region_len);
	m->area = NULL;
	m->region = NULL;
}

static int zc_mem_alloc(struct zc_mem *m, size_t area_len,
			unsigned int entries, bool kregion)
{
	memset(m, 0, sizeof(*m));
	m->area_len = area_len;
	m->region_len = rq_region_len(entries);
	m->area = map_mem(area_len, PROT_READ | PROT_WRITE);
	if (!m->area)
		return -ENOMEM;
	if (kregion)
		return 0;
	m->region = map_mem(m->region_len, PROT_READ | PROT_WRITE);
	if (!m->region) {
		zc_mem_free(m);
		return -ENOMEM;
	}
	return 0;
}

/* The three structures of a registration; reg points at the other two. */
struct zc_reg {
	struct io_uring_zcrx_ifq_reg reg;
	struct io_uring_zcrx_area_reg area;
	struct io_uring_region_desc rd;
};

static void zc_reg_init(struct zc_reg *r, const struct zc_mem *m,
			int ifindex, unsigned int rxq, unsigned int entries)
{
	memset(r, 0, sizeof(*r));
	r->area.addr = (uintptr_t)m->area;
	r->area.len = m->area_len;
	r->rd.user_addr = (uintptr_t)m->region;
	r->rd.size = m->region_len;
	r->rd.flags = m->region ? IORING_MEM_REGION_TYPE_USER : 0;
	r->reg.if_idx = ifindex;
	r->reg.if_rxq = rxq;
	r->reg.rq_entries = entries;
	r->reg.area_ptr = (uintptr_t)&r->area;
	r->reg.region_ptr = (uintptr_t)&r->rd;
}

static int ring_init(struct io_uring *ring, unsigned int flags,
		     unsigned int sq, unsigned int cq)
{
	struct io_uring_params p;

	memset(&p, 0, sizeof(p));
	p.flags = flags;
	if (cq) {
		p.flags |= IORING_SETUP_CQSIZE;
		p.cq_entries = cq;
	}
	return io_uring_queue_init_params(sq, ring, &p);
}

/* A registered ifq and the user's view of it.  Must not move once open. */
struct ifq {
	struct zc_mem mem;
	struct zc_reg r;	/* as the kernel wrote it back */
	void *rq_map;		/* mapping of a kernel-allocated region */
	size_t rq_map_len;
	struct zcrx_rq rq;
	__u32 id;
	__u64 token;
	size_t buf_len;
	uint64_t returned;	/* refill entries published */
};

static int ifq_open(int ring_fd, struct ifq *q, int ifindex, unsigned int rxq,
		    size_t area_len, unsigned int entries, bool kregion)
{
	void *base;
	int ret;

	memset(q, 0, sizeof(*q));
	ret = zc_mem_alloc(&q->mem, area_len, entries, kregion);
	if (ret)
		return ret;
	zc_reg_init(&q->r, &q->mem, ifindex, rxq, entries);
	ret = zcrx_register_ifq(ring_fd, &q->r.reg);
	if (ret) {
		zc_mem_free(&q->mem);
		return ret;
	}
	q->id = q->r.reg.zcrx_id;
	q->token = q->r.area.rq_area_token;
	q->buf_len = q->r.reg.rx_buf_len ? q->r.reg.rx_buf_len : pagesz();
	base = q->mem.region;
	if (!base) {
		q->rq_map_len = q->r.rd.size;
		base = mmap(NULL, q->rq_map_len, PROT_READ | PROT_WRITE,
			    MAP_SHARED | MAP_POPULATE, ring_fd,
			    q->r.rd.mmap_offset);
		if (base == MAP_FAILED)
			return -errno;
		q->rq_map = base;
	}
	zcrx_rq_init(&q->rq, base, &q->r.reg, q->token);
	return 0;
}

/* Unmap what ifq_open() mapped; after the ring is gone or not. */
static void ifq_free(struct ifq *q)
{
	if (q->rq_map)
		munmap(q->rq_map, q->rq_map_len);
	q->rq_map = NULL;
	zc_mem_free(&q->mem);
}

static __u32 rq_khead(const struct ifq *q)
{
	return __atomic_load_n(q->rq.khead, __ATOMIC_ACQUIRE);
}

/* ---- the fdinfo line of an ifq ----------------------------------------- */

struct zcrx_info {
	unsigned long long id;
	unsigned long long ifindex;
	unsigned long long rxq;
	unsigned long long area_bytes;
	unsigned long long bufs;
	unsigned long long free;
	unsigned long long nic;
	unsigned long long user;
	unsigned long long zc_bytes;
	unsigned long long copy_bytes;
	unsigned long long copy_count;
	unsigned long long rq_consumed;
	unsigned long long rq_invalid;
	char dev[IFNAMSIZ];
};

static const struct {
	const char *key;
	size_t off;
} info_keys[] = {
#define INFO_KEY(k) { #k, offsetof(struct zcrx_info, k) }
	INFO_KEY(id), INFO_KEY(ifindex), INFO_KEY(rxq), INFO_KEY(area_bytes),
	INFO_KEY(bufs), INFO_KEY(free), INFO_KEY(nic), INFO_KEY(user),
	INFO_KEY(zc_bytes), INFO_KEY(copy_bytes), INFO_KEY(copy_count),
	INFO_KEY(rq_consumed), INFO_KEY(rq_invalid),
#undef INFO_KEY
};

/* Parse the key=value pairs after "ZcrxIfq:"; every known key must be there. */
static int parse_info(char *s, struct zcrx_info *info)
{
	unsigned long long v;
	unsigned int seen = 0;
	char *tok, *save, *val, *end;
	bool dev = false;
	size_t i;

	memset(info, 0, sizeof(*info));
	for (tok = strtok_r(s, " \t\n", &save); tok;
	     tok = strtok_r(NULL, " \t\n", &save)) {
		val = strchr(tok, '=');
		if (!val)
			return -EPROTO;
		*val++ = '\0';
		if (!strcmp(tok, "dev")) {
			if (strlen(val) >= sizeof(info->dev))
				return -EPROTO;
			snprintf(info->dev, sizeof(info->dev), "%s", val);
			dev = true;
			continue;
		}
		for (i = 0; i < ARRAY_SIZE(info_keys); i++)
			if (!strcmp(tok, info_keys[i].key))
				break;
		if (i == ARRAY_SIZE(info_keys))
			continue;	/* a newer field */
		errno = 0;
		v = strtoull(val, &end, 10);
		if (errno || end == val || *end)
			return -EPROTO;
		*(unsigned long long *)((char *)info + info_keys[i].off) = v;
		seen |= 1U << i;
	}
	if (!dev || seen != (1U << ARRAY_SIZE(info_keys)) - 1)
		return -EPROTO;
	return 0;
}

/*
 * The fdinfo line of ifq @id of the ring @ring_fd.  Returns 0, -ENOENT
 * without such a line, -EPROTO for a line that does not parse.  With @count,
 * stores the number of ZcrxIfq lines.
 */
static int zcrx_info_get(int ring_fd, unsigned int id, struct zcrx_info *info,
			 int *count)
{
	struct zcrx_info tmp;
	char path[64], *line = NULL;
	size_t cap = 0;
	int ret = -ENOENT, n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", ring_fd);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0) {
		if (strncmp(line, "ZcrxIfq:", 8))
			continue;
		n++;
		if (parse_info(line + 8, &tmp)) {
			ret = -EPROTO;
			break;
		}
		if (tmp.id == id && ret == -ENOENT) {
			if (info)
				*info = tmp;
			ret = 0;
		}
	}
	free(line);
	fclose(f);
	if (count)
		*count = n;
	return ret;
}

/* VmPin of this process, in kB, or -1. */
static long vm_pinned_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f;

	f = fopen("/proc/self/status", "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmPin: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* ---- receiving ---------------------------------------------------------- */

/* One connection and its multishot RECV_ZC request. */
struct stream {
	int fd;
	struct ifq *q;
	uint64_t seed;		/* of the pattern on this connection */
	uint64_t off;		/* bytes received: the next stream offset */
	uint64_t bad;		/* stream offset of the first wrong byte */
	uint64_t limit;		/* len of the request, 0: none */
	uint64_t req_bytes;	/* received under the current limit */
	unsigned int data_cqes;
	unsigned int enospc;	/* requests ended by a full CQ */
	unsigned int enomem;	/* requests ended by an empty freelist */
	unsigned int limits;	/* requests ended by their len */
	unsigned int cancels;	/* cancellations the test asked for */
	unsigned int cancelled;	/* requests ended by them */
	int err;		/* an unexpected end, or 0 */
	bool armed;		/* a request is in flight */
	bool eof;
	bool pause;		/* not re-armed until the test says so */
};

/* The buffer of a completion, kept by the test or waiting to go back. */
struct held {
	struct ifq *q;
	__u64 off;		/* as in the CQE */
	__u32 len;
	uint64_t soff;		/* stream offset of its first byte */
	uint64_t seed;		/* and the pattern seed of its stream */
};

struct held_list {
	struct held *v;
	size_t nr;
	size_t max;
};

static int held_add(struct held_list *l, struct ifq *q, __u64 off, __u32 len,
		    uint64_t soff, uint64_t seed)
{
	struct held *h;

	if (l->nr == l->max) {
		size_t n = l->max ? 2 * l->max : 256;

		h = realloc(l->v, n * sizeof(*h));
		if (!h)
			return -ENOMEM;
		l->v = h;
		l->max = n;
	}
	h = &l->v[l->nr++];
	h->q = q;
	h->off = off;
	h->len = len;
	h->soff = soff;
	h->seed = seed;
	return 0;
}

struct rx {
	struct io_uring ring;
	struct stream st[MAX_STREAMS];
	int nr;
	bool hold;		/* keep buffers instead of returning them */
	bool allow_enomem;	/* an -ENOMEM end is re-issued, not an error */
	bool no_flush;		/* ZCRX_CTRL_FLUSH_RQ failed: a failure */
	bool async;		/* issue requests with IOSQE_ASYNC (io-wq) */
	bool poll_first;	/* ... and with IORING_RECVSEND_POLL_FIRST */
	struct held_list held;	/* kept by the test */
	struct held_list backlog; /* returned, waiting for room in the ring */
	unsigned int violations; /* completions that break the ABI */
	unsigned int cancel_cqes; /* completions of cancel requests */
	int cancel_res;		/* and the result of the last one */
	char why[256];		/* the first of them */
};

static void rx_violation(struct rx *rx, const char *fmt, ...)
{
	va_list ap;

	if (!rx->violations++) {
		va_start(ap, fmt);
		vsnprintf(rx->why, sizeof(rx->why), fmt, ap);
		va_end(ap);
	}
}

static int rx_init(struct rx *rx, unsigned int sq, unsigned int cq)
{
	memset(rx, 0, sizeof(*rx));
	return ring_init(&rx->ring, RING_FLAGS, sq, cq);
}

static void rx_exit(struct rx *rx)
{
	int i;

	io_uring_queue_exit(&rx->ring);
	for (i = 0; i < rx->nr; i++)
		close(rx->st[i].fd);
	free(rx->held.v);
	free(rx->backlog.v);
	memset(&rx->held, 0, sizeof(rx->held));
	memset(&rx->backlog, 0, sizeof(rx->backlog));
	rx->nr = 0;
}

static struct stream *rx_add(struct rx *rx, int fd, struct ifq *q)
{
	struct stream *s = &rx->st[rx->nr++];

	memset(s, 0, sizeof(*s));
	s->fd = fd;
	s->q = q;
	s->seed = zcrx_seed(fd);
	s->bad = UINT64_MAX;
	return s;
}

/* Publish the refill entries of every ifq. */
static void rx_commit(struct rx *rx)
{
	int i;

	for (i = 0; i < rx->nr; i++)
		zcrx_rq_commit(&rx->st[i].q->rq);
}

/*
 * Move the backlog into the refill rings, in order, as far as they have
 * room; ask the kernel to make room if it knows how.
 */
static void rx_push_backlog(struct rx *rx)
{
	struct held_list *l = &rx->backlog;
	size_t i = 0;
	int pass;

	for (pass = 0; pass < 8 && i < l->nr; pass++) {
		for (; i < l->nr; i++) {
			struct held *h = &l->v[i];

			if (zcrx_rq_push(&h->q->rq, h->off, h->len))
				break;
			h->q->returned++;
		}
		rx_commit(rx);
		if (i == l->nr || rx->no_flush)
			break;
		if (zcrx_flush_rq(rx->ring.ring_fd, l->v[i].q->id))
			rx->no_flush = true;
	}
	memmove(l->v, l->v + i, (l->nr - i) * sizeof(*l->v));
	l->nr -= i;
}

/* Hand a buffer back, through the backlog when the ring is full. */
static void ifq_return(struct rx *rx, struct ifq *q, __u64 off, __u32 len)
{
	if (!rx->backlog.nr && !zcrx_rq_push(&q->rq, off, len)) {
		q->returned++;
		return;
	}
	if (held_add(&rx->backlog, q, off, len, 0, 0))
		rx_violation(rx, "out of memory for the return backlog");
}

/* Return every held buffer. */
static void rx_release(struct rx *rx)
{
	size_t i;

	for (i = 0; i < rx->held.nr; i++)
		ifq_return(rx, rx->held.v[i].q, rx->held.v[i].off,
			   rx->held.v[i].len);
	rx->held.nr = 0;
	rx_commit(rx);
	rx_push_backlog(rx);
}

/* Held buffers whose bytes changed since their completion; 0 if none. */
static size_t rx_held_corrupt(struct rx *rx)
{
	size_t i, bad = 0;

	for (i = 0; i < rx->held.nr; i++) {
		struct held *h = &rx->held.v[i];
		uint8_t *p = (uint8_t *)h->q->mem.area +
			     (h->off & ~IORING_ZCRX_AREA_MASK);

		if (zcrx_check(p, h->len, h->seed, h->soff) != h->len)
			bad++;
	}
	return bad;
}

/*
 * Distinct buffers of @q that the user still owns: held ones, those in the
 * backlog and, with @ring, those in refill entries the kernel has not
 * consumed past @head.  SIZE_MAX if the ring indices make no sense.
 */
static size_t user_bufs(struct rx *rx, struct ifq *q, bool ring, __u32 head)
{
	size_t nbufs = q->mem.area_len / q->buf_len, n = 0, i;
	uint8_t *seen;
	__u32 t;

	if (ring && q->rq.tail - head > q->rq.entries)
		return SIZE_MAX;
	seen = calloc(nbufs, 1);
	if (!seen)
		return SIZE_MAX;
#define MARK(o) do {							\
	__u64 b = ((o) & ~IORING_ZCRX_AREA_MASK) / q->buf_len;		\
									\
	if (b < nbufs && !seen[b]) {					\
		seen[b] = 1;						\
		n++;							\
	}								\
} while (0)
	for (t = head; ring && t != q->rq.tail; t++)
		MARK(q->rq.rqes[t & (q->rq.entries - 1)].off);
	for (i = 0; i < rx->held.nr; i++)
		if (rx->held.v[i].q == q)
			MARK(rx->held.v[i].off);
	for (i = 0; i < rx->backlog.nr; i++)
		if (rx->backlog.v[i].q == q)
			MARK(rx->backlog.v[i].off);
#undef MARK
	free(seen);
	return n;
}

/* Distinct buffers among the held ones (single-ifq tests). */
static size_t rx_held_bufs(struct rx *rx)
{
	return rx->nr ? user_bufs(rx, rx->st[0].q, false, 0) : 0;
}

/* A data completion: check where it points, check its bytes, return it. */
static void rx_data(struct rx *rx, struct stream *s, struct io_uring_cqe *cqe)
{
	struct io_uring_zcrx_cqe *zc = zcrx_cqe(cqe);
	struct ifq *q = s->q;
	__u64 off = zc->off & ~IORING_ZCRX_AREA_MASK;
	__u32 len = cqe->res;
	size_t i;

	s->data_cqes++;
	if (!(cqe->flags & IORING_CQE_F_MORE))
		rx_violation(rx, "data CQE (res %d) without F_MORE", cqe->res);
	if ((zc->off & IORING_ZCRX_AREA_MASK) != q->token) {
		rx_violation(rx, "CQE off %#llx: area bits are not token %#llx",
			     (unsigned long long)zc->off,
			     (unsigned long long)q->token);
		s->off += len;
		return;
	}
	if (off >= q->mem.area_len || len > q->mem.area_len - off) {
		rx_violation(rx, "CQE off %#llx len %u outside the area",
			     (unsigned long long)off, len);
		s->off += len;
		return;
	}
	if (off / q->buf_len != (off + len - 1) / q->buf_len)
		rx_violation(rx, "CQE off %#llx len %u spans two buffers",
			     (unsigned long long)off, len);
	i = zcrx_check((uint8_t *)q->mem.area + off, len, s->seed, s->off);
	if (i != len && s->bad == UINT64_MAX)
		s->bad = s->off + i;
	if (rx->hold) {
		if (held_add(&rx->held, q, zc->off, len, s->off, s->seed))
			rx_violation(rx, "out of memory for held buffers");
	} else {
		ifq_return(rx, q, zc->off, len);
	}
	s->off += len;
	s->req_bytes += len;
}

/* A completion without F_MORE: the request is over. */
static void rx_end(struct rx *rx, struct stream *s, int res)
{
	s->armed = false;
	if (res == 0) {
		if (!s->limit) {
			s->eof = true;
			return;
		}
		if (s->req_bytes != s->limit)
			rx_violation(rx, "len %llu: request ended after %llu",
				     (unsigned long long)s->limit,
				     (unsigned long long)s->req_bytes);
		s->limits++;
		s->pause = true;
		return;
	}
	if (res == -ENOSPC) {
		s->enospc++;
		if (s->limit && s->req_bytes >= s->limit) {
			rx_violation(rx, "len %llu reached, request ended with %d",
				     (unsigned long long)s->limit, res);
			s->pause = true;
		}
		return;
	}
	if (res == -ECANCELED && s->cancelled < s->cancels) {
		/* a cancellation the test asked for: re-issue */
		s->cancelled++;
		return;
	}
	if (res == -ENOMEM && rx->allow_enomem) {
		s->enomem++;
		return;
	}
	if (!s->err)
		s->err = res;
}

/* Handle every completion in the CQ; returns how many there were. */
static int rx_reap(struct rx *rx)
{
	struct io_uring_cqe *cqe;
	unsigned int head;
	int n = 0;

	io_uring_for_each_cqe(&rx->ring, head, cqe) {
		struct stream *s;

		n++;
		if (cqe->user_data == CANCEL_UD) {
			rx->cancel_cqes++;
			rx->cancel_res = cqe->res;
			continue;
		}
		if (cqe->user_data >= (__u64)rx->nr) {
			rx_violation(rx, "CQE with user_data %llu",
				     (unsigned long long)cqe->user_data);
			continue;
		}
		s = &rx->st[cqe->user_data];
		if (cqe->res > 0)
			rx_data(rx, s, cqe);
		else if (cqe->flags & IORING_CQE_F_MORE)
			rx_violation(rx, "CQE res %d with F_MORE", cqe->res);
		else
			rx_end(rx, s, cqe->res);
	}
	io_uring_cq_advance(&rx->ring, n);
	rx_commit(rx);
	return n;
}

static bool stream_live(const struct stream *s)
{
	return !s->eof && !s->err;
}

static int rx_arm(struct rx *rx, struct stream *s)
{
	struct io_uring_sqe *sqe;

	sqe = io_uring_get_sqe(&rx->ring);
	if (!sqe) {
		io_uring_submit(&rx->ring);
		sqe = io_uring_get_sqe(&rx->ring);
		if (!sqe)
			return -EBUSY;
	}
	zcrx_prep_recv(sqe, s->fd, s->limit ? s->limit - s->req_bytes : 0,
		       s->q->id);
	if (rx->async)
		sqe->flags |= IOSQE_ASYNC;
	if (rx->poll_first)
		sqe->ioprio |= IORING_RECVSEND_POLL_FIRST;
	io_uring_sqe_set_data64(sqe, s - rx->st);
	s->armed = true;
	return 0;
}

/*
 * Re-issue ended requests, submit, wait up to @ms for a completion, handle
 * all that are there.  Returns the number handled or -errno.
 */
static int rx_step(struct rx *rx, int ms)
{
	struct __kernel_timespec ts = {
		.tv_sec = ms / 1000,
		.tv_nsec = (ms % 1000) * 1000000LL,
	};
	struct io_uring_cqe *cqe;
	int i, ret;

	if (rx->backlog.nr)
		rx_push_backlog(rx);
	for (i = 0; i < rx->nr; i++) {
		struct stream *s = &rx->st[i];

		if (!s->armed && !s->pause && stream_live(s)) {
			ret = rx_arm(rx, s);
			if (ret)
				return ret;
		}
	}
	if (io_uring_sq_ready(&rx->ring)) {
		ret = io_uring_submit(&rx->ring);
		if (ret < 0)
			return ret;
	}
	ret = io_uring_wait_cqe_timeout(&rx->ring, &cqe, &ts);
	if (ret && ret != -ETIME && ret != -EINTR)
		return ret;
	return rx_reap(rx);
}

static uint64_t rx_bytes(const struct rx *rx)
{
	uint64_t sum = 0;
	int i;

	for (i = 0; i < rx->nr; i++)
		sum += rx->st[i].off;
	return sum;
}

static bool rx_over(const struct rx *rx)
{
	int i;

	for (i = 0; i < rx->nr; i++)
		if (stream_live(&rx->st[i]) &&
		    (rx->st[i].armed || !rx->st[i].pause))
			return false;
	return true;
}

/*
 * Receive until all streams are over (EOF, error or paused) or, with
 * @until, until that many bytes arrived in total.  -ETIMEDOUT when nothing
 * completes for STALL_MS.
 */
static int rx_run(struct rx *rx, uint64_t until)
{
	uint64_t last = now_ms();
	int ret;

	for (;;) {
		if (rx_over(rx) || (until && rx_bytes(rx) >= until))
			return 0;
		ret = rx_step(rx, 1000);
		if (ret < 0)
			return ret;
		if (ret > 0)
			last = now_ms();
		else if (now_ms() - last > STALL_MS)
			return -ETIMEDOUT;
	}
}

#define EXPECT_STREAM_OK(rx, s, size) do {				\
	EXPECT_EQ(0, (s)->err)						\
		TH_LOG("request ended with %d", (s)->err);		\
	EXPECT_TRUE((s)->eof);						\
	EXPECT_EQ((uint64_t)(size), (s)->off);				\
	EXPECT_EQ(UINT64_MAX, (s)->bad)					\
		TH_LOG("first wrong byte at stream offset %llu",	\
		       (unsigned long long)(s)->bad);			\
	EXPECT_EQ(0U, (rx)->violations) TH_LOG("%s", (rx)->why);	\
} while (0)

/*
 * After the last buffer went back, the fdinfo accounting of @q must match
 * what the user still owns: nothing held, nothing waiting, and whatever
 * refill entries the kernel has not consumed yet.  With
 * ZCRX_CTRL_FLUSH_RQ the kernel consumes them all now, and the user must
 * own nothing.
 */
static void check_drained(struct __test_metadata *_metadata, struct rx *rx,
			  struct ifq *q, struct zcrx_info *out)
{
	struct zcrx_info info;
	__u32 head;
	int i;

	rx_push_backlog(rx);
	for (i = 0; i < 64 && !rx->no_flush; i++) {
		if (zcrx_flush_rq(rx->ring.ring_fd, q->id))
			rx->no_flush = true;	/* reg.flush_rq tells why */
		else if (!rx->backlog.nr)
			break;
		rx_push_backlog(rx);
	}
	/* The series has ZCRX_CTRL_FLUSH_RQ: without it, checks run weaker. */
	EXPECT_FALSE(rx->no_flush)
		TH_LOG("ZCRX_CTRL_FLUSH_RQ failed during the test");
	if (!rx->no_flush) {
		EXPECT_EQ(0UL, rx->backlog.nr);
		EXPECT_EQ(q->rq.tail, rq_khead(q))
			TH_LOG("ZCRX_CTRL_FLUSH_RQ left entries in the ring");
	}
	for (i = 0; i < 10; i++) {
		head = rq_khead(q);
		ASSERT_EQ(0, zcrx_info_get(rx->ring.ring_fd, q->id, &info,
					   NULL));
		if (rq_khead(q) == head)
			break;
	}
	EXPECT_EQ((unsigned long long)user_bufs(rx, q, true, head), info.user)
		TH_LOG("%u refill entries not consumed, %zu waiting",
		       q->rq.tail - head, rx->backlog.nr);
	EXPECT_EQ(q->returned - (q->rq.tail - head), info.rq_consumed);
	EXPECT_EQ(info.bufs, info.free + info.nic + info.user);
	EXPECT_EQ(q->mem.area_len / q->buf_len, info.bufs);
	EXPECT_EQ(q->mem.area_len, info.area_bytes);
	if (out)
		*out = info;
}

/* ---- registration ------------------------------------------------------- */

FIXTURE(reg)
{
	struct env env;
	struct zc_mem mem;
};

FIXTURE_SETUP(reg)
{
	ASSERT_EQ(0, env_get(&self->env));
	ASSERT_EQ(0, zc_mem_alloc(&self->mem, REG_AREA_LEN, REG_RQ_ENTRIES,
				  false));
}

FIXTURE_TEARDOWN(reg)
{
	zc_mem_free(&self->mem);
	EXPECT_EQ(0, env_put(&self->env));
}

/*
 * The queue takes a valid registration: on @ring_fd if it is a valid ring,
 * else on a new one, closed again at once.
 */
static void queue_free(struct __test_metadata *_metadata,
		       const struct zc_mem *mem, int ifindex, int ring_fd,
		       unsigned int rxq, const char *after)
{
	struct io_uring ring;
	struct zc_reg r;

	zc_reg_init(&r, mem, ifindex, rxq, REG_RQ_ENTRIES);
	if (ring_fd >= 0) {
		EXPECT_EQ(0, zcrx_register_ifq(ring_fd, &r.reg))
			TH_LOG("valid registration after: %s", after);
		return;
	}
	ASSERT_EQ(0, ring_init(&ring, RING_FLAGS, 8, 0));
	EXPECT_EQ(0, zcrx_register_ifq(ring.ring_fd, &r.reg))
		TH_LOG("valid registration after: %s", after);
	io_uring_queue_exit(&ring);
}

#define check_queue_free(ring_fd, rxq, after)				\
	queue_free(_metadata, &self->mem, self->env.ifindex, ring_fd, rxq, after)

/* In a child without CAP_NET_ADMIN (@userns: root of a new user ns). */
static int unpriv_register(int ifindex, bool userns)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
	int idx = CAP_TO_INDEX(CAP_NET_ADMIN);
	struct io_uring ring;
	struct zc_mem mem;
	struct zc_reg r;
	int ret;

	if (userns) {
		if (unshare(CLONE_NEWUSER))
			return 2;	/* not available here */
	} else {
		if (syscall(SYS_capget, &hdr, data))
			return 1;
		data[idx].effective &= ~CAP_TO_MASK(CAP_NET_ADMIN);
		if (syscall(SYS_capset, &hdr, data))
			return 1;
		if (syscall(SYS_capget, &hdr, data) ||
		    data[idx].effective & CAP_TO_MASK(CAP_NET_ADMIN))
			return 1;
	}
	if (ring_init(&ring, RING_FLAGS, 8, 0))
		return 1;
	if (zc_mem_alloc(&mem, REG_AREA_LEN, REG_RQ_ENTRIES, false))
		return 1;
	zc_reg_init(&r, &mem, ifindex, ZC_QUEUE, REG_RQ_ENTRIES);
	ret = zcrx_register_ifq(ring.ring_fd, &r.reg);
	io_uring_queue_exit(&ring);
	return ret;
}

static int run_unpriv(int ifindex, bool userns)
{
	int p[2], ret = 1, status;
	pid_t pid;

	if (pipe(p))
		return 1;
	pid = fork();
	if (pid == 0) {
		ret = unpriv_register(ifindex, userns);
		_exit(write(p[1], &ret, sizeof(ret)) != sizeof(ret));
	}
	close(p[1]);
	if (pid < 0 || read(p[0], &ret, sizeof(ret)) != sizeof(ret))
		ret = 1;
	close(p[0]);
	if (pid > 0)
		waitpid(pid, &status, 0);
	return ret;
}

TEST_F_TIMEOUT(reg, unprivileged, 120)
{
	int ret;

	ret = run_unpriv(self->env.ifindex, false);
	EXPECT_EQ(-EPERM, ret) TH_LOG("without CAP_NET_ADMIN");
	check_queue_free(-1, ZC_QUEUE, "no CAP_NET_ADMIN");
}

/* Capabilities count in the initial user namespace only. */
TEST_F_TIMEOUT(reg, userns_root, 120)
{
	int ret;

	ret = run_unpriv(self->env.ifindex, true);
	if (ret == 2)
		SKIP(return, "unshare(CLONE_NEWUSER) failed: no user namespaces");
	EXPECT_EQ(-EPERM, ret) TH_LOG("root of a child user namespace");
	check_queue_free(-1, ZC_QUEUE, "user namespace");
}

TEST_F_TIMEOUT(reg, ring_setup, 120)
{
	static const struct {
		unsigned int flags;
		const char *name;
	} rings[] = {
		{ IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_CQE32,
		  "ring without DEFER_TASKRUN" },
		{ IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SINGLE_ISSUER,
		  "ring without CQE32" },
		{ 0, "ring with neither" },
	};
	static const unsigned int bad_ops[] = { 31, 33, 34 };
	struct io_uring ring;
	struct zc_reg r;
	size_t i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(rings); i++) {
		ASSERT_EQ(0, ring_init(&ring, rings[i].flags, 8, 0));
		zc_reg_init(&r, &self->mem, self->env.ifindex, ZC_QUEUE,
			    REG_RQ_ENTRIES);
		EXPECT_EQ(-EINVAL, zcrx_register_ifq(ring.ring_fd, &r.reg))
			TH_LOG("%s", rings[i].name);
		io_uring_queue_exit(&ring);
		check_queue_free(-1, ZC_QUEUE, rings[i].name);
	}

	/* nr_args must be 1; opcodes around 32 are not ours. */
	ASSERT_EQ(0, ring_init(&ring, RING_FLAGS, 8, 0));
	zc_reg_init(&r, &self->mem, self->env.ifindex, ZC_QUEUE,
		    REG_RQ_ENTRIES);
	ret = syscall(__NR_io_uring_register, ring.ring_fd,
		      IORING_REGISTER_ZCRX_IFQ, &r.reg, 2);
	EXPECT_EQ(-1, ret);
	EXPECT_EQ(EINVAL, errno) TH_LOG("nr_args 2");
	for (i = 0; i < ARRAY_SIZE(bad_ops); i++) {
		zc_reg_init(&r, &self->mem, self->env.ifindex, ZC_QUEUE,
			    REG_RQ_ENTRIES);
		ret = syscall(__NR_io_uring_register, ring.ring_fd,
			      bad_ops[i], &r.reg, 1);
		EXPECT_EQ(-1, ret);
		EXPECT_EQ(EINVAL, errno) TH_LOG("register opcode %u", bad_ops[i]);
	}
	check_queue_free(ring.ring_fd, ZC_QUEUE,
			 "nr_args and opcodes");
	io_uring_queue_exit(&ring);
}

/* One reserved field or unknown flag set, as a value stored at an offset. */
struct reserved_case {
	size_t off;		/* in struct zc_reg */
	size_t size;
	__u64 val;
	const char *name;
};

#define RSV(field, v, what) {						\
	offsetof(struct zc_reg, field),					\
	sizeof(((struct zc_reg *)0)->field), v, what			\
}

static const struct reserved_case reserved_cases[] = {
	RSV(reg.flags, 1U << 2, "ifq_reg.flags bit 2"),
	RSV(reg.flags, 1U << 31, "ifq_reg.flags bit 31"),
	RSV(reg.__resv[0], 1, "ifq_reg.__resv[0]"),
	RSV(reg.__resv[1], 1, "ifq_reg.__resv[1]"),
	RSV(reg.__resv[2], 1ULL << 63, "ifq_reg.__resv[2]"),
	RSV(reg.zcrx_id, 1, "ifq_reg.zcrx_id on input"),
	RSV(reg.offsets.__resv2, 1, "offsets.__resv2"),
	RSV(reg.offsets.__resv[0], 1, "offsets.__resv[0]"),
	RSV(reg.offsets.__resv[1], 1, "offsets.__resv[1]"),
	RSV(area.flags, 1U << 1, "area_reg.flags bit 1"),
	RSV(area.flags, 1U << 31, "area_reg.flags bit 31"),
	RSV(area.__resv2[0], 1, "area_reg.__resv2[0]"),
	RSV(area.__resv2[1], 1, "area_reg.__resv2[1]"),
	RSV(area.rq_area_token, 1ULL << IORING_ZCRX_AREA_SHIFT,
	    "area_reg.rq_area_token on input"),
	RSV(area.rq_area_token, 1, "area_reg.rq_area_token 1"),
	RSV(area.dmabuf_fd, 1,
	    "area_reg.dmabuf_fd without IORING_ZCRX_AREA_DMABUF"),
	RSV(rd.flags, IORING_MEM_REGION_TYPE_USER | 1U << 1,
	    "region_desc.flags bit 1"),
	RSV(rd.flags, IORING_MEM_REGION_TYPE_USER | 1U << 31,
	    "region_desc.flags bit 31"),
	RSV(rd.__resv[0], 1, "region_desc.__resv[0]"),
	RSV(rd.__resv[1], 1, "region_desc.__resv[1]"),
	RSV(rd.__resv[2], 1, "region_desc.__resv[2]"),
	RSV(rd.__resv[3], 1, "region_desc.__resv[3]"),
};

#undef RSV

TEST_F_TIMEOUT(reg, reserved_fields, 300)
{
	struct io_uring ring;
	const char *name;
	struct zc_reg r;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(reserved_cases); i++) {
		const struct reserved_case *c = &reserved_cases[i];

		zc_reg_init(&r, &self->mem, self->env.ifindex, ZC_QUEUE,
			    REG_RQ_ENTRIES);
		/* x86-64 is little-endian: the low bytes of val. */
		memcpy((char *)&r + c->off, &c->val, c->size);
		name = c->name;
		ASSERT_EQ(0, ring_init(&ring, RING_FLAGS, 8, 0));
		EXPECT_EQ(-EINVAL, zcrx_register_ifq(ring.ring_fd, &r.reg))
			TH_LOG("%s", name);
		check_queue_free(ring.ring_fd, ZC_QUEUE, name);
		io_uring_queue_exit(&ring);
	}
}

TEST_F_TIMEOUT(reg, rq_entries, 120)
{
	static const unsigned int bad[] = { 0, 32769, 65536, 1U << 31 };
	struct io_uring ring;
	struct zc_mem big;
	struct zc_reg r;
	char what[64];
	size_t i;

	/* A region that would hold any of them. */
	ASSERT_EQ(0, zc_mem_alloc(&big, REG_AREA_LEN, 65536, false));
	ASSERT_EQ(0, ring_init(&ring, RING_FLAGS, 8, 0));
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		zc_reg_init(&r, &big, self->env.ifindex, ZC_QUEUE, bad[i]);
		snprintf(what, sizeof(what), "rq_entries %u", bad[i]);
		EXPECT_EQ(-EINVAL, zcrx_register_ifq(ring.ring_fd, &r.reg))
			TH_LOG("%s", what);
	}
	check_queue_free(ring.ring_fd, ZC_QUEUE, "rq_entries");
	io_uring_queue_exit(&ring);

	/* Rounded up to a power of two and written back. */
	ASSERT_EQ(0, ring_init(&ring, RING_FLAGS, 8, 0));
	zc_reg_init(&r, &big, self->env.ifindex, ZC_QUEUE, 100);
	EXPECT_EQ(0, zcrx_register_ifq(ring.ring_fd, &r.reg));
	EXPECT_EQ(128U, r.reg.rq_entries);
	zc_reg_init(&r, &big, self->env.ifindex, ALT_QUEUE, 32768);
	EXPECT_EQ(0, zcrx_register_ifq(ring.ring_fd, &r.reg))
		TH_LOG("rq_entries 32768");
	EXPECT_EQ(32768U, r.reg.rq_entries);
	io_uring_queue_exit(&ring);
	zc_mem_free(&big);
}

TEST_F_TIMEOUT(reg, pointers, 120)
{
	struct io_uring ring;
	struct zc_reg r;
	void *none;
	int ret;

	none = mmap(NULL, pagesz(), PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		    -1, 0);
	ASSERT_NE(MAP_FAILED, none);
	ASSERT_EQ(0, ring_init(&ring, RING_FLAGS, 8, 0));

	zc_reg_init(&r, &self->mem, self->env.ifindex, ZC_QUEUE,
		    REG_RQ_ENTRIES);
	r.reg.region_ptr = 0;
	ret = zcrx_register_ifq(ring.ring_fd, &r.reg);
	EXPECT_TRUE(ret == -EINVAL || ret == -EFAULT)
		TH_LOG("region_ptr 0: %d", ret);

	zc_reg_init(&r, &self->mem, self->env.ifindex, ZC_QUEUE,
		    REG_RQ_ENTRIES);
	r.reg.area_ptr = 0;
	ret = zcrx_register_ifq(ring.ring_fd, &r.reg);
	EXPECT_TRUE(ret == -EINVAL || ret == -EFAULT)
		TH_LOG("area_ptr 0: %d", ret);

	/* Pointers to memory that cannot be read. */
	zc_reg_init(&r, &self->mem, self->env.ifindex, ZC_QUEUE,
		    REG_RQ_ENTRIES);
	r.reg.region_ptr = (uintptr_t)none;
	EXPECT_EQ(-EFAULT, zcrx_register_ifq(ring.ring_fd, &r.reg))
		TH_LOG("region_ptr unreadable");
	zc_reg_init(&r, &self->mem, self->env.ifindex, ZC_QUEUE,
		    REG_RQ_ENTRIES);
	r.reg.area_ptr = (uintptr_t)none;
	EXPECT_EQ(-EFAULT, zcrx_register_ifq(ring.ring_fd, &r.reg))
		TH_LOG("area_ptr unreadable");
	EXPECT_EQ(-EFAULT, zcrx_register_ifq(ring.ring_fd, none))
		TH_LOG("ifq_reg unreadable");

	check_queue_free(ring.ring_fd, ZC_QUEUE, "pointers");
	io_uring_queue_exit(&ring);
	munmap(none, pagesz());
}

TEST_F_TIMEOUT(reg, user_region, 120)
{
	struct io_uring ring;
	struct zc_reg r;
	void *ro;
	int ret;

	ro = map_mem(self->mem.region_len, PROT_READ);
	ASSERT_NE(NULL, ro);
	ASSERT_EQ(0, ring_init(&ring, RING_FLAGS, 8, 0));

#define BAD_REGION(what, change) do {					\
	zc_reg_init(&r, &self->mem, self->env.ifindex, ZC_QUEUE,	\
		    REG_RQ_ENTRIES);					\
	change;								\
	ret = zcrx_register_ifq(ring.ring_fd, &r.reg);			\
	EXPECT_TRUE(ret == -EINVAL || ret == -EFAULT)			\
		TH_LOG("%s: %d", what, ret);				\
} while (0)

	BAD_REGION("user region at address 0", r.rd.user_addr = 0);
	BAD_REGION("user region not page aligned", r.rd.user_addr += 64);
	BAD_REGION("user region of size 0", r.rd.size = 0);
	/* Room for the entries but not for the header. */
	BAD_REGION("user region without room for the header",
		   r.rd.size = REG_RQ_ENTRIES *
			       sizeof(struct io_uring_zcrx_rqe));
	BAD_REGION("user region too small for rq_entries",
		   r.reg.rq_entries = 4 * REG_RQ_ENTRIES);
	BAD_REGION("kernel region with a user address",
		   r.rd.flags = 0);
	BAD_REGION("read-only user region", r.rd.user_addr = (uintptr_t)ro);
#undef BAD_REGION

	check_queue_free(ring.ring_fd, ZC_QUEUE,
			 "bad user regions");
	io_uring_queue_exit(&ring);
	munmap(ro, self->mem.region_len);
}

TEST_F_TIMEOUT(reg, kernel_region, 120)
{
	struct io_uring ring;
	struct zc_mem mem;
	struct zc_reg r;
	size_t size;
	__u32 *head, *tail;
	char *p;
	void *other;

	ASSERT_EQ(0, zc_mem_alloc(&mem, REG_AREA_LEN, REG_RQ_ENTRIES, true));
	ASSERT_EQ(0, ring_init(&ring, RING_FLAGS, 8, 0));
	zc_reg_init(&r, &mem, self->env.ifindex, ZC_QUEUE, REG_RQ_ENTRIES);
	ASSERT_EQ(0U, r.rd.flags);
	ASSERT_EQ(0ULL, r.rd.user_addr);
	ASSERT_EQ(0, zcrx_register_ifq(ring.ring_fd, &r.reg));
	EXPECT_EQ(ZCRX_RQ_MMAP_OFF(r.reg.zcrx_id), r.rd.mmap_offset);

	size = r.rd.size;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
		 ring.ring_fd, r.rd.mmap_offset);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_LE(r.reg.offsets.head + sizeof(__u32), size);
	EXPECT_LE(r.reg.offsets.tail + sizeof(__u32), size);
	EXPECT_EQ(0U, r.reg.offsets.head % sizeof(__u32));
	EXPECT_EQ(0U, r.reg.offsets.tail % sizeof(__u32));
	EXPECT_NE(r.reg.offsets.head, r.reg.offsets.tail);
	EXPECT_EQ(0U, r.reg.offsets.rqes % 64);
	EXPECT_LE(r.reg.offsets.rqes + (size_t)r.reg.rq_entries *
		  sizeof(struct io_uring_zcrx_rqe), size);
	/* The entries overlap neither index. */
	EXPECT_TRUE(r.reg.offsets.head + sizeof(__u32) <= r.reg.offsets.rqes ||
		    r.reg.offsets.head >= r.reg.offsets.rqes +
		    r.reg.rq_entries * sizeof(struct io_uring_zcrx_rqe));
	EXPECT_TRUE(r.reg.offsets.tail + sizeof(__u32) <= r.reg.offsets.rqes ||
		    r.reg.offsets.tail >= r.reg.offsets.rqes +
		    r.reg.rq_entries * sizeof(struct io_uring_zcrx_rqe));
	head = (__u32 *)(p + r.reg.offsets.head);
	tail = (__u32 *)(p + r.reg.offsets.tail);
	EXPECT_EQ(*head, *tail);

	/* No region behind the offset of another id. */
	other = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED,
		     ring.ring_fd, ZCRX_RQ_MMAP_OFF(r.reg.zcrx_id + 1));
	EXPECT_EQ(MAP_FAILED, other);
	if (other != MAP_FAILED)
		munmap(other, size);

	munmap(p, size);
	io_uring_queue_exit(&ring);
	zc_mem_free(&mem);
}

TEST_F_TIMEOUT(reg, area, 120)
{
	const size_t len = REG_AREA_LEN, gap = 16 * pagesz();
	struct io_uring ring;
	struct zc_reg r;
	char *ro, *holed, *short_map;
	int ret;

	ASSERT_EQ(0, ring_init(&ring, RING_FLAGS, 8, 0));
	/* Made last, so that no other mapping lands in the gaps. */
	ro = map_mem(len, PROT_READ);
	ASSERT_NE(NULL, ro);
	holed = map_mem(len, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, holed);
	short_map = map_mem(len + gap, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, short_map);
	ASSERT_EQ(0, munmap(holed + len / 2, pagesz()));
	ASSERT_EQ(0, munmap(short_map + len, gap));

#define AREA_CASE(what, change, cond) do {				\
	zc_reg_init(&r, &self->mem, self->env.ifindex, ZC_QUEUE,	\
		    REG_RQ_ENTRIES);					\
	change;								\
	ret = zcrx_register_ifq(ring.ring_fd, &r.reg);			\
	EXPECT_TRUE(cond) TH_LOG("%s: %d", what, ret);			\
} while (0)

	AREA_CASE("area addr not page aligned", r.area.addr += 64,
		  ret == -EINVAL);
	AREA_CASE("area len not page aligned", r.area.len -= 64,
		  ret == -EINVAL);
	AREA_CASE("area len 0", r.area.len = 0,
		  ret == -EINVAL || ret == -EFAULT);
	AREA_CASE("area at address 0", r.area.addr = 0,
		  ret == -EINVAL || ret == -EFAULT);
	AREA_CASE("read-only area", r.area.addr = (uintptr_t)ro,
		  ret == -EFAULT);
	AREA_CASE("area with a hole", r.area.addr = (uintptr_t)holed,
		  ret == -EFAULT);
	AREA_CASE("area running past its mapping",
		  (r.area.addr = (uintptr_t)short_map, r.area.len = len + gap),
		  ret == -EFAULT);
#undef AREA_CASE

	check_queue_free(ring.ring_fd, ZC_QUEUE, "bad areas");
	io_uring_queue_exit(&ring);
	munmap(ro, len);
	munmap(holed, len / 2);
	munmap(holed + len / 2 + pagesz(), len / 2 - pagesz());
	munmap(short_map, len);
}

/* The ifindex of eth0 in namespace A, seen from there. */
static int peer_ifindex(struct env *e)
{
	int idx;

	if (zcrx_enter_netns(e->ns_a))
		return -1;
	idx = if_nametoindex(IFNAME);
	if (zcrx_enter_netns(e->ns_b))
		return -1;
	return idx;
}

TEST_F_TIMEOUT(reg, device, 300)
{
	struct io_uring ring;
	struct zc_reg r;
	int ret, peer;
	uint64_t end;

	peer = peer_ifindex(&self->env);
	ASSERT_GT(peer, 0);
	ASSERT_EQ(0, ring_init(&ring, RING_FLAGS, 8, 0));

#define DEV_CASE(what, idx, rxq, cond) do {				\
	zc_reg_init(&r, &self->mem, idx, rxq, REG_RQ_ENTRIES);		\
	ret = zcrx_register_ifq(ring.ring_fd, &r.reg);			\
	EXPECT_TRUE(cond) TH_LOG("%s: %d", what, ret);			\
} while (0)

	DEV_CASE("if_idx 0", 0, ZC_QUEUE, ret == -ENODEV);
	DEV_CASE("if_idx that does not exist", 0x7ffffff0, ZC_QUEUE,
		 ret == -ENODEV);
	if (peer != self->env.ifindex) {
		DEV_CASE("if_idx of another namespace", peer, ZC_QUEUE,
			 ret == -ENODEV);
	}
	DEV_CASE("if_rxq == number of rx queues", self->env.ifindex,
		 NR_QUEUES, ret == -EINVAL || ret == -ERANGE);
	DEV_CASE("if_rxq ~0", self->env.ifindex, ~0U,
		 ret == -EINVAL || ret == -ERANGE);
	/* No queue management, no DMA device: it must fail, cleanly. */
	DEV_CASE("loopback", (int)if_nametoindex("lo"), 0, ret < 0);
#undef DEV_CASE
	check_queue_free(ring.ring_fd, ZC_QUEUE,
			 "bad devices and queues");
	io_uring_queue_exit(&ring);

	/*
	 * Without header split the queue refuses a provider.  The closed
	 * ring's exit work releases the queue a moment after close(): until
	 * then split cannot be turned off.
	 */
	self->env.hds_off = true;
	end = zcrx_now_ms() + ZCRX_WAIT_MS;
	while ((ret = zcrx_env_hds(self->env.ns_b, 0)) && zcrx_now_ms() < end)
		usleep(20 * 1000);
	ASSERT_EQ(0, ret) TH_LOG("split still on %d ms after the ring went",
				 ZCRX_WAIT_MS);
	ASSERT_EQ(0, ring_init(&ring, RING_FLAGS, 8, 0));
	zc_reg_init(&r, &self->mem, self->env.ifindex, ZC_QUEUE,
		    REG_RQ_ENTRIES);
	EXPECT_EQ(-EINVAL, zcrx_register_ifq(ring.ring_fd, &r.reg))
		TH_LOG("tcp-data-split off");
	ASSERT_EQ(0, zcrx_env_hds(self->env.ns_b, 1));
	self->env.hds_off = false;
	check_queue_free(ring.ring_fd, ZC_QUEUE,
			 "tcp-data-split off");
	io_uring_queue_exit(&ring);
}

TEST_F_TIMEOUT(reg, busy, 120)
{
	struct io_uring ring1, ring2;
	struct zc_mem mem2;
	struct zc_reg r;
	struct zcrx_info info;
	__u32 id;
	int n;

	ASSERT_EQ(0, zc_mem_alloc(&mem2, REG_AREA_LEN, REG_RQ_ENTRIES, false));
	ASSERT_EQ(0, ring_init(&ring1, RING_FLAGS, 8, 0));
	ASSERT_EQ(0, ring_init(&ring2, RING_FLAGS, 8, 0));

	zc_reg_init(&r, &self->mem, self->env.ifindex, ZC_QUEUE,
		    REG_RQ_ENTRIES);
	ASSERT_EQ(0, zcrx_register_ifq(ring1.ring_fd, &r.reg));
	id = r.reg.zcrx_id;
	zc_reg_init(&r, &mem2, self->env.ifindex, ZC_QUEUE, REG_RQ_ENTRIES);
	EXPECT_EQ(-EEXIST, zcrx_register_ifq(ring1.ring_fd, &r.reg))
		TH_LOG("the same queue twice on one ring");
	zc_reg_init(&r, &mem2, self->env.ifindex, ZC_QUEUE, REG_RQ_ENTRIES);
	EXPECT_EQ(-EEXIST, zcrx_register_ifq(ring2.ring_fd, &r.reg))
		TH_LOG("the same queue from a second ring");
	ASSERT_EQ(0, zcrx_info_get(ring1.ring_fd, id, NULL, &n));
	EXPECT_EQ(1, n);
	EXPECT_EQ(-ENOENT, zcrx_info_get(ring2.ring_fd, id, NULL, &n));
	EXPECT_EQ(0, n);

	/* The first ring goes: the queue is free at once. */
	io_uring_queue_exit(&ring1);
	zc_reg_init(&r, &mem2, self->env.ifindex, ZC_QUEUE, REG_RQ_ENTRIES);
	EXPECT_EQ(0, zcrx_register_ifq(ring2.ring_fd, &r.reg))
		TH_LOG("the queue after its ring was closed");
	id = r.reg.zcrx_id;
	ASSERT_EQ(0, zcrx_info_get(ring2.ring_fd, id, &info, &n));
	EXPECT_EQ(1, n);
	EXPECT_EQ((unsigned long long)ZC_QUEUE, info.rxq);
	io_uring_queue_exit(&ring2);
	zc_mem_free(&mem2);
}

/* IORING_REGISTER_PROBE lists IORING_OP_RECV_ZC as supported. */
TEST_F_TIMEOUT(reg, probe, 60)
{
	struct io_uring_probe *probe;
	struct io_uring ring;

	ASSERT_EQ(0, ring_init(&ring, RING_FLAGS, 8, 0));
	probe = io_uring_get_probe_ring(&ring);
	ASSERT_NE(NULL, probe);
	EXPECT_LE(IORING_OP_RECV_ZC, probe->last_op);
	EXPECT_TRUE(io_uring_opcode_supported(probe, IORING_OP_RECV_ZC));
	EXPECT_FALSE(io_uring_opcode_supported(probe, IORING_OP_RECV_ZC + 1));
	io_uring_free_probe(probe);
	io_uring_queue_exit(&ring);
}

/*
 * In a child without CAP_IPC_LOCK and with RLIMIT_MEMLOCK at @limit,
 * register an area of @area_len bytes; returns its result, or 1.
 */
static int memlock_register(int ifindex, size_t area_len, rlim_t limit)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
	int idx = CAP_TO_INDEX(CAP_IPC_LOCK);
	struct rlimit rl = { limit, limit };
	int p[2], ret = 1, status;
	struct io_uring ring;
	struct zc_mem mem;
	struct zc_reg r;
	pid_t pid;

	if (pipe(p))
		return 1;
	pid = fork();
	if (pid == 0) {
		if (syscall(SYS_capget, &hdr, data))
			_exit(1);
		data[idx].effective &= ~CAP_TO_MASK(CAP_IPC_LOCK);
		if (syscall(SYS_capset, &hdr, data) ||
		    setrlimit(RLIMIT_MEMLOCK, &rl) ||
		    ring_init(&ring, RING_FLAGS, 8, 0) ||
		    zc_mem_alloc(&mem, area_len, REG_RQ_ENTRIES, false)) {
			ret = 1;
		} else {
			zc_reg_init(&r, &mem, ifindex, ZC_QUEUE,
				    REG_RQ_ENTRIES);
			ret = zcrx_register_ifq(ring.ring_fd, &r.reg);
			io_uring_queue_exit(&ring);
		}
		_exit(write(p[1], &ret, sizeof(ret)) != sizeof(ret));
	}
	close(p[1]);
	if (pid < 0 || read(p[0], &ret, sizeof(ret)) != sizeof(ret))
		ret = 1;
	close(p[0]);
	if (pid > 0)
		waitpid(pid, &status, 0);
	return ret;
}

/* The area is charged to the locked-memory limit, like registered buffers. */
TEST_F_TIMEOUT(reg, memlock, 120)
{
	EXPECT_EQ(-ENOMEM, memlock_register(self->env.ifindex, 16 * MiB,
					    4 * MiB))
		TH_LOG("a 16 MiB area under a 4 MiB RLIMIT_MEMLOCK");
	check_queue_free(-1, ZC_QUEUE, "memlock limit");
	EXPECT_EQ(0, memlock_register(self->env.ifindex, 2 * MiB, 4 * MiB))
		TH_LOG("a 2 MiB area under a 4 MiB RLIMIT_MEMLOCK");
	check_queue_free(-1, ZC_QUEUE, "after the memlock child exited");
}

TEST_F_TIMEOUT(reg, rx_buf_len, 120)
{
	static const struct {
		__u32 len;
		const char *name;
	} bad[] = {
		{ 3 * 4096, "not a power of two" },
		{ 4096 + 1, "PAGE_SIZE + 1" },
		{ 2048, "below PAGE_SIZE" },
		{ 1U << 21, "2 MiB chunks of a 4 KiB-page area" },
		{ 1U << 31, "2 GiB" },
	};
	struct io_uring ring;
	struct zc_reg r;
	size_t i;
	int ret;

	ASSERT_EQ(0, ring_init(&ring, RING_FLAGS, 8, 0));
	zc_reg_init(&r, &self->mem, self->env.ifindex, ZC_QUEUE,
		    REG_RQ_ENTRIES);
	r.reg.rx_buf_len = pagesz();
	EXPECT_EQ(0, zcrx_register_ifq(ring.ring_fd, &r.reg))
		TH_LOG("rx_buf_len PAGE_SIZE");
	EXPECT_EQ(pagesz(), r.reg.rx_buf_len);
	io_uring_queue_exit(&ring);

	ASSERT_EQ(0, ring_init(&ring, RING_FLAGS, 8, 0));
	zc_reg_init(&r, &self->mem, self->env.ifindex, ZC_QUEUE,
		    REG_RQ_ENTRIES);
	EXPECT_EQ(0, zcrx_register_ifq(ring.ring_fd, &r.reg));
	EXPECT_TRUE(r.reg.rx_buf_len == 0 || r.reg.rx_buf_len == pagesz())
		TH_LOG("rx_buf_len 0 came back as %u", r.reg.rx_buf_len);
	io_uring_queue_exit(&ring);

	ASSERT_EQ(0, ring_init(&ring, RING_FLAGS, 8, 0));
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		zc_reg_init(&r, &self->mem, self->env.ifindex, ZC_QUEUE,
			    REG_RQ_ENTRIES);
		r.reg.rx_buf_len = bad[i].len;
		ret = zcrx_register_ifq(ring.ring_fd, &r.reg);
		if (bad[i].len & (bad[i].len - 1)) {
			EXPECT_EQ(-EINVAL, ret) TH_LOG("%s", bad[i].name);
		} else {
			EXPECT_TRUE(is_one_of(ret, -EINVAL, -ERANGE,
					      -EOPNOTSUPP))
				TH_LOG("%s: %d", bad[i].name, ret);
		}
	}
	check_queue_free(ring.ring_fd, ZC_QUEUE,
			 "bad rx_buf_len");
	io_uring_queue_exit(&ring);
}

TEST_F_TIMEOUT(reg, written_back, 120)
{
	struct io_uring ring;
	struct zc_mem mem2;
	struct zc_reg r1, r2;
	struct zcrx_info info;
	size_t hdr_end;
	int n;

	ASSERT_EQ(0, zc_mem_alloc(&mem2, 2 * REG_AREA_LEN, REG_RQ_ENTRIES,
				  false));
	ASSERT_EQ(0, ring_init(&ring, RING_FLAGS, 8, 0));
	zc_reg_init(&r1, &self->mem, self->env.ifindex, ZC_QUEUE,
		    REG_RQ_ENTRIES);
	ASSERT_EQ(0, zcrx_register_ifq(ring.ring_fd, &r1.reg));
	zc_reg_init(&r2, &mem2, self->env.ifindex, ALT_QUEUE, REG_RQ_ENTRIES);
	ASSERT_EQ(0, zcrx_register_ifq(ring.ring_fd, &r2.reg));

	EXPECT_NE(r1.reg.zcrx_id, r2.reg.zcrx_id);
	EXPECT_EQ((__u32)REG_RQ_ENTRIES, r1.reg.rq_entries);
	/* area_id << 48: nothing below the shift. */
	EXPECT_EQ(0ULL, r1.area.rq_area_token & ~IORING_ZCRX_AREA_MASK);
	EXPECT_EQ(0ULL, r2.area.rq_area_token & ~IORING_ZCRX_AREA_MASK);
	hdr_end = r1.reg.offsets.rqes + (size_t)REG_RQ_ENTRIES *
		  sizeof(struct io_uring_zcrx_rqe);
	EXPECT_LE(hdr_end, self->mem.region_len);
	EXPECT_LT(r1.reg.offsets.head, self->mem.region_len);
	EXPECT_LT(r1.reg.offsets.tail, self->mem.region_len);
	EXPECT_EQ(0U, r1.reg.offsets.rqes % 64);

	ASSERT_EQ(0, zcrx_info_get(ring.ring_fd, r1.reg.zcrx_id, &info, &n));
	EXPECT_EQ(2, n);
	EXPECT_STREQ(IFNAME, info.dev);
	EXPECT_EQ((unsigned long long)self->env.ifindex, info.ifindex);
	EXPECT_EQ((unsigned long long)ZC_QUEUE, info.rxq);
	EXPECT_EQ((unsigned long long)REG_AREA_LEN, info.area_bytes);
	EXPECT_EQ(REG_AREA_LEN / pagesz(), info.bufs);
	EXPECT_EQ(info.bufs, info.free + info.nic + info.user);
	EXPECT_EQ(0ULL, info.user);
	EXPECT_EQ(0ULL, info.zc_bytes);
	EXPECT_EQ(0ULL, info.copy_bytes);
	EXPECT_EQ(0ULL, info.rq_invalid);
	ASSERT_EQ(0, zcrx_info_get(ring.ring_fd, r2.reg.zcrx_id, &info, NULL));
	EXPECT_EQ((unsigned long long)ALT_QUEUE, info.rxq);
	EXPECT_EQ(2 * REG_AREA_LEN, info.area_bytes);

	io_uring_queue_exit(&ring);
	zc_mem_free(&mem2);
}

/*
 * ZCRX_CTRL_FLUSH_RQ: known ids only, nothing reserved set, and invalid
 * entries in the ring are skipped while the call still succeeds.
 */
TEST_F_TIMEOUT(reg, flush_rq, 120)
{
	struct io_uring ring;
	struct zcrx_info info;
	struct zcrx_ctrl ctrl;
	struct zcrx_rq rq;
	struct zc_reg r;
	int ret, i;

	ASSERT_EQ(0, ring_init(&ring, RING_FLAGS, 8, 0));
	zc_reg_init(&r, &self->mem, self->env.ifindex, ZC_QUEUE,
		    REG_RQ_ENTRIES);
	ASSERT_EQ(0, zcrx_register_ifq(ring.ring_fd, &r.reg));
	/* The series implements it: -EINVAL here is a failure, not a skip. */
	ret = zcrx_flush_rq(ring.ring_fd, r.reg.zcrx_id);
	ASSERT_EQ(0, ret) TH_LOG("ZCRX_CTRL_FLUSH_RQ on a registered ifq");
	EXPECT_EQ(-EINVAL, zcrx_flush_rq(ring.ring_fd, r.reg.zcrx_id + 1))
		TH_LOG("unknown ifq id");

#define CTRL_CASE(what, change, nr, alt) do {				\
	memset(&ctrl, 0, sizeof(ctrl));					\
	ctrl.zcrx_id = r.reg.zcrx_id;					\
	ctrl.op = ZCRX_CTRL_FLUSH_RQ;					\
	change;								\
	ret = syscall(__NR_io_uring_register, ring.ring_fd,		\
		      IORING_REGISTER_ZCRX_CTRL, &ctrl, nr);		\
	EXPECT_EQ(-1, ret) TH_LOG("%s", what);				\
	EXPECT_TRUE(errno == EINVAL || errno == (alt))			\
		TH_LOG("%s: errno %d", what, errno);			\
} while (0)
	CTRL_CASE("nr_args 1", (void)0, 1, EINVAL);
	CTRL_CASE("unknown op", ctrl.op = __ZCRX_CTRL_LAST, 0, EOPNOTSUPP);
	CTRL_CASE("__resv[0]", ctrl.__resv[0] = 1, 0, EINVAL);
	CTRL_CASE("__resv[1]", ctrl.__resv[1] = 1, 0, EINVAL);
	CTRL_CASE("zc_flush.__resv[5]", ctrl.zc_flush.__resv[5] = 1, 0,
		  EINVAL);
#undef CTRL_CASE

	/* Four entries that name no buffer of the area. */
	zcrx_rq_init(&rq, self->mem.region, &r.reg, r.area.rq_area_token);
	for (i = 0; i < 4; i++) {
		rq.rqes[rq.tail & (rq.entries - 1)].off =
			r.area.rq_area_token | (REG_AREA_LEN + i * pagesz());
		rq.rqes[rq.tail & (rq.entries - 1)].len = pagesz();
		rq.rqes[rq.tail & (rq.entries - 1)].__pad = 0;
		rq.tail++;
	}
	zcrx_rq_commit(&rq);
	EXPECT_EQ(0, zcrx_flush_rq(ring.ring_fd, r.reg.zcrx_id));
	EXPECT_EQ(rq.tail, __atomic_load_n(rq.khead, __ATOMIC_ACQUIRE));
	ASSERT_EQ(0, zcrx_info_get(ring.ring_fd, r.reg.zcrx_id, &info, NULL));
	EXPECT_EQ(4ULL, info.rq_invalid);
	EXPECT_EQ(0ULL, info.rq_consumed);
	io_uring_queue_exit(&ring);
}

/* Submit one RECV_ZC as @sqe_fix leaves it and wait for its completion. */
static int recv_once(struct io_uring *ring, int fd, __u32 ifq_id,
		     void (*sqe_fix)(struct io_uring_sqe *), __u32 *flags)
{
	struct __kernel_timespec ts = { .tv_sec = 10 };
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	struct io_uring_cqe *cqe;
	int ret;

	zcrx_prep_recv(sqe, fd, 0, ifq_id);
	if (sqe_fix)
		sqe_fix(sqe);
	io_uring_submit(ring);
	ret = io_uring_wait_cqe_timeout(ring, &cqe, &ts);
	if (ret)
		return 1000 + ret;	/* no completion */
	ret = cqe->res;
	*flags = cqe->flags;
	io_uring_cqe_seen(ring, cqe);
	return ret;
}

/* Each breaks one rule of the RECV_ZC SQE. */
static void sqe_addr(struct io_uring_sqe *sqe)
{
	sqe->addr = 4096;
}

static void sqe_addr2(struct io_uring_sqe *sqe)
{
	sqe->off = 1;
}

static void sqe_addr3(struct io_uring_sqe *sqe)
{
	sqe->addr3 = 1;
}

static void sqe_msg_flags(struct io_uring_sqe *sqe)
{
	sqe->msg_flags = 1;
}

static void sqe_oneshot(struct io_uring_sqe *sqe)
{
	sqe->ioprio &= ~IORING_RECV_MULTISHOT;
}

static void sqe_ioprio(struct io_uring_sqe *sqe)
{
	sqe->ioprio |= 1U << 7;
}

static void sqe_fixed(struct io_uring_sqe *sqe)
{
	sqe->ioprio |= 1U << 2;		/* IORING_RECVSEND_FIXED_BUF */
}

static void sqe_bundle(struct io_uring_sqe *sqe)
{
	sqe->ioprio |= 1U << 4;		/* IORING_RECVSEND_BUNDLE */
}

TEST_F_TIMEOUT(reg, recv_args, 120)
{
	static const struct {
		void (*fix)(struct io_uring_sqe *sqe);
		const char *name;
	} bad[] = {
		{ sqe_addr, "addr" }, { sqe_addr2, "addr2" },
		{ sqe_addr3, "addr3" }, { sqe_msg_flags, "msg_flags" },
		{ sqe_oneshot, "ioprio without IORING_RECV_MULTISHOT" },
		{ sqe_ioprio, "unknown ioprio bit" },
		{ sqe_fixed, "IORING_RECVSEND_FIXED_BUF" },
		{ sqe_bundle, "IORING_RECVSEND_BUNDLE" },
	};
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	struct io_uring ring;
	struct zc_reg r;
	int lfd, cfd, sfd, p[2];
	__u32 flags;
	size_t i;
	int ret;

	ASSERT_EQ(0, ring_init(&ring, RING_FLAGS, 8, 0));
	zc_reg_init(&r, &self->mem, self->env.ifindex, ZC_QUEUE,
		    REG_RQ_ENTRIES);
	ASSERT_EQ(0, zcrx_register_ifq(ring.ring_fd, &r.reg));

	/* A connected TCP socket over lo of namespace B. */
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT_GE(lfd, 0);
	ASSERT_EQ(0, bind(lfd, (struct sockaddr *)&sin, sizeof(sin)));
	ASSERT_EQ(0, listen(lfd, 1));
	ASSERT_EQ(0, getsockname(lfd, (struct sockaddr *)&sin, &len));
	cfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT_GE(cfd, 0);
	ASSERT_EQ(0, connect(cfd, (struct sockaddr *)&sin, sizeof(sin)));
	sfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	ASSERT_GE(sfd, 0);

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		flags = ~0U;
		ret = recv_once(&ring, sfd, r.reg.zcrx_id, bad[i].fix, &flags);
		EXPECT_EQ(-EINVAL, ret) TH_LOG("%s", bad[i].name);
		EXPECT_EQ(0U, flags & IORING_CQE_F_MORE) TH_LOG("%s", bad[i].name);
	}
	flags = ~0U;
	ret = recv_once(&ring, sfd, r.reg.zcrx_id + 1, NULL, &flags);
	EXPECT_EQ(-EINVAL, ret) TH_LOG("unknown ifq id");
	EXPECT_EQ(0U, flags & IORING_CQE_F_MORE);

	ASSERT_EQ(0, pipe(p));
	flags = ~0U;
	ret = recv_once(&ring, p[0], r.reg.zcrx_id, NULL, &flags);
	EXPECT_EQ(-ENOTSOCK, ret) TH_LOG("a pipe");
	EXPECT_EQ(0U, flags & IORING_CQE_F_MORE);

	io_uring_queue_exit(&ring);
	close(p[0]);
	close(p[1]);
	close(sfd);
	close(cfd);
	close(lfd);
}

/* ---- transfers ---------------------------------------------------------- */

FIXTURE(xfer)
{
	struct env env;
};

FIXTURE_VARIANT(xfer)
{
	int family;
	uint64_t size;
	bool kregion;		/* the kernel allocates the refill ring */
	bool async;		/* requests go through io-wq first */
	bool poll_first;	/* requests wait for data before trying */
};

FIXTURE_VARIANT_ADD(xfer, ipv4_1b)
{
	.family = AF_INET,
	.size = 1,
};

FIXTURE_VARIANT_ADD(xfer, ipv4_4k)
{
	.family = AF_INET,
	.size = 4 * KiB,
};

FIXTURE_VARIANT_ADD(xfer, ipv4_1m)
{
	.family = AF_INET,
	.size = MiB,
};

FIXTURE_VARIANT_ADD(xfer, ipv6_1b)
{
	.family = AF_INET6,
	.size = 1,
};

FIXTURE_VARIANT_ADD(xfer, ipv6_4k)
{
	.family = AF_INET6,
	.size = 4 * KiB,
};

FIXTURE_VARIANT_ADD(xfer, ipv6_1m)
{
	.family = AF_INET6,
	.size = MiB,
};

FIXTURE_VARIANT_ADD(xfer, ipv4_1m_kernel_region)
{
	.family = AF_INET,
	.size = MiB,
	.kregion = true,
};

FIXTURE_VARIANT_ADD(xfer, ipv4_4m_iosqe_async)
{
	.family = AF_INET,
	.size = 4 * MiB,
	.async = true,
};

FIXTURE_VARIANT_ADD(xfer, ipv4_4m_poll_first)
{
	.family = AF_INET,
	.size = 4 * MiB,
	.poll_first = true,
};

FIXTURE_VARIANT_ADD(xfer, ipv4_64m)
{
	.family = AF_INET,
	.size = 64 * MiB,
};

FIXTURE_VARIANT_ADD(xfer, ipv4_256m)
{
	.family = AF_INET,
	.size = 256 * MiB,
};

FIXTURE_SETUP(xfer)
{
	ASSERT_EQ(0, env_get(&self->env));
}

FIXTURE_TEARDOWN(xfer)
{
	EXPECT_EQ(0, env_put(&self->env));
}

/* Page pool statistic @name of the io_uring-fed pools of eth0, or -1. */
static long long pp_stat(const char *name)
{
	long long val = -1;
	char cmd[128];
	FILE *f;

	snprintf(cmd, sizeof(cmd), "./zcrx_nic %s ppstat %s", IFNAME, name);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%lld", &val) != 1)
		val = -1;
	if (pclose(f))
		val = -1;
	return val;
}

TEST_F_TIMEOUT(xfer, zc, 400)
{
	long long split0, bytes0, fast, refill, empty;
	struct zcrx_info info;
	struct stream *s;
	struct ifq q;
	struct rx rx;
	int lfd, fd;
	pid_t tx;

	ASSERT_EQ(0, steer(variant->family, PORT, ZC_QUEUE, RULE_LOC));
	ASSERT_EQ(0, rx_init(&rx, SQ_ENTRIES, CQ_ENTRIES));
	rx.async = variant->async;
	rx.poll_first = variant->poll_first;
	ASSERT_EQ(0, ifq_open(rx.ring.ring_fd, &q, self->env.ifindex,
			      ZC_QUEUE, AREA_LEN, RQ_ENTRIES,
			      variant->kregion));
	split0 = zcrx_counter(self->env.ns_b, "rx1_split");
	bytes0 = zcrx_counter(self->env.ns_b, "rx1_bytes");
	ASSERT_GE(split0, 0);
	ASSERT_GE(bytes0, 0);
	lfd = tcp_listen(variant->family, PORT);
	ASSERT_GE(lfd, 0);
	tx = start_sender(&self->env, variant->family, PORT, variant->size,
			  false);
	ASSERT_GT(tx, 0);
	fd = tcp_accept(lfd, 60000);
	ASSERT_GE(fd, 0);
	s = rx_add(&rx, fd, &q);

	EXPECT_EQ(0, rx_run(&rx, 0));
	EXPECT_STREAM_OK(&rx, s, variant->size);
	EXPECT_EQ(0, reap_sender(&self->env, tx));

	check_drained(_metadata, &rx, &q, &info);
	EXPECT_EQ(variant->size, info.zc_bytes);
	EXPECT_EQ(0ULL, info.copy_bytes);
	EXPECT_EQ(0ULL, info.copy_count);
	EXPECT_EQ(0ULL, info.rq_invalid);
	/* One refill entry per data completion. */
	EXPECT_EQ((uint64_t)s->data_cqes, q.returned + rx.backlog.nr);

	/*
	 * The NIC's side of the story.  Queue 1 split every frame of the
	 * stream (at most 64 KiB of payload each), and the page pool that
	 * io_uring feeds handed out a buffer for every page of it: a buffer
	 * comes from the pool's cache (alloc-fast), from its ring (refill) or
	 * from the provider after both ran dry (at most once per empty).
	 */
	EXPECT_GE(zcrx_counter(self->env.ns_b, "rx1_bytes") - bytes0,
		  (long long)variant->size);
	EXPECT_GE(zcrx_counter(self->env.ns_b, "rx1_split") - split0,
		  (long long)((variant->size + 65535) / 65536));
	fast = pp_stat("alloc-fast");
	refill = pp_stat("alloc-refill");
	empty = pp_stat("alloc-empty");
	ASSERT_GE(fast, 0);
	ASSERT_GE(refill, 0);
	ASSERT_GE(empty, 0);
	EXPECT_GE(fast + refill + empty,
		  (long long)((info.zc_bytes + pagesz() - 1) / pagesz()))
		TH_LOG("pool: alloc-fast %lld refill %lld empty %lld", fast,
		       refill, empty);

	rx_exit(&rx);
	ifq_free(&q);
	close(lfd);
}

/* ---- the rest ----------------------------------------------------------- */

FIXTURE(zcrx)
{
	struct env env;
};

FIXTURE_SETUP(zcrx)
{
	ASSERT_EQ(0, env_get(&self->env));
}

FIXTURE_TEARDOWN(zcrx)
{
	EXPECT_EQ(0, env_put(&self->env));
}

/* Several connections to one steered port share one ifq. */
TEST_F_TIMEOUT(zcrx, connections, 300)
{
	const uint64_t size = 4 * MiB;
	struct zcrx_info info;
	pid_t tx[MAX_STREAMS];
	struct ifq q;
	struct rx rx;
	int lfd, fd, i;

	ASSERT_EQ(0, steer(AF_INET, PORT, ZC_QUEUE, RULE_LOC));
	ASSERT_EQ(0, rx_init(&rx, SQ_ENTRIES, CQ_ENTRIES));
	ASSERT_EQ(0, ifq_open(rx.ring.ring_fd, &q, self->env.ifindex,
			      ZC_QUEUE, AREA_LEN, RQ_ENTRIES, false));
	lfd = tcp_listen(AF_INET, PORT);
	ASSERT_GE(lfd, 0);
	for (i = 0; i < MAX_STREAMS; i++) {
		tx[i] = start_sender(&self->env, AF_INET, PORT, size, false);
		ASSERT_GT(tx[i], 0);
	}
	for (i = 0; i < MAX_STREAMS; i++) {
		fd = tcp_accept(lfd, 60000);
		ASSERT_GE(fd, 0);
		rx_add(&rx, fd, &q);
	}

	EXPECT_EQ(0, rx_run(&rx, 0));
	for (i = 0; i < MAX_STREAMS; i++) {
		EXPECT_STREAM_OK(&rx, &rx.st[i], size);
		EXPECT_EQ(0, reap_sender(&self->env, tx[i]));
	}
	check_drained(_metadata, &rx, &q, &info);
	EXPECT_EQ(MAX_STREAMS * size, info.zc_bytes);
	EXPECT_EQ(0ULL, info.copy_bytes);

	rx_exit(&rx);
	ifq_free(&q);
	close(lfd);
}

/* Two ifqs of one ring, on two queues, each fed by its own flow. */
TEST_F_TIMEOUT(zcrx, two_ifqs, 300)
{
	const uint64_t size = 4 * MiB;
	struct zcrx_info info;
	struct stream *s1, *s2;
	struct ifq q1, q2;
	struct rx rx;
	int l1, l2, fd, n;
	pid_t t1, t2;

	ASSERT_EQ(0, steer(AF_INET, PORT, ZC_QUEUE, RULE_LOC));
	ASSERT_EQ(0, steer(AF_INET, PORT2, ALT_QUEUE, RULE_LOC2));
	ASSERT_EQ(0, rx_init(&rx, SQ_ENTRIES, CQ_ENTRIES));
	ASSERT_EQ(0, ifq_open(rx.ring.ring_fd, &q1, self->env.ifindex,
			      ZC_QUEUE, AREA_LEN, RQ_ENTRIES, false));
	ASSERT_EQ(0, ifq_open(rx.ring.ring_fd, &q2, self->env.ifindex,
			      ALT_QUEUE, AREA_LEN / 2, RQ_ENTRIES, true));
	EXPECT_NE(q1.id, q2.id);

	l1 = tcp_listen(AF_INET, PORT);
	ASSERT_GE(l1, 0);
	l2 = tcp_listen(AF_INET, PORT2);
	ASSERT_GE(l2, 0);
	t1 = start_sender(&self->env, AF_INET, PORT, size, false);
	ASSERT_GT(t1, 0);
	t2 = start_sender(&self->env, AF_INET, PORT2, size / 2, false);
	ASSERT_GT(t2, 0);
	fd = tcp_accept(l1, 60000);
	ASSERT_GE(fd, 0);
	s1 = rx_add(&rx, fd, &q1);
	fd = tcp_accept(l2, 60000);
	ASSERT_GE(fd, 0);
	s2 = rx_add(&rx, fd, &q2);

	EXPECT_EQ(0, rx_run(&rx, 0));
	EXPECT_STREAM_OK(&rx, s1, size);
	EXPECT_STREAM_OK(&rx, s2, size / 2);
	EXPECT_EQ(0, reap_sender(&self->env, t1));
	EXPECT_EQ(0, reap_sender(&self->env, t2));

	check_drained(_metadata, &rx, &q1, &info);
	EXPECT_EQ(size, info.zc_bytes);
	EXPECT_EQ(0ULL, info.copy_bytes);
	EXPECT_EQ((unsigned long long)ZC_QUEUE, info.rxq);
	check_drained(_metadata, &rx, &q2, &info);
	EXPECT_EQ(size / 2, info.zc_bytes);
	EXPECT_EQ(0ULL, info.copy_bytes);
	EXPECT_EQ((unsigned long long)ALT_QUEUE, info.rxq);
	ASSERT_EQ(0, zcrx_info_get(rx.ring.ring_fd, q1.id, NULL, &n));
	EXPECT_EQ(2, n);

	rx_exit(&rx);
	ifq_free(&q1);
	ifq_free(&q2);
	close(l1);
	close(l2);
}

/*
 * The flow lands on a queue with ordinary pages: every byte is copied into
 * area buffers, and still arrives right.
 */
TEST_F_TIMEOUT(zcrx, copy_fallback, 300)
{
	const uint64_t size = 4 * MiB;
	struct zcrx_info info;
	struct stream *s;
	struct ifq q;
	struct rx rx;
	int lfd, fd;
	pid_t tx;

	ASSERT_EQ(0, steer(AF_INET, PORT, ALT_QUEUE, RULE_LOC));
	ASSERT_EQ(0, rx_init(&rx, SQ_ENTRIES, CQ_ENTRIES));
	ASSERT_EQ(0, ifq_open(rx.ring.ring_fd, &q, self->env.ifindex,
			      ZC_QUEUE, AREA_LEN, RQ_ENTRIES, false));
	lfd = tcp_listen(AF_INET, PORT);
	ASSERT_GE(lfd, 0);
	tx = start_sender(&self->env, AF_INET, PORT, size, false);
	ASSERT_GT(tx, 0);
	fd = tcp_accept(lfd, 60000);
	ASSERT_GE(fd, 0);
	s = rx_add(&rx, fd, &q);

	EXPECT_EQ(0, rx_run(&rx, 0));
	EXPECT_STREAM_OK(&rx, s, size);
	EXPECT_EQ(0, reap_sender(&self->env, tx));
	check_drained(_metadata, &rx, &q, &info);
	EXPECT_EQ(size, info.copy_bytes);
	EXPECT_EQ(0ULL, info.zc_bytes);
	EXPECT_GE(info.copy_count, 1ULL);
	EXPECT_LE(info.copy_count, (unsigned long long)s->data_cqes);

	rx_exit(&rx);
	ifq_free(&q);
	close(lfd);
}

/* A request with len N ends, with res 0, after exactly N bytes. */
/*
 * A pending RECV_ZC is cancelled with IORING_OP_ASYNC_CANCEL three times
 * mid-stream; each new request picks up where the last one stopped.
 */
TEST_F_TIMEOUT(zcrx, cancel, 300)
{
	const uint64_t size = 16 * MiB;
	struct io_uring_sqe *sqe;
	struct stream *s;
	struct ifq q;
	struct rx rx;
	int lfd, fd;
	uint64_t t0;
	pid_t tx;
	unsigned int i;

	ASSERT_EQ(0, steer(AF_INET, PORT, ZC_QUEUE, RULE_LOC));
	ASSERT_EQ(0, rx_init(&rx, SQ_ENTRIES, CQ_ENTRIES));
	ASSERT_EQ(0, ifq_open(rx.ring.ring_fd, &q, self->env.ifindex,
			      ZC_QUEUE, AREA_LEN, RQ_ENTRIES, false));
	lfd = tcp_listen(AF_INET, PORT);
	ASSERT_GE(lfd, 0);
	tx = start_sender(&self->env, AF_INET, PORT, size, false);
	ASSERT_GT(tx, 0);
	fd = tcp_accept(lfd, 60000);
	ASSERT_GE(fd, 0);
	s = rx_add(&rx, fd, &q);

	for (i = 1; i <= 3; i++) {
		ASSERT_EQ(0, rx_run(&rx, i * MiB));
		ASSERT_TRUE(s->armed);
		s->cancels++;
		s->pause = true;
		sqe = io_uring_get_sqe(&rx.ring);
		ASSERT_NE(NULL, sqe);
		io_uring_prep_cancel64(sqe, s - rx.st, 0);
		io_uring_sqe_set_data64(sqe, CANCEL_UD);
		t0 = now_ms();
		while ((s->armed || rx.cancel_cqes < i) &&
		       now_ms() - t0 < STALL_MS)
			ASSERT_LE(0, rx_step(&rx, 1000));
		EXPECT_EQ(i, rx.cancel_cqes);
		EXPECT_EQ(0, rx.cancel_res);
		EXPECT_EQ(i, s->cancelled);
		EXPECT_FALSE(s->armed);
		s->pause = false;
	}

	EXPECT_EQ(0, rx_run(&rx, 0));
	EXPECT_STREAM_OK(&rx, s, size);
	EXPECT_EQ(0, reap_sender(&self->env, tx));
	rx_exit(&rx);
	ifq_free(&q);
	close(lfd);
}

TEST_F_TIMEOUT(zcrx, len_limit, 300)
{
	static const uint64_t limits[] = {
		1, 4095, 4096, 4097, 65536, 300000, 1,
	};
	uint64_t total = MiB, expect = 0;
	struct zcrx_info info;
	struct stream *s;
	unsigned int i;
	struct ifq q;
	struct rx rx;
	int lfd, fd;
	pid_t tx;

	for (i = 0; i < ARRAY_SIZE(limits); i++)
		total += limits[i];
	ASSERT_EQ(0, steer(AF_INET, PORT, ZC_QUEUE, RULE_LOC));
	ASSERT_EQ(0, rx_init(&rx, SQ_ENTRIES, CQ_ENTRIES));
	ASSERT_EQ(0, ifq_open(rx.ring.ring_fd, &q, self->env.ifindex,
			      ZC_QUEUE, AREA_LEN, RQ_ENTRIES, false));
	lfd = tcp_listen(AF_INET, PORT);
	ASSERT_GE(lfd, 0);
	tx = start_sender(&self->env, AF_INET, PORT, total, false);
	ASSERT_GT(tx, 0);
	fd = tcp_accept(lfd, 60000);
	ASSERT_GE(fd, 0);
	s = rx_add(&rx, fd, &q);

	for (i = 0; i < ARRAY_SIZE(limits); i++) {
		s->limit = limits[i];
		s->req_bytes = 0;
		s->pause = false;
		ASSERT_EQ(0, rx_run(&rx, 0)) TH_LOG("len %llu",
				(unsigned long long)limits[i]);
		expect += limits[i];
		EXPECT_EQ(i + 1, s->limits);
		EXPECT_EQ(limits[i], s->req_bytes);
		EXPECT_EQ(expect, s->off);
		EXPECT_EQ(0, s->err);
		EXPECT_FALSE(s->eof);
	}
	/* The rest, without a limit: nothing was lost between requests. */
	s->limit = 0;
	s->pause = false;
	EXPECT_EQ(0, rx_run(&rx, 0));
	EXPECT_STREAM_OK(&rx, s, total);
	EXPECT_EQ(0, reap_sender(&self->env, tx));
	check_drained(_metadata, &rx, &q, &info);
	EXPECT_EQ(total, info.zc_bytes);

	rx_exit(&rx);
	ifq_free(&q);
	close(lfd);
}

/*
 * An area of 16 buffers, none returned: the transfer stalls with the
 * buffers with the user and their bytes intact; returning them lets it
 * finish.
 */
TEST_F_TIMEOUT(zcrx, area_exhaustion, 300)
{
	const size_t area = 16 * pagesz();
	const uint64_t size = MiB;
	struct zcrx_info info;
	struct stream *s;
	uint64_t start;
	struct ifq q;
	struct rx rx;
	int lfd, fd, ret;
	pid_t tx;

	ASSERT_EQ(0, steer(AF_INET, PORT, ZC_QUEUE, RULE_LOC));
	ASSERT_EQ(0, rx_init(&rx, SQ_ENTRIES, CQ_ENTRIES));
	ASSERT_EQ(0, ifq_open(rx.ring.ring_fd, &q, self->env.ifindex,
			      ZC_QUEUE, area, 64, false));
	lfd = tcp_listen(AF_INET, PORT);
	ASSERT_GE(lfd, 0);
	tx = start_sender(&self->env, AF_INET, PORT, size, false);
	ASSERT_GT(tx, 0);
	fd = tcp_accept(lfd, 60000);
	ASSERT_GE(fd, 0);
	s = rx_add(&rx, fd, &q);
	rx.hold = true;
	rx.allow_enomem = true;

	/* Until nothing arrives for two seconds. */
	start = now_ms();
	do {
		ret = rx_step(&rx, 2000);
		ASSERT_GE(ret, 0);
		ASSERT_LT(now_ms() - start, 120000ULL) TH_LOG("never stalled");
	} while (ret > 0 && stream_live(s));

	EXPECT_TRUE(stream_live(s)) TH_LOG("ended with %d", s->err);
	EXPECT_LT(s->off, size) TH_LOG("everything arrived in 16 buffers");
	EXPECT_LE(s->off, (uint64_t)area);
	EXPECT_LE(rx_held_bufs(&rx), area / pagesz());
	EXPECT_EQ(0U, rx_held_corrupt(&rx))
		TH_LOG("buffers changed while the user held them");
	ASSERT_EQ(0, zcrx_info_get(rx.ring.ring_fd, q.id, &info, NULL));
	EXPECT_EQ((unsigned long long)rx_held_bufs(&rx), info.user);
	EXPECT_EQ(info.bufs, info.free + info.nic + info.user);
	EXPECT_EQ(16ULL, info.bufs);
	TH_LOG("stalled after %llu bytes in %zu buffers",
	       (unsigned long long)s->off, rx_held_bufs(&rx));

	rx.hold = false;
	rx_release(&rx);
	EXPECT_EQ(0, rx_run(&rx, 0));
	EXPECT_STREAM_OK(&rx, s, size);
	EXPECT_EQ(0, reap_sender(&self->env, tx));
	check_drained(_metadata, &rx, &q, &info);
	EXPECT_EQ(size, info.zc_bytes + info.copy_bytes);
	EXPECT_EQ(0ULL, info.copy_bytes);

	rx_exit(&rx);
	ifq_free(&q);
	close(lfd);
}

/*
 * The copy fallback with every buffer it got held by the test: once the
 * freelist is empty the request ends with -ENOMEM; returning the buffers
 * lets the stream finish, every byte copied and correct.
 */
TEST_F_TIMEOUT(zcrx, copy_exhaustion, 300)
{
	const size_t area = 256 * pagesz();
	const uint64_t size = 4 * MiB;
	struct zcrx_info info;
	struct stream *s;
	uint64_t start;
	struct ifq q;
	struct rx rx;
	int lfd, fd;
	pid_t tx;

	/* the flow lands on ordinary pages: everything is copied */
	ASSERT_EQ(0, steer(AF_INET, PORT, ALT_QUEUE, RULE_LOC));
	ASSERT_EQ(0, rx_init(&rx, SQ_ENTRIES, CQ_ENTRIES));
	ASSERT_EQ(0, ifq_open(rx.ring.ring_fd, &q, self->env.ifindex,
			      ZC_QUEUE, area, RQ_ENTRIES, false));
	lfd = tcp_listen(AF_INET, PORT);
	ASSERT_GE(lfd, 0);
	tx = start_sender(&self->env, AF_INET, PORT, size, false);
	ASSERT_GT(tx, 0);
	fd = tcp_accept(lfd, 60000);
	ASSERT_GE(fd, 0);
	s = rx_add(&rx, fd, &q);
	rx.hold = true;
	rx.allow_enomem = true;

	start = now_ms();
	while (!s->enomem) {
		ASSERT_LE(0, rx_step(&rx, 1000));
		ASSERT_TRUE(stream_live(s)) TH_LOG("ended with %d", s->err);
		ASSERT_LT(now_ms() - start, 120000ULL)
			TH_LOG("the copy fallback never ran out of buffers");
	}
	EXPECT_LT(s->off, size);
	EXPECT_EQ(0U, rx_held_corrupt(&rx))
		TH_LOG("buffers changed while the user held them");
	ASSERT_EQ(0, zcrx_info_get(rx.ring.ring_fd, q.id, &info, NULL));
	EXPECT_EQ(0ULL, info.free);
	EXPECT_EQ((unsigned long long)rx_held_bufs(&rx), info.user);
	TH_LOG("-ENOMEM after %llu bytes in %zu buffers",
	       (unsigned long long)s->off, rx_held_bufs(&rx));

	rx.hold = false;
	rx_release(&rx);
	EXPECT_EQ(0, rx_run(&rx, 0));
	EXPECT_STREAM_OK(&rx, s, size);
	EXPECT_EQ(0, reap_sender(&self->env, tx));
	check_drained(_metadata, &rx, &q, &info);
	EXPECT_EQ(size, info.copy_bytes);
	EXPECT_EQ(0ULL, info.zc_bytes);

	rx_exit(&rx);
	ifq_free(&q);
	close(lfd);
}

/* A CQ of 4 entries, not reaped: -ENOSPC ends the request, nothing lost. */
TEST_F_TIMEOUT(zcrx, cq_overflow, 300)
{
	const uint64_t size = 2 * MiB;
	struct io_uring_cqe *cqe;
	struct zcrx_info info;
	struct stream *s;
	unsigned int head;
	uint64_t start;
	bool over = false, ended;
	struct ifq q;
	struct rx rx;
	int lfd, fd;
	pid_t tx;

	ASSERT_EQ(0, steer(AF_INET, PORT, ZC_QUEUE, RULE_LOC));
	ASSERT_EQ(0, rx_init(&rx, 4, 4));
	ASSERT_EQ(0, ifq_open(rx.ring.ring_fd, &q, self->env.ifindex,
			      ZC_QUEUE, AREA_LEN, RQ_ENTRIES, false));
	lfd = tcp_listen(AF_INET, PORT);
	ASSERT_GE(lfd, 0);
	tx = start_sender(&self->env, AF_INET, PORT, size, false);
	ASSERT_GT(tx, 0);
	fd = tcp_accept(lfd, 60000);
	ASSERT_GE(fd, 0);
	s = rx_add(&rx, fd, &q);

	/* Run task work without reaping until the request has ended. */
	ASSERT_EQ(0, rx_arm(&rx, s));
	ASSERT_EQ(1, io_uring_submit(&rx.ring));
	start = now_ms();
	while (now_ms() - start < 60000) {
		io_uring_get_events(&rx.ring);
		over = IO_URING_READ_ONCE(*rx.ring.sq.kflags) &
		       IORING_SQ_CQ_OVERFLOW;
		ended = false;
		io_uring_for_each_cqe(&rx.ring, head, cqe)
			if (!(cqe->flags & IORING_CQE_F_MORE))
				ended = true;
		if (over || ended)
			break;
		usleep(50 * 1000);
	}
	TH_LOG("CQ %s after %llu ms", over ? "overflowed" : "not overflowed",
	       (unsigned long long)(now_ms() - start));

	/* Now reap, re-issuing after each -ENOSPC. */
	EXPECT_EQ(0, rx_run(&rx, 0));
	EXPECT_STREAM_OK(&rx, s, size);
	EXPECT_GE(s->enospc, 1U);
	EXPECT_EQ(0, reap_sender(&self->env, tx));
	check_drained(_metadata, &rx, &q, &info);
	EXPECT_EQ(size, info.zc_bytes);

	rx_exit(&rx);
	ifq_free(&q);
	close(lfd);
}

/* Write one raw refill entry at the user's tail. */
static void rq_put_raw(struct ifq *q, __u64 off, __u32 len, __u32 pad)
{
	struct io_uring_zcrx_rqe *rqe;

	rqe = &q->rq.rqes[q->rq.tail & (q->rq.entries - 1)];
	rqe->off = off;
	rqe->len = len;
	rqe->__pad = pad;
	q->rq.tail++;
}

/*
 * Wait until the kernel's head reaches @target, without entering the ring:
 * no task work runs, so no completion hands a buffer to the user in the
 * meantime.  The kernel consumes the ring when asked (ZCRX_CTRL_FLUSH_RQ)
 * or when the queue needs buffers for data still arriving.
 */
static bool rq_settle(struct rx *rx, struct ifq *q, __u32 target, int ms)
{
	uint64_t start = now_ms();

	do {
		if (!rx->no_flush && zcrx_flush_rq(rx->ring.ring_fd, q->id))
			rx->no_flush = true;
		if (rq_khead(q) == target)
			return true;
		usleep(20 * 1000);
	} while (now_ms() - start < (uint64_t)ms);
	return false;
}

/*
 * Garbage in the refill ring mid-transfer: duplicates, offsets out of the
 * area, a foreign area id, non-zero padding, zero and huge lengths, then a
 * head overwritten by the user and a tail more than a lap ahead.  While it
 * is consumed the user owns no buffer, so nothing in it may count as a
 * return; the transfer then completes with every byte right.
 */
TEST_F_TIMEOUT(zcrx, refill_garbage, 300)
{
	const uint64_t size = 16 * MiB;
	const unsigned int entries = 64;
	int rcvbuf = 8 * MiB;
	struct zcrx_info before, info, info2;
	unsigned int put, sure;
	__u64 last, token;
	struct stream *s;
	uint64_t start;
	struct ifq q;
	struct rx rx;
	int lfd, fd;
	pid_t tx;
	__u32 t;

	ASSERT_EQ(0, steer(AF_INET, PORT, ZC_QUEUE, RULE_LOC));
	ASSERT_EQ(0, rx_init(&rx, SQ_ENTRIES, CQ_ENTRIES));
	ASSERT_EQ(0, ifq_open(rx.ring.ring_fd, &q, self->env.ifindex,
			      ZC_QUEUE, 8 * MiB, entries, false));
	token = q.token;
	lfd = tcp_listen(AF_INET, PORT);
	ASSERT_GE(lfd, 0);
	/* Room for data to keep arriving while the ring is not entered. */
	ASSERT_EQ(0, setsockopt(lfd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
				sizeof(rcvbuf)));
	tx = start_sender(&self->env, AF_INET, PORT, size, false);
	ASSERT_GT(tx, 0);
	fd = tcp_accept(lfd, 60000);
	ASSERT_GE(fd, 0);
	s = rx_add(&rx, fd, &q);

	/* Some data normally, then every buffer back and consumed. */
	ASSERT_EQ(0, rx_run(&rx, MiB));
	ASSERT_TRUE(stream_live(s));
	start = now_ms();
	while (rx.backlog.nr && now_ms() - start < STALL_MS) {
		rx_push_backlog(&rx);
		usleep(20 * 1000);
	}
	ASSERT_EQ(0UL, rx.backlog.nr);
	ASSERT_TRUE(rq_settle(&rx, &q, q.rq.tail, STALL_MS));
	ASSERT_EQ(0, zcrx_info_get(rx.ring.ring_fd, q.id, &before, NULL));
	ASSERT_EQ(0ULL, before.user);
	last = q.rq.rqes[(q.rq.tail - 1) & (entries - 1)].off;

	/* Entries that can only be invalid... */
	rq_put_raw(&q, token | q.mem.area_len, pagesz(), 0);
	rq_put_raw(&q, token | (q.mem.area_len + 64 * pagesz()), 1, 0);
	rq_put_raw(&q, token | ~IORING_ZCRX_AREA_MASK, pagesz(), 0);
	rq_put_raw(&q, (token ^ (1ULL << IORING_ZCRX_AREA_SHIFT)) |
		       (last & ~IORING_ZCRX_AREA_MASK), pagesz(), 0);
	rq_put_raw(&q, last, pagesz(), 1);
	rq_put_raw(&q, last, pagesz(), 0x80000000);
	sure = 6;
	/* ...and some naming a buffer the user gave back already. */
	rq_put_raw(&q, last, pagesz(), 0);
	rq_put_raw(&q, last, pagesz(), 0);
	rq_put_raw(&q, last, 0, 0);
	rq_put_raw(&q, last, ~0U, 0);
	put = 10;
	zcrx_rq_commit(&q.rq);
	ASSERT_TRUE(rq_settle(&rx, &q, q.rq.tail, STALL_MS))
		TH_LOG("the garbage was never consumed");
	ASSERT_EQ(0, zcrx_info_get(rx.ring.ring_fd, q.id, &info, NULL));
	EXPECT_EQ(before.rq_consumed, info.rq_consumed);
	EXPECT_GE(info.rq_invalid - before.rq_invalid,
		  (unsigned long long)sure);
	EXPECT_LE(info.rq_invalid - before.rq_invalid,
		  (unsigned long long)put);
	EXPECT_EQ(0ULL, info.user);

	/* A head the user scribbled on, and a tail more than a lap ahead. */
	t = q.rq.tail;
	__atomic_store_n(q.rq.khead, t + 12345, __ATOMIC_RELEASE);
	__atomic_store_n(q.rq.ktail, t + entries + 5, __ATOMIC_RELEASE);
	ASSERT_TRUE(rq_settle(&rx, &q, t + entries + 5, STALL_MS))
		TH_LOG("head %u, tail %u", rq_khead(&q), t + entries + 5);
	q.rq.tail = t + entries + 5;
	ASSERT_EQ(0, zcrx_info_get(rx.ring.ring_fd, q.id, &info2, NULL));
	EXPECT_EQ(before.rq_consumed, info2.rq_consumed);
	EXPECT_GT(info2.rq_invalid, info.rq_invalid);
	EXPECT_EQ(0ULL, info2.user);
	EXPECT_EQ(info2.bufs, info2.free + info2.nic + info2.user);

	/* The rest of the transfer, as if nothing happened. */
	EXPECT_EQ(0, rx_run(&rx, 0));
	EXPECT_STREAM_OK(&rx, s, size);
	EXPECT_EQ(0, reap_sender(&self->env, tx));
	check_drained(_metadata, &rx, &q, &info);
	EXPECT_EQ(size, info.zc_bytes);
	EXPECT_EQ(0ULL, info.copy_bytes);

	rx_exit(&rx);
	ifq_free(&q);
	close(lfd);
}

/*
 * A new connection of @size bytes to PORT through @q on @rx's ring, checked
 * through: the queue works for its new owner.
 */
static void transfer_check(struct __test_metadata *_metadata, struct env *e,
			   struct rx *rx, struct ifq *q, int lfd, uint64_t size)
{
	struct zcrx_info before, info;
	struct stream *s;
	pid_t tx;
	int fd;

	ASSERT_EQ(0, zcrx_info_get(rx->ring.ring_fd, q->id, &before, NULL));
	tx = start_sender(e, AF_INET, PORT, size, false);
	ASSERT_GT(tx, 0);
	fd = tcp_accept(lfd, 60000);
	ASSERT_GE(fd, 0);
	s = rx_add(rx, fd, q);
	EXPECT_EQ(0, rx_run(rx, 0));
	EXPECT_STREAM_OK(rx, s, size);
	EXPECT_EQ(0, reap_sender(e, tx));
	check_drained(_metadata, rx, q, &info);
	EXPECT_EQ(size, info.zc_bytes - before.zc_bytes);
	EXPECT_EQ(before.copy_bytes, info.copy_bytes);
}

/*
 * The ring goes away with a receive in flight, data arriving, buffers held
 * and completions not reaped; the queue takes a new registration at once
 * and serves a new connection zero-copy.
 */
TEST_F_TIMEOUT(zcrx, ring_close_in_flight, 300)
{
	struct stream *s;
	struct ifq q, q2;
	struct rx rx, rx2;
	int lfd, fd, i;
	pid_t tx;

	ASSERT_EQ(0, steer(AF_INET, PORT, ZC_QUEUE, RULE_LOC));
	ASSERT_EQ(0, rx_init(&rx, SQ_ENTRIES, CQ_ENTRIES));
	ASSERT_EQ(0, ifq_open(rx.ring.ring_fd, &q, self->env.ifindex,
			      ZC_QUEUE, AREA_LEN, RQ_ENTRIES, false));
	lfd = tcp_listen(AF_INET, PORT);
	ASSERT_GE(lfd, 0);
	tx = start_sender(&self->env, AF_INET, PORT, 1ULL << 40, false);
	ASSERT_GT(tx, 0);
	fd = tcp_accept(lfd, 60000);
	ASSERT_GE(fd, 0);
	s = rx_add(&rx, fd, &q);

	ASSERT_EQ(0, rx_run(&rx, 512 * KiB));
	EXPECT_EQ(0, s->err);
	EXPECT_EQ(UINT64_MAX, s->bad);
	EXPECT_EQ(0U, rx.violations) TH_LOG("%s", rx.why);
	/* Keep the next buffers, leave completions in the CQ, then close. */
	rx.hold = true;
	for (i = 0; i < 3; i++)
		rx_step(&rx, 200);
	io_uring_submit_and_wait(&rx.ring, 0);
	io_uring_get_events(&rx.ring);
	rx_exit(&rx);

	ASSERT_EQ(0, rx_init(&rx2, SQ_ENTRIES, CQ_ENTRIES));
	ASSERT_EQ(0, ifq_open(rx2.ring.ring_fd, &q2, self->env.ifindex,
			      ZC_QUEUE, AREA_LEN, RQ_ENTRIES, false))
		TH_LOG("registration right after the ring was closed");
	stop_sender(&self->env, tx);
	ifq_free(&q);

	transfer_check(_metadata, &self->env, &rx2, &q2, lfd, MiB);

	rx_exit(&rx2);
	ifq_free(&q2);
	close(lfd);
}

/* In the receiver child: receive, say so after 512 KiB, go on until killed. */
static int killed_receiver(int lfd, int ifindex, int ready)
{
	struct ifq q;
	struct rx rx;
	int fd;

	if (rx_init(&rx, SQ_ENTRIES, CQ_ENTRIES))
		return 1;
	if (ifq_open(rx.ring.ring_fd, &q, ifindex, ZC_QUEUE, AREA_LEN,
		     RQ_ENTRIES, false))
		return 2;
	fd = tcp_accept(lfd, 60000);
	if (fd < 0)
		return 3;
	rx_add(&rx, fd, &q);
	if (rx_run(&rx, 512 * KiB) || rx.violations || rx.st[0].bad != UINT64_MAX)
		return 4;
	if (write(ready, "r", 1) != 1)
		return 5;
	rx.hold = true;		/* die with buffers in hand */
	for (;;)
		rx_step(&rx, 1000);
}

TEST_F_TIMEOUT(zcrx, receiver_killed, 300)
{
	struct zcrx_info info;
	struct pollfd pfd;
	struct ifq q;
	struct rx rx;
	int p[2], lfd, status;
	pid_t rxpid, tx;
	char c;

	ASSERT_EQ(0, steer(AF_INET, PORT, ZC_QUEUE, RULE_LOC));
	lfd = tcp_listen(AF_INET, PORT);
	ASSERT_GE(lfd, 0);
	ASSERT_EQ(0, pipe(p));
	rxpid = fork();
	ASSERT_GE(rxpid, 0);
	if (rxpid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		_exit(killed_receiver(lfd, self->env.ifindex, p[1]));
	}
	close(p[1]);
	tx = start_sender(&self->env, AF_INET, PORT, 1ULL << 40, false);
	ASSERT_GT(tx, 0);

	pfd.fd = p[0];
	pfd.events = POLLIN;
	EXPECT_EQ(1, poll(&pfd, 1, 120000));
	EXPECT_EQ(1, read(p[0], &c, 1)) TH_LOG("the receiver failed");
	ASSERT_EQ(0, kill(rxpid, SIGKILL));
	ASSERT_EQ(rxpid, waitpid(rxpid, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status));

	ASSERT_EQ(0, rx_init(&rx, SQ_ENTRIES, CQ_ENTRIES));
	ASSERT_EQ(0, ifq_open(rx.ring.ring_fd, &q, self->env.ifindex,
			      ZC_QUEUE, AREA_LEN, RQ_ENTRIES, false))
		TH_LOG("registration right after the receiver was killed");
	ASSERT_EQ(0, zcrx_info_get(rx.ring.ring_fd, q.id, &info, NULL));
	EXPECT_EQ(0ULL, info.user);
	EXPECT_EQ((unsigned long long)ZC_QUEUE, info.rxq);
	stop_sender(&self->env, tx);

	transfer_check(_metadata, &self->env, &rx, &q, lfd, MiB);

	rx_exit(&rx);
	ifq_free(&q);
	close(p[0]);
	close(lfd);
}

/*
 * The ring closes while the user holds every buffer it ever got: the
 * bytes stay, the queue is free at once and the pinned pages go.
 */
TEST_F_TIMEOUT(zcrx, held_at_close, 300)
{
	const uint64_t size = MiB;
	struct stream *s;
	struct ifq q, q2;
	struct rx rx, rx2;
	long pinned0, pinned;
	uint64_t start;
	int lfd, fd;
	pid_t tx;

	pinned0 = vm_pinned_kb();
	ASSERT_GE(pinned0, 0);
	ASSERT_EQ(0, steer(AF_INET, PORT, ZC_QUEUE, RULE_LOC));
	ASSERT_EQ(0, rx_init(&rx, SQ_ENTRIES, CQ_ENTRIES));
	ASSERT_EQ(0, ifq_open(rx.ring.ring_fd, &q, self->env.ifindex,
			      ZC_QUEUE, AREA_LEN, RQ_ENTRIES, false));
	lfd = tcp_listen(AF_INET, PORT);
	ASSERT_GE(lfd, 0);
	tx = start_sender(&self->env, AF_INET, PORT, size, false);
	ASSERT_GT(tx, 0);
	fd = tcp_accept(lfd, 60000);
	ASSERT_GE(fd, 0);
	s = rx_add(&rx, fd, &q);
	rx.hold = true;

	EXPECT_EQ(0, rx_run(&rx, 0));
	EXPECT_STREAM_OK(&rx, s, size);
	EXPECT_EQ(0, reap_sender(&self->env, tx));
	EXPECT_GE(rx_held_bufs(&rx), size / pagesz());

	/* Close with everything held (rx_exit frees the list: check first). */
	io_uring_queue_exit(&rx.ring);
	EXPECT_EQ(0U, rx_held_corrupt(&rx));
	free(rx.held.v);
	free(rx.backlog.v);
	close(fd);

	ASSERT_EQ(0, rx_init(&rx2, SQ_ENTRIES, CQ_ENTRIES));
	EXPECT_EQ(0, ifq_open(rx2.ring.ring_fd, &q2, self->env.ifindex,
			      ZC_QUEUE, AREA_LEN, RQ_ENTRIES, false))
		TH_LOG("registration right after the ring was closed");
	rx_exit(&rx2);
	ifq_free(&q2);
	ifq_free(&q);

	/* Ring teardown may finish in a worker: wait for it. */
	start = now_ms();
	do {
		pinned = vm_pinned_kb();
		if (pinned <= pinned0)
			break;
		usleep(20 * 1000);
	} while (now_ms() - start < ZCRX_WAIT_MS);
	EXPECT_EQ(pinned0, pinned) TH_LOG("pinned memory stays accounted");
	close(lfd);
}


static int nsim_del(const char *ns)
{
	char path[128], buf[32];
	int id, fd, len, ret;

	id = zcrx_nsim_id(ns);
	if (id < 0)
		return -ENOENT;
	fd = open("/sys/bus/netdevsim/del_device", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	len = snprintf(buf, sizeof(buf), "%d", id);
	ret = write(fd, buf, len) == len ? 0 : -errno;
	close(fd);
	if (!ret) {
		/* nsim_env.sh down must not delete it again. */
		snprintf(path, sizeof(path), "/run/netns/.%s.nsim", ns);
		unlink(path);
	}
	return ret;
}

/*
 * The device goes away under a bound ifq, with a receive pending and
 * buffers with the user: the request ends, the ifq shows no device, the
 * buffers keep their bytes and go back, and the ring closes cleanly.
 */
TEST_F_TIMEOUT(zcrx, device_deleted, 300)
{
	const uint64_t size = MiB;
	struct zcrx_info info;
	struct stream *s;
	uint64_t start;
	struct ifq q;
	struct rx rx;
	int lfd, fd;
	pid_t tx;

	ASSERT_EQ(0, steer(AF_INET, PORT, ZC_QUEUE, RULE_LOC));
	ASSERT_EQ(0, rx_init(&rx, SQ_ENTRIES, CQ_ENTRIES));
	ASSERT_EQ(0, ifq_open(rx.ring.ring_fd, &q, self->env.ifindex,
			      ZC_QUEUE, AREA_LEN, RQ_ENTRIES, false));
	lfd = tcp_listen(AF_INET, PORT);
	ASSERT_GE(lfd, 0);
	tx = start_sender(&self->env, AF_INET, PORT, size, true);
	ASSERT_GT(tx, 0);
	fd = tcp_accept(lfd, 60000);
	ASSERT_GE(fd, 0);
	s = rx_add(&rx, fd, &q);
	rx.hold = true;

	ASSERT_EQ(0, rx_run(&rx, size));
	EXPECT_EQ(size, s->off);
	EXPECT_EQ(UINT64_MAX, s->bad);
	ASSERT_TRUE(s->armed);

	ASSERT_EQ(0, nsim_del(self->env.ns_b));
	start = now_ms();
	while (s->armed && now_ms() - start < 10000)
		ASSERT_GE(rx_step(&rx, 500), 0);
	if (s->armed) {
		TH_LOG("the request outlived the device; shutting the socket");
		shutdown(fd, SHUT_RDWR);
		start = now_ms();
		while (s->armed && now_ms() - start < 10000)
			ASSERT_GE(rx_step(&rx, 500), 0);
	}
	EXPECT_FALSE(s->armed) TH_LOG("the request never ended");
	TH_LOG("the request ended with %d", s->eof ? 0 : s->err);
	EXPECT_EQ(size, s->off);

	ASSERT_EQ(0, zcrx_info_get(rx.ring.ring_fd, q.id, &info, NULL));
	EXPECT_STREQ("-", info.dev);
	EXPECT_EQ(0ULL, info.ifindex);
	EXPECT_EQ(0U, rx_held_corrupt(&rx));
	EXPECT_EQ((unsigned long long)rx_held_bufs(&rx), info.user);

	/* Without the device, refill entries are consumed on request only. */
	rx_release(&rx);
	check_drained(_metadata, &rx, &q, &info);

	stop_sender(&self->env, tx);
	rx_exit(&rx);
	ifq_free(&q);
	close(lfd);
}

TEST_HARNESS_MAIN
