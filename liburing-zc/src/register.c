/* SPDX-License-Identifier: MIT OR LGPL-2.1 */
/*
 * The registration calls mainline liburing has and an older liburing does
 * not.  Each is compiled only when the system's liburing lacks it, so that
 * a program never sees two definitions of one symbol.
 */
#include "lib.h"

#if !LIBURING_ZC_HAVE_FN_REGISTER_IFQ
/**
 * io_uring_register_ifq() - register an interface queue for zero-copy receive
 * @ring: a ring set up with IO_URING_ZCRX_SETUP_FLAGS
 * @reg: the interface, queue, area and refill region; the kernel writes back
 *	the rounded ring size, the ring offsets and the ifq id
 *
 * Return: 0 or the kernel's -errno.
 */
int io_uring_register_ifq(struct io_uring *ring,
			  struct io_uring_zcrx_ifq_reg *reg)
{
	return zc_register(ring->ring_fd, IORING_REGISTER_ZCRX_IFQ, reg, 1);
}
#endif

#if !LIBURING_ZC_HAVE_FN_REGISTER_ZCRX_CTRL
/**
 * io_uring_register_zcrx_ctrl() - act on a registered interface queue
 * @ring: the ring that holds the queue
 * @ctrl: the ifq id and the operation (ZCRX_CTRL_*)
 *
 * Return: 0 or the kernel's -errno.
 */
int io_uring_register_zcrx_ctrl(struct io_uring *ring, struct zcrx_ctrl *ctrl)
{
	return zc_register(ring->ring_fd, IORING_REGISTER_ZCRX_CTRL, ctrl, 0);
}
#endif

#if !LIBURING_ZC_HAVE_FN_REGISTER_QUERY
/**
 * io_uring_register_query() - ask the kernel what io_uring supports
 * @query: the first of a chain of query headers
 *
 * Mainline liburing's signature: the query concerns the kernel, not a
 * ring, so it goes to io_uring_register(2) on fd -1.
 *
 * Return: 0 or the kernel's -errno; each header's result field tells how
 * its own query went.
 */
int io_uring_register_query(struct io_uring_query_hdr *query)
{
	return zc_register(-1, IORING_REGISTER_QUERY, query, 0);
}
#endif
