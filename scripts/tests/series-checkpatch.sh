#!/bin/bash
# Host test; run by scripts/check.sh (make check).
# The exported series applies with git am on the pristine base and passes
# checkpatch.pl --strict with no errors.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
out=$(mktemp -d)
trap 'rm -rf "$out"; git -C "$ZCRX_TREE" worktree remove -f "$out/am" 2>/dev/null || true' EXIT
"$ZCRX_TOP/scripts/tree/export-series.sh" "$out/series"
git -C "$ZCRX_TREE" worktree add -q --detach "$out/am" base
git -C "$out/am" -c user.name=t -c user.email=t@localhost am -q $(ls "$out"/series/0*.patch | grep -v cover-letter)
# The result of git am is the assembled series, file for file.
git -C "$ZCRX_TREE" diff --quiet series "$(git -C "$out/am" rev-parse HEAD)" ||
	die "git am of the exported series differs from the assembled tree"
