#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The transfer tests on a guest that bounces every streaming DMA mapping
# through swiotlb (swiotlb=force), as confidential-computing guests do:
# netdevsim writes each frame into the bounce slot behind a buffer's DMA
# address and must sync the buffer for the CPU before anyone reads it, for
# page pool pages and io_uring's net_iovs alike.
#
#   scripts/swiotlb-tests.sh [vm-run options]
#       build and install the selftests, boot the debug kernel with
#       swiotlb=force and print the TAP of nsim_tcp's 1 MiB transfers,
#       iou_zcrx's xfer fixture up to 4 MiB and nsim_csum.sh, every byte
#       checked, in run_kselftest.sh's format (so that
#       scripts/tap.py reads it); exits non-zero on any failure
#   scripts/swiotlb-tests.sh --guest KSELFTEST_DIR
#       what runs inside the guest
#   scripts/swiotlb-tests.sh --list
#       the names of the results the guest reports
set -uo pipefail
. "$(dirname "$0")/lib.sh"

guest() {
	local ks=$1 n=0 fail=0 hw

	cd "$ks/zcrx" || exit 1
	echo "TAP version 13"
	echo "1..5"
	result() {
		n=$((n + 1))
		if [ "$1" -eq 0 ]; then
			echo "ok $n selftests: zcrx: $2"
		else
			echo "not ok $n selftests: zcrx: $2 # exit=$1"
			fail=1
		fi
	}
	grep -qw swiotlb=force /proc/cmdline
	result $? swiotlb_forced
	# Transfers up to 4 MiB: the long ones add time, not coverage.
	for t in "./nsim_tcp -v ipv4_1m -v ipv6_4k -v split_ipv4_1m -v split_ipv6_1m" \
		 "./iou_zcrx -V ipv4_64m -V ipv4_256m -f xfer" "./nsim_csum.sh"; do
		$t 2>&1 | sed -u 's/^/# /'
		result "${PIPESTATUS[0]}" "swiotlb_$(basename "${t%% *}")"
	done
	# The receive buffers did go through bounce slots.
	hw=$(cat /sys/kernel/debug/swiotlb/io_tlb_used_hiwater 2>/dev/null)
	echo "# swiotlb: high water mark ${hw:-unknown} slots"
	[ "${hw:-0}" -gt 0 ]
	result $? swiotlb_bounced
	exit $fail
}

# The results the guest reports, one a line (make check expects them all).
if [ "${1:-}" = --list ]; then
	printf 'swiotlb_%s\n' forced nsim_tcp iou_zcrx nsim_csum.sh bounced
	exit 0
fi

if [ "${1:-}" = --guest ]; then
	guest "$2"
fi

ks=$(bash "$ZCRX_TOP/scripts/selftests.sh" debug) || exit 1
KSRC=$ZCRX_TREE exec bash "$ZCRX_TOP/scripts/vm-run" --timeout 3000 \
	--append swiotlb=force "$@" -- \
	"bash '$ZCRX_TOP/scripts/swiotlb-tests.sh' --guest '$ks'"
