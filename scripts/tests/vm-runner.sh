#!/bin/bash
# Host test; run by scripts/check.sh (make check).
# The VM runner passes the command's exit status through, runs it in the
# current directory even under /tmp with a writable /tmp, and fails with a
# one-line cause when QEMU is missing, the kernel panics at boot, the
# command hangs, or the guest kernel reports a WARNING.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
run=$ZCRX_TOP/scripts/vm-run
fails=0
check() {
	local what=$1
	shift
	if "$@"; then
		echo "ok: $what"
	else
		echo "FAILED: $what"
		fails=$((fails + 1))
	fi
}

work=$(mktemp -d /tmp/zcrx-vmtest.XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work"
echo hello >input

# Exit status, working directory under /tmp, writable scratch space.
"$run" -q --no-kmemleak -- 'test "$(cat input)" = hello && echo x >/tmp/scratch && test -s /tmp/scratch && exit 3'
check "exit status and cwd under /tmp" test $? -eq 3

# Results (and so a build cache) under /tmp: the results share must stay
# visible below the tmpfs that hides the host's /tmp.
"$run" -q --no-kmemleak --out "$work/out" -- 'echo x >/tmp/scratch && exit 5'
check "results directory under /tmp" test $? -eq 5

# A WARNING in the guest kernel fails a command that succeeded.
msg=$("$run" -q --no-kmemleak -- 'echo WARNING >/sys/kernel/debug/provoke-crash/DIRECT' 2>&1)
rc=$?
echo "$msg" | grep -m1 'kernel reported'
check "guest WARNING fails the run" test $rc -ne 0
check "guest WARNING is named" grep -q 'kernel reported: WARNING' <<<"$msg"

# A kernel that panics at boot.
msg=$(ZCRX_VM_APPEND=init=/nonexistent-init "$run" -q -- true 2>&1)
rc=$?
echo "$msg" | grep -m1 '^vm-run:'
check "panic at boot fails the run" test $rc -ne 0
check "panic at boot is named" grep -q '^vm-run: guest kernel panic' <<<"$msg"

# A command that hangs.
msg=$("$run" -q --no-kmemleak --timeout 60 -- sleep 1000 2>&1)
rc=$?
echo "$msg" | grep -m1 '^vm-run:'
check "hang times out" test $rc -ne 0
check "timeout is named" grep -q '^vm-run: timeout after 60s' <<<"$msg"

# No QEMU.
msg=$(QEMU=/nonexistent/qemu "$run" -q -- true 2>&1)
rc=$?
echo "$msg"
check "missing qemu fails" test $rc -ne 0
check "missing qemu is named" grep -q 'not found' <<<"$msg"

[ $fails -eq 0 ]
