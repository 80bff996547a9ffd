/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * The kernel's zero-copy receive ABI (linux/io_uring/zcrx.h and
 * linux/io_uring/query.h, with the io_uring.h numbers they use), for a
 * system whose liburing and kernel headers predate it.  Each group is
 * defined only when compat.h, written by the build from probes of the
 * system's headers, says that nothing on the system defines it already.
 */
#ifndef LIBURING_ZC_UAPI_H
#define LIBURING_ZC_UAPI_H

#include <linux/types.h>
#include <liburing-zc/compat.h>

#if LIBURING_ZC_HAVE_LINUX_ZCRX_H
#include <linux/io_uring/zcrx.h>
#endif
#if LIBURING_ZC_HAVE_LINUX_QUERY_H
#include <linux/io_uring/query.h>
#endif

#if !LIBURING_ZC_HAVE_OP_RECV_ZC
enum {
	IORING_OP_RECV_ZC = 58,
};
#endif

#if !LIBURING_ZC_HAVE_REGISTER_ZCRX_IFQ
enum {
	IORING_REGISTER_ZCRX_IFQ = 32,
};
#endif

#if !LIBURING_ZC_HAVE_REGISTER_QUERY
enum {
	IORING_REGISTER_QUERY = 35,
};
#endif

#if !LIBURING_ZC_HAVE_REGISTER_ZCRX_CTRL
enum {
	IORING_REGISTER_ZCRX_CTRL = 36,
};
#endif

#if !LIBURING_ZC_HAVE_REGION_DESC
enum {
	/* the region's memory is the caller's, at user_addr */
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
#endif

#if !LIBURING_ZC_HAVE_ZCRX_UAPI
/* the area id sits in the top 16 bits of every buffer offset */
#define IORING_ZCRX_AREA_SHIFT	48
#define IORING_ZCRX_AREA_MASK	(~(((__u64)1 << IORING_ZCRX_AREA_SHIFT) - 1))

/* a refill ring entry: one buffer handed back to the kernel */
struct io_uring_zcrx_rqe {
	__u64	off;
	__u32	len;
	__u32	__pad;
};

/* the second half of a 32-byte RECV_ZC completion */
struct io_uring_zcrx_cqe {
	__u64	off;
	__u64	__pad;
};

/* where the kernel put the refill ring's parts inside its region */
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
	__u32	dmabuf_fd;
	__u64	__resv2[2];
};

struct io_uring_zcrx_ifq_reg {
	__u32	if_idx;
	__u32	if_rxq;
	__u32	rq_entries;
	__u32	flags;

	__u64	area_ptr;	/* struct io_uring_zcrx_area_reg */
	__u64	region_ptr;	/* struct io_uring_region_desc */

	struct io_uring_zcrx_offsets offsets;
	__u32	zcrx_id;
	__u32	rx_buf_len;
	__u64	event_desc;	/* struct zcrx_event_desc, or 0 */
	__u64	__resv[2];
};
#endif /* !LIBURING_ZC_HAVE_ZCRX_UAPI */

/* Linux 6.15's io_uring.h, in liburing 2.10, has no flags yet. */
#if !LIBURING_ZC_HAVE_ZCRX_AREA_FLAGS
enum io_uring_zcrx_area_flags {
	IORING_ZCRX_AREA_DMABUF		= 1,
};
#endif

#if !LIBURING_ZC_HAVE_ZCRX_REG_FLAGS
enum zcrx_reg_flags {
	ZCRX_REG_IMPORT	= 1,
	ZCRX_REG_NODEV	= 2,
};
#endif

#if !LIBURING_ZC_HAVE_ZCRX_FEATURES
enum zcrx_features {
	ZCRX_FEATURE_RX_PAGE_SIZE	= 1 << 0,
	ZCRX_FEATURE_EVENT		= 1 << 1,
};
#elif !LIBURING_ZC_HAVE_ZCRX_FEATURE_EVENT
enum {
	ZCRX_FEATURE_EVENT	= 1 << 1,
};
#endif

/*
 * Linux 6.15's layout, in liburing 2.10, still had rx_buf_len reserved
 * (__resv2, bytes 60..63): with such headers the library uses that name.
 */
#if !LIBURING_ZC_HAVE_ZCRX_UAPI || LIBURING_ZC_HAVE_ZCRX_RX_BUF_LEN
#define LIBURING_ZC_IFQ_RX_BUF_LEN	1
#else
#define LIBURING_ZC_IFQ_RX_BUF_LEN	0
#endif

/*
 * The same for dmabuf_fd, bytes 28..31 of the area: __resv1 in Linux
 * 6.15's layout.
 */
#if !LIBURING_ZC_HAVE_ZCRX_UAPI || LIBURING_ZC_HAVE_ZCRX_AREA_DMABUF_FD
#define LIBURING_ZC_AREA_DMABUF_FD	1
#else
#define LIBURING_ZC_AREA_DMABUF_FD	0
#endif

/*
 * Before events, bytes 72..79 of the registration were __resv[0]: with
 * such headers the library writes the pointer there.
 */
#if !LIBURING_ZC_HAVE_ZCRX_UAPI || LIBURING_ZC_HAVE_IFQ_EVENT_DESC
#define LIBURING_ZC_IFQ_EVENT_DESC	1
#else
#define LIBURING_ZC_IFQ_EVENT_DESC	0
#endif

/* Events and statistics (mainline 7.2). */

#if !LIBURING_ZC_HAVE_ZCRX_FEATURE_NOTIFICATION
/* the name of earlier snapshots */
#define ZCRX_FEATURE_NOTIFICATION	ZCRX_FEATURE_EVENT
#endif

#if !LIBURING_ZC_HAVE_ZCRX_EVENT
/* what an event's completion carries in res */
enum zcrx_event_type {
	ZCRX_EVENT_ALLOC_FAIL	= 0,	/* the NIC found no free buffer */
	ZCRX_EVENT_COPY		= 1,	/* data was copied, not received in place */

	__ZCRX_EVENT_LAST,
};

enum zcrx_event_desc_flags {
	/* stats_offset is valid: keep a struct zcrx_stats there */
	ZCRX_EVENT_DESC_FLAG_STATS	= 1 << 0,
};

/* what io_uring_zcrx_ifq_reg.event_desc points at */
struct zcrx_event_desc {
	__u64	user_data;	/* of the event's completion */
	__u32	type_mask;	/* 1 << enum zcrx_event_type */
	__u32	flags;		/* enum zcrx_event_desc_flags */
	__u64	stats_offset;	/* in the refill region */
	__u64	__resv2[9];
};
#endif /* !LIBURING_ZC_HAVE_ZCRX_EVENT */

#if !LIBURING_ZC_HAVE_ZCRX_NOTIF
/* the names of earlier snapshots */
#define ZCRX_NOTIF_NO_BUFFERS	ZCRX_EVENT_ALLOC_FAIL
#define ZCRX_NOTIF_COPY		ZCRX_EVENT_COPY
#define zcrx_notification_desc	zcrx_event_desc
#endif

#if !LIBURING_ZC_HAVE_ZCRX_STATS
/* kept up to date by the kernel at zcrx_event_desc.stats_offset */
struct zcrx_stats {
	__u64	copy_count;
	__u64	copy_bytes;
};
#endif

#if !LIBURING_ZC_HAVE_ZCRX_CTRL
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

struct zcrx_ctrl {
	__u32	zcrx_id;
	__u32	op;	/* enum zcrx_ctrl_op */
	__u64	__resv[2];

	union {
		struct zcrx_ctrl_export		zc_export;
		struct zcrx_ctrl_flush_rq	zc_flush;
		struct zcrx_ctrl_arm_event	zc_arm_event;
	};
};
#endif /* !LIBURING_ZC_HAVE_ZCRX_CTRL */

/*
 * A struct zcrx_ctrl of headers from before events has no zc_arm_event:
 * the library then writes the payload over the union's first bytes.
 */
#if LIBURING_ZC_HAVE_ZCRX_CTRL && !LIBURING_ZC_HAVE_ZCRX_CTRL_ARM_EVENT
enum {
	ZCRX_CTRL_ARM_EVENT	= 2,
};

struct zcrx_ctrl_arm_event {
	__u32	event_type;
	__u32	__resv[11];
};
#define LIBURING_ZC_CTRL_ARM_EVENT	0
#else
#define LIBURING_ZC_CTRL_ARM_EVENT	1
#endif

#if !LIBURING_ZC_HAVE_QUERY_UAPI
struct io_uring_query_hdr {
	__u64	next_entry;
	__u64	query_data;
	__u32	query_op;
	__u32	size;
	__s32	result;
	__u32	__resv[3];
};

enum {
	IO_URING_QUERY_OPCODES	= 0,
	IO_URING_QUERY_ZCRX	= 1,

	__IO_URING_QUERY_MAX,
};

struct io_uring_query_opcode {
	__u32	nr_request_opcodes;
	__u32	nr_register_opcodes;
	__u64	feature_flags;
	__u64	ring_setup_flags;
	__u64	enter_flags;
	__u64	sqe_flags;
	__u32	nr_query_opcodes;
	__u32	__pad;
};

struct io_uring_query_zcrx {
	__u64	register_flags;
	__u64	area_flags;
	__u32	nr_ctrl_opcodes;
	__u32	features;
	__u32	rq_hdr_size;
	__u32	rq_hdr_alignment;
	__u64	__resv2;
};
#endif /* !LIBURING_ZC_HAVE_QUERY_UAPI */

#if !LIBURING_ZC_HAVE_QUERY_ZCRX_NOTIF
enum {
	IO_URING_QUERY_ZCRX_NOTIF	= 3,
};

/* the answer of IO_URING_QUERY_ZCRX_NOTIF */
struct io_uring_query_zcrx_notif {
	__u32	flags;			/* ZCRX_EVENT_DESC_FLAG_* known */
	__u32	stats_size;		/* sizeof(struct zcrx_stats) */
	__u32	stats_off_alignment;	/* what stats_offset is a multiple of */
	__u32	__resv1;
	__u64	__resv2[4];
};
#endif
#if !LIBURING_ZC_HAVE_QUERY_ZCRX_EVENTS
#define IO_URING_QUERY_ZCRX_EVENTS	IO_URING_QUERY_ZCRX_NOTIF
#endif

/*
 * Older liburing copies of io_uring.h name the SQE's 32-bit slot at byte
 * 44 file_index; the kernel reads the ifq id from it.
 */
#if !LIBURING_ZC_HAVE_SQE_ZCRX_IFQ_IDX
#define zcrx_ifq_idx	file_index
#endif

/*
 * The sizes of the ABI, whoever defined the structs: a system header of
 * another layout stops the build here rather than the kernel at run time.
 */
#ifdef __cplusplus
#define LIBURING_ZC_ABI_SIZE(type, n) \
	static_assert(sizeof(type) == (n), "sizeof(" #type ") != " #n)
#else
#define LIBURING_ZC_ABI_SIZE(type, n) \
	_Static_assert(sizeof(type) == (n), "sizeof(" #type ") != " #n)
#endif

LIBURING_ZC_ABI_SIZE(struct io_uring_region_desc, 64);
LIBURING_ZC_ABI_SIZE(struct io_uring_zcrx_rqe, 16);
LIBURING_ZC_ABI_SIZE(struct io_uring_zcrx_cqe, 16);
LIBURING_ZC_ABI_SIZE(struct io_uring_zcrx_offsets, 32);
LIBURING_ZC_ABI_SIZE(struct io_uring_zcrx_area_reg, 48);
LIBURING_ZC_ABI_SIZE(struct io_uring_zcrx_ifq_reg, 96);
LIBURING_ZC_ABI_SIZE(struct zcrx_ctrl, 72);
LIBURING_ZC_ABI_SIZE(struct zcrx_ctrl_arm_event, 48);
LIBURING_ZC_ABI_SIZE(struct zcrx_event_desc, 96);
LIBURING_ZC_ABI_SIZE(struct zcrx_stats, 16);
LIBURING_ZC_ABI_SIZE(struct io_uring_query_hdr, 40);
LIBURING_ZC_ABI_SIZE(struct io_uring_query_opcode, 48);
LIBURING_ZC_ABI_SIZE(struct io_uring_query_zcrx, 40);
LIBURING_ZC_ABI_SIZE(struct io_uring_query_zcrx_notif, 48);

/* zero-copy send's usage report (Linux 6.2), older than some liburing copies */
#ifndef IORING_SEND_ZC_REPORT_USAGE
#define IORING_SEND_ZC_REPORT_USAGE	(1U << 3)
#endif
#ifndef IORING_NOTIF_USAGE_ZC_COPIED
#define IORING_NOTIF_USAGE_ZC_COPIED	(1U << 31)
#endif

#endif /* LIBURING_ZC_UAPI_H */
