#!/usr/bin/env bash
# ensure-busybox.sh: make sure Debian's busybox-static (/bin/busybox) is
# installed: the boot tests run its shell and applets in ring 3 — a real
# program nobody here wrote. Present: exit 0 silently. Missing: installed
# with apt-get when running as root, otherwise the command to install it is
# printed and the script exits 1.
set -euo pipefail
[ -x /bin/busybox ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "the busybox test needs busybox-static: run  sudo apt-get install -y busybox-static" >&2
	exit 1
fi
echo "retract: installing busybox-static with apt-get..." >&2
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq busybox-static >&2 || { apt-get update -qq && apt-get install -y -qq busybox-static >&2; }
[ -x /bin/busybox ] || { echo "retract: busybox-static installed but /bin/busybox is missing" >&2; exit 1; }
