#!/bin/sh
# Makes sure the C compilers of user/c exist: gcc (with glibc's static
# libraries, libc6-dev) and musl-gcc (musl-tools). As root with apt-get it
# installs what is missing; otherwise it prints the command. It never
# fails: `make user` builds what it can and says what it skipped.
missing=""
command -v gcc >/dev/null 2>&1 && [ -e /usr/lib/x86_64-linux-gnu/libc.a ] || missing="$missing gcc libc6-dev"
command -v musl-gcc >/dev/null 2>&1 || missing="$missing musl-tools"
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "user/c: installing$missing (apt-get)"
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -qq $missing >/dev/null 2>&1 ||
		{ apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq $missing >/dev/null 2>&1; } ||
		echo "user/c: apt-get install$missing failed"
else
	echo "user/c: missing$missing; to install: sudo apt-get install -y$missing"
fi
exit 0
