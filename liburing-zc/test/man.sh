#!/bin/bash
# SPDX-License-Identifier: MIT OR LGPL-2.1
#
# The man pages of liburing-zc against the library and its headers.
#
#   test/man.sh [BUILD_DIR]        (default: the build directory beside test/)
#
# Prints one "ok: <what>" or "FAILED: <what>" line per check, notes on
# failures as "#" lines, and exits 0 only if no check failed.  Checks:
#  - every function the shared library exports (nm -D, less the
#    __io_uring_zcrx_* internals), every other function the public headers
#    declare or define inline, and every struct they declare has a page in
#    man/, itself or as a ".so man3/PAGE.3" stub whose target is a real page
#    that names it;
#  - every page has .TH with its own name and section, and the sections
#    NAME, SYNOPSIS (section-3 pages of functions), DESCRIPTION, EXAMPLE or
#    EXAMPLES, and SEE ALSO; the liburing-zc pages it refers to exist;
#  - every page renders with "groff -man -ww -z" without a warning;
#  - the C code of every EXAMPLE block that is a whole program or
#    translation unit (it has main( or starts with #include) passes
#    "-Wall -Wextra -Werror -fsyntax-only" with cc, and with gcc and clang
#    where they are other compilers.
# Nothing is built but those syntax checks.
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$here/build}
mandir=$here/man
headers=("$here/include/liburing-zc.h" "$here/include/liburing-zc/nic.h"
	 "$here/include/liburing-zc/uapi.h")
lib=$build/liburing-zc.so.1

failed=0
ok() { echo "ok: $*"; }
fail() { echo "FAILED: $*"; failed=1; }
# check WHAT MSG: ok when MSG is empty, else FAILED with MSG as a note
check() {
	if [ -z "$2" ]; then
		ok "$1"
	else
		fail "$1"
		printf '%s\n' "$2" | sed 's/^/#   /'
	fi
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# --- what there is to document --------------------------------------------

# The names the public headers declare: "function NAME" and "struct NAME".
header_names() {
	perl -e '
		local $/;
		my $src = join("\n", map { open(my $f, "<", $_) or die "$_: $!\n"; <$f> } @ARGV);
		$src =~ s{/\*.*?\*/}{ }gs;
		$src =~ s{//[^\n]*}{}g;
		$src =~ s{^[ \t]*#(?:[^\n]*\\\n)*[^\n]*}{}mg;
		my %kw = map { $_ => 1 } qw(if while for switch return sizeof
			typedef void int char long short unsigned signed const
			struct enum union static inline extern);
		while ($src =~ /^[A-Za-z_][\w \t\n*]*?\b([A-Za-z_]\w*)\s*\(/mg) {
			print "function $1\n" unless $kw{$1};
		}
		while ($src =~ /^[ \t]*(?:typedef[ \t]+)?struct[ \t]+(\w+)\s*[{;]/mg) {
			print "struct $1\n";
		}
	' "${headers[@]}" | grep -v ' __' | sort -u
}

if ! names=$(header_names); then
	fail "the public headers can be read"
	names=
fi
[ -n "$names" ] && ok "the public headers declare functions and structs" ||
	fail "the public headers declare functions and structs"

if [ -f "$lib" ]; then
	syms=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TWi]$/ { print $3 }' |
	       sed 's/@.*//' | grep -v '^__io_uring_zcrx_' | sort -u)
	check "$lib exports functions" "$([ -n "$syms" ] || echo "nm found none")"
else
	fail "$lib exists (build the library first)"
	syms=
fi

# --- pages -----------------------------------------------------------------

# the target of a stub page, or nothing for a page with content
stub_target() {
	sed -n '/^\.\\"/d; /^[[:space:]]*$/d; s/^\.so[[:space:]]\{1,\}man[0-9]\/\([^[:space:]]*\)[[:space:]]*$/\1/p; q' "$1"
}

# the names of a page's NAME section, one a line
page_names() {
	awk '/^\.SH/ { s = ($0 ~ /^\.SH[ \t]+"?NAME"?[ \t]*$/); next }
	     s { print }' "$1" |
		sed 's/[[:space:]]\\-.*//; s/\\-/-/g' | tr ',' '\n' |
		sed 's/^[[:space:]]*//; s/[[:space:]]*$//' | grep -v '^$'
}

# why NAME has no page in man/ (nothing if it has one)
page_problem() {
	local name=$1 p t
	p=$(ls "$mandir/$name".[0-9] 2>/dev/null | head -n 1)
	[ -n "$p" ] || { echo "no man/$name.3"; return; }
	t=$(stub_target "$p")
	[ -z "$t" ] && return
	[ -f "$mandir/$t" ] || { echo "$p: stub of missing $t"; return; }
	[ -z "$(stub_target "$mandir/$t")" ] || { echo "$p: stub of stub $t"; return; }
	page_names "$mandir/$t" | grep -qxF -- "$name" ||
		echo "$t does not list $name in its NAME section"
}

if ! ls "$mandir"/*.[0-9] >/dev/null 2>&1; then
	fail "man/ holds pages"
fi

declare -A seen=()
for n in $syms; do
	seen[$n]=1
	check "man page for exported function $n" "$(page_problem "$n")"
done
while read -r kind n; do
	[ -n "$n" ] || continue
	if [ "$kind" = function ]; then
		[ -n "${seen[$n]:-}" ] && continue
		check "man page for header function $n" "$(page_problem "$n")"
	else
		check "man page for struct $n" "$(page_problem "$n")"
	fi
done <<<"$names"
structs=$(awk '$1 == "struct" { print $2 }' <<<"$names")

# --- each page -------------------------------------------------------------

# one file per EXAMPLE(S) code block: $2/N.c, roff escapes undone
extract_examples() {
	awk -v out="$2" '
		/^\.SH/ { ex = ($0 ~ /^\.SH[ \t]+"?EXAMPLES?"?[ \t]*$/); next }
		ex && /^\.(EX|nf)([ \t]|$)/ { n++; f = out "/" n ".c"; inb = 1; next }
		inb && /^\.(EE|fi)([ \t]|$)/ { inb = 0; close(f); next }
		inb { print > f }
	' "$1"
	for f in "$2"/*.c; do
		[ -f "$f" ] || continue
		perl -pi -e 's/\\(e|-|&|\(aq|\(dq|\(ti|\(ha|\(rs|\[aq\]|\[dq\]|\[rs\])/
			{ "e" => "\\", "-" => "-", "&" => "", "(aq" => "\x27",
			  "(dq" => "\"", "(ti" => "~", "(ha" => "^", "(rs" => "\\",
			  "[aq]" => "\x27", "[dq]" => "\"", "[rs]" => "\\" }->{$1}/ge' "$f"
	done
}

compilers=()
declare -A cc_seen=()
for c in "${CC:-cc}" gcc clang; do
	p=$(command -v "$c" 2>/dev/null) || continue
	r=$(readlink -f "$p")
	[ -n "${cc_seen[$r]:-}" ] && continue
	cc_seen[$r]=1
	compilers+=("$c")
done
check "a C compiler for the examples" \
	"$([ ${#compilers[@]} -gt 0 ] || echo "none of ${CC:-cc}, gcc, clang")"
have_compat=
[ -f "$build/include/liburing-zc/compat.h" ] && have_compat=1
check "$build/include/liburing-zc/compat.h exists" \
	"$([ -n "$have_compat" ] || echo "build the library first")"

have_groff=
if command -v groff >/dev/null; then
	have_groff=1
	ok "groff is installed"
else
	fail "groff is installed (scripts/deps.sh: groff-base)"
fi
# .so requests name man3/PAGE.3: resolve them against man/
mkdir -p "$tmp/root"
for s in 3 7; do ln -s "$mandir" "$tmp/root/man$s"; done

for page in "$mandir"/*.[0-9]; do
	[ -f "$page" ] || continue
	base=$(basename "$page")
	name=${base%.*}
	sect=${base##*.}

	if [ -n "$have_groff" ]; then
		msg=$(cd "$tmp/root" && groff -man -ww -z "$page" 2>&1) ||
			msg="groff failed${msg:+: $msg}"
		check "$base renders without warnings" "$msg"
	fi

	if [ -n "$(stub_target "$page")" ]; then
		# a stub: page_problem() above checked it, if something needs it
		check "$base is a stub of a page that names it" "$(page_problem "$name")"
		continue
	fi

	msg=
	th=$(grep -m1 '^\.TH' "$page")
	read -r _ th_name th_sect _ <<<"$th"
	th_name=${th_name//\"/}
	th_sect=${th_sect//\"/}
	[ "$th_name" = "$name" ] && [ "$th_sect" = "$sect" ] ||
		msg+=".TH says '$th_name $th_sect'"$'\n'
	sections=$(sed -n 's/^\.SH[[:space:]]\{1,\}//p' "$page" | tr -d '"')
	need=(NAME DESCRIPTION "SEE ALSO")
	# a function page needs a SYNOPSIS; the overview and struct pages may not
	if [ "$sect" = 3 ]; then
		only_structs=1
		while read -r n; do
			grep -qxF -- "$n" <<<"$structs" || only_structs=
		done < <(page_names "$page")
		[ -n "$only_structs" ] || need+=(SYNOPSIS)
	fi
	for s in "${need[@]}"; do
		grep -qxF -- "$s" <<<"$sections" || msg+="no $s section"$'\n'
	done
	grep -qxE 'EXAMPLES?' <<<"$sections" || msg+="no EXAMPLE section"$'\n'
	[ -n "$(page_names "$page")" ] || msg+="an empty NAME section"$'\n'
	check "$base has .TH $name $sect and the sections it needs" "${msg%$'\n'}"

	# the liburing-zc pages it names, in NAME or as references
	msg=
	refs=$( { page_names "$page"
		  # "name (3)" in the arguments of font macros (.BR, .RB, ...)
		  perl -ne 'next unless /^\.[BIR]{1,2}\s/;
			s/\\-/-/g;
			print "$1.$2\n" while /([A-Za-z_][\w-]*)"?\s+"?\(([37])\)/g' "$page" |
			grep -E '^(io_uring_zcrx|io_uring_query_|io_uring_region_desc|io_uring_register_(ifq|zcrx_ctrl|query)|io_uring_prep_recv_zc|zcrx_|liburing-zc)'
		} | sort -u)
	for r in $refs; do
		case $r in
		*.[0-9]) [ -f "$mandir/$r" ] || msg+="refers to missing $r"$'\n' ;;
		*) [ -n "$(ls "$mandir/$r".[0-9] 2>/dev/null)" ] ||
			msg+="names $r, which has no page"$'\n' ;;
		esac
	done
	check "$base refers only to liburing-zc pages that exist" "${msg%$'\n'}"

	# the examples that are whole programs or translation units
	rm -rf "$tmp/ex"
	mkdir -p "$tmp/ex"
	extract_examples "$page" "$tmp/ex"
	for f in "$tmp/ex"/*.c; do
		[ -f "$f" ] || continue
		grep -q 'main(' "$f" || grep -q '^#include' "$f" || continue
		what="example $(basename "$f" .c) of $base"
		grep -q 'main(' "$f" && what+=" (a program)"
		for c in "${compilers[@]}"; do
			if [ -z "$have_compat" ]; then
				msg="no compat.h in $build/include"
			elif ! msg=$("$c" -Wall -Wextra -Werror -fsyntax-only \
				     -D_GNU_SOURCE -I "$here/include" \
				     -I "$build/include" -x c "$f" 2>&1); then
				msg=$(printf '%s\n' "${msg:-"$c failed"}" | head -n 12)
			else
				msg=
			fi
			check "$what compiles with $c" "$msg"
		done
	done
done

exit $failed
