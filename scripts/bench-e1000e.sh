#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs on the host; called by make bench-e1000e.
# Zero-copy receive through e1000e (two emulated 82574L wired back to
# back), on the non-debug kernel with two CPUs:
#   - recv() and IORING_OP_RECV_ZC at MTU 1500, rounds alternated in one
#     boot, without an IOMMU and then, in a second boot, behind QEMU's
#     Intel IOMMU (the IOMMU's cost);
#   - with BEFORE=BZIMAGE (a kernel whose e1000e allocates its own pages,
#     such as one built from the series without its e1000e patches), recv()
#     at MTU 9000, where the driver splits packets, on BEFORE and on ours,
#     boots alternated: the page pool's effect.
# SIZE (default 128M) per transfer, ROUNDS (default 3).  Prints one table:
# the median of each figure, MiB/s and receiver CPU seconds per GiB.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

size=${SIZE:-128M}
rounds=${ROUNDS:-3}
before=${BEFORE:-}
ks=$(bash "$ZCRX_TOP/scripts/selftests.sh" perf) || die "cannot build the selftests"
kernel=$(bash "$ZCRX_TOP/scripts/kernel.sh" perf kernel-path)
out=$ZCRX_CACHE/bench/e1000e-$(date +%Y%m%d-%H%M%S)
mkdir -p "$out"

boot() {	# boot LABEL BZIMAGE [vm-run options] -- MODES...
	local label=$1 img=$2

	shift 2
	local opts=()
	while [ "$1" != -- ]; do
		opts+=("$1")
		shift
	done
	shift
	note "bench-e1000e: $label ($*)"
	bash "$ZCRX_TOP/scripts/vm-run" --no-kmemleak --smp 2 --nic e1000e \
		--kernel "$img" --timeout 3600 --out "$out/vm-$label-$RANDOM" "${opts[@]}" -- \
		bash "$ZCRX_TOP/scripts/guest/bench-e1000e.sh" "$ks/zcrx" "$size" "$@" |
		sed -n "s/^bench: /label=$label /p" | tee -a "$out/results.txt"
}

boot direct "$kernel" -- "$rounds" recv zc
boot iommu "$kernel" --iommu -- "$rounds" recv zc
if [ -n "$before" ]; then
	[ -f "$before" ] || die "BEFORE=$before: no such kernel"
	for r in $(seq "$rounds"); do
		boot before "$before" -- 1 jumbo
		boot after "$kernel" -- 1 jumbo
	done
fi

python3 - "$out/results.txt" <<'EOF' | tee "$out/table.txt"
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    f = dict(kv.split('=', 1) for kv in line.split())
    if not f.get('secs') or not f.get('bytes'):
        continue
    b, s, c = int(f['bytes']), float(f['secs']), float(f['cpu'])
    rows.setdefault((f['label'], f['mode']), []).append(
        (b / s / 2**20, c * 2**30 / b, int(f.get('zc_bytes', 0)) / b))
print('%-8s %-6s %5s %10s %14s %9s' % ('kernel', 'mode', 'runs', 'MiB/s', 'CPU s/GiB', 'zero copy'))
med = {}
for (label, mode), v in rows.items():
    m = tuple(statistics.median(x[i] for x in v) for i in range(3))
    med[(label, mode)] = m
    print('%-8s %-6s %5d %10.1f %14.2f %8.0f%%' % (label, mode, len(v), m[0], m[1], 100 * m[2]))
def ratio(a, b, what):
    if a in med and b in med:
        print('%s: throughput x%.2f, CPU per GiB x%.2f' %
              (what, med[a][0] / med[b][0], med[a][1] / med[b][1]))
ratio(('direct', 'zc'), ('direct', 'recv'), 'RECV_ZC against recv()')
ratio(('iommu', 'recv'), ('direct', 'recv'), 'IOMMU, recv()')
ratio(('iommu', 'zc'), ('direct', 'zc'), 'IOMMU, RECV_ZC')
ratio(('after', 'jumbo'), ('before', 'jumbo'), 'page pool against alloc_page, MTU 9000')
EOF
note "results in $out"
