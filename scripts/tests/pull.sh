#!/bin/bash
# Host test; run by scripts/check.sh (make check).
# Edits made inside an assembled tree come back into the repository: a new
# file to its kernel path, an edit of an upstream file into the diff of the
# last commit that touches it; assembling the result gives the edited tree.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
copy=$(mktemp -d)
wt=$(mktemp -d)
trap 'git -C "$ZCRX_TREE" worktree remove -f "$wt" 2>/dev/null; rm -rf "$copy" "$wt";
	git -C "$ZCRX_TREE" update-ref -d refs/zcrx/test-pull 2>/dev/null || true' EXIT
git -C "$ZCRX_TOP" ls-files -z | (cd "$ZCRX_TOP" && xargs -0 cp --parents -t "$copy")
cp "$ZCRX_TOP/series" "$copy/series"
rmdir "$wt"
git -C "$ZCRX_TREE" worktree add -q --detach "$wt" series

# A new file of the series and an upstream file that a patch edits.
new=tools/testing/selftests/zcrx/settings
patch=$(grep -l '^+++ b/' "$copy"/patches/*.diff | head -n1)
upstream=$(sed -n 's#^+++ b/##p' "$patch" | head -n1)
echo "timeout=1801" >"$wt/$new"
echo "/* edited in the tree */" >>"$wt/$upstream"

ZCRX_TREE=$wt python3 "$copy/scripts/tree/series.py" pull
grep -qx "timeout=1801" "$copy/$new" || die "$new was not pulled"
owner=$(ZCRX_TREE=$wt python3 - "$copy" "$upstream" <<'PY'
import sys
sys.path.insert(0, sys.argv[1] + '/scripts/tree')
import series
last = None
for c in series.load_series(sys.argv[1] + '/series')['commits']:
    for p in c['patches']:
        if sys.argv[2] in series.patch_paths(p):
            last = p
print(last)
PY
)
grep -q '^+/\* edited in the tree \*/' "$copy/$owner" || die "$owner does not carry the edit of $upstream"

# The repository now assembles into exactly the edited tree.
tip=$(python3 "$copy/scripts/tree/series.py" assemble --ref refs/zcrx/test-pull --no-checkout)
git -C "$wt" diff --quiet "$tip" -- "$new" "$upstream" ||
	die "the assembled series differs from the edited tree"
echo "pulled $new and $upstream (into $(basename "$owner"))"
