#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs in the guest; booted by make bench-bufs.
# RECV_ZC with rx buffers of 4, 16 and 64 KiB (rx_buf_len, an area of
# huge pages), alternating in one VM: same link, same queue, same sender,
# every byte checked.  netdevsim packs the payload of a burst into as few
# buffers as their size allows, as a NIC's hardware GRO does, so larger
# buffers mean fewer completions and refill entries per byte.  Two
# payload modes: untouched (the receiver only learns where each piece is
# and returns it: the cost of delivery) and touched (it also checks every
# byte against the pattern).  Prints, per mode and buffer size, the
# median of the rounds (min and max in brackets) of completions per GiB
# and receiver CPU seconds per GiB, and the latter against 4 KiB buffers
# in the same mode.
#   bench-bufs.sh KSELFTEST_ZCRX_DIR [SIZE [ROUNDS]]
set -euo pipefail
dir=$1
size=${2:-256M}
rounds=${3:-3}
a=zc-bufs-a
b=zc-bufs-b
port=9000
sizes=(4K 16K 64K)

die() {
	echo "error: $*" >&2
	exit 1
}

cd "$dir" || die "no selftests in $dir"
huge0=$(cat /proc/sys/vm/nr_hugepages)
trap './nsim_env.sh down $a $b; echo $huge0 >/proc/sys/vm/nr_hugepages' EXIT
./nsim_env.sh up $a $b 2 >/dev/null || die "cannot create the linked netdevsim ports"
./nsim_env.sh hds $b on || die "cannot turn tcp-data-split on in $b"
ip netns exec $b ethtool -N eth0 flow-type tcp4 dst-port $port action 1 >/dev/null ||
	die "ethtool refused the rule that steers port $port to queue 1"
# 64 MiB areas of 2 MiB pages, one receiver at a time
echo 64 >/proc/sys/vm/nr_hugepages
work=$(mktemp -d) || die "mktemp failed"

field() { sed -n "s/^result:.* $1=\\([^ ]*\\).*/\\1/p" "$2"; }

one() {	# one MODE BUFSIZE: "MODE/BUFSIZE completions/GiB cpu/GiB MiB/s"
	local mode=$1 buf=$2 opt=
	[ "$mode" = untouched ] && opt=-n
	ip netns exec $b ./zcrx_xfer -l -p $port -S "$size" -z eth0:1 -B "$buf" \
		$opt >"$work/out" 2>&1 &
	local rx=$!
	sleep 1
	if ! ./zcrx_xfer -c 192.0.2.2 -N $a -p $port -S "$size" >/dev/null; then
		kill $rx 2>/dev/null
		wait $rx 2>/dev/null
		die "$buf: the sender failed"
	fi
	wait $rx || { cat "$work/out"; die "$buf: the receiver exited non-zero"; }
	[ "$(field copy_bytes "$work/out")" = 0 ] || die "$buf: data was copied"
	[ -n "$(field secs "$work/out")" ] || die "$buf: no result line"
	awk -v l="$mode/$buf" -v b="$(field bytes "$work/out")" -v s="$(field secs "$work/out")" \
	    -v c="$(field cpu "$work/out")" -v n="$(field completions "$work/out")" \
	    'BEGIN { printf "%s %.0f %.3f %.1f\n", l, n * 1073741824 / b,
		c * 1073741824 / b, b / s / 1048576 }'
}

echo "kernel $(uname -r), $size per run, $rounds rounds, buffers ${sizes[*]}"
modes=(untouched touched)
for r in $(seq "$rounds"); do
	for m in "${modes[@]}"; do
		for s in "${sizes[@]}"; do
			one "$m" "$s" | tee -a "$work/all"
		done
	done
done
echo
printf '%-15s %22s %22s %8s %8s\n' "mode/buffer" "completions/GiB" "CPU s/GiB" "vs 4K" "MiB/s"
for m in "${modes[@]}"; do
	for s in "${sizes[@]}"; do
		awk -v l="$m/$s" '$1 == l' "$work/all"
	done
done | awk '
	function med(a, n,   i, j, t) {
		for (i = 1; i <= n; i++)
			for (j = i + 1; j <= n; j++)
				if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
		return a[int((n + 1) / 2)]
	}
	{
		k = $1; i = ++cnt[k]; order[k] = order[k] ? order[k] : ++nk; name[order[k]] = k
		n[k, i] = $2; c[k, i] = $3; t[k, i] = $4
	}
	END {
		for (o = 1; o <= nk; o++) {
			k = name[o]
			for (i = 1; i <= cnt[k]; i++) { a[i] = n[k, i]; b[i] = c[k, i]; d[i] = t[k, i] }
			mn = med(a, cnt[k]); mc = med(b, cnt[k]); mt = med(d, cnt[k])
			lo_n = a[1]; hi_n = a[cnt[k]]; lo_c = b[1]; hi_c = b[cnt[k]]
			split(k, mb, "/")
			if (mb[2] == "4K" || !base_c) { base_c = mc }
			printf "%-15s %8.0f [%.0f-%.0f] %7.3f [%.3f-%.3f] %7.2fx %8.1f\n",
				k, mn, lo_n, hi_n, mc, lo_c, hi_c, mc / base_c, mt
		}
	}'
