#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs on the host; called by make stress.
# The zcrx stress and fault-injection campaign (iou_zcrx_stress) in one
# boot of the debug kernel.  Variables (all optional):
#
#   DURATION  run time, e.g. 90s, 30m, 1h (default: OPS operations)
#   OPS       number of operations (default 10000; no limit with DURATION)
#   SEED      the seed (default: random, printed first)
#   URGENT    urgent data in the mix: 1 (default) or 0
#   FAULTS    fault injection: 1 (default) or 0
#   FAIL_PCT  failslab / fail_page_alloc probability in percent (default 5)
#   PROFILE   full (default: sends up to 1 MiB, CQs up to 64 entries) or
#             quick (the program's default: more operations, fewer
#             bytes each)
#
# A failure prints the seed and the command that replays it.  Runs with a
# DURATION scan kmemleak every 15 minutes as well as at the end.
#
# The guest side is scripts/guest/stress.sh.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

secs() {
	case "$1" in
	*h) echo $(( ${1%h} * 3600 )) ;;
	*m) echo $(( ${1%m} * 60 )) ;;
	*s) echo "${1%s}" ;;
	*) echo "$1" ;;
	esac
}

ks=$(bash "$ZCRX_TOP/scripts/selftests.sh" debug)
export ZCRX_STRESS_SEED=${SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
timeout=7200		# 10,000 operations of the full profile: about 40 min
if [ -n "${DURATION:-}" ]; then
	d=$(secs "$DURATION")
	[[ "$d" =~ ^[0-9]+$ ]] || die "DURATION: a number of seconds, or with s, m or h"
	export ZCRX_STRESS_DURATION=$d ZCRX_STRESS_LEAK_EVERY=900
	timeout=$((d + 1800))
fi
[ -z "${OPS:-}" ] || export ZCRX_STRESS_OPS=$OPS
[ -z "${URGENT:-}" ] || export ZCRX_STRESS_URGENT=$URGENT
[ -z "${FAULTS:-}" ] || export ZCRX_STRESS_FAULTS=$FAULTS
[ -z "${FAIL_PCT:-}" ] || export ZCRX_STRESS_FAIL_PCT=$FAIL_PCT
export ZCRX_STRESS_PROFILE=${PROFILE:-full}
note "stress: seed $ZCRX_STRESS_SEED${DURATION:+, for $DURATION}"
exec bash "$ZCRX_TOP/scripts/vm-run" --timeout "$timeout" -- \
	"bash '$ZCRX_TOP/scripts/guest/stress.sh' '$ks'"
