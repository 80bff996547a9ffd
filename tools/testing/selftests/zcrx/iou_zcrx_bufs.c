// SPDX-License-Identifier: GPL-2.0
/*
 * io_uring zero-copy receive with rx buffers larger than a page
 * (rx_buf_len), cut from an area of 2 MiB huge pages; netdevsim packs
 * payload frame after frame into a buffer until it is full, across NAPI
 * polls, as hardware GRO and striding rx rings do.
 *
 *   bufs.reg            the errnos of sizes the kernel, the area or the
 *                       device cannot do; what is written back
 *   zcrx.zc_{16k,64k}   8 MiB through a 4 MiB area on the bound queue:
 *                       every byte checked, none copied, completions
 *                       longer than a page, none longer than a buffer
 *   zcrx.copy_64k       a flow on a queue with ordinary pages, copied
 *                       into 64 KiB buffers
 *   zcrx.zc_64k_packed  frames of one segment each (the sender's TSO and
 *                       GSO off) packed back to back into 64 KiB
 *                       buffers: completions that span frames
 *   zcrx.bufs_device    a size beyond the device's largest
 *   bufs.nodev          a device-less ifq with 16 KiB buffers over
 *                       loopback, every byte copied and checked
 */
#define _GNU_SOURCE
#include "zcrx_lo.h"
#include "zcrx_fixture.h"

#define HUGE_LEN	(2UL << 20)
#define BUFS_PORT	9600

/* Enough 2 MiB pages for the largest area of these tests, and more. */
static int huge_pages_ready(void)
{
	long want = 16, have = 0;
	FILE *f;

	f = fopen("/proc/sys/vm/nr_hugepages", "r+e");
	if (!f)
		return -errno;
	if (fscanf(f, "%ld", &have) != 1)
		have = 0;
	if (have < want) {
		rewind(f);
		fprintf(f, "%ld\n", want);
	}
	fclose(f);
	return 0;
}

static void *huge_map(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	madvise(p, len, MADV_DONTFORK);
	return p;
}

/*
 * Set up @q for an area of @len bytes of huge pages and buffers of
 * @buf_len bytes; the registration is not sent yet.
 */
static int bufs_init(struct ifq *q, size_t len, __u32 buf_len, int ifindex,
		     unsigned int rxq, __u32 flags)
{
	memset(q, 0, sizeof(*q));
	q->mem.area = huge_map(len);
	if (!q->mem.area)
		return -ENOMEM;
	q->mem.area_len = len;
	q->mem.region_len = rq_region_len(RQ_ENTRIES);
	q->mem.region = map_mem(q->mem.region_len, PROT_READ | PROT_WRITE);
	if (!q->mem.region) {
		zc_mem_free(&q->mem);
		return -ENOMEM;
	}
	zc_reg_init(&q->r, &q->mem, ifindex, rxq, RQ_ENTRIES);
	q->r.reg.flags = flags;
	q->r.reg.rx_buf_len = buf_len;
	return 0;
}

static int bufs_open(int ring_fd, struct ifq *q, size_t len, __u32 buf_len,
		     int ifindex, unsigned int rxq, __u32 flags)
{
	int ret = bufs_init(q, len, buf_len, ifindex, rxq, flags);

	return ret ? ret : ifq_register(ring_fd, q, NULL);
}

/* The registration of @q for its errno only; its memory is freed. */
static int bufs_errno(int ring_fd, struct ifq *q)
{
	int ret = zcrx_register_ifq(ring_fd, &q->r.reg);

	zc_mem_free(&q->mem);
	return ret;
}

/*
 * 16 times the same page, one after the other: an area whose buffers of
 * more than a page cannot be contiguous, whatever the allocator did.
 */
static void *same_page_map(size_t len)
{
	char *p;
	size_t off;
	int fd;

	fd = memfd_create("zcrx-one-page", MFD_CLOEXEC);
	if (fd < 0)
		return NULL;
	p = MAP_FAILED;
	if (!ftruncate(fd, pagesz()))
		p = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
			 -1, 0);
	for (off = 0; p != MAP_FAILED && off < len; off += pagesz()) {
		if (mmap(p + off, pagesz(), PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_FIXED, fd, 0) == MAP_FAILED) {
			munmap(p, len);
			p = MAP_FAILED;
		}
	}
	close(fd);
	return p == MAP_FAILED ? NULL : p;
}

FIXTURE(bufs)
{
	pid_t tx;	/* the loopback sender */
};

FIXTURE_SETUP(bufs)
{
	ASSERT_EQ(0, netns_lo_up());
	ASSERT_EQ(0, huge_pages_ready());
}

FIXTURE_TEARDOWN(bufs)
{
	kill_tx(&self->tx, 1);
}

TEST_F_TIMEOUT(bufs, reg, 120)
{
	const size_t len = 2 * HUGE_LEN;
	struct zcrx_info info;
	struct zc_mem mem;
	struct zc_reg r;
	struct ifq q;
	struct rx rx;

	ASSERT_EQ(0, rx_init(&rx, SQ_ENTRIES, CQ_ENTRIES));

	/* not a power of two, less than a page, more than 1 MiB */
	ASSERT_EQ(0, bufs_init(&q, len, 3 * pagesz(), 0, 0, ZCRX_REG_NODEV));
	EXPECT_EQ(-EINVAL, bufs_errno(rx.ring.ring_fd, &q));
	ASSERT_EQ(0, bufs_init(&q, len, pagesz() / 2, 0, 0, ZCRX_REG_NODEV));
	EXPECT_EQ(-EINVAL, bufs_errno(rx.ring.ring_fd, &q));
	ASSERT_EQ(0, bufs_init(&q, len, 2 << 20, 0, 0, ZCRX_REG_NODEV));
	EXPECT_EQ(-ERANGE, bufs_errno(rx.ring.ring_fd, &q));
	/* an area that is not a whole number of buffers */
	ASSERT_EQ(0, bufs_init(&q, len, 64 * KiB, 0, 0, ZCRX_REG_NODEV));
	q.r.area.len = len - pagesz();
	EXPECT_EQ(-EINVAL, bufs_errno(rx.ring.ring_fd, &q));
	/* an area that is not contiguous in buffers of that size */
	memset(&mem, 0, sizeof(mem));
	mem.area_len = 16 * pagesz();
	mem.area = same_page_map(mem.area_len);
	ASSERT_NE(NULL, mem.area);
	mem.region_len = rq_region_len(RQ_ENTRIES);
	mem.region = map_mem(mem.region_len, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, mem.region);
	zc_reg_init(&r, &mem, 0, 0, RQ_ENTRIES);
	r.reg.flags = ZCRX_REG_NODEV;
	r.reg.rx_buf_len = 2 * pagesz();
	EXPECT_EQ(-ERANGE, zcrx_register_ifq(rx.ring.ring_fd, &r.reg));
	/* the same area is fine for pages */
	zc_reg_init(&r, &mem, 0, 0, RQ_ENTRIES);
	r.reg.flags = ZCRX_REG_NODEV;
	r.reg.rx_buf_len = pagesz();
	ASSERT_EQ(0, zcrx_register_ifq(rx.ring.ring_fd, &r.reg));
	EXPECT_EQ(0U, r.reg.zcrx_id);
	EXPECT_EQ(pagesz(), r.reg.rx_buf_len);

	/* 1 MiB, the largest, on huge pages: the size is written back */
	ASSERT_EQ(0, bufs_open(rx.ring.ring_fd, &q, len, 1 << 20, 0, 0,
			       ZCRX_REG_NODEV));
	EXPECT_EQ(1U, q.id);
	EXPECT_EQ(1U << 20, q.r.reg.rx_buf_len);
	ASSERT_EQ(0, zcrx_info_get(rx.ring.ring_fd, q.id, &info, NULL));
	EXPECT_EQ(len, info.area_bytes);
	EXPECT_EQ(len >> 20, info.bufs);

	rx_exit(&rx);
	ifq_free(&q);
	zc_mem_free(&mem);
}

/* 4 MiB through a 2 MiB area of 16 KiB buffers, copied over loopback. */
TEST_F_TIMEOUT(bufs, nodev, 300)
{
	const uint64_t size = 4 * MiB;
	struct zcrx_info info;
	struct stream *s;
	struct ifq q;
	struct rx rx;
	int lfd;

	ASSERT_EQ(0, rx_init(&rx, SQ_ENTRIES, CQ_ENTRIES));
	ASSERT_EQ(0, bufs_open(rx.ring.ring_fd, &q, HUGE_LEN, 16 * KiB, 0, 0,
			       ZCRX_REG_NODEV));
	EXPECT_EQ(16 * KiB, q.buf_len);
	lfd = lo_stream(&rx, &q, AF_INET, BUFS_PORT, size, &self->tx, &s);
	ASSERT_GE(lfd, 0);
	rx.allow_enomem = true;
	ASSERT_EQ(0, rx_run(&rx, 0));
	EXPECT_STREAM_OK(&rx, s, size);
	EXPECT_EQ(0, reap_tx(&self->tx));
	check_drained(_metadata, &rx, &q, &info);
	EXPECT_EQ(size, info.copy_bytes);
	EXPECT_EQ(HUGE_LEN / (16 * KiB), info.bufs);
	TH_LOG("%u completions for %llu bytes", s->data_cqes,
	       (unsigned long long)size);

	rx_exit(&rx);
	ifq_free(&q);
	close(lfd);
}

/* The device fills at most 64 KiB: a larger buffer is refused. */
TEST_F_TIMEOUT(zcrx, bufs_device, 120)
{
	struct ifq q;
	struct rx rx;

	ASSERT_EQ(0, huge_pages_ready());
	ASSERT_EQ(0, rx_init(&rx, SQ_ENTRIES, CQ_ENTRIES));
	ASSERT_EQ(0, bufs_init(&q, HUGE_LEN, 128 * KiB, self->env.ifindex,
			       ZC_QUEUE, 0));
	EXPECT_EQ(-ERANGE, bufs_errno(rx.ring.ring_fd, &q));
	/* and the queue is free for the largest it can do */
	ASSERT_EQ(0, bufs_open(rx.ring.ring_fd, &q, HUGE_LEN, 64 * KiB,
			       self->env.ifindex, ZC_QUEUE, 0));
	EXPECT_EQ(0U, q.id);
	EXPECT_EQ(64 * KiB, q.r.reg.rx_buf_len);
	rx_exit(&rx);
	ifq_free(&q);
}

/*
 * Write @val to the sysctl at @path of network namespace @ns, coming back
 * to the current one; 0 or a negative errno.
 */
static int sysctl_in(const char *ns, const char *path, const char *val)
{
	int self, ret;
	FILE *f;

	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return -errno;
	ret = zcrx_enter_netns(ns);
	if (!ret) {
		f = fopen(path, "we");
		if (!f) {
			ret = -errno;
		} else {
			fputs(val, f);
			ret = fclose(f) ? -errno : 0;
		}
	}
	if (setns(self, CLONE_NEWNET))
		abort();	/* in the wrong namespace: nothing sane is left */
	close(self);
	return ret;
}

/*
 * @size bytes on @port, steered to @queue, through an area of two huge
 * pages cut into @buf_len buffers; every byte checked.  The stream and
 * fdinfo go to *@sp and *@info.
 */
static void bufs_stream(struct __test_metadata *_metadata, struct env *env,
			int port, int queue, __u32 buf_len, uint64_t size,
			struct zcrx_info *info, struct stream *sp)
{
	struct stream *s;
	struct ifq q;
	struct rx rx;
	pid_t tx;
	int lfd;

	ASSERT_EQ(0, huge_pages_ready());
	/*
	 * Bursts of many segments whatever the sender's pacing: a busy
	 * machine's would be too short to show the packing.  The pair is
	 * this program's: its other tests get the same.
	 */
	ASSERT_EQ(0, sysctl_in(env->ns_a, "/proc/sys/net/ipv4/tcp_min_tso_segs",
			       "44"));
	ASSERT_EQ(0, steer(AF_INET, port, queue, RULE_LOC));
	ASSERT_EQ(0, rx_init(&rx, SQ_ENTRIES, CQ_ENTRIES));
	ASSERT_EQ(0, bufs_open(rx.ring.ring_fd, &q, 2 * HUGE_LEN, buf_len,
			       env->ifindex, ZC_QUEUE, 0));
	EXPECT_EQ(buf_len, q.buf_len);
	s = nic_stream(env, &rx, &q, AF_INET, port, size, false, &lfd, &tx);
	ASSERT_NE(NULL, s);
	rx.allow_enomem = true;
	ASSERT_EQ(0, rx_run(&rx, 0));
	EXPECT_STREAM_OK(&rx, s, size);
	EXPECT_EQ(0, reap_sender(env, tx));
	check_drained(_metadata, &rx, &q, info);
	EXPECT_EQ(2 * HUGE_LEN / buf_len, info->bufs);
	EXPECT_LE(s->max_cqe, buf_len);
	*sp = *s;
	TH_LOG("%u completions, the longest %u bytes", s->data_cqes,
	       s->max_cqe);
	rx_exit(&rx);
	ifq_free(&q);
	close(lfd);
}

/*
 * Payload of several segments shares a buffer: a completion longer than a
 * page.  How many completions it saves depends on the bursts the sender's
 * stack makes, which a busy machine makes smaller: make bench-bufs
 * measures that, not this test.
 */
static void bufs_zc(struct __test_metadata *_metadata, struct env *env,
		    __u32 buf_len)
{
	const uint64_t size = 8 * MiB;
	struct zcrx_info info;
	struct stream s;

	bufs_stream(_metadata, env, PORT, ZC_QUEUE, buf_len, size, &info, &s);
	EXPECT_EQ(size, info.zc_bytes);
	EXPECT_EQ(0ULL, info.copy_bytes);
	EXPECT_GT(s.max_cqe, pagesz());
}

TEST_F_TIMEOUT(zcrx, zc_16k, 300)
{
	bufs_zc(_metadata, &self->env, 16 * KiB);
}

TEST_F_TIMEOUT(zcrx, zc_64k, 300)
{
	bufs_zc(_metadata, &self->env, 64 * KiB);
}

/* Ordinary pages on another queue: copied, a frag to a buffer. */
TEST_F_TIMEOUT(zcrx, copy_64k, 300)
{
	const uint64_t size = MiB;
	struct zcrx_info info;
	struct stream s;

	bufs_stream(_metadata, &self->env, PORT, ALT_QUEUE, 64 * KiB, size,
		    &info, &s);
	EXPECT_EQ(0ULL, info.zc_bytes);
	EXPECT_EQ(size, info.copy_bytes);
	EXPECT_EQ((unsigned long long)s.data_cqes, info.copy_count);
}

/* Set the sender's TSO and GSO: 0 or the exit status of ethtool. */
static int sender_gso(struct env *env, char *onoff)
{
	return zcrx_run((char *const []){ "ip", "netns", "exec", env->ns_a,
					 "ethtool", "-K", "eth0", "tso", onoff,
					 "gso", onoff, NULL }, NULL, 0);
}

/*
 * Without TSO and GSO every frame carries one segment, at most an MTU
 * (1500) of payload.  netdevsim packs frames back to back into a 64 KiB
 * buffer until it is full, keeping it from one NAPI poll to the next, and
 * RECV_ZC hands over payload that lies contiguous in one buffer in one
 * completion: completions longer than two frames, fewer completions than
 * frames, and about one completion starting a buffer per 64 KiB of the
 * stream (if each poll started a buffer, it would be one per poll, and
 * the 2,900 frames of 4 MiB come in hundreds of polls).  Last in
 * this program: the sender's offloads are the pair's, put back at the
 * end (the pair goes with the program).
 */
TEST_F_TIMEOUT(zcrx, zc_64k_packed, 300)
{
	const uint64_t size = 4 * MiB;
	struct zcrx_info info;
	struct stream s;

	ASSERT_EQ(0, sender_gso(&self->env, "off"));
	bufs_stream(_metadata, &self->env, PORT, ZC_QUEUE, 64 * KiB, size,
		    &info, &s);
	EXPECT_EQ(0, sender_gso(&self->env, "on"));
	EXPECT_EQ(size, info.zc_bytes);
	EXPECT_EQ(0ULL, info.copy_bytes);
	EXPECT_GT(s.max_cqe, 2 * 1500);
	EXPECT_LT((uint64_t)s.data_cqes, size / 1500);
	/* one buffer after the other; a drop may cost one more */
	EXPECT_LE((uint64_t)s.buf_starts, 2 * size / (64 * KiB));
	TH_LOG("%u completions started a buffer", s.buf_starts);
}

TEST_HARNESS_MAIN
