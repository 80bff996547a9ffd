#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs on the host; called by make selftests, check, demo, stress and the
# benchmarks.
# Build the zcrx kselftests against the uapi headers of a kernel build and
# install them (with run_kselftest.sh) into $ZCRX_CACHE/kselftest/FLAVOUR.
# Prints the install directory.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

flavour=${1:-debug}
B=${ZCRX_BUILD:-$ZCRX_CACHE/build}/$flavour
inst=$ZCRX_CACHE/kselftest/$flavour
[ -d "$B/usr/include/linux" ] || die "no installed headers in $B (run make kernel)"
# A fresh install: nothing left over from programs the sources dropped.
rm -rf "$inst/zcrx"
make -s -C "$ZCRX_TREE/tools/testing/selftests" O="$B" TARGETS=zcrx \
	INSTALL_PATH="$inst" install >/dev/null ||
	die "building and installing the zcrx selftests ($flavour) failed: see the errors above"
echo "$inst"
