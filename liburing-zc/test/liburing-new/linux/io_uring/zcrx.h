/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * For the build test: linux/io_uring/zcrx.h as a newer kernel installs it
 * (the ABI of mainline 7.2, events included).  With TEST_NO_EVENTS it is
 * the header of before events (liburing 2.15's time).
 */
#ifndef TEST_LINUX_IO_URING_ZCRX_H
#define TEST_LINUX_IO_URING_ZCRX_H

#include <linux/types.h>

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
	ZCRX_REG_IMPORT	= 1,
	ZCRX_REG_NODEV	= 2,
};

enum zcrx_features {
	ZCRX_FEATURE_RX_PAGE_SIZE	= 1 << 0,
#ifndef TEST_NO_EVENTS
	ZCRX_FEATURE_EVENT		= 1 << 1,
#endif
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
	__u32	rx_buf_len;
#ifndef TEST_NO_EVENTS
	__u64	event_desc;
	__u64	__resv[2];
#else
	__u64	__resv[3];
#endif
};

#ifndef TEST_NO_EVENTS
enum zcrx_event_type {
	ZCRX_EVENT_ALLOC_FAIL	= 0,
	ZCRX_EVENT_COPY		= 1,

	__ZCRX_EVENT_LAST,
};

enum zcrx_event_desc_flags {
	ZCRX_EVENT_DESC_FLAG_STATS	= 1 << 0,
};

struct zcrx_event_desc {
	__u64	user_data;
	__u32	type_mask;
	__u32	flags;
	__u64	stats_offset;
	__u64	__resv2[9];
};

struct zcrx_stats {
	__u64	copy_count;
	__u64	copy_bytes;
};
#endif

enum zcrx_ctrl_op {
	ZCRX_CTRL_FLUSH_RQ,
	ZCRX_CTRL_EXPORT,
#ifndef TEST_NO_EVENTS
	ZCRX_CTRL_ARM_EVENT,
#endif

	__ZCRX_CTRL_LAST,
};

struct zcrx_ctrl_flush_rq {
	__u64	__resv[6];
};

struct zcrx_ctrl_export {
	__u32	zcrx_fd;
	__u32	__resv1[11];
};

#ifndef TEST_NO_EVENTS
struct zcrx_ctrl_arm_event {
	__u32	event_type;
	__u32	__resv[11];
};
#endif

struct zcrx_ctrl {
	__u32	zcrx_id;
	__u32	op;
	__u64	__resv[2];

	union {
		struct zcrx_ctrl_export		zc_export;
		struct zcrx_ctrl_flush_rq	zc_flush;
#ifndef TEST_NO_EVENTS
		struct zcrx_ctrl_arm_event	zc_arm_event;
#endif
	};
};

#endif
