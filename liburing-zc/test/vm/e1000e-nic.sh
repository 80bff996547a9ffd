#!/bin/bash
# SPDX-License-Identifier: MIT OR LGPL-2.1
# The NIC helper on a device without ntuple rules: two e1000e (82574L)
# wired back to back, two rx queues each.  zcrx-server -n finds no ntuple
# rules, accepts the connection and steers it to rx queue 1 through the
# RSS indirection table (io_uring_zcrx_nic_setup_conn): while it holds the
# device, exactly one entry of the table (the one the device's hash of
# the connection picks) points at queue 1, and the connection's frames
# arrive there, over IPv4, IPv6 and IPv4-mapped IPv6; a clean exit, or
# "zcrx-nic restore" after a kill -9, puts the table and split back as
# they were; what the helper cannot do fails with an errno and leaves
# nothing changed.
#
# Run by run.sh --nic e1000e, in a VM with the pair (scripts/vm-run --nic
# e1000e).  Exits 0 if every check passes, 1 if one fails, 4 without the
# pair.
set -u
A=zc-e1k-a
B=zc-e1k-b
export ZCRX_NIC=e1000e
export LIBURING_ZC_STATE_DIR=/run/liburing-zc-e1k-test
at_exit() { rm -rf "$LIBURING_ZC_STATE_DIR"; }
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

hds() { "$ksft/zcrx_nic" -N $B eth0 hds; }
stat() { "$ksft/zcrx_nic" -N $B eth0 stat "$1"; }
# the RSS indirection table of B's eth0, one line
table() {
	ip netns exec $B ethtool -x eth0 |
		awk '/^ *[0-9]+: /{ for (i = 2; i <= NF; i++) printf "%s ", $i }'
}
# the number of entries of the table in $1 that point at queue $2
entries() { local e c=0; for e in $1; do [ "$e" = "$2" ] && c=$((c + 1)); done; echo $c; }
state_left() { compgen -G "$LIBURING_ZC_STATE_DIR/*" >/dev/null; }

"$ksft/nsim_env.sh" hds $B off
orig=$(table)
check "before the helper: split off, a table of 128 entries over both queues" \
	test "$(hds)-$(entries "$orig" 0)-$(entries "$orig" 1)" = "off-64-64"

# A clean run: the connection's bytes all arrive, verified; once it is
# steered and the queue bound, its frames take queue 1 and the NIC writes
# them into the area (what came before, on either queue, is copied).
q1=$(stat rx_queue_1_packets)
check "server -n on e1000e: 16 MiB intact" xfer conn 16777216 9500 -n
check "server -n on e1000e: the helper turned split on and rewrote the table" \
	grep -q 'changed: split rss' "$work/conn"
zc=$(field zc_bytes "$work/conn")
d1=$(($(stat rx_queue_1_packets) - q1))
echo "# zero copy ${zc:-?} bytes, copied $(field copy_bytes "$work/conn"); frames on queue 1: $d1"
check "server -n on e1000e: most of it zero copy, on queue 1" \
	test "${zc:-0}" -ge $((8 << 20)) -a $d1 -ge $(((8 << 20) / 1448))
check "server -n on e1000e: split off and the table as it was after a clean exit" \
	test "$(hds)-$(table)" = "off-$orig"
check "server -n on e1000e: no state file after a clean exit" eval '! state_left'

# Killed in the middle: the changes stay for "zcrx-nic restore", and show
# what the helper did: one entry for the connection, no other on queue 1.
ip netns exec $B "$bin/examples/zcrx-server" -i eth0 -q 1 -p 9501 -n \
	>"$work/kill" 2>&1 &
srv=$!
ip netns exec $A "$bin/examples/zcrx-send" -c 192.0.2.2 -p 9501 -s 4G \
	>/dev/null 2>&1 &
snd=$!
for _ in $(seq 300); do
	grep -q 'MiB/s' "$work/kill" && break
	sleep 0.2
done
check "killed server: it was receiving" grep -q 'MiB/s' "$work/kill"
kill -9 $srv
wait $srv 2>/dev/null
kill $snd 2>/dev/null
wait $snd 2>/dev/null
held=$(table)
check "killed server: one entry of the table points at queue 1, 127 at queue 0" \
	test "$(entries "$held" 1)-$(entries "$held" 0)" = "1-127"
check "killed server: its state file is left, with the table to restore" \
	grep -q '^undo_rss default 128$' "$LIBURING_ZC_STATE_DIR"/*
# the killed ring lets go of the queue in a kernel worker, which resets
# the MAC: until then split cannot go off (restore waits 2 s at most)
restore() {
	local i

	for i in 1 2 3 4 5; do
		ip netns exec $B "$bin/examples/zcrx-nic" restore eth0 >"$work/restore" 2>&1 &&
			return 0
		sleep 2
	done
	sed 's/^/  /' "$work/restore"
	return 1
}
check "zcrx-nic restore undoes the changes" restore
check "after the restore: split off, the table as it was, no state file" \
	test "$(hds)-$(table)-$(ls "$LIBURING_ZC_STATE_DIR" 2>/dev/null | wc -l)" = "off-$orig-0"

# IPv6, then an IPv4 client of an IPv6 listener (an IPv4-mapped socket,
# an IPv4 flow on the wire): the hash of each is the device's.
check "server -n over IPv6: 16 MiB intact" xfer conn6 16777216 9502 -n -6
zc=$(field zc_bytes "$work/conn6")
check "server -n over IPv6: most of it zero copy" test "${zc:-0}" -ge $((8 << 20))
mapped() {
	ip netns exec $B timeout 600 "$bin/examples/zcrx-server" -i eth0 -q 1 -p 9503 -n -6 \
		-s 16M >"$work/mapped" 2>&1 &
	local srv=$!
	ip netns exec $A "$bin/examples/zcrx-send" -c 192.0.2.2 -p 9503 -s 16M \
		>/dev/null 2>&1
	wait $srv || { sed 's/^/  /' "$work/mapped"; false; }
}
check "server -n -6 fed over IPv4 (a mapped address): 16 MiB intact" mapped
zc=$(field zc_bytes "$work/mapped")
check "server -n -6 fed over IPv4: most of it zero copy" test "${zc:-0}" -ge $((8 << 20))

# The helper's errors: an ntuple rule, a queue the NIC lacks; neither
# leaves a change behind.
check "zcrx-nic setup (an ntuple rule) fails on e1000e with EOPNOTSUPP" \
	eval 'ip netns exec $B timeout 30 "$bin/examples/zcrx-nic" setup eth0 1 9504 2>&1 |
		grep -q EOPNOTSUPP'
q2() {
	ip netns exec $B timeout 60 "$bin/examples/zcrx-server" -i eth0 -q 2 -p 9505 -n \
		>"$work/q2" 2>&1
	local rc=$?
	[ $rc -ne 0 ] && [ $rc -ne 124 ] && grep -q 'Numerical result out of range' "$work/q2" ||
		{ echo "  exit $rc: $(cat "$work/q2")"; false; }
}
check "server -n for queue 2 of a two-queue NIC: ERANGE" q2
check "after the failures: split off, the table as it was, no state file" \
	test "$(hds)-$(table)-$(ls "$LIBURING_ZC_STATE_DIR" 2>/dev/null | wc -l)" = "off-$orig-0"
exit $failed
