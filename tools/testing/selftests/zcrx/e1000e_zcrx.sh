#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# io_uring zero-copy receive through a real driver: two e1000e (82574L)
# wired back to back, one in each of two network namespaces.  The device
# writes the payload of TCP frames into the application's area by DMA (under
# QEMU, outside the guest's CPU; behind an IOMMU when the machine has one),
# headers into kernel memory.  The driver's counters (rx_header_split,
# rx_mp_bytes, rx_mp_drops) and the ring's own (zc_bytes,
# copy_bytes) prove where the bytes went; every byte is checked.
#
# Needs the two interfaces (scripts/vm-run --nic e1000e); skips without
# them.  E1000E_ZCRX_SIZES lists the transfer sizes (default: 1 B to
# 64 MiB; make check-full adds 256 MiB), E1000E_ZCRX_CYCLES the ring
# resizes and link flaps under a stream (default 3 each).
# E1000E_ZCRX_IOMMU=1 expects the NICs behind an IOMMU.  Waits are on
# conditions, each bounded by WAIT_SECS (E1000E_ZCRX_WAIT, default 300 s;
# a transfer gets a second more per 256 KiB, the link 30 s, an unbound
# device's receiver 120 s to go away).

source "$(dirname "$0")"/../kselftest/ktap_helpers.sh
source "$(dirname "$0")"/zcrx_lib.sh

export ZCRX_NIC=e1000e
NS_A=zcrx-ea-$$
NS_B=zcrx-eb-$$
ADDR4=192.0.2.2
ADDR6=2001:db8::2
PORT=9400
ENV=./nsim_env.sh
WAIT_SECS=${E1000E_ZCRX_WAIT:-300}
SIZES=${E1000E_ZCRX_SIZES:-"1 4097 1M 64M"}
CYCLES=${E1000E_ZCRX_CYCLES:-3}
[[ $CYCLES =~ ^[1-9][0-9]*$ ]] || { echo "E1000E_ZCRX_CYCLES: '$CYCLES' is not a count" >&2; exit 1; }
TMP=$(mktemp -d)

cleanup() {
	local p

	for p in $(jobs -p); do
		kill -9 "$p" 2>/dev/null
	done
	wait 2>/dev/null
	$ENV down $NS_A $NS_B
	rm -rf "$TMP"
}

counter() {
	$ENV stat $NS_B "$1"
}

# A zero-copy receiver on rx queue RXQ (default 0) of B: "rx_zc NAME
# [zcrx_xfer args]"; its pid goes to RX, its output to $TMP/NAME.rx.
rx_zc() {
	local name=$1

	shift
	rm -f "$TMP/$name.ready"
	./zcrx_xfer -l -N $NS_B -p $PORT -z eth0:${RXQ:-0} -r "$TMP/$name.ready" "$@" \
		>"$TMP/$name.rx" 2>&1 &
	RX=$!
	wait_file "$TMP/$name.ready" $RX ||
		{ ktap_print_msg "$name: the receiver did not start: $(cat "$TMP/$name.rx")"; return 1; }
	# binding restarted the queue, which resets the MAC: wait for the link
	wait_carrier || { ktap_print_msg "$name: no link after binding"; return 1; }
}

wait_carrier() {
	local end=$((SECONDS + 30))

	until [ "$(ip netns exec $NS_B cat /sys/class/net/eth0/carrier 2>/dev/null)" = 1 ]; do
		[ $SECONDS -lt $end ] || return 1
		sleep 0.2
	done
}

# A field of the receiver's "result:" line.
result() {
	sed -n "s/^result: .*[ ]$2=\([0-9]*\).*/\1/p" "$TMP/$1.rx"
}

# An endless sender to B (stopped by SIGUSR1); its pid goes to TX.
tx_stream() {
	./zcrx_xfer -c $ADDR4 -N $NS_A -p $PORT -u >"$TMP/$1.tx" 2>&1 &
	TX=$!
}

# Stop the endless sender and check that the receiver got every byte it
# sent, every one of them in the area (the NIC drops what it cannot split
# while the queue is bound, so nothing is copied): 0 or 1.
end_stream() {
	local name=$1 sent got zc copy bad=0

	if kill -0 $TX 2>/dev/null; then
		kill -USR1 $TX
	else
		ktap_print_msg "$name: the sender was gone early: $(cat "$TMP/$name.tx")"
		bad=1
	fi
	wait_bounded $TX || bad=1
	wait_bounded $RX || { ktap_print_msg "$name: receiver: $(tail -n 3 "$TMP/$name.rx")"; bad=1; }
	sent=$(sed -n 's/^sent: bytes=\([0-9]*\)$/\1/p' "$TMP/$name.tx")
	got=$(result "$name" bytes)
	zc=$(result "$name" zc_bytes)
	copy=$(result "$name" copy_bytes)
	ktap_print_msg "$name: sent ${sent:-?}, received ${got:-?} (zero copy ${zc:-?}, copied ${copy:-?})"
	[ -n "$sent" ] && [ "$sent" = "$got" ] && [ "$zc" = "$got" ] && [ "$copy" = 0 ] || bad=1
	return $bad
}

test_split_report() {
	[ "$(./zcrx_nic -N $NS_B eth0 hds)" = on ]
	ktap_test_result "tcp-data-split on is reported at MTU 1500" test $? -eq 0
}

# Packet split on page-pool pages, no provider: recv() gets every byte, the
# NIC split every data frame, and nothing went to a provider.
test_pages() {
	local split0 mp0 bad=0

	split0=$(counter rx_header_split)
	mp0=$(counter rx_mp_bytes)
	./zcrx_xfer -l -N $NS_B -p $PORT -S 4M >"$TMP/pages.rx" 2>&1 &
	RX=$!
	timeout $WAIT_SECS ./zcrx_xfer -c $ADDR4 -N $NS_A -p $PORT -S 4M >/dev/null || bad=1
	wait_bounded $RX || { ktap_print_msg "pages: $(cat "$TMP/pages.rx")"; bad=1; }
	[ $(($(counter rx_header_split) - split0)) -ge $(((4 << 20) / 1448)) ] ||
		{ ktap_print_msg "pages: only $(($(counter rx_header_split) - split0)) frames split"; bad=1; }
	[ "$(counter rx_mp_bytes)" = "$mp0" ] || bad=1
	ktap_test_result "recv() over packet split with page-pool pages" test $bad -eq 0
}

bytes() {
	case "$1" in
	*K) echo $((${1%K} << 10)) ;;
	*M) echo $((${1%M} << 20)) ;;
	*) echo "$1" ;;
	esac
}

# One zero-copy transfer of SIZE bytes over FAMILY (-6 or ""): every byte
# checked, every byte in the area, and the NIC's DMA put it there.
xfer() {
	local family=$1 size=$2 n mp0 mp split0 zc copy bad=0 addr=$ADDR4

	[ "$family" = -6 ] && addr=$ADDR6
	n=$(bytes "$size")
	mp0=$(counter rx_mp_bytes)
	split0=$(counter rx_header_split)
	rx_zc xfer $family -S "$size" || bad=1
	timeout $((WAIT_SECS + n / (256 << 10))) \
		./zcrx_xfer -c $addr -N $NS_A -p $PORT -S "$size" >/dev/null || bad=1
	wait_bounded $RX || { ktap_print_msg "xfer: $(tail -n 3 "$TMP/xfer.rx")"; bad=1; }
	zc=$(result xfer zc_bytes)
	copy=$(result xfer copy_bytes)
	mp=$(($(counter rx_mp_bytes) - mp0))
	[ "$zc" = "$n" ] && [ "$copy" = 0 ] && [ $mp -ge "$n" ] &&
		[ "$(counter rx_header_split)" -gt "$split0" ] || bad=1
	[ $bad -eq 0 ] ||
		ktap_print_msg "$size: zero copy '$zc', copied '$copy', NIC into the area $mp bytes"
	return $bad
}

test_xfer() {
	local v=4

	[ "$1" = -6 ] && v=6
	xfer "$@"
	ktap_test_result "IPv$v zero-copy transfer of $2" test $? -eq 0
}

# Frames the NIC does not split (here the fragments of a UDP datagram
# larger than the MTU), and frames of other protocols, which it splits
# after the IP header (ICMP), must not reach the stack from the area:
# dropped and counted while the queue is bound; delivered once it is free
# again.
test_unsplit() {
	local drops0 bad=0 bad_icmp=0 got rx t0 t1

	rx_zc unsplit || bad=1
	tx_stream unsplit
	wait_counter rx_mp_bytes $(($(counter rx_mp_bytes) + (1 << 20))) $TX || bad=1
	drops0=$(counter rx_mp_drops)
	ip netns exec $NS_A python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(8):
    s.sendto(bytes([i]) * 3000, ("'$ADDR4'", 9))
' || bad=1
	# each datagram is three fragments: the first two run into the page
	# buffers (dropped), the last one fits in buffer 0 (no provider
	# buffer in it: the stack gets it and reassembly times out)
	wait_counter rx_mp_drops $((drops0 + 16)) $TX ||
		{ ktap_print_msg "unsplit: $(($(counter rx_mp_drops) - drops0)) drops counted"; bad=1; }
	drops0=$(counter rx_mp_drops)
	ip netns exec $NS_A python3 -c '
import socket, struct
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
body = bytes(range(256)) * 2
for seq in range(4):
    h = struct.pack("!BBHHH", 8, 0, 0, 0x5a5a, seq)
    c = sum(struct.unpack("!%dH" % ((len(h) + len(body)) // 2), h + body))
    while c >> 16:
        c = (c & 0xffff) + (c >> 16)
    s.sendto(struct.pack("!BBHHH", 8, 0, ~c & 0xffff, 0x5a5a, seq) + body,
             ("'$ADDR4'", 0))
' || bad_icmp=1
	wait_counter rx_mp_drops $((drops0 + 4)) $TX ||
		{ ktap_print_msg "icmp: $(($(counter rx_mp_drops) - drops0)) drops counted"; bad_icmp=1; }
	end_stream unsplit || { bad=1; bad_icmp=1; }
	ktap_test_result "unsplit frames are dropped and counted while bound" test $bad -eq 0
	ktap_test_result "ICMP is dropped and counted while bound" test $bad_icmp -eq 0

	# Once the queue is free (the restart that unbinding is ends in a
	# kernel worker), the same datagrams are delivered whole.  The sender
	# repeats its datagram (every 0.5 s, for at most WAIT_SECS) until the
	# receiver has one.
	t0=$SECONDS
	ip netns exec $NS_B python3 -c '
import os, socket
r = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
r.bind(("'$ADDR4'", 9400))
open("'"$TMP"'/frag.ready", "w").close()
d, _ = r.recvfrom(65536)
with open("'"$TMP"'/frag.tmp", "w") as f:
    print("ok" if d == b"\x07" * 3000 else "bad %d" % len(d), file=f)
os.rename("'"$TMP"'/frag.tmp", "'"$TMP"'/frag.done")
' >"$TMP/frag.rx" 2>&1 &
	rx=$!
	wait_file "$TMP/frag.ready" $rx ||
		ktap_print_msg "fragments: the receiver did not start: $(cat "$TMP/frag.rx")"
	t1=$SECONDS
	if [ -e "$TMP/frag.ready" ] && ! ip netns exec $NS_A python3 -c '
import os, socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(2 * '$WAIT_SECS'):
    s.sendto(b"\x07" * 3000, ("'$ADDR4'", 9400))
    time.sleep(0.5)
    if os.path.exists("'"$TMP"'/frag.done"):
        break
' >"$TMP/frag.tx" 2>&1; then
		ktap_print_msg "fragments: the sender failed: $(tail -n 2 "$TMP/frag.tx")"
	fi
	# it exits once it has its datagram
	[ -e "$TMP/frag.done" ] || kill $rx 2>/dev/null
	wait $rx 2>/dev/null
	got=$(cat "$TMP/frag.done" 2>/dev/null)
	[ "$got" = ok ] ||
		ktap_print_msg "fragments: the receiver got '$got' $(cat "$TMP/frag.rx") (started in $((t1 - t0)) s, sent for $((SECONDS - t1)) s)"
	ktap_test_result "fragments are delivered when no provider is bound" test "x$got" = xok
}

# Reconfigure B while a zero-copy stream runs: CMD runs, then the stream
# must go on, all its bytes intact and zero copy.
under_stream() {
	local name=$1 bad=0 mp

	shift
	rx_zc "$name" || bad=1
	tx_stream "$name"
	wait_counter rx_mp_bytes $(($(counter rx_mp_bytes) + (1 << 20))) $TX || bad=1
	"$@" || { ktap_print_msg "$name: '$*' failed"; bad=1; }
	mp=$(counter rx_mp_bytes)
	wait_counter rx_mp_bytes $((mp + (1 << 20))) $TX ||
		{ ktap_print_msg "$name: no zero-copy data after '$*'"; bad=1; }
	end_stream "$name" || bad=1
	return $bad
}

mtu_change() {
	ip -n $NS_A link set eth0 mtu 9000 &&
		ip -n $NS_B link set eth0 mtu 9000 &&
		sleep 2 &&
		ip -n $NS_B link set eth0 mtu 1500 &&
		ip -n $NS_A link set eth0 mtu 1500
}

# Resizing and closing free the rings while the sender keeps sending:
# CYCLES times each, so that a device still fetching from a freed ring
# (faults behind a strict IOMMU) is likely to show.
ring_resize() {
	local i

	for i in $(seq $CYCLES); do
		ip netns exec $NS_B ethtool -G eth0 rx 512 &&
			sleep 1 &&
			ip netns exec $NS_B ethtool -G eth0 rx 256 || return
	done
}

# Taking B down flushes its neighbours, the static ones too: put them back
# (neighbour discovery is ICMPv6, which B drops while bound).
link_flap() {
	local mac i

	mac=$(ip netns exec $NS_A cat /sys/class/net/eth0/address) || return
	for i in $(seq $CYCLES); do
		ip -n $NS_B link set eth0 down && sleep 1 &&
			ip -n $NS_B link set eth0 up &&
			ip -n $NS_B neigh replace 192.0.2.1 lladdr "$mac" nud permanent dev eth0 &&
			ip -n $NS_B neigh replace 2001:db8::1 lladdr "$mac" nud permanent dev eth0 &&
			$ENV hds $NS_B on || return
	done
}

split_off_refused() {
	! ./zcrx_nic -N $NS_B eth0 hds off 2>/dev/null &&
		[ "$(./zcrx_nic -N $NS_B eth0 hds)" = on ]
}

test_reconfig() {
	under_stream mtu mtu_change
	ktap_test_result "MTU 9000 and back while bound" test $? -eq 0
	under_stream ring ring_resize
	ktap_test_result "rx ring resized while bound" test $? -eq 0
	under_stream link link_flap
	ktap_test_result "link down and up while bound" test $? -eq 0
	under_stream split split_off_refused
	ktap_test_result "tcp-data-split off is refused while bound" test $? -eq 0
}

# kill -9 of the receiver mid-stream frees the queue for the next one.
test_kill() {
	local bad=0

	rx_zc kill || bad=1
	tx_stream kill
	wait_counter rx_mp_bytes $(($(counter rx_mp_bytes) + (1 << 20))) $TX || bad=1
	kill -9 $RX
	{ wait $RX; } 2>/dev/null
	kill -9 $TX
	{ wait $TX; } 2>/dev/null
	# a closing ring gives the queue up to the next registration at once
	xfer "" 1M || bad=1
	ktap_test_result "kill -9 of a receiver mid-stream frees the queue" test $bad -eq 0
}

# An area of as many buffers as the ring has descriptors (256) runs out
# whenever the application holds some: the NIC's allocations fail, the
# ring is refilled as buffers come back, and the transfer completes,
# every byte checked.
test_small_area() {
	local bad=0 zc fail0

	fail0=$(counter alloc_rx_buff_failed)
	rx_zc small -A 1M -S 16M || bad=1
	timeout $WAIT_SECS ./zcrx_xfer -c $ADDR4 -N $NS_A -p $PORT -S 16M >/dev/null || bad=1
	wait_bounded $RX || { ktap_print_msg "small: $(tail -n 3 "$TMP/small.rx")"; bad=1; }
	zc=$(result small zc_bytes)
	ktap_print_msg "1 MiB area: ${zc:-?} bytes zero copy, $(result small copy_bytes) copied, $(($(counter alloc_rx_buff_failed) - fail0)) failed allocations"
	[ "${zc:-0}" = $((16 << 20)) ] || bad=1
	[ "$(counter alloc_rx_buff_failed)" -gt "$fail0" ] ||
		{ ktap_print_msg "small: the area never ran out"; bad=1; }
	ktap_test_result "an area that runs out carries 16 MiB" test $bad -eq 0
}

# The device goes away under a bound queue and a running stream: the
# queue and the area's mappings are let go, the kernel stays clean, and
# the receiver, whose connection now has no device under it, can still be
# killed and its ring torn down.
test_unbind() {
	local bad=0

	rx_zc unbind || bad=1
	tx_stream unbind
	wait_counter rx_mp_bytes $(($(counter rx_mp_bytes) + (1 << 20))) $TX || bad=1
	$ENV unplug $NS_B || bad=1
	sleep 2
	kill -9 $TX $RX 2>/dev/null
	{ wait $TX; } 2>/dev/null
	timeout 120 tail --pid=$RX -f /dev/null ||
		{ ktap_print_msg "unbind: the receiver did not go away"; bad=1; }
	{ wait $RX; } 2>/dev/null
	$ENV renew $NS_A $NS_B >/dev/null || { ktap_print_msg "unbind: cannot bind again"; bad=1; }
	$ENV hds $NS_B on || bad=1
	ktap_test_result "unbind of the device under a bound queue" test $bad -eq 0
	xfer "" 1M
	ktap_test_result "zero copy again after the device came back" test $? -eq 0
}

# The 82574's second rx queue: B's RSS table sends one flow to queue 1,
# bound to an area, and another, at the same time, to queue 0, where
# recv() reads it (each sender picks the source port that the hash of its
# flow sends to the queue wanted).  Every byte of the first goes into the
# area, none of the second.
test_queues() {
	local bad=0 n=$((4 << 20)) sp0 sp1 q0 q1 mp0 d0 d1 mp plain tx1 zc rc

	if ! ip netns exec $NS_B test -e /sys/class/net/eth0/queues/rx-1; then
		ktap_test_skip "zero copy on rx queue 1: B has one rx queue (no MSI-X, or not an 82574)"
		ktap_test_skip "rx queue 2 is refused: B has one rx queue"
		return
	fi
	ip netns exec $NS_B ethtool -X eth0 equal 2 || bad=1
	sp1=$(./zcrx_nic -N $NS_B eth0 rss-port 192.0.2.1 $ADDR4 $PORT 1) || bad=1
	sp0=$(./zcrx_nic -N $NS_B eth0 rss-port 192.0.2.1 $ADDR4 $((PORT + 1)) 0) || bad=1
	q0=$(counter rx_queue_0_packets)
	q1=$(counter rx_queue_1_packets)
	mp0=$(counter rx_mp_bytes)
	RXQ=1 rx_zc queues -S $n || bad=1
	rm -f "$TMP/plain.ready"
	./zcrx_xfer -l -N $NS_B -p $((PORT + 1)) -S $n -r "$TMP/plain.ready" \
		>"$TMP/plain.rx" 2>&1 &
	plain=$!
	wait_file "$TMP/plain.ready" $plain || bad=1
	if [ $bad -eq 0 ]; then
		timeout $WAIT_SECS ./zcrx_xfer -c $ADDR4 -N $NS_A -p $PORT -s "$sp1" -S $n &
		tx1=$!
		timeout $WAIT_SECS ./zcrx_xfer -c $ADDR4 -N $NS_A -p $((PORT + 1)) -s "$sp0" \
			-S $n || bad=1
		wait $tx1 || bad=1
	else
		kill $RX $plain 2>/dev/null	# no sender: no waiting for one
	fi
	wait_bounded $RX || { ktap_print_msg "queues: $(tail -n 3 "$TMP/queues.rx")"; bad=1; }
	wait_bounded $plain || { ktap_print_msg "queues: recv(): $(tail -n 3 "$TMP/plain.rx")"; bad=1; }
	zc=$(result queues zc_bytes)
	d0=$(($(counter rx_queue_0_packets) - q0))
	d1=$(($(counter rx_queue_1_packets) - q1))
	mp=$(($(counter rx_mp_bytes) - mp0))
	ktap_print_msg "queues: ports $sp1 -> queue 1, $sp0 -> queue 0; zero copy ${zc:-?}, copied $(result queues copy_bytes); frames on queue 0 $d0, queue 1 $d1; NIC into the area $mp bytes"
	[ "$zc" = $n ] && [ "$(result queues copy_bytes)" = 0 ] || bad=1
	# each flow's frames on its own queue; the area has the first's bytes
	[ $d0 -ge $((n / 1448)) ] && [ $d1 -ge $((n / 1448)) ] || bad=1
	[ $mp -ge $n ] && [ $mp -lt $((2 * n)) ] || bad=1
	ktap_test_result "zero copy on rx queue 1 next to recv() on rx queue 0" test $bad -eq 0

	# no third queue to bind: registration fails (a receiver that got
	# past it would wait for a connection until killed, exit 124)
	timeout 60 ./zcrx_xfer -l -N $NS_B -p $((PORT + 2)) -z eth0:2 -S 1 >"$TMP/q2.rx" 2>&1
	rc=$?
	bad=0
	[ $rc -ne 0 ] && [ $rc -ne 124 ] && grep -q '^registering eth0 queue 2: ' "$TMP/q2.rx" ||
		{ ktap_print_msg "queue 2: exit $rc: $(cat "$TMP/q2.rx")"; bad=1; }
	ktap_test_result "rx queue 2 of a two-queue NIC is refused" test $bad -eq 0
	ip netns exec $NS_B ethtool -X eth0 equal 1
}

test_iommu() {
	local pci

	read -r _ pci <"/run/netns/.$NS_B.nsim"
	# translated (DMA or DMA-FQ), not identity-mapped (passthrough)
	[[ "$(cat "/sys/bus/pci/devices/$pci/iommu_group/type" 2>/dev/null)" == DMA* ]]
	ktap_test_result "the NIC is behind an IOMMU" test $? -eq 0
}

ktap_print_header
[ "$(id -u)" -eq 0 ] || { ktap_skip_all "needs root"; exit "$KSFT_SKIP"; }
nsizes=$(wc -w <<<"$SIZES")
iommu=${E1000E_ZCRX_IOMMU:-0}
trap cleanup EXIT
# ktap_skip_all only prints: a missing pair exits with KSFT_SKIP here,
# before a plan is printed.
$ENV up $NS_A $NS_B 1 >/dev/null
rc=$?
[ $rc -ne 4 ] || { ktap_skip_all "no pair of e1000e interfaces"; exit "$KSFT_SKIP"; }
ktap_set_plan $((2 + 2 * nsizes + 3 + 4 + 4 + 2 + iommu))
[ $rc -eq 0 ] || ktap_exit_fail_msg "cannot set up the e1000e pair"
$ENV hds $NS_B on || ktap_exit_fail_msg "cannot turn tcp-data-split on"

[ "$iommu" = 1 ] && test_iommu
test_split_report
test_pages
for size in $SIZES; do
	test_xfer "" "$size"
	test_xfer -6 "$size"
done
test_unsplit
test_reconfig
test_kill
test_small_area
test_unbind
test_queues
ktap_finished
