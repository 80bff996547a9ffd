# SPDX-License-Identifier: GPL-2.0
# Sourced on the host by the scripts in scripts/, scripts/tree/ and
# scripts/tests/.
# Shared settings for the project's scripts.  Source it; do not run it.
#
# Everything that is built or downloaded lives under $ZCRX_CACHE (default
# ~/.cache/zcrx), never inside the checkout:
#   deb/      the linux-source-6.12 package as the archive served it
#   tree/     a git repository: commit "base" is the pristine source, the
#             branch "series" is the assembled series, the work tree is
#             what gets built
#   build/    one O= directory per configuration (debug, perf, bisect)
#   ccache/   the compiler cache
#   vm/       console logs and results of VM runs

ZCRX_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ZCRX_CACHE=${ZCRX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/zcrx}
ZCRX_TREE=$ZCRX_CACHE/tree
ZCRX_PKG=${ZCRX_PKG:-linux-source-6.12}
export CCACHE_DIR=${CCACHE_DIR:-$ZCRX_CACHE/ccache}
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-8G}
# Paths relative to the cache, so that the worktrees of series-check hit.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$ZCRX_CACHE}
# Builds must not depend on the time of day or on who runs them, so that
# ccache hits across checkouts and clones.
export KBUILD_BUILD_TIMESTAMP=${KBUILD_BUILD_TIMESTAMP:-2024-11-17}
export KBUILD_BUILD_USER=zcrx KBUILD_BUILD_HOST=zcrx

die() {
	echo "error: $*" >&2
	exit 1
}

note() {
	echo "==> $*" >&2
}

# The base version recorded in the tree (empty if there is no tree yet).
base_version() {
	git -C "$ZCRX_TREE" config --get zcrx.base-version 2>/dev/null || true
}
