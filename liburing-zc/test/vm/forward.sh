#!/bin/bash
# SPDX-License-Identifier: MIT OR LGPL-2.1
# Forwarding received data without a copy, over two linked netdevsim
# ports.  zcrx-send in A sends to zcrx-forward in B, which receives with
# RECV_ZC on B's queue 1 and sends each buffer on with SEND_ZC back to
# zcrx-sink in A, which checks every byte; the receive counters must show
# nothing copied and no send notification may report a copy.  Then: the
# relay killed with SIGKILL in the middle (nothing left behind, the queue
# usable again), the far end going away early, the copying and splicing
# relays, and zcrx-sink writing a stream from the area to a file on a
# RAM disk with O_DIRECT (the page cache untouched).  Run by run.sh in
# the VM.
set -u
A=zc-fw-a
B=zc-fw-b
SEED=0x5eed
at_exit() {
	mountpoint -q "${mnt:-/nonexistent}" 2>/dev/null && umount "$mnt"
	[ -n "${relay_pid:-}" ] && kill -9 "$relay_pid" 2>/dev/null
}
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
mnt=$work/mnt

"$ksft/nsim_env.sh" hds $B on
for p in 9400 9410 9420 9430 9440; do
	ip netns exec $B ethtool -N eth0 flow-type tcp4 dst-port $p action 1 >/dev/null &&
	ip netns exec $B ethtool -N eth0 flow-type tcp6 dst-port $p action 1 >/dev/null ||
		{ echo "cannot steer port $p to queue 1"; exit 1; }
done

# relay NAME SIZE PORT [FORWARD-ARGS...]: A -> relay in B -> sink in A, the
# far end checking every byte; outputs in $work/NAME.{relay,sink,send}
relay() {
	local name=$1 size=$2 port=$3 to=192.0.2.1 from=192.0.2.2 rc=0 v6=
	shift 3
	case " $* " in *" -6 "*) to=2001:db8::1 from=2001:db8::2 v6=-6 ;; esac
	ip netns exec $A timeout 300 "$bin/examples/zcrx-sink" -r -p $((port + 1)) $v6 \
		-x $SEED -s "$size" >"$work/$name.sink" 2>&1 &
	local sink=$!
	ip netns exec $B timeout 300 "$bin/examples/zcrx-forward" -i eth0 -q 1 \
		-p "$port" -c $to -P $((port + 1)) -s "$size" "$@" >"$work/$name.relay" 2>&1 &
	local fwd=$!
	ip netns exec $A timeout 300 "$bin/examples/zcrx-send" -c $from -p "$port" \
		-s "$size" -x $SEED >"$work/$name.send" 2>&1 || rc=1
	wait $fwd || rc=1
	wait $sink || rc=1
	[ $rc -eq 0 ] || sed 's/^/  /' "$work/$name.relay" "$work/$name.sink" "$work/$name.send"
	return $rc
}

# no_copy NAME BYTES: the relay received it all without a copy, sent it
# all with notifications that report no copy, and gave every buffer back
no_copy() {
	local f=$work/$1.relay
	[ "$(field bytes "$f")" = "$2" ] && [ "$(field zc_bytes "$f")" = "$2" ] &&
		[ "$(field copy_bytes "$f")" = 0 ] && [ "$(field notif_copied "$f")" = 0 ] &&
		[ "$(field notifs "$f")" -ge 1 ] && [ "$(field left "$f")" = 0 ] ||
		{ grep '^result:' "$f" | sed 's/^/  /'; false; }
}

for size in 1 4095 65537 1048583 16777216 268435456; do
	check "relay: $size bytes through RECV_ZC and SEND_ZC, every byte right at the far end" \
		relay "s$size" $size 9400
	check "relay: $size bytes, nothing copied, every buffer back" no_copy "s$size" $size
done
check "relay over IPv6: 4 MiB intact" relay v6 4194304 9410 -6
check "relay over IPv6: nothing copied" no_copy v6 4194304
check "relay with 64 KiB area buffers: 16 MiB intact" relay big 16777216 9400 -b 64K
check "relay with 64 KiB area buffers: nothing copied" no_copy big 16777216
check "relay, recv() and send(): 4 MiB intact" relay copy 4194304 9420 -m copy
check "relay, splice(): 4 MiB intact" relay splice 4194304 9420 -m splice

# no_uring_pool: B's eth0 has no page pool that io_uring feeds any more
# (zcrx_nic ppstat fails without one): every buffer came back, or the
# pool could not have gone.
no_uring_pool() {
	local i
	for i in $(seq 50); do
		"$ksft/zcrx_nic" -N $B eth0 ppstat alloc-fast >/dev/null 2>&1 || return 0
		sleep 0.2
	done
	echo "  an io_uring page pool is still on eth0"
	false
}

# bytes netdevsim put on B's queue 1 so far
rx_bytes() { "$ksft/zcrx_nic" -N $B eth0 stat rx1_bytes; }

# SIGKILL in the middle of a 4 GiB stream
base=$(rx_bytes)
ip netns exec $A timeout 300 "$bin/examples/zcrx-sink" -r -p 9431 -x $SEED \
	>"$work/kill.sink" 2>&1 &
sink=$!
ip netns exec $B "$bin/examples/zcrx-forward" -i eth0 -q 1 -p 9430 \
	-c 192.0.2.1 -P 9431 >"$work/kill.relay" 2>&1 &
relay_pid=$!
ip netns exec $A timeout 300 "$bin/examples/zcrx-send" -c 192.0.2.2 -p 9430 -s 4G \
	-x $SEED >"$work/kill.send" 2>&1 &
snd=$!
moving() {	# 16 MiB more arrived at B's queue 1
	local i
	for i in $(seq 60); do
		[ "$(rx_bytes)" -gt $((base + (16 << 20))) ] && return 0
		sleep 0.5
	done
	false
}
check "killed relay: data was flowing through it" moving
kill -9 $relay_pid
wait $relay_pid 2>/dev/null
relay_pid=
ends() { timeout 60 tail --pid="$1" -f /dev/null; }
check "killed relay: the sender ends" ends $snd
check "killed relay: the far end ends" ends $sink
wait $snd $sink 2>/dev/null
check "killed relay: the far end saw only right bytes" \
	grep -q "pattern verified" "$work/kill.sink"
check "killed relay: the io_uring page pool is gone, nothing held" no_uring_pool
check "after the killed relay: the queue takes a new one, 4 MiB intact" \
	relay again 4194304 9400
check "after the killed relay: nothing copied" no_copy again 4194304

# The far end goes away in the middle: the relay's send fails, it stops
# with an error and gives every buffer back.
early() {
	base=$(rx_bytes)
	# no timeout(1) in between: the kill must reach the sink itself
	ip netns exec $A "$bin/examples/zcrx-sink" -r -p 9441 -x $SEED \
		>"$work/early.sink" 2>&1 &
	local sink=$!
	ip netns exec $B timeout 120 "$bin/examples/zcrx-forward" -i eth0 -q 1 -p 9440 \
		-c 192.0.2.1 -P 9441 >"$work/early.relay" 2>&1 &
	local fwd=$!
	ip netns exec $A timeout 120 "$bin/examples/zcrx-send" -c 192.0.2.2 -p 9440 -s 4G \
		-x $SEED >"$work/early.send" 2>&1 &
	local snd=$!
	# the relay is passing data on before its far end goes
	moving || echo "  no data through the relay"
	kill -9 $sink
	wait $sink 2>/dev/null
	wait $fwd
	local rc=$?
	kill $snd 2>/dev/null
	wait $snd 2>/dev/null
	[ $rc = 1 ] && grep -q "zcrx-forward: after [0-9]* bytes: " "$work/early.relay" &&
		[ "$(field left "$work/early.relay")" = 0 ] ||
		{ echo "  relay exit $rc"; sed 's/^/  /' "$work/early.relay"; false; }
}
check "far end gone: the relay stops with the send's error, every buffer back" early
check "far end gone: the io_uring page pool is gone" no_uring_pool

# The disk sink: ext4 on a RAM disk, O_DIRECT writes from the area.
disk() {
	mkdir -p "$mnt" && mkfs.ext4 -q -F -b 4096 /dev/ram0 &&
		mount -t ext4 /dev/ram0 "$mnt"
}
# sink NAME SIZE PORT: zcrx-sink in B writes what zcrx-send sends to a file
sink() {
	local name=$1 size=$2 port=$3 rc=0
	ip netns exec $B timeout 300 "$bin/examples/zcrx-sink" -i eth0 -q 1 -p "$port" \
		-s "$size" -o "$mnt/$name" >"$work/$name.sink" 2>&1 &
	local s=$!
	ip netns exec $A timeout 300 "$bin/examples/zcrx-send" -c 192.0.2.2 -p "$port" \
		-s "$size" >"$work/$name.send" 2>&1 || rc=1
	wait $s || rc=1
	[ $rc -eq 0 ] || sed 's/^/  /' "$work/$name.sink" "$work/$name.send"
	return $rc
}
# from_area NAME BYTES MIN_DIRECT: received without a copy, at least
# MIN_DIRECT bytes written from the area, none of the file in the cache
from_area() {
	local f=$work/$1.sink
	[ "$(field bytes "$f")" = "$2" ] && [ "$(field zc_bytes "$f")" = "$2" ] &&
		[ "$(field copy_bytes "$f")" = 0 ] &&
		[ "$(field direct_bytes "$f")" -ge "$3" ] &&
		[ "$(field cached_pages "$f")" = 0 ] && [ "$(field left "$f")" = 0 ] ||
		{ grep '^result:' "$f" | sed 's/^/  /'; false; }
}
if check "disk: ext4 on a RAM disk" disk; then
	# segments of 4096 bytes: every piece lies aligned in the area
	ip -n $A link set eth0 mtu 4148
	ip -n $B link set eth0 mtu 4148
	check "disk, MTU 4148: 64 MiB written with O_DIRECT, the file right" \
		sink aligned 67108864 9400
	check "disk, MTU 4148: all but the tail from the area, page cache untouched" \
		from_area aligned 67108864 $((67108864 - 65536))
	ip -n $A link set eth0 mtu 1500
	ip -n $B link set eth0 mtu 1500
	check "disk, MTU 1500: 16 MiB with an odd tail, the file right" \
		sink odd 16777283 9400
	check "disk, MTU 1500: page cache untouched" from_area odd 16777283 0
	umount "$mnt"
fi

echo "1..$n"
exit $failed
