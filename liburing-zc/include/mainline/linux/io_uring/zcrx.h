/* SPDX-License-Identifier: MIT OR LGPL-2.1 */
/*
 * For programs written against mainline's uapi: their
 * "#include <linux/io_uring/zcrx.h>" gets the system's header when there is
 * one.  Kernel headers of 6.14 and earlier have none: liburing-zc then
 * gives the same definitions, through <liburing.h> (ours, beside this
 * directory), since what liburing-zc defines depends on what the
 * system's liburing.h has.
 */
#ifndef LIBURING_ZC_MAINLINE_LINUX_IO_URING_ZCRX_H
#define LIBURING_ZC_MAINLINE_LINUX_IO_URING_ZCRX_H

#if defined(__has_include_next)
#if __has_include_next(<linux/io_uring/zcrx.h>)
#define LIBURING_ZC_MAINLINE_SYSTEM_ZCRX_H
#include_next <linux/io_uring/zcrx.h>
#endif
#endif

#ifndef LIBURING_ZC_MAINLINE_SYSTEM_ZCRX_H
#include <liburing.h>
#endif

#endif
