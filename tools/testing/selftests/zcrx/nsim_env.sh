#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Two netdevsim ports, each in its own network namespace, linked as peers:
# what one transmits the other receives.
#
#   nsim_env.sh up NS_A NS_B [QUEUES]   create, link, address and bring up
#   nsim_env.sh down NS_A NS_B          delete both devices and namespaces
#   nsim_env.sh renew NS_A NS_B [QUEUES]
#                                       after NS_B's device was deleted: a
#                                       new one in NS_B, linked to NS_A's
#   nsim_env.sh hds NS on|off           tcp-data-split of NS's eth0
#   nsim_env.sh stat NS NAME            a counter of "ethtool -S eth0" in NS
#   nsim_env.sh dfs NS                  the netdevsim debugfs port directory
#
# Addresses: NS_A 192.0.2.1/24 2001:db8::1/64, NS_B .2 and ::2.  The ports
# are called eth0 inside their namespaces.  On success "up" prints the
# netdevsim device ids ("ID_A ID_B").

set -u

NSIM_SYS=/sys/bus/netdevsim
HERE=$(cd "$(dirname "$0")" && pwd)
# The kernel's netlink specs and ynl: installed next to the tests (the
# Makefile's TEST_FILES), or those of the kernel tree the tests run from.
if [ -d "$HERE/ynl" ] && [ -d "$HERE/specs" ]; then
	YNL=$HERE/ynl
	SPECS=$HERE/specs
else
	KSRC=${KSRC:-$(cd "$HERE/../../../.." && pwd)}
	YNL=$KSRC/tools/net/ynl
	SPECS=$KSRC/Documentation/netlink/specs
fi

ns_id_file() {
	echo "/run/netns/.$1.nsim"
}

# Create a netdevsim device with one port; prints "ID IFNAME".
new_dev() {
	local queues=$1 id tries=0 dev

	while :; do
		id=$((1000 + RANDOM % 30000))
		[ -e $NSIM_SYS/devices/netdevsim$id ] || break
		tries=$((tries + 1))
		[ $tries -lt 100 ] || return 1
	done
	echo "$id 1 $queues" >$NSIM_SYS/new_device || return 1
	dev=$(ls $NSIM_SYS/devices/netdevsim$id/net/ 2>/dev/null)
	[ -n "$dev" ] || return 1
	echo "$id $dev"
}

# Every ip command is a process start, slow under a debug kernel: batch.
up() {
	local a=$1 b=$2 queues=${3:-1} ida idb deva devb

	[ -d $NSIM_SYS ] || modprobe -q netdevsim 2>/dev/null
	[ -d $NSIM_SYS ] || { echo "netdevsim is not available" >&2; return 4; }
	read -r ida deva < <(new_dev "$queues")
	[ -n "$ida" ] || return 1
	echo "$ida" >"$(ns_id_file "$a")"
	read -r idb devb < <(new_dev "$queues")
	[ -n "$idb" ] || return 1
	echo "$idb" >"$(ns_id_file "$b")"
	# "netns add" leaves ip in the new namespace: a batch of its own.
	ip -b - <<-EOF || return 1
		netns add $a
		netns add $b
	EOF
	ip -b - <<-EOF || return 1
		link set $deva netns $a
		link set $devb netns $b
	EOF
	port_up "$a" "$deva" 1 || return 1
	port_up "$b" "$devb" 2 || return 1
	link_ports "$a" "$b" || return 1
	echo "$ida $idb"
}

# Name, address and bring up port DEV in namespace NS as host HOST.
port_up() {
	local ns=$1 dev=$2 host=$3

	ip -n "$ns" -b - <<-EOF
		link set $dev name eth0
		addr add 192.0.2.$host/24 dev eth0
		addr add 2001:db8::$host/64 dev eth0 nodad
		link set lo up
		link set eth0 up
	EOF
}

# Link the eth0 ports of namespaces A and B as peers.
link_ports() {
	local a=$1 b=$2 fa fb ia ib rc=0

	exec {fa}</run/netns/"$a"
	exec {fb}</run/netns/"$b"
	ia=$(ip -n "$a" -o link show eth0 | cut -d: -f1)
	ib=$(ip -n "$b" -o link show eth0 | cut -d: -f1)
	echo "$fa:$ia $fb:$ib" >$NSIM_SYS/link_device || rc=1
	exec {fa}<&- {fb}<&-
	return $rc
}

# B's device is gone (deleted by the caller): a new one takes its place,
# in the same namespace, with the same name and addresses, linked to A's
# port.  A's neighbours still name the old port's address: forget them.
renew() {
	local a=$1 b=$2 queues=${3:-1} idb devb

	[ ! -e "$(ns_id_file "$b")" ] || { echo "renew: $b still has its device" >&2; return 1; }
	read -r idb devb < <(new_dev "$queues")
	[ -n "$idb" ] || return 1
	echo "$idb" >"$(ns_id_file "$b")"
	ip link set "$devb" netns "$b" || return 1
	port_up "$b" "$devb" 2 || return 1
	link_ports "$a" "$b" || return 1
	ip -n "$a" neigh flush dev eth0 || return 1
	echo "$idb"
}

down() {
	local ns id rc=0 del=

	for ns in "$@"; do
		if [ -e "$(ns_id_file "$ns")" ]; then
			id=$(cat "$(ns_id_file "$ns")")
			echo "$id" >$NSIM_SYS/del_device || rc=1
			rm -f "$(ns_id_file "$ns")"
		fi
		[ -e /run/netns/"$ns" ] && del+="netns del $ns"$'\n'
	done
	if [ -n "$del" ]; then
		ip -b - <<<"$del" || rc=1
	fi
	return $rc
}

ynl() {
	local ns=$1 spec=$2

	shift 2
	ip netns exec "$ns" python3 "$YNL/cli.py" --no-schema \
		--spec "$SPECS/$spec.yaml" "$@"
}

hds() {
	case "$2" in
	on|off) "$HERE/zcrx_nic" -N "$1" eth0 hds "$2" ;;
	*) echo "hds: on or off" >&2; return 2 ;;
	esac
}

counter() {
	"$HERE/zcrx_nic" -N "$1" eth0 stat "$2"
}

dfs() {
	local id

	id=$(cat "$(ns_id_file "$1")") || return 1
	echo "/sys/kernel/debug/netdevsim/netdevsim$id/ports/0"
}

case "${1:-}" in
up)
	shift
	up "$@" || { rc=$?; down "$1" "$2" 2>/dev/null; exit $rc; }
	;;
down) shift; down "$@" ;;
renew) shift; renew "$@" ;;
hds) shift; hds "$@" ;;
stat) shift; counter "$@" ;;
dfs) shift; dfs "$@" ;;
ynl) shift; ynl "$@" ;;
*) echo "usage: $0 up|down|renew|hds|stat|dfs|ynl ..." >&2; exit 2 ;;
esac
