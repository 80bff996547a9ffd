#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Host test; run by scripts/check.sh (make check).
# The byte pattern of the transfers (tests/pattern.c): built with -Werror
# against both headers, then run.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
bin=$(mktemp)
trap 'rm -f "$bin"' EXIT
if ! gcc -O2 -Wall -Wextra -Werror -o "$bin" "$ZCRX_TOP/scripts/tests/pattern.c"; then
	echo "FAILED: pattern: tests/pattern.c does not build"
	exit 1
fi
"$bin"
