#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# netdevsim as a multi-queue NIC: ntuple rules steer a flow to one rx
# queue and nowhere else, the RSS indirection table keeps other flows off a
# queue, restarting an rx queue under a running transfer loses and corrupts
# nothing, and tcp-data-split is reported back.
#
# Waits are on conditions (a file, a counter), each bounded by WAIT_SECS.

source "$(dirname "$0")"/../kselftest/ktap_helpers.sh
source "$(dirname "$0")"/zcrx_lib.sh

NS_A=zcrx-qa-$$
NS_B=zcrx-qb-$$
QUEUES=4
RXQ=2
PORT=9100
ENV=./nsim_env.sh
WAIT_SECS=${NSIM_QUEUES_WAIT:-300}
RESETS=20

cleanup() {
	$ENV down $NS_A $NS_B
}

counter() {
	$ENV stat $NS_B "$1"
}

queue_bytes() {
	local q sum=0

	for q in $(seq 0 $((QUEUES - 1))); do
		echo "$q $(counter rx${q}_bytes)"
	done
}

# Byte counters of every queue before and after a transfer steered to RXQ.
test_steering() {
	local family=$1 addr=$2 flow=$3 before after q b a moved=0 bad=0

	ip netns exec $NS_B ethtool -N eth0 flow-type $flow dst-port $PORT \
		action $RXQ loc 5 || { ktap_test_fail "steer $flow: rule refused"; return; }
	before=$(queue_bytes)
	./zcrx_xfer -l $family -N $NS_B -p $PORT -S 4M &
	./zcrx_xfer -c $addr -N $NS_A -p $PORT -S 4M || bad=1
	wait $! || bad=1
	after=$(queue_bytes)
	while read -r q b; do
		a=$(echo "$after" | awk -v q=$q '$1 == q { print $2 }')
		if [ "$q" -eq $RXQ ]; then
			[ $((a - b)) -ge $((4 << 20)) ] && moved=1
		elif [ $((a - b)) -gt 65536 ]; then
			ktap_print_msg "queue $q received $((a - b)) bytes of the steered flow"
			bad=1
		fi
	done <<<"$before"
	ip netns exec $NS_B ethtool -N eth0 delete 5
	[ $moved -eq 1 ] || ktap_print_msg "queue $RXQ did not receive the flow"
	ktap_test_result "steer $flow to queue $RXQ and nowhere else" \
		test $bad -eq 0 -a $moved -eq 1
}

test_rule_listing() {
	local out

	ip netns exec $NS_B ethtool -N eth0 flow-type tcp6 dst-port 7 action 1 loc 9 &&
		out=$(ip netns exec $NS_B ethtool -n eth0) &&
		ip netns exec $NS_B ethtool -N eth0 delete 9 &&
		grep -q "Filter: 9" <<<"$out" &&
		! ip netns exec $NS_B ethtool -n eth0 | grep -q "Filter: 9"
	ktap_test_result "ntuple rules are listed and deleted" test $? -eq 0
	# Debian's ethtool 6.1 exits 0 when the kernel refuses a rule: look at
	# the table instead.
	ip netns exec $NS_B ethtool -N eth0 flow-type tcp4 dst-port 7 \
		action $QUEUES loc 3 2>/dev/null
	! ip netns exec $NS_B ethtool -n eth0 | grep -q "Filter: 3"
	ktap_test_result "a rule to a queue that does not exist is refused" test $? -eq 0
}

# The queues that appear in the RSS indirection table, sorted, one line.
rss_queues() {
	ip netns exec $NS_B ethtool -x eth0 |
		awk '/^ *[0-9]+:/ { for (i = 2; i <= NF; i++) print $i }' |
		sort -un | xargs
}

test_rss() {
	local before after q b a moved=0 bad=0 port

	[ "$(rss_queues)" = "0 1 2 3" ]
	ktap_test_result "the default RSS table spreads over all queues" test $? -eq 0

	ip netns exec $NS_B ethtool -X eth0 weight 1 1 0 1 &&
		[ "$(rss_queues)" = "0 1 3" ] || bad=1
	before=$(queue_bytes)
	for port in $(seq 9200 9207); do
		./zcrx_xfer -l -N $NS_B -p $port -S 1M &
		./zcrx_xfer -c 192.0.2.2 -N $NS_A -p $port -S 1M || bad=1
		wait $! || bad=1
	done
	after=$(queue_bytes)
	while read -r q b; do
		a=$(echo "$after" | awk -v q=$q '$1 == q { print $2 }')
		if [ "$q" -eq $RXQ ]; then
			[ $((a - b)) -le 65536 ] ||
				{ ktap_print_msg "queue $q received $((a - b)) bytes"; bad=1; }
		else
			moved=$((moved + a - b))
		fi
	done <<<"$before"
	[ $moved -ge $((8 << 20)) ] || bad=1
	ip netns exec $NS_B ethtool -X eth0 default &&
		[ "$(rss_queues)" = "0 1 2 3" ] || bad=1
	ktap_test_result "a queue left out of the RSS table gets no flow" test $bad -eq 0
}

# The sender streams until told to stop, so the transfer is running for
# every restart whatever the speed of the machine: the queue's byte counter
# must move before the first restart and across every restart, the sender
# must still be sending after the last one, and both ends must then agree
# on every byte.
test_restart() {
	local dfs bad=0 i=0 n=0 out rx tx sent got ready

	out=$(mktemp)
	ready=$out.ready
	dfs=$($ENV dfs $NS_B)
	[ -n "$dfs" ] && [ -e "$dfs/queue_reset" ] ||
		{ ktap_print_msg "no queue_reset file in '$dfs'"; bad=1; }
	ip netns exec $NS_B ethtool -N eth0 flow-type tcp4 dst-port $PORT \
		action $RXQ loc 1 || bad=1
	./zcrx_xfer -l -N $NS_B -p $PORT -r "$ready" >"$out.rx" &
	rx=$!
	wait_file "$ready" $rx || { ktap_print_msg "the receiver did not listen"; bad=1; }
	./zcrx_xfer -c 192.0.2.2 -N $NS_A -p $PORT -u >"$out.tx" &
	tx=$!
	COUNT=$(counter rx${RXQ}_bytes)
	wait_counter rx${RXQ}_bytes $((COUNT + (1 << 20))) $tx ||
		{ ktap_print_msg "no transfer on queue $RXQ"; bad=1; }
	for i in $(seq 1 $RESETS); do
		[ $bad -eq 0 ] || break
		# The write fails, with the restart's errno, if the restart did.
		if ! echo $RXQ >"$dfs/queue_reset"; then
			ktap_print_msg "restart $i of queue $RXQ failed"
			bad=1
			break
		fi
		n=$i
		# Counted from after the restart: the flow goes on through it.
		COUNT=$(counter rx${RXQ}_bytes)
		wait_counter rx${RXQ}_bytes $((COUNT + (256 << 10))) $tx ||
			{ ktap_print_msg "queue $RXQ stalled after restart $i (at '$COUNT' bytes)"; bad=1; }
	done
	if kill -0 $tx 2>/dev/null; then
		kill -USR1 $tx
	else
		ktap_print_msg "the sender was gone before the last restart"
		bad=1
	fi
	wait $tx || { ktap_print_msg "the sender failed"; bad=1; }
	wait $rx || { ktap_print_msg "the receiver failed"; bad=1; }
	sent=$(sed -n 's/^sent: bytes=\([0-9]*\)$/\1/p' "$out.tx")
	got=$(sed -n 's/^result: mode=recv bytes=\([0-9]*\) .*/\1/p' "$out.rx")
	ktap_print_msg "$n restarts of queue $RXQ under a stream of ${sent:-?} bytes, ${got:-?} received"
	[ -n "$sent" ] && [ "$sent" = "$got" ] ||
		{ ktap_print_msg "sent '$sent' bytes, received '$got'"; bad=1; }
	ip netns exec $NS_B ethtool -N eth0 delete 1
	rm -f "$out" "$out.rx" "$out.tx" "$ready"
	ktap_test_result "restarting the rx queue under a transfer loses nothing" test $bad -eq 0
	echo $QUEUES >"$dfs/queue_reset" 2>/dev/null
	ktap_test_result "restarting a queue that does not exist is refused" test $? -ne 0
}

test_hds_report() {
	local out

	$ENV hds $NS_B on && [ "$(./zcrx_nic -N $NS_B eth0 hds)" = on ]
	ktap_test_result "tcp-data-split on is reported" test $? -eq 0
	$ENV hds $NS_B off && [ "$(./zcrx_nic -N $NS_B eth0 hds)" = off ]
	ktap_test_result "tcp-data-split off is reported" test $? -eq 0
}

ktap_print_header
[ "$(id -u)" -eq 0 ] || ktap_skip_all "needs root"
ktap_set_plan 10
trap cleanup EXIT
$ENV up $NS_A $NS_B $QUEUES >/dev/null || ktap_exit_fail_msg "cannot set up netdevsim"
$ENV hds $NS_B on || ktap_exit_fail_msg "cannot turn tcp-data-split on"

test_steering "" 192.0.2.2 tcp4
test_steering -6 2001:db8::2 tcp6
test_rule_listing
test_rss
test_restart
test_hds_report
ktap_finished
