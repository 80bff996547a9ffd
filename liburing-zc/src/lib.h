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

#define ZC_ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#endif /* LIBURING_ZC_LIB_H */
