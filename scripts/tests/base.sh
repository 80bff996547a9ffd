#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Host test; run by scripts/check.sh (make check).
# scripts/tree/base.sh on a new machine, after a security update and offline,
# against a stand-in archive: apt-cache and apt-get earlier in PATH serve
# small linux-source .debs built here (a tarball with a Makefile), so no
# test touches the network or the real cache.  Each case runs base.sh in
# an empty $ZCRX_CACHE and checks its exit status, the version it prints,
# the base commit it leaves, and that a failure says why in one line.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pkg=linux-source-6.12
old=6.12.115-1~deb12u1
new=6.12.117-1~deb12u1
fails=0

ok() { echo "ok: base: $1"; }
failed() { echo "FAILED: base: $1"; fails=$((fails + 1)); }

# A .deb of version $1 in directory $2, laid out as Debian's: the source
# tarball under usr/src.
make_deb() {
	local v=$1 dir=$2 d=$work/build-$1
	mkdir -p "$d/DEBIAN" "$d/usr/src" "$work/src/$pkg" "$dir"
	printf 'all:\n\t@echo %s\n' "$v" >"$work/src/$pkg/Makefile"
	tar -C "$work/src" -cJf "$d/usr/src/$pkg.tar.xz" "$pkg"
	cat >"$d/DEBIAN/control" <<-EOF
		Package: $pkg
		Version: $v
		Architecture: all
		Maintainer: nobody <nobody@localhost>
		Description: stand-in for the kernel source
	EOF
	dpkg-deb -Zxz --root-owner-group -b "$d" "$dir/${pkg}_${v}_all.deb" >/dev/null ||
		{ echo "dpkg-deb -b $v failed" >&2; exit 1; }
	rm -rf "$d" "$work/src"
}

# The stand-in archive: $work/archive holds the .debs it serves,
# $work/state/candidate the version "apt-cache policy" names once the lists
# exist ($work/state/lists), $work/state/offline makes every download and
# update fail.
mkdir -p "$work/bin" "$work/archive" "$work/state"
make_deb "$old" "$work/archive"
make_deb "$new" "$work/archive"
cat >"$work/bin/apt-cache" <<EOF
#!/bin/bash
[ "\$1" = policy ] || exit 100
echo "\$2:"
if [ -e "$work/state/lists" ]; then
	echo "  Installed: (none)"
	echo "  Candidate: \$(cat "$work/state/candidate")"
fi
EOF
cat >"$work/bin/apt-get" <<EOF
#!/bin/bash
echo "apt-get \$*" >>"$work/state/calls"
args=()
for a; do [ "\${a#-}" != "\$a" ] || args+=("\$a"); done
set -- "\${args[@]}"
case \$1 in
update)
	[ ! -e "$work/state/offline" ] || { echo "E: Temporary failure resolving the archive" >&2; exit 100; }
	touch "$work/state/lists" ;;
download)
	[ ! -e "$work/state/offline" ] || { echo "E: Failed to fetch $pkg: Temporary failure resolving the archive" >&2; exit 100; }
	v=\${2#*=}
	cp "$work/archive/${pkg}_\${v}_all.deb" . 2>/dev/null ||
		{ echo "E: Version '\$v' for '$pkg' was not found" >&2; exit 100; } ;;
*) exit 100 ;;
esac
EOF
chmod +x "$work/bin/apt-cache" "$work/bin/apt-get"
echo "$new" >"$work/state/candidate"

# run NAME: base.sh in a fresh cache $work/NAME; sets out, err, rc
run() {
	cache=$work/$1
	mkdir -p "$cache/deb"
	rm -f "$work/state/calls"
	out=$(PATH=$work/bin:$PATH ZCRX_CACHE=$cache ZCRX_PKG=$pkg \
		bash "$ZCRX_TOP/scripts/tree/base.sh" 2>"$work/err")
	rc=$?
	err=$(cat "$work/err")
	sed 's/^/#   /' "$work/err"
}

# check NAME VERSION: base.sh succeeded and left a base tree of VERSION
check() {
	local what=$1 v=$2 why=
	if [ $rc -ne 0 ]; then
		why="exit $rc: ${err:-no message}"
	elif [ "$out" != "$v" ]; then
		why="printed '$out', not $v"
	elif [ "$(git -C "$cache/tree" config zcrx.base-version)" != "$v" ]; then
		why="the tree does not record $v"
	elif [ "$(git -C "$cache/tree" log -1 --format=%s base 2>/dev/null)" != "$pkg $v" ]; then
		why="no base commit of $v"
	elif [ "$(make -s -C "$cache/tree")" != "$v" ]; then
		why="the tree is not the source of $v"
	fi
	if [ -z "$why" ]; then ok "$what"; else failed "$what: $why"; fi
}

# A new machine: empty cache, no package lists yet.
rm -f "$work/state/lists" "$work/state/offline"
run empty
check "empty cache, no package lists: lists fetched, $new downloaded" "$new"
grep -q '^apt-get .*update' "$work/state/calls" 2>/dev/null ||
	failed "empty cache: apt-get update was not run"

# After a security update: only the older .deb is cached.
touch "$work/state/lists"
mkdir -p "$work/older/deb"
cp "$work/archive/${pkg}_${old}_all.deb" "$work/older/deb/"
run older
check "only an older .deb cached: the served $new downloaded" "$new"

# The same tree again: nothing downloaded, nothing unpacked.
touch "$cache/tree/.kept"
run older
if [ $rc -eq 0 ] && [ "$out" = "$new" ] && [ -e "$cache/tree/.kept" ] &&
   ! grep -q download "$work/state/calls" 2>/dev/null; then
	ok "second run: the tree is kept as it is"
else
	failed "second run: exit $rc, printed '$out', tree $( [ -e "$cache/tree/.kept" ] && echo kept || echo replaced)"
fi

# Offline rebuild: no package lists, no network, the .deb is cached.
rm -f "$work/state/lists"
touch "$work/state/offline"
mkdir -p "$work/offline/deb"
cp "$work/archive/${pkg}_${new}_all.deb" "$work/offline/deb/"
run offline
check "no package lists, offline, matching .deb cached: rebuilt from it" "$new"

# Package lists from before the update, but the download fails: the older
# cached .deb serves, with a note.
echo "$new" >"$work/state/candidate"
touch "$work/state/lists"
mkdir -p "$work/stale/deb"
cp "$work/archive/${pkg}_${old}_all.deb" "$work/stale/deb/"
run stale
check "download fails, older .deb cached: the cached one is used" "$old"
grep -q "failed (E: Failed to fetch" <<<"$err" ||
	failed "download fails: the note does not say why ($err)"

# Nothing at all: no lists, offline, empty cache.  One line says why.
rm -f "$work/state/lists"
run nothing
if [ $rc -ne 0 ] && [ "$(grep -c '^error: ' <<<"$err")" -eq 1 ] &&
   grep -q "no .deb is cached" <<<"$err" && [ -z "$out" ]; then
	ok "offline with an empty cache: fails with one error line"
else
	failed "offline with an empty cache: exit $rc, stdout '$out', stderr '$err'"
fi

# A download that fails with nothing cached names apt's error.
touch "$work/state/lists"
run nothing2
if [ $rc -ne 0 ] && [ "$(grep -c '^error: ' <<<"$err")" -eq 1 ] &&
   grep -q "Temporary failure" <<<"$err"; then
	ok "download fails with an empty cache: the error line gives apt's reason"
else
	failed "download fails with an empty cache: exit $rc, stderr '$err'"
fi

# A damaged cached .deb is not taken for a source package.
rm -f "$work/state/lists"
mkdir -p "$work/broken/deb"
echo "not a deb" >"$work/broken/deb/${pkg}_${new}_all.deb"
run broken
if [ $rc -ne 0 ] && [ "$(grep -c '^error: ' <<<"$err")" -eq 1 ]; then
	ok "a damaged cached .deb: fails with one error line"
else
	failed "a damaged cached .deb: exit $rc, stderr '$err'"
fi
exit $((fails > 0))
