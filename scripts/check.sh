#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs on the host; called by make check and make check-full.
# make check: build what is needed, run the host tests and the kselftests
# in the VM (debug kernel), and end with one line "N passed, N failed".
# With ZCRX_CHECK_FULL=1 (make check-full) it also runs the repetitions:
# the swiotlb boot runs every transfer size, both e1000e boots transfer
# up to 256 MiB, and one more boot runs the stress campaign's full
# profile (make check runs its quick profile).
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
stage base bash "$ZCRX_TOP/scripts/tree/base.sh"
note "base: $ZCRX_PKG $(cat "$logs/base.log" | tail -n1)"
stage assemble python3 "$ZCRX_TOP/scripts/tree/series.py" assemble
stage kernel bash "$ZCRX_TOP/scripts/kernel.sh" debug
grep -a '==> ' "$logs/kernel.log"
stage selftests bash "$ZCRX_TOP/scripts/selftests.sh" debug
ks=$(tail -n1 "$logs/selftests.log")
stage liburing-zc make -C "$ZCRX_TOP/liburing-zc" \
	KSFT_DIR="$ZCRX_TREE/tools/testing/selftests"
# make bench's receivers run once in the VM (below): TCP_ZEROCOPY_RECEIVE
# through the tree's own tcp_mmap, built as make bench builds it
stage tcp_mmap gcc -O2 -Wall -isystem "${ZCRX_BUILD:-$ZCRX_CACHE/build}/debug/usr/include" \
	-o "$logs/tcp_mmap" "$ZCRX_TREE/tools/testing/selftests/net/tcp_mmap.c" \
	-lpthread -lcrypto
note "built in $(( $(date +%s) - t0 ))s"

# Host tests: a script each; "ok: " / "skip: " / "FAILED: " lines count one
# test each, otherwise the exit status counts (4 = skip, as in kselftest).
# mlx5-build.sh, a compiler's work, runs beside the others, which mostly
# leave one core idle; its results are counted after theirs.
host_results() {	# host_results NAME LOG EXIT_STATUS
	local shown=0 res rname

	while IFS=$'\t' read -r res rname; do
		if [ "$res" = fail ] && [ $shown -eq 0 ] && ! grep -q '^FAILED: ' "$2"; then
			tail -n 15 "$2"
			shown=1
		fi
		result "$res" "$rname"
	done < <(bash "$ZCRX_TOP/scripts/host-results.sh" "$1" "$3" <"$2")
}
bg_test=$ZCRX_TOP/scripts/tests/mlx5-build.sh
note "host/mlx5-build (beside the other host tests)"
(nice -n 10 bash "$bg_test" >"$logs/mlx5-build.log" 2>&1; echo $? >"$logs/mlx5-build.rc") &
bg_pid=$!
for t in "$ZCRX_TOP"/scripts/tests/*.sh; do
	[ "$t" != "$bg_test" ] || continue
	name=host/$(basename "$t" .sh)
	note "$name"
	log=$logs/${name#host/}.log
	bash "$t" >"$log" 2>&1
	host_results "$name" "$log" $?
done
wait $bg_pid
host_results host/mlx5-build "$logs/mlx5-build.log" "$(cat "$logs/mlx5-build.rc" 2>/dev/null || echo 125)"
grep -h '^mlx5_core (' "$logs/mlx5-build.log" | sed 's/^/==> /'
note "host tests done at $(( $(date +%s) - t0 ))s"

# The VM tests, in five boots of the debug kernel, in two lanes side by
# side (a TCG guest keeps one host core busy):
#   main      the KUnit suites' results (they ran at boot: mlx5e's),
#             the stress campaign's quick profile (10,000 operations, a
#             new seed each run, printed with the command that replays
#             it), the io_uring and provider kselftests, the upstream
#             netdevsim tests and liburing-zc's VM tests;
#   hardening the TCP transfer, urgent-data, lifetime, queue and
#             checksum kselftests, the benchmark's smoke run, and then
#   swiotlb   transfers again with every DMA mapping bounced
#             (swiotlb=force): one of each kind, every size with
#             ZCRX_CHECK_FULL=1;
#   stress    (ZCRX_CHECK_FULL=1 only, after main) the stress campaign's
#             full profile;
#   e1000e    (after swiotlb) zero-copy receive through e1000e: two
#             emulated 82574L wired back to back: the transfer,
#             registration and pressure suites (iou_zcrx_data up to
#             64 MiB, iou_zcrx_reg, iou_zcrx_pressure) with
#             ZCRX_NIC=e1000e, then e1000e_zcrx.sh (transfers of 1 B to
#             1 MiB; iou_zcrx_data sent 64 MiB);
#   e1000e-iommu (after main) behind QEMU's emulated Intel IOMMU in
#             strict mode (every unmap invalidated at once, so that a
#             late DMA faults at once instead of going through a stale
#             translation): the teardown and lifetime suites
#             (iou_zcrx_teardown, iou_zcrx_life) with ZCRX_NIC=e1000e,
#             e1000e_zcrx.sh with transfers up to 1 MiB (the 64 MiB ones
#             take minutes there), then liburing-zc's NIC helper on the
#             pair (test/vm/e1000e-*.sh; TAP in vm-e1000e-iommu/lib.tap,
#             counted with the other lanes'), and last the teardown
#             suite in the selftests' real-hardware mode on the pair
#             (scripts/guest/hw-mode.sh; TAP in vm-e1000e-iommu/hw.tap,
#             counted as "vm/hw: ...").  make check-full runs all
#             five suites in both, e1000e_zcrx.sh up to 256 MiB.  The
#             lanes take about as long.
# Each run's TAP goes to $logs/NAME.tap; the programs the sources name are
# expected across main, hardening and swiotlb, and each e1000e boot's
# programs in its own count (its results named after the boot).
ksft_tests() {	# ksft_tests PROG...: run_kselftest.sh arguments
	local p
	for p in "$@"; do
		printf ' -t zcrx:%s' "$p"
	done
}
full=${ZCRX_CHECK_FULL:-0}
# The guests inherit the environment: the stress settings of make stress
# are not make check's (its own profile, a new seed each run), nor are a
# NIC, an IOMMU or kernel arguments meant for vm-run by hand (each boot
# says its own).  ZCRX_VM_MEM and ZCRX_VM_ACCEL stay the user's.
unset "${!ZCRX_STRESS_@}" "${!E1000E_ZCRX_@}" ZCRX_NIC ZCRX_VM_NIC ZCRX_VM_IOMMU \
	ZCRX_VM_APPEND ZCRX_IF ZCRX_PEER_IF "${!ZCRX_ADDR@}" "${!ZCRX_PEER_ADDR@}"
[ "$full" = 1 ] && full=--full || full=
# nsim_tcp's 64 MiB transfers take up to five minutes each under the debug
# kernel: make check runs one (IPv4, no split) and the 1 MiB ones of every
# kind; make check-full runs them all.
tcp_sizes="KSELFTEST_NSIM_TCP_ARGS='-V ipv6_64m -V split_ipv4_64m -V split_ipv6_64m'"
[ -z "$full" ] || tcp_sizes=
# Measured from an empty cache (2-core machine): main 2124 s (the stress
# campaign's 10,000 operations about 350 s of it), hardening 1704 s (the
# benchmark's receivers about 360 s of it) + swiotlb 239 s; after
# nsim_csum.sh moved, on a quieter host, main 1024 s, hardening 1131 s +
# swiotlb 145 s.
# The stress campaign first: its kmemleak scan at the end then speaks for
# it alone (the boot's own scan, at the end, covers the rest).
# nsim_csum.sh runs in the hardening lane, which was the shorter one.
main_progs=(iou_zcrx_stress iou_zcrx_query iou_zcrx_reg iou_zcrx_data iou_zcrx_pressure
	iou_zcrx_teardown iou_zcrx_nodev iou_zcrx_dmabuf nsim_provider.py)
hard_progs=(nsim_tcp iou_zcrx_urg iou_zcrx_life iou_zcrx_share iou_zcrx_events iou_zcrx_bufs
	nsim_queues.sh nsim_csum.sh)
# The kselftests run as a user who copied the installed directory into a
# VM of their own would run them: from a copy in the guest's /tmp, with no
# kernel tree in reach (they carry the netlink specs and ynl they need).
standalone="cp -a '$ks' /tmp/kselftest && cd /tmp/kselftest && unset KSRC"
# One CPU per guest: two guests side by side keep the two host cores busy.
vm() {	# vm NAME [vm-run options] -- COMMAND
	local name=$1
	shift
	$vm_nice bash "$ZCRX_TOP/scripts/vm-run" --boot-timeout 300 --smp 1 \
		--out "$logs/vm-$name" "$@" >"$logs/$name.tap" 2>"$logs/vm-$name.log"
	echo $? >"$logs/vm-$name.rc"
}
# e1000e_zcrx.sh: 1 B to 1 MiB in both boots, iou_zcrx_data up to 64 MiB
# without the IOMMU; make check-full runs 1 B to 256 MiB in both.  The
# C suites take the pair as they take netdevsim, from ZCRX_NIC.
e1k_sizes="E1000E_ZCRX_SIZES='1 4097 1M' KSELFTEST_IOU_ZCRX_DATA_ARGS='-V ipv4_256m'"
e1k_iommu_sizes="E1000E_ZCRX_SIZES='1 4097 1M'"
e1k_iommu_args=(--append iommu.strict=1)
e1k_progs=(iou_zcrx_data iou_zcrx_reg iou_zcrx_pressure)
e1k_iommu_progs=(iou_zcrx_teardown iou_zcrx_life)
# The selftests' real-hardware mode (ZCRX_NIC=hw: interfaces named by the
# environment, steering, counters and device removal found out from the
# device) on the pair, as a user with two cabled ports runs it.
hw_progs=(iou_zcrx_teardown)
# check-full's 256 MiB transfers take the suite past the zcrx directory's
# kselftest timeout (settings: 1800 s) and make check's boot timeout.
e1k_ksft=
e1k_timeout=${ZCRX_CHECK_TIMEOUT:-3000}
if [ -n "$full" ]; then
	# (iou_zcrx_data's 256 MiB would outlast its test's timeout on
	# e1000e; e1000e_zcrx.sh sends 256 MiB there)
	e1k_sizes="E1000E_ZCRX_SIZES='1 4097 1M 64M 256M' KSELFTEST_IOU_ZCRX_DATA_ARGS='-V ipv4_256m'"
	e1k_iommu_sizes=$e1k_sizes
	e1k_progs=(iou_zcrx_data iou_zcrx_reg iou_zcrx_pressure iou_zcrx_teardown iou_zcrx_life)
	e1k_iommu_progs=("${e1k_progs[@]}")
	e1k_ksft=" -o 5400"
	e1k_timeout=${ZCRX_CHECK_TIMEOUT:-7200}
fi

note "vm: kselftests, upstream tests and liburing-zc (TAP in $logs/main.tap)"
note "vm: TCP transfers, urgent data, lifetimes, queues, then swiotlb=force (TAP in $logs/hardening.tap, $logs/swiotlb.tap)"
# The main lane starts with the stress campaign, whose 10,000 operations
# have six minutes; a guest busy on both its CPUs next to it (nsim_tcp)
# took a third of its core.  The other lane yields to it (nice 10) and
# takes what the main lane leaves idle.
(
	vm_nice="nice -n 10"
	vm hardening \
		--timeout "${ZCRX_CHECK_TIMEOUT:-3000}" -- \
		"$standalone && $tcp_sizes ./run_kselftest.sh$(ksft_tests "${hard_progs[@]}");
		 bash '$ZCRX_TOP/scripts/guest/bench.sh' --smoke /tmp/kselftest/zcrx \
			'$logs/tcp_mmap' '$ZCRX_TOP/liburing-zc/build' /tmp/zcrx-bench;
		 bash '$ZCRX_TOP/scripts/guest/bench-fwd.sh' --smoke /tmp/kselftest/zcrx \
			'$ZCRX_TOP/liburing-zc/build' /tmp/zcrx-bench-fwd; true"
	vm swiotlb --timeout "${ZCRX_CHECK_TIMEOUT:-3000}" --append swiotlb=force -- \
		"bash '$ZCRX_TOP/scripts/guest/swiotlb-tests.sh' '$ks' $full; true"
	vm e1000e --nic e1000e --timeout "$e1k_timeout" -- \
		"$standalone && ZCRX_NIC=e1000e $e1k_sizes ./run_kselftest.sh$e1k_ksft$(ksft_tests "${e1k_progs[@]}") -t zcrx:e1000e_zcrx.sh; true"
) &
runs=(main hardening swiotlb e1000e e1000e-iommu)
(
	vm_nice=
	vm main --timeout "${ZCRX_CHECK_TIMEOUT:-3000}" -- \
		"bash '$ZCRX_TOP/scripts/guest/kunit.sh';
		 $standalone && ./run_kselftest.sh$(ksft_tests "${main_progs[@]}");
		 bash '$ZCRX_TOP/scripts/guest/upstream-tests.sh' '$ZCRX_TREE';
		 bash '$ZCRX_TOP/liburing-zc/test/vm/run.sh' '$ks/zcrx' '$ZCRX_TOP/liburing-zc/build'; true"
	# liburing-zc's NIC helper on e1000e here too, behind the IOMMU: this
	# lane is the shorter one; its TAP goes to a file of its own (in the
	# run's --out directory, the one the guest may write), counted with
	# the other lanes'
	# (hw.tap is appended to: run_kselftest.sh appends to its stdout
	# through /dev/stdout, which a plain redirect would write over)
	vm e1000e-iommu --nic e1000e --iommu "${e1k_iommu_args[@]}" --timeout "$e1k_timeout" -- \
		"$standalone && ZCRX_NIC=e1000e $e1k_iommu_sizes E1000E_ZCRX_IOMMU=1 ./run_kselftest.sh$e1k_ksft$(ksft_tests "${e1k_iommu_progs[@]}") -t zcrx:e1000e_zcrx.sh;
		 bash '$ZCRX_TOP/liburing-zc/test/vm/run.sh' --nic e1000e /tmp/kselftest/zcrx \
			'$ZCRX_TOP/liburing-zc/build' >'$logs/vm-e1000e-iommu/lib.tap';
		 bash '$ZCRX_TOP/scripts/guest/hw-mode.sh' /tmp/kselftest ${hw_progs[*]} \
			>>'$logs/vm-e1000e-iommu/hw.tap'; true"
	[ -z "$full" ] || (
		export ZCRX_STRESS_PROFILE=full
		vm stress --timeout 7200 -- \
			"bash '$ZCRX_TOP/scripts/guest/stress.sh' '$ks'; true"
	)
) &
wait
[ -z "$full" ] || runs+=(stress)
for run in "${runs[@]}"; do
	cat "$logs/vm-$run.log"
done
# Every program the sources name must report; a skip in the series' own
# kernel is a failure; each run itself must end cleanly.
while IFS=$'\t' read -r res name; do
	result "$res" "vm/hw: $name"
done < <(python3 "$ZCRX_TOP/scripts/tap.py" $(printf ' --expect zcrx:%s' "${hw_progs[@]}") \
	--skips-fail < <(cat "$logs/vm-e1000e-iommu/hw.tap" 2>/dev/null) ||
	printf 'fail\tcounting the TAP of ZCRX_NIC=hw failed\n')
[ -s "$logs/vm-e1000e-iommu/lib.tap" ] ||
	result fail "vm/e1000e-iommu: no TAP from liburing-zc's e1000e tests ($logs/vm-e1000e-iommu/lib.tap)"
while IFS=$'\t' read -r res name; do
	result "$res" "vm/$name"
done < <(cat "$logs/main.tap" "$logs/hardening.tap" "$logs/swiotlb.tap" \
	"$logs/vm-e1000e-iommu/lib.tap" |
	python3 "$ZCRX_TOP/scripts/tap.py" --expected-from "$ZCRX_TOP" --skips-fail \
		--not-expect zcrx:e1000e_zcrx.sh \
		$(bash "$ZCRX_TOP/scripts/guest/swiotlb-tests.sh" --list $full | sed 's/^/--expect zcrx:/') ||
	printf 'fail\tcounting the TAP failed\n')
# The e1000e boots repeat suites of the other lanes on the e1000e pair:
# their results count under names of their own.
while IFS=$'\t' read -r res name; do
	result "$res" "vm/e1000e: $name"
done < <(python3 "$ZCRX_TOP/scripts/tap.py" --expect zcrx:e1000e_zcrx.sh \
	$(printf ' --expect zcrx:%s' "${e1k_progs[@]}") --skips-fail <"$logs/e1000e.tap" ||
	printf 'fail\tcounting the TAP failed\n')
while IFS=$'\t' read -r res name; do
	result "$res" "vm/iommu: $name"
done < <(python3 "$ZCRX_TOP/scripts/tap.py" --expect zcrx:e1000e_zcrx.sh \
	$(printf ' --expect zcrx:%s' "${e1k_iommu_progs[@]}") --skips-fail <"$logs/e1000e-iommu.tap" ||
	printf 'fail\tcounting the TAP failed\n')
if [ -n "$full" ]; then
	while IFS=$'\t' read -r res name; do
		result "$res" "vm/stress (full profile): $name"
	done < <(python3 "$ZCRX_TOP/scripts/tap.py" --expect zcrx:iou_zcrx_stress \
		--skips-fail <"$logs/stress.tap" ||
		printf 'fail\tcounting the TAP failed\n')
fi
for run in "${runs[@]}"; do
	while IFS=$'\t' read -r res name; do
		result "$res" "vm/$run: $name"
	done < <(python3 "$ZCRX_TOP/scripts/tap.py" --vm-log "$logs/vm-$run.log" \
		--vm-rc "$(cat "$logs/vm-$run.rc" 2>/dev/null || echo 125)" </dev/null ||
		printf 'fail\tcounting the %s run failed\n' "$run")
done
note "total $(( $(date +%s) - t0 ))s"
summary
