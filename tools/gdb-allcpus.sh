#!/usr/bin/env bash
# gdb-allcpus.sh: attach to a running kernel's gdbstub, print what every CPU
# is doing (a backtrace per vCPU, with Go symbols and source lines), and
# detach: the machine goes on. For a kernel that stopped making progress.
#
#   ./build/launch -cpus 4 -- -gdb tcp::1234     # boot with the gdbstub on
#   tools/gdb-allcpus.sh [PORT] [DEPTH]          # from a second terminal
set -euo pipefail
port=${1:-1234}
depth=${2:-12}
cd "$(dirname "$0")/.."
command -v gdb >/dev/null || { echo "gdb-allcpus: gdb is not installed (tools/ensure-qemu.sh --gdb)" >&2; exit 1; }
exec gdb -q -batch -iex 'set auto-load safe-path /' build/kernel.elf \
	-ex "target remote localhost:$port" \
	-ex 'info threads' \
	-ex "thread apply all bt $depth" \
	-ex detach
