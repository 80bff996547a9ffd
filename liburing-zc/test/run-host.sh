#!/bin/bash
# SPDX-License-Identifier: MIT OR LGPL-2.1
# liburing-zc's host tests, the ones that need no special kernel:
#  - every test program the build made (BUILD_DIR/test/*, TAP output of the
#    kselftest harness): one line per test case;
#  - every test/*.sh script but this one (test/vm/ is for the VM): its own
#    "ok: " / "FAILED: " / "skip: " lines, or one line from its exit status
#    (0 pass, 4 skip, anything else fail).
# Each result is printed as "ok: NAME", "skip: NAME" or "FAILED: NAME";
# everything else starts with "#".  Exit status 0 only if nothing failed.
#
#   run-host.sh [BUILD_DIR]
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
build=${1:-$top/build}
case $build in /*) ;; *) build=$PWD/$build ;; esac

n_ok=0
n_skip=0
n_fail=0

ok() { echo "ok: $1"; n_ok=$((n_ok + 1)); }
skip() { echo "skip: $1"; n_skip=$((n_skip + 1)); }
failed() { echo "FAILED: $1"; n_fail=$((n_fail + 1)); }
# text that must not read as a result line
note() { sed -e 's/^/#   /'; }

# run_tap NAME PROGRAM: a kselftest harness program
run_tap() {
	local name=$1 prog=$2 line rc=0 plan=-1 seen=0 bad=0 block=""
	local re_ok='^ok ([0-9]+) (.*)$' re_bad='^not ok ([0-9]+) (.*)$'
	local re_dir='^(.*[^ ]) +# *([A-Za-z]+) *(.*)$' tc dir why

	while IFS= read -r line; do
		case $line in
		"@@rc "*) rc=${line#@@rc }; continue ;;
		"") continue ;;
		"# "*" RUN "*) block=$line$'\n'; continue ;;
		esac
		if [[ $line =~ ^1\.\.([0-9]+) ]]; then
			plan=${BASH_REMATCH[1]}
		elif [[ $line =~ $re_ok ]]; then
			seen=$((seen + 1))
			tc=${BASH_REMATCH[2]} dir="" why=""
			if [[ $tc =~ $re_dir ]]; then
				tc=${BASH_REMATCH[1]}
				dir=${BASH_REMATCH[2]^^}
				why=${BASH_REMATCH[3]}
			fi
			case $dir in
			SKIP) skip "$name: $tc${why:+ ($why)}" ;;
			XFAIL) ok "$name: $tc (expected failure)" ;;
			*) ok "$name: $tc" ;;
			esac
			block=""
		elif [[ $line =~ $re_bad ]]; then
			seen=$((seen + 1))
			bad=$((bad + 1))
			tc=${BASH_REMATCH[2]}
			[[ $tc =~ $re_dir ]] && tc=${BASH_REMATCH[1]}
			printf '%s' "$block" | note
			failed "$name: $tc"
			block=""
		else
			block+=$line$'\n'
		fi
	done < <(cd "$top" && timeout 300 "$prog" 2>&1; printf '\n@@rc %d\n' $?)

	if [ "$plan" -lt 0 ] && [ $seen -eq 0 ]; then
		# not a TAP program: its exit status counts
		case $rc in
		0) ok "$name" ;;
		4) skip "$name" ;;
		*) printf '%s' "$block" | tail -n 20 | note
		   failed "$name (exit $rc)" ;;
		esac
	elif [ $seen -lt "$plan" ]; then
		printf '%s' "$block" | tail -n 20 | note
		failed "$name: only $seen of $plan results (exit $rc)"
	elif [ "$rc" -ne 0 ] && [ "$rc" -ne 4 ] && [ $bad -eq 0 ]; then
		failed "$name (exit $rc)"
	fi
}

# run_script NAME SCRIPT: a host test script, given the build directory
run_script() {
	local name=$1 script=$2 line rc=0 results=0 bad=0

	while IFS= read -r line; do
		case $line in
		"@@rc "*) rc=${line#@@rc } ;;
		"ok: "*) results=$((results + 1)); ok "$name: ${line#ok: }" ;;
		"skip: "*) results=$((results + 1)); skip "$name: ${line#skip: }" ;;
		"FAILED: "*) results=$((results + 1)); bad=$((bad + 1))
			failed "$name: ${line#FAILED: }" ;;
		"") ;;
		"#"*) printf '%s\n' "$line" ;;
		*) printf '%s\n' "$line" | note ;;
		esac
	done < <(cd "$top" && timeout 900 bash "$script" "$build" 2>&1
		 printf '\n@@rc %d\n' $?)

	if [ $results -eq 0 ]; then
		case $rc in
		0) ok "$name" ;;
		4) skip "$name" ;;
		*) failed "$name (exit $rc)" ;;
		esac
	elif [ "$rc" -ne 0 ] && [ "$rc" -ne 4 ] && [ $bad -eq 0 ]; then
		failed "$name (exit $rc)"
	fi
}

t0=$(date +%s)
found=0
for prog in "$build"/test/*; do
	if [ ! -f "$prog" ] || [ ! -x "$prog" ]; then continue; fi
	found=1
	echo "# $(basename "$prog")"
	run_tap "$(basename "$prog")" "$prog"
done
[ $found -eq 1 ] || failed "test programs: none in $build/test"

for script in "$here"/*.sh; do
	[ -f "$script" ] || continue
	[ "$script" = "$here/run-host.sh" ] && continue
	echo "# $(basename "$script")"
	run_script "$(basename "$script" .sh)" "$script"
done

echo "# host tests: $n_ok ok, $n_skip skipped, $n_fail failed" \
	"in $(( $(date +%s) - t0 ))s"
[ $n_fail -eq 0 ]
