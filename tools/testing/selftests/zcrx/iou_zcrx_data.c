// SPDX-License-Identifier: GPL-2.0
/*
 * Data transfer with io_uring zero-copy receive, on the netdevsim pair of
 * zcrx_test.h, every byte, every completion's offset and fdinfo's counters
 * checked:
 *
 *   xfer.*  one connection, 1 B to 256 MiB, IPv4 and IPv6, a kernel refill
 *           region, through io-wq and with POLL_FIRST; the NIC's counters
 *           and the page pool's allocations account for every byte
 *   zcrx.connections, zcrx.two_ifqs
 *           several connections on one ifq, two ifqs of one ring
 *   zcrx.copy_fallback
 *           a flow on a queue with ordinary pages: every byte copied
 *   zcrx.cancel, zcrx.len_limit
 *           a request cancelled mid-stream, requests ended by their len
 */
#define _GNU_SOURCE
#include "zcrx_fixture.h"

/* transfers */

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
	long long val;
	char out[64];

	if (zcrx_run((char *const []){ "./zcrx_nic", IFNAME, "ppstat",
				      (char *)name, NULL }, out, sizeof(out)) ||
	    sscanf(out, "%lld", &val) != 1)
		return -1;
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
	split0 = queue_counter(self->env.ns_b, ZC_QUEUE, "split");
	bytes0 = queue_counter(self->env.ns_b, ZC_QUEUE, "bytes");
	ASSERT_TRUE(split0 >= 0 || split0 == NO_COUNTER) TH_LOG("split %lld", split0);
	ASSERT_TRUE(bytes0 >= 0 || bytes0 == NO_COUNTER) TH_LOG("bytes %lld", bytes0);
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
	 * from the provider after both ran dry (at most once per empty).  A
	 * device that lacks a counter (ZCRX_NIC=hw) leaves it to the ring's
	 * zc_bytes above and the pool's statistics.
	 */
	if (bytes0 != NO_COUNTER) {
		EXPECT_GE(queue_counter(self->env.ns_b, ZC_QUEUE, "bytes") - bytes0,
			  (long long)variant->size);
	} else {
		TH_LOG("eth0 reports no rx-bytes of queue %d: not checked", ZC_QUEUE);
	}
	if (split0 != NO_COUNTER) {
		EXPECT_GE(queue_counter(self->env.ns_b, ZC_QUEUE, "split") - split0,
			  (long long)((variant->size + 65535) / 65536));
	}
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

/* several connections and ifqs, copies, requests */

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
		ASSERT_EQ(0, rx_rearm(&rx, s));
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

/* A request with len N ends, with res 0, after exactly N bytes. */
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

TEST_HARNESS_MAIN
