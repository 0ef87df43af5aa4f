#!/usr/bin/env bash
# ensure-qemu.sh [--gdb]: make sure the tools to boot retract are installed.
#
# Checks for qemu-system-x86_64 (package qemu-system-x86) and, with --gdb,
# also for gdb (package gdb). Anything present: exit 0 silently. Anything
# missing: installed with apt-get when running as root, otherwise the
# command to install it is printed and the script exits 1.
set -euo pipefail

want_gdb=0
for arg in "$@"; do
	case "$arg" in
	--gdb) want_gdb=1 ;;
	-h | --help)
		sed -n '2,7s/^# \{0,1\}//p' "$0"
		exit 0
		;;
	*)
		echo "ensure-qemu.sh: unknown argument: $arg (usage: ensure-qemu.sh [--gdb])" >&2
		exit 2
		;;
	esac
done

# ensure COMMAND PACKAGE WHAT
ensure() {
	local cmd=$1 pkg=$2 what=$3
	if command -v "$cmd" >/dev/null 2>&1; then
		return 0
	fi
	if [ "$(id -u)" -ne 0 ]; then
		echo "retract needs $what: run  sudo apt-get install -y $pkg" >&2
		return 1
	fi
	if ! command -v apt-get >/dev/null 2>&1; then
		echo "retract needs $what ($cmd), and there is no apt-get here: install package $pkg with your package manager" >&2
		return 1
	fi
	echo "retract needs $what: installing $pkg with apt-get..." >&2
	if ! { DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$pkg"; } >&2; then
		echo "retract: installing $pkg failed; try  apt-get install -y $pkg" >&2
		return 1
	fi
	if ! command -v "$cmd" >/dev/null 2>&1; then
		echo "retract: $pkg is installed but $cmd is still not on PATH" >&2
		return 1
	fi
	echo "retract: installed $pkg ($(command -v "$cmd"))" >&2
}

status=0
ensure qemu-system-x86_64 qemu-system-x86 QEMU || status=1
if [ "$want_gdb" -eq 1 ]; then
	ensure gdb gdb gdb || status=1
fi
exit "$status"
