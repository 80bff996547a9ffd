#!/bin/bash
# SPDX-License-Identifier: MIT OR LGPL-2.1
# The examples over two linked netdevsim ports: zcrx-server (ring loop,
# kernel refill ring, huge pages, synchronous layer, NIC helper) and a
# receiver written against mainline liburing's names, each fed by
# zcrx-send; every byte is checked, and the kernel's counters must show
# that nothing was copied.  Run by run.sh in the VM.
set -u
A=zc-ex-a
B=zc-ex-b
export LIBURING_ZC_STATE_DIR=/run/liburing-zc-test
at_exit() { rm -rf "$LIBURING_ZC_STATE_DIR"; }
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

hds() { "$ksft/zcrx_nic" -N $B eth0 hds; }
rules() { ip netns exec $B ethtool -n eth0 2>/dev/null | sed -n 's/^Total \([0-9]*\) rules.*/\1/p'; }

steer() {	# steer PORT: TCP to PORT goes to queue 1
	ip netns exec $B ethtool -N eth0 flow-type tcp4 dst-port "$1" action 1 >/dev/null &&
	ip netns exec $B ethtool -N eth0 flow-type tcp6 dst-port "$1" action 1 >/dev/null
}

"$ksft/nsim_env.sh" hds $B on
steer 9100

check "server, ring loop: 32 MiB intact" xfer ring 33554432 9100
check "server, ring loop: received without a copy" zero_copy ring 33554432

check "server, IPv6, refill ring in kernel memory: 16 MiB intact" \
	xfer kring 16777216 9100 -6 -k
check "server, IPv6, refill ring in kernel memory: without a copy" \
	zero_copy kring 16777216

echo 8 >/proc/sys/vm/nr_hugepages
if [ "$(cat /proc/sys/vm/nr_hugepages)" -ge 8 ]; then
	check "server, area in huge pages: 16 MiB intact" \
		xfer huge 16777216 9100 -H -a 16M
	check "server, area in huge pages: without a copy" zero_copy huge 16777216
else
	bad "server, area in huge pages: no huge pages could be reserved"
fi
echo 0 >/proc/sys/vm/nr_hugepages

check "server, synchronous layer: 32 MiB intact" xfer sync 33554432 9100 -y
check "server, synchronous layer: received without a copy" zero_copy sync 33554432

# mainline-recv IFNAME QUEUE PORT BYTES, fed like the server
mainline() {
	ip netns exec $B "$bin/test/vm/mainline-recv" eth0 1 9100 16777216 \
		>"$work/mainline" 2>&1 &
	local rx=$!
	ip netns exec $A "$bin/examples/zcrx-send" -c 192.0.2.2 -p 9100 -s 16M \
		>/dev/null 2>&1
	wait $rx || { sed 's/^/  /' "$work/mainline"; false; }
}
check "a program written against mainline liburing's names receives 16 MiB" mainline

# The NIC helper: from a device with split off and no rules.
ip netns exec $B ethtool -N eth0 delete 1023 >/dev/null 2>&1
for loc in $(ip netns exec $B ethtool -n eth0 | sed -n 's/^Filter: //p'); do
	ip netns exec $B ethtool -N eth0 delete "$loc"
done
"$ksft/nsim_env.sh" hds $B off
check "before the helper: split off, no rules" \
	test "$(hds)-$(rules)" = "off-0"
check "server -n: the helper prepares the NIC, 16 MiB arrive without a copy" \
	xfer nic 16777216 9200 -n
check "server -n: it changed split and added a rule" \
	grep -q 'changed: split ntuple' "$work/nic"
zero_copy nic 16777216 >/dev/null || bad "server -n: data was copied"
check "server -n: split off and no rule after a clean exit" \
	test "$(hds)-$(rules)" = "off-0"
# The same for the accepted connection (io_uring_zcrx_nic_setup_conn): on
# a NIC with ntuple rules, a rule for its two ports; what arrived before
# the rule was copied, the rest not.
check "server -C: the helper prepares the NIC for the connection, 16 MiB intact" \
	xfer conn 16777216 9210 -C
check "server -C: it changed split and added a rule" \
	grep -q 'changed: split ntuple' "$work/conn"
check "server -C: most of it without a copy" \
	test "$(field zc_bytes "$work/conn")" -ge $((8 << 20))
check "server -C: split off and no rule after a clean exit" \
	test "$(hds)-$(rules)" = "off-0"

# Killed in the middle of a transfer: the state file stays behind and
# "zcrx-nic restore" undoes the changes.
ip netns exec $B "$bin/examples/zcrx-server" -i eth0 -q 1 -p 9300 -n \
	>"$work/kill" 2>&1 &
srv=$!
ip netns exec $A "$bin/examples/zcrx-send" -c 192.0.2.2 -p 9300 -s 4G \
	>/dev/null 2>&1 &
snd=$!
for _ in $(seq 100); do
	grep -q 'MiB/s' "$work/kill" && break
	sleep 0.2
done
check "killed server: it was receiving" grep -q 'MiB/s' "$work/kill"
kill -9 $srv
wait $srv 2>/dev/null
kill $snd 2>/dev/null
wait $snd 2>/dev/null
check "killed server: its changes are still there (split on, one rule)" \
	test "$(hds)-$(rules)" = "on-1"
state_left() { compgen -G "$LIBURING_ZC_STATE_DIR/*" >/dev/null; }
restore() { ip netns exec $B "$bin/examples/zcrx-nic" restore eth0 >/dev/null; }
check "killed server: its state file is left" state_left
check "zcrx-nic restore undoes them" restore
check "after the restore: split off, no rules, no state file" \
	test "$(hds)-$(rules)-$(ls "$LIBURING_ZC_STATE_DIR" 2>/dev/null | wc -l)" = "off-0-0"

echo "1..$n"
exit $failed
