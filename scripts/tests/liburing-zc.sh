#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Host test; run by scripts/check.sh (make check).
# liburing-zc's host tests (unit tests, build and install, man pages): its
# own "make check", whose "ok: " / "FAILED: " lines count one test each.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
make -s -C "$ZCRX_TOP/liburing-zc" check \
	KSFT_DIR="$ZCRX_TREE/tools/testing/selftests"
