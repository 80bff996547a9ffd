#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs in the guest; booted by scripts/check.sh (the e1000e-iommu boot).
# The selftests' real-hardware mode against the machine's two e1000e
# interfaces, as a user with two cabled ports runs it: ZCRX_NIC=hw with
# the second interface (in PCI order) receiving and the first sending,
# under whatever names the earlier tests of the boot left them.
#   hw-mode.sh KSELFTEST_DIR PROG...
set -u
dir=$1
shift
ifs=()
for d in /sys/bus/pci/drivers/e1000e/0000:*; do
	for n in "$d"/net/*; do
		[ -e "$n" ] && ifs+=("${n##*/}")
	done
done
if [ ${#ifs[@]} -ne 2 ]; then
	echo "hw-mode.sh: two e1000e interfaces wanted, found ${#ifs[@]}: ${ifs[*]}" >&2
	exit 1
fi
# QEMU's e1000e model mis-parses segments that another such model cut
# from a TSO burst (see nsim_env.sh): software segmentation, as the
# e1000e mode sets it up itself; real hardware needs nothing of the kind
for n in "${ifs[@]}"; do
	ethtool -K "$n" tso off || exit 1
done
args=()
for p in "$@"; do
	args+=(-t "zcrx:$p")
done
cd "$dir" && ZCRX_NIC=hw ZCRX_IF=${ifs[1]} ZCRX_PEER_IF=${ifs[0]} ./run_kselftest.sh "${args[@]}"
