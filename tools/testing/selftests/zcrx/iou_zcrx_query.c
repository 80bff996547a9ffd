// SPDX-License-Identifier: GPL-2.0
/*
 * IORING_REGISTER_QUERY, with no device and no ring (fd -1): what it
 * answers (the opcode counts and flag masks this kernel accepts, the zcrx
 * features that work here), checked against what the kernel does; chains;
 * answer buffers smaller and larger than the answer; and bad input (a
 * result set on entry, reserved fields, an unknown query, a chain that
 * loops or is too long, memory that cannot be read), each with its errno
 * and never a hang.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/io_uring/query.h>

#include "../kselftest_harness.h"
#include "zcrx_uring.h"

#ifndef IORING_REGISTER_QUERY
#define IORING_REGISTER_QUERY		35
#endif

/* What this series' kernel has (see include/uapi/linux/io_uring.h). */
#define OP_LAST				59
#define REGISTER_LAST			37
#define QUERY_MAX_ENTRIES		1024

static int query(int fd, void *arg, unsigned int nr_args)
{
	int ret = syscall(__NR_io_uring_register, fd, IORING_REGISTER_QUERY,
			  arg, nr_args);

	return ret < 0 ? -errno : ret;
}

static void hdr_init(struct io_uring_query_hdr *h, __u32 op, void *data,
		     __u32 size)
{
	memset(h, 0, sizeof(*h));
	h->query_op = op;
	h->query_data = (uintptr_t)data;
	h->size = size;
}

TEST(opcodes)
{
	struct io_uring_query_opcode q;
	struct io_uring_query_hdr h;
	struct io_uring_params p;
	struct io_uring ring;
	__u64 bit;
	int ret;

	memset(&q, 0xaa, sizeof(q));
	hdr_init(&h, IO_URING_QUERY_OPCODES, &q, sizeof(q));
	ASSERT_EQ(0, query(-1, &h, 0));
	ASSERT_EQ(0, h.result);
	ASSERT_EQ(sizeof(q), h.size);
	EXPECT_EQ(OP_LAST, q.nr_request_opcodes);
	EXPECT_EQ(REGISTER_LAST, q.nr_register_opcodes);
	EXPECT_EQ(__IO_URING_QUERY_MAX, q.nr_query_opcodes);
	EXPECT_EQ(0, q.__pad);
	EXPECT_EQ(IOSQE_FIXED_FILE | IOSQE_IO_DRAIN | IOSQE_IO_LINK |
		  IOSQE_IO_HARDLINK | IOSQE_ASYNC | IOSQE_BUFFER_SELECT |
		  IOSQE_CQE_SKIP_SUCCESS, q.sqe_flags);
	/* 6.12's: IORING_SETUP_IOPOLL to NO_SQARRAY, GETEVENTS to ABS_TIMER */
	EXPECT_EQ(0x1ffffULL, q.ring_setup_flags);
	EXPECT_EQ(0x3fULL, q.enter_flags);

	/* The features are those io_uring_setup() reports. */
	memset(&p, 0, sizeof(p));
	ASSERT_EQ(0, io_uring_queue_init_params(8, &ring, &p));
	EXPECT_EQ(p.features, q.feature_flags);

	/* Every setup and enter flag left out is refused. */
	for (bit = 1; bit < (1ULL << 32); bit <<= 1) {
		struct io_uring r2;

		if (!(q.ring_setup_flags & bit)) {
			memset(&p, 0, sizeof(p));
			p.flags = bit;
			ret = io_uring_queue_init_params(8, &r2, &p);
			EXPECT_EQ(-EINVAL, ret)
				TH_LOG("setup flag %#llx not reported, yet accepted",
				       (unsigned long long)bit);
			if (!ret)
				io_uring_queue_exit(&r2);
		}
		if (!(q.enter_flags & bit)) {
			ret = syscall(__NR_io_uring_enter, ring.ring_fd, 0, 0,
				      (unsigned int)bit, NULL, 0);
			EXPECT_EQ(-1, ret);
			EXPECT_EQ(EINVAL, errno)
				TH_LOG("enter flag %#llx not reported, yet accepted",
				       (unsigned long long)bit);
		}
	}

	/* A ring fd gets the same answer. */
	struct io_uring_query_opcode q2;

	memset(&q2, 0x55, sizeof(q2));
	hdr_init(&h, IO_URING_QUERY_OPCODES, &q2, sizeof(q2));
	ASSERT_EQ(0, query(ring.ring_fd, &h, 0));
	EXPECT_EQ(0, memcmp(&q, &q2, sizeof(q)));
	io_uring_queue_exit(&ring);
}

/*
 * Only what works here: both register flags, dmabuf areas, the three ctrl
 * ops, events (and statistics), buffers larger than a page.
 */
TEST(zcrx)
{
	struct io_uring_query_zcrx q;
	struct io_uring_query_hdr h;

	memset(&q, 0xaa, sizeof(q));
	hdr_init(&h, IO_URING_QUERY_ZCRX, &q, sizeof(q));
	ASSERT_EQ(0, query(-1, &h, 0));
	ASSERT_EQ(0, h.result);
	ASSERT_EQ(sizeof(q), h.size);
	EXPECT_EQ(ZCRX_REG_IMPORT | ZCRX_REG_NODEV, q.register_flags);
	EXPECT_EQ(IORING_ZCRX_AREA_DMABUF, q.area_flags);
	EXPECT_EQ(3, q.nr_ctrl_opcodes);
	EXPECT_EQ(ZCRX_FEATURE_RX_PAGE_SIZE | ZCRX_FEATURE_EVENT, q.features);
	EXPECT_EQ(2 * sizeof(__u32), q.rq_hdr_size);
	EXPECT_EQ(0, q.rq_hdr_alignment & (q.rq_hdr_alignment - 1));
	EXPECT_LE(64, q.rq_hdr_alignment);
	EXPECT_EQ(0, q.__resv2);
}

/*
 * Events: the descriptor flag for statistics, and their size and
 * alignment.  Query 2, which mainline uses for something this kernel does
 * not have, is unknown here.
 */
TEST(zcrx_notif)
{
	struct io_uring_query_zcrx_notif q;
	struct io_uring_query_hdr h;
	char two[16];
	int i;

	memset(&q, 0xaa, sizeof(q));
	hdr_init(&h, IO_URING_QUERY_ZCRX_NOTIF, &q, sizeof(q));
	ASSERT_EQ(0, query(-1, &h, 0));
	ASSERT_EQ(0, h.result);
	ASSERT_EQ(sizeof(q), h.size);
	EXPECT_EQ(ZCRX_EVENT_DESC_FLAG_STATS, q.flags);
	EXPECT_EQ(sizeof(struct zcrx_stats), q.stats_size);
	EXPECT_EQ(8, q.stats_off_alignment);
	EXPECT_EQ(0, q.__resv1);
	for (i = 0; i < 4; i++)
		EXPECT_EQ(0, q.__resv2[i]);

	memset(two, 0x55, sizeof(two));
	hdr_init(&h, 2, two, sizeof(two));
	ASSERT_EQ(0, query(-1, &h, 0));
	EXPECT_EQ(-EOPNOTSUPP, h.result);
	EXPECT_EQ(0, h.size);
	EXPECT_EQ(0x55, two[0]);
}

TEST(chain)
{
	struct io_uring_query_opcode qo;
	struct io_uring_query_zcrx qz;
	struct io_uring_query_hdr h[3];
	char unknown[16];

	memset(unknown, 0x77, sizeof(unknown));
	hdr_init(&h[0], IO_URING_QUERY_OPCODES, &qo, sizeof(qo));
	hdr_init(&h[1], 0x1234, unknown, sizeof(unknown));
	hdr_init(&h[2], IO_URING_QUERY_ZCRX, &qz, sizeof(qz));
	h[0].next_entry = (uintptr_t)&h[1];
	h[1].next_entry = (uintptr_t)&h[2];
	ASSERT_EQ(0, query(-1, &h[0], 0));
	EXPECT_EQ(0, h[0].result);
	EXPECT_EQ(OP_LAST, qo.nr_request_opcodes);
	/* An unknown query is answered -EOPNOTSUPP; the chain goes on. */
	EXPECT_EQ(-EOPNOTSUPP, h[1].result);
	EXPECT_EQ(0, h[1].size);
	EXPECT_EQ(0x77, unknown[0]);
	EXPECT_EQ(0x77, unknown[sizeof(unknown) - 1]);
	EXPECT_EQ(0, h[2].result);
	EXPECT_EQ(3, qz.nr_ctrl_opcodes);
}

/* An older program's smaller struct: what fits, nothing past it. */
TEST(size_smaller)
{
	struct io_uring_query_opcode q;
	struct io_uring_query_hdr h;

	memset(&q, 0xaa, sizeof(q));
	hdr_init(&h, IO_URING_QUERY_OPCODES, &q, 8);
	ASSERT_EQ(0, query(-1, &h, 0));
	EXPECT_EQ(0, h.result);
	EXPECT_EQ(8, h.size);
	EXPECT_EQ(OP_LAST, q.nr_request_opcodes);
	EXPECT_EQ(REGISTER_LAST, q.nr_register_opcodes);
	EXPECT_EQ(0xaaaaaaaaaaaaaaaaULL, q.feature_flags);
}

/* A newer program's larger struct: zeroes past what this kernel knows. */
TEST(size_larger)
{
	struct {
		struct io_uring_query_zcrx q;
		__u64 more[4];
	} big;
	struct io_uring_query_hdr h;
	int i;

	memset(&big, 0xaa, sizeof(big));
	hdr_init(&h, IO_URING_QUERY_ZCRX, &big, sizeof(big));
	ASSERT_EQ(0, query(-1, &h, 0));
	EXPECT_EQ(0, h.result);
	EXPECT_EQ(sizeof(big.q), h.size);
	EXPECT_EQ(3, big.q.nr_ctrl_opcodes);
	for (i = 0; i < 4; i++)
		EXPECT_EQ(0, big.more[i]);
}

/*
 * A malformed header is answered -EINVAL in its result, with size 0 and
 * its buffer untouched, and the chain goes on to the next one.
 */
static void bad_header(struct __test_metadata *_metadata, const char *what,
		       void (*spoil)(struct io_uring_query_hdr *h))
{
	struct io_uring_query_opcode q, q2;
	struct io_uring_query_hdr h[2];

	memset(&q, 0xaa, sizeof(q));
	hdr_init(&h[0], IO_URING_QUERY_OPCODES, &q, sizeof(q));
	hdr_init(&h[1], IO_URING_QUERY_OPCODES, &q2, sizeof(q2));
	h[0].next_entry = (uintptr_t)&h[1];
	spoil(&h[0]);
	EXPECT_EQ(0, query(-1, &h[0], 0)) TH_LOG("%s", what);
	EXPECT_EQ(-EINVAL, h[0].result) TH_LOG("%s", what);
	EXPECT_EQ(0, h[0].size) TH_LOG("%s", what);
	EXPECT_EQ(0xaaaaaaaaU, q.nr_request_opcodes) TH_LOG("%s", what);
	EXPECT_EQ(0, h[1].result) TH_LOG("%s: the chain stopped", what);
	EXPECT_EQ(OP_LAST, q2.nr_request_opcodes) TH_LOG("%s", what);
}

static void spoil_result(struct io_uring_query_hdr *h)
{
	h->result = 1;
}

static void spoil_resv(struct io_uring_query_hdr *h)
{
	h->__resv[2] = 1;
}

static void spoil_size(struct io_uring_query_hdr *h)
{
	h->size = 0;
}

static void spoil_data(struct io_uring_query_hdr *h)
{
	h->query_data = 0;
}

TEST(bad_input)
{
	struct io_uring_query_opcode q;
	struct io_uring_query_hdr h;
	void *gone;

	bad_header(_metadata, "result set on entry", spoil_result);
	bad_header(_metadata, "a reserved word", spoil_resv);
	bad_header(_metadata, "size 0", spoil_size);
	bad_header(_metadata, "no buffer", spoil_data);

	/* nr_args must be 0, the argument present */
	hdr_init(&h, IO_URING_QUERY_OPCODES, &q, sizeof(q));
	EXPECT_EQ(-EINVAL, query(-1, &h, 1));
	EXPECT_EQ(-EINVAL, query(-1, NULL, 0));

	/* memory that is not there, as header, answer or next entry */
	gone = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, gone);
	ASSERT_EQ(0, munmap(gone, 4096));
	EXPECT_EQ(-EFAULT, query(-1, gone, 0));
	hdr_init(&h, IO_URING_QUERY_OPCODES, gone, sizeof(q));
	EXPECT_EQ(-EFAULT, query(-1, &h, 0));
	memset(&q, 0xaa, sizeof(q));
	hdr_init(&h, IO_URING_QUERY_OPCODES, &q, sizeof(q));
	h.next_entry = (uintptr_t)gone;
	EXPECT_EQ(-EFAULT, query(-1, &h, 0));
	EXPECT_EQ(OP_LAST, q.nr_request_opcodes);	/* the first was answered */

	/* a read-only answer buffer */
	gone = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, gone);
	hdr_init(&h, IO_URING_QUERY_OPCODES, gone, sizeof(q));
	EXPECT_EQ(-EFAULT, query(-1, &h, 0));
	munmap(gone, 4096);

	/* fd -1 is a query's alone: other operations are refused */
	EXPECT_EQ(-1, syscall(__NR_io_uring_register, -1,
			      IORING_REGISTER_ZCRX_CTRL, NULL, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, syscall(__NR_io_uring_register, -1,
			      IORING_REGISTER_PROBE, NULL, 0));
	EXPECT_EQ(EINVAL, errno);
	/* another bad fd is still EBADF */
	EXPECT_EQ(-1, syscall(__NR_io_uring_register, -2,
			      IORING_REGISTER_QUERY, &h, 0));
	EXPECT_EQ(EBADF, errno);
}

/* A chain that loops, or is longer than the kernel walks, ends at once. */
TEST(chain_limits)
{
	struct io_uring_query_hdr *hs, h;
	struct io_uring_query_zcrx q;
	int i, n = QUERY_MAX_ENTRIES + 1;

	hdr_init(&h, IO_URING_QUERY_ZCRX, &q, sizeof(q));
	h.next_entry = (uintptr_t)&h;
	EXPECT_EQ(-E2BIG, query(-1, &h, 0));

	hs = calloc(n, sizeof(*hs));
	ASSERT_NE(NULL, hs);
	for (i = 0; i < n; i++) {
		hdr_init(&hs[i], IO_URING_QUERY_ZCRX, &q, sizeof(q));
		if (i + 1 < n)
			hs[i].next_entry = (uintptr_t)&hs[i + 1];
	}
	EXPECT_EQ(-E2BIG, query(-1, &hs[0], 0));
	/* as many as the kernel walks: every one answered */
	for (i = 0; i < n; i++)
		hs[i].result = 0;
	hs[n - 2].next_entry = 0;
	EXPECT_EQ(0, query(-1, &hs[0], 0));
	EXPECT_EQ(0, hs[n - 2].result);
	EXPECT_EQ(sizeof(q), hs[n - 2].size);
	free(hs);
}

TEST_HARNESS_MAIN
