# retract — see README.md. `make run` boots to the shell, `make test` runs everything.

GO      ?= go
BUILD   := build
KERNEL  := $(BUILD)/kernel.elf
LAUNCH  := $(BUILD)/launch
PVHNOTE := $(BUILD)/pvhnote

CPUS    ?= 1
MEM     ?= 512M
MACHINE ?= microvm
ACCEL   ?= auto
APPEND  ?=
# User programs: INITRD is the initramfs `make run` boots with (default:
# build/initramfs.cpio, built from user/ by `make initramfs`); INIT runs
# a program of it as PID 1 instead of the shell, with ARGS as arguments.
INITRD  ?=
INIT    ?=
ARGS    ?=
export CPUS MEM MACHINE ACCEL APPEND

# The kernel is an ordinary linux/amd64 static Go binary linked in the
# upper half, like Linux (0xffffffff80201000; the linker wants it signed)
# (docs/architecture.md §2 shows the layout).
KERNEL_ENV   := GOOS=linux GOARCH=amd64 CGO_ENABLED=0
KERNEL_FLAGS := -ldflags "-T -0x7fdff000"

.PHONY: all kernel run debug test test-host test-boot fuzz fuzz-short bench soak vet fmt clean qemu FORCE

all: kernel

kernel: $(KERNEL)

$(PVHNOTE): FORCE
	@mkdir -p $(BUILD)
	$(GO) build -o $@ ./boot/pvhnote

$(LAUNCH): FORCE
	@mkdir -p $(BUILD)
	$(GO) build -o $@ ./qemu/cmd/launch

$(KERNEL): $(PVHNOTE) FORCE
	$(KERNEL_ENV) $(GO) build $(KERNEL_FLAGS) -o $@ ./kernel
	$(PVHNOTE) $@

qemu:
	@tools/ensure-qemu.sh

RUN_INITRD = $(if $(INITRD),$(INITRD),$(INITRAMFS))
RUN_APPEND = $(strip $(APPEND) $(if $(INIT),init=$(INIT)$(if $(ARGS), -- $(ARGS))))

run: kernel $(LAUNCH) qemu $(if $(INITRD),,initramfs)
	$(LAUNCH) -kernel $(KERNEL) -initrd $(RUN_INITRD) -append '$(RUN_APPEND)'

debug: kernel $(LAUNCH) qemu $(if $(INITRD),,initramfs)
	@tools/ensure-qemu.sh --gdb
	$(LAUNCH) -kernel $(KERNEL) -initrd $(RUN_INITRD) -append '$(RUN_APPEND)' -debug

test: qemu model test-host test-boot

# The model check: SPIN verifies model/retract.pml in its three variants
# (RCU, UNSAFE, NO_RECHECK) and the tests assert each one's outcome; the
# summary at the end gives the states explored. Installs spin and gcc.
.PHONY: model
model:
	@tools/ensure-spin.sh
	RETRACT_MODEL=1 $(GO) test -count=1 -v ./model/

# Host unit tests: everything but the package that boots QEMU, then a
# short run of every fuzz target.
test-host:
	$(GO) vet ./...
	@test -z "$$(gofmt -l .)" || { echo "gofmt would change:"; gofmt -l .; exit 1; }
	$(GO) test $$($(GO) list ./... | grep -v '^retract/tests$$')
	@$(MAKE) --no-print-directory fuzz-short

# Fuzz targets (package:function): the shell's line editor and tokenizer,
# the shell commands' argument parsing, the kernel command line, and the
# ELF reader of the PVH note tool. `make fuzz` runs each for FUZZTIME;
# failures land in the package's testdata/fuzz/ and then replay in every
# `go test`.
FUZZ_TARGETS := ./kernel/shell:FuzzEditor ./kernel/shell:FuzzTokenize \
	./kernel/cmdargs:FuzzParse ./kernel/cmdline:FuzzParse ./boot/pvhnote:FuzzStamp \
	./kernel/fs:FuzzResolve ./kernel/fs:FuzzUnpack ./kernel/fs:FuzzLineDiscipline ./kernel/elf:FuzzParse
FUZZTIME ?= 60s

fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; fn=$${t#*:}; \
		echo "fuzz: $$pkg $$fn for $(FUZZTIME)"; \
		$(GO) test -run=NONE -fuzz="^$$fn\$$" -fuzztime=$(FUZZTIME) $$pkg; \
	done

# A count, not a duration: a -fuzztime duration ends in "context deadline
# exceeded" when a loaded machine stalls a worker past the deadline.
fuzz-short:
	@$(MAKE) --no-print-directory fuzz FUZZTIME=3000x

# Boot-and-check tests: build the kernel, boot it in QEMU, parse KTAP.
test-boot: kernel qemu
	$(GO) test -count=1 -timeout 40m ./tests/

# Benchmarks: boots with bench=all (BENCH=a,b for some) and prints
# "name value unit" lines; the serial log is in build/bench.log.
bench: kernel qemu initramfs
	$(GO) run ./tools/bench -cpus $(if $(filter 1,$(CPUS)),2,$(CPUS))

# Soak: rcutorture and stress retract together on 4 CPUs for SOAK
# (a Go duration; default 1h), with progress and totals; the serial log is
# in build/soak.log.
SOAK ?= 1h
soak: kernel qemu
	$(GO) run ./tools/soak -duration $(SOAK) -cpus $(if $(filter 1,$(CPUS)),4,$(CPUS))

# User programs (user/): static linux/amd64 binaries that run unchanged
# on Linux and on retract, built into build/user.
USER_PROGS := init mmbench race gohello runtests
USER_DIR   := $(BUILD)/user
# The C test programs (user/c/NAME.c, one program each): built with
# gcc -static as NAME and, where musl-gcc exists, as NAME-musl.
C_PROGS    := badinst signals forkcow forkbomb oomhog threads files memops fpu
USER_CFLAGS := -static -O2 -Wall -Wextra -pthread
# The list runtests runs (/etc/tests.list in the image).
TESTS      ?= user/tests.list
INITRAMFS  := $(BUILD)/initramfs.cpio
# What /init runs in `make initramfs` (written to /etc/init.cmd), and more
# static binaries of your own to put under /bin: EXTRA="path/a path/b".
INITCMD ?= mmbench
EXTRA   ?=
# Arguments for mmbench in `make bench-linux`, e.g. MMBENCH=-quick.
MMBENCH ?=

.PHONY: user user-c test-user initramfs bench-linux bench-compare peer-test-linux peer-test peer-test-retract vm-selftests

user: user-c
	@mkdir -p $(USER_DIR)
	@for p in $(USER_PROGS); do echo "build $(USER_DIR)/$$p"; $(KERNEL_ENV) $(GO) build -o $(USER_DIR)/$$p ./user/$$p || exit 1; done
	@cp $(TESTS) $(USER_DIR)/tests.list

# The C programs: user/c/ensure-cc.sh installs gcc, libc6-dev and
# musl-tools when missing (as root, with apt-get) or prints the command;
# whatever compiler is still missing is skipped with a note.
user-c:
	@mkdir -p $(USER_DIR)
	@user/c/ensure-cc.sh
	@if command -v gcc >/dev/null 2>&1; then \
		for p in $(C_PROGS); do echo "cc    $(USER_DIR)/$$p"; gcc $(USER_CFLAGS) -o $(USER_DIR)/$$p user/c/$$p.c || exit 1; done; \
	else echo "user/c: no gcc: the C programs are not built"; fi
	@if command -v musl-gcc >/dev/null 2>&1; then \
		for p in $(C_PROGS); do echo "musl  $(USER_DIR)/$$p-musl"; musl-gcc $(USER_CFLAGS) -o $(USER_DIR)/$$p-musl user/c/$$p.c || exit 1; done; \
	else echo "user/c: no musl-gcc: no -musl builds"; fi

# Every test program on this machine, through runtests (safe on a shared
# host: see user/README.md).
test-user: user
	$(USER_DIR)/runtests -list $(USER_DIR)/tests.list

# build/initramfs.cpio: /init -> /bin/init (user/init), the user/
# programs (Go and C, with the -musl builds) and EXTRA under /bin,
# /etc/init.cmd = INITCMD, /etc/tests.list = TESTS. INITCMD=runtests runs
# every test program in one boot (or boot with init=/bin/runtests).
initramfs: user
	$(GO) run ./tools/mkinitramfs -o $(INITRAMFS) -init /bin/init -cmd "$(INITCMD)" \
		-mkdir /proc -mkdir /sys -mkdir /dev -mkdir /tmp \
		$(foreach p,$(USER_PROGS),-add /bin/$(p)=$(USER_DIR)/$(p)) \
		$(foreach p,$(C_PROGS),$(foreach f,$(wildcard $(USER_DIR)/$(p) $(USER_DIR)/$(p)-musl),-add /bin/$(notdir $(f))=$(f))) \
		-add /etc/tests.list=$(TESTS) \
		$(foreach p,$(EXTRA),-add /bin/$(notdir $(p))=$(p))

# mmbench on Debian's Linux 6.1 in QEMU (q35, CPUS as for `make bench`,
# 512 MiB): "name value unit" lines; serial log in build/bench-linux.log.
bench-linux: user qemu
	$(GO) run ./tools/bench-linux -cpus $(if $(filter 1,$(CPUS)),2,$(CPUS)) -args "$(MMBENCH)"

# mmbench on Linux 6.1 and on retract, alternating (Linux, retract, ...)
# ROUNDS times each on the same machine (q35), CPUS (default 2) and MEM
# (default 1G: retract runs out of memory in a full run with 512M): one
# table of medians, spreads, retract/Linux ratios and issue 13's targets
# (also build/bench-compare.txt); docs/performance.md explains it.
ROUNDS ?= 5
bench-compare: user qemu kernel
	$(GO) run ./tools/bench-compare -rounds $(ROUNDS) -cpus $(if $(filter 1,$(CPUS)),2,$(CPUS)) \
		-mem $(if $(filter 512M,$(MEM)),1G,$(MEM)) -args "$(MMBENCH)"

# Linux's khugepaged selftest (6.1 source) on Linux 6.1 in QEMU (2 CPUs,
# 2 GiB): a per-case table; log in build/peer-test-linux.log.
peer-test-linux: user qemu
	$(GO) run ./tools/peer-test -on linux -cpus $(if $(filter 1,$(CPUS)),2,$(CPUS))

# The same selftest, same image, machine, CPUs and memory, on retract
# (init=/bin/init khugepaged=on); log in build/peer-test-retract.log.
peer-test-retract: user qemu kernel
	$(GO) run ./tools/peer-test -on retract -cpus $(if $(filter 1,$(CPUS)),2,$(CPUS))

# Both, one after the other, and one table: each case's result on Linux
# 6.1 and on retract (also build/peer-test.txt).
peer-test: user qemu kernel
	$(GO) run ./tools/peer-test -on both -cpus $(if $(filter 1,$(CPUS)),2,$(CPUS))

# More of Linux 6.1's vm selftests (madv_populate, mremap_test,
# mlock2-tests, map_populate, ...), built from the same source, on both
# kernels: one table of exit statuses (build/vm-selftests.txt).
vm-selftests: user qemu kernel
	$(GO) run ./tools/vm-selftests -on both -cpus $(if $(filter 1,$(CPUS)),2,$(CPUS))

vet:
	$(GO) vet ./...

fmt:
	gofmt -l -w .

clean:
	rm -rf $(BUILD)

FORCE:
