#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs in the guest; booted by make bench-e1000e (scripts/bench-e1000e.sh).
# TCP between the two e1000e of scripts/vm-run --nic e1000e, one in each of
# two namespaces: the receiver and B's interrupts on CPU 1, the sender and
# A's on CPU 0.  Receiver CPU is CPU 1's busy time over the transfer (the
# receiver, the stack, the driver's interrupts and NAPI), per GiB.
#
#   bench-e1000e.sh KSELFTEST_ZCRX_DIR SIZE ROUNDS MODE...
#
# MODE: recv    recv() at MTU 1500, packet split on (page pool pages)
#       zc      IORING_OP_RECV_ZC at MTU 1500 on rx queue 0
#       jumbo   recv() at MTU 9000, tcp-data-split left to the driver
#               (which splits jumbo frames, with or without a page pool)
# Rounds alternate the modes.  One line per transfer:
#   bench: mode=M round=N bytes=B secs=S cpu=C zc_bytes=Z
set -u
dir=$1
size=$2
rounds=$3
shift 3
modes=("$@")
a=zcrx-eb-a
b=zcrx-eb-b
cd "$dir" || exit 1
export ZCRX_NIC=e1000e
ENV=./nsim_env.sh

trap '$ENV down $a $b' EXIT
$ENV up $a $b 1 >/dev/null || exit 1
[ "$(nproc)" -ge 2 ] || { echo "bench-e1000e: needs two CPUs" >&2; exit 1; }

# Each port's interrupts on one CPU.
pin_irqs() {	# pin_irqs NS CPU
	local pci irq

	read -r _ pci <"/run/netns/.$1.nsim"
	for irq in /sys/bus/pci/devices/"$pci"/msi_irqs/*; do
		echo "$2" >/proc/irq/"${irq##*/}"/smp_affinity_list 2>/dev/null
	done
}
pin_irqs $a 0
pin_irqs $b 1

busy() {	# busy jiffies of CPU 1
	awk '$1 == "cpu1" { print $2 + $3 + $4 + $7 + $8 }' /proc/stat
}

setup() {	# setup MODE
	local mtu=1500 hds=on

	case "$1" in
	jumbo) mtu=9000 hds=auto ;;
	esac
	ip -n $a link set eth0 mtu $mtu
	ip -n $b link set eth0 mtu $mtu
	./zcrx_nic -N $b eth0 hds $hds 2>/dev/null || [ $hds = auto ]
	# a reconfiguration resets the MAC: wait for the link
	for _ in $(seq 100); do
		[ "$(ip netns exec $b cat /sys/class/net/eth0/carrier)" = 1 ] &&
			[ "$(ip netns exec $a cat /sys/class/net/eth0/carrier)" = 1 ] && break
		sleep 0.1
	done
}

unbound() {	# wait until rx queue 0 of B has no io_uring provider
	local i q

	i=$(ip netns exec $b cat /sys/class/net/eth0/ifindex) || return 1
	for _ in $(seq 300); do
		q=$($ENV ynl $b netdev --do queue-get \
			--json "{\"ifindex\": $i, \"id\": 0, \"type\": \"rx\"}") || return 1
		[[ "$q" == *"'id': 0"* && "$q" != *io-uring* ]] && return 0
		sleep 0.2
	done
	return 1
}

run() {	# run MODE ROUND
	local mode=$1 z=() b0 b1 out ready=/tmp/bench-e1000e.ready

	[ "$mode" = zc ] && z=(-z eth0:0)
	rm -f $ready
	taskset -c 1 ./zcrx_xfer -l -N $b -p 9500 -S "$size" -r $ready "${z[@]}" >/tmp/bench-e1000e.rx &
	for _ in $(seq 300); do
		[ -e $ready ] && break
		sleep 0.1
	done
	for _ in $(seq 100); do
		[ "$(ip netns exec $b cat /sys/class/net/eth0/carrier)" = 1 ] && break
		sleep 0.1
	done
	b0=$(busy)
	taskset -c 0 ./zcrx_xfer -c 192.0.2.2 -N $a -p 9500 -S "$size" >/dev/null
	wait $!
	b1=$(busy)
	out=$(grep '^result:' /tmp/bench-e1000e.rx)
	if [ -z "$out" ]; then
		echo "bench-e1000e: $mode round $2 has no result: $(tail -n 3 /tmp/bench-e1000e.rx)" >&2
		exit 1
	fi
	# the ring's teardown unbinds the queue (a device restart) in a
	# kernel worker: let it finish before the next round
	[ "$mode" != zc ] || unbound ||
		{ echo "bench-e1000e: queue 0 still bound after round $2" >&2; exit 1; }
	echo "bench: mode=$mode round=$2 $(sed -n 's/^result: mode=[a-z_]* \(bytes=[0-9]* secs=[0-9.]*\).* zc_bytes=\([0-9]*\).*/\1 zc_bytes=\2/p' <<<"$out") cpu=$(awk -v j=$((b1 - b0)) -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.3f", j / hz }')"
}

echo "kernel $(uname -r), $(nproc) CPUs, $size per transfer, $(cat /proc/cmdline | grep -o 'intel_iommu=on' || echo 'no IOMMU')"
for r in $(seq "$rounds"); do
	for m in "${modes[@]}"; do
		setup "$m"
		run "$m" "$r"
	done
done
