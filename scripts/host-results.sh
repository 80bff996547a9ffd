#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs on the host; called by scripts/check.sh for each host test.
# The results of one host test of make check, from its output on stdin and
# its exit status: "ok|skip|fail<TAB>NAME[: CASE]" lines.
#   host-results.sh NAME EXIT_STATUS <LOG
# "ok: ", "skip: " and "FAILED: " lines count one test each; a script that
# printed none counts by its exit status (0 pass, 4 skip, anything else
# fail); a script that printed results but failed without a FAILED line
# (it died on the way) adds a failure.
set -u
name=$1
rc=$2
n=0
bad=0
while IFS= read -r line; do
	case "$line" in
	"ok: "*) printf 'ok\t%s: %s\n' "$name" "${line#ok: }" ;;
	"skip: "*) printf 'skip\t%s: %s\n' "$name" "${line#skip: }" ;;
	"FAILED: "*) printf 'fail\t%s: %s\n' "$name" "${line#FAILED: }"; bad=$((bad + 1)) ;;
	*) continue ;;
	esac
	n=$((n + 1))
done
if [ $n -eq 0 ]; then
	case $rc in
	0) printf 'ok\t%s\n' "$name" ;;
	4) printf 'skip\t%s\n' "$name" ;;
	*) printf 'fail\t%s (exit %s)\n' "$name" "$rc" ;;
	esac
elif [ "$rc" -ne 0 ] && [ "$rc" -ne 4 ] && [ $bad -eq 0 ]; then
	printf 'fail\t%s (exit %s)\n' "$name" "$rc"
fi
