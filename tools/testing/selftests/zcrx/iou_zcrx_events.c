// SPDX-License-Identifier: GPL-2.0
/*
 * io_uring zero-copy receive events and statistics (event_desc of the
 * registration, ZCRX_CTRL_ARM_EVENT): each enabled event fires exactly once
 * per arming, as a completion with the descriptor's user_data; the
 * statistics in the refill region count what was copied.
 *
 *   events.reg            the errnos of bad descriptors and bad arming;
 *                         statistics start at zero
 *   events.copy           device-less receive over loopback: one COPY per
 *                         arming, statistics equal to fdinfo and the bytes
 *   events.alloc_fail     16 device-less buffers held: one ALLOC_FAIL for
 *                         many -ENOMEM ends, one more after arming
 *   events.owner_gone     the registering ring closed, the ifq kept by a
 *                         ring that imported it: events go nowhere
 *   zcrx.nic_alloc_fail   the NIC's pool runs dry while the test only waits:
 *                         the event comes from the receive path
 *   zcrx.copy_unsteered   a zero-copy flow raises no COPY; a flow on a queue
 *                         with ordinary pages raises one
 */
#define _GNU_SOURCE
#include "zcrx_lo.h"
#include "zcrx_fixture.h"

#define EV_PORT		9500
#define EV_ALL		(1U << ZCRX_EVENT_ALLOC_FAIL | 1U << ZCRX_EVENT_COPY)

/* Statistics at the end of a refill region of RQ_ENTRIES entries. */
static inline __u64 stats_off(void)
{
	return rq_region_len(RQ_ENTRIES) - sizeof(struct zcrx_stats);
}

static void desc_init(struct zcrx_event_desc *d, __u32 mask, bool stats)
{
	memset(d, 0, sizeof(*d));
	d->user_data = EVENT_UD;
	d->type_mask = mask;
	if (stats) {
		d->flags = ZCRX_EVENT_DESC_FLAG_STATS;
		d->stats_offset = stats_off();
	}
}

/*
 * Reap whatever arrives for @ms: late events are counted too.  Events,
 * like every completion of a DEFER_TASKRUN ring, are posted by task work
 * that runs when the ring is entered for completions; a wait that finds
 * a completion already there (a request ending -ENOMEM again and again)
 * does not enter, so enter each time.
 */
static void rx_settle(struct rx *rx, int ms)
{
	uint64_t end = now_ms() + ms;

	while (now_ms() < end) {
		io_uring_get_events(&rx->ring);
		rx_step(rx, 100);
	}
}

FIXTURE(events)
{
	pid_t tx[2];
};

FIXTURE_SETUP(events)
{
	ASSERT_EQ(0, netns_lo_up());
}

FIXTURE_TEARDOWN(events)
{
	kill_tx(self->tx, ARRAY_SIZE(self->tx));
}

/* A device-less registration of @m with the descriptor @d. */
static int reg_desc(int ring_fd, struct zc_mem *m,
		    const struct zcrx_event_desc *d, __u32 *id)
{
	struct zc_reg r;
	int ret;

	zc_reg_init(&r, m, 0, 0, RQ_ENTRIES);
	r.reg.flags = ZCRX_REG_NODEV;
	r.reg.event_desc = (uintptr_t)d;
	ret = zcrx_register_ifq(ring_fd, &r.reg);
	if (!ret && id)
		*id = r.reg.zcrx_id;
	return ret;
}

/*
 * A ring in @rx, and on it an ifq in @q of @area bytes whose descriptor
 * enables the events of @mask and the statistics: for ZC_QUEUE of @env's
 * device, or device-less (ZCRX_REG_NODEV) with @env NULL.  The kernel
 * reads the descriptor while registering only.
 */
static void ev_open(struct __test_metadata *_metadata, struct env *env,
		    struct rx *rx, struct ifq *q, size_t area, bool kregion,
		    __u32 mask)
{
	struct zcrx_event_desc d;

	ASSERT_EQ(0, rx_init(rx, SQ_ENTRIES, CQ_ENTRIES));
	desc_init(&d, mask, true);
	ASSERT_EQ(0, ifq_open_desc(rx->ring.ring_fd, q,
				   env ? env->ifindex : 0, env ? ZC_QUEUE : 0,
				   area, RQ_ENTRIES, kregion,
				   env ? 0 : ZCRX_REG_NODEV, &d));
}

/*
 * The rest of the loopback stream @s: received to its end with every byte
 * checked, its sender *@tx reaped and its listener @lfd closed; then
 * whatever events come late are reaped for @settle_ms.
 */
static void lo_finish(struct __test_metadata *_metadata, struct rx *rx,
		      struct stream *s, uint64_t size, pid_t *tx, int lfd,
		      int settle_ms)
{
	ASSERT_EQ(0, rx_run(rx, 0));
	EXPECT_STREAM_OK(rx, s, size);
	EXPECT_EQ(0, reap_tx(tx));
	close(lfd);
	rx_settle(rx, settle_ms);
}

/*
 * @size bytes over loopback to @port of @family, received through @q as
 * lo_finish() says; the stream, which stays in @rx, is returned.
 */
static struct stream *lo_transfer(struct __test_metadata *_metadata,
				  struct rx *rx, struct ifq *q, int family,
				  int port, uint64_t size, pid_t *tx,
				  int settle_ms)
{
	struct stream *s;
	int lfd;

	lfd = lo_stream(rx, q, family, port, size, tx, &s);
	ASSERT_GE(lfd, 0);
	lo_finish(_metadata, rx, s, size, tx, lfd, settle_ms);
	return s;
}

TEST_F_TIMEOUT(events, reg, 120)
{
	struct io_uring_zcrx_ifq_reg reg;
	volatile struct zcrx_stats *st;
	struct zcrx_event_desc d;
	struct ifq q, q2, qi;
	struct zcrx_ctrl ctrl;
	struct rx rx, rx2;
	struct zc_mem mem;
	__u32 id;
	int i, fd;

	ASSERT_EQ(0, rx_init(&rx, SQ_ENTRIES, CQ_ENTRIES));
	ASSERT_EQ(0, zc_mem_alloc(&mem, 64 * pagesz(), RQ_ENTRIES, false));

	/* unreadable descriptor */
	EXPECT_EQ(-EFAULT, reg_desc(rx.ring.ring_fd, &mem,
				    (void *)(uintptr_t)pagesz(), NULL));
	/* a type this kernel does not have */
	desc_init(&d, EV_ALL | 1U << 2, false);
	EXPECT_EQ(-EINVAL, reg_desc(rx.ring.ring_fd, &mem, &d, NULL));
	/* a flag this kernel does not have */
	desc_init(&d, EV_ALL, true);
	d.flags |= 1U << 1;
	EXPECT_EQ(-EINVAL, reg_desc(rx.ring.ring_fd, &mem, &d, NULL));
	/* reserved words */
	for (i = 0; i < 9; i++) {
		desc_init(&d, EV_ALL, true);
		d.__resv2[i] = 1;
		EXPECT_EQ(-EINVAL, reg_desc(rx.ring.ring_fd, &mem, &d, NULL))
			TH_LOG("__resv2[%d]", i);
	}
	/* an offset without the flag */
	desc_init(&d, EV_ALL, false);
	d.stats_offset = stats_off();
	EXPECT_EQ(-EINVAL, reg_desc(rx.ring.ring_fd, &mem, &d, NULL));
	/* statistics misaligned, on the ring, past the region, far past */
	desc_init(&d, EV_ALL, true);
	d.stats_offset = stats_off() - 4;
	EXPECT_EQ(-EINVAL, reg_desc(rx.ring.ring_fd, &mem, &d, NULL));
	d.stats_offset = 0;
	EXPECT_EQ(-EINVAL, reg_desc(rx.ring.ring_fd, &mem, &d, NULL));
	d.stats_offset = 64;
	EXPECT_EQ(-EINVAL, reg_desc(rx.ring.ring_fd, &mem, &d, NULL));
	d.stats_offset = stats_off() + 8;
	EXPECT_EQ(-EINVAL, reg_desc(rx.ring.ring_fd, &mem, &d, NULL));
	d.stats_offset = ~0ULL & ~7ULL;
	EXPECT_EQ(-EINVAL, reg_desc(rx.ring.ring_fd, &mem, &d, NULL));

	/* none of it left anything behind; the statistics start at zero */
	memset(mem.region, 0xff, mem.region_len);
	desc_init(&d, 1U << ZCRX_EVENT_COPY, true);
	ASSERT_EQ(0, reg_desc(rx.ring.ring_fd, &mem, &d, &id));
	EXPECT_EQ(0U, id);
	st = (void *)((char *)mem.region + stats_off());
	EXPECT_EQ(0ULL, st->copy_count);
	EXPECT_EQ(0ULL, st->copy_bytes);

	/* arming: unknown type, type not enabled, reserved word, bad id */
	EXPECT_EQ(-EINVAL, zcrx_arm_event(rx.ring.ring_fd, id, 2));
	EXPECT_EQ(-EINVAL, zcrx_arm_event(rx.ring.ring_fd, id, ~0U));
	EXPECT_EQ(-EINVAL, zcrx_arm_event(rx.ring.ring_fd, id,
					  ZCRX_EVENT_ALLOC_FAIL));
	memset(&ctrl, 0, sizeof(ctrl));
	ctrl.zcrx_id = id;
	ctrl.op = ZCRX_CTRL_ARM_EVENT;
	ctrl.zc_arm_event.event_type = ZCRX_EVENT_COPY;
	ctrl.zc_arm_event.__resv[10] = 1;
	EXPECT_EQ(-EINVAL, zcrx_ctrl_raw(rx.ring.ring_fd, &ctrl));
	EXPECT_EQ(-EINVAL, zcrx_arm_event(rx.ring.ring_fd, id + 1,
					  ZCRX_EVENT_COPY));
	/* an armed event may be armed again */
	EXPECT_EQ(0, zcrx_arm_event(rx.ring.ring_fd, id, ZCRX_EVENT_COPY));
	EXPECT_EQ(0, zcrx_arm_event(rx.ring.ring_fd, id, ZCRX_EVENT_COPY));

	/* an ifq without events has nothing to arm */
	ASSERT_EQ(0, ifq_open_flags(rx.ring.ring_fd, &q, 0, 0, 16 * pagesz(),
				    RQ_ENTRIES, true, ZCRX_REG_NODEV));
	EXPECT_EQ(-EINVAL, zcrx_arm_event(rx.ring.ring_fd, q.id,
					  ZCRX_EVENT_COPY));

	/*
	 * A kernel-allocated region: the statistics are in the mapping.  An
	 * import names no descriptor, and events belong to the registering
	 * ring: the importer cannot arm them.
	 */
	desc_init(&d, EV_ALL, true);
	ASSERT_EQ(0, ifq_open_desc(rx.ring.ring_fd, &q2, 0, 0, 16 * pagesz(),
				   RQ_ENTRIES, true, ZCRX_REG_NODEV, &d));
	ASSERT_NE(NULL, q2.stats);
	EXPECT_EQ(0ULL, q2.stats->copy_count);
	EXPECT_EQ(0ULL, q2.stats->copy_bytes);
	fd = zcrx_export(rx.ring.ring_fd, q2.id);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, rx_init(&rx2, SQ_ENTRIES, CQ_ENTRIES));
	memset(&reg, 0, sizeof(reg));
	reg.if_idx = fd;
	reg.flags = ZCRX_REG_IMPORT;
	reg.event_desc = (uintptr_t)&d;
	EXPECT_EQ(-EINVAL, zcrx_register_ifq(rx2.ring.ring_fd, &reg));
	ASSERT_EQ(0, zcrx_arm_event(rx.ring.ring_fd, q2.id, ZCRX_EVENT_COPY));
	ASSERT_EQ(0, ifq_import(rx2.ring.ring_fd, &qi, &q2, fd));
	EXPECT_EQ(-EINVAL, zcrx_arm_event(rx2.ring.ring_fd, qi.id,
					  ZCRX_EVENT_COPY));
	ifq_unimport(&qi);
	close(fd);
	rx_exit(&rx2);

	/* nothing happened, so nothing was posted */
	rx_settle(&rx, 200);
	EXPECT_EQ(0U, rx.events[ZCRX_EVENT_COPY]);
	EXPECT_EQ(0U, rx.events[ZCRX_EVENT_ALLOC_FAIL]);
	EXPECT_EQ(0U, rx.violations) TH_LOG("%s", rx.why);

	rx_exit(&rx);
	ifq_free(&q);
	ifq_free(&q2);
	zc_mem_free(&mem);
}

/*
 * Two streams, the second after arming COPY twice: two COPY events in
 * all.  The statistics say what fdinfo and the streams say.
 */
TEST_F_TIMEOUT(events, copy, 300)
{
	const uint64_t size = MiB, size2 = 64 * KiB;
	struct zcrx_info info;
	struct stream *s;
	struct ifq q;
	struct rx rx;

	ev_open(_metadata, NULL, &rx, &q, 256 * pagesz(), false, EV_ALL);
	rx.allow_enomem = true;
	s = lo_transfer(_metadata, &rx, &q, AF_INET, EV_PORT, size,
			&self->tx[0], 500);
	EXPECT_EQ(1U, rx.events[ZCRX_EVENT_COPY]);
	/*
	 * A copy that found no buffer raised ALLOC_FAIL, once; it ended the
	 * request -ENOMEM unless some bytes were copied before it.
	 */
	EXPECT_GE(1U, rx.events[ZCRX_EVENT_ALLOC_FAIL]);
	if (s->enomem)
		EXPECT_EQ(1U, rx.events[ZCRX_EVENT_ALLOC_FAIL]);
	check_drained(_metadata, &rx, &q, &info);
	EXPECT_EQ(size, info.copy_bytes);
	EXPECT_EQ(info.copy_bytes, q.stats->copy_bytes);
	EXPECT_EQ(info.copy_count, q.stats->copy_count);
	EXPECT_EQ((unsigned long long)s->data_cqes, q.stats->copy_count);

	ASSERT_EQ(0, zcrx_arm_event(rx.ring.ring_fd, q.id, ZCRX_EVENT_COPY));
	ASSERT_EQ(0, zcrx_arm_event(rx.ring.ring_fd, q.id, ZCRX_EVENT_COPY));
	lo_transfer(_metadata, &rx, &q, AF_INET6, EV_PORT + 1, size2,
		    &self->tx[1], 500);
	EXPECT_EQ(2U, rx.events[ZCRX_EVENT_COPY]);
	check_drained(_metadata, &rx, &q, &info);
	EXPECT_EQ(size + size2, info.copy_bytes);
	EXPECT_EQ(info.copy_bytes, q.stats->copy_bytes);
	EXPECT_EQ(info.copy_count, q.stats->copy_count);
	EXPECT_EQ(0U, rx.violations) TH_LOG("%s", rx.why);

	rx_exit(&rx);
	ifq_free(&q);
}

/* Until the stream's request has ended -ENOMEM @n more times. */
static void wait_enomem(struct __test_metadata *_metadata, struct rx *rx,
			struct stream *s, unsigned int n)
{
	unsigned int until = s->enomem + n;
	uint64_t start = now_ms();

	while (s->enomem < until) {
		ASSERT_LE(0, rx_step(rx, 1000));
		ASSERT_TRUE(stream_live(s)) TH_LOG("ended with %d", s->err);
		ASSERT_LT(now_ms() - start, 60000ULL)
			TH_LOG("%u -ENOMEM ends of %u", s->enomem, until);
	}
}

/*
 * Every buffer held: the request ends -ENOMEM again and again, the event
 * fires once.  Armed again, once more.  Then the stream completes.
 */
TEST_F_TIMEOUT(events, alloc_fail, 300)
{
	const uint64_t size = MiB;
	struct zcrx_info info;
	struct stream *s;
	struct ifq q;
	struct rx rx;
	int lfd;

	ev_open(_metadata, NULL, &rx, &q, 16 * pagesz(), true,
		1U << ZCRX_EVENT_ALLOC_FAIL);
	lfd = lo_stream(&rx, &q, AF_INET, EV_PORT, size, &self->tx[0], &s);
	ASSERT_GE(lfd, 0);
	rx.hold = true;
	rx.allow_enomem = true;

	wait_enomem(_metadata, &rx, s, 8);
	rx_settle(&rx, 300);
	EXPECT_EQ(1U, rx.events[ZCRX_EVENT_ALLOC_FAIL]);
	/* COPY is not enabled: copies raise nothing */
	EXPECT_EQ(0U, rx.events[ZCRX_EVENT_COPY]);
	EXPECT_EQ(16U, rx_held_bufs(&rx));

	ASSERT_EQ(0, zcrx_arm_event(rx.ring.ring_fd, q.id,
				    ZCRX_EVENT_ALLOC_FAIL));
	wait_enomem(_metadata, &rx, s, 8);
	rx_settle(&rx, 300);
	EXPECT_EQ(2U, rx.events[ZCRX_EVENT_ALLOC_FAIL]);
	TH_LOG("%u -ENOMEM ends, %u events", s->enomem,
	       rx.events[ZCRX_EVENT_ALLOC_FAIL]);

	rx.hold = false;
	rx_release(&rx);
	lo_finish(_metadata, &rx, s, size, &self->tx[0], lfd, 300);
	EXPECT_EQ(2U, rx.events[ZCRX_EVENT_ALLOC_FAIL]);
	check_drained(_metadata, &rx, &q, &info);
	EXPECT_EQ(size, q.stats->copy_bytes);
	EXPECT_EQ(info.copy_count, q.stats->copy_count);
	EXPECT_EQ(0U, rx.violations) TH_LOG("%s", rx.why);

	rx_exit(&rx);
	ifq_free(&q);
}

/*
 * Events go to the registering ring.  Once it is closed, a ring that
 * imported the ifq receives through it and sees no event; the statistics
 * still count.  Both types are armed when the owner goes: a copy that
 * posted to the dead ring would be a use-after-free (KASAN).
 */
TEST_F_TIMEOUT(events, owner_gone, 300)
{
	const uint64_t size = 256 * KiB;
	struct zcrx_info info;
	struct rx owner, rx;
	struct ifq q, qi;
	int fd;

	ev_open(_metadata, NULL, &owner, &q, 64 * pagesz(), false, EV_ALL);
	fd = zcrx_export(owner.ring.ring_fd, q.id);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, rx_init(&rx, SQ_ENTRIES, CQ_ENTRIES));
	ASSERT_EQ(0, ifq_import(rx.ring.ring_fd, &qi, &q, fd));
	close(fd);
	rx_exit(&owner);

	rx.allow_enomem = true;
	lo_transfer(_metadata, &rx, &qi, AF_INET, EV_PORT, size, &self->tx[0],
		    300);
	EXPECT_EQ(0U, rx.events[ZCRX_EVENT_COPY]);
	EXPECT_EQ(0U, rx.events[ZCRX_EVENT_ALLOC_FAIL]);
	check_drained(_metadata, &rx, &qi, &info);
	EXPECT_EQ(size, info.copy_bytes);
	EXPECT_EQ(size, q.stats->copy_bytes);
	EXPECT_EQ(0U, rx.violations) TH_LOG("%s", rx.why);

	rx_exit(&rx);
	ifq_unimport(&qi);
	ifq_free(&q);
}

/*
 * 16 buffers, none returned: the NIC runs dry, the test only waits, and
 * ALLOC_FAIL arrives once.  Armed again, it comes again as the sender
 * retransmits into the dry queue.  No byte was copied.
 */
TEST_F_TIMEOUT(zcrx, nic_alloc_fail, 300)
{
	const size_t area = 16 * pagesz();
	const uint64_t size = MiB;
	struct zcrx_info info;
	struct stream *s;
	uint64_t start;
	struct ifq q;
	struct rx rx;
	pid_t tx;
	int lfd;

	ASSERT_EQ(0, steer(AF_INET, PORT, ZC_QUEUE, RULE_LOC));
	ev_open(_metadata, &self->env, &rx, &q, area, false, EV_ALL);
	s = nic_stream(&self->env, &rx, &q, AF_INET, PORT, size, false, &lfd,
		       &tx);
	ASSERT_NE(NULL, s);
	rx.hold = true;
	rx.allow_enomem = true;

	ASSERT_EQ(0, rx_until_quiet(&rx, s, 2000, 120000))
		TH_LOG("never stalled");
	EXPECT_TRUE(stream_live(s)) TH_LOG("ended with %d", s->err);
	EXPECT_LT(s->off, size);
	EXPECT_EQ(1U, rx.events[ZCRX_EVENT_ALLOC_FAIL]);
	EXPECT_EQ(0U, rx.events[ZCRX_EVENT_COPY]);

	ASSERT_EQ(0, zcrx_arm_event(rx.ring.ring_fd, q.id,
				    ZCRX_EVENT_ALLOC_FAIL));
	start = now_ms();
	while (rx.events[ZCRX_EVENT_ALLOC_FAIL] < 2) {
		ASSERT_LE(0, rx_step(&rx, 1000));
		ASSERT_LT(now_ms() - start, 60000ULL)
			TH_LOG("no second event after arming");
	}
	rx_settle(&rx, 1000);
	EXPECT_EQ(2U, rx.events[ZCRX_EVENT_ALLOC_FAIL]);
	TH_LOG("second event %llu ms after arming",
	       (unsigned long long)(now_ms() - start));

	rx.hold = false;
	rx_release(&rx);
	EXPECT_EQ(0, rx_run(&rx, 0));
	EXPECT_STREAM_OK(&rx, s, size);
	EXPECT_EQ(0, reap_sender(&self->env, tx));
	check_drained(_metadata, &rx, &q, &info);
	EXPECT_EQ(size, info.zc_bytes);
	EXPECT_EQ(0ULL, info.copy_bytes);
	EXPECT_EQ(0ULL, q.stats->copy_bytes);
	EXPECT_EQ(0ULL, q.stats->copy_count);
	EXPECT_EQ(0U, rx.events[ZCRX_EVENT_COPY]);
	EXPECT_EQ(0U, rx.violations) TH_LOG("%s", rx.why);

	rx_exit(&rx);
	ifq_free(&q);
	close(lfd);
}

/* Send @size to @port and receive it all through @q. */
static void one_stream(struct __test_metadata *_metadata, struct env *env,
		       struct rx *rx, struct ifq *q, int port, uint64_t size)
{
	struct stream *s;
	pid_t tx;
	int lfd;

	s = nic_stream(env, rx, q, AF_INET, port, size, false, &lfd, &tx);
	ASSERT_NE(NULL, s);
	EXPECT_EQ(0, rx_run(rx, 0));
	EXPECT_STREAM_OK(rx, s, size);
	EXPECT_EQ(0, reap_sender(env, tx));
	close(lfd);
}

TEST_F_TIMEOUT(zcrx, copy_unsteered, 300)
{
	const uint64_t size = MiB, size2 = 256 * KiB;
	struct zcrx_info info;
	struct ifq q;
	struct rx rx;

	ASSERT_EQ(0, steer(AF_INET, PORT, ZC_QUEUE, RULE_LOC));
	ASSERT_EQ(0, steer(AF_INET, PORT2, ALT_QUEUE, RULE_LOC2));
	ev_open(_metadata, &self->env, &rx, &q, AREA_LEN, false, EV_ALL);
	rx.allow_enomem = true;

	one_stream(_metadata, &self->env, &rx, &q, PORT, size);
	rx_settle(&rx, 500);
	EXPECT_EQ(0U, rx.events[ZCRX_EVENT_COPY]);
	EXPECT_EQ(0ULL, q.stats->copy_bytes);

	one_stream(_metadata, &self->env, &rx, &q, PORT2, size2);
	rx_settle(&rx, 500);
	EXPECT_EQ(1U, rx.events[ZCRX_EVENT_COPY]);
	check_drained(_metadata, &rx, &q, &info);
	EXPECT_EQ(size, info.zc_bytes);
	EXPECT_EQ(size2, info.copy_bytes);
	EXPECT_EQ(size2, q.stats->copy_bytes);
	EXPECT_EQ(info.copy_count, q.stats->copy_count);
	EXPECT_EQ(0U, rx.violations) TH_LOG("%s", rx.why);

	rx_exit(&rx);
	ifq_free(&q);
}

TEST_HARNESS_MAIN
