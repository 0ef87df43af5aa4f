#!/usr/bin/env bash
# ensure-spin.sh: make sure the tools to model-check retract are installed.
#
# Checks for spin (package spin), the model checker, and gcc (package gcc),
# which spin uses as its preprocessor and which compiles the verifier.
# Anything present: exit 0 silently. Anything missing: installed with
# apt-get when running as root, otherwise the command to install it is
# printed and the script exits 1.
set -euo pipefail

case "${1:-}" in
"") ;;
-h | --help)
	sed -n '2,8s/^# \{0,1\}//p' "$0"
	exit 0
	;;
*)
	echo "ensure-spin.sh: unknown argument: $1 (usage: ensure-spin.sh)" >&2
	exit 2
	;;
esac

missing=()
command -v spin >/dev/null 2>&1 || missing+=(spin)
command -v gcc >/dev/null 2>&1 || missing+=(gcc)
if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "retract's model check needs ${missing[*]}: run  sudo apt-get install -y ${missing[*]}" >&2
	exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
	echo "retract's model check needs ${missing[*]}, and there is no apt-get here: install package(s) ${missing[*]} with your package manager" >&2
	exit 1
fi
echo "retract's model check needs ${missing[*]}: installing with apt-get..." >&2
if ! { DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"; } >&2; then
	echo "retract: installing ${missing[*]} failed; try  apt-get install -y ${missing[*]}" >&2
	exit 1
fi
for cmd in "${missing[@]}"; do
	if ! command -v "$cmd" >/dev/null 2>&1; then
		echo "retract: $cmd is installed but not on PATH" >&2
		exit 1
	fi
done
echo "retract: installed ${missing[*]}" >&2
