/* SPDX-License-Identifier: MIT OR LGPL-2.1 */
/*
 * For the build test: liburing.h of liburing 2.10, the first with
 * zero-copy receive, on top of the system's.  Its io_uring.h is Linux
 * 6.15's: zcrx is inline, not in linux/io_uring/zcrx.h; two fields were
 * still reserved (io_uring_zcrx_area_reg.__resv1, later dmabuf_fd;
 * io_uring_zcrx_ifq_reg.__resv2, later rx_buf_len); there are neither
 * zcrx_reg_flags nor zcrx_features, no control call and no query.
 */
#include_next <liburing.h>
#ifndef TEST_LIBURING_2_10_H
#define TEST_LIBURING_2_10_H

enum {
	IORING_OP_RECV_ZC = 58,
};

enum {
	IORING_REGISTER_ZCRX_IFQ = 32,
};

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

struct io_uring_zcrx_rqe {
	__u64	off;
	__u32	len;
	__u32	__pad;
};

struct io_uring_zcrx_cqe {
	__u64	off;
	__u64	__pad;
};

#define IORING_ZCRX_AREA_SHIFT	48
#define IORING_ZCRX_AREA_MASK	(~(((__u64)1 << IORING_ZCRX_AREA_SHIFT) - 1))

struct io_uring_zcrx_offsets {
	__u32	head;
	__u32	tail;
	__u32	rqes;
	__u32	__resv2;
	__u64	__resv[2];
};

struct io_uring_zcrx_area_reg {
	__u64	addr;
	__u64	len;
	__u64	rq_area_token;
	__u32	flags;
	__u32	__resv1;
	__u64	__resv2[2];
};

struct io_uring_zcrx_ifq_reg {
	__u32	if_idx;
	__u32	if_rxq;
	__u32	rq_entries;
	__u32	flags;

	__u64	area_ptr;
	__u64	region_ptr;

	struct io_uring_zcrx_offsets offsets;
	__u32	zcrx_id;
	__u32	__resv2;
	__u64	__resv[3];
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

#endif
