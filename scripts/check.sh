#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make check: build what is needed, run the host tests and the kselftests
# in the VM (debug kernel), and end with one line "N passed, N failed".
set -uo pipefail
. "$(dirname "$0")/lib.sh"

logs=$ZCRX_CACHE/check
rm -rf "$logs"
mkdir -p "$logs"
pass=0
fail=0
skip=0
failed=()

result() {	# result ok|fail|skip NAME
	case "$1" in
	ok) pass=$((pass + 1)); echo "PASS: $2" ;;
	skip) skip=$((skip + 1)); echo "SKIP: $2" ;;
	*) fail=$((fail + 1)); failed+=("$2"); echo "FAIL: $2" ;;
	esac
}

summary() {
	echo
	[ ${#failed[@]} -eq 0 ] || printf 'failed: %s\n' "${failed[@]}"
	echo "logs in $logs"
	if [ $skip -gt 0 ]; then
		echo "$pass passed, $fail failed, $skip skipped"
	else
		echo "$pass passed, $fail failed"
	fi
	[ $fail -eq 0 ]
	exit
}

stage() {	# stage NAME command...: a set-up step; its failure ends the run
	local name=$1
	shift
	note "$name"
	if ! "$@" >"$logs/$name.log" 2>&1; then
		tail -n 30 "$logs/$name.log"
		result fail "$name"
		summary
	fi
}

t0=$(date +%s)
stage deps bash "$ZCRX_TOP/scripts/deps.sh"
stage base bash "$ZCRX_TOP/scripts/base.sh"
note "base: $ZCRX_PKG $(cat "$logs/base.log" | tail -n1)"
stage assemble python3 "$ZCRX_TOP/scripts/series.py" assemble
stage kernel bash "$ZCRX_TOP/scripts/kernel.sh" debug
grep -a '==> ' "$logs/kernel.log"
stage selftests bash "$ZCRX_TOP/scripts/selftests.sh" debug
ks=$(tail -n1 "$logs/selftests.log")
stage liburing-zc make -C "$ZCRX_TOP/liburing-zc" \
	KSFT_DIR="$ZCRX_TREE/tools/testing/selftests"
note "built in $(( $(date +%s) - t0 ))s"

# Host tests: a script each; "ok: " / "skip: " / "FAILED: " lines count one
# test each, otherwise the exit status counts (4 = skip, as in kselftest).
for t in "$ZCRX_TOP"/scripts/tests/*.sh; do
	name=host/$(basename "$t" .sh)
	note "$name"
	log=$logs/${name#host/}.log
	bash "$t" >"$log" 2>&1
	rc=$?
	shown=0
	while IFS=$'\t' read -r res rname; do
		if [ "$res" = fail ] && [ $shown -eq 0 ] && ! grep -q '^FAILED: ' "$log"; then
			tail -n 15 "$log"
			shown=1
		fi
		result "$res" "$rname"
	done < <(bash "$ZCRX_TOP/scripts/host-results.sh" "$name" $rc <"$log")
done

# Kselftests and liburing-zc's VM tests, all in one boot of the debug kernel.
note "vm: kselftests and liburing-zc (TAP in $logs/kselftest.tap)"
# The tests find the kernel's netlink specs and ynl in the assembled tree.
KSRC=$ZCRX_TREE bash "$ZCRX_TOP/scripts/vm-run" --timeout "${ZCRX_CHECK_TIMEOUT:-3000}" --out "$logs/vm" -- \
	"cd '$ks' && ./run_kselftest.sh; bash '$ZCRX_TOP/scripts/upstream-tests.sh' '$ZCRX_TREE';
	 bash '$ZCRX_TOP/liburing-zc/test/vm/run.sh' '$ks/zcrx' '$ZCRX_TOP/liburing-zc/build'; true" \
	>"$logs/kselftest.tap" 2>"$logs/vm-run.log"
vmrc=$?
cat "$logs/vm-run.log"
# Every program the sources name must report; a skip in the series' own
# kernel is a failure; the run itself must end cleanly.
while IFS=$'\t' read -r res name; do
	result "$res" "vm/$name"
done < <(python3 "$ZCRX_TOP/scripts/tap.py" --expected-from "$ZCRX_TOP" --skips-fail \
	--vm-log "$logs/vm-run.log" --vm-rc $vmrc <"$logs/kselftest.tap" ||
	printf 'fail\tcounting the TAP failed\n')
note "total $(( $(date +%s) - t0 ))s"
summary
