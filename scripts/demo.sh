#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs on the host; called by make demo.
# make demo: build the kernel (the non-debug flavour unless
# ZCRX_DEMO_FLAVOUR says otherwise), boot it under QEMU and show the data
# path end to end.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

flavour=${ZCRX_DEMO_FLAVOUR:-perf}
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
exec bash "$ZCRX_TOP/scripts/vm-run" --kernel "$kernel" --timeout 900 -- \
	bash "$ZCRX_TOP/scripts/guest/demo.sh" "$ks/zcrx" "${ZCRX_DEMO_SIZE:-256M}" \
	"$ZCRX_TOP/liburing-zc/build"
