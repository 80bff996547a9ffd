/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * IORING_REGISTER_QUERY: ask the kernel which io_uring features it has,
 * without a ring.
 */
#ifndef LINUX_IO_URING_QUERY_H
#define LINUX_IO_URING_QUERY_H

#include <linux/types.h>

/* One link of a chain of queries; next_entry points at the next header. */
struct io_uring_query_hdr {
	__u64	next_entry;
	__u64	query_data;
	__u32	query_op;
	__u32	size;
	__s32	result;
	__u32	__resv[3];
};

enum {
	IO_URING_QUERY_OPCODES		= 0,
	IO_URING_QUERY_ZCRX		= 1,
	/* 2 is taken by mainline for a query this kernel does not answer */
	IO_URING_QUERY_ZCRX_NOTIF	= 3,

	__IO_URING_QUERY_MAX,
};

/* Answer to IO_URING_QUERY_OPCODES */
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

/* Answer to IO_URING_QUERY_ZCRX */
struct io_uring_query_zcrx {
	__u64	register_flags;
	__u64	area_flags;
	__u32	nr_ctrl_opcodes;
	__u32	features;
	__u32	rq_hdr_size;
	__u32	rq_hdr_alignment;
	__u64	__resv2;
};

/* Answer to IO_URING_QUERY_ZCRX_NOTIF: events and statistics */
struct io_uring_query_zcrx_notif {
	__u32	flags;			/* zcrx_event_desc::flags supported */
	__u32	stats_size;		/* sizeof(struct zcrx_stats) */
	__u32	stats_off_alignment;	/* stats_offset must be a multiple */
	__u32	__resv1;
	__u64	__resv2[4];
};

#endif /* LINUX_IO_URING_QUERY_H */
