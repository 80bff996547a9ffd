#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs on the host; called by make bench.
# Boot the non-debug kernel once and compare every receiver side by side
# (scripts/guest/bench.sh), then draw the summary with gnuplot.  Prints
# the table and, at the end, where the CSV files and the chart are.
#   SIZE (default 256M per run), ROUNDS (3), FLOWS ("1 4 16") and
#   RECEIVERS (all) come from the environment.  KERNELS="LABEL=BZIMAGE
#   ..." compares kernels (say, before and after a change): each round
#   boots each of them in turn, so that a noisy host affects all alike,
#   and the table has a row per receiver and kernel.  With PERF=1, perf, built
#   from the assembled tree, samples the receiver's CPU during each run
#   (the sampling costs every receiver alike) and a report of each goes
#   next to the CSV files.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

size=${SIZE:-256M}
rounds=${ROUNDS:-3}
flows=${FLOWS:-1 4 16}
receivers=${RECEIVERS:-}
# make bench-scale runs scripts/guest/bench-scale.sh instead
guest=${BENCH_GUEST:-bench.sh}

bash "$ZCRX_TOP/scripts/deps.sh" gnuplot-nox
ks=$(bash "$ZCRX_TOP/scripts/selftests.sh" perf)
B=${ZCRX_BUILD:-$ZCRX_CACHE/build}/perf
out=$ZCRX_CACHE/bench/$(date +%Y%m%d-%H%M%S)
mkdir -p "$out"

# TCP_ZEROCOPY_RECEIVE as its authors use it: the tree's own tcp_mmap,
# built against this kernel's headers
gcc -O2 -Wall -isystem "$B/usr/include" \
	-o "$out/tcp_mmap" "$ZCRX_TREE/tools/testing/selftests/net/tcp_mmap.c" \
	-lpthread -lcrypto || die "building the tree's tcp_mmap failed"
make -s -C "$ZCRX_TOP/liburing-zc" lib examples >/dev/null ||
	die "building liburing-zc failed"
perf=
if [ "${PERF:-0}" = 1 ]; then
	# the tree's own perf, with what Debian's build packages provide;
	# kernel symbols come from the guest's /proc/kallsyms
	P=${ZCRX_BUILD:-$ZCRX_CACHE/build}/perf-tool
	mkdir -p "$P"
	echo "==> perf (log in $out/perf-build.log)"
	make -C "$ZCRX_TREE/tools/perf" O="$P" -j"$(nproc)" NO_LIBTRACEEVENT=1 \
		NO_LIBPYTHON=1 NO_LIBPERL=1 NO_JEVENTS=1 NO_LIBBPF=1 NO_BPF_SKEL=1 \
		NO_SDT=1 NO_LIBUNWIND=1 NO_SLANG=1 NO_GTK2=1 NO_BABELTRACE=1 \
		NO_LIBCAP=1 NO_LIBNUMA=1 NO_DEMANGLE=1 NO_LIBZSTD=1 \
		>"$out/perf-build.log" 2>&1 || die "building perf failed: see $out/perf-build.log"
	perf=$P/perf
fi

guest_run() {	# guest_run KERNEL ROUNDS [ENV...]
	local kernel=$1 n=$2

	shift 2
	bash "$ZCRX_TOP/scripts/vm-run" --no-kmemleak --kernel "$kernel" --out "$out" \
		--timeout "${ZCRX_BENCH_TIMEOUT:-5400}" -- \
		env ZCRX_BENCH_PERF="$perf" "$@" \
		bash "$ZCRX_TOP/scripts/guest/$guest" "$ks/zcrx" "$out/tcp_mmap" \
		"$ZCRX_TOP/liburing-zc/build" "$out" "$size" "$n" "$flows" \
		${receivers:+"$receivers"} || die "the benchmark failed: see $out"
}
if [ -z "${KERNELS:-}" ]; then
	guest_run "$(bash "$ZCRX_TOP/scripts/kernel.sh" perf kernel-path)" "$rounds"
else
	[ "$guest" = bench.sh ] || die "KERNELS is for make bench only"
	for n in $(seq "$rounds"); do
		for k in $KERNELS; do
			[ -f "${k#*=}" ] || die "no kernel image ${k#*=}"
			echo "==> round $n, kernel ${k%%=*}"
			guest_run "${k#*=}" 1 ZCRX_BENCH_KERNEL="${k%%=*}" ZCRX_BENCH_ROUND="$n"
		done
	done
	bash "$ZCRX_TOP/scripts/guest/bench.sh" --summary "$out" ||
		die "summing up $out/bench.csv failed"
fi
[ -s "$out/summary.csv" ] || die "the benchmark wrote no summary: see $out"

# CPU per GiB and throughput of each receiver, one panel per payload mode
# and figure, flow counts side by side
python3 - "$out" <<'PY'
import csv, sys
out = sys.argv[1]
rows = list(csv.DictReader(open(out + '/summary.csv')))
flows = sorted({int(r['flows']) for r in rows})
for mode in ('untouched', 'touched'):
    def name(r):
        return r['receiver'] + ('@' + r['kernel'] if r.get('kernel') else '')
    rx = []
    for r in rows:
        if r['mode'] == mode and name(r) not in rx:
            rx.append(name(r))
    for fig, col in (('cpu', 'cpu_s_per_gib'), ('mibs', 'mib_s')):
        with open('%s/%s-%s.dat' % (out, mode, fig), 'w') as f:
            f.write('receiver ' + ' '.join('%d_flow%s' % (n, 's' * (n > 1))
                                           for n in flows) + '\n')
            for x in rx:
                v = {int(r['flows']): r[col] for r in rows
                     if r['mode'] == mode and name(r) == x}
                f.write(x + ' ' + ' '.join(v.get(n, '-') for n in flows) + '\n')
PY
ncol=$(head -n1 "$out/untouched-cpu.dat" | wc -w)
gnuplot <<EOF || die "gnuplot failed"
set terminal pngcairo size 1400,900 noenhanced font ",10"
set output "$out/bench.png"
set datafile missing "-"
set multiplot layout 2,2 title "TCP receivers side by side, $(date +%F), $size per run, median of $rounds rounds"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set xtics rotate by -30
set grid ytics
set key outside right top autotitle columnheader
set yrange [0:*]
do for [m in "untouched touched"] {
	set title m." payload: receiver CPU s/GiB (lower is better)"
	plot for [i=2:$ncol] "$out/".m."-cpu.dat" using i:xtic(1)
	set title m." payload: throughput MiB/s (higher is better)"
	plot for [i=2:$ncol] "$out/".m."-mibs.dat" using i:xtic(1)
}
unset multiplot
EOF
echo
echo "per run:  $out/bench.csv"
echo "summary:  $out/summary.csv"
echo "chart:    $out/bench.png"
