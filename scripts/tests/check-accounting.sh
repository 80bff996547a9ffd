#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Host test; run by scripts/check.sh (make check).
# make check's accounting, fed made-up output: the VM's TAP through
# scripts/tap.py (nothing at all, a run that ends in the middle of a
# program, a missing program, a skip, a short plan, a crash after passing
# results, a VM run that failed) and a host test's output through
# scripts/host-results.sh (skips, a script that died).  A missing result is
# a failure, by name.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fails=0
ok() { echo "ok: accounting: $1"; }
failed() { echo "FAILED: accounting: $1"; fails=$((fails + 1)); }

tap() { python3 "$ZCRX_TOP/scripts/tap.py" "$@"; }

# expect WHAT GOT WANTED: compare two result lists
expect() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		failed "$1"
		diff <(echo "$3") <(echo "$2") | sed 's/^/#   /'
	fi
}

exp=(--expect zcrx:nsim_tcp --expect zcrx:nsim_queues.sh --expect liburing-zc:nic.sh)

# A program with nested results, a shell test with its own, a script.
cat >"$work/good.tap" <<'EOF'
TAP version 13
1..2
# timeout set to 1800
# selftests: zcrx: nsim_tcp
# TAP version 13
# 1..2
# # Starting 2 tests from 2 test cases.
# ok 1 nsim.ipv4.tcp_transfer
# ok 2 nsim.ipv6.tcp_transfer
# # Totals: pass:2 fail:0 xfail:0 xpass:0 skip:0 error:0
ok 1 selftests: zcrx: nsim_tcp
# selftests: zcrx: nsim_queues.sh
# TAP version 13
# 1..1
# ok 1 steer tcp4 to queue 2 and nowhere else
ok 2 selftests: zcrx: nsim_queues.sh
TAP version 13
1..1
# selftests: liburing-zc: nic.sh
ok 1 selftests: liburing-zc: nic.sh
EOF
expect "complete TAP counts every result" "$(tap "${exp[@]}" <"$work/good.tap")" \
"ok	nsim_tcp: nsim.ipv4.tcp_transfer
ok	nsim_tcp: nsim.ipv6.tcp_transfer
ok	nsim_queues.sh: steer tcp4 to queue 2 and nowhere else
ok	nic.sh"

expect "no TAP at all: every expected program fails" "$(tap "${exp[@]}" </dev/null)" \
"fail	nsim_tcp (no result)
fail	nsim_queues.sh (no result)
fail	nic.sh (no result)"

head -n 8 "$work/good.tap" >"$work/cut.tap"
expect "TAP that ends inside a program" "$(tap "${exp[@]}" <"$work/cut.tap")" \
"ok	nsim_tcp: nsim.ipv4.tcp_transfer
fail	nsim_tcp (no result: its output ends after 1 results)
fail	nsim_queues.sh (no result)
fail	nic.sh (no result)"

sed '/^# selftests: zcrx: nsim_queues.sh/,/^ok 2 selftests/d' "$work/good.tap" >"$work/missing.tap"
expect "a program that printed nothing" "$(tap "${exp[@]}" <"$work/missing.tap")" \
"ok	nsim_tcp: nsim.ipv4.tcp_transfer
ok	nsim_tcp: nsim.ipv6.tcp_transfer
ok	nic.sh
fail	nsim_queues.sh (no result)"

sed -e 's/^# ok 2 nsim.ipv6.tcp_transfer$/# ok 2 nsim.ipv6.tcp_transfer # SKIP no IPv6/' \
    -e 's/^ok 1 selftests: liburing-zc: nic.sh$/ok 1 selftests: liburing-zc: nic.sh # SKIP/' \
	"$work/good.tap" >"$work/skip.tap"
expect "skips are counted as skips" "$(tap "${exp[@]}" <"$work/skip.tap" | grep -v '^ok')" \
"skip	nsim_tcp: nsim.ipv6.tcp_transfer
skip	nic.sh"
expect "skips in the series' kernel fail (--skips-fail)" \
	"$(tap "${exp[@]}" --skips-fail <"$work/skip.tap" | grep -v '^ok')" \
"fail	nsim_tcp: nsim.ipv6.tcp_transfer (skipped: no IPv6)
fail	nic.sh (skipped)"

sed 's/^# 1\.\.2$/# 1..3/' "$work/good.tap" >"$work/plan.tap"
expect "fewer results than the plan" "$(tap "${exp[@]}" <"$work/plan.tap" | grep -v '^ok')" \
"fail	nsim_tcp (2 of 3 results)"

sed 's/^ok 1 selftests: zcrx: nsim_tcp$/not ok 1 selftests: zcrx: nsim_tcp # TIMEOUT 600 seconds/' \
	"$work/good.tap" >"$work/crash.tap"
expect "a program that failed after passing results" \
	"$(tap "${exp[@]}" <"$work/crash.tap" | grep -v '^ok')" \
"fail	nsim_tcp (TIMEOUT 600 seconds)"

# The VM run itself.
echo "vm-run: exit 0 after 100s (booted in 9s), logs in /x" >"$work/vm.log"
expect "a clean VM run" "$(tap --vm-log "$work/vm.log" --vm-rc 0 </dev/null)" \
	"ok	kernel log clean"
printf '%s\n' "vm-run: exit 0 after 100s (booted in 9s), logs in /x" \
	"vm-run: kernel reported: WARNING: CPU: 0 PID: 1 at x" >"$work/vm.log"
expect "a splat fails the run" "$(tap --vm-log "$work/vm.log" --vm-rc 1 </dev/null)" \
	"fail	kernel: kernel reported: WARNING: CPU: 0 PID: 1 at x"
printf '%s\n' "error: cannot run init: Permission denied" >"$work/vm.log"
expect "a VM run that died with another message fails" \
	"$(tap --vm-log "$work/vm.log" --vm-rc 1 </dev/null)" \
	"fail	kernel: the VM run failed (exit 1): error: cannot run init: Permission denied"

# The expected programs come from the sources: a program added to the
# Makefile is expected without further ado.
mkdir -p "$work/top/tools/testing/selftests/zcrx" "$work/top/scripts/guest" "$work/top/liburing-zc/test/vm"
cat >"$work/top/tools/testing/selftests/zcrx/Makefile" <<'EOF'
TEST_GEN_PROGS := nsim_tcp iou_zcrx
TEST_GEN_PROGS += iou_zcrx_new \
	iou_zcrx_more # a comment
TEST_PROGS := nsim_queues.sh
TEST_GEN_FILES := zcrx_xfer
EOF
cp "$ZCRX_TOP/scripts/guest/upstream-tests.sh" "$ZCRX_TOP/scripts/guest/bench.sh" \
	"$ZCRX_TOP/scripts/guest/bench-common.sh" "$ZCRX_TOP/scripts/guest/bench-fwd.sh" \
	"$ZCRX_TOP/scripts/guest/kunit.sh" "$work/top/scripts/guest/"
cp "$ZCRX_TOP/liburing-zc/test/vm/run.sh" "$work/top/liburing-zc/test/vm/"
# (lib.sh is what the VM scripts source: not a program of its own)
touch "$work/top/liburing-zc/test/vm/new-case.sh" "$work/top/liburing-zc/test/vm/lib.sh"
expect "expected programs derived from the sources" \
	"$(tap --expected-from "$work/top" </dev/null | cut -f2 | xargs)" \
	"nsim_tcp (no result) iou_zcrx (no result) iou_zcrx_new (no result) iou_zcrx_more (no result) nsim_queues.sh (no result) peer.sh (no result) ethtool-ring.sh (no result) new-case.sh (no result)$(
	for r in recv uring tcp_mmap zc_4k zc_16k zc_64k liburing_zc nodev zc_4k_4flows scale; do
		printf ' bench_%s (no result)' $r
	done) fwd_zc (no result) fwd_zc_64k (no result) fwd_copy (no result) fwd_splice (no result) mlx5e_zc (no result)"
expect "--not-expect takes a program off the list" \
	"$(tap --expected-from "$work/top" --not-expect zcrx:iou_zcrx_new \
		--not-expect zcrx:nsim_queues.sh </dev/null | cut -f2 | grep -v '^bench_\|^fwd_' | xargs)" \
	"nsim_tcp (no result) iou_zcrx (no result) iou_zcrx_more (no result) peer.sh (no result) ethtool-ring.sh (no result) new-case.sh (no result) mlx5e_zc (no result)"
rm "$work/top/tools/testing/selftests/zcrx/Makefile"
expect "no list of expected programs is a failure" \
	"$(tap --expected-from "$work/top" </dev/null | grep -c '^fail	expected tests')" 1

# The real sources name the programs make check runs.
real=$(tap --expected-from "$ZCRX_TOP" </dev/null | cut -f2 | sed 's/ (no result)$//' | xargs)
missing=
for p in nsim_tcp iou_zcrx_query iou_zcrx_reg iou_zcrx_data iou_zcrx_pressure iou_zcrx_teardown \
	 iou_zcrx_nodev iou_zcrx_share iou_zcrx_events iou_zcrx_dmabuf iou_zcrx_bufs \
	 nsim_queues.sh nsim_provider.py peer.sh ethtool-ring.sh \
	 examples.sh nic.sh mainline-abi.sh areas.sh bench_recv bench_tcp_mmap \
	 bench_zc_64k bench_liburing_zc bench_nodev bench_scale fwd_zc fwd_zc_64k fwd_copy fwd_splice \
	 forward.sh mlx5e_zc; do
	[[ " $real " == *" $p "* ]] || missing+=" $p"
done
if [ -z "$missing" ]; then ok "the sources name every VM program ($real)"
else failed "not derived from the sources:$missing"; fi

# scripts/guest/kunit.sh turns a suite's KTAP in debugfs (as the debug
# kernel writes it) into a program's nested results: a failed case fails
# by name, a suite without results fails as a whole.
mkdir -p "$work/kunit/mlx5e_zc"
cat >"$work/kunit/mlx5e_zc/results" <<'EOF'
KTAP version 1
1..1
    KTAP version 1
    # Subtest: mlx5e_zc
    1..2
    ok 1 mlx5e_zc_test_hd_slots
    # mlx5e_zc_test_data_pos: EXPECTATION FAILED at en/zc_test.c:70
    not ok 2 mlx5e_zc_test_data_pos
    # module: mlx5_core
# mlx5e_zc: pass:1 fail:1 skip:0 total:2
# Totals: pass:1 fail:1 skip:0 total:2
not ok 1 mlx5e_zc
EOF
kunit() { KUNIT_RESULTS=$work/kunit bash "$ZCRX_TOP/scripts/guest/kunit.sh"; }
expect "a failed KUnit case fails by name" \
	"$(kunit | tap --expect kunit:mlx5e_zc | xargs)" \
	"ok mlx5e_zc: mlx5e_zc_test_hd_slots fail mlx5e_zc: mlx5e_zc_test_data_pos"
sed -i 's/^    not ok 2 /    ok 2 /; s/^not ok 1 mlx5e_zc/ok 1 mlx5e_zc/' "$work/kunit/mlx5e_zc/results"
expect "passing KUnit cases pass" \
	"$(kunit | tap --expect kunit:mlx5e_zc | xargs)" \
	"ok mlx5e_zc: mlx5e_zc_test_hd_slots ok mlx5e_zc: mlx5e_zc_test_data_pos"
rm "$work/kunit/mlx5e_zc/results"
expect "a KUnit suite that did not run fails" \
	"$(kunit | tap --expect kunit:mlx5e_zc | cut -f1 | xargs)" "fail"

# Host tests: "skip: " lines count, and a script that died after some
# results fails.
hr() { bash "$ZCRX_TOP/scripts/host-results.sh" "$@"; }
expect "host skips are counted" "$(printf 'ok: a\nskip: b\n# note\nFAILED: c\n' | hr host/x 1)" \
"ok	host/x: a
skip	host/x: b
fail	host/x: c"
expect "a host test that died after passing results" "$(printf 'ok: a\n' | hr host/x 2)" \
"ok	host/x: a
fail	host/x (exit 2)"
expect "a host test without result lines counts by exit status" \
	"$(hr host/a 0 </dev/null; hr host/b 4 </dev/null; hr host/c 1 </dev/null)" \
"ok	host/a
skip	host/b
fail	host/c (exit 1)"
exit $((fails > 0))
