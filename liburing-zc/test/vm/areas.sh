#!/bin/bash
# SPDX-License-Identifier: MIT OR LGPL-2.1
# zcrx-server's other areas over two linked netdevsim ports, set up as
# examples.sh does (split on, the port steered to queue 1): 16 KiB
# buffers cut from huge pages, and a dmabuf that
# io_uring_zcrx_udmabuf_create() made from a memfd.  Every byte is
# checked, and the kernel's counters must show that nothing was copied
# (the kernel cannot copy into a dmabuf at all).  Run by run.sh in the VM.
set -u
A=zc-ar-a
B=zc-ar-b
SIZE=8388608
at_exit() { echo 0 >/proc/sys/vm/nr_hugepages; }
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

# buf_len NAME BYTES: the buffers in use had that size
buf_len() {
	[ "$(field buf_len "$work/$1")" = "$2" ] ||
		{ grep '^result:' "$work/$1" | sed 's/^/  /'; false; }
}

"$ksft/nsim_env.sh" hds $B on
ip netns exec $B ethtool -N eth0 flow-type tcp4 dst-port 9400 action 1 >/dev/null

# 16 KiB buffers: netdevsim fills up to 64 KiB, so no fall back to pages
echo 8 >/proc/sys/vm/nr_hugepages
if [ "$(cat /proc/sys/vm/nr_hugepages)" -ge 8 ]; then
	check "16 KiB buffers on huge pages: 8 MiB intact" \
		xfer bufs $SIZE 9400 -H -a 16M -b 16K
	check "16 KiB buffers on huge pages: without a copy" \
		zero_copy bufs $SIZE
	check "16 KiB buffers on huge pages: 16 KiB buffers in use" \
		buf_len bufs 16384
else
	bad "16 KiB buffers on huge pages: no huge pages could be reserved"
fi
echo 0 >/proc/sys/vm/nr_hugepages

# The same size on ordinary pages is not contiguous (unless transparent
# huge pages back them): -ERANGE, and -b's fall back to pages.
page=$(getconf PAGESIZE)
check "16 KiB buffers on ordinary pages: 8 MiB intact, with the fall back" \
	xfer fallback $SIZE 9400 -a 16M -b 16K
if grep -q '\[always\]' /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null; then
	fallback_len() { buf_len fallback $page || buf_len fallback 16384; }
else
	fallback_len() { buf_len fallback $page; }
fi
check "16 KiB buffers on ordinary pages: page-sized buffers in use" fallback_len
check "16 KiB buffers on ordinary pages: without a copy" \
	zero_copy fallback $SIZE

# a udmabuf area
if [ -c /dev/udmabuf ] || modprobe udmabuf 2>/dev/null; then
	check "area in a udmabuf: 8 MiB intact" xfer dmabuf $SIZE 9400 -D -a 16M
	check "area in a udmabuf: without a copy" zero_copy dmabuf $SIZE
else
	bad "area in a udmabuf: no /dev/udmabuf"
fi

echo "1..$n"
exit $failed
