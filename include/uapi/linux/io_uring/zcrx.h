/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * Zero-copy receive ("zcrx") for io_uring: registered interface queues,
 * their buffer areas and refill rings, and IORING_OP_RECV_ZC completions.
 *
 * See Documentation/networking/iou-zcrx.rst.
 */
#ifndef LINUX_IO_URING_ZCRX_H
#define LINUX_IO_URING_ZCRX_H

#include <linux/types.h>

/*
 * Every offset the kernel reports in a completion, and every offset
 * returned through the refill ring, carries the area id in its top bits.
 */
#define IORING_ZCRX_AREA_SHIFT	48
#define IORING_ZCRX_AREA_MASK	(~(((__u64)1 << IORING_ZCRX_AREA_SHIFT) - 1))

/* An entry of the refill ring: a buffer handed back to the kernel. */
struct io_uring_zcrx_rqe {
	__u64	off;
	__u32	len;
	__u32	__pad;
};

/* The second half of a 32-byte completion of IORING_OP_RECV_ZC. */
struct io_uring_zcrx_cqe {
	__u64	off;
	__u64	__pad;
};

/* Byte offsets of the refill ring's fields inside its region. */
struct io_uring_zcrx_offsets {
	__u32	head;
	__u32	tail;
	__u32	rqes;
	__u32	__resv2;
	__u64	__resv[2];
};

enum io_uring_zcrx_area_flags {
	IORING_ZCRX_AREA_DMABUF		= 1,
};

struct io_uring_zcrx_area_reg {
	__u64	addr;
	__u64	len;
	__u64	rq_area_token;
	__u32	flags;
	__u32	dmabuf_fd;
	__u64	__resv2[2];
};

enum zcrx_reg_flags {
	ZCRX_REG_IMPORT		= 1,
	ZCRX_REG_NODEV		= 2,
};

enum zcrx_features {
	/* io_uring_zcrx_ifq_reg::rx_buf_len may ask for larger buffers */
	ZCRX_FEATURE_RX_PAGE_SIZE	= 1 << 0,
	/* io_uring_zcrx_ifq_reg::event_desc asks for events and statistics */
	ZCRX_FEATURE_EVENT		= 1 << 1,
};

#define ZCRX_FEATURE_NOTIFICATION	ZCRX_FEATURE_EVENT

/*
 * Events: each type enabled in zcrx_event_desc::type_mask posts one
 * completion, with the descriptor's user_data and res = the type, the
 * first time it happens; it fires again only after ZCRX_CTRL_ARM_EVENT.
 */
enum zcrx_event_type {
	/* the ifq needed a free buffer and found none */
	ZCRX_EVENT_ALLOC_FAIL		= 0,
	/* received data was copied into the area, not placed by the NIC */
	ZCRX_EVENT_COPY			= 1,

	__ZCRX_EVENT_LAST,
};

#define ZCRX_NOTIF_NO_BUFFERS		ZCRX_EVENT_ALLOC_FAIL
#define ZCRX_NOTIF_COPY			ZCRX_EVENT_COPY

enum zcrx_event_desc_flags {
	/* stats_offset places a struct zcrx_stats in the refill region */
	ZCRX_EVENT_DESC_FLAG_STATS	= 1 << 0,
};

/* Pointed to by io_uring_zcrx_ifq_reg::event_desc */
struct zcrx_event_desc {
	__u64	user_data;
	__u32	type_mask;	/* 1 << enum zcrx_event_type */
	__u32	flags;		/* enum zcrx_event_desc_flags */
	__u64	stats_offset;	/* byte offset in the refill region */
	__u64	__resv2[9];
};

#define zcrx_notification_desc		zcrx_event_desc

/* Kept up to date by the kernel inside the refill region. */
struct zcrx_stats {
	__u64	copy_count;	/* buffers filled by a copy */
	__u64	copy_bytes;	/* bytes copied */
};

/* Argument of IORING_REGISTER_ZCRX_IFQ */
struct io_uring_zcrx_ifq_reg {
	__u32	if_idx;
	__u32	if_rxq;
	__u32	rq_entries;
	__u32	flags;

	__u64	area_ptr;	/* pointer to struct io_uring_zcrx_area_reg */
	__u64	region_ptr;	/* pointer to struct io_uring_region_desc */

	struct io_uring_zcrx_offsets offsets;
	__u32	zcrx_id;
	__u32	rx_buf_len;
	__u64	event_desc;	/* pointer to struct zcrx_event_desc, or 0 */
	__u64	__resv[2];
};

enum zcrx_ctrl_op {
	ZCRX_CTRL_FLUSH_RQ,
	ZCRX_CTRL_EXPORT,
	ZCRX_CTRL_ARM_EVENT,

	__ZCRX_CTRL_LAST,
};

struct zcrx_ctrl_flush_rq {
	__u64	__resv[6];
};

struct zcrx_ctrl_export {
	__u32	zcrx_fd;
	__u32	__resv1[11];
};

struct zcrx_ctrl_arm_event {
	__u32	event_type;	/* enum zcrx_event_type */
	__u32	__resv[11];
};

/* Argument of IORING_REGISTER_ZCRX_CTRL */
struct zcrx_ctrl {
	__u32	zcrx_id;
	__u32	op;		/* enum zcrx_ctrl_op */
	__u64	__resv[2];

	union {
		struct zcrx_ctrl_export		zc_export;
		struct zcrx_ctrl_flush_rq	zc_flush;
		struct zcrx_ctrl_arm_event	zc_arm_event;
	};
};

#endif /* LINUX_IO_URING_ZCRX_H */
