//go:build linux

// Tests of what the kernel says about the machine it runs on: the RAM
// figure of the banner, and powering off without QEMU's test device.

package tests

import (
	"regexp"
	"strconv"
	"testing"

	"retract/qemu"
)

var (
	bannerRAMRE = regexp.MustCompile(`^retract: (\d+) MiB of RAM \(highest address (0x[0-9a-f]+)\), \d+ MiB free`)
	memMapRE    = regexp.MustCompile(`^memory map \(from the firmware\): (\d+) ranges, (\d+) KiB of RAM up to (0x[0-9a-f]+)$`)
	memRangeRE  = regexp.MustCompile(`^  (0x[0-9a-f]+)-(0x[0-9a-f]+) +(\d+) KiB  (.+)$`)
)

// TestRAMFigure boots 3500 MiB — more than fits below QEMU's PCI hole, so
// part of the RAM sits above 4 GiB — on both machines: the banner must
// print the RAM of the memory map (the sum of its RAM ranges, as `mem`
// lists them), not the highest address, and that must be what QEMU was
// given less what the firmware keeps (at most 64 MiB).
func TestRAMFigure(t *testing.T) {
	const memMB = 3500
	for _, machine := range []string{"microvm", "q35"} {
		t.Run(machine, func(t *testing.T) {
			v := bootMachine(t, machine, "", 1, memMB)
			v.waitPrompt(defaultTimeout)
			var bannerMiB, bannerTop uint64
			for _, l := range v.lines() {
				if m := bannerRAMRE.FindStringSubmatch(l); m != nil {
					bannerMiB, _ = strconv.ParseUint(m[1], 10, 64)
					bannerTop, _ = strconv.ParseUint(m[2], 0, 64)
				}
			}
			if bannerMiB == 0 {
				v.fatalf("no banner line like \"retract: N MiB of RAM (highest address 0x...), M MiB free\"")
			}
			out := v.command("mem", cmdTimeout)
			var sumKiB, listedKiB, top uint64
			ranges, want := 0, -1
			for _, l := range out {
				if m := memMapRE.FindStringSubmatch(l); m != nil {
					want, _ = strconv.Atoi(m[1])
					listedKiB, _ = strconv.ParseUint(m[2], 10, 64)
					top, _ = strconv.ParseUint(m[3], 0, 64)
					continue
				}
				m := memRangeRE.FindStringSubmatch(l)
				if m == nil {
					continue
				}
				ranges++
				start, _ := strconv.ParseUint(m[1], 0, 64)
				end, _ := strconv.ParseUint(m[2], 0, 64)
				kib, _ := strconv.ParseUint(m[3], 10, 64)
				if (end-start)>>10 != kib {
					v.errorf("range line %q: %#x-%#x is not %d KiB", l, start, end, kib)
				}
				if m[4] == "RAM" {
					sumKiB += kib
				}
			}
			if want < 0 || ranges != want {
				v.fatalf("mem should print \"memory map (from the firmware): N ranges, ...\" and N range lines; got %d ranges, header says %d:\n%q", ranges, want, out)
			}
			if listedKiB != sumKiB {
				v.errorf("mem says %d KiB of RAM, its RAM ranges sum to %d KiB", listedKiB, sumKiB)
			}
			if bannerMiB != sumKiB>>10 {
				v.errorf("the banner says %d MiB of RAM; the memory map's RAM ranges sum to %d KiB (%d MiB)", bannerMiB, sumKiB, sumKiB>>10)
			}
			if bannerTop != top {
				v.errorf("the banner's highest address %#x differs from mem's %#x", bannerTop, top)
			}
			if bannerMiB > memMB || bannerMiB < memMB-64 {
				v.errorf("the banner says %d MiB of RAM for QEMU -m %dM: want between %d and %d", bannerMiB, memMB, memMB-64, memMB)
			}
			if top <= 4<<30 {
				v.errorf("with %d MiB the highest RAM address should be above 4 GiB, got %#x", memMB, top)
			}
			t.Logf("%s: %d MiB of RAM, highest address %#x", machine, bannerMiB, top)
		})
	}
}

// TestNoDebugExit boots without the isa-debug-exit device, as on a machine
// that lacks it: after test=boot the kernel must say that the test status
// cannot reach QEMU and power off through ACPI (QEMU exits 0), not halt
// forever.
func TestNoDebugExit(t *testing.T) {
	for _, machine := range []string{"microvm", "q35"} {
		t.Run(machine, func(t *testing.T) {
			v := bootConfig(t, qemu.Config{Machine: machine, CPUs: 1, MemMB: defaultMemMB, Append: "test=boot", NoDebugExit: true})
			code := v.wait(defaultTimeout)
			v.checkNoCrash()
			want := regexp.MustCompile(`^power: no isa-debug-exit device: test status 0 \(passed\) cannot reach QEMU's exit code; powering off through ACPI$`)
			if !anyLine(v.lines(), want) {
				v.errorf("no line matching %q", want)
			}
			if code != statusPoweroff {
				v.errorf("QEMU exited with status %s, want %s", explainStatus(code), explainStatus(statusPoweroff))
			}
		})
	}
}
