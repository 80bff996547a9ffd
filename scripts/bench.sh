#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs on the host; called by make bench.
# Boot the non-debug kernel once and compare every receiver side by side
# (scripts/guest/bench.sh), then draw the summary with gnuplot.  Prints
# the table and, at the end, where the CSV files and the chart are.
#   SIZE (default 256M per run), ROUNDS (3) and FLOWS ("1 4 16") come from
#   the environment.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

size=${SIZE:-256M}
rounds=${ROUNDS:-3}
flows=${FLOWS:-1 4 16}
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

kernel=$(bash "$ZCRX_TOP/scripts/kernel.sh" perf kernel-path)
bash "$ZCRX_TOP/scripts/vm-run" --no-kmemleak --kernel "$kernel" --out "$out" \
	--timeout "${ZCRX_BENCH_TIMEOUT:-5400}" -- \
	bash "$ZCRX_TOP/scripts/guest/$guest" "$ks/zcrx" "$out/tcp_mmap" \
	"$ZCRX_TOP/liburing-zc/build" "$out" "$size" "$rounds" "$flows" ||
	die "the benchmark failed: see $out"
[ -s "$out/summary.csv" ] || die "the benchmark wrote no summary: see $out"

# CPU per GiB and throughput of each receiver, one panel per payload mode
# and figure, flow counts side by side
python3 - "$out" <<'PY'
import csv, sys
out = sys.argv[1]
rows = list(csv.DictReader(open(out + '/summary.csv')))
flows = sorted({int(r['flows']) for r in rows})
for mode in ('untouched', 'touched'):
    rx = []
    for r in rows:
        if r['mode'] == mode and r['receiver'] not in rx:
            rx.append(r['receiver'])
    for fig, col in (('cpu', 'cpu_s_per_gib'), ('mibs', 'mib_s')):
        with open('%s/%s-%s.dat' % (out, mode, fig), 'w') as f:
            f.write('receiver ' + ' '.join('%d_flow%s' % (n, 's' * (n > 1))
                                           for n in flows) + '\n')
            for x in rx:
                v = {int(r['flows']): r[col] for r in rows
                     if r['mode'] == mode and r['receiver'] == x}
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
