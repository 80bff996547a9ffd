#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Host test; run by scripts/check.sh (make check).
# The README's recipe for new commits ("Working on the series"), run as it
# is written against a small assembled tree: a worktree of the tree, a
# commit in it, "series.py import", and an assembly that keeps the commit.
# The recipe's commands are taken from README.md itself.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fails=0
ok() { echo "ok: worktree recipe: $1"; }
failed() { echo "FAILED: worktree recipe: $1"; fails=$((fails + 1)); }
g() { git -c user.name=t -c user.email=t@localhost "$@"; }

# The recipe's two commands, as the README writes them.
read -r -d '' recipe < <(python3 - "$ZCRX_TOP/README.md" <<'PY'
import re, sys
text = ' '.join(open(sys.argv[1]).read().split())
wt = re.search(r'`(git -C \$ZCRX_CACHE/tree worktree add [^`]*)`', text)
imp = re.search(r'`(python3 scripts/tree/series\.py import [^`]*)`', text)
print(wt.group(1) if wt else '')
print(imp.group(1) if imp else '')
PY
)
wt_cmd=$(sed -n 1p <<<"$recipe")
import_cmd=$(sed -n 2p <<<"$recipe")
if [ -z "$wt_cmd" ] || [ -z "$import_cmd" ]; then
	failed "README.md has no worktree/import recipe"
	exit 1
fi
echo "# recipe: $wt_cmd; $import_cmd"

# A small project: series.py, a series of one commit (a new file and a
# patch), and a base tree of two files.
top=$work/top
export ZCRX_CACHE=$work/cache
unset ZCRX_TREE
mkdir -p "$top/scripts/tree" "$top/patches" "$top/drivers/net/demo" "$ZCRX_CACHE/tree/net/core"
cp "$ZCRX_TOP/scripts/tree/series.py" "$top/scripts/tree/"
printf 'int base(void);\n' >"$ZCRX_CACHE/tree/net/core/dev.c"
printf 'obj-y += net/\n' >"$ZCRX_CACHE/tree/Makefile"
g -C "$ZCRX_CACHE/tree" init -q
g -C "$ZCRX_CACHE/tree" add -A
g -C "$ZCRX_CACHE/tree" commit -q -m base
g -C "$ZCRX_CACHE/tree" tag base
printf 'int demo(void);\n' >"$top/drivers/net/demo/demo.c"
cat >"$top/patches/0100-net-the-first-commit.diff" <<'EOF'
--- a/net/core/dev.c
+++ b/net/core/dev.c
@@ -1 +1,2 @@
 int base(void);
+int first(void);
EOF
cat >"$top/series" <<'EOF'
Author: A Developer <dev@example.org>
Subject: a test series

The cover letter.
%%
Subject: net: the first commit
Files: drivers/net/demo/demo.c
Patches: patches/0100-net-the-first-commit.diff

Its message.
EOF
g -C "$top" init -q
g -C "$top" add -A
g -C "$top" commit -q -m project
if ! (cd "$top" && python3 scripts/tree/series.py assemble); then
	failed "the small series does not assemble"
	exit 1
fi

# The recipe: a worktree, a commit in it, the import.
if ! (cd "$top" && eval "$wt_cmd"); then
	failed "'$wt_cmd' failed"
	exit 1
fi
dev=$(git -C "$ZCRX_CACHE/tree" worktree list --porcelain | sed -n 's/^worktree //p' | tail -n1)
printf 'int second(void);\n' >>"$dev/net/core/dev.c"
printf 'int added(void);\n' >"$dev/drivers/net/demo/added.c"
g -C "$dev" add -A
g -C "$dev" commit -q -m "net: the second commit" -m "Why it is needed."
out=$(cd "$top" && eval "$import_cmd" 2>&1)
rc=$?
echo "$out" | sed 's/^/#   /'
if [ $rc -eq 0 ] && grep -q '^imported: net: the second commit' <<<"$out" &&
   [ -f "$top/drivers/net/demo/added.c" ] &&
   [ -f "$top/patches/0200-net-the-second-commit.diff" ] &&
   [ "$(python3 "$top/scripts/tree/series.py" list 2>/dev/null | tail -n1)" = "net: the second commit" ]; then
	ok "the commit made in the worktree is imported"
else
	failed "the commit made in the worktree was not imported (exit $rc)"
fi

# The next assembly carries it.
(cd "$top" && python3 scripts/tree/series.py assemble) >/dev/null 2>&1
if [ "$(git -C "$ZCRX_CACHE/tree" log -1 --format=%s series)" = "net: the second commit" ] &&
   git -C "$ZCRX_CACHE/tree" show series:net/core/dev.c | grep -q second &&
   git -C "$ZCRX_CACHE/tree" show series:drivers/net/demo/added.c >/dev/null 2>&1; then
	ok "the next assembly keeps the commit"
else
	failed "the next assembly lost the commit"
fi

# A worktree on the branch "series" itself is refused with the reason.
git -C "$ZCRX_CACHE/tree" worktree add -q "$work/on-branch" series 2>/dev/null
out=$(cd "$top" && python3 scripts/tree/series.py import --tree "$work/on-branch" series..HEAD 2>&1)
rc=$?
if [ $rc -ne 0 ] && grep -q -- '--detach' <<<"$out"; then
	ok "import refuses a worktree on the series branch"
else
	failed "import from a worktree on the series branch: exit $rc: $out"
fi
exit $((fails > 0))
