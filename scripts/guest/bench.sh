#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs in the guest; booted by make bench.
# Every way to receive a TCP stream on Linux, side by side in one VM: the
# same netdevsim link, the same sender, the same steering rule, rounds
# alternated so that a noisy host affects every receiver alike.
#
#   bench.sh ZCRX_DIR TCP_MMAP LIBURING_ZC_BUILD OUT [SIZE [ROUNDS [FLOWS
#            [RECEIVERS]]]]
#   bench.sh --smoke ZCRX_DIR TCP_MMAP LIBURING_ZC_BUILD OUT
#       make check's run: each receiver once, touched, on 4 MiB in one
#       flow (and zc_4k in 4 flows), on whatever CPUs the guest has, and
#       zcrx_scale on two small areas (bench_scale); the TAP of
#       run_kselftest.sh ("selftests: bench: bench_RECEIVER"), no figures
#   bench.sh --list
#       the names the smoke run reports
#   bench.sh --summary OUT
#       only the summary of OUT/bench.csv (the host runs it when it
#       booted several kernels, see scripts/bench.sh)
#
# Receivers (zcrx_bench unless noted):
#   recv        recv() into 64 KiB, epoll over the flows
#   uring       io_uring multishot IORING_OP_RECV with provided buffers
#   tcp_mmap    TCP_ZEROCOPY_RECEIVE: the tree's tools/testing/selftests/
#               net/tcp_mmap server (-z), with its own copy fallback
#   zc_4k, zc_16k, zc_64k
#               IORING_OP_RECV_ZC with 4, 16 and 64 KiB buffers
#   liburing_zc RECV_ZC through liburing-zc's zcrx-server (one flow only:
#               the example serves one connection), with zc_4k's 64 MiB
#               area
#   nodev       RECV_ZC on a device-less ifq: every byte copied
# Payload untouched (the receiver only learns where the data is and gives
# it back) or touched (it reads every byte once: the pattern check, or
# tcp_mmap's -x hash); SIZE bytes in all per run, over FLOWS concurrent
# connections.
#
# The senders, this script and the sending port's NAPI run on CPU 0; the
# receiver and the receiving port's NAPI, both in kthreads (threaded
# NAPI), on CPU 1.  Receiver CPU is CPU 1's busy time over the transfer,
# the wall time less what /proc/stat counts idle (and iowait, which an
# io_uring waiter is) on it: the application, the TCP/IP stack and the
# driver, whatever context they run in.  The kernel measures idle time
# exactly (NO_HZ), unlike user and system time, which it samples at each
# tick: the figure is good to the 10 ms of /proc/stat's unit rather than
# a statistical share of a few hundred ticks.  CPU 1 also runs
# netdevsim's receive engine, which copies and checksums each frame into
# the queue's buffers as a NIC's DMA would: work a real NIC does without
# a CPU, the same for every receiver.  The engine counts the time it
# spends so (ethtool -S rxN_dma_ns), and the receiver's CPU time is the
# busy time less that (the CSV has both: cpu_secs and model_secs).
# Throughput is the receiver's own (all flows accepted to last byte), and
# "util" CPU 1's busy share of the run (senders started to the receiver's
# report): below 100 % the receiver was not what limited it.  The senders compute their whole stream before
# they connect (zcrx_xfer -P) and then only send it, so that a receiver
# is the bottleneck where it can be.  The guest runs under
# QEMU's TCG unless the host has KVM: absolute figures are an emulator's,
# only the ratios within one run mean something.
#
# "touched" is a pattern check of every byte for zcrx_bench and
# liburing-zc's zcrx-server, and tcp_mmap's -x, an XOR over every word:
# lighter work, which flatters tcp_mmap's touched figures.
# Each run appends a CSV line to OUT/bench.csv; the summary (median of the
# rounds, min and max) goes to OUT/summary.csv and the terminal.
# With ZCRX_BENCH_PERF naming a perf binary, perf samples CPU 1 (its
# clock, 999 Hz, with call chains) during each run and writes
# OUT/perf-RECEIVER-MODE-FLOWS-ROUND.txt: where the receiver's CPU went.
# ZCRX_BENCH_KERNEL labels the rows of this boot's kernel (a column of
# the CSV; receivers show as RECEIVER@LABEL), ZCRX_BENCH_ROUND numbers
# its one round, and the rows are added to an existing OUT/bench.csv.
set -euo pipefail
# shellcheck source=scripts/guest/bench-common.sh
. "$(dirname "$0")/bench-common.sh"
# $EPOCHREALTIME and awk's numbers with a decimal point, whatever the host's
export LC_ALL=C
all_receivers="recv uring tcp_mmap zc_4k zc_16k zc_64k liburing_zc nodev"
if [ "${1:-}" = --summary ]; then
	out=$2
	summary_only=true
elif [ "${1:-}" = --list ]; then
	for r in $all_receivers zc_4k_4flows scale; do
		echo "bench_$r"
	done
	exit 0
fi
smoke=false
summary_only=${summary_only:-false}
if [ "${1:-}" = --smoke ]; then
	smoke=true
	shift
	set -- "$1" "$2" "$3" "$4" 4M 1 1
	mkdir -p "$4"
fi
if ! $summary_only; then
dir=$1
tcp_mmap=$2
lzc=$3
out=$4
size=${5:-256M}
rounds=${6:-3}
flows_list=${7:-"1 4 16"}
a=zc-bench-a
b=zc-bench-b
port=9000
tx_cpu=0
rx_cpu=1
# MSS 4096: whole pages of payload per segment, as tcp_mmap needs
mtu=$((4096 + 20 + 20 + 12))
read -r -a receivers <<<"${8:-$all_receivers}"
modes=(untouched touched)

die() {
	echo "error: $*" >&2
	exit 1
}

cd "$dir" || die "no selftests in $dir"
ncpu=$(nproc)
if $smoke && [ "$ncpu" -lt 2 ]; then
	rx_cpu=0
else
	[ "$ncpu" -ge 2 ] || die "the benchmark needs two CPUs, the guest has $ncpu"
fi
# this script and all it starts stay off the receiver's CPU
taskset -pc $tx_cpu $$ >/dev/null || die "cannot pin the benchmark to CPU $tx_cpu"
huge0=$(cat /proc/sys/vm/nr_hugepages)
work=$(mktemp -d) || die "mktemp failed"
rx=
cleanup() {
	[ -z "$rx" ] || kill "$rx" 2>/dev/null || true
	# senders that still wait for their start
	pkill -x zcrx_xfer 2>/dev/null || true
	pkill -x tcp_mmap 2>/dev/null || true
	./nsim_env.sh down $a $b 2>/dev/null || true
	echo "$huge0" >/proc/sys/vm/nr_hugepages
	rm -rf "$work"
}
trap cleanup EXIT

bench_pair $a $b $mtu $port
# NAPI moves to kthreads: the sender's (its ACKs, scheduled by the
# receiver's transmit) next to the senders, the receiver's next to it
# (threaded_napi, stamp, settle, model_ns and field: bench-common.sh)
threaded_napi $a $tx_cpu
threaded_napi $b $rx_cpu
# 64 MiB areas of 2 MiB pages, one receiver at a time
echo 64 >/proc/sys/vm/nr_hugepages
hz=$(getconf CLK_TCK)
# how long a receiver may take to report
if $smoke; then
	run_timeout=300
else
	run_timeout=1200
fi
total=$(numfmt --from=iec "$size") || die "bad size $size"
for f in $flows_list; do
	# tcp_mmap reports whole MiB: each flow must be some
	[ $((total % (f << 20))) = 0 ] ||
		die "$size does not split into $f flows of whole MiB"
done





# The receiver command for RECEIVER MODE FLOWS (each flow $per bytes),
# into the array cmd.
rx_cmd() {
	local r=$1 mode=$2 flows=$3 bench
	# stdout is a pipe: line-buffered, so that each report comes when it
	# is printed, not at exit
	bench=(stdbuf -oL ./zcrx_bench -p "$port" -F "$flows" -S "$per" -r "$work/ready")
	if [ "$mode" = touched ]; then
		bench+=(-t)
	fi
	case $r in
	recv|uring|nodev) cmd=("${bench[@]}" -m "$r") ;;
	zc_4k) cmd=("${bench[@]}" -m zc -z eth0:1) ;;
	zc_16k|zc_64k) cmd=("${bench[@]}" -m zc -z eth0:1 -B "${r#zc_}") ;;
	liburing_zc)
		# the same area as zcrx_bench's (64 MiB, not the example's
		# 16): the two differ in their ring code (and the refill
		# ring's size: one entry per buffer, against zcrx_bench's 32768)
		cmd=(stdbuf -oL "$lzc/examples/zcrx-server" -i eth0 -q 1 -p "$port" -s "$per" -a 64M)
		if [ "$mode" != touched ]; then
			cmd+=(-N)
		fi ;;
	tcp_mmap)
		# the server never exits: its reports must not wait in stdio
		cmd=(stdbuf -oL "$tcp_mmap" -4 -s -z -p "$port")
		if [ "$mode" = touched ]; then
			cmd+=(-x)
		fi ;;
	esac
}

# The receiver's output, line by line from the FIFO on fd $rxfd into
# $work/rx, until its report is complete: the result line, or one
# "received" line per flow for tcp_mmap (whose server never exits).
# Reading the pipe, with no polling, stamps the end of the transfer the
# moment the receiver reports it, before it tears anything down.  Fails
# at the end of the output, or after $run_timeout seconds.
rx_report() {	# rx_report RECEIVER FLOWS
	local line part= n=0 end=$((SECONDS + run_timeout)) rc
	while [ $SECONDS -lt $end ]; do
		line=
		IFS= read -r -t 5 -u "$rxfd" line && rc=0 || rc=$?
		if [ $rc -gt 128 ]; then	# no whole line yet
			part+=$line
			continue
		fi
		line=$part$line
		part=
		[ -n "$line" ] || [ $rc = 0 ] || return 1	# the end
		printf '%s\n' "$line" >>"$work/rx"
		case $line in
		result:*) [ "$1" != tcp_mmap ] && return 0 ;;
		received*) n=$((n + 1)); [ "$1" = tcp_mmap ] && [ "$n" -ge "$2" ] && return 0 ;;
		esac
		[ $rc = 0 ] || return 1
	done
	echo "$1: no report after $run_timeout s" >>"$work/rx"
	return 1
}

# what the receiver printed, for a failure: no longer than 5 s
rx_drain() {
	timeout 5 cat <&"$rxfd" >>"$work/rx" || true
	cat "$work/rx"
}

# one RECEIVER MODE FLOWS ROUND: run it, append a CSV line
one() {
	local r=$1 mode=$2 flows=$3 round=$4 i pids=() i0 i1 t0 t1 m0 m1 bytes secs prof perf_pid
	local cmpl=- copied=- n per=$((total / $3)) cmd=() pid reported=true
	rm -f "$work/ready" "$work"/go.* "$work/out"
	: >"$work/rx"
	mkfifo "$work/out"
	rx_cmd "$r" "$mode" "$flows"
	ip netns exec $b taskset -c $rx_cpu "${cmd[@]}" >"$work/out" 2>&1 &
	rx=$!
	exec {rxfd}<"$work/out"
	case $r in
	liburing_zc|tcp_mmap) sleep 1 ;;
	*)	for i in $(seq 100); do
			[ -e "$work/ready" ] && break
			sleep 0.1
		done
		[ -e "$work/ready" ] || { rx_drain; die "$r: the receiver is not ready"; } ;;
	esac
	if [ -n "${ZCRX_BENCH_PERF:-}" ]; then
		prof=$out/perf-$r${label:+-$label}-$mode-$flows-$round
		"$ZCRX_BENCH_PERF" record -q -e cpu-clock -F 999 -C $rx_cpu -g \
			-o "$prof.data" >"$prof.log" 2>&1 &
		perf_pid=$!
		sleep 2
	fi
	# the senders compute their streams, bound to their ports, and wait
	for i in $(seq "$flows"); do
		ip netns exec $a taskset -c $tx_cpu ./zcrx_xfer -c 192.0.2.2 -p $port \
			-P -r "$work/go.$i" -S $per >/dev/null &
		pids+=($!)
	done
	for i in $(seq "$flows"); do
		for n in $(seq 600); do
			[ -s "$work/go.$i" ] && break
			sleep 0.1
		done
		[ -s "$work/go.$i" ] || { rx_drain; die "$r: sender $i is not ready"; }
	done
	$smoke || settle
	m0=$(model_ns $b)
	stamp
	t0=$stamp_t i0=$stamp_idle
	for i in $(seq "$flows"); do
		read -r pid <"$work/go.$i"
		kill -USR2 "$pid"
	done
	rx_report "$r" "$flows" || reported=false
	stamp
	t1=$stamp_t i1=$stamp_idle
	m1=$(model_ns $b)
	if [ "$r" = tcp_mmap ] || ! $reported; then
		# the server never exits; a receiver without a report is stuck
		kill $rx 2>/dev/null || true
	fi
	for i in "${pids[@]}"; do
		wait "$i" || { rx_drain; die "$r: a sender failed"; }
	done
	cat <&"$rxfd" >>"$work/rx"
	exec {rxfd}<&-
	if [ "$r" = tcp_mmap ]; then
		wait $rx 2>/dev/null || true
		$reported || { cat "$work/rx"; die "tcp_mmap: not every flow ended"; }
		# "received X MB (P % mmap'ed) in S s": what was not mapped was
		# copied; the flows ran side by side, the longest is the time
		read -r bytes copied secs < <(awk '/^received/ {
			b += $2 * 1048576; c += $2 * 1048576 * (100 - substr($4, 2)) / 100
			if ($8 > s) s = $8 }
			END { printf "%.0f %.0f %s\n", b, c, s }' "$work/rx")
	else
		wait $rx || { cat "$work/rx"; die "$r ($mode, $flows flows): the receiver failed"; }
		$reported || { cat "$work/rx"; die "$r: no result line"; }
		bytes=$(field bytes "$work/rx")
		secs=$(field secs "$work/rx")
		cmpl=$(field completions "$work/rx")
		copied=$(field copy_bytes "$work/rx")
	fi
	rx=
	if [ -n "${ZCRX_BENCH_PERF:-}" ]; then
		kill -INT "$perf_pid"
		wait "$perf_pid" || true
	fi
	[ "$bytes" = $((per * flows)) ] ||
		{ cat "$work/rx"; die "$r ($mode, $flows flows): ${bytes:-no} bytes, not $((per * flows))"; }
	[ -n "$secs" ] || { cat "$work/rx"; die "$r: no transfer time"; }
	awk -v r="$r" -v m="$mode" -v f="$flows" -v n="$round" -v b="$bytes" \
	    -v s="$secs" -v t0="$t0" -v t1="$t1" -v idle="$(( i1 - i0 ))" -v hz="$hz" \
	    -v k="$cmpl" -v y="$copied" -v l="$label" -v m0="$m0" -v m1="$m1" 'BEGIN {
		busy = t1 - t0 - idle / hz
		if (busy < 0) busy = 0
		u = t1 > t0 ? busy / (t1 - t0) : 0
		if (u > 1) u = 1
		ms = "-"
		c = busy
		if (m0 != "-" && m1 != "-") {
			ms = sprintf("%.3f", (m1 - m0) / 1e9)
			c = busy - (m1 - m0) / 1e9
			if (c < 0) c = 0
		}
		printf "%s,%s,%d,%d,%.0f,%.3f,%.3f,%s,%s,%.2f,%s,%s\n", r, m, f, n, b, s,
			c, k, y, u, l, ms }' \
		| tee -a "$out/bench.csv"
}

label=${ZCRX_BENCH_KERNEL:-}
if [ -z "${ZCRX_BENCH_KERNEL+set}" ] || [ ! -s "$out/bench.csv" ]; then
	echo "receiver,mode,flows,round,bytes,secs,cpu_secs,completions,copy_bytes,util,kernel,model_secs" \
		>"$out/bench.csv"
fi
if $smoke; then
	# every receiver once, each byte checked; the figures mean nothing
	n=0
	runs=("${receivers[@]}" zc_4k_4flows scale)
	echo "TAP version 13"
	echo "1..${#runs[@]}"
	for r in "${runs[@]}"; do
		n=$((n + 1))
		f=1
		if [ "$r" = zc_4k_4flows ]; then
			f=4
		fi
		echo "# selftests: bench: bench_$r"
		if [ "$r" = scale ]; then
			# make bench-scale's first half, on two small areas;
			# on make check's KASAN kernel kmemleak finds leaks
			cmd=(./zcrx_scale -a "16M 64M" -q "64 4096" -n 1 -M)
		else
			cmd=(one "${r%_4flows}" touched $f 1)
		fi
		if ("${cmd[@]}") 2>&1 | sed 's/^/# /'; then
			echo "ok $n selftests: bench: bench_$r"
		else
			echo "not ok $n selftests: bench: bench_$r"
			# what a failed run left behind must not fail the next
			pkill -x zcrx_xfer || true
			pkill -x zcrx_bench || true
			pkill -x tcp_mmap || true
			pkill -x zcrx-server || true
			sleep 1
		fi
	done
	exit 0
fi
echo "kernel $(uname -r)${label:+ ($label)}, $ncpu CPUs, MTU $mtu, $size per run, $rounds rounds, flows: $flows_list"
first=${ZCRX_BENCH_ROUND:-1}
for n in $(seq "$first" $((first + rounds - 1))); do
	for f in $flows_list; do
		for m in "${modes[@]}"; do
			for r in "${receivers[@]}"; do
				[ "$r" = liburing_zc ] && [ "$f" != 1 ] && continue
				one "$r" "$m" "$f" "$n"
			done
		done
	done
done

if [ -n "${ZCRX_BENCH_PERF:-}" ]; then
	for f in "$out"/perf-*.data; do
		"$ZCRX_BENCH_PERF" report -i "$f" --stdio --no-children \
			--sort sym --percent-limit 0.3 -g none >"${f%.data}.txt" 2>&1 || true
		"$ZCRX_BENCH_PERF" report -i "$f" --stdio --children \
			--sort sym --percent-limit 2 -g none >"${f%.data}-children.txt" 2>&1 || true
		rm -f "$f"
	done
	echo "profiles: $out/perf-*.txt"
fi
[ -z "$label" ] || exit 0
fi	# ! $summary_only

# median, min and max over the rounds, and each against recv() in the
# same mode and flow count
python3 - "$out" <<'EOF'
import csv, statistics, sys
out = sys.argv[1]
rows = list(csv.DictReader(open(out + '/bench.csv')))
GiB = 1 << 30
runs = {}
for r in rows:
    b = float(r['bytes'])
    v = {
        'mibs': b / float(r['secs']) / (1 << 20),
        'cpu_gib': float(r['cpu_secs']) * GiB / b,
        'cmpl_gib': (float(r['completions']) * GiB / b
                     if r['completions'] not in ('', '-') else None),
        'copied': (float(r['copy_bytes']) / b
                   if r['copy_bytes'] not in ('', '-') else None),
        'cpu_cmpl': (float(r['cpu_secs']) * 1e6 / float(r['completions'])
                     if r['completions'] not in ('', '-', '0') else None),
        'util': float(r['util']) * 100,
        'model_gib': (float(r['model_secs']) * GiB / b
                      if r.get('model_secs') not in (None, '', '-') else None),
    }
    k = r.get('kernel') or ''
    runs.setdefault((r['mode'], int(r['flows']), r['receiver'], k), []).append(v)
def med(vals):
    vals = [x for x in vals if x is not None]
    return (statistics.median(vals), min(vals), max(vals)) if vals else None
summary = []
kernels = []
for (mode, flows, rx, kern), vs in runs.items():
    s = {k: med([v[k] for v in vs]) for k in vs[0]}
    summary.append((mode, flows, rx, kern, s))
    if kern not in kernels:
        kernels.append(kern)
# each against recv() of the same kernel
base = {(m, f, k): s for m, f, rx, k, s in summary if rx == 'recv'}
order = ['recv', 'uring', 'tcp_mmap', 'zc_4k', 'zc_16k', 'zc_64k',
         'liburing_zc', 'nodev']
summary.sort(key=lambda x: (x[0] != 'untouched', x[1], order.index(x[2]),
                            kernels.index(x[3])))
with open(out + '/summary.csv', 'w') as f:
    w = csv.writer(f)
    w.writerow(['mode', 'flows', 'receiver', 'kernel', 'mib_s', 'mib_s_min', 'mib_s_max',
                'cpu_s_per_gib', 'cpu_min', 'cpu_max', 'completions_per_gib',
                'cpu_us_per_completion', 'copied_per_byte',
                'mib_s_vs_recv', 'cpu_vs_recv', 'rx_cpu_util_pct',
                'model_s_per_gib'])
    last = None
    for mode, flows, rx, kern, s in summary:
        if (mode, flows) != last:
            last = (mode, flows)
            print('\n%s payload, %d flow%s' % (mode, flows, 's' * (flows > 1)))
            print('%-16s %22s %22s %12s %10s %8s %8s %8s %6s %6s' % (
                'receiver', 'MiB/s', 'CPU s/GiB', 'compl/GiB', 'us/compl',
                'copied', 'MiB/s x', 'CPU x', 'util', 'model'))
        b = base.get((mode, flows, kern))
        tx = '%.2f' % (s['mibs'][0] / b['mibs'][0]) if b else '-'
        cx = '%.2f' % (s['cpu_gib'][0] / b['cpu_gib'][0]) if b else '-'
        c = s['cmpl_gib'][0] if s['cmpl_gib'] else None
        u = s['cpu_cmpl'][0] if s['cpu_cmpl'] else None
        y = s['copied'][0] if s['copied'] else None
        md = s['model_gib'][0] if s['model_gib'] else None
        print('%-16s %7.1f [%5.1f-%5.1f] %6.2f [%5.2f-%5.2f] %12s %10s %8s %8s %8s %5.0f%% %6s' % (
            rx + ('@' + kern if kern else ''), *s['mibs'], *s['cpu_gib'],
            '%.0f' % c if c is not None else '-',
            '%.1f' % u if u is not None else '-',
            '%.2f' % y if y is not None else '-', tx, cx, s['util'][0],
            '%.2f' % md if md is not None else '-'))
        w.writerow([mode, flows, rx, kern, '%.1f' % s['mibs'][0], '%.1f' % s['mibs'][1],
                    '%.1f' % s['mibs'][2], '%.3f' % s['cpu_gib'][0],
                    '%.3f' % s['cpu_gib'][1], '%.3f' % s['cpu_gib'][2],
                    '' if c is None else '%.0f' % c,
                    '' if u is None else '%.2f' % u,
                    '' if y is None else '%.3f' % y, tx, cx,
                    '%.0f' % s['util'][0],
                    '' if md is None else '%.3f' % md])
EOF
