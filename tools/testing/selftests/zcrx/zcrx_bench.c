// SPDX-License-Identifier: GPL-2.0
/*
 * The receiving side of the benchmarks: accept FLOWS TCP connections that
 * carry the zcrx selftest pattern (zcrx_xfer -c sends it) and receive all
 * of them in one thread, in one of four ways:
 *
 *   recv   recv() into one 64 KiB buffer, the sockets polled with epoll;
 *   uring  io_uring multishot IORING_OP_RECV, one request per connection,
 *          into a ring of provided buffers of 64 KiB;
 *   zc     IORING_OP_RECV_ZC on rx queue QUEUE of IFNAME (-z), one
 *          multishot request per connection on one interface queue;
 *   nodev  IORING_OP_RECV_ZC on a device-less interface queue
 *          (ZCRX_REG_NODEV): the kernel copies every byte into the area.
 *
 *   zcrx_bench -m MODE [-6] [-N netns] [-p port] [-F flows] [-S size] [-t]
 *              [-z IFNAME:QUEUE] [-B rxbuflen] [-A areasize] [-r READYFILE]
 *
 * Without -t the payload is not touched: the receiver only learns where
 * each piece is and gives the buffer back, so that the figures are the
 * cost of delivery.  With -t it reads every byte once, checking it against
 * the pattern of its connection.  -S is the size of each flow: the run
 * fails if a connection ends with another byte count.  With -r the
 * receiver creates READYFILE once it listens and its queue is registered.
 *
 * The last line is machine-readable:
 *   result: mode=M flows=F bytes=B secs=S cpu=C completions=N
 *           zc_bytes=Z copy_bytes=Y
 * where cpu is the process's CPU time, completions the recv() calls that
 * returned data or the CQEs that carried it, and copy_bytes what the CPU
 * copied in the kernel on the way (every byte for recv, uring and nodev;
 * the ifq's copy fallback for zc).  The exit status is 0 only if every
 * flow ended cleanly with the expected size and, with -t, every byte
 * matched.
 */
#include <getopt.h>
#include <net/if.h>
#include <sys/epoll.h>
#include <sys/mman.h>

#include "zcrx_common.h"
#include "zcrx_uring.h"

#define MAX_FLOWS	64
#define RECV_BUF	(64 * 1024)
/* provided buffers of the uring mode, 16 MiB in all */
#define PBUF_COUNT	256
#define PBUF_GROUP	0
/* room to return every buffer of a 64 MiB area of pages twice over */
#define RQ_ENTRIES	32768
#define CQ_ENTRIES	8192
#define HUGE_PAGE	(2UL << 20)

enum mode { MODE_NONE = -1, MODE_RECV, MODE_URING, MODE_ZC, MODE_NODEV };

static const char * const mode_names[] = {
	[MODE_RECV] = "recv", [MODE_URING] = "uring",
	[MODE_ZC] = "zc", [MODE_NODEV] = "nodev",
};

struct flow {
	int fd;
	uint64_t seed;
	uint64_t got;
	bool done;
};

struct bench {
	enum mode mode;
	int family;
	int port;
	int nflows;
	bool touch;
	uint64_t expect;	/* per flow, UINT64_MAX: any */
	const char *ifq_spec;
	size_t buf_len;		/* rx_buf_len, 0: a page */
	size_t area_size;
	const char *ready_file;

	struct flow flows[MAX_FLOWS];
	int lfd;
	int open_flows;
	uint64_t bytes;
	uint64_t completions;
	long long zc_bytes;
	long long copy_bytes;
	int bad;		/* a mismatch, a short flow or an error */

	/* uring, zc and nodev */
	struct io_uring ring;
	/* uring: the provided buffers */
	struct io_uring_buf_ring *br;
	uint8_t *bufs;
	/* zc and nodev */
	struct io_uring_zcrx_ifq_reg reg;
	struct zcrx_rq rq;
	uint8_t *area;
	size_t area_len;
};

static void usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s -m recv|uring|zc|nodev [-6] [-N netns] [-p port] [-F flows]\n"
		"          [-S size] [-t] [-z IFNAME:QUEUE] [-B rxbuflen] [-A areasize]\n"
		"          [-r READYFILE]\n", prog);
	exit(2);
}

/* Listen, say so, and accept every flow; the flows may send at once. */
static int accept_flows(struct bench *b)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int one = 1, i, fd;

	b->lfd = socket(b->family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (b->lfd < 0) {
		perror("socket");
		return -1;
	}
	setsockopt(b->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	zcrx_sockaddr(b->family, b->family == AF_INET ? "0.0.0.0" : "::",
		      b->port, &ss, &len);
	if (bind(b->lfd, (struct sockaddr *)&ss, len) ||
	    listen(b->lfd, MAX_FLOWS)) {
		perror("bind/listen");
		return -1;
	}
	if (b->ready_file) {
		fd = open(b->ready_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			  0600);
		if (fd < 0 || close(fd)) {
			perror(b->ready_file);
			return -1;
		}
	}
	for (i = 0; i < b->nflows; i++) {
		fd = accept4(b->lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			perror("accept");
			return -1;
		}
		b->flows[i].fd = fd;
		b->flows[i].seed = zcrx_seed(fd);
	}
	b->open_flows = b->nflows;
	return 0;
}

/* @len bytes of flow @f arrived at @data: count them, check them if asked. */
static void take(struct bench *b, struct flow *f, const uint8_t *data,
		 size_t len)
{
	if (b->touch && zcrx_check(data, len, f->seed, f->got) != len) {
		if (!b->bad)
			fprintf(stderr, "flow %d: wrong byte in [%llu, %llu)\n",
				(int)(f - b->flows), (unsigned long long)f->got,
				(unsigned long long)(f->got + len));
		b->bad = 1;
	}
	f->got += len;
	b->bytes += len;
	b->completions++;
}

/* Flow @f ended: by the peer (@err 0) or with -@err. */
static void end_flow(struct bench *b, struct flow *f, int err)
{
	if (f->done)
		return;
	f->done = true;
	b->open_flows--;
	if (err) {
		fprintf(stderr, "flow %d: %s\n", (int)(f - b->flows),
			strerror(err));
		b->bad = 1;
	} else if (b->expect != UINT64_MAX && f->got != b->expect) {
		fprintf(stderr, "flow %d: %llu bytes, expected %llu\n",
			(int)(f - b->flows), (unsigned long long)f->got,
			(unsigned long long)b->expect);
		b->bad = 1;
	}
}

static int run_recv(struct bench *b)
{
	struct epoll_event ev[MAX_FLOWS];
	static uint8_t buf[RECV_BUF];
	int ep, i, n;

	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0) {
		perror("epoll_create1");
		return -1;
	}
	for (i = 0; i < b->nflows; i++) {
		struct epoll_event e = { .events = EPOLLIN, .data.u32 = i };

		if (fcntl(b->flows[i].fd, F_SETFL, O_NONBLOCK) ||
		    epoll_ctl(ep, EPOLL_CTL_ADD, b->flows[i].fd, &e)) {
			perror("fcntl/epoll_ctl");
			return -1;
		}
	}
	while (b->open_flows) {
		n = epoll_wait(ep, ev, MAX_FLOWS, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			perror("epoll_wait");
			return -1;
		}
		for (i = 0; i < n; i++) {
			struct flow *f = &b->flows[ev[i].data.u32];

			for (;;) {
				ssize_t r = recv(f->fd, buf, sizeof(buf), 0);

				if (r > 0) {
					take(b, f, buf, r);
					continue;
				}
				if (r < 0 && errno == EINTR)
					continue;
				if (r < 0 && errno == EAGAIN)
					break;
				epoll_ctl(ep, EPOLL_CTL_DEL, f->fd, NULL);
				end_flow(b, f, r ? errno : 0);
				break;
			}
		}
	}
	close(ep);
	/* recv() copied every byte into our buffer */
	b->copy_bytes = b->bytes;
	b->zc_bytes = 0;
	return 0;
}

/*
 * An SQE: the SQ has room for two per flow and is submitted before more
 * are prepared, so running out is a bug.
 */
static struct io_uring_sqe *get_sqe(struct io_uring *ring)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	if (!sqe) {
		fprintf(stderr, "the SQ is full\n");
		exit(1);
	}
	return sqe;
}

static void prep_recv_mshot(struct io_uring *ring, struct bench *b, int i)
{
	struct io_uring_sqe *sqe = get_sqe(ring);

	io_uring_prep_recv_multishot(sqe, b->flows[i].fd, NULL, 0, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = PBUF_GROUP;
	io_uring_sqe_set_data64(sqe, i);
}

/* The ring and its provided buffers, faulted in, before any connection. */
static int setup_uring(struct bench *b)
{
	int mask = io_uring_buf_ring_mask(PBUF_COUNT);
	struct io_uring_buf_reg breg = {};
	struct io_uring_params p = {};
	int i, ret;

	p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN |
		  IORING_SETUP_CQSIZE;
	p.cq_entries = CQ_ENTRIES;
	ret = io_uring_queue_init_params(MAX_FLOWS * 2, &b->ring, &p);
	if (ret) {
		fprintf(stderr, "io_uring_queue_init: %s\n", strerror(-ret));
		return -1;
	}
	b->br = mmap(NULL, PBUF_COUNT * sizeof(struct io_uring_buf),
		     PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	b->bufs = mmap(NULL, (size_t)PBUF_COUNT * RECV_BUF,
		       PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (b->br == MAP_FAILED || b->bufs == MAP_FAILED) {
		perror("mmap");
		return -1;
	}
	breg.ring_addr = (uintptr_t)b->br;
	breg.ring_entries = PBUF_COUNT;
	breg.bgid = PBUF_GROUP;
	ret = io_uring_register_buf_ring(&b->ring, &breg, 0);
	if (ret) {
		fprintf(stderr, "io_uring_register_buf_ring: %s\n",
			strerror(-ret));
		return -1;
	}
	io_uring_buf_ring_init(b->br);
	for (i = 0; i < PBUF_COUNT; i++)
		io_uring_buf_ring_add(b->br, b->bufs + (size_t)i * RECV_BUF,
				      RECV_BUF, i, mask, i);
	io_uring_buf_ring_advance(b->br, PBUF_COUNT);
	return 0;
}

static int run_uring(struct bench *b)
{
	int mask = io_uring_buf_ring_mask(PBUF_COUNT);
	struct io_uring *ring = &b->ring;
	int i, ret;

	for (i = 0; i < b->nflows; i++)
		prep_recv_mshot(ring, b, i);
	while (b->open_flows) {
		struct io_uring_cqe *cqe;
		unsigned int head, seen = 0, given = 0;

		ret = io_uring_submit_and_wait(ring, 1);
		if (ret < 0 && ret != -EINTR) {
			fprintf(stderr, "io_uring_submit_and_wait: %s\n",
				strerror(-ret));
			return -1;
		}
		io_uring_for_each_cqe(ring, head, cqe) {
			struct flow *f = &b->flows[cqe->user_data];

			seen++;
			if (cqe->res > 0) {
				unsigned int bid = cqe->flags >>
						   IORING_CQE_BUFFER_SHIFT;
				uint8_t *data;

				if (bid >= PBUF_COUNT || cqe->res > RECV_BUF) {
					fprintf(stderr, "buffer %u, %d bytes\n",
						bid, cqe->res);
					return -1;
				}
				data = b->bufs + (size_t)bid * RECV_BUF;
				take(b, f, data, cqe->res);
				io_uring_buf_ring_add(b->br, data, RECV_BUF, bid,
						      mask, given++);
			}
			if (cqe->flags & IORING_CQE_F_MORE)
				continue;
			if (cqe->res > 0 || cqe->res == -ENOBUFS)
				prep_recv_mshot(ring, b, cqe->user_data);
			else
				end_flow(b, f, -cqe->res);
		}
		io_uring_buf_ring_advance(b->br, given);
		io_uring_cq_advance(ring, seen);
	}
	b->copy_bytes = b->bytes;
	b->zc_bytes = 0;
	return 0;
}

/* The ring and the ifq of the zc and nodev modes, before any connection. */
static int setup_zc(struct bench *b)
{
	struct io_uring_zcrx_ifq_reg *reg = &b->reg;
	struct io_uring_zcrx_area_reg area_reg = {};
	struct io_uring_region_desc rd = {};
	int flags = MAP_PRIVATE | MAP_ANONYMOUS, ret;
	size_t area_size = b->area_size;
	struct io_uring_params p = {};
	char ifname[IF_NAMESIZE + 1];
	unsigned int queue = 0;
	void *area, *rqmem;
	size_t rq_size;

	p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN |
		  IORING_SETUP_CQE32 | IORING_SETUP_CQSIZE;
	p.cq_entries = CQ_ENTRIES;
	ret = io_uring_queue_init_params(MAX_FLOWS * 2, &b->ring, &p);
	if (ret) {
		fprintf(stderr, "io_uring_queue_init: %s\n", strerror(-ret));
		return -1;
	}
	memset(reg, 0, sizeof(*reg));
	if (b->mode == MODE_NODEV) {
		reg->flags = ZCRX_REG_NODEV;
	} else {
		if (!b->ifq_spec ||
		    sscanf(b->ifq_spec, "%16[^:]:%u", ifname, &queue) != 2) {
			fprintf(stderr, "-m zc wants -z IFNAME:QUEUE\n");
			return -1;
		}
		reg->if_idx = if_nametoindex(ifname);
		if (!reg->if_idx) {
			perror(ifname);
			return -1;
		}
		reg->if_rxq = queue;
	}
	if (b->buf_len > (size_t)sysconf(_SC_PAGESIZE)) {
		/* each buffer must be physically contiguous */
		area_size = (area_size + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
		flags |= MAP_HUGETLB;
	}
	area = mmap(NULL, area_size, PROT_READ | PROT_WRITE, flags, -1, 0);
	rq_size = 4096 + RQ_ENTRIES * sizeof(struct io_uring_zcrx_rqe);
	rqmem = mmap(NULL, rq_size, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED || rqmem == MAP_FAILED) {
		perror("mmap");
		return -1;
	}
	area_reg.addr = (uintptr_t)area;
	area_reg.len = area_size;
	rd.user_addr = (uintptr_t)rqmem;
	rd.size = rq_size;
	rd.flags = IORING_MEM_REGION_TYPE_USER;
	reg->rq_entries = RQ_ENTRIES;
	reg->rx_buf_len = b->buf_len;
	reg->area_ptr = (uintptr_t)&area_reg;
	reg->region_ptr = (uintptr_t)&rd;
	ret = zcrx_register_ifq(b->ring.ring_fd, reg);
	if (ret) {
		fprintf(stderr, "registering the ifq: %s\n", strerror(-ret));
		return -1;
	}
	zcrx_rq_init(&b->rq, rqmem, reg, area_reg.rq_area_token);
	b->area = area;
	b->area_len = area_size;
	return 0;
}

static void prep_recv_zc(struct bench *b, int i)
{
	struct io_uring_sqe *sqe = get_sqe(&b->ring);

	zcrx_prep_recv(sqe, b->flows[i].fd, 0, b->reg.zcrx_id);
	io_uring_sqe_set_data64(sqe, i);
}

static int run_zc(struct bench *b)
{
	struct io_uring *ring = &b->ring;
	int i, ret;

	for (i = 0; i < b->nflows; i++)
		prep_recv_zc(b, i);
	while (b->open_flows) {
		struct io_uring_cqe *cqe;
		unsigned int head, seen = 0;

		ret = io_uring_submit_and_wait(ring, 1);
		if (ret < 0 && ret != -EINTR) {
			fprintf(stderr, "io_uring_submit_and_wait: %s\n",
				strerror(-ret));
			return -1;
		}
		io_uring_for_each_cqe(ring, head, cqe) {
			struct flow *f = &b->flows[cqe->user_data];
			uint64_t off = zcrx_cqe(cqe)->off;

			seen++;
			if (cqe->res > 0) {
				uint64_t at = off & ~IORING_ZCRX_AREA_MASK;

				if (at > b->area_len ||
				    cqe->res > b->area_len - at) {
					fprintf(stderr, "outside the area: %llu + %d\n",
						(unsigned long long)at, cqe->res);
					return -1;
				}
				take(b, f, b->area + at, cqe->res);
				if (zcrx_rq_push(&b->rq, off, cqe->res)) {
					/* full: let the kernel take what waits */
					zcrx_rq_commit(&b->rq);
					zcrx_flush_rq(ring->ring_fd,
						      b->reg.zcrx_id);
					if (zcrx_rq_push(&b->rq, off, cqe->res)) {
						fprintf(stderr, "refill ring full\n");
						return -1;
					}
				}
			}
			if (cqe->flags & IORING_CQE_F_MORE)
				continue;
			if (cqe->res == -ENOSPC || cqe->res == -ENOMEM) {
				/* CQ or area ran out: buffers go back below */
				prep_recv_zc(b, cqe->user_data);
			} else {
				end_flow(b, f, cqe->res < 0 ? -cqe->res : 0);
			}
		}
		io_uring_cq_advance(ring, seen);
		zcrx_rq_commit(&b->rq);
	}
	return 0;
}

/* The ifq's counters, once the transfer is over. */
static void zc_counters(struct bench *b)
{
	int fd = b->ring.ring_fd;

	b->zc_bytes = zcrx_fdinfo_counter(fd, "zc_bytes");
	b->copy_bytes = zcrx_fdinfo_counter(fd, "copy_bytes");
	/* each completion went back once, as it came */
	if (zcrx_fdinfo_counter(fd, "rq_invalid") > 0) {
		fprintf(stderr, "the kernel refused refill entries\n");
		b->bad = 1;
	}
}

/*
 * Rings, areas and buffers go once the result is out: the transfer's
 * time, and the CPU a benchmark counts until the result line, do not
 * include unregistering a queue or unpinning an area.
 */
static void teardown(struct bench *b)
{
	if (b->mode == MODE_RECV)
		return;
	io_uring_queue_exit(&b->ring);
	if (b->mode == MODE_URING) {
		munmap(b->bufs, (size_t)PBUF_COUNT * RECV_BUF);
		munmap(b->br, PBUF_COUNT * sizeof(struct io_uring_buf));
	} else {
		munmap(b->area, b->area_len);
	}
}

int main(int argc, char **argv)
{
	static struct bench b = {
		.mode = MODE_NONE, .family = AF_INET, .port = 9000, .nflows = 1,
		.expect = UINT64_MAX, .area_size = 64 << 20,
	};
	double t0, c0, t, c;
	int opt, ret, i;

	while ((opt = getopt(argc, argv, "m:6N:p:F:S:tz:B:A:r:")) != -1) {
		switch (opt) {
		case 'm':
			for (i = 0; i <= MODE_NODEV; i++)
				if (!strcmp(optarg, mode_names[i]))
					b.mode = i;
			break;
		case '6':
			b.family = AF_INET6;
			break;
		case 'N':
			ret = zcrx_enter_netns(optarg);
			if (ret) {
				fprintf(stderr, "netns %s: %s\n", optarg,
					strerror(-ret));
				return 1;
			}
			break;
		case 'p':
			b.port = atoi(optarg);
			break;
		case 'F':
			b.nflows = atoi(optarg);
			break;
		case 'S':
			b.expect = zcrx_parse_size(optarg);
			break;
		case 't':
			b.touch = true;
			break;
		case 'z':
			b.ifq_spec = optarg;
			break;
		case 'B':
			b.buf_len = zcrx_parse_size(optarg);
			break;
		case 'A':
			b.area_size = zcrx_parse_size(optarg);
			break;
		case 'r':
			b.ready_file = optarg;
			break;
		default:
			usage(argv[0]);
		}
	}
	if (b.mode == MODE_NONE || b.nflows < 1 || b.nflows > MAX_FLOWS ||
	    b.buf_len > UINT32_MAX ||
	    ((b.ifq_spec || b.buf_len) && b.mode != MODE_ZC &&
	     b.mode != MODE_NODEV))
		usage(argv[0]);

	/* rings, buffers and queues are set up before any connection comes */
	if ((b.mode == MODE_ZC || b.mode == MODE_NODEV) && setup_zc(&b))
		return 1;
	if (b.mode == MODE_URING && setup_uring(&b))
		return 1;
	if (accept_flows(&b))
		return 1;
	t0 = zcrx_now();
	c0 = zcrx_cpu_seconds();
	switch (b.mode) {
	case MODE_RECV:
		ret = run_recv(&b);
		break;
	case MODE_URING:
		ret = run_uring(&b);
		break;
	default:
		ret = run_zc(&b);
		break;
	}
	t = zcrx_now() - t0;
	c = zcrx_cpu_seconds() - c0;
	if (ret)
		return 1;
	if (b.mode == MODE_ZC || b.mode == MODE_NODEV)
		zc_counters(&b);
	printf("result: mode=%s flows=%d bytes=%llu secs=%.3f cpu=%.3f",
	       mode_names[b.mode], b.nflows, (unsigned long long)b.bytes, t, c);
	printf(" completions=%llu zc_bytes=%lld copy_bytes=%lld\n",
	       (unsigned long long)b.completions, b.zc_bytes, b.copy_bytes);
	fflush(stdout);
	teardown(&b);
	for (i = 0; i < b.nflows; i++)
		close(b.flows[i].fd);
	close(b.lfd);
	return b.bad;
}
