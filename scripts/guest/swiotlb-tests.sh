#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs in the guest (booted with swiotlb=force by scripts/check.sh and
# scripts/swiotlb-tests.sh); --list runs on the host, for check.sh.
# The transfer tests on a guest that bounces every streaming DMA mapping
# through swiotlb (swiotlb=force), as confidential-computing guests do:
# netdevsim writes each frame into the bounce slot behind a buffer's DMA
# address and must sync the buffer for the CPU before anyone reads it, for
# page pool pages and io_uring's net_iovs alike.
#
#   swiotlb-tests.sh KSELFTEST_DIR [--full]
#       print the TAP of a few transfers, every byte checked: nsim_tcp
#       through page pool pages, split and not, IPv4 and IPv6; the
#       io_uring transfer fixture into an area of user memory and into a
#       kernel region; frames packed into 64 KiB buffers, each synced
#       at its offset; a zero-copy transfer whose area must take its
#       bounce slots (below).  With --full (make check-full), also
#       nsim_tcp's split IPv4 1 MiB and IPv6 4 KiB, the transfer fixture
#       up to 4 MiB, 64 KiB buffers filled by bursts and nsim_csum.sh: the
#       same code paths again, at other sizes.  The TAP is in run_kselftest.sh's format (so that
#       scripts/tap.py reads it); exits non-zero on any failure
#   swiotlb-tests.sh --list [--full]
#       the names of the results it reports
set -uo pipefail

SWIOTLB=/sys/kernel/debug/swiotlb
ZC_AREA=$((16 << 20))		# bytes of the zero-copy receiver's area
ZC_SIZE=8M			# bytes it receives
SLOT=2048			# IO_TLB_SIZE: a page takes two slots

# Bounce slots in use now (an empty line if swiotlb does not say).
tlb_used() {
	cat $SWIOTLB/io_tlb_used 2>/dev/null
}

# wait_used_below N: wait until fewer than N slots are in use.
wait_used_below() {
	local end=$((SECONDS + 300)) u

	while :; do
		u=$(tlb_used)
		[ -n "$u" ] && [ "$u" -lt "$1" ] && return 0
		[ $SECONDS -lt $end ] || return 1
		sleep 0.1
	done
}

# Page pool pages alone bounce too, so a high water mark proves nothing
# about io_uring's net_iovs.  The area of a zero-copy receiver is mapped for
# the NIC page by page when the queue is bound: under swiotlb=force every
# page must take its bounce slots (ZC_AREA / SLOT of them, give or take
# the few page pool pages the restart frees) and give them back when the
# ring goes.  In between, ZC_SIZE bytes are received into that area with
# nothing copied, every byte checked: the NIC wrote them into the slots
# behind the net_iovs' DMA addresses, so they reach the application only if
# each buffer was synced from its slot.
zc_bounced() {
	local a=zcrx-sa-$$ b=zcrx-sb-$$ out rx u0 u1 want end rc=0

	want=$((ZC_AREA / SLOT * 7 / 8))
	out=$(mktemp)
	./nsim_env.sh up $a $b 2 >/dev/null && ./nsim_env.sh hds $b on &&
		ip netns exec $b ethtool -N eth0 flow-type tcp4 dst-port 9300 \
			action 1 loc 1 || { echo "# cannot set up netdevsim"; return 1; }
	u0=$(tlb_used)
	./zcrx_xfer -l -N $b -p 9300 -S $ZC_SIZE -z eth0:1 -A $ZC_AREA \
		-r "$out.ready" >"$out" &
	rx=$!
	end=$((SECONDS + 300))
	until [ -e "$out.ready" ]; do
		kill -0 $rx 2>/dev/null && [ $SECONDS -lt $end ] ||
			{ echo "# the receiver did not get ready"; rc=1; break; }
		sleep 0.1
	done
	u1=$(tlb_used)
	echo "# swiotlb: ${u0:-?} slots in use, ${u1:-?} with the area registered"
	[ -n "$u0" ] && [ -n "$u1" ] && [ $((u1 - u0)) -ge $want ] ||
		{ echo "# the area took fewer than $want bounce slots"; rc=1; }
	./zcrx_xfer -c 192.0.2.2 -N $a -p 9300 -S $ZC_SIZE || rc=1
	wait $rx || rc=1
	sed 's/^/# /' "$out"
	grep -q "^result: mode=recv_zc bytes=$(numfmt --from=iec $ZC_SIZE) .* zc_bytes=$(numfmt --from=iec $ZC_SIZE) copy_bytes=0$" "$out" ||
		{ echo "# not every byte arrived without a copy"; rc=1; }
	[ -n "$u1" ] && wait_used_below $((u1 - want)) ||
		{ echo "# the area kept its bounce slots: $(tlb_used) in use"; rc=1; }
	./nsim_env.sh down $a $b || rc=1
	rm -f "$out" "$out.ready"
	return $rc
}

guest() {
	local ks=$1 full=$2 n=0 fail=0 hw t
	local -a runs

	cd "$ks/zcrx" || exit 1
	if [ "$full" = 1 ]; then
		# Transfers up to 4 MiB: the long ones add time, not coverage.
		runs=("./nsim_tcp -v ipv4_1m -v ipv6_4k -v split_ipv4_1m -v split_ipv6_1m"
		      "./iou_zcrx_data -V ipv4_64m -V ipv4_256m -f xfer"
		      "./iou_zcrx_bufs -r zcrx.zc_64k -r zcrx.zc_64k_packed" "./nsim_csum.sh")
	else
		runs=("./nsim_tcp -v ipv4_1m -v split_ipv6_1m"
		      "./iou_zcrx_data -r xfer.ipv4_1m.zc -r xfer.ipv6_4k.zc -r xfer.ipv4_1m_kernel_region.zc"
		      "./iou_zcrx_bufs -r zcrx.zc_64k_packed")
	fi
	echo "TAP version 13"
	echo "1..$((${#runs[@]} + 3))"
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
	for t in "${runs[@]}"; do
		$t 2>&1 | sed -u 's/^/# /'
		result "${PIPESTATUS[0]}" "swiotlb_$(basename "${t%% *}")"
	done
	# The receive buffers did go through bounce slots.
	hw=$(cat $SWIOTLB/io_tlb_used_hiwater 2>/dev/null)
	echo "# swiotlb: high water mark ${hw:-unknown} slots"
	[ "${hw:-0}" -gt 0 ]
	result $? swiotlb_bounced
	zc_bounced
	result $? swiotlb_zc_area_bounced
	exit $fail
}

# The results the guest reports, one a line (make check expects them all).
if [ "${1:-}" = --list ]; then
	printf 'swiotlb_%s\n' forced nsim_tcp iou_zcrx_data iou_zcrx_bufs bounced \
		zc_area_bounced
	[ "${2:-}" != --full ] || echo swiotlb_nsim_csum.sh
	exit 0
fi

[ $# -ge 1 ] || { echo "usage: $0 KSELFTEST_DIR [--full] | --list [--full]" >&2; exit 2; }
guest "$1" "$([ "${2:-}" = --full ] && echo 1)"
