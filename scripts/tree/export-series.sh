#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs on the host; called by make series and two host tests.
# Write the assembled series as git-am-able patches (cover letter included)
# into $ZCRX_CACHE/build/series (or $1) and run the base tree's
# checkpatch.pl --strict over every patch.  Any checkpatch error fails.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

out=${1:-${ZCRX_BUILD:-$ZCRX_CACHE/build}/series}
ver=$(base_version)
note "exporting the series against ${ZCRX_PKG} $ver into $out"
rm -rf "$out" && mkdir -p "$out" || die "cannot create $out"
author=$(sed -n 's/^Author: *//p' "$ZCRX_TOP/series" | head -n1)
git -C "$ZCRX_TREE" -c user.name="${author% <*}" -c user.email="$(echo "$author" | sed 's/.*<\(.*\)>.*/\1/')" \
	format-patch -q --cover-letter --no-signature --base=base \
	-o "$out" base..series || die "git format-patch base..series failed in $ZCRX_TREE"

# Fill the cover letter from the series file's first block.
python3 - "$ZCRX_TOP/series" "$out"/0000-cover-letter.patch <<'PY' ||
import sys
sys.path.insert(0, sys.argv[0] and __import__('os').path.join(
    __import__('os').path.dirname(sys.argv[1]), 'scripts', 'tree'))
import series
s = series.load_series(sys.argv[1])
with open(sys.argv[2]) as f:
    text = f.read()
text = text.replace('*** SUBJECT HERE ***', s['subject'] or 'zero-copy receive')
text = text.replace('*** BLURB HERE ***', s['cover'].strip() +
                    '\n\nSigned-off-by: ' + s['author'])
with open(sys.argv[2], 'w') as f:
    f.write(text)
PY
	die "filling the cover letter from the series file failed"

errors=0
for p in "$out"/0*.patch; do
	case "$p" in */0000-cover-letter.patch) continue ;; esac
	log=$p.checkpatch
	# Debian's python3 (first in PATH) has the modules spdxcheck.py needs.
	if ! (cd "$ZCRX_TREE" && PATH=/usr/bin:$PATH ./scripts/checkpatch.pl --strict --no-color "$p") >"$log" 2>&1; then
		:
	fi
	total=$(grep -a -E '^total: ' "$log" | tail -n1) || true
	nerr=$(echo "$total" | sed -n 's/^total: \([0-9]*\) errors.*/\1/p')
	echo "checkpatch: $(basename "$p"): ${total:-no summary}"
	if [ "${nerr:-1}" != 0 ]; then
		grep -a -A4 -E '^ERROR' "$log" | head -n 40 || tail -n 5 "$log"
		errors=$((errors + 1))
	fi
done
[ $errors -eq 0 ] || die "checkpatch found errors in $errors patch(es)"
echo "series: $(ls "$out"/0*.patch | wc -l) files in $out"
