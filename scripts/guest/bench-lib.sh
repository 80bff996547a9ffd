#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs in the guest; booted by make bench-lib.
# RECV_ZC through liburing-zc (its zcrx-server example) against the same
# receive written by hand over plain liburing (the selftests' zcrx_xfer -z),
# alternating in one VM: same link, same queue, same sender, every byte
# checked by both.  Run inside the VM by "make bench-lib".
#   bench-lib.sh KSELFTEST_ZCRX_DIR LIBURING_ZC_BUILD_DIR [SIZE [ROUNDS]]
set -euo pipefail
dir=$1
zc=$2
size=${3:-256M}
rounds=${4:-3}
a=zc-bench-a
b=zc-bench-b
port=9000

die() {
	echo "error: $*" >&2
	exit 1
}

cd "$dir" || die "no selftests in $dir"
trap './nsim_env.sh down $a $b' EXIT
./nsim_env.sh up $a $b 2 >/dev/null || die "cannot create the linked netdevsim ports"
./nsim_env.sh hds $b on || die "cannot turn tcp-data-split on in $b"
ip netns exec $b ethtool -N eth0 flow-type tcp4 dst-port $port action 1 >/dev/null ||
	die "ethtool refused the rule that steers port $port to queue 1"
work=$(mktemp -d) || die "mktemp failed"

field() { sed -n "s/^result:.* $1=\\([^ ]*\\).*/\\1/p" "$2"; }

one() {	# one LABEL RECEIVER...
	local label=$1
	shift
	ip netns exec $b "$@" >"$work/out" 2>&1 &
	local rx=$!
	if ! ip netns exec $a "$zc/examples/zcrx-send" -c 192.0.2.2 -p $port -s "$size" >/dev/null; then
		kill $rx 2>/dev/null
		wait $rx 2>/dev/null
		die "$label: the sender zcrx-send failed"
	fi
	wait $rx || { cat "$work/out"; die "$label: the receiver exited non-zero"; }
	[ "$(field copy_bytes "$work/out")" = 0 ] || die "$label: data was copied"
	awk -v l="$label" -v b="$(field bytes "$work/out")" -v s="$(field secs "$work/out")" \
	    -v c="$(field cpu "$work/out")" -v n="$(field completions "$work/out")" \
	    'BEGIN { printf "%-14s %8.1f MiB/s %7.2f s CPU/GiB %9d completions\n",
		l, b / s / 1048576, c * 1073741824 / b, n }'
}

echo "kernel $(uname -r), $size per run, $rounds rounds"
for r in $(seq "$rounds"); do
	one hand-written ./zcrx_xfer -l -p $port -S "$size" -z eth0:1
	one liburing-zc "$zc/examples/zcrx-server" -i eth0 -q 1 -p $port -s "$size"
done
