#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# netdevsim's receive checksum offload.  The receiver (namespace B) splits
# headers and steers the test flow to rx queue 1; the sender (namespace A)
# computes checksums itself (tx checksum offload off) or leaves them to the
# "hardware" (on).  Every byte is checked, over recv() and over io_uring
# zero-copy receive, whose payload the stack cannot read to verify a
# checksum: the model must do it.  Frames damaged on the wire through the
# sender's debugfs file tx_corrupt must be dropped, counted in rx1_csum_err
# and never reach the application, while TCP recovers the stream.  UDP
# datagrams are checked the same way: a damaged one is dropped and counted,
# and is the only one missing.

source "$(dirname "$0")"/../kselftest/ktap_helpers.sh
source "$(dirname "$0")"/zcrx_lib.sh

NS_A=zcrx-ca-$$
NS_B=zcrx-cb-$$
RXQ=1
PORT=9400
ENV=./nsim_env.sh
XFER_TIMEOUT=${NSIM_CSUM_TIMEOUT:-300}
WAIT_SECS=$XFER_TIMEOUT
UDP_DGRAM=1024		# zcrx_xfer -U's datagram size

cleanup() {
	$ENV down $NS_A $NS_B
}

# Set the sender's tx checksum offload and check that it took.
sender_tx() {
	ip netns exec $NS_A ethtool -K eth0 tx "$1" >/dev/null 2>&1
	ip netns exec $NS_A ethtool -k eth0 | grep -q "^tx-checksumming: $1" ||
		{ ktap_print_msg "tx checksum offload is not $1"; return 1; }
}

counter() {
	$ENV stat $NS_B "$1"
}

# xfer zc|plain|udp SIZE [-6]: one transfer A -> B on PORT, the sender
# started once the receiver is ready; 0 if every byte that arrived is
# intact and, over recv_zc, none was copied.  The receiver's output is left
# in $XFER_OUT.
xfer() {
	local mode=$1 size=$2 six=${3:-} out rc rx bytes addr=192.0.2.2 args=

	[ -n "$six" ] && addr=2001:db8::2
	out=$(mktemp)
	case $mode in
	zc) args="-S $size -z eth0:$RXQ -A 16M" ;;
	plain) args="-S $size" ;;
	udp) args=-U ;;
	esac
	timeout $XFER_TIMEOUT ./zcrx_xfer -l $six -N $NS_B -p $PORT $args \
		-r "$out.ready" >"$out" &
	rx=$!
	if wait_file "$out.ready" $rx; then
		[ $mode = udp ] && args="-U -S $size" || args="-S $size"
		timeout $XFER_TIMEOUT ./zcrx_xfer -c $addr -N $NS_A -p $PORT $args
		rc=$?
	else
		ktap_print_msg "the $mode receiver did not get ready"
		rc=1
	fi
	wait $rx || rc=1
	XFER_OUT=$(grep ^result "$out")
	if [ "$mode" = zc ] && [ $rc -eq 0 ]; then
		# Exactly the stream went through the ifq, and nothing was copied.
		bytes=$(numfmt --from=iec "$size")
		grep -q "^result: mode=recv_zc bytes=$bytes .* copy_bytes=0$" "$out" ||
			{ ktap_print_msg "$(grep ^result "$out")"; rc=1; }
	fi
	[ $rc -eq 0 ] || ktap_print_msg "$mode transfer of $size failed"
	rm -f "$out" "$out.ready"
	return $rc
}

# test_intact MODE TX SIZE [-6]: with the sender's tx checksum offload TX,
# the stream arrives intact and no frame fails its checksum.
test_intact() {
	local mode=$1 tx=$2 size=$3 six=${4:-} err0 err1 rc=0

	sender_tx "$tx" || rc=1
	err0=$(counter rx${RXQ}_csum_err)
	xfer "$mode" "$size" $six || rc=1
	err1=$(counter rx${RXQ}_csum_err)
	[ -n "$err0" ] && [ "$err1" = "$err0" ] ||
		{ ktap_print_msg "csum_err went from '$err0' to '$err1'"; rc=1; }
	ktap_test_result "tx checksum offload $tx, $mode${six:+ IPv6}: $size intact" \
		test $rc -eq 0
}

# test_corrupt MODE TX SIZE N [-6]: N frames damaged on the wire are dropped
# and counted, and the application still gets every byte right; over UDP,
# which does not retransmit, exactly N datagrams are missing.
test_corrupt() {
	local mode=$1 tx=$2 size=$3 n=$4 six=${5:-} dfs err0 err1 left rc=0 want

	dfs=$($ENV dfs $NS_A)
	sender_tx "$tx" || rc=1
	err0=$(counter rx${RXQ}_csum_err)
	echo "$n" >"$dfs/tx_corrupt" || rc=1
	xfer "$mode" "$size" $six || rc=1
	left=$(cat "$dfs/tx_corrupt")
	err1=$(counter rx${RXQ}_csum_err)
	[ "$left" = 0 ] ||
		{ ktap_print_msg "$left frames were not damaged"; rc=1; }
	case "$err0$err1" in
	"" | *[!0-9]*)
		ktap_print_msg "rx${RXQ}_csum_err unreadable ('$err0', '$err1')"
		rc=1 ;;
	esac
	[ "$rc" -ne 0 ] || [ $((err1 - err0)) -eq "$n" ] ||
		{ ktap_print_msg "csum_err went from $err0 to $err1, not by $n"; rc=1; }
	if [ "$mode" = udp ]; then
		want=$(($(numfmt --from=iec "$size") / UDP_DGRAM - n))
		[[ "$XFER_OUT" == "result: mode=udp datagrams=$want "* ]] ||
			{ ktap_print_msg "$want datagrams expected: $XFER_OUT"; rc=1; }
	fi
	echo 0 >"$dfs/tx_corrupt"
	ktap_test_result "tx checksum offload $tx, $mode${six:+ IPv6}: $n damaged frames dropped and counted" \
		test $rc -eq 0
}

# test_udp_intact TX SIZE [-6]: every datagram arrives, intact, and none
# fails its checksum.
test_udp_intact() {
	local tx=$1 size=$2 six=${3:-} err0 err1 rc=0 want

	sender_tx "$tx" || rc=1
	err0=$(counter rx${RXQ}_csum_err)
	xfer udp "$size" $six || rc=1
	err1=$(counter rx${RXQ}_csum_err)
	[ -n "$err0" ] && [ "$err1" = "$err0" ] ||
		{ ktap_print_msg "csum_err went from '$err0' to '$err1'"; rc=1; }
	want=$(($(numfmt --from=iec "$size") / UDP_DGRAM))
	[[ "$XFER_OUT" == "result: mode=udp datagrams=$want "* ]] ||
		{ ktap_print_msg "$want datagrams expected: $XFER_OUT"; rc=1; }
	ktap_test_result "tx checksum offload $tx, udp${six:+ IPv6}: $size intact" \
		test $rc -eq 0
}

ktap_print_header
[ "$(id -u)" -eq 0 ] || ktap_skip_all "needs root"
ktap_set_plan 13
trap cleanup EXIT
$ENV up $NS_A $NS_B 2 >/dev/null || ktap_exit_fail_msg "cannot set up netdevsim"
$ENV hds $NS_B on || ktap_exit_fail_msg "cannot turn tcp-data-split on"
ip netns exec $NS_B ethtool -N eth0 flow-type tcp4 dst-port $PORT action $RXQ loc 1 &&
	ip netns exec $NS_B ethtool -N eth0 flow-type tcp6 dst-port $PORT action $RXQ loc 2 &&
	ip netns exec $NS_B ethtool -N eth0 flow-type udp4 dst-port $PORT action $RXQ loc 3 &&
	ip netns exec $NS_B ethtool -N eth0 flow-type udp6 dst-port $PORT action $RXQ loc 4 ||
	ktap_exit_fail_msg "cannot steer the flows to queue $RXQ"

test_intact plain off 1M
test_intact zc off 1M
test_intact zc on 1M
test_intact zc off 1M -6
test_corrupt plain off 256K 1
test_corrupt zc off 256K 3
test_corrupt zc off 256K 3 -6
# With offload on, only frames sent without TSO can be damaged: one of them.
test_corrupt zc on 1K 1
test_udp_intact off 64K
test_udp_intact on 64K -6
test_corrupt udp off 64K 2
test_corrupt udp on 64K 2 -6
dfs=$($ENV dfs $NS_A)
[ -f "$dfs/tx_corrupt" ] && ! echo -1 2>/dev/null >"$dfs/tx_corrupt" &&
	[ "$(cat "$dfs/tx_corrupt")" = 0 ]
ktap_test_result "a negative tx_corrupt is refused" test $? -eq 0
ktap_finished
