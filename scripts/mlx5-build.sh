#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs on the host.
# Compile mlx5_core with W=1 and sparse (C=2) from the pristine base and
# from the series, and report every warning the series has that the base
# does not (compared without line numbers, which the series moves).
#   scripts/mlx5-build.sh [full|noen]...    (default: both)
# full: every mlx5e option that touches the receive path
#       (scripts/configs/mlx5.config); noen: the same with MLX5_CORE_EN=n.
# Exit status 1 if the series adds a warning; the lists are in
# $ZCRX_CACHE/mlx5/.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
# gcc's and sparse's messages, sort and comm: the same in every locale
export LC_ALL=C

[ $# -gt 0 ] || set -- full noen
command -v sparse >/dev/null || die "sparse is not installed (run make deps)"
[ -f "$ZCRX_TREE/Makefile" ] || die "no assembled tree at $ZCRX_TREE (run make tree)"
out=$ZCRX_CACHE/mlx5
mkdir -p "$out"
# one run at a time in $out (make check runs this in the background)
exec 9>"$out.lock"
flock 9
base_src=$out/base-src
if [ "$(git -C "$base_src" rev-parse HEAD 2>/dev/null)" != "$(git -C "$ZCRX_TREE" rev-parse base)" ]; then
	# (no "worktree prune": make check runs this beside host tests that
	# add worktrees of their own; -f takes over a stale registration)
	git -C "$ZCRX_TREE" worktree remove -f "$base_src" 2>/dev/null || rm -rf "$base_src"
	git -C "$ZCRX_TREE" worktree add -f -q --detach "$base_src" base ||
		die "cannot check out the base tree"
fi

# build SRC BUILD VARIANT: configure and compile mlx5_core; the warnings,
# normalised, go to BUILD.warnings.
build() {
	local src=$1 b=$2 variant=$3 frag=$2.config

	if [ "$variant" = noen ]; then
		sed 's/^CONFIG_MLX5_CORE_EN=y$/CONFIG_MLX5_CORE_EN=n/' \
			"$ZCRX_TOP/scripts/configs/mlx5.config" >"$frag"
	else
		cp "$ZCRX_TOP/scripts/configs/mlx5.config" "$frag"
	fi
	# the series' own option (the base has none): its KUnit tests,
	# compiled and checked too
	if [ "$src" = "$ZCRX_TREE" ]; then
		printf '%s\n' CONFIG_KUNIT=y CONFIG_MLX5_EN_KUNIT_TEST=y >>"$frag"
	fi
	mkdir -p "$b"
	make -s -C "$src" O="$b" defconfig >/dev/null
	"$src/scripts/kconfig/merge_config.sh" -m -O "$b" "$b/.config" "$frag" >/dev/null
	make -s -C "$src" O="$b" olddefconfig >/dev/null
	# every option asked for must have survived
	local line bad=0
	while IFS= read -r line; do
		case "$line" in
		CONFIG_*=n) ! grep -q "^${line%%=*}=" "$b/.config" || { echo "config: $line not honoured" >&2; bad=1; } ;;
		CONFIG_*=*)
			# (noen: the mlx5e options go with MLX5_CORE_EN)
			[ "$variant" = noen ] && [[ $line == CONFIG_MLX5_* ]] &&
				[ "$line" != CONFIG_MLX5_CORE=m ] && continue
			grep -qx -- "$line" "$b/.config" || { echo "config: $line not set" >&2; bad=1; } ;;
		esac
	done <"$frag"
	[ $bad = 0 ] || die "the mlx5 configuration ($variant) lost options"
	make -s -C "$src" O="$b" CC="ccache gcc" -j"$(nproc)" modules_prepare >/dev/null
	# force the module's objects to be compiled (and checked) again
	find "$b/drivers/net/ethernet/mellanox/mlx5" -name '*.o' -delete 2>/dev/null || true
	make -C "$src" O="$b" CC="ccache gcc" -j"$(nproc)" W=1 C=2 \
		drivers/net/ethernet/mellanox/mlx5/core/ >"$b.log" 2>&1 ||
		{ tail -n 30 "$b.log" >&2; die "compiling mlx5_core ($variant) failed: $b.log"; }
	grep -E ': (warning|error): ' "$b.log" |
		sed -E 's|^[^:]*/(drivers/[^:]*)|\1|; s|^[^:]*/(include/[^:]*)|\1|; s|:[0-9]+:[0-9]+: |: |; s|:[0-9]+: |: |' |
		sort >"$b.warnings" || true
}

rc=0
for variant in "$@"; do
	case "$variant" in
	full|noen) ;;
	*) die "unknown variant '$variant' (full or noen)" ;;
	esac
	t0=$(date +%s)
	# The base's warnings depend only on the base, the configuration and
	# the compilers: they are kept, keyed by those, across runs.
	key="$(git -C "$ZCRX_TREE" rev-parse base) $(cat "$ZCRX_TOP/scripts/configs/mlx5.config" "$0" | sha1sum | cut -c1-12) $(gcc -dumpfullversion) $(sparse --version 2>&1)"
	if [ -f "$out/base-$variant.warnings" ] &&
	   [ "$(cat "$out/base-$variant.key" 2>/dev/null)" = "$key" ]; then
		note "mlx5 $variant: the base's warnings are known ($out/base-$variant.warnings)"
	else
		rm -f "$out/base-$variant.key"
		build "$base_src" "$out/base-$variant" "$variant"
		echo "$key" >"$out/base-$variant.key"
	fi
	t1=$(date +%s)
	build "$ZCRX_TREE" "$out/series-$variant" "$variant"
	t2=$(date +%s)
	comm -13 "$out/base-$variant.warnings" "$out/series-$variant.warnings" >"$out/new-$variant.warnings"
	note "mlx5 $variant: base $(wc -l <"$out/base-$variant.warnings") warnings ($((t1 - t0)) s), series $(wc -l <"$out/series-$variant.warnings") ($((t2 - t1)) s), new $(wc -l <"$out/new-$variant.warnings")"
	if [ -s "$out/new-$variant.warnings" ]; then
		cat "$out/new-$variant.warnings" >&2
		rc=1
	fi
done
exit $rc
