#!/bin/bash
# SPDX-License-Identifier: MIT OR LGPL-2.1
# mainline-abi: a program written only against mainline's uapi headers
# and mainline liburing's names runs every zero-copy receive feature the
# kernel reports over loopback, in a network namespace of its own (no
# NIC).  Its TAP lines are its own; its exit status is passed through.
# Run by run.sh in the VM.
set -u
bin=${ZC_BUILD:?}
if [ ! -x "$bin/test/vm/mainline-abi" ]; then
	echo "not built: $bin/test/vm/mainline-abi"
	exit 1
fi
exec "$bin/test/vm/mainline-abi"
