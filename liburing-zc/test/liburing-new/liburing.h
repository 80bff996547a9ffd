/* SPDX-License-Identifier: MIT OR LGPL-2.1 */
/*
 * For the build test: liburing.h of a newer liburing (2.15), on top of
 * the system's.  Its io_uring.h has the zero-copy receive numbers and
 * includes the kernel's linux/io_uring/zcrx.h and query.h (beside this
 * file), and it declares mainline's three registration calls, which
 * fake-liburing.c defines.
 */
#include_next <liburing.h>
#ifndef TEST_NEWER_LIBURING_H
#define TEST_NEWER_LIBURING_H

#include <linux/io_uring/zcrx.h>
#include <linux/io_uring/query.h>

enum {
	IORING_OP_RECV_ZC = 58,
};

enum {
	IORING_REGISTER_ZCRX_IFQ	= 32,
	IORING_REGISTER_QUERY		= 35,
	IORING_REGISTER_ZCRX_CTRL	= 36,
};

/* newer copies of io_uring.h name the SQE's slot at byte 44 so */
#define zcrx_ifq_idx file_index

enum {
	IORING_MEM_REGION_TYPE_USER = 1,
};

struct io_uring_region_desc {
	__u64	user_addr;
	__u64	size;
	__u32	flags;
	__u32	id;
	__u64	mmap_offset;
	__u64	__resv[4];
};

struct io_uring_zcrx_rq {
	__u32	*khead;
	__u32	*ktail;
	__u32	rq_tail;
	unsigned ring_entries;

	struct io_uring_zcrx_rqe *rqes;
	void	*ring_ptr;
};

int io_uring_register_ifq(struct io_uring *ring,
			  struct io_uring_zcrx_ifq_reg *reg);
int io_uring_register_zcrx_ctrl(struct io_uring *ring, struct zcrx_ctrl *ctrl);
int io_uring_register_query(struct io_uring_query_hdr *query);

#endif
