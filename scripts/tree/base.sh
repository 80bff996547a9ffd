#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs on the host; called by make tree, demo, check.
# Make sure $ZCRX_CACHE/tree holds the pristine source of the version of
# linux-source-6.12 that the Debian archive serves, committed as "base".
# Prints that version on stdout.  Without package lists (offline), the
# newest cached .deb is used.  Every failure prints one "error:" line.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

mkdir -p "$ZCRX_CACHE/deb" || die "cannot create $ZCRX_CACHE/deb"
shopt -s nullglob

# The version of a .deb file, or nothing if it is unreadable.
deb_version() {
	dpkg-deb -f "$1" Version 2>/dev/null || true
}

# The last line apt wrote on stderr.
apt_error() {
	local l
	l=$(grep -v '^ *$' "$ZCRX_CACHE/deb/.apt.log" 2>/dev/null | tail -n1) || true
	echo "${l:-no message}"
}

# The candidate version apt knows of, or nothing.
candidate() {
	local v
	v=$(apt-cache policy "$ZCRX_PKG" 2>/dev/null |
		awk '/Candidate:/ { print $2 }') || true
	[ "$v" = "(none)" ] && v=
	echo "$v"
}

# The cached .deb of version $1, or nothing.
cached_deb() {
	local f
	for f in "$ZCRX_CACHE"/deb/"$ZCRX_PKG"_*_all.deb; do
		if [ "$(deb_version "$f")" = "$1" ]; then
			echo "$f"
			return
		fi
	done
}

# The newest cached .deb (by Debian version order), or nothing.
newest_cached_deb() {
	local f best= bestv=
	for f in "$ZCRX_CACHE"/deb/"$ZCRX_PKG"_*_all.deb; do
		local v
		v=$(deb_version "$f")
		[ -n "$v" ] || continue
		if [ -z "$bestv" ] || dpkg --compare-versions "$v" gt "$bestv"; then
			best=$f
			bestv=$v
		fi
	done
	echo "$best"
}

want=$(candidate)
if [ -z "$want" ] && [ "$(id -u)" -eq 0 ] && [ -z "$(newest_cached_deb)" ]; then
	# No package lists yet (a new machine): fetch them.
	note "apt-get update (no package list knows $ZCRX_PKG)"
	apt-get update -q >/dev/null 2>"$ZCRX_CACHE/deb/.apt.log" ||
		note "apt-get update failed: $(apt_error)"
	want=$(candidate)
fi

deb=
if [ -n "$want" ] && [ "$(base_version)" = "$want" ]; then
	:	# The tree is already at the version the archive serves.
elif [ -n "$want" ]; then
	deb=$(cached_deb "$want")
	if [ -z "$deb" ]; then
		note "downloading $ZCRX_PKG $want"
		tmp=$(mktemp -d "$ZCRX_CACHE/deb/.download.XXXXXX") ||
			die "cannot create a download directory in $ZCRX_CACHE/deb"
		if (cd "$tmp" && apt-get download -q "$ZCRX_PKG=$want") >/dev/null 2>"$ZCRX_CACHE/deb/.apt.log"; then
			for f in "$tmp"/*.deb; do
				mv "$f" "$ZCRX_CACHE/deb/" || die "cannot move $(basename "$f") into $ZCRX_CACHE/deb"
			done
			rm -rf "$tmp"
			deb=$(cached_deb "$want")
			[ -n "$deb" ] || die "apt-get download $ZCRX_PKG=$want gave no .deb of that version"
		else
			rm -rf "$tmp"
			why=$(apt_error)
			deb=$(newest_cached_deb)
			have=$(base_version)
			if [ -n "$have" ] && { [ -z "$deb" ] ||
			   dpkg --compare-versions "$have" ge "$(deb_version "$deb")"; }; then
				note "apt-get download $ZCRX_PKG=$want failed ($why); keeping the tree at $have"
				deb=
				want=$have
			elif [ -n "$deb" ]; then
				note "apt-get download $ZCRX_PKG=$want failed ($why); using the cached $(basename "$deb")"
				want=$(deb_version "$deb")
			else
				die "apt-get download $ZCRX_PKG=$want failed ($why) and no $ZCRX_PKG .deb is cached in $ZCRX_CACHE/deb"
			fi
		fi
	fi
elif [ -n "$(base_version)" ] && [ -z "$(newest_cached_deb)" ]; then
	want=$(base_version)
	note "no package list knows $ZCRX_PKG; keeping the tree at $want"
else
	deb=$(newest_cached_deb)
	[ -n "$deb" ] ||
		die "$ZCRX_PKG: no package list knows it (run apt-get update as root) and no .deb is cached in $ZCRX_CACHE/deb"
	want=$(deb_version "$deb")
	note "no package list knows $ZCRX_PKG; using the cached $(basename "$deb")"
fi

if [ "$(base_version)" != "$want" ]; then
	note "unpacking $ZCRX_PKG $want into $ZCRX_TREE"
	rm -rf "$ZCRX_TREE" "$ZCRX_CACHE/unpack" ||
		die "cannot remove the old tree $ZCRX_TREE"
	mkdir -p "$ZCRX_CACHE/unpack" "$ZCRX_TREE" ||
		die "cannot create $ZCRX_TREE"
	dpkg-deb -x "$deb" "$ZCRX_CACHE/unpack" || die "dpkg-deb -x $deb failed"
	src=$ZCRX_CACHE/unpack/usr/src/$ZCRX_PKG.tar.xz
	[ -f "$src" ] || die "$(basename "$deb") holds no usr/src/$ZCRX_PKG.tar.xz"
	tar -C "$ZCRX_TREE" --strip-components=1 -xf "$src" ||
		die "unpacking $ZCRX_PKG.tar.xz from $deb failed"
	[ -f "$ZCRX_TREE/Makefile" ] ||
		die "$ZCRX_PKG.tar.xz from $deb holds no top-level Makefile"
	rm -rf "$ZCRX_CACHE/unpack"
	# set -e does not apply on the left of "||": chain every step, and
	# record the version only once the commit exists.
	git -C "$ZCRX_TREE" init -q &&
		git -C "$ZCRX_TREE" config user.name "zcrx base" &&
		git -C "$ZCRX_TREE" config user.email "zcrx@localhost" &&
		git -C "$ZCRX_TREE" config core.excludesFile /dev/null &&
		git -C "$ZCRX_TREE" config gc.auto 0 ||
		die "git init in $ZCRX_TREE failed"
	# Debian's top-level .gitignore ignores everything: force.
	git -C "$ZCRX_TREE" add -f -A ||
		die "git add of the base tree in $ZCRX_TREE failed"
	git -C "$ZCRX_TREE" commit -q -m "$ZCRX_PKG $want" ||
		die "committing the base tree in $ZCRX_TREE failed"
	git -C "$ZCRX_TREE" tag -f base >/dev/null &&
		git -C "$ZCRX_TREE" config zcrx.base-version "$want" ||
		die "tagging the base tree in $ZCRX_TREE failed"
fi
echo "$want"
