// SPDX-License-Identifier: GPL-2.0
/*
 * io_uring zero-copy receive under pressure from its user, on the netdevsim
 * pair of zcrx_test.h: the stream stalls or its request ends, nothing is
 * lost or changed, and it completes intact once the user catches up.
 *
 *   zcrx.area_exhaustion   no buffer returned: the NIC's share of the area
 *                          runs dry
 *   zcrx.copy_exhaustion   the same in the copy fallback (-ENOMEM)
 *   zcrx.copy_after_nic    the NIC's page pool filled up first: the copy
 *                          fallback still finds buffers
 *   zcrx.cq_overflow       a CQ of 4 entries, not reaped (-ENOSPC)
 *   zcrx.refill_garbage    a hostile refill ring: invalid entries, a head
 *                          overwritten by the user, a tail a lap ahead
 */
#define _GNU_SOURCE
#include "zcrx_fixture.h"

/*
 * An area of 16 buffers, none returned: the transfer stalls with the
 * NIC's 14 (2 are the copy reserve) with the user and their bytes intact;
 * returning them lets it finish.
 *
 * A NIC whose ring runs empty drops what arrives (e1000e does; netdevsim
 * waits), and TCP keeps the segments that arrive after a dropped one, in
 * the area's buffers, until the missing one comes.  With a window larger
 * than the area they can hold every buffer, and the missing segment then
 * never finds one: the receive buffer is kept to a few pages, as an
 * application with an area this small must do.
 */
TEST_F_TIMEOUT(zcrx, area_exhaustion, 300)
{
	const size_t area = 16 * pagesz();
	const uint64_t size = MiB;
	int rcvbuf = 4 * pagesz();
	struct zcrx_info info;
	struct stream *s;
	struct ifq q;
	struct rx rx;
	pid_t tx;
	int lfd;

	ASSERT_EQ(0, steer(AF_INET, PORT, ZC_QUEUE, RULE_LOC));
	ASSERT_EQ(0, rx_init(&rx, SQ_ENTRIES, CQ_ENTRIES));
	ASSERT_EQ(0, ifq_open(rx.ring.ring_fd, &q, self->env.ifindex,
			      ZC_QUEUE, area, 64, false));
	s = nic_stream_opt(&self->env, &rx, &q, AF_INET, PORT, size, false,
			   SO_RCVBUF, rcvbuf, &lfd, &tx);
	ASSERT_NE(NULL, s);
	rx.hold = true;
	rx.allow_enomem = true;

	/* Until nothing arrives for two seconds. */
	ASSERT_EQ(0, rx_until_quiet(&rx, s, 2000, 120000))
		TH_LOG("never stalled");

	EXPECT_TRUE(stream_live(s)) TH_LOG("ended with %d", s->err);
	EXPECT_LT(s->off, size) TH_LOG("everything arrived in 16 buffers");
	EXPECT_LE(s->off, (uint64_t)area);
	EXPECT_LE(rx_held_bufs(&rx), area / pagesz() - 2);
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

/*
 * A zero-copy stream through a 32-buffer area leaves the bound queue's page
 * pool holding every buffer it can take: the pool keeps the buffers the
 * user returns.  A second flow, on a queue with ordinary pages and received
 * through the same ifq, must still be copied in full: the pool never takes
 * the last free buffers (the copy reserve, 4 of 32).
 */
TEST_F_TIMEOUT(zcrx, copy_after_nic, 300)
{
	const size_t area = 32 * pagesz();
	const uint64_t size = 4 * MiB, size2 = 256 * 1024;
	struct zcrx_info info;
	struct stream *s, *s2;
	uint64_t start;
	struct ifq q;
	struct rx rx;
	int lfd, lfd2, fd, fd2;
	pid_t tx, tx2;

	ASSERT_EQ(0, steer(AF_INET, PORT, ZC_QUEUE, RULE_LOC));
	ASSERT_EQ(0, steer(AF_INET, PORT2, ALT_QUEUE, RULE_LOC2));
	ASSERT_EQ(0, rx_init(&rx, SQ_ENTRIES, CQ_ENTRIES));
	ASSERT_EQ(0, ifq_open(rx.ring.ring_fd, &q, self->env.ifindex,
			      ZC_QUEUE, area, 64, false));
	lfd = tcp_listen(AF_INET, PORT);
	ASSERT_GE(lfd, 0);
	lfd2 = tcp_listen(AF_INET, PORT2);
	ASSERT_GE(lfd2, 0);

	tx = start_sender(&self->env, AF_INET, PORT, size, false);
	ASSERT_GT(tx, 0);
	fd = tcp_accept(lfd, 60000);
	ASSERT_GE(fd, 0);
	s = rx_add(&rx, fd, &q);
	rx.allow_enomem = true;
	ASSERT_EQ(0, rx_run(&rx, 0));
	EXPECT_STREAM_OK(&rx, s, size);
	EXPECT_EQ(0, reap_sender(&self->env, tx));
	check_drained(_metadata, &rx, &q, &info);
	EXPECT_EQ(0ULL, info.copy_bytes);
	EXPECT_EQ(32ULL, info.bufs);
	/* the pool took all it may at its first refill, and keeps them */
	EXPECT_EQ(4ULL, info.free)
		TH_LOG("the NIC took the copy reserve: free %llu nic %llu",
		       info.free, info.nic);
	EXPECT_EQ(28ULL, info.nic);
	TH_LOG("after the zero-copy stream: free %llu nic %llu user %llu",
	       info.free, info.nic, info.user);

	tx2 = start_sender(&self->env, AF_INET, PORT2, size2, false);
	ASSERT_GT(tx2, 0);
	fd2 = tcp_accept(lfd2, 60000);
	ASSERT_GE(fd2, 0);
	s2 = rx_add(&rx, fd2, &q);
	start = now_ms();
	while (stream_live(s2)) {
		ASSERT_LE(0, rx_step(&rx, 1000));
		ASSERT_LT(now_ms() - start, 120000ULL)
			TH_LOG("copied %llu of %llu bytes, %u times -ENOMEM",
			       (unsigned long long)s2->off,
			       (unsigned long long)size2, s2->enomem);
	}
	EXPECT_STREAM_OK(&rx, s2, size2);
	EXPECT_EQ(0, reap_sender(&self->env, tx2));
	check_drained(_metadata, &rx, &q, &info);
	EXPECT_EQ(size, info.zc_bytes);
	EXPECT_EQ(size2, info.copy_bytes);
	TH_LOG("second stream copied, -ENOMEM %u times", s2->enomem);

	rx_exit(&rx);
	ifq_free(&q);
	close(lfd);
	close(lfd2);
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
	int lfd;
	pid_t tx;
	__u32 t;

	ASSERT_EQ(0, steer(AF_INET, PORT, ZC_QUEUE, RULE_LOC));
	ASSERT_EQ(0, rx_init(&rx, SQ_ENTRIES, CQ_ENTRIES));
	ASSERT_EQ(0, ifq_open(rx.ring.ring_fd, &q, self->env.ifindex,
			      ZC_QUEUE, 8 * MiB, entries, false));
	token = q.token;
	/* Room for data to keep arriving while the ring is not entered. */
	s = nic_stream_opt(&self->env, &rx, &q, AF_INET, PORT, size, false,
			   SO_RCVBUFFORCE, rcvbuf, &lfd, &tx);
	ASSERT_NE(NULL, s);

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

TEST_HARNESS_MAIN
