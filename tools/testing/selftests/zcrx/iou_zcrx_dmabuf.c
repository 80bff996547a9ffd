// SPDX-License-Identifier: GPL-2.0
/*
 * io_uring zero-copy receive into a dmabuf area (IORING_ZCRX_AREA_DMABUF),
 * made from a memfd through udmabuf: the NIC writes into the exporter's
 * memory, which the test reads through its own mapping of the memfd.
 *
 *   zcrx.dmabuf_reg        the errnos of bad dmabuf areas; the queue free
 *                          after each (debugfs tells the attachments and
 *                          the dmabufs still alive in the other tests)
 *   zcrx.dmabuf_recv       4 MiB through a 1 MiB dmabuf whose fd is closed
 *                          at once: every byte checked, none copied, the
 *                          refill ring keeping it going
 *   zcrx.dmabuf_64k        64 KiB buffers from a udmabuf over huge pages
 *   zcrx.dmabuf_no_copy    a flow that would need the copy fallback ends
 *                          -EFAULT; a steered flow still works afterwards
 *   zcrx.dmabuf_dev_gone   the device deleted under a bound dmabuf with
 *                          buffers held and a request armed
 */
#define _GNU_SOURCE
#include <linux/udmabuf.h>
#include "zcrx_fixture.h"

#define DMABUF_LEN	(1UL << 20)
#define DMABUF_LEN_HUGE	(2UL << 20)	/* a huge page */

struct dmabuf {
	int fd;		/* the dmabuf */
	int memfd;	/* its memory */
	void *map;	/* the memfd, mapped */
	size_t len;
	unsigned long ino; /* of the dmabuf's file, as debugfs shows it */
};

/*
 * A udmabuf of @len bytes over a sealed memfd (of 2 MiB huge pages with
 * @huge), mapped for reading.
 */
static int dmabuf_new_mem(struct dmabuf *d, size_t len, bool huge)
{
	struct udmabuf_create c = {};
	struct stat st;
	int dev;

	memset(d, 0, sizeof(*d));
	d->fd = -1;
	d->len = len;
	d->memfd = memfd_create("zcrx-dmabuf", MFD_ALLOW_SEALING | MFD_CLOEXEC |
				(huge ? MFD_HUGETLB : 0));
	if (d->memfd < 0)
		return -errno;
	if (ftruncate(d->memfd, len) ||
	    fcntl(d->memfd, F_ADD_SEALS, F_SEAL_SHRINK))
		return -errno;
	dev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
	if (dev < 0)
		return -errno;
	c.memfd = d->memfd;
	c.flags = UDMABUF_FLAGS_CLOEXEC;
	c.size = len;
	d->fd = ioctl(dev, UDMABUF_CREATE, &c);
	close(dev);
	if (d->fd < 0 || fstat(d->fd, &st))
		return -errno;
	d->ino = st.st_ino;
	d->map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED,
		      d->memfd, 0);
	if (d->map == MAP_FAILED) {
		d->map = NULL;
		return -errno;
	}
	madvise(d->map, len, MADV_DONTFORK);
	return 0;
}

/*
 * From debugfs: whether the dmabuf with inode @ino still exists, and how
 * many devices are attached to it; 0 or a negative errno.
 */
static int dmabuf_state(unsigned long ino, int *alive, int *attached)
{
	char line[256], name[64];
	unsigned long i;
	bool ours = false;
	FILE *f;
	int n;

	f = fopen("/sys/kernel/debug/dma_buf/bufinfo", "re");
	if (!f)
		return -errno;
	*alive = 0;
	*attached = 0;
	while (fgets(line, sizeof(line), f)) {
		/* size flags mode count exp_name ino name */
		if (sscanf(line, "%*u %*x %*x %*d %63s %lu", name, &i) == 2) {
			ours = i == ino;
			*alive += ours;
		} else if (ours &&
			   sscanf(line, "Total %d devices attached", &n) == 1) {
			*attached = n;
			ours = false;
		}
	}
	fclose(f);
	return 0;
}

/*
 * Until debugfs shows the dmabuf of @d alive (@alive 1) or gone (0) with
 * @attached devices; the ring's exit work drops its reference after
 * close().  0, or -ETIMEDOUT (logged with what debugfs showed last).
 */
static int dmabuf_wait_state(const struct dmabuf *d, int alive, int attached)
{
	uint64_t start = now_ms();
	int a = -1, n = -1;

	do {
		if (dmabuf_state(d->ino, &a, &n))
			return -ENOENT;
		if (a == alive && n == attached)
			return 0;
		usleep(50 * 1000);
	} while (now_ms() - start < 10000);
	fprintf(stderr, "# dmabuf %lu: alive %d attached %d, not %d and %d\n",
		d->ino, a, n, alive, attached);
	return -ETIMEDOUT;
}

static int dmabuf_new(struct dmabuf *d, size_t len)
{
	return dmabuf_new_mem(d, len, false);
}

/* The fds only: the mapping goes with the ifq that reads through it. */
static void dmabuf_close(struct dmabuf *d)
{
	if (d->fd >= 0)
		close(d->fd);
	if (d->memfd >= 0)
		close(d->memfd);
	d->fd = -1;
	d->memfd = -1;
}

/* The registration of @d for queue @rxq of @ifindex, not yet sent. */
static int dmabuf_reg_init(struct ifq *q, const struct dmabuf *d,
			   int ifindex, unsigned int rxq)
{
	memset(q, 0, sizeof(*q));
	q->mem.region_len = rq_region_len(RQ_ENTRIES);
	q->mem.region = map_mem(q->mem.region_len, PROT_READ | PROT_WRITE);
	if (!q->mem.region)
		return -ENOMEM;
	zc_reg_init(&q->r, &q->mem, ifindex, rxq, RQ_ENTRIES);
	q->r.area.addr = 0;
	q->r.area.len = d->len;
	q->r.area.flags = IORING_ZCRX_AREA_DMABUF;
	q->r.area.dmabuf_fd = d->fd;
	return 0;
}

/*
 * Register @d in @buf_len buffers (0: a page each); the ifq then reads the
 * area through d->map.
 */
static int ifq_open_dmabuf(int ring_fd, struct ifq *q, const struct dmabuf *d,
			   int ifindex, unsigned int rxq, __u32 buf_len)
{
	int ret = dmabuf_reg_init(q, d, ifindex, rxq);

	if (ret)
		return ret;
	q->mem.area = d->map;
	q->mem.area_len = d->len;
	q->r.reg.rx_buf_len = buf_len;
	return ifq_register(ring_fd, q, NULL);
}

/*
 * The start of a test: a dmabuf of DMABUF_LEN in @d, a ring in @rx, and
 * the dmabuf registered on it in @q for ZC_QUEUE of @env's device.
 */
static void dmabuf_open(struct __test_metadata *_metadata, struct env *env,
			struct dmabuf *d, struct rx *rx, struct ifq *q)
{
	ASSERT_EQ(0, dmabuf_new(d, DMABUF_LEN));
	ASSERT_EQ(0, rx_init(rx, SQ_ENTRIES, CQ_ENTRIES));
	ASSERT_EQ(0, ifq_open_dmabuf(rx->ring.ring_fd, q, d,
				     env->ifindex, ZC_QUEUE, 0));
}

/*
 * @size bytes to @port received through @q to the end, every byte
 * checked, and the queue drained: all of it zero copy, nothing copied.
 * The listener goes to *@lfd, the fdinfo to *@info; the stream, which
 * stays in @rx, is returned.
 */
static struct stream *zc_stream(struct __test_metadata *_metadata,
				struct env *env, struct rx *rx, struct ifq *q,
				int port, uint64_t size, int *lfd,
				struct zcrx_info *info)
{
	struct stream *s;
	pid_t tx;

	s = nic_stream(env, rx, q, AF_INET, port, size, false, lfd, &tx);
	ASSERT_NE(NULL, s);
	ASSERT_EQ(0, rx_run(rx, 0));
	EXPECT_STREAM_OK(rx, s, size);
	EXPECT_EQ(0, reap_sender(env, tx));
	check_drained(_metadata, rx, q, info);
	EXPECT_EQ(size, info->zc_bytes);
	EXPECT_EQ(0ULL, info->copy_bytes);
	return s;
}

/*
 * The end of a test: the ring, @q, the descriptors of @d and the listener
 * @lfd closed; then the dmabuf is detached, and its last reference gone
 * with the ring.
 */
static void dmabuf_done(struct __test_metadata *_metadata, struct rx *rx,
			struct ifq *q, struct dmabuf *d, int lfd)
{
	rx_exit(rx);
	ifq_free(q);
	dmabuf_close(d);
	close(lfd);
	EXPECT_EQ(0, dmabuf_wait_state(d, 0, 0));
}

/* Register as @q says, for an errno; nothing is kept. */
static int reg_errno(int ring_fd, struct ifq *q)
{
	int ret = zcrx_register_ifq(ring_fd, &q->r.reg);

	munmap(q->mem.region, q->mem.region_len);
	q->mem.region = NULL;
	return ret;
}

TEST_F_TIMEOUT(zcrx, dmabuf_reg, 120)
{
	struct zcrx_info info;
	struct dmabuf d;
	struct ifq q;
	struct rx rx;
	int memfd;

	ASSERT_EQ(0, dmabuf_new(&d, DMABUF_LEN));
	ASSERT_EQ(0, rx_init(&rx, SQ_ENTRIES, CQ_ENTRIES));

	/* a dmabuf has no user address */
	ASSERT_EQ(0, dmabuf_reg_init(&q, &d, self->env.ifindex, ZC_QUEUE));
	q.r.area.addr = (uintptr_t)d.map;
	EXPECT_EQ(-EINVAL, reg_errno(rx.ring.ring_fd, &q));
	/* the area is the whole dmabuf, no less */
	ASSERT_EQ(0, dmabuf_reg_init(&q, &d, self->env.ifindex, ZC_QUEUE));
	q.r.area.len = d.len / 2;
	EXPECT_EQ(-EINVAL, reg_errno(rx.ring.ring_fd, &q));
	ASSERT_EQ(0, dmabuf_reg_init(&q, &d, self->env.ifindex, ZC_QUEUE));
	q.r.area.len = 2 * d.len;
	EXPECT_EQ(-EINVAL, reg_errno(rx.ring.ring_fd, &q));
	ASSERT_EQ(0, dmabuf_reg_init(&q, &d, self->env.ifindex, ZC_QUEUE));
	q.r.area.len = 0;
	EXPECT_EQ(-EINVAL, reg_errno(rx.ring.ring_fd, &q));
	ASSERT_EQ(0, dmabuf_reg_init(&q, &d, self->env.ifindex, ZC_QUEUE));
	q.r.area.len = d.len - 1;
	EXPECT_EQ(-EINVAL, reg_errno(rx.ring.ring_fd, &q));
	/* no descriptor, a closed one, one that is not a dmabuf */
	ASSERT_EQ(0, dmabuf_reg_init(&q, &d, self->env.ifindex, ZC_QUEUE));
	q.r.area.dmabuf_fd = -1;
	EXPECT_EQ(-EBADF, reg_errno(rx.ring.ring_fd, &q));
	memfd = memfd_create("not-a-dmabuf", MFD_CLOEXEC);
	ASSERT_LE(0, memfd);
	ASSERT_EQ(0, ftruncate(memfd, d.len));
	ASSERT_EQ(0, dmabuf_reg_init(&q, &d, self->env.ifindex, ZC_QUEUE));
	q.r.area.dmabuf_fd = memfd;
	EXPECT_EQ(-EINVAL, reg_errno(rx.ring.ring_fd, &q));
	close(memfd);
	ASSERT_EQ(0, dmabuf_reg_init(&q, &d, self->env.ifindex, ZC_QUEUE));
	q.r.area.dmabuf_fd = memfd;
	EXPECT_EQ(-EBADF, reg_errno(rx.ring.ring_fd, &q));
	/* a device-less ifq copies everything: no dmabuf */
	ASSERT_EQ(0, dmabuf_reg_init(&q, &d, 0, 0));
	q.r.reg.flags = ZCRX_REG_NODEV;
	EXPECT_EQ(-EINVAL, reg_errno(rx.ring.ring_fd, &q));

	/* none of it left anything behind */
	ASSERT_EQ(0, ifq_open_dmabuf(rx.ring.ring_fd, &q, &d,
				     self->env.ifindex, ZC_QUEUE, 0));
	EXPECT_EQ(0U, q.id);
	EXPECT_EQ(0ULL, q.token);
	EXPECT_EQ(pagesz(), q.r.reg.rx_buf_len);
	ASSERT_EQ(0, zcrx_info_get(rx.ring.ring_fd, q.id, &info, NULL));
	EXPECT_EQ(DMABUF_LEN, info.area_bytes);
	EXPECT_EQ(DMABUF_LEN / pagesz(), info.bufs);

	rx_exit(&rx);
	ifq_free(&q);
	dmabuf_close(&d);
}

TEST_F_TIMEOUT(zcrx, dmabuf_recv, 300)
{
	const uint64_t size = 4 * MiB;
	struct zcrx_info info;
	struct stream *s;
	struct dmabuf d;
	struct ifq q;
	struct rx rx;
	int lfd;

	ASSERT_EQ(0, steer(AF_INET, PORT, ZC_QUEUE, RULE_LOC));
	dmabuf_open(_metadata, &self->env, &d, &rx, &q);
	/* the queue's page pool attached it */
	EXPECT_EQ(0, dmabuf_wait_state(&d, 1, 1));
	/* the ifq holds the dmabuf: its descriptors may go at once */
	dmabuf_close(&d);

	s = zc_stream(_metadata, &self->env, &rx, &q, PORT, size, &lfd, &info);
	EXPECT_LE(size / DMABUF_LEN - 1, info.rq_consumed / (DMABUF_LEN /
							     pagesz()))
		TH_LOG("the area went round less than the stream needs");
	TH_LOG("%u completions, %llu refill entries", s->data_cqes,
	       info.rq_consumed);

	dmabuf_done(_metadata, &rx, &q, &d, lfd);
}

/*
 * 64 KiB buffers from a udmabuf over huge pages: the pieces of its mapping
 * (one a page) are joined into buffers.
 */
TEST_F_TIMEOUT(zcrx, dmabuf_64k, 300)
{
	const uint64_t size = 4 * MiB;
	struct zcrx_info info;
	struct stream *s;
	struct dmabuf d;
	FILE *f;
	struct ifq q;
	struct rx rx;
	int lfd;

	f = fopen("/proc/sys/vm/nr_hugepages", "we");
	ASSERT_NE(NULL, f);
	fprintf(f, "16\n");
	ASSERT_EQ(0, fclose(f));
	ASSERT_EQ(0, steer(AF_INET, PORT, ZC_QUEUE, RULE_LOC));
	ASSERT_EQ(0, dmabuf_new_mem(&d, 2 * DMABUF_LEN_HUGE, true));
	ASSERT_EQ(0, rx_init(&rx, SQ_ENTRIES, CQ_ENTRIES));
	ASSERT_EQ(0, ifq_open_dmabuf(rx.ring.ring_fd, &q, &d,
				     self->env.ifindex, ZC_QUEUE, 64 * KiB));
	EXPECT_EQ(64 * KiB, q.buf_len);

	s = zc_stream(_metadata, &self->env, &rx, &q, PORT, size, &lfd, &info);
	EXPECT_EQ(d.len / (64 * KiB), info.bufs);
	EXPECT_LE(s->max_cqe, 64 * KiB);
	TH_LOG("%u completions, the longest %u bytes", s->data_cqes,
	       s->max_cqe);

	dmabuf_done(_metadata, &rx, &q, &d, lfd);
}

TEST_F_TIMEOUT(zcrx, dmabuf_no_copy, 300)
{
	const uint64_t size = MiB;
	struct zcrx_info info;
	struct stream *s;
	struct dmabuf d;
	struct ifq q;
	struct rx rx;
	int lfd, lfd2;
	pid_t tx;

	ASSERT_EQ(0, steer(AF_INET, PORT, ALT_QUEUE, RULE_LOC));
	ASSERT_EQ(0, steer(AF_INET, PORT2, ZC_QUEUE, RULE_LOC2));
	dmabuf_open(_metadata, &self->env, &d, &rx, &q);

	/* ordinary pages would have to be copied into the dmabuf */
	s = nic_stream(&self->env, &rx, &q, AF_INET, PORT, size, false, &lfd,
		       &tx);
	ASSERT_NE(NULL, s);
	EXPECT_EQ(0, rx_run(&rx, 0));
	EXPECT_EQ(-EFAULT, s->err);
	EXPECT_EQ(0ULL, s->off);
	stop_sender(&self->env, tx);

	zc_stream(_metadata, &self->env, &rx, &q, PORT2, size, &lfd2, &info);
	EXPECT_EQ(0ULL, info.copy_count);

	rx_exit(&rx);
	ifq_free(&q);
	dmabuf_close(&d);
	close(lfd);
	close(lfd2);
}

TEST_F_TIMEOUT(zcrx, dmabuf_dev_gone, 300)
{
	const uint64_t size = 512 * KiB;
	struct zcrx_info info;
	struct stream *s;
	uint64_t start;
	struct dmabuf d;
	struct ifq q;
	struct rx rx;
	pid_t tx;
	int lfd;

	ASSERT_EQ(0, steer(AF_INET, PORT, ZC_QUEUE, RULE_LOC));
	dmabuf_open(_metadata, &self->env, &d, &rx, &q);
	s = nic_stream(&self->env, &rx, &q, AF_INET, PORT, size, true, &lfd,
		       &tx);
	ASSERT_NE(NULL, s);
	rx.hold = true;
	ASSERT_EQ(0, rx_run(&rx, size));
	EXPECT_EQ(size, s->off);
	EXPECT_EQ(UINT64_MAX, s->bad);
	ASSERT_EQ(0, rx_rearm(&rx, s));

	/* the uninstall hook unmaps the dmabuf and detaches it */
	EXPECT_EQ(0, dmabuf_wait_state(&d, 1, 1));
	ASSERT_EQ(0, nsim_del(self->env.ns_b));
	EXPECT_EQ(0, dmabuf_wait_state(&d, 1, 0))
		TH_LOG("still attached after the device went");
	start = now_ms();
	while (s->armed && now_ms() - start < 10000)
		ASSERT_GE(rx_step(&rx, 500), 0);
	if (s->armed) {
		shutdown(s->fd, SHUT_RDWR);
		start = now_ms();
		while (s->armed && now_ms() - start < 10000)
			ASSERT_GE(rx_step(&rx, 500), 0);
	}
	EXPECT_FALSE(s->armed) TH_LOG("the request never ended");
	ASSERT_EQ(0, zcrx_info_get(rx.ring.ring_fd, q.id, &info, NULL));
	EXPECT_STREQ("-", info.dev);
	/* what the application held is still there, and comes back */
	EXPECT_EQ(0U, rx_held_corrupt(&rx));
	EXPECT_EQ((unsigned long long)rx_held_bufs(&rx), info.user);
	rx_release(&rx);
	check_drained(_metadata, &rx, &q, &info);

	stop_sender(&self->env, tx);
	dmabuf_done(_metadata, &rx, &q, &d, lfd);
}

TEST_HARNESS_MAIN
