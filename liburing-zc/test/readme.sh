#!/bin/bash
# SPDX-License-Identifier: MIT OR LGPL-2.1
# The README's example program builds against the library, with gcc and
# clang, and links.  Prints "ok: " / "FAILED: " lines.
#   readme.sh [BUILD_DIR]
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$here/build}" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
awk '/^## Building an application with liburing-zc/ { s = 1 }
     s && /^```c$/ { c = 1; next }
     c && /^```$/ { exit }
     c { print }' "$here/../README.md" >"$tmp/zc-recv.c"
rc=0
if ! grep -q 'int main' "$tmp/zc-recv.c"; then
	echo "FAILED: README has an example program"
	exit 1
fi
for cc in gcc clang; do
	if $cc -Wall -Wextra -Werror -D_GNU_SOURCE -I"$here/include" \
		-I"$build/include" -o "$tmp/zc-recv" "$tmp/zc-recv.c" \
		"$build/liburing-zc.a" -luring 2>"$tmp/err"; then
		echo "ok: README example builds with $cc"
	else
		sed 's/^/  /' "$tmp/err"
		echo "FAILED: README example builds with $cc"
		rc=1
	fi
done
exit $rc
