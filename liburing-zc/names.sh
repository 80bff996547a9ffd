#!/bin/sh
# SPDX-License-Identifier: MIT OR LGPL-2.1
# Does liburing-zc's shared library export a name that the system's
# liburing exports too?  A program linked against both would bind to
# whichever library came first, silently.  Prints each such name and
# exits 1; exits 0 when there is none, or when there is no shared
# liburing to compare with (said on stderr).
#
#   names.sh LIBURING_ZC_SO [LIBURING_SO]
#
# LIBURING_SO defaults to the liburing.so that $CC links with -luring.
set -u
so=$1
uring=${2:-}
if [ -z "$uring" ]; then
	uring=$(${CC:-cc} -print-file-name=liburing.so 2>/dev/null)
	case $uring in /*) ;; *) uring= ;; esac
fi
if [ -z "$uring" ] || [ ! -e "$uring" ]; then
	echo "names.sh: no shared liburing to compare with" >&2
	exit 0
fi

# the defined dynamic symbols of $1, without their versions
exports() {
	nm -D --defined-only "$1" | awk 'NF >= 3 && $2 != "A" { print $3 }' |
		sed 's/@.*//' | sort -u
}

ours=$(exports "$so") || exit 1
theirs=$(exports "$uring") || exit 1
if [ -z "$ours" ]; then
	echo "names.sh: $so exports nothing" >&2
	exit 1
fi
both=$(printf '%s\n' "$theirs" | grep -x -F -e "$ours")
if [ -n "$both" ]; then
	echo "names.sh: $(basename "$so") and $uring both export:" >&2
	printf '%s\n' "$both" | sed 's/^/  /' >&2
	exit 1
fi
exit 0
