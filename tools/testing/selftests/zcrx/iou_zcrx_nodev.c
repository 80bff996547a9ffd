// SPDX-License-Identifier: GPL-2.0
/*
 * io_uring zero-copy receive without a device (ZCRX_REG_NODEV): every byte
 * is copied into the area, on any TCP socket.  Each test runs in a network
 * namespace of its own, over loopback; no NIC is needed.
 *
 *   nodev.reg          the errnos of a device-less registration
 *   nodev.stream       4 MiB through a 1 MiB area, IPv4 and IPv6: every
 *                      byte checked, all of it counted as copied
 *   nodev.flush_rq     an empty freelist ends the request (-ENOMEM); the
 *                      refill ring is consumed on ZCRX_CTRL_FLUSH_RQ, and
 *                      by a copy that finds no free buffer
 *   nodev.two_ifqs     two device-less ifqs of one ring, a stream each:
 *                      each area gets its own stream's bytes only
 */
#define _GNU_SOURCE
#include "zcrx_lo.h"

#define NODEV_PORT	9400

static int nodev_open(int ring_fd, struct ifq *q, size_t area_len)
{
	return ifq_open_flags(ring_fd, q, 0, 0, area_len, RQ_ENTRIES, false,
			      ZCRX_REG_NODEV);
}

/* What fdinfo says of a device-less ifq, whatever it received. */
#define EXPECT_NODEV_INFO(info) do {					\
	EXPECT_STREQ("-", (info)->dev);					\
	EXPECT_EQ(0ULL, (info)->ifindex);				\
	EXPECT_EQ(0ULL, (info)->rxq);					\
	EXPECT_EQ(0ULL, (info)->zc_bytes);				\
	EXPECT_EQ(0ULL, (info)->nic) TH_LOG("no NIC, yet it has buffers"); \
} while (0)

FIXTURE(nodev)
{
	pid_t tx[2];
};

FIXTURE_VARIANT(nodev)
{
	int family;
};

FIXTURE_VARIANT_ADD(nodev, ipv4)
{
	.family = AF_INET,
};

FIXTURE_VARIANT_ADD(nodev, ipv6)
{
	.family = AF_INET6,
};

FIXTURE_SETUP(nodev)
{
	ASSERT_EQ(0, netns_lo_up());
}

FIXTURE_TEARDOWN(nodev)
{
	kill_tx(self->tx, ARRAY_SIZE(self->tx));
}

TEST_F_TIMEOUT(nodev, reg, 120)
{
	struct io_uring ring;
	struct zc_mem mem;
	struct zc_reg r;
	struct ifq q;
	struct rx rx;

	ASSERT_EQ(0, rx_init(&rx, SQ_ENTRIES, CQ_ENTRIES));
	ASSERT_EQ(0, zc_mem_alloc(&mem, 64 * pagesz(), RQ_ENTRIES, false));

	/* a device-less ifq names no device and no queue */
	zc_reg_init(&r, &mem, 1, 0, RQ_ENTRIES);
	r.reg.flags = ZCRX_REG_NODEV;
	EXPECT_EQ(-EINVAL, zcrx_register_ifq(rx.ring.ring_fd, &r.reg));
	zc_reg_init(&r, &mem, 0, 1, RQ_ENTRIES);
	r.reg.flags = ZCRX_REG_NODEV;
	EXPECT_EQ(-EINVAL, zcrx_register_ifq(rx.ring.ring_fd, &r.reg));
	/* with a flag this kernel does not have */
	zc_reg_init(&r, &mem, 0, 0, RQ_ENTRIES);
	r.reg.flags = ZCRX_REG_NODEV | 1U << 2;
	EXPECT_EQ(-EINVAL, zcrx_register_ifq(rx.ring.ring_fd, &r.reg));
	/* the ring rules are those of an ifq with a device */
	ASSERT_EQ(0, ring_init(&ring, IORING_SETUP_CQE32, 8, 0));
	zc_reg_init(&r, &mem, 0, 0, RQ_ENTRIES);
	r.reg.flags = ZCRX_REG_NODEV;
	EXPECT_EQ(-EINVAL, zcrx_register_ifq(ring.ring_fd, &r.reg));
	io_uring_queue_exit(&ring);
	/* and so are the area's */
	zc_reg_init(&r, &mem, 0, 0, RQ_ENTRIES);
	r.reg.flags = ZCRX_REG_NODEV;
	r.area.len = 0;
	EXPECT_EQ(-EINVAL, zcrx_register_ifq(rx.ring.ring_fd, &r.reg));
	zc_mem_free(&mem);

	/* none of it left anything behind: the first good one gets id 0 */
	ASSERT_EQ(0, nodev_open(rx.ring.ring_fd, &q, 64 * pagesz()));
	EXPECT_EQ(0U, q.id);
	EXPECT_EQ(ZCRX_REG_NODEV, q.r.reg.flags);
	EXPECT_EQ(0U, q.r.reg.if_idx);
	EXPECT_EQ(RQ_ENTRIES, q.r.reg.rq_entries);
	EXPECT_EQ(pagesz(), q.r.reg.rx_buf_len);
	EXPECT_EQ(0ULL, q.token);
	rx_exit(&rx);
	ifq_free(&q);
}

/*
 * 4 MiB through 256 buffers: the refill ring keeps the area going.  The
 * socket may hold more than the area has free; the copy then ends the
 * request with -ENOMEM, which the receiver re-issues, as an application
 * must.
 */
TEST_F_TIMEOUT(nodev, stream, 300)
{
	const uint64_t size = 4 * MiB;
	struct zcrx_info info;
	struct stream *s;
	struct ifq q;
	struct rx rx;
	int lfd;

	ASSERT_EQ(0, rx_init(&rx, SQ_ENTRIES, CQ_ENTRIES));
	ASSERT_EQ(0, nodev_open(rx.ring.ring_fd, &q, 256 * pagesz()));
	lfd = lo_stream(&rx, &q, variant->family, NODEV_PORT, size,
			&self->tx[0], &s);
	ASSERT_GE(lfd, 0);
	rx.allow_enomem = true;
	ASSERT_EQ(0, rx_run(&rx, 0));
	EXPECT_STREAM_OK(&rx, s, size);
	EXPECT_EQ(0, reap_tx(&self->tx[0]));
	check_drained(_metadata, &rx, &q, &info);
	EXPECT_NODEV_INFO(&info);
	EXPECT_EQ(size, info.copy_bytes);
	EXPECT_LE(size / pagesz(), info.copy_count);
	EXPECT_EQ((unsigned long long)s->data_cqes, info.copy_count);
	EXPECT_EQ(256ULL, info.free);
	TH_LOG("%u completions, %llu refill entries consumed, -ENOMEM %u times",
	       s->data_cqes, info.rq_consumed, s->enomem);

	rx_exit(&rx);
	ifq_free(&q);
	close(lfd);
}

/*
 * 16 buffers, all held: the request ends with -ENOMEM and the bytes stay
 * put.  Buffers put in the refill ring come back on ZCRX_CTRL_FLUSH_RQ,
 * after which the stream completes.
 */
TEST_F_TIMEOUT(nodev, flush_rq, 300)
{
	const uint64_t size = 1 * MiB;
	struct zcrx_info info;
	struct stream *s;
	uint64_t start;
	struct ifq q;
	struct rx rx;
	size_t i;
	int lfd;

	ASSERT_EQ(0, rx_init(&rx, SQ_ENTRIES, CQ_ENTRIES));
	ASSERT_EQ(0, nodev_open(rx.ring.ring_fd, &q, 16 * pagesz()));
	lfd = lo_stream(&rx, &q, variant->family, NODEV_PORT, size,
			&self->tx[0], &s);
	ASSERT_GE(lfd, 0);
	rx.hold = true;
	rx.allow_enomem = true;

	start = now_ms();
	while (!s->enomem) {
		ASSERT_LE(0, rx_step(&rx, 1000));
		ASSERT_TRUE(stream_live(s)) TH_LOG("ended with %d", s->err);
		ASSERT_LT(now_ms() - start, 60000ULL)
			TH_LOG("16 buffers never ran out");
	}
	EXPECT_EQ(16U, rx_held_bufs(&rx));
	EXPECT_LT(0ULL, s->off);
	EXPECT_GE(16 * pagesz(), s->off);
	EXPECT_EQ(0U, rx_held_corrupt(&rx));
	ASSERT_EQ(0, zcrx_info_get(rx.ring.ring_fd, q.id, &info, NULL));
	EXPECT_NODEV_INFO(&info);
	EXPECT_EQ(0ULL, info.free);
	EXPECT_EQ(16ULL, info.user);

	/* into the ring, and no call: the kernel has not looked yet */
	for (i = 0; i < rx.held.nr; i++) {
		ASSERT_EQ(0, zcrx_rq_push(&q.rq, rx.held.v[i].off,
					  rx.held.v[i].len));
		q.returned++;
	}
	rx.held.nr = 0;
	zcrx_rq_commit(&q.rq);
	usleep(200 * 1000);
	EXPECT_EQ(0U, rq_khead(&q));
	ASSERT_EQ(0, zcrx_info_get(rx.ring.ring_fd, q.id, &info, NULL));
	EXPECT_EQ(0ULL, info.free);

	ASSERT_EQ(0, zcrx_flush_rq(rx.ring.ring_fd, q.id));
	EXPECT_EQ(q.rq.tail, rq_khead(&q));
	ASSERT_EQ(0, zcrx_info_get(rx.ring.ring_fd, q.id, &info, NULL));
	EXPECT_EQ(16ULL, info.free);
	EXPECT_EQ(0ULL, info.user);
	EXPECT_EQ(16ULL, info.rq_consumed);

	/*
	 * The rest goes through the 16 buffers again and again: the test
	 * calls no flush (its ring never fills), the copies read the ring.
	 */
	rx.hold = false;
	ASSERT_EQ(0, rx_run(&rx, 0));
	EXPECT_STREAM_OK(&rx, s, size);
	EXPECT_EQ(0, reap_tx(&self->tx[0]));
	EXPECT_FALSE(rx.no_flush);
	ASSERT_EQ(0, zcrx_info_get(rx.ring.ring_fd, q.id, &info, NULL));
	EXPECT_LE((size - 16 * pagesz()) / pagesz(), info.rq_consumed - 16);
	check_drained(_metadata, &rx, &q, &info);
	EXPECT_EQ(size, info.copy_bytes);
	EXPECT_EQ(16ULL, info.free);

	rx_exit(&rx);
	ifq_free(&q);
	close(lfd);
}

/*
 * Two ifqs of 64 buffers, two streams at once: no byte lands in the
 * other's area, and each recovers from its own -ENOMEM.
 */
TEST_F_TIMEOUT(nodev, two_ifqs, 300)
{
	const uint64_t size = 2 * MiB;
	struct zcrx_info info;
	struct stream *s[2];
	struct ifq q[2];
	struct rx rx;
	int lfd[2], i;

	ASSERT_EQ(0, rx_init(&rx, SQ_ENTRIES, CQ_ENTRIES));
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, nodev_open(rx.ring.ring_fd, &q[i],
					64 * pagesz()));
		EXPECT_EQ((__u32)i, q[i].id);
		lfd[i] = lo_stream(&rx, &q[i], variant->family,
				   NODEV_PORT + i, size, &self->tx[i], &s[i]);
		ASSERT_GE(lfd[i], 0);
	}
	rx.allow_enomem = true;
	ASSERT_EQ(0, rx_run(&rx, 0));
	for (i = 0; i < 2; i++) {
		EXPECT_STREAM_OK(&rx, s[i], size);
		EXPECT_EQ(0, reap_tx(&self->tx[i]));
		check_drained(_metadata, &rx, &q[i], &info);
		EXPECT_NODEV_INFO(&info);
		EXPECT_EQ(size, info.copy_bytes);
		EXPECT_EQ(64ULL, info.free);
		TH_LOG("ifq %d: -ENOMEM %u times", i, s[i]->enomem);
	}

	rx_exit(&rx);
	for (i = 0; i < 2; i++) {
		ifq_free(&q[i]);
		close(lfd[i]);
	}
}

TEST_HARNESS_MAIN
