/* SPDX-License-Identifier: MIT OR LGPL-2.1 */
/*
 * For programs written against mainline liburing's zero-copy receive
 * names: put this directory first on the include path
 * ("pkg-config --cflags liburing-zc-mainline") and their
 * "#include <liburing.h>" gets the system's liburing plus what it lacks.
 */
#ifndef LIBURING_ZC_MAINLINE_LIBURING_H
#define LIBURING_ZC_MAINLINE_LIBURING_H

#include_next <liburing.h>
#include <liburing-zc.h>

#endif
