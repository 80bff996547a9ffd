// SPDX-License-Identifier: GPL-2.0
/*
 * What a peer or a local program can do to a flow that lands on an rx queue
 * bound to io_uring zero-copy receive, beyond sending ordinary data: urgent
 * data (MSG_OOB), TCP-MD5 signatures, and a kTLS or sockmap owner of the
 * socket.  The payload of such a flow sits in the ifq's area, which the
 * stack must read correctly where it has to (the urgent byte, the MD5
 * hash) and never hand out as pages, also in buffers of sixteen pages
 * (rx_buf_len 64 KiB).
 *
 * Namespace B receives on eth0 with tcp-data-split on; an ntuple rule
 * steers TCP ports PORT_BASE..PORT_BASE+7 to the bound queue.  Namespace A
 * sends.  Both ends live in this process (sockets keep the namespace they
 * were created in), so that the test decides exactly when each byte is
 * sent and read.  Every byte is checked against the pattern of
 * zcrx_common.h; the VM runner fails the run on any kernel splat.
 */
#define _GNU_SOURCE
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/sock_diag.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <linux/tls.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "../kselftest_harness.h"
#pragma GCC diagnostic pop
#pragma GCC diagnostic ignored "-Wclobbered"
#include "zcrx_common.h"
#include "zcrx_uring.h"

#ifndef SOL_TLS
#define SOL_TLS		282
#endif
#ifndef TCP_ULP
#define TCP_ULP		31
#endif

#define IFNAME		"eth0"
#define NR_QUEUES	3
#define ZC_QUEUE	1
#define PORT_BASE	9400	/* 9400..9407 go to ZC_QUEUE */
#define RULE_LOC	7

#define RING_FLAGS	(IORING_SETUP_DEFER_TASKRUN | \
			 IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_CQE32)
#define AREA_LEN	(4UL << 20)
#define RQ_ENTRIES	1024
#define RECV_UD		0x7a63ULL
#define WAIT_MS		30000	/* nothing for this long: stuck */

#define KiB		1024ULL
#define MiB		(1024ULL * 1024)

/* the two namespaces, shared by the tests of this program */

static pid_t main_pid;
static char ns_a[32], ns_b[32];

static bool env_alive(void)
{
	char path[128];

	snprintf(path, sizeof(path), "/run/netns/.%s.nsim", ns_a);
	if (access(path, F_OK))
		return false;
	snprintf(path, sizeof(path), "/run/netns/.%s.nsim", ns_b);
	return !access(path, F_OK);
}

static void __attribute__((constructor)) env_init(void)
{
	main_pid = getpid();
	snprintf(ns_a, sizeof(ns_a), "zcrx-ua-%d", main_pid);
	snprintf(ns_b, sizeof(ns_b), "zcrx-ub-%d", main_pid);
}

static void __attribute__((destructor)) env_fini(void)
{
	char path[128];

	if (getpid() != main_pid)
		return;
	snprintf(path, sizeof(path), "/run/netns/%s", ns_b);
	if (env_alive() || !access(path, F_OK))
		zcrx_env_down(ns_a, ns_b);
}

/* The pair up with split headers on B, and the caller in namespace B. */
static int env_get(void)
{
	if (!env_alive()) {
		zcrx_env_down(ns_a, ns_b);
		if (zcrx_env_up(ns_a, ns_b, NR_QUEUES) ||
		    zcrx_env_hds(ns_b, 1))
			return -1;
	}
	return zcrx_enter_netns(ns_b);
}

/* Steer TCP ports PORT_BASE..PORT_BASE+7 of B to ZC_QUEUE. */
static int steer(void)
{
	struct ethtool_rxnfc nfc;
	struct ifreq ifr;
	int fd, ret;

	memset(&nfc, 0, sizeof(nfc));
	nfc.cmd = ETHTOOL_SRXCLSRLINS;
	nfc.fs.flow_type = TCP_V4_FLOW;
	nfc.fs.h_u.tcp_ip4_spec.pdst = htons(PORT_BASE);
	nfc.fs.m_u.tcp_ip4_spec.pdst = htons(0xfff8);
	nfc.fs.ring_cookie = ZC_QUEUE;
	nfc.fs.location = RULE_LOC;
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

/* A socket of namespace @ns, made without leaving the current one. */
static int socket_in(const char *ns, int type)
{
	int self, fd;

	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return -errno;
	if (zcrx_enter_netns(ns)) {
		close(self);
		return -1;
	}
	fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
	if (setns(self, CLONE_NEWNET))
		abort();	/* half in A, half in B: nothing sane is left */
	close(self);
	return fd;
}

static int md5_key(int fd, const char *peer)
{
	struct sockaddr_in *sin;
	struct tcp_md5sig md5;

	memset(&md5, 0, sizeof(md5));
	sin = (struct sockaddr_in *)&md5.tcpm_addr;
	sin->sin_family = AF_INET;
	inet_pton(AF_INET, peer, &sin->sin_addr);
	md5.tcpm_keylen = 16;
	memcpy(md5.tcpm_key, "zcrx-md5-key-016", 16);
	return setsockopt(fd, IPPROTO_TCP, TCP_MD5SIG, &md5, sizeof(md5));
}

/*
 * A connection from A to @port of B: *tx in A, *rx in B.  With @md5 both
 * ends sign every segment.
 */
static int connect_pair(int port, bool md5, int *tx, int *rx)
{
	struct sockaddr_storage ss;
	struct pollfd pfd;
	int one = 1, rcvbuf = 4 << 20, lfd;
	socklen_t len;

	*tx = -1;
	*rx = -1;
	zcrx_sockaddr(AF_INET, ZCRX_NS_B_ADDR4, port, &ss, &len);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		return -1;
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/*
	 * Room for everything a test leaves queued, whatever its truesize
	 * (a 64 KiB buffer for a burst of a few segments), past rmem_max.
	 */
	setsockopt(lfd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));
	if (bind(lfd, (struct sockaddr *)&ss, len) || listen(lfd, 1) ||
	    (md5 && md5_key(lfd, ZCRX_NS_A_ADDR4)))
		goto err;
	*tx = socket_in(ns_a, SOCK_STREAM);
	if (*tx < 0 || (md5 && md5_key(*tx, ZCRX_NS_B_ADDR4)) ||
	    connect(*tx, (struct sockaddr *)&ss, len))
		goto err;
	pfd.fd = lfd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, WAIT_MS) != 1)
		goto err;
	*rx = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (*rx < 0)
		goto err;
	close(lfd);
	return 0;
err:
	if (*tx >= 0)
		close(*tx);
	close(lfd);
	*tx = -1;
	return -1;
}

/* Send @len bytes of the pattern from stream offset @off. */
static int send_part(int fd, uint64_t off, size_t len, int flags)
{
	static uint8_t buf[64 * 1024];
	uint64_t seed = zcrx_seed(fd);

	while (len) {
		size_t chunk = len < sizeof(buf) ? len : sizeof(buf);
		ssize_t n;

		zcrx_fill(buf, chunk, seed, off);
		n = send(fd, buf, chunk, flags);
		if (n <= 0)
			return -1;
		off += n;
		len -= n;
	}
	return 0;
}

/*
 * Pattern bytes [@off, @off + @a), the byte at @off + @a as urgent data,
 * then [@off + @a + 1, @off + @a + 1 + @b).
 */
static int send_with_urg(int fd, uint64_t off, size_t a, size_t b)
{
	if (send_part(fd, off, a, 0) || send_part(fd, off + a, 1, MSG_OOB))
		return -1;
	return send_part(fd, off + a + 1, b, 0);
}

/*
 * Wait until the peer has acknowledged everything sent on @tx, so that it
 * is all queued at the receiver (SIOCINQ stops at the urgent mark).
 */
static int wait_acked(int tx)
{
	int i, outq = 0;

	for (i = 0; i < WAIT_MS / 10; i++) {
		if (ioctl(tx, SIOCOUTQ, &outq))
			return -1;
		if (!outq)
			return 0;
		usleep(10 * 1000);
	}
	return -1;
}

/* Wait until @fd has @bytes queued. */
static int wait_inq(int fd, int bytes)
{
	int i, inq = 0;

	for (i = 0; i < WAIT_MS / 10; i++) {
		if (ioctl(fd, SIOCINQ, &inq))
			return -1;
		if (inq >= bytes)
			return inq == bytes ? 0 : -1;
		usleep(10 * 1000);
	}
	return -1;
}

/* one ring with one ifq on ZC_QUEUE */

struct zc {
	struct io_uring ring;
	struct io_uring_zcrx_ifq_reg reg;
	struct io_uring_zcrx_area_reg area_reg;
	struct io_uring_region_desc rd;
	struct zcrx_rq rq;
	uint8_t *area;
	void *region;
	size_t region_len;
	bool armed;
	bool ended;
	int end_res;		/* res of the last completion */
	uint64_t got;		/* bytes received */
};

/* At least @n huge pages of the default size in the pool. */
static int huge_pages_at_least(long n)
{
	long have = 0;
	FILE *f;

	f = fopen("/proc/sys/vm/nr_hugepages", "r+e");
	if (!f)
		return -errno;
	if (fscanf(f, "%ld", &have) != 1 || have < n) {
		rewind(f);
		fprintf(f, "%ld\n", n);
	}
	return fclose(f) ? -errno : 0;
}

/*
 * A ring and an ifq on ZC_QUEUE whose buffers are @buf_len bytes (0: a
 * page); larger ones come from 2 MiB huge pages.
 */
static int zc_open_buf(struct zc *z, __u32 buf_len)
{
	struct io_uring_params p;
	long pg = sysconf(_SC_PAGESIZE);
	int ret, huge = 0;

	if (buf_len > pg) {
		if (huge_pages_at_least(8))
			return -ENOMEM;
		huge = MAP_HUGETLB;
	}
	memset(z, 0, sizeof(*z));
	memset(&p, 0, sizeof(p));
	p.flags = RING_FLAGS | IORING_SETUP_CQSIZE;
	p.cq_entries = 4096;
	ret = io_uring_queue_init_params(64, &z->ring, &p);
	if (ret)
		return ret;
	z->region_len = pg + RQ_ENTRIES * sizeof(struct io_uring_zcrx_rqe);
	z->region_len = (z->region_len + pg - 1) & ~(pg - 1);
	z->area = mmap(NULL, AREA_LEN, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | huge, -1, 0);
	z->region = mmap(NULL, z->region_len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (z->area == MAP_FAILED || z->region == MAP_FAILED)
		return -ENOMEM;
	/* the MD5 test's sender child needs none of it */
	madvise(z->area, AREA_LEN, MADV_DONTFORK);
	madvise(z->region, z->region_len, MADV_DONTFORK);
	z->area_reg.addr = (uintptr_t)z->area;
	z->area_reg.len = AREA_LEN;
	z->rd.user_addr = (uintptr_t)z->region;
	z->rd.size = z->region_len;
	z->rd.flags = IORING_MEM_REGION_TYPE_USER;
	z->reg.if_idx = if_nametoindex(IFNAME);
	z->reg.if_rxq = ZC_QUEUE;
	z->reg.rq_entries = RQ_ENTRIES;
	z->reg.rx_buf_len = buf_len;
	z->reg.area_ptr = (uintptr_t)&z->area_reg;
	z->reg.region_ptr = (uintptr_t)&z->rd;
	ret = zcrx_register_ifq(z->ring.ring_fd, &z->reg);
	if (ret)
		return ret;
	zcrx_rq_init(&z->rq, z->region, &z->reg, z->area_reg.rq_area_token);
	return 0;
}

static int zc_open(struct zc *z)
{
	return zc_open_buf(z, 0);
}

static void zc_close(struct zc *z)
{
	io_uring_queue_exit(&z->ring);
	munmap(z->area, AREA_LEN);
	munmap(z->region, z->region_len);
}

/*
 * The fixture's ifq again with @buf_len buffers: the queue is free for it
 * as soon as the first ring is closed.
 */
static int zc_reopen(struct zc *z, __u32 buf_len)
{
	zc_close(z);
	return zc_open_buf(z, buf_len);
}

static void zc_arm(struct zc *z, int fd)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&z->ring);

	zcrx_prep_recv(sqe, fd, 0, z->reg.zcrx_id);
	sqe->user_data = RECV_UD;
	io_uring_submit(&z->ring);
	z->armed = true;
	z->ended = false;
}

/*
 * Reap completions of the request on @fd until @want bytes in all came in
 * (copied to @out from where each completion says), or the request ended.
 * Every buffer goes back through the refill ring at once.  0, or -1 when
 * a completion is malformed or nothing happens for WAIT_MS.
 */
static int zc_collect(struct zc *z, uint8_t *out, uint64_t want)
{
	struct __kernel_timespec ts = { .tv_sec = WAIT_MS / 1000 };
	struct io_uring_cqe *cqe;

	while (z->got < want && !z->ended) {
		if (io_uring_wait_cqe_timeout(&z->ring, &cqe, &ts))
			return -1;
		do {
			struct io_uring_zcrx_cqe *zcqe = zcrx_cqe(cqe);
			__u64 off = zcqe->off & ~IORING_ZCRX_AREA_MASK;

			if (cqe->user_data != RECV_UD)
				return -1;
			if (!(cqe->flags & IORING_CQE_F_MORE)) {
				z->ended = true;
				z->armed = false;
			}
			if (cqe->res > 0) {
				if (off + cqe->res > AREA_LEN ||
				    z->got + cqe->res > want)
					return -1;
				memcpy(out + z->got, z->area + off, cqe->res);
				z->got += cqe->res;
				if (zcrx_rq_push(&z->rq, zcqe->off, cqe->res))
					return -1;
			}
			z->end_res = cqe->res;
			io_uring_cqe_seen(&z->ring, cqe);
		} while (!io_uring_peek_cqe(&z->ring, &cqe));
		zcrx_rq_commit(&z->rq);
	}
	return 0;
}

/* Wait for the end of the request: its last completion's res. */
static int zc_end(struct zc *z, uint8_t *out, uint64_t room)
{
	uint64_t got = z->got;

	if (zc_collect(z, out, got + room) || !z->ended)
		return -1000;
	return z->got == got ? z->end_res : -1001;
}

FIXTURE(urg)
{
	struct zc zc;
	uint8_t *buf;
	int tx, rx;
};

FIXTURE_SETUP(urg)
{
	self->tx = -1;
	self->rx = -1;
	ASSERT_EQ(0, env_get());
	ASSERT_EQ(0, steer());
	ASSERT_EQ(0, zc_open(&self->zc));
	self->buf = malloc(4 * MiB);
	ASSERT_NE(NULL, self->buf);
}

FIXTURE_TEARDOWN(urg)
{
	if (self->tx >= 0)
		close(self->tx);
	if (self->rx >= 0)
		close(self->rx);
	zc_close(&self->zc);
	free(self->buf);
}

/*
 * An urgent byte in the middle of the stream, first queued before the
 * request (MSG_OOB reads it), then arriving under an armed request.  The
 * request must read past it: without SO_OOBINLINE the stream holds
 * everything but the urgent bytes, with it everything.
 */
static void urgent_mid_stream(struct __test_metadata *_metadata,
			      FIXTURE_DATA(urg) *self, int port, bool oobinline)
{
	const size_t a = 20000, b = 12000, a2 = 3000, b2 = 40000;
	const uint64_t n1 = a + 1 + b, n2 = a2 + 1 + b2;
	uint64_t want1 = oobinline ? n1 : n1 - 1;
	uint64_t want2 = oobinline ? n2 : n2 - 1;
	uint8_t *buf = self->buf;
	uint64_t seed;
	int one = 1;
	char c;

	ASSERT_EQ(0, connect_pair(port, false, &self->tx, &self->rx));
	seed = zcrx_seed(self->rx);
	if (oobinline)
		ASSERT_EQ(0, setsockopt(self->rx, SOL_SOCKET, SO_OOBINLINE,
					&one, sizeof(one)));

	ASSERT_EQ(0, send_with_urg(self->tx, 0, a, b));
	ASSERT_EQ(0, wait_acked(self->tx));
	if (oobinline) {
		EXPECT_EQ(-1, recv(self->rx, &c, 1, MSG_OOB));
		EXPECT_EQ(EINVAL, errno);
	} else {
		ASSERT_EQ(1, recv(self->rx, &c, 1, MSG_OOB));
		EXPECT_EQ(zcrx_byte(seed, a), (uint8_t)c);
	}

	zc_arm(&self->zc, self->rx);
	ASSERT_EQ(0, zc_collect(&self->zc, buf, want1));
	ASSERT_EQ(want1, self->zc.got);
	if (oobinline) {
		EXPECT_EQ(n1, zcrx_check(buf, n1, seed, 0));
	} else {
		EXPECT_EQ(a, zcrx_check(buf, a, seed, 0));
		EXPECT_EQ(b, zcrx_check(buf + a, b, seed, a + 1));
	}
	ASSERT_TRUE(self->zc.armed);

	/* the request is armed and waiting when the next one comes */
	ASSERT_EQ(0, send_with_urg(self->tx, n1, a2, b2));
	ASSERT_EQ(0, zc_collect(&self->zc, buf, want1 + want2));
	ASSERT_EQ(want1 + want2, self->zc.got);
	if (oobinline) {
		EXPECT_EQ(n2, zcrx_check(buf + want1, n2, seed, n1));
	} else {
		EXPECT_EQ(a2, zcrx_check(buf + want1, a2, seed, n1));
		EXPECT_EQ(b2, zcrx_check(buf + want1 + a2, b2, seed, n1 + a2 + 1));
	}

	/* then the end of the stream, and nothing more */
	close(self->tx);
	self->tx = -1;
	EXPECT_EQ(0, zc_end(&self->zc, buf, 4 * MiB - self->zc.got));
}

TEST_F_TIMEOUT(urg, oob_mid_stream, 300)
{
	urgent_mid_stream(_metadata, self, PORT_BASE, false);
}

TEST_F_TIMEOUT(urg, oob_inline_mid_stream, 300)
{
	urgent_mid_stream(_metadata, self, PORT_BASE + 1, true);
}

/*
 * @size bytes of the pattern sent by a child on self->tx, which is then
 * closed, and received zero-copy on self->rx to the end of the stream:
 * every byte checked.
 */
static void zc_transfer(struct __test_metadata *_metadata,
			FIXTURE_DATA(urg) *self, uint64_t size)
{
	int status;
	pid_t pid;

	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid)
		_exit(zcrx_send_pattern(self->tx, size) ? 1 : 0);
	close(self->tx);
	self->tx = -1;

	zc_arm(&self->zc, self->rx);
	EXPECT_EQ(0, zc_collect(&self->zc, self->buf, size));
	EXPECT_EQ(size, self->zc.got);
	EXPECT_EQ(size, zcrx_check(self->buf, size, zcrx_seed(self->rx), 0));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, status);
	EXPECT_EQ(0, zc_end(&self->zc, self->buf, 4 * MiB - self->zc.got));
}

/* Every segment signed with TCP-MD5: the hash covers the area's bytes. */
TEST_F_TIMEOUT(urg, md5_steered, 300)
{
	ASSERT_EQ(0, connect_pair(PORT_BASE + 2, true, &self->tx, &self->rx));
	zc_transfer(_metadata, self, 1 * MiB);
}

/*
 * The same two with 64 KiB buffers, which hold many segments: the urgent
 * byte and the bytes the MD5 hash covers are read well past the first
 * page of a buffer.
 */
TEST_F_TIMEOUT(urg, oob_mid_stream_64k, 300)
{
	ASSERT_EQ(0, zc_reopen(&self->zc, 64 * KiB));
	urgent_mid_stream(_metadata, self, PORT_BASE, false);
}

TEST_F_TIMEOUT(urg, md5_steered_64k, 300)
{
	ASSERT_EQ(0, zc_reopen(&self->zc, 64 * KiB));
	ASSERT_EQ(0, connect_pair(PORT_BASE + 2, true, &self->tx, &self->rx));
	zc_transfer(_metadata, self, 1 * MiB);
}

/*
 * A flow on the bound queue read by an ordinary socket: MSG_OOB gets the
 * urgent byte, and recv() refuses the payload in the area with EFAULT, as
 * it does for any such flow.
 */
TEST_F_TIMEOUT(urg, plain_recv_oob, 300)
{
	const size_t a = 5000, b = 5000;
	int inq = 0;
	char c;

	ASSERT_EQ(0, connect_pair(PORT_BASE + 3, false, &self->tx, &self->rx));
	ASSERT_EQ(0, send_with_urg(self->tx, 0, a, b));
	ASSERT_EQ(0, wait_acked(self->tx));
	/* the stream stops at the mark, which is not passed yet */
	ASSERT_EQ(0, ioctl(self->rx, SIOCINQ, &inq));
	EXPECT_EQ(a, inq);
	ASSERT_EQ(1, recv(self->rx, &c, 1, MSG_OOB));
	EXPECT_EQ(zcrx_byte(zcrx_seed(self->rx), a), (uint8_t)c);
	EXPECT_EQ(-1, recv(self->rx, self->buf, a + b, MSG_DONTWAIT));
	EXPECT_EQ(EFAULT, errno);
}

/*
 * The flow is tapped by a packet socket, which keeps a clone of every frame
 * and cuts it after the headers (the payload in the area is not the tap's
 * to read), and every segment carries IPv4 options, so IP unshares the
 * header of the clone-shared skb (skb_cow()) before parsing them.  Both
 * give a second skb the frags in the area, whose references must go
 * through the page pool.  The flow still arrives zero-copy and intact, and
 * the tap gets the headers of its segments.
 */
TEST_F_TIMEOUT(urg, tapped_ip_options, 300)
{
	static const uint8_t nops[4] = { IPOPT_NOP, IPOPT_NOP, IPOPT_NOP,
					 IPOPT_END };
	const uint64_t size = 1 * MiB;
	long long split0, split1, zc0, zc1, copy0, copy1;
	struct sockaddr_ll sll;
	int pfd, rcvbuf = 16 << 20, frames = 0, one = 1;
	uint8_t frame[64];
	ssize_t n;

	pfd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
	ASSERT_LE(0, pfd);
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = if_nametoindex(IFNAME);
	ASSERT_EQ(0, setsockopt(pfd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
				sizeof(rcvbuf)));
	ASSERT_EQ(0, setsockopt(pfd, SOL_PACKET, PACKET_AUXDATA, &one,
				sizeof(one)));
	ASSERT_EQ(0, bind(pfd, (struct sockaddr *)&sll, sizeof(sll)));

	ASSERT_EQ(0, connect_pair(PORT_BASE + 7, false, &self->tx, &self->rx));
	ASSERT_EQ(0, setsockopt(self->tx, IPPROTO_IP, IP_OPTIONS, nops,
				sizeof(nops)));
	split0 = zcrx_counter(ns_b, "rx1_split");
	zc0 = zcrx_fdinfo_counter(self->zc.ring.ring_fd, "zc_bytes");
	copy0 = zcrx_fdinfo_counter(self->zc.ring.ring_fd, "copy_bytes");
	ASSERT_LE(0, split0);
	ASSERT_LE(0, zc0);
	ASSERT_LE(0, copy0);
	zc_transfer(_metadata, self, size);

	/* zero-copy: split by the NIC, nothing copied by io_uring */
	split1 = zcrx_counter(ns_b, "rx1_split");
	zc1 = zcrx_fdinfo_counter(self->zc.ring.ring_fd, "zc_bytes");
	copy1 = zcrx_fdinfo_counter(self->zc.ring.ring_fd, "copy_bytes");
	EXPECT_LT(split0, split1);
	EXPECT_EQ(size, zc1 - zc0);
	EXPECT_EQ(copy0, copy1);

	/*
	 * The tap saw the flow's data segments, options and all: Ethernet,
	 * IPv4 with one word of options (byte 14), TCP to the port (38..),
	 * and nothing after the TCP header of a frame that had payload.
	 */
	for (;;) {
		struct iovec iov = { .iov_base = frame, .iov_len = sizeof(frame) };
		union {
			struct cmsghdr align;
			char buf[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
		} ctl;
		struct msghdr msg = {
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf),
		};
		struct tpacket_auxdata aux = { 0 };
		struct cmsghdr *cm;

		n = recvmsg(pfd, &msg, MSG_DONTWAIT | MSG_TRUNC);
		if (n <= 0)
			break;
		cm = CMSG_FIRSTHDR(&msg);
		if (cm && cm->cmsg_level == SOL_PACKET &&
		    cm->cmsg_type == PACKET_AUXDATA)
			memcpy(&aux, CMSG_DATA(cm), sizeof(aux));
		if (n > 51 && frame[12] == 0x08 && frame[13] == 0x00 &&
		    frame[14] == 0x46 && frame[23] == IPPROTO_TCP &&
		    ((frame[40] << 8) | frame[41]) == PORT_BASE + 7 &&
		    n == 38 + (frame[50] >> 4) * 4 && aux.tp_snaplen == n &&
		    aux.tp_len > aux.tp_snaplen)
			frames++;
	}
	EXPECT_EQ(-1, n);
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_LT(0, frames);
	close(pfd);
}

/* One RECV_ZC on @fd: the res of its only completion. */
static int zc_once(struct zc *z, int fd, uint8_t *out)
{
	z->got = 0;
	zc_arm(z, fd);
	if (zc_collect(z, out, 4 * MiB) || !z->ended)
		return -1000;
	return z->got ? -1001 : z->end_res;
}

/*
 * kTLS owns the receive path of a socket with TLS_RX keys: RECV_ZC refuses
 * it, and kTLS refuses the payload in the area rather than decrypt it
 * where it lies.
 */
TEST_F_TIMEOUT(urg, tls_ulp, 300)
{
	struct tls12_crypto_info_aes_gcm_128 ci;

	ASSERT_EQ(0, connect_pair(PORT_BASE + 4, false, &self->tx, &self->rx));
	ASSERT_EQ(0, setsockopt(self->rx, IPPROTO_TCP, TCP_ULP, "tls",
				sizeof("tls")));
	memset(&ci, 0, sizeof(ci));
	ci.info.version = TLS_1_2_VERSION;
	ci.info.cipher_type = TLS_CIPHER_AES_GCM_128;
	ASSERT_EQ(0, setsockopt(self->rx, SOL_TLS, TLS_RX, &ci, sizeof(ci)));

	EXPECT_EQ(-EPROTONOSUPPORT, zc_once(&self->zc, self->rx, self->buf));

	ASSERT_EQ(0, send_part(self->tx, 0, 8192, 0));
	ASSERT_EQ(0, wait_inq(self->rx, 8192));
	EXPECT_EQ(-1, recv(self->rx, self->buf, 8192, MSG_DONTWAIT));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-EPROTONOSUPPORT, zc_once(&self->zc, self->rx, self->buf));
}

static int bpf_sys(int cmd, union bpf_attr *attr)
{
	return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

/*
 * A socket in a sockmap belongs to it: RECV_ZC refuses it.  Out of the
 * map again, it is an ordinary TCP socket and RECV_ZC takes everything
 * that waited.
 */
TEST_F_TIMEOUT(urg, sockmap, 300)
{
	const uint64_t size = 64 * KiB;
	union bpf_attr attr;
	int map, key = 0, val;

	ASSERT_EQ(0, connect_pair(PORT_BASE + 5, false, &self->tx, &self->rx));
	ASSERT_EQ(0, send_part(self->tx, 0, size, 0));
	ASSERT_EQ(0, wait_inq(self->rx, size));

	memset(&attr, 0, sizeof(attr));
	attr.map_type = BPF_MAP_TYPE_SOCKMAP;
	attr.key_size = sizeof(int);
	attr.value_size = sizeof(int);
	attr.max_entries = 1;
	map = bpf_sys(BPF_MAP_CREATE, &attr);
	ASSERT_GE(map, 0);
	val = self->rx;
	memset(&attr, 0, sizeof(attr));
	attr.map_fd = map;
	attr.key = (uintptr_t)&key;
	attr.value = (uintptr_t)&val;
	ASSERT_EQ(0, bpf_sys(BPF_MAP_UPDATE_ELEM, &attr));

	EXPECT_EQ(-EPROTONOSUPPORT, zc_once(&self->zc, self->rx, self->buf));

	memset(&attr, 0, sizeof(attr));
	attr.map_fd = map;
	attr.key = (uintptr_t)&key;
	ASSERT_EQ(0, bpf_sys(BPF_MAP_DELETE_ELEM, &attr));
	close(map);

	self->zc.got = 0;
	zc_arm(&self->zc, self->rx);
	EXPECT_EQ(0, zc_collect(&self->zc, self->buf, size));
	EXPECT_EQ(size, self->zc.got);
	EXPECT_EQ(size, zcrx_check(self->buf, size, zcrx_seed(self->rx), 0));
	close(self->tx);
	self->tx = -1;
	EXPECT_EQ(0, zc_end(&self->zc, self->buf, 4 * MiB - self->zc.got));
}

/* An SK_SKB verdict program that passes every skb to its own socket. */
static int verdict_pass_prog(void)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0,
		  .imm = 1 /* SK_PASS */ },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_SK_SKB;
	attr.expected_attach_type = BPF_SK_SKB_VERDICT;
	attr.insns = (uintptr_t)insns;
	attr.insn_cnt = sizeof(insns) / sizeof(insns[0]);
	attr.license = (uintptr_t)"GPL";
	return bpf_sys(BPF_PROG_LOAD, &attr);
}

/*
 * A sockmap verdict program sees the skbs of a flow on the bound queue:
 * their payload cannot be queued to a reader as pages, so it is dropped
 * and counted in the socket's drops, and recv() finds nothing.
 */
TEST_F_TIMEOUT(urg, sockmap_verdict, 300)
{
	__u32 meminfo[SK_MEMINFO_VARS];
	socklen_t mlen = sizeof(meminfo);
	union bpf_attr attr;
	int map, prog, key = 0, val;

	ASSERT_EQ(0, connect_pair(PORT_BASE + 6, false, &self->tx, &self->rx));

	memset(&attr, 0, sizeof(attr));
	attr.map_type = BPF_MAP_TYPE_SOCKMAP;
	attr.key_size = sizeof(int);
	attr.value_size = sizeof(int);
	attr.max_entries = 1;
	map = bpf_sys(BPF_MAP_CREATE, &attr);
	ASSERT_GE(map, 0);
	prog = verdict_pass_prog();
	ASSERT_GE(prog, 0);
	memset(&attr, 0, sizeof(attr));
	attr.target_fd = map;
	attr.attach_bpf_fd = prog;
	attr.attach_type = BPF_SK_SKB_VERDICT;
	ASSERT_EQ(0, bpf_sys(BPF_PROG_ATTACH, &attr));
	val = self->rx;
	memset(&attr, 0, sizeof(attr));
	attr.map_fd = map;
	attr.key = (uintptr_t)&key;
	attr.value = (uintptr_t)&val;
	ASSERT_EQ(0, bpf_sys(BPF_MAP_UPDATE_ELEM, &attr));

	ASSERT_EQ(0, send_part(self->tx, 0, 16 * KiB, 0));
	ASSERT_EQ(0, wait_acked(self->tx));
	EXPECT_EQ(-1, recv(self->rx, self->buf, 16 * KiB, MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);
	ASSERT_EQ(0, getsockopt(self->rx, SOL_SOCKET, SO_MEMINFO, meminfo,
				&mlen));
	EXPECT_LT(0, meminfo[SK_MEMINFO_DROPS]);
	EXPECT_EQ(-EPROTONOSUPPORT, zc_once(&self->zc, self->rx, self->buf));

	close(map);
	close(prog);
}

TEST_HARNESS_MAIN
