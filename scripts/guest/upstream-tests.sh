#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs in the guest; booted by scripts/check.sh (make check's main lane);
# --list runs on the host, for scripts/tap.py.
# netdevsim's own selftests that concern what the series changes (peer
# linking, ring parameters), run from the assembled tree inside
# the VM, reported like run_kselftest.sh does.
#   upstream-tests.sh KERNEL_TREE
#   upstream-tests.sh --list      the tests it runs, one a line
set -u
tests=(peer.sh ethtool-ring.sh)
if [ "${1:-}" = --list ]; then
	printf '%s\n' "${tests[@]}"
	exit 0
fi
dir=$1/tools/testing/selftests/drivers/net/netdevsim
echo "TAP version 13"
echo "1..${#tests[@]}"
n=0
for t in "${tests[@]}"; do
	n=$((n + 1))
	echo "# selftests: netdevsim: $t"
	out=$(cd "$dir" && timeout 600 bash "./$t" 2>&1)
	rc=$?
	sed 's/^/# /' <<<"$out"
	case $rc in
	0) echo "ok $n selftests: netdevsim: $t" ;;
	4) echo "ok $n selftests: netdevsim: $t # SKIP" ;;
	*) echo "not ok $n selftests: netdevsim: $t # exit=$rc" ;;
	esac
done
