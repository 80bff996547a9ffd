#!/bin/bash
# Host test; run by scripts/check.sh (make check).
# A patch that does not apply stops the assembly with one line naming the
# patch and the file, and a non-zero exit; the assembled tree is untouched.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
copy=$(mktemp -d)
trap 'rm -rf "$copy"' EXIT
git -C "$ZCRX_TOP" ls-files -z | (cd "$ZCRX_TOP" && xargs -0 cp --parents -t "$copy")
cp "$ZCRX_TOP/series" "$copy/series"
head_before=$(git -C "$ZCRX_TREE" rev-parse HEAD)
patch=$(sed -n 's/^Patches: *\([^ ]*\).*/\1/p' "$copy/series" | head -n1)
[ -n "$patch" ] || die "the series has no patch to break"
file=$(sed -n 's#^+++ b/##p' "$copy/$patch" | head -n1)
# Change a context line so that the hunk cannot apply.
sed -i '0,/^ [^ ]/s/^ \(.\)/ XX-broken-\1/' "$copy/$patch"
set +e
msg=$(python3 "$copy/scripts/tree/series.py" assemble --ref refs/zcrx/test-broken --no-checkout 2>&1)
rc=$?
set -e
git -C "$ZCRX_TREE" update-ref -d refs/zcrx/test-broken 2>/dev/null || true
echo "assemble said: $msg (exit $rc)"
[ $rc -ne 0 ] || die "assembly of a broken patch succeeded"
[ "$(echo "$msg" | wc -l)" -eq 1 ] || die "expected a one-line cause"
[[ $msg == *"$patch"* ]] || die "the message does not name $patch"
[[ $msg == *"$file"* ]] || die "the message does not name $file"
[ "$(git -C "$ZCRX_TREE" rev-parse HEAD)" = "$head_before" ] || die "the tree moved"
