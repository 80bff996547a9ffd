#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs on the host; a host test of make check.
# mlx5_core, which no emulator runs, is compiled with W=1 and sparse with
# every mlx5e option that touches the receive path and once without the
# Ethernet part (MLX5_CORE_EN=n): the series must add no warning to what
# the pristine base has (scripts/mlx5-build.sh).
set -u
. "$(dirname "$0")/../lib.sh"

for variant in full noen; do
	t0=$(date +%s)
	if bash "$ZCRX_TOP/scripts/mlx5-build.sh" "$variant"; then
		echo "ok: mlx5_core ($variant): no warning beyond the base's"
	else
		echo "FAILED: mlx5_core ($variant): new warnings or a failed build (see $ZCRX_CACHE/mlx5/new-$variant.warnings and series-$variant.log)"
	fi
	echo "mlx5_core ($variant): $(( $(date +%s) - t0 )) s"
done
