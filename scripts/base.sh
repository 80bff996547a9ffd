#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Make sure $ZCRX_CACHE/tree holds the pristine source of the version of
# linux-source-6.12 that the Debian archive serves, committed as "base".
# Prints that version on stdout.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

mkdir -p "$ZCRX_CACHE/deb"

# The version the archive serves (the local package lists know it).
want=$(apt-cache policy "$ZCRX_PKG" 2>/dev/null | awk '/Candidate:/ { print $2 }')
if [ -z "$want" ] || [ "$want" = "(none)" ]; then
	# No package lists yet, or no network: fall back to a cached .deb.
	deb=$(ls -t "$ZCRX_CACHE"/deb/"$ZCRX_PKG"_*_all.deb 2>/dev/null | head -n1 || true)
	[ -n "$deb" ] || { [ "$(id -u)" -eq 0 ] && apt-get update -q >/dev/null 2>&1; } || true
	want=$(apt-cache policy "$ZCRX_PKG" 2>/dev/null | awk '/Candidate:/ { print $2 }')
	if [ -z "$want" ] || [ "$want" = "(none)" ]; then
		[ -n "$deb" ] || die "$ZCRX_PKG is not available from apt and not cached"
		want=$(dpkg-deb -f "$deb" Version)
	fi
fi

deb=$(ls "$ZCRX_CACHE"/deb/"$ZCRX_PKG"_*_all.deb 2>/dev/null |
	while read -r f; do
		[ "$(dpkg-deb -f "$f" Version)" = "$want" ] && echo "$f"
	done | head -n1)
if [ -z "$deb" ]; then
	note "downloading $ZCRX_PKG $want"
	(cd "$ZCRX_CACHE/deb" && apt-get download -q "$ZCRX_PKG=$want" >/dev/null 2>&1) ||
		die "apt-get download $ZCRX_PKG=$want failed"
	deb=$(ls -t "$ZCRX_CACHE"/deb/"$ZCRX_PKG"_*_all.deb | head -n1)
fi

if [ "$(base_version)" != "$want" ]; then
	note "unpacking $ZCRX_PKG $want into $ZCRX_TREE"
	rm -rf "$ZCRX_TREE" "$ZCRX_CACHE/unpack"
	mkdir -p "$ZCRX_CACHE/unpack" "$ZCRX_TREE"
	dpkg-deb -x "$deb" "$ZCRX_CACHE/unpack"
	tar -C "$ZCRX_TREE" --strip-components=1 \
		-xf "$ZCRX_CACHE"/unpack/usr/src/"$ZCRX_PKG".tar.xz
	rm -rf "$ZCRX_CACHE/unpack"
	(
		cd "$ZCRX_TREE"
		git init -q
		git config user.name "zcrx base"
		git config user.email "zcrx@localhost"
		git config core.excludesFile /dev/null
		git config gc.auto 0
		# Debian's top-level .gitignore ignores everything: force.
		git add -f -A
		git commit -q -m "$ZCRX_PKG $want"
		git tag -f base >/dev/null
		git config zcrx.base-version "$want"
	)
fi
echo "$want"
