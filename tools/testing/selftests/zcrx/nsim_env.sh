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
#   nsim_env.sh unplug NS               unbind NS's e1000e from its driver
#   nsim_env.sh can-unplug NS           whether "unplug NS" can (ZCRX_NIC=hw:
#                                       if not, exits 4 and prints why)
#
# Addresses: NS_A 192.0.2.1/24 2001:db8::1/64, NS_B .2 and ::2.  The ports
# are called eth0 inside their namespaces.  On success "up" prints the
# netdevsim device ids ("ID_A ID_B").
#
# With ZCRX_NIC=e1000e the ports are instead the machine's two e1000e
# interfaces, which must be wired to each other (scripts/vm-run --nic
# e1000e joins two emulated 82574L back to back): "up" moves them into the
# namespaces and prints their PCI addresses, "down" moves them back,
# "unplug" unbinds B's device from the driver, as a hot unplug would, and
# "renew" binds it again.  An 82574L has two rx queues, and its RSS
# redirection table picks the queue of a flow: with QUEUES 1 (and after
# "renew") every flow goes to queue 0, with QUEUES 2 the table spreads them
# over both.  While the rx queue of a flow is bound to a memory provider,
# ICMP of the same addresses cannot be received (its payload lands in the
# provider's buffers), so neither can IPv6 neighbour discovery: the pair
# knows its neighbours statically.
# QEMU 7.2's e1000e model mis-parses some of the segments that the other
# model cut from a TSO burst, and splits them after the IP header as if
# they were not TCP, which a bound queue must drop (rx_mp_drops): the
# ports segment in software (TSO off).
#
# With ZCRX_NIC=hw the ports are two interfaces of real hardware, cabled to
# each other, that the environment names: ZCRX_IF receives (namespace B,
# where the tests bind a queue) and ZCRX_PEER_IF sends (namespace A).
# Their addresses are ZCRX_ADDR4 and ZCRX_ADDR6 for ZCRX_IF,
# ZCRX_PEER_ADDR4 and ZCRX_PEER_ADDR6 for ZCRX_PEER_IF, host addresses with
# a route to the other port's (the defaults are those above).  "up"
# moves them into the namespaces, renamed eth0, and prints their names;
# QUEUES is not used, the tests take the rx queues ZCRX_IF has (two at
# least).  If ZCRX_IF has ntuple rules, "up" turns them on and the tests
# steer with rules at locations 1 and 2; otherwise its RSS table is spread
# over every rx queue and the tests pick source ports, as with e1000e.
# The neighbours are static, as with e1000e.  "down" deletes the rules,
# puts back the RSS table (its default), ntuple, tcp-data-split and the rx
# ring size as "up" found them, and moves both interfaces back under
# their own names (without the addresses they had).  "unplug" unbinds
# ZCRX_IF's PCI device from its driver, which "down" binds again; an
# interface that is not a PCI device of its own cannot be unplugged.
# Without ZCRX_IF or ZCRX_PEER_IF, "up" fails with status 4 (skip).

set -u

NSIM_SYS=/sys/bus/netdevsim
# Every process start is slow under a debug kernel, and the tests run this
# script for each of their cases: bash's builtins wherever they will do.
case $0 in
*/*) HERE=${0%/*} ;;
*) HERE=. ;;
esac
# The kernel's netlink specs and ynl: installed next to the tests (the
# Makefile's TEST_FILES), or those of the kernel tree the tests run from.
if [ -d "$HERE/ynl" ] && [ -d "$HERE/specs" ]; then
	YNL=$HERE/ynl
	SPECS=$HERE/specs
else
	KSRC=${KSRC:-$HERE/../../../..}
	YNL=$KSRC/tools/net/ynl
	SPECS=$KSRC/Documentation/netlink/specs
fi

# /run/netns/.NS.nsim holds the id of the netdevsim device in NS, or
# "e1000e PCI-ADDRESS".
NIC=${ZCRX_NIC:-netdevsim}
E1K_DRV=/sys/bus/pci/drivers/e1000e
PCI_DRV=/sys/bus/pci/drivers

# Create a netdevsim device with one port: its id, interface name and
# ifindex go to new_id, new_name and new_ifindex.
new_dev() {
	local queues=$1 id tries=0 devs

	while :; do
		id=$((1000 + RANDOM % 30000))
		[ -e $NSIM_SYS/devices/netdevsim$id ] || break
		tries=$((tries + 1))
		[ $tries -lt 100 ] || return 1
	done
	echo "$id 1 $queues" >$NSIM_SYS/new_device || return 1
	devs=($NSIM_SYS/devices/netdevsim$id/net/*)
	[ -e "${devs[0]}" ] || return 1
	new_id=$id
	new_name=${devs[0]##*/}
	read -r new_ifindex <"${devs[0]}/ifindex" || return 1
}

# Every ip command is a process start, slow under a debug kernel: batch.
up() {
	local a=$1 b=$2 queues=${3:-1} ida idb deva devb ixa ixb

	[ -d $NSIM_SYS ] || modprobe -q netdevsim 2>/dev/null
	[ -d $NSIM_SYS ] || { echo "netdevsim is not available" >&2; return 4; }
	new_dev "$queues" || return 1
	ida=$new_id deva=$new_name ixa=$new_ifindex
	echo "$ida" >"/run/netns/.$a.nsim"
	new_dev "$queues" || return 1
	idb=$new_id devb=$new_name ixb=$new_ifindex
	echo "$idb" >"/run/netns/.$b.nsim"
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
	link_ports "$a" "$b" "$ixa" "$ixb" || return 1
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

# Link the eth0 ports of namespaces A and B as peers.  A device moved into
# a namespace keeps its ifindex unless the namespace has it taken: the
# callers pass what it was before the move, asked for only if that fails.
link_ports() {
	local a=$1 b=$2 ia=${3:-} ib=${4:-} fa fb rc=0

	exec {fa}</run/netns/"$a"
	exec {fb}</run/netns/"$b"
	if [ -z "$ia" ] || [ -z "$ib" ] ||
	   ! echo "$fa:$ia $fb:$ib" 2>/dev/null >$NSIM_SYS/link_device; then
		ia=$(ip -n "$a" -o link show eth0 | cut -d: -f1)
		ib=$(ip -n "$b" -o link show eth0 | cut -d: -f1)
		echo "$fa:$ia $fb:$ib" >$NSIM_SYS/link_device || rc=1
	fi
	exec {fa}<&- {fb}<&-
	return $rc
}

# B's device is gone (deleted by the caller): a new one takes its place,
# in the same namespace, with the same name and addresses, linked to A's
# port.  A's neighbours still name the old port's address: forget them.
renew() {
	local a=$1 b=$2 queues=${3:-1} idb devb

	[ ! -e "/run/netns/.$b.nsim" ] || { echo "renew: $b still has its device" >&2; return 1; }
	new_dev "$queues" || return 1
	idb=$new_id devb=$new_name
	echo "$idb" >"/run/netns/.$b.nsim"
	ip link set "$devb" netns "$b" || return 1
	port_up "$b" "$devb" 2 || return 1
	link_ports "$a" "$b" || return 1
	ip -n "$a" neigh flush dev eth0 || return 1
	echo "$idb"
}

# The e1000e interfaces of the current namespace, in PCI order: their
# names go to e1k_if, their PCI addresses to e1k_pci.
e1k_find() {
	local d n

	e1k_if=() e1k_pci=()
	for d in "$E1K_DRV"/0000:*; do
		[ -d "$d/net" ] || continue
		for n in "$d"/net/*; do
			[ -e "$n" ] || continue
			e1k_if+=("${n##*/}")
			e1k_pci+=("${d##*/}")
		done
	done
}

# Wait until eth0 of namespace NS has a carrier (the watchdog of e1000e
# reports the link within about two seconds of "up").
e1k_carrier() {
	local ns=$1 i c

	for i in $(seq 100); do
		c=$(ip netns exec "$ns" cat /sys/class/net/eth0/carrier 2>/dev/null)
		[ "$c" = 1 ] && return 0
		sleep 0.1
	done
	echo "e1000e: no link on eth0 of $ns" >&2
	return 1
}

# Spread the flows of NS's eth0 over QUEUES rx queues (1 or 2).  A device
# with one rx queue only (no MSI-X) has nothing to spread.
e1k_queues() {
	local ns=$1 queues=$2

	if ! ip netns exec "$ns" test -e /sys/class/net/eth0/queues/rx-1; then
		[ "$queues" -eq 1 ] && return 0
		echo "e1000e: one rx queue, not $queues" >&2
		return 4
	fi
	ip netns exec "$ns" ethtool -X eth0 equal "$queues"
}

e1k_up() {
	local a=$1 b=$2 queues=${3:-1}

	[ "$queues" -le 2 ] ||
		{ echo "e1000e: two rx queues at most, not $queues" >&2; return 4; }
	e1k_find
	[ ${#e1k_if[@]} -eq 2 ] ||
		{ echo "e1000e: need two e1000e interfaces (vm-run --nic e1000e), found ${#e1k_if[@]}" >&2; return 4; }
	echo "e1000e ${e1k_pci[0]}" >"/run/netns/.$a.nsim"
	echo "e1000e ${e1k_pci[1]}" >"/run/netns/.$b.nsim"
	ip -b - <<-EOF || return 1
		netns add $a
		netns add $b
	EOF
	ip -b - <<-EOF || return 1
		link set ${e1k_if[0]} netns $a
		link set ${e1k_if[1]} netns $b
	EOF
	port_up "$a" "${e1k_if[0]}" 1 || return 1
	port_up "$b" "${e1k_if[1]}" 2 || return 1
	e1k_neigh "$a" 2 "$b" && e1k_neigh "$b" 1 "$a" || return 1
	ip netns exec "$a" ethtool -K eth0 tso off || return 1
	ip netns exec "$b" ethtool -K eth0 tso off || return 1
	e1k_queues "$a" "$queues" && e1k_queues "$b" "$queues" || return
	e1k_carrier "$a" && e1k_carrier "$b" || return 1
	echo "${e1k_pci[0]} ${e1k_pci[1]}"
}

# Namespace NS knows host HOST, whose eth0 is in namespace PEER.
e1k_neigh() {
	local ns=$1 host=$2 peer=$3 mac

	mac=$(ip netns exec "$peer" cat /sys/class/net/eth0/address) || return 1
	ip -n "$ns" -b - <<-EOF
		neigh replace 192.0.2.$host lladdr $mac nud permanent dev eth0
		neigh replace 2001:db8::$host lladdr $mac nud permanent dev eth0
	EOF
}

# B's device was unbound ("unplug"): bind it again and put it back.
e1k_renew() {
	local b=$2 pci i

	read -r _ pci <"/run/netns/.$b.nsim" || return 1
	echo "$pci" >"$E1K_DRV/bind" || return 1
	rm -f "/run/netns/.$b.unplugged"
	e1k_find
	for i in "${!e1k_pci[@]}"; do
		[ "${e1k_pci[$i]}" = "$pci" ] || continue
		ip link set "${e1k_if[$i]}" netns "$b" || return 1
		port_up "$b" "${e1k_if[$i]}" 2 || return 1
		e1k_neigh "$b" 1 "$1" || return 1
		ip netns exec "$b" ethtool -K eth0 tso off || return 1
		e1k_queues "$b" 1 || return 1
		e1k_carrier "$b" || return 1
		echo "$pci"
		return 0
	done
	echo "e1000e: $pci has no interface after bind" >&2
	return 1
}

# /run/netns/.NS.unplugged marks NS's e1000e as unbound, until "renew" or
# "down" binds it again.
unplug() {
	local kind pci drv=$E1K_DRV why

	read -r kind pci <"/run/netns/.$1.nsim" || return 1
	if [ "$kind" = hw ]; then
		why=$(can_unplug "$1") || { echo "unplug: $why" >&2; return 4; }
		read -r _ _ pci drv _ <"/run/netns/.$1.nsim" || return 1
		drv=$PCI_DRV/$drv
	fi
	[ "$kind" = e1000e ] || [ "$kind" = hw ] ||
		{ echo "unplug: $1 has no e1000e" >&2; return 2; }
	echo "$pci" >"$drv/unbind" || return 1
	: >"/run/netns/.$1.unplugged"
}

# Move NS's e1000e back to the initial namespace, under a name of its own
# so that the two never clash there.
e1k_down() {
	local ns=$1 pci

	read -r _ pci <"/run/netns/.$ns.nsim" || return 1
	if [ -e "/run/netns/.$ns.unplugged" ]; then
		# bound again, it comes back in the initial namespace
		[ -e "/sys/bus/pci/devices/$pci/driver" ] ||
			echo "$pci" >"$E1K_DRV/bind" || return 1
		rm -f "/run/netns/.$ns.unplugged"
	fi
	[ -e /run/netns/"$ns" ] || return 0
	ip -n "$ns" link show eth0 >/dev/null 2>&1 || return 0
	ip -n "$ns" link set eth0 down
	ip -n "$ns" link set eth0 name "zcrx${pci//[:.]/}" netns 1
}

# ZCRX_NIC=hw: the interfaces and addresses of the environment.
hw_env() {
	local n

	HW_IF=${ZCRX_IF:-} HW_PEER_IF=${ZCRX_PEER_IF:-}
	HW_ADDR4=${ZCRX_ADDR4:-192.0.2.2} HW_PEER_ADDR4=${ZCRX_PEER_ADDR4:-192.0.2.1}
	HW_ADDR6=${ZCRX_ADDR6:-2001:db8::2} HW_PEER_ADDR6=${ZCRX_PEER_ADDR6:-2001:db8::1}
	if [ -z "$HW_IF" ] || [ -z "$HW_PEER_IF" ]; then
		echo "ZCRX_NIC=hw: set ZCRX_IF to the receiving interface" \
			"and ZCRX_PEER_IF to the interface cabled to it" >&2
		return 4
	fi
	if [ "$HW_IF" = "$HW_PEER_IF" ]; then
		echo "ZCRX_NIC=hw: ZCRX_IF and ZCRX_PEER_IF are both $HW_IF" >&2
		return 4
	fi
	for n in "$HW_IF" "$HW_PEER_IF"; do
		[ -e "/sys/class/net/$n" ] ||
			{ echo "ZCRX_NIC=hw: no interface $n in this namespace" >&2; return 4; }
	done
}

# The current rx ring size of eth0 in namespace NS (empty if unknown).
hw_ring() {
	ip netns exec "$1" ethtool -g eth0 2>/dev/null |
		awk '/^Current/ { c = 1 } c && /^RX:/ { print $2; exit }'
}

# Record in /run/netns/.NS.nsim what "down" and the tests need of interface
# DEV (of the initial namespace), which goes to NS: "hw NAME PCI DRIVER
# QUEUES STEER HDS RING NTUPLE".  PCI is "-" if DEV is not a PCI device,
# "shared" if its PCI device has other interfaces; QUEUES is its number of
# rx queues; STEER "ntuple" or "rss"; HDS its tcp-data-split (on, off,
# unknown), RING its rx ring size and NTUPLE its ntuple setting as found,
# "-" where unknown or, on A's side, not touched.
hw_note() {
	local ns=$1 dev=$2 rx=$3 pci=- drv=- steer=- hds=- ring=- ntuple=- d q

	d=/sys/class/net/$dev/device
	if [ "$(readlink -f "$d/subsystem" 2>/dev/null)" = /sys/bus/pci ]; then
		pci=$(readlink -f "$d") && pci=${pci##*/}
		drv=$(readlink -f "$d/driver") && drv=${drv##*/}
		q=("$d"/net/*)
		[ ${#q[@]} -eq 1 ] || pci=shared
	fi
	q=(/sys/class/net/"$dev"/queues/rx-*)
	q=${#q[@]}
	if [ "$rx" = 1 ]; then
		ntuple=$(ethtool -k "$dev" 2>/dev/null | sed -n 's/^ntuple-filters: //p')
		case $ntuple in
		""|*fixed*) steer=rss ;;
		*) steer=ntuple ;;
		esac
		ntuple=${ntuple%% *}
		hds=$("$HERE/zcrx_nic" "$dev" hds 2>/dev/null) || hds=-
		ring=$(ethtool -g "$dev" 2>/dev/null |
		       awk '/^Current/ { c = 1 } c && /^RX:/ { print $2; exit }')
	fi
	echo "hw $dev $pci $drv $q $steer $hds ${ring:--} ${ntuple:--}" >"/run/netns/.$ns.nsim"
}

# Address and bring up interface DEV of namespace NS: host addresses
# ADDR4 and ADDR6, and routes to PEER4 and PEER6 through it, so that the
# two need no common prefix.
hw_port_up() {
	local ns=$1 dev=$2 addr4=$3 peer4=$4 addr6=$5 peer6=$6

	ip -n "$ns" -b - <<-EOF
		link set $dev name eth0
		addr add $addr4/32 dev eth0
		addr add $addr6/128 dev eth0 nodad
		link set lo up
		link set eth0 up
		route add $peer4/32 dev eth0
		route add $peer6/128 dev eth0
	EOF
}

# Namespace NS knows ADDR4 and ADDR6 as eth0 of namespace PEER.
hw_neigh() {
	local ns=$1 peer=$2 addr4=$3 addr6=$4 mac

	mac=$(ip netns exec "$peer" cat /sys/class/net/eth0/address) || return 1
	ip -n "$ns" -b - <<-EOF
		neigh replace $addr4 lladdr $mac nud permanent dev eth0
		neigh replace $addr6 lladdr $mac nud permanent dev eth0
	EOF
}

# Wait until eth0 of namespace NS has a carrier: a real link may take
# several seconds to come up.
hw_carrier() {
	local ns=$1 i c

	for i in $(seq 300); do
		c=$(ip netns exec "$ns" cat /sys/class/net/eth0/carrier 2>/dev/null)
		[ "$c" = 1 ] && return 0
		sleep 0.1
	done
	echo "ZCRX_NIC=hw: no link on eth0 of $ns" >&2
	return 1
}

hw_up() {
	local a=$1 b=$2 q steer ntuple

	hw_env || return
	hw_note "$a" "$HW_PEER_IF" 0 || return 1
	hw_note "$b" "$HW_IF" 1 || return 1
	read -r _ _ _ _ q steer _ _ ntuple <"/run/netns/.$b.nsim" || return 1
	if [ "$q" -lt 2 ]; then
		echo "ZCRX_NIC=hw: $HW_IF has $q rx queue, the tests bind queue 1 (ethtool -L)" >&2
		return 4
	fi
	ip -b - <<-EOF || return 1
		netns add $a
		netns add $b
	EOF
	ip -b - <<-EOF || return 1
		link set $HW_PEER_IF netns $a
		link set $HW_IF netns $b
	EOF
	hw_port_up "$a" "$HW_PEER_IF" "$HW_PEER_ADDR4" "$HW_ADDR4" \
		"$HW_PEER_ADDR6" "$HW_ADDR6" || return 1
	hw_port_up "$b" "$HW_IF" "$HW_ADDR4" "$HW_PEER_ADDR4" \
		"$HW_ADDR6" "$HW_PEER_ADDR6" || return 1
	hw_neigh "$a" "$b" "$HW_ADDR4" "$HW_ADDR6" &&
		hw_neigh "$b" "$a" "$HW_PEER_ADDR4" "$HW_PEER_ADDR6" || return 1
	if [ "$steer" = ntuple ]; then
		[ "$ntuple" = on ] || ip netns exec "$b" ethtool -K eth0 ntuple on || return 1
	elif ! ip netns exec "$b" ethtool -X eth0 equal "$q"; then
		echo "ZCRX_NIC=hw: $HW_IF has neither ntuple rules nor an RSS table to set" >&2
		return 4
	fi
	hw_carrier "$a" && hw_carrier "$b" || return 1
	echo "$HW_PEER_IF $HW_IF"
}

# Whether NS's interface can be unplugged; if not, say why on stdout.
can_unplug() {
	local kind name pci

	read -r kind name pci _ <"/run/netns/.$1.nsim" || return 1
	[ "$kind" = hw ] || return 0
	case $pci in
	-)
		echo "$name is not a PCI device: nothing to unbind"
		return 4
		;;
	shared)
		echo "$name shares its PCI device with other interfaces:" \
			"unbinding it would take them too"
		return 4
		;;
	esac
}

# Bring back the settings of NS's eth0 that "up" and the tests changed.
hw_restore() {
	local ns=$1 steer=$2 hds=$3 ring=$4 ntuple=$5 i cur

	if [ "$steer" = ntuple ]; then
		ip netns exec "$ns" ethtool -N eth0 delete 1 2>/dev/null
		ip netns exec "$ns" ethtool -N eth0 delete 2 2>/dev/null
		[ "$ntuple" = on ] || ip netns exec "$ns" ethtool -K eth0 ntuple off
	elif [ "$steer" = rss ]; then
		ip netns exec "$ns" ethtool -X eth0 default
	fi
	cur=$(hw_ring "$ns")
	if [ "$ring" != - ] && [ -n "$cur" ] && [ "$cur" != "$ring" ]; then
		ip netns exec "$ns" ethtool -G eth0 rx "$ring"
	fi
	[ "$hds" = unknown ] && hds=auto
	case $hds in
	on|off|auto)
		# a queue of a ring that just closed may be bound a moment longer
		for i in $(seq 50); do
			"$HERE/zcrx_nic" -N "$ns" eth0 hds "$hds" 2>/dev/null && return 0
			sleep 0.1
		done
		echo "ZCRX_NIC=hw: tcp-data-split of $ns's eth0 not set back to $hds" >&2
		;;
	esac
}

# Bind NS's unplugged PCI device again: it comes back in the initial
# namespace, given its name NAME again if it has another.
hw_rebind() {
	local ns=$1 name=$2 pci=$3 drv=$4 n

	[ -e "/sys/bus/pci/devices/$pci/driver" ] ||
		echo "$pci" >"$PCI_DRV/$drv/bind" || return 1
	rm -f "/run/netns/.$ns.unplugged"
	for n in /sys/bus/pci/devices/"$pci"/net/*; do
		[ -e "$n" ] || continue
		n=${n##*/}
		[ "$n" = "$name" ] || [ -e "/sys/class/net/$name" ] ||
			ip link set "$n" name "$name"
	done
	return 0
}

# Move NS's interface back to the initial namespace, under its own name,
# with what "up" and the tests changed put back.
hw_down() {
	local ns=$1 name pci drv steer hds ring ntuple

	read -r _ name pci drv _ steer hds ring ntuple <"/run/netns/.$ns.nsim" || return 1
	if [ -e "/run/netns/.$ns.unplugged" ]; then
		hw_rebind "$ns" "$name" "$pci" "$drv"
		return
	fi
	[ -e /run/netns/"$ns" ] || return 0
	ip -n "$ns" link show eth0 >/dev/null 2>&1 || return 0
	hw_restore "$ns" "$steer" "$hds" "$ring" "$ntuple"
	ip -n "$ns" link set eth0 down
	ip -n "$ns" link set eth0 name "$name" netns 1
}

down() {
	local ns id rc=0 del=

	for ns in "$@"; do
		if [ -e "/run/netns/.$ns.nsim" ]; then
			read -r id _ <"/run/netns/.$ns.nsim"
			if [ "$id" = e1000e ]; then
				e1k_down "$ns" || rc=1
			elif [ "$id" = hw ]; then
				hw_down "$ns" || rc=1
			else
				echo "$id" >$NSIM_SYS/del_device || rc=1
			fi
			rm -f "/run/netns/.$ns.nsim"
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

	read -r id <"/run/netns/.$1.nsim" || return 1
	echo "/sys/kernel/debug/netdevsim/netdevsim$id/ports/0"
}

case "$NIC" in
netdevsim|e1000e|hw) ;;
*) echo "ZCRX_NIC: netdevsim, e1000e or hw, not '$NIC'" >&2; exit 2 ;;
esac
case "${1:-}" in
up)
	shift
	if [ "$NIC" = e1000e ]; then
		e1k_up "$@" || { rc=$?; down "$1" "$2" 2>/dev/null; exit $rc; }
	elif [ "$NIC" = hw ]; then
		hw_up "$@" || { rc=$?; down "$1" "$2" 2>/dev/null; exit $rc; }
	else
		up "$@" || { rc=$?; down "$1" "$2" 2>/dev/null; exit $rc; }
	fi
	;;
down) shift; down "$@" ;;
renew)
	shift
	if [ "$NIC" = e1000e ]; then
		e1k_renew "$@"
	elif [ "$NIC" = hw ]; then
		echo "renew: not with ZCRX_NIC=hw (\"down\" binds the device again)" >&2
		exit 2
	else
		renew "$@"
	fi
	;;
unplug) shift; unplug "$@" ;;
can-unplug) shift; can_unplug "$@" ;;
hds) shift; hds "$@" ;;
stat) shift; counter "$@" ;;
dfs) shift; dfs "$@" ;;
ynl) shift; ynl "$@" ;;
*) echo "usage: $0 up|down|renew|unplug|can-unplug|hds|stat|dfs|ynl ..." >&2; exit 2 ;;
esac
