#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs in the guest; booted by make bench-nsim.
# TCP throughput between two linked netdevsim ports, receiver split off vs
# on, alternating runs in one VM, and the receiving page pool's recycling
# under that load.  Runs inside the VM:
#   scripts/vm-run --kernel PERF_BZIMAGE -- scripts/guest/bench-nsim.sh KSELFTEST_ZCRX_DIR [SIZE] [RUNS]
set -u
dir=$1
size=${2:-256M}
runs=${3:-3}
a=zcrx-bench-a
b=zcrx-bench-b
cd "$dir" || exit 1
ENV=./nsim_env.sh

trap '$ENV down $a $b' EXIT
$ENV up $a $b 1 >/dev/null || exit 1

xfer() {
	./zcrx_xfer -l -N $b -S "$size" &
	./zcrx_xfer -c 192.0.2.2 -N $a -S "$size" >/dev/null
	wait $!
}

pool_stats() {
	$ENV ynl $b netdev --dump page-pool-stats-get 2>/dev/null | python3 -c '
import ast, sys
alloc = recycle = 0
for s in ast.literal_eval(sys.stdin.read() or "[]"):
    alloc += s.get("alloc-fast", 0) + s.get("alloc-slow", 0)
    recycle += s.get("recycle-cached", 0) + s.get("recycle-ring", 0)
print(alloc, recycle)'
}

echo "kernel $(uname -r), $(nproc) CPUs, $size per run"
if ! $ENV hds $b off 2>/dev/null; then
	echo "tcp-data-split cannot be set: base netdevsim"
	for i in $(seq "$runs"); do
		echo "base: $(xfer)"
	done
	exit 0
fi
for i in $(seq "$runs"); do
	for mode in off on; do
		$ENV hds $b $mode
		read -r a0 r0 < <(pool_stats)
		out=$(xfer)
		read -r a1 r1 < <(pool_stats)
		echo "split $mode: $out; page pool: $((a1 - a0)) allocations, $((r1 - r0)) recycled"
	done
done
