#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs in the guest; booted by scripts/demo.sh (make demo).
# The demonstration:
#   scripts/guest/demo.sh KSELFTEST_ZCRX_DIR SIZE LIBURING_ZC_BUILD_DIR
#
# Two netdevsim ports in two namespaces; the receiver's port splits headers
# from payload and steers TCP port 9000 to rx queue 1.  The same SIZE bytes,
# sent by liburing-zc's zcrx-send, are received twice: with plain recv()
# into a 64 KiB buffer (the selftests' zcrx_xfer), then with io_uring
# zero-copy receive bound to queue 1 (liburing-zc's zcrx-server).  Every
# byte is checked.  With ZCRX_NIC=e1000e the ports are two emulated 82574L
# wired back to back, whose DMA QEMU performs, and the receiver binds their
# only rx queue, 0, which then takes all the port's traffic: no steering.
# Then the received data goes on without a copy: through a relay
# (zcrx-forward: RECV_ZC in, SEND_ZC out) to a far end that checks it, and
# into a file with O_DIRECT (zcrx-sink, ext4 on a RAM disk).
set -euo pipefail
dir=$1
size=$2
zc=$3
a=zcrx-demo-a
b=zcrx-demo-b
port=9000

cd "$dir"
echo "kernel: $(uname -r) ($(nproc) CPUs, $(awk '/MemTotal/ { print int($2 / 1024) }' /proc/meminfo) MiB)"
die() {
	echo "error: $*" >&2
	exit 1
}

trap './nsim_env.sh down $a $b' EXIT
if [ "${ZCRX_NIC:-netdevsim}" = e1000e ]; then
	ids=$(./nsim_env.sh up $a $b 1) || die "cannot set up the two e1000e"
	echo "e1000e (82574L) at PCI $ids, wired back to back:"
	queue=0
else
	ids=$(./nsim_env.sh up $a $b 2) || die "cannot create the linked netdevsim ports"
	echo "netdevsim devices $ids linked as peers:"
	queue=1
fi
for ns in $a $b; do
	printf '  netns %-12s %s\n' "$ns" \
		"$(ip -n $ns -br addr show dev eth0 | awk '{ $2 = ""; print }')"
done
./nsim_env.sh hds $b on || die "cannot turn tcp-data-split on in $b"
if [ $queue = 1 ]; then
	ip netns exec $b ethtool -N eth0 flow-type tcp4 dst-port $port action 1 >/dev/null ||
		die "ethtool refused the rule that steers port $port to queue 1"
	echo "receiver: tcp-data-split on, TCP port $port steered to rx queue 1"
else
	echo "receiver: tcp-data-split on, rx queue 0 (the NIC's only one)"
fi
echo

# run_one LABEL RECEIVER...: one verified transfer; the receiver prints its
# "result:" line last
run_one() {
	local label=$1 out
	shift
	echo "== $label: $size from $a to $b"
	ip netns exec $b "$@" >"$work/$label.out" &
	local rx=$!
	if ! ip netns exec $a "$zc/examples/zcrx-send" -c 192.0.2.2 -p $port -s "$size"; then
		kill $rx 2>/dev/null
		wait $rx 2>/dev/null
		cat "$work/$label.out"
		die "$label: the sender zcrx-send failed"
	fi
	if ! wait $rx; then
		cat "$work/$label.out"
		die "$label: transfer FAILED (the receiver exited non-zero)"
	fi
	grep -v '^result:' "$work/$label.out"
	echo
}

work=$(mktemp -d) || die "mktemp failed"
run_one recv ./zcrx_xfer -l -p $port -S "$size" -b 64K
run_one recv_zc "$zc/examples/zcrx-server" -i eth0 -q $queue -p $port -s "$size"

# field NAME FILE: a value from a "result:" line
field() {
	sed -n "s/^result:.* $1=\\([^ ]*\\).*/\\1/p" "$work/$2"
}

# Both columns from what the receivers reported: bytes, and of them the
# ones received without a copy (fdinfo's zc_bytes for RECV_ZC; none for
# recv(), which copies every byte it returns) and the ones copied.
for f in bytes secs cpu zc_bytes copy_bytes; do
	for r in recv recv_zc; do
		[ -n "$(field $f $r.out)" ] || die "$r reported no $f"
	done
done
awk -v rb="$(field bytes recv.out)" -v rs="$(field secs recv.out)" \
    -v rc="$(field cpu recv.out)" -v rn="$(field calls recv.out)" \
    -v rz="$(field zc_bytes recv.out)" -v ry="$(field copy_bytes recv.out)" \
    -v zb="$(field bytes recv_zc.out)" -v zs="$(field secs recv_zc.out)" \
    -v zc="$(field cpu recv_zc.out)" -v zn="$(field completions recv_zc.out)" \
    -v zz="$(field zc_bytes recv_zc.out)" -v zy="$(field copy_bytes recv_zc.out)" '
function mib(b, s) { return s > 0 ? b / s / 1048576 : 0 }
function pg(c, b) { return b > 0 ? c * 1073741824 / b : 0 }
function share(z, b) { return b > 0 ? 100 * z / b : 0 }
BEGIN {
	printf "summary (same link, same run, every byte verified)\n"
	printf "  %-28s %14s %14s\n", "", "recv() 64 KiB", "RECV_ZC"
	printf "  %-28s %14d %14d\n", "bytes received", rb, zb
	printf "  %-28s %14.1f %14.1f\n", "throughput, MiB/s", mib(rb, rs), mib(zb, zs)
	printf "  %-28s %14.2f %14.2f\n", "receiver CPU, s per GiB", pg(rc, rb), pg(zc, zb)
	printf "  %-28s %14d %14d\n", "system calls / completions", rn, zn
	printf "  %-28s %13.1f%% %13.1f%%\n", "received without a copy", share(rz, rb), share(zz, zb)
	printf "  %-28s %14d %14d\n", "bytes copied to the user", ry, zy
	printf "copies avoided: %d bytes the CPU did not copy from kernel to user memory\n", ry - zy
}'
if [ $queue = 0 ]; then
	echo "e1000e of $b: $(./nsim_env.sh stat $b rx_header_split) frames split by the NIC," \
		"$(./nsim_env.sh stat $b rx_mp_bytes) payload bytes written by its DMA into the area"
fi
echo

# Passing data on without a copy: zcrx-forward in $b receives the stream
# with RECV_ZC and sends each buffer of the area back to $a with SEND_ZC,
# where zcrx-sink checks every byte; the buffers return to the refill
# ring on the sends' notifications, which tell whether the kernel copied.
seed=0x5eed
echo "== forward: $size from $a through a relay in $b (RECV_ZC in, SEND_ZC out) back to $a"
ip netns exec $a "$zc/examples/zcrx-sink" -r -p $((port + 1)) -x $seed >"$work/fsink.out" 2>&1 &
fsink=$!
ip netns exec $b "$zc/examples/zcrx-forward" -i eth0 -q $queue -p $port \
	-c 192.0.2.1 -P $((port + 1)) -s "$size" >"$work/forward.out" 2>&1 &
fwd=$!
if ! ip netns exec $a "$zc/examples/zcrx-send" -c 192.0.2.2 -p $port -s "$size" -x $seed \
	>/dev/null || ! wait $fwd || ! wait $fsink; then
	cat "$work/forward.out" "$work/fsink.out"
	die "forward: the relayed transfer FAILED"
fi
grep -v '^result:' "$work/forward.out"
awk -v b="$(field bytes forward.out)" -v c="$(field cpu forward.out)" \
    -v z="$(field zc_bytes forward.out)" -v y="$(field copy_bytes forward.out)" \
    -v n="$(field notifs forward.out)" -v k="$(field notif_copied forward.out)" '
BEGIN {
	printf "relay: %d bytes in and out, %d of them received without a copy (%d copied);\n", b, z, y
	printf "       %d zero-copy sends, %d of them copied by the kernel; relay CPU %.2f s per GiB\n",
	       n, k, (b > 0 ? c * 1073741824 / b : 0)
}'
echo "far end: $(grep '^received' "$work/fsink.out")"
echo

# Writing a stream to disk without a copy: zcrx-sink in $b receives with
# RECV_ZC and writes from the area with O_DIRECT to a file on ext4 on a
# RAM disk; with 4096-byte segments every piece lies aligned.
mnt=$work/mnt
dsize=$size
# the RAM disk holds 256 MiB, less what ext4 takes
[ "$(numfmt --from=iec "$size")" -le $((192 << 20)) ] || dsize=192M
echo "== disk: $dsize from $a written by zcrx-sink in $b to ext4 on a RAM disk with O_DIRECT"
mkdir -p "$mnt"
mkfs.ext4 -q -F -b 4096 /dev/ram0 && mount -t ext4 /dev/ram0 "$mnt" ||
	die "cannot make ext4 on /dev/ram0"
trap 'umount "$mnt" 2>/dev/null; ./nsim_env.sh down $a $b' EXIT
mtu=$((4096 + 20 + 20 + 12))
ip -n $a link set eth0 mtu $mtu && ip -n $b link set eth0 mtu $mtu ||
	echo "(the MTU stays at 1500: unaligned pieces are staged)"
ip netns exec $b "$zc/examples/zcrx-sink" -i eth0 -q $queue -p $port -s "$dsize" \
	-o "$mnt/stream" >"$work/disk.out" 2>&1 &
dsink=$!
if ! ip netns exec $a "$zc/examples/zcrx-send" -c 192.0.2.2 -p $port -s "$dsize" \
	>/dev/null || ! wait $dsink; then
	cat "$work/disk.out"
	die "disk: the transfer to the file FAILED"
fi
grep -v '^result:' "$work/disk.out"
awk -v b="$(field bytes disk.out)" -v d="$(field direct_bytes disk.out)" \
    -v t="$(field staged_bytes disk.out)" -v p="$(field cached_pages disk.out)" \
    -v z="$(field zc_bytes disk.out)" '
BEGIN {
	printf "disk: %d bytes received without a copy of %d; %d written straight from the area,\n", z, b, d
	printf "      %d staged through a bounce buffer; %d pages of the file in the page cache\n", t, p
}'
echo "file: $(stat -c %s "$mnt/stream") bytes"
