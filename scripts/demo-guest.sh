#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The demonstration, run inside the VM by scripts/demo.sh:
#   demo-guest.sh KSELFTEST_ZCRX_DIR SIZE
set -euo pipefail
dir=$1
size=$2
a=zcrx-demo-a
b=zcrx-demo-b

cd "$dir"
echo "kernel: $(uname -r) ($(nproc) CPUs, $(awk '/MemTotal/ { print int($2 / 1024) }' /proc/meminfo) MiB)"
trap './nsim_env.sh down $a $b' EXIT
ids=$(./nsim_env.sh up $a $b 1)
echo "netdevsim devices $ids linked as peers:"
for ns in $a $b; do
	printf '  netns %-12s %s\n' "$ns" \
		"$(ip -n $ns -br addr show dev eth0 | awk '{ $2 = ""; print }')"
done
echo
echo "sending $size of the test pattern from $a to $b over TCP..."
./zcrx_xfer -l -N $b -S "$size" &
rx=$!
./zcrx_xfer -c 192.0.2.2 -N $a -S "$size"
wait $rx
echo
echo "every byte arrived in order and matched the sender's pattern."
