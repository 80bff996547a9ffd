#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Host test; run by scripts/check.sh (make check).
# The diffs in patches/ are named after their
# commits (KKKK-SLUG.diff, keys growing along the series), series.py
# refuses a series whose names and subjects are out of step, and
# "series.py rename" puts them back in step without renaming diffs that
# were right, also after a commit is inserted in the middle.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fails=0
ok() { echo "ok: series names: $1"; }
failed() { echo "FAILED: series names: $1"; fails=$((fails + 1)); }

# The repository itself.
if out=$(python3 "$ZCRX_TOP/scripts/tree/series.py" list 2>&1 >/dev/null); then
	ok "the repository's diffs are named after their commits"
else
	failed "the repository: $out"
fi
listed=$(cd "$ZCRX_TOP" && ls patches/*.diff | tr '\n' ' ')
applied=$(python3 - "$ZCRX_TOP" <<'PY'
import sys
sys.path.insert(0, sys.argv[1] + '/scripts/tree')
import series
print(' '.join(p for c in series.load_series()['commits'] for p in c['patches']), end=' ')
PY
)
if [ -n "$applied" ] && [ "$listed" = "$applied" ]; then
	ok "ls patches/ lists the diffs in the order the series applies them"
else
	failed "ls patches/: $listed; the series: $applied"
fi

# A small project of three commits.
top=$work/top
mkdir -p "$top/scripts/tree" "$top/patches"
cp "$ZCRX_TOP/scripts/tree/series.py" "$top/scripts/tree/"
for n in 1 2 3; do
	printf -- '--- a/f%d\n+++ b/f%d\n' "$n" "$n" >"$top/patches/0${n}00-net-commit-$n.diff"
done
entry() {
	printf '%%%%\nSubject: net: commit %s\nPatches: patches/%s\n\nWhy %s.\n' "$1" "$2" "$1"
}
{
	printf 'Author: A Developer <dev@example.org>\n\nCover.\n'
	entry 1 0100-net-commit-1.diff
	entry 2 0200-net-commit-2.diff
	entry 3 0300-net-commit-3.diff
} >"$top/series"
S() { python3 "$top/scripts/tree/series.py" "$@"; }
names() { (cd "$top/patches" && ls | tr '\n' ' '); }

if S list >/dev/null 2>&1; then
	ok "a series named in step loads"
else
	failed "a series named in step does not load: $(S list 2>&1)"
fi

# A subject edited without renaming its diff.
sed -i 's/^Subject: net: commit 2$/Subject: net: the second commit/' "$top/series"
out=$(S list 2>&1)
rc=$?
if [ $rc -ne 0 ] && grep -q '0200-net-commit-2.diff is not named after "net: the second commit"' <<<"$out" &&
   grep -q 'series.py rename' <<<"$out"; then
	ok "a subject out of step with its diff's name is refused, with the fix"
else
	failed "an edited subject: exit $rc: $out"
fi
S rename >/dev/null
if [ "$(names)" = "0100-net-commit-1.diff 0200-net-the-second-commit.diff 0300-net-commit-3.diff " ] &&
   S list >/dev/null 2>&1; then
	ok "rename follows the new subject and keeps the key"
else
	failed "after rename: $(names)"
fi

# A commit inserted between the first two, with a name of its own making.
printf -- '--- a/f4\n+++ b/f4\n' >"$top/patches/inserted.diff"
python3 - "$top/series" <<'PY'
import sys
p = sys.argv[1]
s = open(p).read()
s = s.replace('%%\nSubject: net: the second commit',
              '%%\nSubject: net: an inserted commit\nPatches: patches/inserted.diff\n\n'
              'Why.\n%%\nSubject: net: the second commit')
open(p, 'w').write(s)
PY
S list >/dev/null 2>&1 && failed "a diff not named after its commit loads"
S rename >/dev/null
if [ "$(names)" = "0100-net-commit-1.diff 0150-net-an-inserted-commit.diff 0200-net-the-second-commit.diff 0300-net-commit-3.diff " ] &&
   S list >/dev/null 2>&1; then
	ok "an inserted commit takes a key between its neighbours', nothing else moves"
else
	failed "after an insertion: $(names)"
fi

# Two commits swapped: the keys no longer grow.
python3 - "$top/series" <<'PY'
import sys
p = sys.argv[1]
blocks = open(p).read().split('%%\n')
blocks[3], blocks[4] = blocks[4], blocks[3]
open(p, 'w').write('%%\n'.join(blocks))
PY
out=$(S list 2>&1)
rc=$?
if [ $rc -ne 0 ] && grep -q 'comes after a diff keyed' <<<"$out"; then
	ok "keys that do not grow along the series are refused"
else
	failed "swapped commits: exit $rc: $out"
fi
S rename >/dev/null
order=$(sed -n 's/^Patches: patches\///p' "$top/series" | tr '\n' ' ')
if [ "$order" = "$(names)" ] && S list >/dev/null 2>&1; then
	ok "rename restores the order ($order)"
else
	failed "after swapping: series $order, ls $(names)"
fi

# A commit's two diffs listed in each other's place trade names; a message
# that mentions a diff's old name keeps it.
python3 - "$top/series" <<'PY'
import sys
p = sys.argv[1]
s = open(p).read()
s = s.replace('Patches: patches/0300-net-commit-3.diff\n\nWhy 3.',
              'Patches: patches/0300-net-commit-3-2.diff\n  patches/0300-net-commit-3.diff\n\n'
              '  patches/0300-net-commit-3.diff was its only diff.')
open(p, 'w').write(s)
PY
printf -- '--- a/f5\n+++ b/f5\n' >"$top/patches/0300-net-commit-3-2.diff"
if S rename >/dev/null && S list >/dev/null 2>&1 &&
   grep -q '^+++ b/f5' "$top/patches/0300-net-commit-3.diff" &&
   grep -q '^+++ b/f3' "$top/patches/0300-net-commit-3-2.diff" &&
   grep -q '^  patches/0300-net-commit-3.diff was its only diff.' "$top/series"; then
	ok "two diffs of one commit trade names; the message is left alone"
else
	failed "trading names: $(names); $(grep -A3 'commit 3' "$top/series")"
fi

# One diff out of place among right ones: only it moves.
keys=$(python3 - "$top" <<'PY'
import sys
sys.path.insert(0, sys.argv[1] + '/scripts/tree')
import series
rows = [{'patches': ['patches/%04d-x.diff' % k]} for k in (100, 200, 300, 400, 50, 500)]
print(' '.join('%d' % k for k in series.assign_keys(rows)))
PY
)
if [ "$keys" = "100 200 300 400 450 500" ]; then
	ok "a key out of place is the only one renumbered ($keys)"
else
	failed "keys 100 200 300 400 50 500 became $keys"
fi

# A diff no commit names.
printf -- '--- a/f9\n+++ b/f9\n' >"$top/patches/0900-stray.diff"
out=$(S list 2>&1)
rc=$?
if [ $rc -ne 0 ] && grep -q 'patches/0900-stray.diff belongs to no commit' <<<"$out"; then
	ok "a diff that belongs to no commit is refused"
else
	failed "a stray diff: exit $rc: $out"
fi
exit $((fails > 0))
