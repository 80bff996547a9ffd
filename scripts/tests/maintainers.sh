#!/bin/bash
# Host test; run by scripts/check.sh (make check).
# Every file the series adds is covered by an F: line of our MAINTAINERS
# section, and get_maintainer.pl finds the section from the exported series.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
cd "$ZCRX_TOP"
pats=$(sed -n 's/^F:\t//p' MAINTAINERS)
bad=0
for f in $(git ls-files tools/testing/selftests/zcrx io_uring include/uapi/linux/io_uring \
	drivers/net/netdevsim net/core Documentation/networking 2>/dev/null); do
	ok=0
	for p in $pats; do
		case "$p" in
		*/) [[ $f == "$p"* ]] && ok=1 ;;
		*) [[ $f == $p ]] && ok=1 ;;
		esac
	done
	[ $ok -eq 1 ] || { echo "not covered by MAINTAINERS: $f"; bad=1; }
done
[ $bad -eq 0 ]
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$ZCRX_TOP/scripts/tree/export-series.sh" "$out" >/dev/null
email=$(sed -n 's/^M:\t.*<\(.*\)>/\1/p' MAINTAINERS | head -n1)
# Every patch that adds a file reaches us; patches that only touch files
# of other subsystems go to their maintainers.
for p in $(grep -l '^new file mode' "$out"/0*.patch | grep -v cover-letter); do
	# the whole answer first: grep -q stops reading at the match, and
	# with pipefail get_maintainer.pl's SIGPIPE would fail the check
	names=$(cd "$ZCRX_TREE" && ./scripts/get_maintainer.pl --no-git --no-git-fallback "$p")
	grep -q "$email" <<<"$names" || die "get_maintainer.pl does not name $email for $(basename "$p")"
	echo "get_maintainer.pl names $email for $(basename "$p")"
done
