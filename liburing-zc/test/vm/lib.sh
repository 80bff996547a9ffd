# SPDX-License-Identifier: MIT OR LGPL-2.1
# shellcheck shell=bash
# Sourced, not run (run.sh leaves it out), by the VM scripts that feed
# zcrx-server from zcrx-send over two linked netdevsim ports (examples.sh,
# areas.sh): the TAP counters, the pair in the namespaces $A and $B that
# the script names before sourcing this, and the transfer and its checks.
# The pair and $work go at exit, after the script's own at_exit() if it
# has one.
ksft=${ZCRX_KSFT:?}
bin=${ZC_BUILD:?}
n=0
failed=0
work=$(mktemp -d)

ok() { n=$((n + 1)); echo "ok $n $*"; }
# shellcheck disable=SC2034	# failed is the sourcing script's exit status
bad() { n=$((n + 1)); failed=1; echo "not ok $n $*"; }
check() {	# check DESCRIPTION command...
	local d=$1
	shift
	if "$@"; then ok "$d"; else bad "$d"; fi
}

cleanup() {
	"$ksft/nsim_env.sh" down $A $B 2>/dev/null
	if declare -F at_exit >/dev/null; then at_exit; fi
	rm -rf "$work"
}
trap cleanup EXIT

"$ksft/nsim_env.sh" up $A $B 2 >/dev/null
case $? in
0) ;;
4) echo "the NIC pair (${ZCRX_NIC:-netdevsim}) is not available"; exit 4 ;;
*) echo "could not set up the NIC pair"; exit 1 ;;
esac

# field NAME FILE: a value of the "result:" line
field() { sed -n "s/^result:.* $1=\\([^ ]*\\).*/\\1/p" "$2"; }

# xfer NAME SIZE PORT SERVER-ARGS...: zcrx-server in B, zcrx-send from A
# (over IPv6 if SERVER-ARGS has -6); leaves the server's output in
# $work/NAME
xfer() {
	local name=$1 size=$2 port=$3 addr=192.0.2.2 rc
	shift 3
	case " $* " in *" -6 "*) addr=2001:db8::2 ;; esac
	ip netns exec $B timeout 600 "$bin/examples/zcrx-server" -i eth0 -q 1 -p "$port" \
		-s "$size" "$@" >"$work/$name" 2>&1 &
	local srv=$!
	ip netns exec $A "$bin/examples/zcrx-send" -c $addr -p "$port" -s "$size" \
		>"$work/$name.send" 2>&1
	wait $srv
	rc=$?
	[ $rc -eq 0 ] || sed 's/^/  /' "$work/$name" "$work/$name.send"
	return $rc
}

# zero_copy NAME BYTES: the whole transfer arrived, none of it copied
zero_copy() {
	[ "$(field bytes "$work/$1")" = "$2" ] &&
		[ "$(field zc_bytes "$work/$1")" = "$2" ] &&
		[ "$(field copy_bytes "$work/$1")" = 0 ] ||
		{ grep '^result:' "$work/$1" | sed 's/^/  /'; false; }
}
