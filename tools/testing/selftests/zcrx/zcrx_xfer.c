// SPDX-License-Identifier: GPL-2.0
/*
 * Send or receive a TCP stream of the zcrx selftest pattern, verify every
 * received byte, and report throughput and CPU time.  Used by the demo and
 * the benchmarks: with -z the receiver uses io_uring zero-copy receive on
 * rx queue QUEUE of IFNAME, otherwise plain recv() into a -b sized buffer.
 *
 *   zcrx_xfer -l [-6] [-N netns] [-p port] [-b bufsize] [-S size]
 *             [-z IFNAME:QUEUE [-A areasize] [-B rxbuflen] [-n]] [-r READYFILE]
 *   zcrx_xfer -c ADDR [-N netns] [-p port] [-s srcport | -P [-r READYFILE]] -S size|-u
 *   zcrx_xfer -l -U [-6] [-N netns] [-p port] [-r READYFILE]
 *   zcrx_xfer -c ADDR -U [-N netns] [-p port] -S size
 *
 * -B asks for rx buffers of rxbuflen bytes (rx_buf_len); above a page the
 * area is made of 2 MiB huge pages, which must be available.  -n leaves
 * the payload untouched (the cost of delivery alone): the receiver then
 * checks only the byte count.
 *
 * The receiver exits 0 only if it got exactly -S bytes (when given) and all
 * of them matched.  With -r it creates READYFILE once it listens (and, with
 * -z, once the queue is registered), so that a script can start the sender
 * only then; the sender also retries a refused connection for up to
 * CONNECT_TIMEOUT seconds.  With -u the sender streams until it gets
 * SIGUSR1, then closes the connection and prints "sent: bytes=N".  With -P
 * the sender computes the whole stream before it connects (its source
 * port, bound first, gives the seed) and then only sends it: a sender as
 * cheap as send() can be, for benchmarks that need the receiver to be the
 * bottleneck.  With -r as well it then writes its pid to READYFILE and
 * connects only when it gets SIGUSR2, so that a benchmark can start every
 * sender, ready, at one moment of its choosing.  -s makes the sender's
 * connection leave from source port srcport, so that a test can pick the
 * port that a NIC's RSS hash sends to a given rx queue.
 *
 * -U sends -S bytes of the pattern as UDP datagrams of UDP_DGRAM bytes,
 * each led by its 64-bit index, then an 8-byte end marker; the receiver
 * checks every byte of every datagram, refuses duplicates and prints
 * "result: mode=udp datagrams=N bytes=B" at the end marker: a lost
 * datagram shows in N, which the caller checks.
 */
#include <getopt.h>
#include <limits.h>
#include <net/if.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <time.h>

#include "zcrx_common.h"
#include "zcrx_uring.h"

#define CONNECT_TIMEOUT	120	/* seconds */
#define UDP_DGRAM	1024
#define UDP_END		UINT64_MAX

static const char *ready_file;
static int src_port;
static volatile sig_atomic_t stop_sending;

static void bad_args(const char *prog)
{
	fprintf(stderr,
		"usage: %s -l [-6] [-N netns] [-p port] [-b bufsize] [-S size]\n"
		"          [-z IFNAME:QUEUE [-A areasize] [-B rxbuflen] [-n]] [-r READYFILE]\n"
		"       %s -c ADDR [-N netns] [-p port] [-s srcport | -P [-r READYFILE]]\n"
		"          -S size|-u\n"
		"       %s -l -U [-6] [-N netns] [-p port] [-r READYFILE]\n"
		"       %s -c ADDR -U [-N netns] [-p port] -S size\n",
		prog, prog, prog, prog);
	exit(2);
}

static void report(const char *what, uint64_t got, double t, double c,
		   uint64_t bad, uint64_t expect, bool checked)
{
	printf("%s: %llu bytes in %.2f s, %.1f MiB/s, receiver CPU %.2f s (%.2f s/GiB), %s\n",
	       what, (unsigned long long)got, t, got / t / (1 << 20), c,
	       got ? c * (1 << 30) / got : 0.0,
	       bad != UINT64_MAX ? "DATA MISMATCH" :
	       checked ? "all bytes verified" : "payload not read");
	if (bad != UINT64_MAX)
		fprintf(stderr, "first wrong byte at offset %llu\n",
			(unsigned long long)bad);
	if (expect != UINT64_MAX && got != expect)
		fprintf(stderr, "expected %llu bytes, got %llu\n",
			(unsigned long long)expect, (unsigned long long)got);
}

/* Tell whoever waits for READYFILE that the receiver can take data. */
static int signal_ready(void)
{
	int fd;

	if (!ready_file)
		return 0;
	fd = open(ready_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || close(fd)) {
		perror(ready_file);
		return -1;
	}
	return 0;
}

static int listen_accept(int family, int port, int *lfdp)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int one = 1;
	int lfd, fd;

	lfd = socket(family, SOCK_STREAM, 0);
	if (lfd < 0) {
		perror("socket");
		return -1;
	}
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	zcrx_sockaddr(family, family == AF_INET ? "0.0.0.0" : "::", port, &ss, &len);
	if (bind(lfd, (struct sockaddr *)&ss, len) || listen(lfd, 1)) {
		perror("bind/listen");
		close(lfd);
		return -1;
	}
	if (signal_ready()) {
		close(lfd);
		return -1;
	}
	fd = accept(lfd, NULL, NULL);
	if (fd < 0) {
		perror("accept");
		close(lfd);
		return -1;
	}
	*lfdp = lfd;
	return fd;
}

#define HUGE_PAGE	(2UL << 20)

/*
 * Buffers read but not yet returned because the refill ring was full: the
 * kernel takes entries off the ring only as its NIC needs buffers, so an
 * area larger than the ring can have more buffers out than the ring holds.
 */
struct held {
	struct {
		uint64_t off;
		uint32_t len;
	} *v;
	size_t n, cap;
};

static int hold(struct held *h, uint64_t off, uint32_t len)
{
	if (h->n == h->cap) {
		size_t cap = h->cap ? 2 * h->cap : 1024;
		void *v = realloc(h->v, cap * sizeof(*h->v));

		if (!v) {
			perror("realloc");
			return -1;
		}
		h->v = v;
		h->cap = cap;
	}
	h->v[h->n].off = off;
	h->v[h->n].len = len;
	h->n++;
	return 0;
}

static int do_listen_zc(int family, int port, const char *ifq_spec,
			size_t area_size, size_t buf_len, bool untouched,
			uint64_t expect)
{
	struct io_uring_zcrx_area_reg area_reg = {};
	struct io_uring_zcrx_ifq_reg reg = {};
	struct io_uring_region_desc rd = {};
	uint64_t got = 0, bad = UINT64_MAX, cqes = 0, seed;
	struct io_uring_params p = {};
	struct held held = {};
	char ifname[IF_NAMESIZE + 1];
	struct io_uring ring;
	double t0, c0, t, c;
	unsigned int queue;
	struct zcrx_rq rq;
	size_t rq_size;
	void *area, *rqmem;
	int lfd, fd, ret;
	bool done = false;

	if (sscanf(ifq_spec, "%16[^:]:%u", ifname, &queue) != 2) {
		fprintf(stderr, "-z wants IFNAME:QUEUE\n");
		return 2;
	}
	p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN |
		  IORING_SETUP_CQE32 | IORING_SETUP_CQSIZE;
	p.cq_entries = 4096;
	ret = io_uring_queue_init_params(64, &ring, &p);
	if (ret) {
		fprintf(stderr, "io_uring_queue_init: %s\n", strerror(-ret));
		return 1;
	}

	if (buf_len > (size_t)sysconf(_SC_PAGESIZE)) {
		/* each buffer must be physically contiguous */
		area_size = (area_size + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
		area = mmap(NULL, area_size, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	} else {
		area = mmap(NULL, area_size, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	}
	rq_size = 4096 + 4096 * sizeof(struct io_uring_zcrx_rqe);
	rqmem = mmap(NULL, rq_size, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED || rqmem == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	area_reg.addr = (uintptr_t)area;
	area_reg.len = area_size;
	rd.user_addr = (uintptr_t)rqmem;
	rd.size = rq_size;
	rd.flags = IORING_MEM_REGION_TYPE_USER;
	reg.if_idx = if_nametoindex(ifname);
	reg.if_rxq = queue;
	reg.rq_entries = 4096;
	reg.rx_buf_len = buf_len;
	reg.area_ptr = (uintptr_t)&area_reg;
	reg.region_ptr = (uintptr_t)&rd;
	ret = zcrx_register_ifq(ring.ring_fd, &reg);
	if (ret) {
		fprintf(stderr, "registering %s queue %u: %s\n", ifname, queue,
			strerror(-ret));
		if (ret == -EINVAL || ret == -EOPNOTSUPP)
			fprintf(stderr, "(this kernel may lack io_uring zero-copy receive)\n");
		return 1;
	}
	zcrx_rq_init(&rq, rqmem, &reg, area_reg.rq_area_token);

	fd = listen_accept(family, port, &lfd);
	if (fd < 0)
		return 1;
	seed = zcrx_seed(fd);

	t0 = zcrx_now();
	c0 = zcrx_cpu_seconds();
	zcrx_prep_recv(io_uring_get_sqe(&ring), fd, 0, reg.zcrx_id);
	while (!done) {
		struct io_uring_cqe *cqe;
		unsigned int head, seen = 0;

		ret = io_uring_submit_and_wait(&ring, 1);
		if (ret < 0 && ret != -EINTR) {
			fprintf(stderr, "io_uring_submit_and_wait: %s\n",
				strerror(-ret));
			return 1;
		}
		io_uring_for_each_cqe(&ring, head, cqe) {
			uint64_t off = zcrx_cqe(cqe)->off;
			uint8_t *data = (uint8_t *)area +
					(off & ~IORING_ZCRX_AREA_MASK);

			seen++;
			if (cqe->flags & IORING_CQE_F_MORE) {
				size_t chk = untouched ? (size_t)cqe->res :
					     zcrx_check(data, cqe->res, seed,
							got);

				if (chk != (size_t)cqe->res && bad == UINT64_MAX)
					bad = got + chk;
				got += cqe->res;
				cqes++;
				if (zcrx_rq_push(&rq, off, cqe->res) &&
				    hold(&held, off, cqe->res))
					return 1;
				continue;
			}
			if (cqe->res == 0) {
				done = true;
			} else if (cqe->res == -ENOSPC || cqe->res == -ENOMEM) {
				/* CQ or area ran out: buffers go back below */
				zcrx_prep_recv(io_uring_get_sqe(&ring), fd, 0,
					       reg.zcrx_id);
			} else {
				fprintf(stderr, "recv_zc: %s\n",
					strerror(-cqe->res));
				return 1;
			}
		}
		io_uring_cq_advance(&ring, seen);
		/* what did not fit in the refill ring goes as it makes room */
		while (held.n && !zcrx_rq_push(&rq, held.v[held.n - 1].off,
					       held.v[held.n - 1].len))
			held.n--;
		zcrx_rq_commit(&rq);
	}
	free(held.v);
	t = zcrx_now() - t0;
	c = zcrx_cpu_seconds() - c0;
	report("recv_zc", got, t, c, bad, expect, !untouched);
	printf("recv_zc: %llu completions, zero-copy %lld bytes, copied %lld bytes in %lld buffers\n",
	       (unsigned long long)cqes, zcrx_fdinfo_counter(ring.ring_fd, "zc_bytes"),
	       zcrx_fdinfo_counter(ring.ring_fd, "copy_bytes"),
	       zcrx_fdinfo_counter(ring.ring_fd, "copy_count"));
	printf("result: mode=recv_zc bytes=%llu secs=%.3f cpu=%.3f completions=%llu zc_bytes=%lld copy_bytes=%lld\n",
	       (unsigned long long)got, t, c, (unsigned long long)cqes,
	       zcrx_fdinfo_counter(ring.ring_fd, "zc_bytes"),
	       zcrx_fdinfo_counter(ring.ring_fd, "copy_bytes"));
	close(fd);
	close(lfd);
	io_uring_queue_exit(&ring);
	return bad != UINT64_MAX || (expect != UINT64_MAX && got != expect);
}

static int do_listen(int family, int port, size_t bufsize, uint64_t expect)
{
	uint64_t got = 0, bad = UINT64_MAX, calls = 0, copied = 0, seed;
	double t0, c0, t, c;
	uint8_t *buf;
	int lfd, fd;

	buf = malloc(bufsize);
	if (!buf)
		return 1;
	fd = listen_accept(family, port, &lfd);
	if (fd < 0)
		return 1;
	seed = zcrx_seed(fd);
	t0 = zcrx_now();
	c0 = zcrx_cpu_seconds();
	for (;;) {
		ssize_t n = recv(fd, buf, bufsize, 0);
		size_t off;

		calls++;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			perror("recv");
			return 1;
		}
		if (n == 0)
			break;
		copied += n;
		off = zcrx_check(buf, n, seed, got);
		if (off != (size_t)n && bad == UINT64_MAX)
			bad = got + off;
		got += n;
	}
	t = zcrx_now() - t0;
	c = zcrx_cpu_seconds() - c0;
	report("recv", got, t, c, bad, expect, true);
	/* recv() copied every byte it returned into our buffer. */
	printf("result: mode=recv bytes=%llu secs=%.3f cpu=%.3f calls=%llu",
	       (unsigned long long)got, t, c, (unsigned long long)calls);
	printf(" zc_bytes=0 copy_bytes=%llu\n", (unsigned long long)copied);
	close(fd);
	close(lfd);
	return bad != UINT64_MAX || (expect != UINT64_MAX && got != expect);
}

static void on_sigusr1(int sig)
{
	stop_sending = 1;
}

/* Bind @fd to source port @port of any address. */
static int bind_port(int fd, int family, int port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int one = 1;

	zcrx_sockaddr(family, family == AF_INET ? "0.0.0.0" : "::", port, &ss, &len);
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&ss, len)) {
		perror("bind source port");
		return -1;
	}
	return 0;
}

/*
 * Connect a @type socket to @addr:@port: @fd if >= 0 (bound already), else
 * a new one.  A TCP listener that is not up yet refuses the connection:
 * retry until CONNECT_TIMEOUT seconds have passed.
 */
static int connect_to(const char *addr, int port, int type, int fd)
{
	int family = strchr(addr, ':') ? AF_INET6 : AF_INET;
	double deadline = zcrx_now() + CONNECT_TIMEOUT;
	struct sockaddr_storage ss;
	bool own = fd < 0;
	socklen_t len;

	if (zcrx_sockaddr(family, addr, port, &ss, &len)) {
		fprintf(stderr, "bad address %s\n", addr);
		goto fail;
	}
	for (;;) {
		if (fd < 0)
			fd = socket(family, type, 0);
		if (fd < 0) {
			perror("socket");
			return -1;
		}
		if (own && src_port && bind_port(fd, family, src_port))
			goto fail;
		if (!connect(fd, (struct sockaddr *)&ss, len))
			return fd;
		if (errno != ECONNREFUSED || zcrx_now() > deadline) {
			perror("connect");
			goto fail;
		}
		/* a TCP socket whose connect() was refused can try again */
		if (own) {
			close(fd);
			fd = -1;
		}
		usleep(20 * 1000);
	}
fail:
	if (fd >= 0)
		close(fd);
	return -1;
}

/*
 * A TCP socket for @addr's family bound to a free port, and the whole
 * stream of @size bytes it will carry to @port in *@bufp, with the seed in
 * *@seed: computed before the connection exists, so that sending costs
 * nothing else.
 */
static int precompute(const char *addr, int port, uint64_t size,
		      uint8_t **bufp, uint64_t *seed)
{
	int family = strchr(addr, ':') ? AF_INET6 : AF_INET;
	struct sockaddr_in6 sa = { .sin6_family = family };
	socklen_t len = family == AF_INET6 ? sizeof(struct sockaddr_in6) :
					     sizeof(struct sockaddr_in);
	uint8_t *buf;
	int fd;

	/* sockaddr_in is a prefix of sockaddr_in6: port 0, any address */
	fd = socket(family, SOCK_STREAM, 0);
	if (fd < 0) {
		perror("socket");
		return -1;
	}
	if (bind(fd, (struct sockaddr *)&sa, len) ||
	    getsockname(fd, (struct sockaddr *)&sa, &len)) {
		perror("bind");
		goto fail;
	}
	buf = mmap(NULL, size ?: 1, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED) {
		perror("mmap");
		goto fail;
	}
	*seed = zcrx_seed_ports(ntohs(sa.sin6_port), port);
	zcrx_fill(buf, size, *seed, 0);
	*bufp = buf;
	return fd;
fail:
	close(fd);
	return -1;
}

/*
 * Write the pid to READYFILE (whole: through a rename) and wait for
 * SIGUSR2, which is blocked from before the file exists, for up to
 * CONNECT_TIMEOUT seconds.
 */
static int wait_for_go(void)
{
	struct timespec ts = { .tv_sec = CONNECT_TIMEOUT };
	char tmp[PATH_MAX];
	sigset_t set;
	int fd, ret;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	if (sigprocmask(SIG_BLOCK, &set, NULL)) {
		perror("sigprocmask");
		return -1;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", ready_file);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		perror(tmp);
		return -1;
	}
	ret = dprintf(fd, "%d\n", getpid());
	if (close(fd) || ret < 0 || rename(tmp, ready_file)) {
		perror(ready_file);
		return -1;
	}
	if (sigtimedwait(&set, NULL, &ts) < 0) {
		fprintf(stderr, "no SIGUSR2 to start: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

/* Stream the pattern until SIGUSR1; returns the bytes sent or -errno. */
static int64_t send_until_signal(int fd)
{
	static uint8_t buf[64 * 1024];
	uint64_t off = 0, seed = zcrx_seed(fd);

	while (!stop_sending) {
		ssize_t n;

		zcrx_fill(buf, sizeof(buf), seed, off);
		n = send(fd, buf, sizeof(buf), 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		off += n;
	}
	return off;
}

static int do_connect(const char *addr, int port, uint64_t size, bool until,
		      bool pre)
{
	struct sigaction sa = { .sa_handler = on_sigusr1 };
	uint64_t seed = 0;
	uint8_t *buf = NULL;
	int fd = -1, ret;
	int64_t sent;

	/* No SA_RESTART: a blocked send() returns at the signal. */
	if (until && sigaction(SIGUSR1, &sa, NULL)) {
		perror("sigaction");
		return 1;
	}
	if (pre) {
		fd = precompute(addr, port, size, &buf, &seed);
		if (fd < 0)
			return 1;
		if (ready_file && wait_for_go()) {
			close(fd);
			return 1;
		}
	}
	fd = connect_to(addr, port, SOCK_STREAM, fd);
	if (fd < 0)
		return 1;
	/* a refused connect() gives the port back: the next try takes another */
	if (pre && zcrx_seed(fd) != seed) {
		fprintf(stderr, "connect refused: computing the stream again\n");
		zcrx_fill(buf, size, zcrx_seed(fd), 0);
	}
	if (until) {
		sent = send_until_signal(fd);
		if (sent < 0) {
			fprintf(stderr, "send: %s\n", strerror(-sent));
			return 1;
		}
		if (close(fd)) {
			perror("close");
			return 1;
		}
		printf("sent: bytes=%lld\n", (long long)sent);
		return 0;
	}
	ret = pre ? zcrx_send_all(fd, buf, size) : zcrx_send_pattern(fd, size);
	if (ret) {
		fprintf(stderr, "send: %s\n", strerror(-ret));
		return 1;
	}
	close(fd);
	return 0;
}

/* Both ends of a UDP flow fill datagrams with the seed of its port. */
static uint64_t udp_seed(int port)
{
	return zcrx_word(0x756470, port);
}

static int do_udp_send(const char *addr, int port, uint64_t size)
{
	uint64_t idx, n = (size + UDP_DGRAM - 1) / UDP_DGRAM;
	uint8_t buf[UDP_DGRAM];
	size_t len;
	int fd;

	fd = connect_to(addr, port, SOCK_DGRAM, -1);
	if (fd < 0)
		return 1;
	for (idx = 0; idx <= n; idx++) {
		uint64_t word = idx == n ? UDP_END : idx;

		len = idx == n ? 8 : UDP_DGRAM;
		memcpy(buf, &word, 8);
		zcrx_fill(buf + 8, len - 8, udp_seed(port), idx * UDP_DGRAM);
		if (send(fd, buf, len, 0) != (ssize_t)len) {
			perror("send");
			return 1;
		}
	}
	close(fd);
	return 0;
}

static int do_udp_listen(int family, int port)
{
	uint64_t got = 0, bytes = 0, idx, max = 1 << 20;
	struct timeval tv = { .tv_sec = CONNECT_TIMEOUT };
	int rcvbuf = 8 << 20, fd, bad = 0;
	uint8_t buf[UDP_DGRAM + 1];
	struct sockaddr_storage ss;
	uint8_t *seen;
	socklen_t len;
	ssize_t n;
	size_t chk;

	seen = calloc(max / 8, 1);
	fd = socket(family, SOCK_DGRAM, 0);
	if (!seen || fd < 0) {
		perror("udp socket");
		return 1;
	}
	zcrx_sockaddr(family, family == AF_INET ? "0.0.0.0" : "::", port, &ss, &len);
	/* Room for every datagram: a drop must only come from the wire. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    bind(fd, (struct sockaddr *)&ss, len)) {
		perror("udp setsockopt/bind");
		return 1;
	}
	if (signal_ready())
		return 1;
	for (;;) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			perror("recv (no end marker)");
			return 1;
		}
		if (n < 8) {
			fprintf(stderr, "a datagram of %zd bytes\n", n);
			return 1;
		}
		memcpy(&idx, buf, 8);
		if (idx == UDP_END && n == 8)
			break;
		if (idx >= max || n != UDP_DGRAM) {
			fprintf(stderr, "datagram %llu of %zd bytes\n",
				(unsigned long long)idx, n);
			return 1;
		}
		if (seen[idx / 8] & (1 << (idx % 8))) {
			fprintf(stderr, "datagram %llu twice\n",
				(unsigned long long)idx);
			bad = 1;
		}
		seen[idx / 8] |= 1 << (idx % 8);
		chk = zcrx_check(buf + 8, n - 8, udp_seed(port), idx * UDP_DGRAM);
		if (chk != (size_t)n - 8) {
			fprintf(stderr, "datagram %llu: wrong byte at %zu\n",
				(unsigned long long)idx, chk + 8);
			bad = 1;
		}
		got++;
		bytes += n;
	}
	printf("result: mode=udp datagrams=%llu bytes=%llu\n",
	       (unsigned long long)got, (unsigned long long)bytes);
	close(fd);
	free(seen);
	return bad;
}

int main(int argc, char **argv)
{
	uint64_t size = UINT64_MAX;
	const char *peer = NULL;
	size_t bufsize = 64 << 10, area_size = 64 << 20, rx_buf_len = 0;
	const char *ifq_spec = NULL;
	int family = AF_INET;
	int listen_mode = 0;
	bool until = false, udp = false, untouched = false, pre = false;
	int port = 9000;
	int opt, ret;

	while ((opt = getopt(argc, argv, "lc:6N:p:s:b:S:z:A:B:nr:uUP")) != -1) {
		switch (opt) {
		case 'l':
			listen_mode = 1;
			break;
		case 'c':
			peer = optarg;
			break;
		case '6':
			family = AF_INET6;
			break;
		case 'N':
			ret = zcrx_enter_netns(optarg);
			if (ret) {
				fprintf(stderr, "netns %s: %s\n", optarg, strerror(-ret));
				return 1;
			}
			break;
		case 'p':
			port = atoi(optarg);
			break;
		case 's':
			src_port = atoi(optarg);
			if (src_port <= 0 || src_port > 65535)
				bad_args(argv[0]);
			break;
		case 'b':
			bufsize = zcrx_parse_size(optarg);
			break;
		case 'S':
			size = zcrx_parse_size(optarg);
			break;
		case 'z':
			ifq_spec = optarg;
			break;
		case 'A':
			area_size = zcrx_parse_size(optarg);
			break;
		case 'B':
			rx_buf_len = zcrx_parse_size(optarg);
			break;
		case 'n':
			untouched = true;
			break;
		case 'r':
			ready_file = optarg;
			break;
		case 'u':
			until = true;
			break;
		case 'U':
			udp = true;
			break;
		case 'P':
			pre = true;
			break;
		default:
			bad_args(argv[0]);
		}
	}
	if (listen_mode == !!peer || !bufsize ||
	    (ready_file && !listen_mode && !pre) ||
	    (until && (listen_mode || udp || size != UINT64_MAX)) ||
	    (pre && (listen_mode || udp || until)) ||
	    (src_port && (listen_mode || udp || pre)) ||
	    (udp && ifq_spec) || ((rx_buf_len || untouched) && !ifq_spec) ||
	    rx_buf_len > UINT32_MAX)
		bad_args(argv[0]);
	if (udp && listen_mode)
		return do_udp_listen(family, port);
	if (listen_mode && ifq_spec)
		return do_listen_zc(family, port, ifq_spec, area_size,
				    rx_buf_len, untouched, size);
	if (listen_mode)
		return do_listen(family, port, bufsize, size);
	if (size == UINT64_MAX && !until)
		bad_args(argv[0]);
	if (udp)
		return do_udp_send(peer, port, size);
	return do_connect(peer, port, size, until, pre);
}
