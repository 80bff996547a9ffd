#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Two netdevsim ports, each in its own network namespace, linked as peers:
# what one transmits the other receives.
#
#   nsim_env.sh up NS_A NS_B [QUEUES]   create, link, address and bring up
#   nsim_env.sh down NS_A NS_B          delete both devices and namespaces
#   nsim_env.sh hds NS on|off           tcp-data-split of NS's eth0
#   nsim_env.sh stat NS NAME            a counter of "ethtool -S eth0" in NS
#   nsim_env.sh dfs NS                  the netdevsim debugfs port directory
#
# Addresses: NS_A 192.0.2.1/24 2001:db8::1/64, NS_B .2 and ::2.  The ports
# are called eth0 inside their namespaces.  On success "up" prints the
# netdevsim device ids ("ID_A ID_B").

set -u

NSIM_SYS=/sys/bus/netdevsim
# The kernel tree, for its netlink specs and ynl (Debian's ethtool cannot
# set tcp-data-split).
KSRC=${KSRC:-$(cd "$(dirname "$0")/../../../.." && pwd)}

ns_id_file() {
	echo "/run/netns/.$1.nsim"
}

new_dev() {
	local ns=$1 queues=$2 id tries=0 dev

	while :; do
		id=$((1000 + RANDOM % 30000))
		[ -e $NSIM_SYS/devices/netdevsim$id ] || break
		tries=$((tries + 1))
		[ $tries -lt 100 ] || return 1
	done
	echo "$id 1 $queues" >$NSIM_SYS/new_device || return 1
	dev=$(ls $NSIM_SYS/devices/netdevsim$id/net/ 2>/dev/null)
	[ -n "$dev" ] || return 1
	ip link set "$dev" netns "$ns" || return 1
	ip -n "$ns" link set "$dev" name eth0 || return 1
	echo "$id" >"$(ns_id_file "$ns")"
	echo "$id"
}

up() {
	local a=$1 b=$2 queues=${3:-1} ida idb fa fb ia ib

	modprobe -q netdevsim 2>/dev/null
	[ -d $NSIM_SYS ] || { echo "netdevsim is not available" >&2; return 4; }
	ip netns add "$a" || return 1
	ip netns add "$b" || return 1
	ida=$(new_dev "$a" "$queues") || return 1
	idb=$(new_dev "$b" "$queues") || return 1

	exec {fa}</run/netns/"$a"
	exec {fb}</run/netns/"$b"
	ia=$(ip netns exec "$a" cat /sys/class/net/eth0/ifindex)
	ib=$(ip netns exec "$b" cat /sys/class/net/eth0/ifindex)
	echo "$fa:$ia $fb:$ib" >$NSIM_SYS/link_device || return 1
	exec {fa}<&- {fb}<&-

	ip -n "$a" addr add 192.0.2.1/24 dev eth0
	ip -n "$b" addr add 192.0.2.2/24 dev eth0
	ip -n "$a" addr add 2001:db8::1/64 dev eth0 nodad
	ip -n "$b" addr add 2001:db8::2/64 dev eth0 nodad
	for ns in "$a" "$b"; do
		ip -n "$ns" link set lo up
		ip -n "$ns" link set eth0 up || return 1
	done
	echo "$ida $idb"
}

down() {
	local ns id rc=0

	for ns in "$@"; do
		if [ -e "$(ns_id_file "$ns")" ]; then
			id=$(cat "$(ns_id_file "$ns")")
			echo "$id" >$NSIM_SYS/del_device || rc=1
			rm -f "$(ns_id_file "$ns")"
		fi
		if [ -e /run/netns/"$ns" ]; then
			ip netns del "$ns" || rc=1
		fi
	done
	return $rc
}

ynl() {
	local ns=$1 spec=$2

	shift 2
	ip netns exec "$ns" python3 "$KSRC/tools/net/ynl/cli.py" --no-schema \
		--spec "$KSRC/Documentation/netlink/specs/$spec.yaml" "$@"
}

hds() {
	local ns=$1 val

	case "$2" in
	on) val=2 ;;
	off) val=1 ;;
	*) echo "hds: on or off" >&2; return 2 ;;
	esac
	ynl "$ns" ethtool --do rings-set \
		--json '{"header": {"dev-name": "eth0"}, "tcp-data-split": '$val'}' >/dev/null
}

counter() {
	ip netns exec "$1" ethtool -S eth0 |
		awk -v k="$2:" '$1 == k { print $2; f = 1 } END { exit !f }'
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
hds) shift; hds "$@" ;;
stat) shift; counter "$@" ;;
dfs) shift; dfs "$@" ;;
ynl) shift; ynl "$@" ;;
*) echo "usage: $0 up|down|hds|stat|dfs|ynl ..." >&2; exit 2 ;;
esac
