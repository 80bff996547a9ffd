#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs in the guest; booted by scripts/check.sh (make check's main lane);
# --list runs on the host, for scripts/tap.py.
# The series' KUnit suites, built into the debug kernel, ran at boot; each
# is reported as run_kselftest.sh reports a program, its cases as the
# nested results and the rest of its KTAP (from debugfs) as comments.  A
# suite passes when it reported at least one case and no case failed or
# skipped.
#   kunit.sh
#   kunit.sh --list      the suites, one a line
set -u
suites=(mlx5e_zc)
if [ "${1:-}" = --list ]; then
	printf '%s\n' "${suites[@]}"
	exit 0
fi
# (KUNIT_RESULTS: another directory laid out as debugfs's, for the host
# test of this script)
dfs=${KUNIT_RESULTS:-/sys/kernel/debug/kunit}
[ -n "${KUNIT_RESULTS:-}" ] || [ -d "$dfs" ] ||
	mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
echo "TAP version 13"
echo "1..${#suites[@]}"
n=0
for s in "${suites[@]}"; do
	n=$((n + 1))
	echo "# selftests: kunit: $s"
	f=$dfs/$s/results
	if [ ! -r "$f" ]; then
		echo "# no $f: the kernel has not got this suite (CONFIG_KUNIT and its option)"
		echo "not ok $n selftests: kunit: $s # no results"
		continue
	fi
	out=$(cat "$f")
	# the suite's cases (indented in its KTAP) become the nested results,
	# the rest comments
	sed -E 's/^[[:space:]]+((not )?ok [0-9]+ .*)$/\1/; t; s/^[[:space:]]+(1\.\.[0-9]+)$/\1/; t; s/^/| /' <<<"$out" |
		sed 's/^/# /'
	cases=$(grep -cE '^[[:space:]]+ok [0-9]+ ' <<<"$out")
	bad=$(grep -cE 'not ok |# SKIP' <<<"$out")
	echo "# $s: $cases cases passed, $bad failed or skipped"
	if [ "$bad" -eq 0 ] && [ "$cases" -gt 0 ] &&
	   grep -qE "^[[:space:]]*ok [0-9]+ $s\$" <<<"$out"; then
		echo "ok $n selftests: kunit: $s"
	else
		echo "not ok $n selftests: kunit: $s"
	fi
done
