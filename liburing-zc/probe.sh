#!/bin/sh
# SPDX-License-Identifier: MIT OR LGPL-2.1
# Write compat.h: what the system's liburing.h and kernel headers already
# define of the zero-copy receive ABI, so that liburing-zc defines only
# the rest.  Each probe is a compile of a few lines with $CC $CFLAGS.
#
#   probe.sh OUTPUT
set -u
out=$1
cc=${CC:-cc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# probe NAME INCLUDES BODY: 1 if a function with BODY compiles
probe() {
	printf '%s\nint f(void);\nint f(void)\n{\n%s\nreturn 0;\n}\n' "$2" "$3" \
		>"$tmp/p.c"
	if $cc ${CPPFLAGS:-} ${CFLAGS:-} -Werror=implicit-function-declaration \
		-Werror=incompatible-pointer-types -c -o "$tmp/p.o" "$tmp/p.c" 2>/dev/null; then
		echo "#define LIBURING_ZC_HAVE_$1 1"
	else
		echo "#define LIBURING_ZC_HAVE_$1 0"
	fi
}

# The functions of liburing-zc's own, as its headers declare them.
# Mainline liburing has none of these names, but a later release might
# add one; a same-named declaration of another signature already breaks
# the build at liburing-zc.h, one of the same signature would not.
here=$(dirname "$0")
own=$(grep -ohE '\b_*io_uring_(zcrx_[a-z0-9_]+|prep_recv_zc)\(' \
	"$here/include/liburing-zc.h" "$here/include/liburing-zc/nic.h" |
	tr -d '(' | sort -u)
if [ -z "$own" ]; then
	echo "probe.sh: no function names in $here/include" >&2
	exit 1
fi

inc='#include <liburing.h>'
{
	echo '/* Written by probe.sh from the system headers: do not edit. */'
	echo '#ifndef LIBURING_ZC_COMPAT_H'
	echo '#define LIBURING_ZC_COMPAT_H'
	echo
	r=$(probe LINUX_ZCRX_H "$inc
#include <linux/io_uring/zcrx.h>" 'struct io_uring_zcrx_rqe r; (void)r;')
	echo "$r"
	case $r in *1) inc="$inc
#include <linux/io_uring/zcrx.h>" ;; esac
	r=$(probe LINUX_QUERY_H "$inc
#include <linux/io_uring/query.h>" 'struct io_uring_query_hdr h; (void)h;')
	echo "$r"
	case $r in *1) inc="$inc
#include <linux/io_uring/query.h>" ;; esac
	probe OP_RECV_ZC "$inc" 'int x = IORING_OP_RECV_ZC; (void)x;'
	probe REGISTER_ZCRX_IFQ "$inc" 'int x = IORING_REGISTER_ZCRX_IFQ; (void)x;'
	probe REGISTER_QUERY "$inc" 'int x = IORING_REGISTER_QUERY; (void)x;'
	probe REGISTER_ZCRX_CTRL "$inc" 'int x = IORING_REGISTER_ZCRX_CTRL; (void)x;'
	probe REGION_DESC "$inc" \
		'struct io_uring_region_desc d; int x = IORING_MEM_REGION_TYPE_USER; (void)d; (void)x;'
	probe ZCRX_UAPI "$inc" \
		'struct io_uring_zcrx_ifq_reg r; struct io_uring_zcrx_cqe c; unsigned long long m = IORING_ZCRX_AREA_MASK; (void)r; (void)c; (void)m;'
	probe ZCRX_AREA_FLAGS "$inc" 'int x = IORING_ZCRX_AREA_DMABUF; (void)x;'
	probe ZCRX_REG_FLAGS "$inc" 'int x = ZCRX_REG_IMPORT + ZCRX_REG_NODEV; (void)x;'
	probe ZCRX_FEATURES "$inc" 'int x = ZCRX_FEATURE_RX_PAGE_SIZE; (void)x;'
	probe ZCRX_RX_BUF_LEN "$inc" \
		'struct io_uring_zcrx_ifq_reg r; r.rx_buf_len = 0; (void)r;'
	probe ZCRX_AREA_DMABUF_FD "$inc" \
		'struct io_uring_zcrx_area_reg a; a.dmabuf_fd = 0; (void)a;'
	# for io_uring_zcrx_udmabuf_create(); Debian's linux-libc-dev has it
	probe LINUX_UDMABUF_H '#include <linux/udmabuf.h>' \
		'struct udmabuf_create c; int x = UDMABUF_CREATE + UDMABUF_FLAGS_CLOEXEC; (void)c; (void)x;'
	probe ZCRX_CTRL "$inc" \
		'struct zcrx_ctrl c; int x = ZCRX_CTRL_FLUSH_RQ; (void)c; (void)x;'
	probe QUERY_UAPI "$inc" \
		'struct io_uring_query_zcrx q; int x = IO_URING_QUERY_ZCRX; (void)q; (void)x;'
	# events and statistics (mainline 7.2), in both spellings
	probe ZCRX_FEATURE_EVENT "$inc" 'int x = ZCRX_FEATURE_EVENT; (void)x;'
	probe ZCRX_FEATURE_NOTIFICATION "$inc" \
		'int x = ZCRX_FEATURE_NOTIFICATION; (void)x;'
	probe ZCRX_EVENT "$inc" \
		'struct zcrx_event_desc d; int x = ZCRX_EVENT_ALLOC_FAIL + ZCRX_EVENT_COPY + ZCRX_EVENT_DESC_FLAG_STATS; (void)d; (void)x;'
	probe ZCRX_NOTIF "$inc" \
		'struct zcrx_notification_desc d; int x = ZCRX_NOTIF_NO_BUFFERS + ZCRX_NOTIF_COPY; (void)d; (void)x;'
	probe ZCRX_STATS "$inc" 'struct zcrx_stats s; s.copy_bytes = 0; (void)s;'
	probe ZCRX_CTRL_ARM_EVENT "$inc" \
		'struct zcrx_ctrl c; int x = ZCRX_CTRL_ARM_EVENT; c.zc_arm_event.event_type = 0; (void)c; (void)x;'
	probe IFQ_EVENT_DESC "$inc" \
		'struct io_uring_zcrx_ifq_reg r; r.event_desc = 0; (void)r;'
	probe QUERY_ZCRX_NOTIF "$inc" \
		'struct io_uring_query_zcrx_notif q; int x = IO_URING_QUERY_ZCRX_NOTIF; (void)q; (void)x;'
	probe QUERY_ZCRX_EVENTS "$inc" 'int x = IO_URING_QUERY_ZCRX_EVENTS; (void)x;'
	probe SQE_ZCRX_IFQ_IDX "$inc" \
		'struct io_uring_sqe s; s.zcrx_ifq_idx = 0; (void)s;'
	probe ZCRX_RQ "$inc" 'struct io_uring_zcrx_rq r; r.rq_tail = 0; (void)r;'
	# Mainline's functions, with mainline's signatures: one of another
	# signature is not taken for it, and then the declaration in
	# liburing-zc.h conflicts with it and stops the build.
	probe FN_REGISTER_IFQ "$inc" \
		'int (*f)(struct io_uring *, struct io_uring_zcrx_ifq_reg *) = io_uring_register_ifq; (void)f;'
	probe FN_REGISTER_ZCRX_CTRL "$inc" \
		'int (*f)(struct io_uring *, struct zcrx_ctrl *) = io_uring_register_zcrx_ctrl; (void)f;'
	probe FN_REGISTER_QUERY "$inc" \
		'int (*f)(struct io_uring_query_hdr *) = io_uring_register_query; (void)f;'

	# a name of ours that the system's liburing.h declares: stop here
	clash=""
	for f in $own; do
		r=$(probe CLASH "$inc" "(void)$f;")
		case $r in *1) clash="$clash $f" ;; esac
	done
	if [ -n "$clash" ]; then
		echo
		for f in $clash; do
			echo "#error \"the system's liburing.h declares $f, a name of liburing-zc's own: rename ours\""
		done
		echo "probe.sh: the system's liburing.h declares liburing-zc's own:$clash" >&2
	fi
	echo
	echo '#endif'
} >"$out.tmp" && mv "$out.tmp" "$out" || exit 1
# compat.h stops every build with it; stop this one now too
[ -z "$clash" ]
