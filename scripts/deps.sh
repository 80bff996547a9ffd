#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs on the host (as root when packages are missing); called by make
# deps, demo, check.
# Install the Debian packages that building, booting and testing need,
# and those named as arguments.  Does nothing when they are all present;
# otherwise needs root.
set -euo pipefail

pkgs=(
	build-essential flex bison bc libelf-dev libssl-dev dwarves cpio kmod
	ccache rsync git python3 python3-yaml perl
	qemu-system-x86 iproute2 ethtool procps util-linux socat
	liburing-dev pkg-config clang python3-ply python3-git python3-jsonschema
	groff-base sparse
)
# Callers add what only they need (make bench: gnuplot).
pkgs+=("$@")

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "==> installing: ${missing[*]}" >&2
if [ "$(id -u)" -ne 0 ]; then
	echo "error: missing packages (${missing[*]}); run 'make deps' as root" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null || { echo "error: apt-get update failed" >&2; exit 1; }
apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null ||
	{ echo "error: apt-get install ${missing[*]} failed" >&2; exit 1; }
