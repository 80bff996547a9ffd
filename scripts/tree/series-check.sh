#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs on the host; called by make series-check.
# Bisectability: build the kernel (non-debug configuration) and the zcrx
# selftests at every commit of the series, in a separate worktree and build
# directory so that the main tree and its builds are not disturbed.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

wt=$ZCRX_CACHE/bisect-tree
if [ ! -d "$wt" ]; then
	git -C "$ZCRX_TREE" worktree add -q --detach "$wt" base ||
		die "cannot add the worktree $wt"
fi
# A failing command substitution in a for list would go unnoticed.
commits=$(git -C "$ZCRX_TREE" rev-list --reverse base..series) ||
	die "no assembled series in $ZCRX_TREE (run make tree)"
[ -n "$commits" ] || die "the series in $ZCRX_TREE holds no commits"
n=0
for c in $commits; do
	n=$((n + 1))
	subj=$(git -C "$ZCRX_TREE" log -1 --format=%s "$c") || die "cannot read commit $c"
	note "[$n] $subj"
	git -C "$wt" checkout -q -f --detach "$c" || die "cannot check out commit $n ($subj)"
	# The config fragment of the selftests may not exist yet in early commits.
	mkdir -p "$wt/tools/testing/selftests/zcrx"
	[ -f "$wt/tools/testing/selftests/zcrx/config" ] ||
		git -C "$ZCRX_TREE" show series:tools/testing/selftests/zcrx/config \
			>"$wt/tools/testing/selftests/zcrx/config" ||
		die "the series has no tools/testing/selftests/zcrx/config"
	ZCRX_SRC=$wt bash "$ZCRX_TOP/scripts/kernel.sh" bisect bzImage headers_install ||
		die "commit $n ($subj) does not build"
	if [ -f "$wt/tools/testing/selftests/zcrx/Makefile" ]; then
		make -s -C "$wt/tools/testing/selftests" O="$ZCRX_CACHE/build/bisect" \
			TARGETS=zcrx >/dev/null || die "commit $n ($subj): selftests do not build"
	fi
	git -C "$wt" clean -q -f -x -- tools/testing/selftests/zcrx 2>/dev/null || true
done
note "all $n commits build"
