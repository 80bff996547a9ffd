#!/bin/bash
# SPDX-License-Identifier: MIT OR LGPL-2.1
# Run liburing-zc's VM tests (test/vm/*.sh) in a guest booted from the
# series' kernel, and report them as run_kselftest.sh does, so that the
# check's TAP reader counts them: one "ok N selftests: liburing-zc: NAME"
# line per script, its own TAP lines ("ok N what") nested under it.
#
#   run.sh [--nic e1000e] KSELFTEST_ZCRX_DIR [BUILD_DIR]
#   run.sh --list        the scripts, one a line (of both kinds)
#
# The scripts run over two netdevsim ports, but for those named
# "e1000e-*.sh", which need the two e1000e of scripts/vm-run --nic e1000e
# and run, alone, with --nic e1000e.
#
# A script gets the kselftests' zcrx directory (nsim_env.sh and friends)
# in $ZCRX_KSFT and the library's build directory in $ZC_BUILD; it exits 0
# (pass), 4 (skip) or anything else (fail).  lib.sh is not one: the
# scripts source it.
set -u
here=$(cd "$(dirname "$0")" && pwd)
tests=("$here"/[a-z]*.sh)
tests=("${tests[@]/*\/run.sh/}")
tests=("${tests[@]/*\/lib.sh/}")
nic=netdevsim
if [ "${1:-}" = --nic ]; then
	nic=$2
	shift 2
fi
list=()
for t in "${tests[@]}"; do
	[ -n "$t" ] || continue
	if [ "${1:-}" != --list ]; then
		case "$(basename "$t")" in
		e1000e-*) [ "$nic" = e1000e ] || continue ;;
		*) [ "$nic" = netdevsim ] || continue ;;
		esac
	fi
	list+=("$t")
done
if [ "${1:-}" = --list ]; then
	for t in "${list[@]}"; do basename "$t"; done
	exit 0
fi
export ZCRX_KSFT=$1
export ZC_BUILD=${2:-$here/../../build}
echo "TAP version 13"
echo "1..${#list[@]}"
n=0
for t in "${list[@]}"; do
	n=$((n + 1))
	name=$(basename "$t")
	echo "# selftests: liburing-zc: $name"
	out=$(cd "$here" && timeout 900 bash "$t" 2>&1)
	rc=$?
	sed 's/^/# /' <<<"$out"
	case $rc in
	0) echo "ok $n selftests: liburing-zc: $name" ;;
	4) echo "ok $n selftests: liburing-zc: $name # SKIP" ;;
	*) echo "not ok $n selftests: liburing-zc: $name # exit=$rc" ;;
	esac
done
