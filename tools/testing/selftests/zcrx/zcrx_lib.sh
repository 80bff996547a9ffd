# SPDX-License-Identifier: GPL-2.0
#
# Waits shared by the shell tests, sourced after ktap_helpers.sh.  Each
# wait is bounded by WAIT_SECS (the test sets it) and gives up early when
# the process it waits on is gone.  wait_counter reads counters through
# the test's own counter function.

# wait_file FILE PID: wait until FILE exists while PID lives.
wait_file() {
	local end=$((SECONDS + WAIT_SECS))

	until [ -e "$1" ]; do
		kill -0 "$2" 2>/dev/null || return 1
		[ $SECONDS -lt $end ] || return 1
		sleep 0.1
	done
}

# wait_counter NAME MIN PID: wait until counter NAME reaches MIN while PID
# lives; the last value read is left in $COUNT (a value that is not a
# number never counts).
wait_counter() {
	local end=$((SECONDS + WAIT_SECS))

	while :; do
		COUNT=$(counter "$1")
		[[ "$COUNT" =~ ^[0-9]+$ ]] && [ "$COUNT" -ge "$2" ] && return 0
		kill -0 "$3" 2>/dev/null || return 1
		[ $SECONDS -lt $end ] || return 1
		sleep 0.2
	done
}

# wait_bounded PID: the exit status of PID, a child of the shell, waited
# for at most WAIT_SECS; past that it is killed and the status is 1.
wait_bounded() {
	local end=$((SECONDS + WAIT_SECS))

	while kill -0 "$1" 2>/dev/null; do
		if [ $SECONDS -ge $end ]; then
			kill -9 "$1" 2>/dev/null
			wait "$1" 2>/dev/null
			return 1
		fi
		sleep 0.2
	done
	wait "$1"
}
