// SPDX-License-Identifier: MIT OR LGPL-2.1
/*
 * For the build test: the newer liburing's registration calls, exported
 * under its symbol versions as a shared library, or linked in as an
 * object.
 */
#include <errno.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <liburing.h>

static int reg(int fd, unsigned int op, void *arg, unsigned int nr)
{
	long ret = syscall(__NR_io_uring_register, fd, op, arg, nr);

	return ret < 0 ? -errno : (int)ret;
}

int io_uring_register_ifq(struct io_uring *ring,
			  struct io_uring_zcrx_ifq_reg *r)
{
	return reg(ring->ring_fd, IORING_REGISTER_ZCRX_IFQ, r, 1);
}

int io_uring_register_zcrx_ctrl(struct io_uring *ring, struct zcrx_ctrl *ctrl)
{
	return reg(ring->ring_fd, IORING_REGISTER_ZCRX_CTRL, ctrl, 0);
}

int io_uring_register_query(struct io_uring_query_hdr *query)
{
	return reg(-1, IORING_REGISTER_QUERY, query, 0);
}
