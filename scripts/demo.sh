#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs on the host; called by make demo.
# make demo: build the kernel (the non-debug flavour unless
# ZCRX_DEMO_FLAVOUR says otherwise), boot it under QEMU and show the data
# path end to end, over netdevsim or, with ZCRX_DEMO_NIC=e1000e (make demo
# NIC=e1000e), over two emulated 82574L wired back to back.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

flavour=${ZCRX_DEMO_FLAVOUR:-perf}
nic=${ZCRX_DEMO_NIC:-netdevsim}
nic_opts=()
case "$nic" in
''|netdevsim) nic=netdevsim ;;
e1000e) nic_opts=(--nic e1000e) ;;
*) die "NIC=$nic: netdevsim or e1000e" ;;
esac
export ZCRX_NIC=$nic
bash "$ZCRX_TOP/scripts/deps.sh"
ver=$(bash "$ZCRX_TOP/scripts/tree/base.sh")
python3 "$ZCRX_TOP/scripts/tree/series.py" assemble
note "building the $flavour kernel from $ZCRX_PKG $ver (first time: several minutes)"
bash "$ZCRX_TOP/scripts/kernel.sh" "$flavour"
ks=$(bash "$ZCRX_TOP/scripts/selftests.sh" "$flavour") || exit 1	# it said why
kernel=$(bash "$ZCRX_TOP/scripts/kernel.sh" "$flavour" kernel-path) || exit 1
note "building liburing-zc and its examples"
make -s -C "$ZCRX_TOP/liburing-zc" lib examples >/dev/null ||
	die "building liburing-zc and its examples failed: see the errors above"
note "booting $kernel"
exec bash "$ZCRX_TOP/scripts/vm-run" --kernel "$kernel" --timeout 900 "${nic_opts[@]}" -- \
	bash "$ZCRX_TOP/scripts/guest/demo.sh" "$ks/zcrx" "${ZCRX_DEMO_SIZE:-256M}" \
	"$ZCRX_TOP/liburing-zc/build"
