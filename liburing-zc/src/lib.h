/* SPDX-License-Identifier: MIT OR LGPL-2.1 */
/* What the library's source files share and do not export. */
#ifndef LIBURING_ZC_LIB_H
#define LIBURING_ZC_LIB_H

#include <errno.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "liburing-zc.h"

/* io_uring_register(2), returning 0 or more, or -errno */
static inline int zc_register(int fd, unsigned int op, void *arg,
			      unsigned int nr_args)
{
	long ret = syscall(__NR_io_uring_register, fd, op, arg, nr_args);

	return ret < 0 ? -errno : (int)ret;
}

/* the kernel's limit on refill ring entries */
#define ZC_RQ_MAX_ENTRIES	32768U

#define ZC_ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* does the kernel behind @p have zero-copy receive: 0 or -EOPNOTSUPP */
static inline int zc_probe_result(const struct io_uring_probe *p)
{
	if (!p || !io_uring_opcode_supported(p, IORING_OP_RECV_ZC))
		return -EOPNOTSUPP;
	return 0;
}

/* the size of a refill region for @entries: a page of header, then rqes */
static inline size_t zc_region_size(unsigned int entries, size_t page)
{
	size_t size = page + (size_t)entries * sizeof(struct io_uring_zcrx_rqe);

	return (size + page - 1) & ~(page - 1);
}

/*
 * Where the library puts the statistics in a region for @entries: past
 * the header page and the entries, on a cache line of its own.
 */
static inline __u64 zc_stats_offset(unsigned int entries, size_t page)
{
	__u64 end = page + (__u64)entries * sizeof(struct io_uring_zcrx_rqe);

	return (end + 63) & ~(__u64)63;
}

/* the largest stats_offset the library sizes a region for */
#define ZC_STATS_MAX_OFFSET	(1ULL << 24)

/* the number of refill entries for @nbufs buffers: a power of two */
static inline unsigned int zc_rq_entries(__u64 nbufs)
{
	unsigned int n = 1;

	while (n < nbufs && n < ZC_RQ_MAX_ENTRIES)
		n <<= 1;
	return n;
}

#endif /* LIBURING_ZC_LIB_H */
