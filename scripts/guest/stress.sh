#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs in the guest; booted by scripts/stress.sh (make stress) and by
# scripts/check.sh (make check-full).
# The stress campaign (iou_zcrx_stress) with its TAP nested in
# run_kselftest.sh's format, so that scripts/tap.py reads it (make check
# runs the quick profile through run_kselftest.sh, as the other
# kselftests).  Its settings come from the ZCRX_STRESS_* environment.
#   stress.sh KSELFTEST_DIR
set -uo pipefail

cd "$1/zcrx" || exit 1
echo "TAP version 13"
echo "1..1"
echo "# selftests: zcrx: iou_zcrx_stress"
rc=0
./iou_zcrx_stress 2>&1 | sed -u 's/^/# /' || rc=$?
if [ $rc -eq 0 ]; then
	echo "ok 1 selftests: zcrx: iou_zcrx_stress"
else
	echo "not ok 1 selftests: zcrx: iou_zcrx_stress # exit=$rc"
fi
exit $rc
