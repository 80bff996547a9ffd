#!/bin/bash
# SPDX-License-Identifier: MIT OR LGPL-2.1
#
# The NIC helper (io_uring_zcrx_nic_*) through zcrx-nic, on a netdevsim
# port with 4 rx queues: setup turns tcp-data-split on and adds an ntuple
# rule and takes the queue out of the RSS indirection table, every way of
# ending restores it (SIGTERM, the atexit() handler,
# kill -9 then "zcrx-nic restore", kill -9 then the next setup), a second
# holder is refused, split that was on stays on, a queue bound by an
# io_uring (zcrx-server) keeps split on until its ring is gone, and bad
# arguments leave nothing behind.
#
# Run by run.sh with ZCRX_KSFT (nsim_env.sh, zcrx_nic) and ZC_BUILD set.
# Exits 0 if every check passes, 1 if one fails, 4 without netdevsim.
# Process starts are slow in the emulated guest: the checks use shell
# builtins where they can, and zcrx-nic -N rather than ip netns exec.
set -u

NS_A=zcnic-a-$$
NS_B=zcnic-b-$$
NIC=$ZC_BUILD/examples/zcrx-nic
KSFT_NIC=$ZCRX_KSFT/zcrx_nic
SERVER=$ZC_BUILD/examples/zcrx-server
export LIBURING_ZC_STATE_DIR=/run/zcrx-nic-test.$$
OUT=/tmp/zcrx-nic-test.$$
n=0
failed=0
holder=
hfd=
server=

ok() {
	n=$((n + 1))
	echo "ok $n $*"
}

not_ok() {
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n $*"
}

# check DESCRIPTION COMMAND...: one TAP line for COMMAND's status
check() {
	local what=$1

	shift
	if "$@"; then ok "$what"; else not_ok "$what"; fi
}

cleanup() {
	[ -n "$holder" ] && kill -9 "$holder" 2>/dev/null
	[ -n "$server" ] && kill -9 "$server" 2>/dev/null
	"$ZCRX_KSFT/nsim_env.sh" down "$NS_A" "$NS_B" 2>/dev/null
	rm -rf "$OUT" "$LIBURING_ZC_STATE_DIR"
}

# has FILE PATTERN: a line of FILE matches the glob PATTERN (extglob: a
# "(" must not follow a "*")
has() {
	local line

	while IFS= read -r line; do
		# shellcheck disable=SC2053
		[[ $line == $2 ]] && return 0
	done <"$1"
	return 1
}

# the state files of the test's directory
state_files() {
	local f c=0

	for f in "$LIBURING_ZC_STATE_DIR"/*.nic; do
		[ -e "$f" ] && c=$((c + 1))
	done
	echo $c
}

# tcp-data-split of NS_B's eth0 (on, off), as the kselftests' tool reads it
hds() {
	"$KSFT_NIC" -N "$NS_B" eth0 hds
}

# the number of ntuple rules of NS_B's eth0, as ethtool(8) counts them
rules() {
	ip netns exec "$NS_B" ethtool -n eth0 2>/dev/null |
		sed -n 's/^Total \([0-9]*\) rules.*/\1/p'
}

# "zcrx-nic show eth0" of NS_B into $OUT/show
show() {
	"$NIC" -N "$NS_B" show eth0 >"$OUT/show" 2>&1
}

# shows PATTERN...: $OUT/show has a line matching each PATTERN
shows() {
	local p

	for p; do
		has "$OUT/show" "$p" || return 1
	done
}

# rss_check Q: the RSS table of $OUT/show has entries and none is Q;
# rss_check default: it is the default spread over 4 queues (i % 4)
rss_check() {
	local line i=0 e

	while IFS= read -r line; do
		[[ $line == "rss table ("*"):"* ]] || continue
		set -- ${line#*:}
		[ $# -gt 0 ] || return 1
		for e; do
			if [ "$Q" = default ]; then
				[ "$e" = $((i % 4)) ] || return 1
			else
				[ "$e" != "$Q" ] || return 1
			fi
			i=$((i + 1))
		done
		return 0
	done <"$OUT/show"
	return 1
}

rss_without() { Q=$1 rss_check; }
rss_default() { Q=default rss_check; }

# the device as before any setup: split off, no rule, the default RSS
# table, no state file
pristine() {
	show && shows 'tcp-data-split: off' 'ntuple rules: 0' && rss_default &&
		[ "$(state_files)" = 0 ]
}

# start_holder ARGS...: "zcrx-nic setup eth0 ARGS" in NS_B, in the
# background, its output in $OUT/holder; 0 once it is ready, 1 if it
# exits (or takes 60 s) instead
start_holder() {
	local line

	: >"$OUT/holder"
	"$NIC" -N "$NS_B" setup eth0 "$@" >"$OUT/fifo" 2>>"$OUT/holder" &
	holder=$!
	exec {hfd}<"$OUT/fifo"
	while IFS= read -r -t 60 -u "$hfd" line; do
		echo "$line" >>"$OUT/holder"
		[ "$line" = ready ] && return 0
	done
	exec {hfd}<&-
	kill -9 "$holder" 2>/dev/null
	wait "$holder" 2>/dev/null
	holder=
	return 1
}

# stop_holder SIGNAL: send it, and return the holder's exit status
stop_holder() {
	local rc

	kill -"$1" "$holder"
	wait "$holder" 2>/dev/null
	rc=$?
	exec {hfd}<&-
	holder=
	return $rc
}

# fails ERRNO_TEXT ARGS...: "zcrx-nic ARGS" in NS_B fails naming ERRNO_TEXT
fails() {
	local want=$1

	shift
	"$NIC" -N "$NS_B" "$@" >"$OUT/cmd" 2>&1 && return 1
	has "$OUT/cmd" "*$want*"
}

# prints ARGS...: "zcrx-nic ARGS" in NS_B succeeds and prints a line LINE
prints() {
	local want=$1

	shift
	"$NIC" -N "$NS_B" "$@" >"$OUT/cmd" 2>&1 && has "$OUT/cmd" "$want"
}

# holder_state PATTERN...: eth0's state file has lines matching them all
holder_state() {
	local p f=("$LIBURING_ZC_STATE_DIR"/*-eth0.nic)

	for p; do
		has "${f[0]}" "$p" || return 1
	done
}

holder_pid_in_state() {
	holder_state "pid $holder *"
}

[ -x "$NIC" ] || { echo "no $NIC (build liburing-zc first)"; exit 1; }
mkdir -p "$OUT" && mkfifo "$OUT/fifo" "$OUT/fifo2" || exit 1
trap cleanup EXIT
"$ZCRX_KSFT/nsim_env.sh" up "$NS_A" "$NS_B" 4 >/dev/null
rc=$?
[ $rc -eq 4 ] && { echo "# SKIP: no netdevsim"; exit 4; }
[ $rc -eq 0 ] || { echo "not ok 1 netdevsim pair up"; exit 1; }

check "the device starts with split off, no rule, no state file" pristine

# 1. setup, a second setup and a restore while it holds, SIGTERM
if start_holder 1 9000; then
	ok "setup eth0 1 9000 is ready"
	check "it changed hds, ntuple and rss" \
		has "$OUT/holder" 'changed: hds ntuple rss'
	check "split is on" test "$(hds)" = on
	check "ethtool -n shows one rule" test "$(rules)" = 1
	show
	check "the rule: tcp4 dst-port 9000 to queue 1" \
		has "$OUT/show" '  [0-9]*: tcp4 dst-port 9000 queue 1'
	check "the RSS table leaves queue 1 out" rss_without 1
	check "the state file names the holder" holder_pid_in_state
	check "a second setup while the holder lives: EBUSY" \
		fails 'Device or resource busy (EBUSY)' setup eth0 2 9001
	check "restore while the holder lives: EBUSY" \
		fails 'Device or resource busy (EBUSY)' restore eth0
	check "SIGTERM: the holder restores and exits 0" stop_holder TERM
	check "split is off again" test "$(hds)" = off
	check "ethtool -n shows no rule" test "$(rules)" = 0
	check "no state file" test "$(state_files)" = 0
else
	not_ok "setup eth0 1 9000 is ready: $(<"$OUT/holder")"
fi

# 2. kill -9, then zcrx-nic restore
if start_holder 2 9100; then
	stop_holder KILL
	check "kill -9 leaves the state file" test "$(state_files)" = 1
	show
	check "and split on, the rule, and queue 2 out of the RSS table" \
		eval "shows 'tcp-data-split: on' 'ntuple rules: 1' && rss_without 2"
	check "zcrx-nic restore restores" prints restored restore eth0
	check "after restore: split off, no rule, no state file" pristine
	check "a second restore: nothing to restore, exit 0" \
		prints 'nothing to restore' restore eth0
else
	not_ok "setup eth0 2 9100 is ready: $(<"$OUT/holder")"
fi

# 3. kill -9, then the next setup restores the stale state first
if start_holder 3 9200; then
	stop_holder KILL
	if start_holder 1 9300 -6 --src-port 5000; then
		ok "setup over a stale state file is ready"
		show
		check "the stale rule is gone, the new one (tcp6) is in" \
			shows 'ntuple rules: 1' \
			'*: tcp6 dst-port 9300 src-port 5000 queue 1'
		check "the state file names the new holder" holder_pid_in_state
		check "it changed hds, ntuple and rss" \
			has "$OUT/holder" 'changed: hds ntuple rss'
		check "the RSS table leaves queue 1 out" rss_without 1
		check "SIGTERM restores" stop_holder TERM
		check "split off, no rule, no state file" pristine
	else
		not_ok "setup over a stale state file: $(<"$OUT/holder")"
	fi
else
	not_ok "setup eth0 3 9200 is ready: $(<"$OUT/holder")"
fi

# 4. the atexit() handler restores
if start_holder 1 9400 --atexit; then
	check "--atexit: the holder exits 0 on SIGTERM" stop_holder TERM
	check "the atexit handler restored: split off, no rule, no state" \
		pristine
else
	not_ok "setup eth0 1 9400 --atexit is ready: $(<"$OUT/holder")"
fi

# 5. split that was on before setup stays on
"$KSFT_NIC" -N "$NS_B" eth0 hds on
if start_holder 1 9500 --no-rss; then
	check "split already on: setup changed only ntuple" \
		has "$OUT/holder" 'changed: ntuple'
	check "SIGTERM restores" stop_holder TERM
	show
	check "split stays on, the rule is gone" \
		shows 'tcp-data-split: on' 'ntuple rules: 0'
	check "no state file" test "$(state_files)" = 0
else
	not_ok "setup eth0 1 9500 with split on: $(<"$OUT/holder")"
fi
"$KSFT_NIC" -N "$NS_B" eth0 hds off

# 6. a queue bound to a memory provider keeps split on: restore undoes
# the rest, leaves split in the state file, and finishes once the ring
# that holds the queue is gone
if [ ! -x "$SERVER" ]; then
	ok "# SKIP restore with a bound queue: no $SERVER"
elif start_holder 1 9600; then
	ip netns exec "$NS_B" "$SERVER" -i eth0 -q 1 -p 9600 \
		>"$OUT/fifo2" 2>"$OUT/server" &
	server=$!
	exec {sfd}<"$OUT/fifo2"
	bound=
	while IFS= read -r -t 60 -u "$sfd" line; do
		echo "$line" >>"$OUT/server"
		[[ $line == listening* ]] && { bound=1; break; }
	done
	if [ -n "$bound" ]; then
		ok "zcrx-server holds queue 1 of eth0"
		stop_holder TERM
		einval='*restore eth0: Invalid argument (EINVAL)'
		check "SIGTERM while it does: the restore fails with EINVAL" \
			has "$OUT/holder" "$einval"
		check "the state file keeps split, owned by nobody" \
			holder_state 'pid 0 0' 'undo_hds off'
		check "but not the rule" eval '! holder_state "undo_ntuple *"'
		show
		check "split is still on, the rule is gone" \
			shows 'tcp-data-split: on' 'ntuple rules: 0'
		kill -9 "$server"
		wait "$server" 2>/dev/null
		check "zcrx-server killed: zcrx-nic restore finishes" \
			prints restored restore eth0
		check "split off, no rule, no state file" pristine
	else
		not_ok "zcrx-server holds queue 1 of eth0: $(<"$OUT/server")"
		kill -9 "$server" 2>/dev/null
		wait "$server" 2>/dev/null
		stop_holder TERM
	fi
	exec {sfd}<&-
	server=
else
	not_ok "setup eth0 1 9600 is ready: $(<"$OUT/holder")"
fi

# 7. bad arguments
check "queue 4 of 4: ERANGE" \
	fails 'Numerical result out of range (ERANGE)' setup eth0 4 9000
check "unknown device: ENODEV" \
	fails 'No such device (ENODEV)' setup eth9 1 9000
check "port 0: EINVAL" fails 'Invalid argument (EINVAL)' setup eth0 1 0
check "the refused setups left nothing behind" pristine

echo "1..$n"
[ $failed -eq 0 ]
