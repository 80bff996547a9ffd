#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs in the guest; booted by make bench-fwd (and make bench).
# Three TCP relays side by side in one VM, passing the same stream from a
# sender to a far end that checks every byte: liburing-zc's zcrx-forward
# receiving with RECV_ZC and sending the area's buffers with SEND_ZC
# ("zc": 4 KiB buffers; "zc_64k": 64 KiB buffers in an area of huge
# pages, which hold consecutive segments back to back, so that one
# completion and one iovec entry cover up to 16 of them), the same program
# with recv() and send() ("copy") and with splice() through a pipe
# ("splice").  Rounds alternate the relays.
#
#   bench-fwd.sh ZCRX_DIR LIBURING_ZC_BUILD OUT [SIZE [ROUNDS]]
#   bench-fwd.sh --smoke ZCRX_DIR LIBURING_ZC_BUILD OUT
#       make check's run: each relay once on 4 MiB, on whatever CPUs the
#       guest has; the TAP of run_kselftest.sh ("selftests: bench:
#       fwd_RELAY"), no figures
#   bench-fwd.sh --list
#       the names the smoke run reports
#
# The relay and the NAPI of its port (B, in a kthread) run on CPU 1; the
# sender, the far end and the NAPI of their port (A) on CPU 0.  The
# relay's CPU is CPU 1's busy time over the transfer (from /proc/stat's
# idle and iowait, as bench.sh measures a receiver) less the time
# netdevsim's receive engine spent on B's frames, which a NIC's DMA would
# do without a CPU: the relay's program, both directions of the TCP/IP
# stack and the driver.  The MTU makes 4096-byte segments.  Each run
# appends a line to OUT/fwd.csv; the summary (medians of the rounds, each
# relay against "copy") goes to OUT/fwd-summary.csv and the terminal.
set -euo pipefail
# shellcheck source=scripts/guest/bench-common.sh
. "$(dirname "$0")/bench-common.sh"
export LC_ALL=C
relays="zc zc_64k copy splice"
if [ "${1:-}" = --list ]; then
	for r in $relays; do
		echo "fwd_$r"
	done
	exit 0
fi
smoke=false
if [ "${1:-}" = --smoke ]; then
	smoke=true
	shift
	set -- "$1" "$2" "$3" 4M 1
fi
dir=$1
lzc=$2
out=$3
size=${4:-256M}
rounds=${5:-3}
a=zc-fwd-a
b=zc-fwd-b
port=9000
seed=0x5eed
tx_cpu=0
rx_cpu=1
mtu=$((4096 + 20 + 20 + 12))

die() {
	echo "error: $*" >&2
	exit 1
}

cd "$dir" || die "no selftests in $dir"
mkdir -p "$out"
ncpu=$(nproc)
if [ "$ncpu" -lt 2 ]; then
	$smoke || die "the benchmark needs two CPUs, the guest has $ncpu"
	rx_cpu=0
fi
taskset -pc $tx_cpu $$ >/dev/null || die "cannot pin the benchmark to CPU $tx_cpu"
work=$(mktemp -d) || die "mktemp failed"
cleanup() {
	pkill -x zcrx-forward 2>/dev/null || true
	pkill -x zcrx-sink 2>/dev/null || true
	pkill -x zcrx-send 2>/dev/null || true
	./nsim_env.sh down $a $b 2>/dev/null || true
	[ -z "${huge0:-}" ] || echo "$huge0" >/proc/sys/vm/nr_hugepages
	rm -rf "$work"
}
trap cleanup EXIT

bench_pair $a $b $mtu $port
threaded_napi $a $tx_cpu
threaded_napi $b $rx_cpu
# a 64 MiB area of 2 MiB pages for zc_64k
huge0=$(cat /proc/sys/vm/nr_hugepages)
echo 64 >/proc/sys/vm/nr_hugepages
hz=$(getconf CLK_TCK)
total=$(numfmt --from=iec "$size") || die "bad size $size"

# one RELAY ROUND: a transfer through it, a line of OUT/fwd.csv
one() {
	local r=$1 round=$2 i t0 i0 m0 t1 i1 m1 rc=0 sink relay args
	# each end gives up after a while: one that failed to start must not
	# leave the other waiting for a connection
	ip netns exec $a taskset -c $tx_cpu timeout 600 "$lzc/examples/zcrx-sink" -r \
		-p $((port + 1)) -x $seed -s "$total" >"$work/sink" 2>&1 &
	sink=$!
	case $r in
	zc_64k) args=(-m zc -H -b 64K) ;;
	*) args=(-m "$r") ;;
	esac
	ip netns exec $b taskset -c $rx_cpu timeout 600 "$lzc/examples/zcrx-forward" "${args[@]}" \
		-i eth0 -q 1 -a 64M -p $port -c 192.0.2.1 -P $((port + 1)) -s "$total" \
		>"$work/relay" 2>&1 &
	relay=$!
	for i in $(seq 100); do
		grep -q '^listening' "$work/relay" && break
		sleep 0.1
	done
	$smoke || settle
	m0=$(model_ns $b)
	stamp
	t0=$stamp_t i0=$stamp_idle
	ip netns exec $a taskset -c $tx_cpu timeout 600 "$lzc/examples/zcrx-send" -c 192.0.2.2 -p $port \
		-s "$total" -x $seed >"$work/send" 2>&1 || rc=1
	wait $relay || rc=1
	stamp
	t1=$stamp_t i1=$stamp_idle
	m1=$(model_ns $b)
	wait $sink || rc=1
	if [ $rc != 0 ]; then
		cat "$work/relay" "$work/sink" "$work/send"
		return 1
	fi
	awk -v r="$r" -v n="$round" -v t0="$t0" -v t1="$t1" -v i="$((i1 - i0))" -v hz="$hz" \
	    -v m0="$m0" -v m1="$m1" -v b="$(field bytes "$work/relay")" \
	    -v nt="$(field notifs "$work/relay")" -v nc="$(field notif_copied "$work/relay")" \
	    -v zb="$(field zc_bytes "$work/relay")" -v cb="$(field copy_bytes "$work/relay")" '
	BEGIN {
		s = t1 - t0
		busy = s - i / hz
		if (busy < 0) busy = 0
		ms = "-"
		c = busy
		if (m0 != "-" && m1 != "-") {
			ms = sprintf("%.3f", (m1 - m0) / 1e9)
			c = busy - (m1 - m0) / 1e9
			if (c < 0) c = 0
		}
		printf "%s,%d,%.0f,%.3f,%.3f,%s,%s,%s,%s,%s\n", r, n, b, s, c, ms, nt, nc, zb, cb
	}' | tee -a "$out/fwd.csv"
}

echo "relay,round,bytes,secs,cpu_secs,model_secs,notifs,notif_copied,zc_bytes,copy_bytes" \
	>"$out/fwd.csv"
if $smoke; then
	n=0
	echo "TAP version 13"
	echo "1..$(echo $relays | wc -w)"
	for r in $relays; do
		n=$((n + 1))
		echo "# selftests: bench: fwd_$r"
		if (one "$r" 1) 2>&1 | sed 's/^/# /'; then
			echo "ok $n selftests: bench: fwd_$r"
		else
			echo "not ok $n selftests: bench: fwd_$r"
			# what a failed run left behind must not fail the next
			pkill -x zcrx-forward || true
			pkill -x zcrx-sink || true
			pkill -x zcrx-send || true
			sleep 1
		fi
	done
	exit 0
fi
echo "kernel $(uname -r), $ncpu CPUs, MTU $mtu, $size per run, $rounds rounds"
for n in $(seq "$rounds"); do
	for r in $relays; do
		one "$r" "$n" || die "relay $r failed in round $n"
	done
done

python3 - "$out" <<'EOF'
import csv, statistics, sys
out = sys.argv[1]
rows = list(csv.DictReader(open(out + '/fwd.csv')))
GiB = 1 << 30
runs = {}
for r in rows:
    b = float(r['bytes'])
    runs.setdefault(r['relay'], []).append({
        'mibs': b / float(r['secs']) / (1 << 20),
        'cpu': float(r['cpu_secs']) * GiB / b,
        'copied': int(r['notif_copied']) if r['notif_copied'] not in ('', '-') else 0,
        'notifs': int(r['notifs']) if r['notifs'] not in ('', '-') else 0,
    })
med = {k: {f: statistics.median(v[f] for v in vs) for f in ('mibs', 'cpu')}
       for k, vs in runs.items()}
base = med.get('copy')
names = {'zc': 'RECV_ZC + SEND_ZC', 'zc_64k': 'the same, 64 KiB bufs',
         'copy': 'recv() + send()', 'splice': 'splice()'}
with open(out + '/fwd-summary.csv', 'w') as f:
    w = csv.writer(f)
    w.writerow(['relay', 'mib_s', 'cpu_s_per_gib', 'cpu_vs_copy', 'mib_s_vs_copy',
                'notifs', 'notifs_copied'])
    print('\nrelays, median of %d rounds' % len(runs['copy']))
    print('%-22s %10s %12s %10s %10s %16s' % ('relay', 'MiB/s', 'CPU s/GiB',
                                             'CPU x', 'MiB/s x', 'sends copied'))
    for k in ('zc', 'zc_64k', 'copy', 'splice'):
        if k not in med:
            continue
        m = med[k]
        cx = m['cpu'] / base['cpu'] if base and base['cpu'] else 0
        mx = m['mibs'] / base['mibs'] if base and base['mibs'] else 0
        nt = sum(v['notifs'] for v in runs[k])
        nc = sum(v['copied'] for v in runs[k])
        w.writerow([k, '%.1f' % m['mibs'], '%.3f' % m['cpu'], '%.3f' % cx,
                    '%.3f' % mx, nt, nc])
        print('%-22s %10.1f %12.3f %10.2f %10.2f %16s' % (
            names[k], m['mibs'], m['cpu'], cx, mx,
            '%d of %d' % (nc, nt) if k.startswith('zc') else '-'))
EOF
