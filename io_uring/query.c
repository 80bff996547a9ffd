// SPDX-License-Identifier: GPL-2.0
/*
 * IORING_REGISTER_QUERY: tell user space what this kernel's io_uring
 * supports, without a ring.  The argument is a chain of headers, each
 * naming one question and a buffer for its answer; every answer says only
 * what works here, so that a program written for a newer kernel can decide
 * what to use.
 */
#include <linux/cache.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/sched/signal.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/io_uring.h>
#include <linux/io_uring_types.h>
#include <uapi/linux/io_uring.h>
#include <uapi/linux/io_uring/query.h>

#include "io_uring.h"
#include "query.h"

/* The largest answer of any query, with room to grow. */
#define IO_QUERY_MAX_SIZE	256
/* Chains longer than this are refused: a loop in user memory ends here. */
#define IO_QUERY_MAX_ENTRIES	1024

union io_query_answer {
	struct io_uring_query_opcode	opcodes;
	struct io_uring_query_zcrx	zcrx;
	struct io_uring_query_zcrx_notif zcrx_notif;
	u8				raw[IO_QUERY_MAX_SIZE];
};

static size_t io_query_opcodes(union io_query_answer *a)
{
	struct io_uring_query_opcode *e = &a->opcodes;

	e->nr_request_opcodes = IORING_OP_LAST;
	e->nr_register_opcodes = IORING_REGISTER_LAST;
	e->feature_flags = IORING_FEAT_FLAGS;
	e->ring_setup_flags = IORING_SETUP_FLAGS;
	e->enter_flags = IORING_ENTER_FLAGS;
	e->sqe_flags = SQE_VALID_FLAGS;
	e->nr_query_opcodes = __IO_URING_QUERY_MAX;
	return sizeof(*e);
}

static size_t io_query_zcrx(union io_query_answer *a)
{
	struct io_uring_query_zcrx *e = &a->zcrx;

	/*
	 * Both register flags, dmabuf areas, every ctrl op, events, and
	 * buffers larger than a page.
	 */
	e->register_flags = ZCRX_REG_IMPORT | ZCRX_REG_NODEV;
	e->area_flags = IORING_ZCRX_AREA_DMABUF;
	e->nr_ctrl_opcodes = __ZCRX_CTRL_LAST;
	e->features = ZCRX_FEATURE_RX_PAGE_SIZE | ZCRX_FEATURE_EVENT;
	e->rq_hdr_size = sizeof(struct io_uring);
	e->rq_hdr_alignment = L1_CACHE_BYTES;
	return sizeof(*e);
}

static size_t io_query_zcrx_notif(union io_query_answer *a)
{
	struct io_uring_query_zcrx_notif *e = &a->zcrx_notif;

	e->flags = ZCRX_EVENT_DESC_FLAG_STATS;
	e->stats_size = sizeof(struct zcrx_stats);
	/* the kernel updates the counters with 64-bit atomics */
	e->stats_off_alignment = sizeof(u64);
	return sizeof(*e);
}

/* Whether this kernel answers @op. */
static bool io_query_known(u32 op)
{
	switch (op) {
	case IO_URING_QUERY_OPCODES:
		return true;
	case IO_URING_QUERY_ZCRX:
	case IO_URING_QUERY_ZCRX_NOTIF:
		return IS_ENABLED(CONFIG_IO_URING_ZCRX);
	}
	return false;
}

/*
 * Answer the question of one header.  Returns 0 and the next header's
 * address, or -EFAULT for memory that cannot be read or written, which
 * ends the whole call.  A header that cannot be answered gets its errno in
 * result, with size 0 and its buffer untouched, and the chain goes on:
 * -EOPNOTSUPP for a question this kernel does not know, else -EINVAL for a
 * malformed header (result or a reserved word set on entry, no buffer).
 */
static int io_query_one(void __user *uhdr, union io_query_answer *a, u64 *next)
{
	struct io_uring_query_hdr hdr;
	size_t len = 0;
	u32 size;

	if (copy_from_user(&hdr, uhdr, sizeof(hdr)))
		return -EFAULT;

	memset(a, 0, sizeof(*a));
	/* an unknown question first, whatever else the header holds */
	if (!io_query_known(hdr.query_op)) {
		hdr.result = -EOPNOTSUPP;
	} else if (hdr.result ||
		   memchr_inv(hdr.__resv, 0, sizeof(hdr.__resv)) ||
		   !hdr.size || !hdr.query_data) {
		hdr.result = -EINVAL;
	} else if (hdr.query_op == IO_URING_QUERY_OPCODES) {
		len = io_query_opcodes(a);
	} else if (hdr.query_op == IO_URING_QUERY_ZCRX) {
		len = io_query_zcrx(a);
	} else {
		len = io_query_zcrx_notif(a);
	}

	/*
	 * An older program's smaller struct gets what fits; a newer one's
	 * larger struct gets zeroes past what this kernel knows, up to
	 * IO_QUERY_MAX_SIZE bytes.
	 */
	size = min_t(u32, hdr.size, sizeof(*a));
	if (!hdr.result) {
		if (copy_to_user(u64_to_user_ptr(hdr.query_data), a, size))
			return -EFAULT;
		hdr.size = min_t(u32, hdr.size, len);
	} else {
		hdr.size = 0;
	}
	if (copy_to_user(uhdr, &hdr, sizeof(hdr)))
		return -EFAULT;
	*next = hdr.next_entry;
	return 0;
}

/**
 * io_query() - answer a chain of IORING_REGISTER_QUERY questions
 * @arg: the first struct io_uring_query_hdr in user memory
 * @nr_args: must be 0
 *
 * Walks the chain through next_entry until it is 0, answering each header
 * in place.  The walk is bounded: a chain of more than IO_QUERY_MAX_ENTRIES
 * headers (one that loops, say) ends with -E2BIG after answering that many,
 * and a fatal signal ends it with -EINTR.
 *
 * Context: process context; with ctx->uring_lock held when called through
 * a ring, with no lock otherwise.
 * Return: 0, or a negative errno.
 */
int io_query(void __user *arg, unsigned int nr_args)
{
	union io_query_answer a;
	void __user *uhdr = arg;
	unsigned int nr = 0;
	int ret = 0;

	if (nr_args || !arg)
		return -EINVAL;
	while (uhdr) {
		u64 next;

		if (nr++ == IO_QUERY_MAX_ENTRIES) {
			ret = -E2BIG;
			break;
		}
		ret = io_query_one(uhdr, &a, &next);
		if (ret)
			break;
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		cond_resched();
		uhdr = u64_to_user_ptr(next);
	}
	return ret;
}
