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
export CPUS MEM MACHINE ACCEL APPEND

# The kernel is an ordinary linux/amd64 static Go binary linked low (DESIGN §4).
KERNEL_ENV   := GOOS=linux GOARCH=amd64 CGO_ENABLED=0
KERNEL_FLAGS := -ldflags "-T 0x201000"

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

run: kernel $(LAUNCH) qemu
	$(LAUNCH) -kernel $(KERNEL)

debug: kernel $(LAUNCH) qemu
	@tools/ensure-qemu.sh --gdb
	$(LAUNCH) -kernel $(KERNEL) -debug

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
	./kernel/cmdargs:FuzzParse ./kernel/cmdline:FuzzParse ./boot/pvhnote:FuzzStamp
FUZZTIME ?= 60s

fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; fn=$${t#*:}; \
		echo "fuzz: $$pkg $$fn for $(FUZZTIME)"; \
		$(GO) test -run=NONE -fuzz="^$$fn\$$" -fuzztime=$(FUZZTIME) $$pkg; \
	done

fuzz-short:
	@$(MAKE) --no-print-directory fuzz FUZZTIME=5s

# Boot-and-check tests: build the kernel, boot it in QEMU, parse KTAP.
test-boot: kernel qemu
	$(GO) test -count=1 -timeout 40m ./tests/

# Benchmarks: boots with bench=all (BENCH=a,b for some) and prints
# "name value unit" lines; the serial log is in build/bench.log.
bench: kernel qemu
	$(GO) run ./tools/bench -cpus $(if $(filter 1,$(CPUS)),2,$(CPUS))

# Soak: rcutorture and stress retract together on 4 CPUs for SOAK
# (a Go duration; default 1h), with progress and totals; the serial log is
# in build/soak.log.
SOAK ?= 1h
soak: kernel qemu
	$(GO) run ./tools/soak -duration $(SOAK) -cpus $(if $(filter 1,$(CPUS)),4,$(CPUS))

vet:
	$(GO) vet ./...

fmt:
	gofmt -l -w .

clean:
	rm -rf $(BUILD)

FORCE:
