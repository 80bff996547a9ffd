#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs in the guest; booted by make bench-scale.
# How the cost of an interface queue grows: registration time, close time
# and kernel memory for areas of 16 MiB to 1 GiB and refill rings of 64
# to 32768 entries, fdinfo read time (zcrx_scale, device-less ifqs), then
# the receive cost of 1 to 64 flows on one ifq (bench.sh, RECV_ZC with
# 4 KiB buffers, payload untouched and touched).
#   bench-scale.sh ZCRX_DIR TCP_MMAP LIBURING_ZC_BUILD OUT [SIZE [ROUNDS]]
set -euo pipefail
dir=$1
out=$4
size=${5:-256M}
rounds=${6:-3}

die() {
	echo "error: $*" >&2
	exit 1
}

cd "$dir" || die "no selftests in $dir"
echo "== registration, close, kernel memory and fdinfo against the ifq's size"
./zcrx_scale -n "$rounds" | tee "$out/scale.txt" ||
	die "zcrx_scale failed"
printf '%-12s %10s %10s %10s %12s %12s\n' area rq_entries "reg us" "release us" "kernel KiB" "fdinfo us"
sed -n 's/^scale: //p' "$out/scale.txt" | tr ' ' '\n' | cut -d= -f2 | paste -d' ' - - - - - - |
	awk '{ printf "%-12s %10s %10s %10s %12s %12s\n", $1 / 1048576 " MiB", $2, $3, $4, $5, $6 }'
echo
echo "== receive cost against the number of flows on one ifq"
bash "$(dirname "$0")/bench.sh" "$1" "$2" "$3" "$out" "$size" "$rounds" "1 2 4 8 16 32 64" zc_4k
