// SPDX-License-Identifier: GPL-2.0
/*
 * One interface queue shared by several rings (ZCRX_CTRL_EXPORT and
 * ZCRX_REG_IMPORT), on the netdevsim pair of zcrx_test.h:
 *
 *   zcrx.bad_input         the errnos of export and import; a failed
 *                          export leaves no descriptor behind
 *   zcrx.two_rings         two rings receive zero-copy through one queue
 *                          and area; the creator's ring goes, then the
 *                          exported file, and the importer goes on
 *   zcrx.closed_together   the holders close back to back, in each order:
 *                          the queue is free at once after the last
 *   zcrx.fd_outlives_ring  the exported file keeps the queue bound after
 *                          its ring is gone; a ring imports it then
 *   zcrx.holder_killed     the process that exported the queue is killed
 *                          with a receive in flight and buffers held; the
 *                          importer holds the queue, and it is free once
 *                          that goes too
 *   zcrx.device_deleted    the device goes away under two holders
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <sys/socket.h>
#include "zcrx_fixture.h"

/* Descriptors open in this process. */
static int nr_fds(void)
{
	struct dirent *d;
	DIR *dir;
	int n = 0;

	dir = opendir("/proc/self/fd");
	if (!dir)
		return -1;
	while ((d = readdir(dir)))
		if (d->d_name[0] != '.')
			n++;
	closedir(dir);
	return n;
}

/* ZCRX_REG_IMPORT of @fd with one more field set by @set (may be NULL). */
static int import_with(int ring_fd, int fd,
		       void (*set)(struct io_uring_zcrx_ifq_reg *reg))
{
	struct io_uring_zcrx_ifq_reg reg;

	memset(&reg, 0, sizeof(reg));
	reg.if_idx = fd;
	reg.flags = ZCRX_REG_IMPORT;
	if (set)
		set(&reg);
	return zcrx_register_ifq(ring_fd, &reg);
}

static void set_rq_entries(struct io_uring_zcrx_ifq_reg *reg)
{
	reg->rq_entries = 64;
}

static void set_area(struct io_uring_zcrx_ifq_reg *reg)
{
	reg->area_ptr = 4096;
}

static void set_rxq(struct io_uring_zcrx_ifq_reg *reg)
{
	reg->if_rxq = ZC_QUEUE;
}

static void set_nodev(struct io_uring_zcrx_ifq_reg *reg)
{
	reg->flags |= ZCRX_REG_NODEV;
}

/* Whether a new ring can bind ZC_QUEUE: 0, or the errno it got. */
static int queue_bind(int ifindex)
{
	struct ifq q;
	struct rx rx;
	int ret;

	if (rx_init(&rx, 8, 0))
		return -ENOMEM;
	ret = ifq_open(rx.ring.ring_fd, &q, ifindex, ZC_QUEUE, 64 * pagesz(),
		       64, false);
	rx_exit(&rx);
	if (!ret)
		ifq_free(&q);
	return ret;
}

/*
 * A connection of @size bytes to PORT, received through the view @q on
 * @rx's ring: every byte without a copy.  Buffers go back to the refill
 * ring, which the kernel is then asked to consume.
 */
static void transfer(struct __test_metadata *_metadata, struct env *e,
		     struct rx *rx, struct ifq *q, int lfd, uint64_t size)
{
	struct zcrx_info before, info;
	struct stream *s;
	pid_t tx;
	int fd;

	rq_resync(q);
	ASSERT_EQ(0, zcrx_info_get(rx->ring.ring_fd, q->id, &before, NULL));
	tx = start_sender(e, AF_INET, PORT, size, false);
	ASSERT_GT(tx, 0);
	fd = tcp_accept(lfd, 60000);
	ASSERT_GE(fd, 0);
	s = rx_add(rx, fd, q);
	EXPECT_EQ(0, rx_run(rx, 0));
	EXPECT_STREAM_OK(rx, s, size);
	EXPECT_EQ(0, reap_sender(e, tx));
	EXPECT_EQ(0, zcrx_flush_rq(rx->ring.ring_fd, q->id));
	ASSERT_EQ(0, zcrx_info_get(rx->ring.ring_fd, q->id, &info, NULL));
	EXPECT_EQ(size, info.zc_bytes - before.zc_bytes);
	EXPECT_EQ(before.copy_bytes, info.copy_bytes);
	EXPECT_EQ(0ULL, info.user);
	EXPECT_STREQ(IFNAME, info.dev);
	EXPECT_EQ((unsigned long long)ZC_QUEUE, info.rxq);
	close(fd);
	rx->nr = 0;
}

TEST_F_TIMEOUT(zcrx, bad_input, 300)
{
	struct zcrx_ctrl *ctrl;
	struct ifq q, qb;
	struct rx rx, rxb;
	int efd, p[2], fds;

	ASSERT_EQ(0, rx_init(&rx, SQ_ENTRIES, CQ_ENTRIES));
	ASSERT_EQ(0, rx_init(&rxb, SQ_ENTRIES, CQ_ENTRIES));
	ASSERT_EQ(0, ifq_open(rx.ring.ring_fd, &q, self->env.ifindex,
			      ZC_QUEUE, 64 * pagesz(), 64, false));
	ctrl = mmap(NULL, pagesz(), PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ctrl);

	/* an id the ring does not have */
	EXPECT_EQ(-EINVAL, zcrx_export(rx.ring.ring_fd, q.id + 1));
	/* the output field, or a reserved word, set on input */
	memset(ctrl, 0, sizeof(*ctrl));
	ctrl->zcrx_id = q.id;
	ctrl->op = ZCRX_CTRL_EXPORT;
	ctrl->zc_export.zcrx_fd = 3;
	EXPECT_EQ(-EINVAL, zcrx_ctrl_raw(rx.ring.ring_fd, ctrl));
	ctrl->zc_export.zcrx_fd = 0;
	ctrl->zc_export.__resv1[10] = 1;
	EXPECT_EQ(-EINVAL, zcrx_ctrl_raw(rx.ring.ring_fd, ctrl));
	ctrl->zc_export.__resv1[10] = 0;
	/* an answer that cannot be written back: no descriptor left over */
	fds = nr_fds();
	ASSERT_EQ(0, mprotect(ctrl, pagesz(), PROT_READ));
	EXPECT_EQ(-EFAULT, zcrx_ctrl_raw(rx.ring.ring_fd, ctrl));
	EXPECT_EQ(fds, nr_fds());
	munmap(ctrl, pagesz());

	/* import: not a descriptor, not an exported ifq, other fields set */
	ASSERT_EQ(0, pipe(p));
	EXPECT_EQ(-EBADF, import_with(rxb.ring.ring_fd, -1, NULL));
	EXPECT_EQ(-EBADF, import_with(rxb.ring.ring_fd, p[0], NULL));
	EXPECT_EQ(-EBADF, import_with(rxb.ring.ring_fd, rx.ring.ring_fd, NULL));
	efd = zcrx_export(rx.ring.ring_fd, q.id);
	ASSERT_GE(efd, 0);
	EXPECT_EQ(-EINVAL, import_with(rxb.ring.ring_fd, efd, set_rq_entries));
	EXPECT_EQ(-EINVAL, import_with(rxb.ring.ring_fd, efd, set_area));
	EXPECT_EQ(-EINVAL, import_with(rxb.ring.ring_fd, efd, set_rxq));
	EXPECT_EQ(-EINVAL, import_with(rxb.ring.ring_fd, efd, set_nodev));
	/* none of it took an id: the first good import gets 0 */
	ASSERT_EQ(0, ifq_import(rxb.ring.ring_fd, &qb, &q, efd));
	EXPECT_EQ(0U, qb.id);
	EXPECT_EQ(q.r.reg.rq_entries, qb.r.reg.rq_entries);
	EXPECT_EQ(q.r.reg.offsets.rqes, qb.r.reg.offsets.rqes);

	close(p[0]);
	close(p[1]);
	close(efd);
	rx_exit(&rxb);
	rx_exit(&rx);
	ifq_free(&q);
	EXPECT_EQ(0, queue_bind(self->env.ifindex));
}

TEST_F_TIMEOUT(zcrx, two_rings, 300)
{
	struct zcrx_info info;
	struct rx rx, rxb;
	struct ifq q, qb;
	int lfd, efd, n;

	ASSERT_EQ(0, steer(AF_INET, PORT, ZC_QUEUE, RULE_LOC));
	ASSERT_EQ(0, rx_init(&rx, SQ_ENTRIES, CQ_ENTRIES));
	ASSERT_EQ(0, rx_init(&rxb, SQ_ENTRIES, CQ_ENTRIES));
	ASSERT_EQ(0, ifq_open(rx.ring.ring_fd, &q, self->env.ifindex,
			      ZC_QUEUE, AREA_LEN, RQ_ENTRIES, false));
	efd = zcrx_export(rx.ring.ring_fd, q.id);
	ASSERT_GE(efd, 0);
	ASSERT_EQ(0, ifq_import(rxb.ring.ring_fd, &qb, &q, efd));
	ASSERT_EQ(0, zcrx_info_get(rxb.ring.ring_fd, qb.id, &info, &n));
	EXPECT_EQ(1, n);
	EXPECT_EQ((unsigned long long)qb.id, info.id);
	EXPECT_STREQ(IFNAME, info.dev);
	lfd = tcp_listen(AF_INET, PORT);
	ASSERT_GE(lfd, 0);

	/* each ring in turn, one queue and one area */
	transfer(_metadata, &self->env, &rx, &q, lfd, MiB);
	transfer(_metadata, &self->env, &rxb, &qb, lfd, MiB);
	transfer(_metadata, &self->env, &rx, &q, lfd, MiB);
	/* a queue in use refuses a new binding */
	EXPECT_EQ(-EEXIST, queue_bind(self->env.ifindex));

	/* the creator's ring goes: the file and the importer keep it */
	rx_exit(&rx);
	transfer(_metadata, &self->env, &rxb, &qb, lfd, MiB);
	EXPECT_EQ(-EEXIST, queue_bind(self->env.ifindex));
	close(efd);
	transfer(_metadata, &self->env, &rxb, &qb, lfd, MiB);
	ASSERT_EQ(0, zcrx_info_get(rxb.ring.ring_fd, qb.id, &info, NULL));
	EXPECT_EQ(5 * MiB, info.zc_bytes);

	/* the last holder goes: the queue is free at once */
	rx_exit(&rxb);
	EXPECT_EQ(0, queue_bind(self->env.ifindex));
	ifq_free(&q);
	close(lfd);
}

/*
 * Two rings and the exported file close one right after the other, in
 * every order: whichever closes last lets the queue go at once, before
 * any ring's exit work has run.
 */
TEST_F_TIMEOUT(zcrx, closed_together, 300)
{
	static const char *const orders[] = { "abf", "baf", "fab", "fba",
					      "afb", "bfa" };
	struct rx rx, rxb;
	struct ifq q, qb;
	size_t i, k;
	int efd;

	for (i = 0; i < ARRAY_SIZE(orders); i++) {
		ASSERT_EQ(0, rx_init(&rx, 8, 0));
		ASSERT_EQ(0, rx_init(&rxb, 8, 0));
		ASSERT_EQ(0, ifq_open(rx.ring.ring_fd, &q, self->env.ifindex,
				      ZC_QUEUE, 64 * pagesz(), 64, false));
		efd = zcrx_export(rx.ring.ring_fd, q.id);
		ASSERT_GE(efd, 0);
		ASSERT_EQ(0, ifq_import(rxb.ring.ring_fd, &qb, &q, efd));
		for (k = 0; k < 3; k++) {
			/* until the last one closes, the queue stays bound */
			if (k)
				EXPECT_EQ(-EEXIST, queue_bind(self->env.ifindex))
					TH_LOG("order %s, after %zu", orders[i], k);
			if (orders[i][k] == 'a')
				rx_exit(&rx);
			else if (orders[i][k] == 'b')
				rx_exit(&rxb);
			else
				close(efd);
		}
		EXPECT_EQ(0, queue_bind(self->env.ifindex))
			TH_LOG("closed in the order %s", orders[i]);
		ifq_free(&q);
	}
}

TEST_F_TIMEOUT(zcrx, fd_outlives_ring, 300)
{
	struct rx rx, rxb;
	struct ifq q, qb;
	int lfd, efd;

	ASSERT_EQ(0, steer(AF_INET, PORT, ZC_QUEUE, RULE_LOC));
	ASSERT_EQ(0, rx_init(&rx, SQ_ENTRIES, CQ_ENTRIES));
	ASSERT_EQ(0, ifq_open(rx.ring.ring_fd, &q, self->env.ifindex,
			      ZC_QUEUE, AREA_LEN, RQ_ENTRIES, true));
	efd = zcrx_export(rx.ring.ring_fd, q.id);
	ASSERT_GE(efd, 0);
	/* the region's mapping would keep the ring: it goes first */
	munmap(q.rq_map, q.rq_map_len);
	q.rq_map = NULL;
	rx_exit(&rx);
	EXPECT_EQ(-EEXIST, queue_bind(self->env.ifindex))
		TH_LOG("the exported file does not hold the queue");

	/* a kernel-allocated refill ring, mapped through the new ring */
	ASSERT_EQ(0, rx_init(&rxb, SQ_ENTRIES, CQ_ENTRIES));
	ASSERT_EQ(0, ifq_import(rxb.ring.ring_fd, &qb, &q, efd));
	close(efd);
	lfd = tcp_listen(AF_INET, PORT);
	ASSERT_GE(lfd, 0);
	transfer(_metadata, &self->env, &rxb, &qb, lfd, MiB);

	ifq_unimport(&qb);
	rx_exit(&rxb);
	EXPECT_EQ(0, queue_bind(self->env.ifindex));
	ifq_free(&q);
	close(lfd);
}

/* Send @fd over the unix socket @sock. */
static int send_fd(int sock, int fd)
{
	char buf[CMSG_SPACE(sizeof(int))] = {};
	struct iovec iov = { .iov_base = "f", .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = buf,
		.msg_controllen = sizeof(buf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -1;
}

static int recv_fd(int sock)
{
	char buf[CMSG_SPACE(sizeof(int))] = {}, c;
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = buf,
		.msg_controllen = sizeof(buf),
	};
	struct cmsghdr *cm;
	int fd;

	if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != 1)
		return -1;
	cm = CMSG_FIRSTHDR(&msg);
	if (!cm || cm->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

/*
 * In the child: register the queue, export it to the parent, arm a
 * receive on a connection that gets data, and wait to be killed.
 */
static int exporter(int sock, int lfd, int ifindex)
{
	struct ifq q;
	struct rx rx;
	int efd, fd;

	if (rx_init(&rx, SQ_ENTRIES, CQ_ENTRIES))
		return 1;
	if (ifq_open(rx.ring.ring_fd, &q, ifindex, ZC_QUEUE, AREA_LEN,
		     RQ_ENTRIES, false))
		return 2;
	efd = zcrx_export(rx.ring.ring_fd, q.id);
	if (efd < 0 || send_fd(sock, efd))
		return 3;
	close(efd);
	fd = tcp_accept(lfd, 60000);
	if (fd < 0)
		return 4;
	rx_add(&rx, fd, &q);
	rx.hold = true;
	if (rx_run(&rx, 64 * KiB) || write(sock, "r", 1) != 1)
		return 5;
	for (;;)
		rx_step(&rx, 1000);
}

TEST_F_TIMEOUT(zcrx, holder_killed, 300)
{
	struct zcrx_info info;
	int sp[2], lfd, efd, status;
	struct rx rxb;
	pid_t pid, tx;
	char c;

	ASSERT_EQ(0, steer(AF_INET, PORT, ZC_QUEUE, RULE_LOC));
	lfd = tcp_listen(AF_INET, PORT);
	ASSERT_GE(lfd, 0);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(sp[0]);
		_exit(exporter(sp[1], lfd, self->env.ifindex));
	}
	close(sp[1]);
	efd = recv_fd(sp[0]);
	ASSERT_GE(efd, 0) TH_LOG("no descriptor from the exporter");
	tx = start_sender(&self->env, AF_INET, PORT, 1ULL << 40, false);
	ASSERT_GT(tx, 0);
	ASSERT_EQ(1, read(sp[0], &c, 1)) TH_LOG("the exporter failed");

	/* killed with a receive in flight and buffers held */
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status));
	kill(tx, SIGKILL);
	reap_sender(&self->env, tx);

	/* the file holds the queue; a ring of ours takes it */
	EXPECT_EQ(-EEXIST, queue_bind(self->env.ifindex));
	ASSERT_EQ(0, rx_init(&rxb, SQ_ENTRIES, CQ_ENTRIES));
	ASSERT_EQ(0, import_with(rxb.ring.ring_fd, efd, NULL));
	close(efd);
	ASSERT_EQ(0, zcrx_info_get(rxb.ring.ring_fd, 0, &info, NULL));
	EXPECT_STREQ(IFNAME, info.dev);
	EXPECT_LT(0ULL, info.zc_bytes);
	/*
	 * Buffers are the area's, not a ring's: those the killed process
	 * held stay held until the last holder goes.
	 */
	EXPECT_LT(0ULL, info.user);
	EXPECT_EQ(-EEXIST, queue_bind(self->env.ifindex));

	rx_exit(&rxb);
	EXPECT_EQ(0, queue_bind(self->env.ifindex));
	close(sp[0]);
	close(lfd);
}

/* The device goes away under two rings holding the queue. */
TEST_F_TIMEOUT(zcrx, device_deleted, 300)
{
	struct zcrx_info info;
	struct rx rx, rxb;
	struct ifq q, qb;
	struct stream *s;
	int lfd, efd, fd;
	uint64_t start;
	pid_t tx;

	ASSERT_EQ(0, steer(AF_INET, PORT, ZC_QUEUE, RULE_LOC));
	ASSERT_EQ(0, rx_init(&rx, SQ_ENTRIES, CQ_ENTRIES));
	ASSERT_EQ(0, rx_init(&rxb, SQ_ENTRIES, CQ_ENTRIES));
	ASSERT_EQ(0, ifq_open(rx.ring.ring_fd, &q, self->env.ifindex,
			      ZC_QUEUE, AREA_LEN, RQ_ENTRIES, false));
	efd = zcrx_export(rx.ring.ring_fd, q.id);
	ASSERT_GE(efd, 0);
	ASSERT_EQ(0, ifq_import(rxb.ring.ring_fd, &qb, &q, efd));
	close(efd);
	lfd = tcp_listen(AF_INET, PORT);
	ASSERT_GE(lfd, 0);
	tx = start_sender(&self->env, AF_INET, PORT, MiB, true);
	ASSERT_GT(tx, 0);
	fd = tcp_accept(lfd, 60000);
	ASSERT_GE(fd, 0);
	s = rx_add(&rxb, fd, &qb);
	ASSERT_EQ(0, rx_run(&rxb, MiB));
	EXPECT_EQ(MiB, s->off);
	EXPECT_EQ(UINT64_MAX, s->bad);
	ASSERT_EQ(0, rx_rearm(&rxb, s));

	ASSERT_EQ(0, nsim_del(self->env.ns_b));
	start = now_ms();
	while (s->armed && now_ms() - start < 10000)
		ASSERT_GE(rx_step(&rxb, 500), 0);
	if (s->armed) {
		shutdown(fd, SHUT_RDWR);
		start = now_ms();
		while (s->armed && now_ms() - start < 10000)
			ASSERT_GE(rx_step(&rxb, 500), 0);
	}
	EXPECT_FALSE(s->armed) TH_LOG("the request never ended");
	ASSERT_EQ(0, zcrx_info_get(rx.ring.ring_fd, q.id, &info, NULL));
	EXPECT_STREQ("-", info.dev);
	ASSERT_EQ(0, zcrx_info_get(rxb.ring.ring_fd, qb.id, &info, NULL));
	EXPECT_STREQ("-", info.dev);

	kill(tx, SIGKILL);
	reap_sender(&self->env, tx);
	rx_exit(&rx);
	rx_exit(&rxb);
	ifq_free(&q);
	close(lfd);
}

TEST_HARNESS_MAIN
