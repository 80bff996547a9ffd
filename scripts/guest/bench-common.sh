# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Sourced by the guest's benchmarks (bench.sh, bench-fwd.sh): NAPI in
# pinned kthreads, the busy time of the measured CPU from /proc/stat, the
# NIC model's device time, and the result lines of the programs.  The
# sourcing script sets rx_cpu (the measured CPU) and hz (getconf CLK_TCK)
# and defines die; it runs in the selftests' zcrx directory.

# bench_pair A B MTU PORT: the linked netdevsim ports in namespaces A and
# B, split on in B, both at MTU, TCP to PORT steered to B's queue 1
bench_pair() {
	./nsim_env.sh up "$1" "$2" 2 >/dev/null || die "cannot create the linked netdevsim ports"
	./nsim_env.sh hds "$2" on || die "cannot turn tcp-data-split on in $2"
	ip -n "$1" link set eth0 mtu "$3"
	ip -n "$2" link set eth0 mtu "$3"
	ip netns exec "$2" ethtool -N eth0 flow-type tcp4 dst-port "$4" action 1 >/dev/null ||
		die "ethtool refused the rule that steers port $4 to queue 1"
}

threaded_napi() {	# threaded_napi NS CPU: pin the new NAPI kthreads
	local before after p
	before=$(pgrep '^napi/' | sort || true)
	ip netns exec "$1" sh -c 'echo 1 >/sys/class/net/eth0/threaded' ||
		die "cannot make the NAPI of eth0 in $1 threaded"
	after=$(pgrep '^napi/' | sort || true)
	p=$(comm -13 <(echo "$before") <(echo "$after"))
	[ -n "$p" ] || die "no NAPI kthread for eth0 in $1"
	for p in $p; do
		taskset -pc "$2" "$p" >/dev/null || die "cannot pin NAPI kthread $p"
	done
}

# stamp: the time now and CPU $rx_cpu's idle and iowait ticks so far, in
# $stamp_t and $stamp_idle; without a fork, so that the two are read
# together
stamp() {
	local c u n y i w rest
	while read -r c u n y i w rest; do
		if [ "$c" = "cpu$rx_cpu" ]; then
			stamp_idle=$((i + w))
			stamp_t=$EPOCHREALTIME
			return 0
		fi
	done </proc/stat
	die "no cpu$rx_cpu in /proc/stat"
}

# settle: wait (up to 30 s) until CPU $rx_cpu is idle for 90 % of half a
# second: what the last run left behind (an io_uring ring's exit work,
# which unregisters a queue and unpins an area, runs after the process
# is gone) must not be charged to the next
settle() {
	local n ta ia
	for n in $(seq 60); do
		stamp
		ta=$stamp_t ia=$stamp_idle
		sleep 0.5
		stamp
		awk -v t="$ta" -v u="$stamp_t" -v i="$((stamp_idle - ia))" -v hz="$hz" \
			'BEGIN { exit !(i / hz >= 0.9 * (u - t)) }' && return 0
	done
	echo "warning: CPU $rx_cpu did not settle" >&2
}

# model_ns NS: the receive engine's device time on the port eth0 of NS so
# far, in ns ("-" for a kernel that does not count it)
model_ns() {
	ip netns exec "$1" ethtool -S eth0 |
		awk '/^ *rx[0-9]+_dma_ns:/ { s += $2; n++ }
		     END { if (n) printf "%.0f\n", s; else print "-" }'
}

field() { sed -n "s/^result:.* $1=\\([^ ]*\\).*/\\1/p" "$2"; }
