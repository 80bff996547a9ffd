#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs on the host; run by hand (make check runs the same guest side in
# its own lane).
# The transfer tests under swiotlb=force: build and install the
# selftests, boot the debug kernel with every streaming DMA mapping
# bounced and run scripts/guest/swiotlb-tests.sh there (see it for what
# runs).  Exits non-zero on any failure.
#   scripts/swiotlb-tests.sh [--full] [vm-run options]
set -euo pipefail
. "$(dirname "$0")/lib.sh"

full=
if [ "${1:-}" = --full ]; then
	full=--full
	shift
fi
ks=$(bash "$ZCRX_TOP/scripts/selftests.sh" debug) || exit 1
exec bash "$ZCRX_TOP/scripts/vm-run" --timeout 3000 \
	--append swiotlb=force "$@" -- \
	"bash '$ZCRX_TOP/scripts/guest/swiotlb-tests.sh' '$ks' $full"
