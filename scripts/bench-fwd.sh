#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs on the host; called by make bench-fwd and make bench.
# Boot the non-debug kernel once and compare TCP relays that pass the
# same stream on (scripts/guest/bench-fwd.sh): RECV_ZC + SEND_ZC
# (liburing-zc's zcrx-forward, with 4 and 64 KiB buffers), recv() +
# send() and splice(); draw the
# summary with gnuplot.  SIZE (default 256M per run) and ROUNDS (3) come
# from the environment.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
size=${SIZE:-256M}
rounds=${ROUNDS:-3}
bash "$ZCRX_TOP/scripts/deps.sh" gnuplot-nox
ks=$(bash "$ZCRX_TOP/scripts/selftests.sh" perf)
out=$ZCRX_CACHE/bench/fwd-$(date +%Y%m%d-%H%M%S)
mkdir -p "$out"
make -s -C "$ZCRX_TOP/liburing-zc" lib examples >/dev/null ||
	die "building liburing-zc failed"
bash "$ZCRX_TOP/scripts/vm-run" --no-kmemleak \
	--kernel "$(bash "$ZCRX_TOP/scripts/kernel.sh" perf kernel-path)" --out "$out" \
	--timeout "${ZCRX_BENCH_TIMEOUT:-3600}" -- \
	bash "$ZCRX_TOP/scripts/guest/bench-fwd.sh" "$ks/zcrx" "$ZCRX_TOP/liburing-zc/build" \
	"$out" "$size" "$rounds" || die "the relay benchmark failed: see $out"
[ -s "$out/fwd-summary.csv" ] || die "the relay benchmark wrote no summary: see $out"
gnuplot <<GP || die "gnuplot failed"
set terminal pngcairo size 1000,450 noenhanced font ",10"
set output "$out/fwd.png"
set datafile separator ","
set multiplot layout 1,2 title "TCP relays side by side, $(date +%F), $size per run, median of $rounds rounds"
set style data histograms
set style fill solid 0.8 border -1
set grid ytics
set key off
set yrange [0:*]
set title "relay CPU s/GiB (lower is better)"
plot "$out/fwd-summary.csv" every ::1 using 3:xtic(1)
set title "throughput MiB/s (higher is better)"
plot "$out/fwd-summary.csv" every ::1 using 2:xtic(1)
unset multiplot
GP
echo
echo "per run:  $out/fwd.csv"
echo "summary:  $out/fwd-summary.csv"
echo "chart:    $out/fwd.png"
