// SPDX-License-Identifier: GPL-2.0
/*
 * Teardown of io_uring zero-copy receive with data in flight, on the
 * netdevsim pair of zcrx_test.h (iou_zcrx_life.c covers the lifetimes of
 * queues without traffic):
 *
 *   zcrx.ring_close_in_flight  the ring closes with a receive in flight,
 *                              buffers held and completions not reaped
 *   zcrx.receiver_killed       the receiving process is killed
 *   zcrx.held_at_close         the ring closes with every buffer held: the
 *                              bytes stay, the pinned pages go
 *   zcrx.device_deleted        the device goes away under a bound ifq
 *
 * The first three then register the same queue again at once.
 */
#define _GNU_SOURCE
#include "zcrx_fixture.h"

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
	char why[256];
	uint64_t start;
	struct ifq q;
	struct rx rx;
	int lfd, fd;
	pid_t tx;

	if (!nsim_can_del(self->env.ns_b, why, sizeof(why)))
		SKIP(return, "no unplug: %s", why);
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
