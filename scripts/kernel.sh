#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs on the host; called by make kernel, kernel-perf, check, demo and
# scripts/tree/series-check.sh.
# Configure and build the assembled tree.
#   scripts/kernel.sh debug|perf [make targets...]
# debug = VM base + selftests config + debug checkers (used by make check)
# perf  = VM base + selftests config + perf.config   (used by benchmarks)
# Prints nothing on stdout but, with the target "kernel-path", the bzImage.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

flavour=${1:?usage: kernel.sh debug|perf [targets]}
shift
case "$flavour" in
debug) frags=(vm.config debug.config) ;;
perf) frags=(vm.config perf.config) ;;
bisect) frags=(vm.config perf.config) ;;
*) die "unknown kernel flavour '$flavour'" ;;
esac

B=${ZCRX_BUILD:-$ZCRX_CACHE/build}/$flavour
if [ "${1:-}" = kernel-path ]; then
	echo "$B/arch/x86/boot/bzImage"
	exit 0
fi

src=${ZCRX_SRC:-$ZCRX_TREE}
[ -f "$src/Makefile" ] || die "no assembled tree at $src (run make tree)"
ver=$(base_version)
note "base: ${ZCRX_PKG} ${ver:-unknown}, tree $src, build $B"

frag_paths=()
for f in "${frags[@]}"; do
	frag_paths+=("$ZCRX_TOP/scripts/configs/$f")
done
frag_paths+=("$src/tools/testing/selftests/zcrx/config")

# One build at a time per build directory: a second one waits.
mkdir -p "$(dirname "$B")" || die "cannot create $(dirname "$B")"
exec 9>"$B.lock" || die "cannot open $B.lock"
flock -n 9 || { note "waiting for another build of $flavour"; flock 9; } ||
	die "cannot lock $B.lock"

# Generate the configuration in a scratch directory and install it only if
# it differs, so that an unchanged configuration rebuilds nothing.
K=$B.kconfig
mkdir -p "$B" "$K" || die "cannot create $B"
make -s -C "$src" O="$K" tinyconfig >/dev/null || die "make tinyconfig failed in $src"
"$src/scripts/kconfig/merge_config.sh" -m -O "$K" "$K/.config" "${frag_paths[@]}" >/dev/null ||
	die "merge_config.sh failed on ${frags[*]} and the selftests' config"
make -s -C "$src" O="$K" olddefconfig >/dev/null || die "make olddefconfig failed in $K"

# Every option a fragment asks for must have survived olddefconfig.
bad=0
for f in "${frag_paths[@]}"; do
	while IFS= read -r line; do
		case "$line" in
		CONFIG_*=n)
			opt=${line%%=*}
			if grep -q "^$opt=" "$K/.config"; then
				echo "config: $opt=n requested by $(basename "$f") but set" >&2
				bad=1
			fi
			;;
		CONFIG_*=*)
			grep -qx -- "$line" "$K/.config" && continue
			# A commit in the middle of the series may predate an
			# option that a later patch adds.
			opt=${line%%=*}
			if [ "$flavour" = bisect ] &&
			   ! grep -rqsx --include='Kconfig*' "config ${opt#CONFIG_}" "$src"; then
				echo "config: $opt does not exist at this commit" >&2
				continue
			fi
			echo "config: $line requested by $(basename "$f") but not set" >&2
			bad=1
			;;
		esac
	done <"$f"
done
[ $bad -eq 0 ] || die "configuration does not satisfy the fragments"
cmp -s "$K/.config" "$B/.config" || cp "$K/.config" "$B/.config" ||
	die "cannot install the configuration in $B"

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(bzImage headers_install)
jobs=${ZCRX_JOBS:-$(nproc)}
make -s -C "$src" O="$B" CC="ccache gcc" HOSTCC="ccache gcc" \
	-j"$jobs" "${targets[@]}" || die "building ${targets[*]} ($flavour) failed: see the errors above"
note "built $flavour: $B/arch/x86/boot/bzImage (base ${ZCRX_PKG} ${ver:-unknown})"
