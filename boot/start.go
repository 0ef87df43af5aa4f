// Package boot takes the machine from QEMU's PVH entry to the Go runtime:
// the 32-bit entry and the switch to long mode (entry_amd64.s), then the
// early set-up that must exist before the runtime's first instruction
// (start64): console, descriptor tables and trap handlers, the frame
// allocator and the direct map of all RAM, LAPIC and clock calibration,
// the first thread, and a Linux-style initial stack. Then it jumps to the
// stock runtime entry, _rt0_amd64_linux, and the kernel's main package runs
// as an ordinary Go program.
//
// Everything in start64 runs before the runtime exists, on the boot stack
// with a kernel g (see amd64.KernelG): it must not allocate, panic or use
// anything a package init() would have set up. It is the one place besides
// the main package that wires the kernel's packages together, because it
// has to happen before main can run.
package boot

import (
	"retract/arch/amd64"
	"retract/kernel/acpi"
	"retract/kernel/clock"
	"retract/kernel/console"
	"retract/kernel/oops"
	"retract/kernel/sched"
	"retract/kernel/smp"
	"retract/kernel/sys"
	"retract/kernel/trap"
	"retract/mm/phys"
)

// pvhEntry is the 32-bit PVH entry point whose address boot/pvhnote stamps
// into the ELF note.
func pvhEntry()

// entry64 is the first 64-bit instruction (at its physical address).
func entry64()

// entry64high is entry64's continuation at the linked address.
func entry64high()

// getip is a 32-bit helper for pvhEntry.
func getip()

// Entry keeps the assembly entry points reachable for the linker: main
// calls it behind a condition that is never true.
func Entry() {
	pvhEntry()
	entry64()
	entry64high()
	getip()
	apEntry64()
}

var (
	bootStack [bootStackSize]byte
	bootG     amd64.KernelG
	bootTLS   [4]uintptr
	runtimeSP uintptr
)

// Image describes the loaded kernel image (from its own ELF headers, which
// QEMU loaded at 2 MiB with the first segment).
var Image struct {
	Start, End         uint64 // lowest and highest+1 loaded physical address
	TextStart, TextEnd uint64 // the executable segment, at its (virtual) link address
}

// imagePhys is where the image's first segment, which starts with the ELF
// header, is loaded; the image runs at imagePhys + KernelBase.
const imagePhys = 0x200000

// readImage parses the ELF program headers, through the kernel image map.
// Physical addresses are computed from the link addresses rather than
// read from p_paddr: the image map fixes the relation between the two.
func readImage() {
	hdr := uint64(amd64.KernelBase) + imagePhys
	phoff := kread64(hdr + 0x20)
	phentsize := uint64(*(*uint16)(amd64.Ptr(uintptr(hdr + 0x36))))
	phnum := uint64(*(*uint16)(amd64.Ptr(uintptr(hdr + 0x38))))
	Image.Start = ^uint64(0)
	for i := uint64(0); i < phnum; i++ {
		ph := hdr + phoff + i*phentsize
		if kread32(ph) != 1 { // PT_LOAD
			continue
		}
		flags := kread32(ph + 4)
		vaddr, memsz := kread64(ph+0x10), kread64(ph+0x28)
		pa, ok := amd64.VirtToPhys(uintptr(vaddr))
		if !ok || vaddr < uint64(amd64.KernelBase) {
			die("a kernel segment is not linked in the kernel image map (link with -T -0x7fdff000)")
		}
		Image.Start = min(Image.Start, pa)
		Image.End = max(Image.End, pa+memsz)
		if flags&1 != 0 { // PF_X
			Image.TextStart, Image.TextEnd = vaddr, vaddr+memsz
		}
	}
}

func kread32(va uint64) uint32 { return *(*uint32)(amd64.Ptr(uintptr(va))) }
func kread64(va uint64) uint64 { return *(*uint64)(amd64.Ptr(uintptr(va))) }

func say(s string) { console.WriteString(s) }

func die(s string) {
	say("boot: ")
	say(s)
	say("; halting\n")
	for {
		amd64.Cli()
		amd64.Hlt()
	}
}

// MetaStart and MetaEnd bound the frame metadata array (for `mem`).
var MetaStart, MetaEnd uint64

// initFrames sets up the frame allocator over the RAM of the memory map,
// with its metadata right after the kernel image, and keeps low memory
// (below 1 MiB: firmware, boot tables, the AP trampoline) and the image out.
func initFrames() {
	var top uint64
	for i := 0; i < Boot.NMem; i++ {
		r := Boot.Mem[i]
		if r.Type == E820RAM && r.Addr+r.Size > top {
			top = r.Addr + r.Size
		}
	}
	if top == 0 {
		die("the memory map has no RAM")
	}
	phys.RAMTop = top
	n := top >> phys.PageShift
	MetaStart = (Image.End + phys.PageSize - 1) &^ (phys.PageSize - 1)
	MetaEnd = (MetaStart + uint64(phys.MetaSize(n)) + phys.PageSize - 1) &^ (phys.PageSize - 1)
	if MetaEnd > 1<<30 || MetaEnd > top {
		die("no room for the frame metadata after the kernel image")
	}
	phys.Frames.Init(amd64.PhysPtr(MetaStart), n, phys.Page)
	// What stays out: low memory (firmware, boot tables, the AP
	// trampoline), the image and the metadata, and the boot modules
	// until ReleaseModules.
	var holes [2 + maxModules][2]uint64
	holes[0] = [2]uint64{0, 1 << 20}
	holes[1] = [2]uint64{Image.Start, MetaEnd}
	nh := 2
	for _, m := range Boot.Modules[:Boot.NModules] {
		holes[nh] = [2]uint64{m.Addr &^ (phys.PageSize - 1), (m.Addr + m.Size + phys.PageSize - 1) &^ (phys.PageSize - 1)}
		nh++
	}
	for i := 0; i < Boot.NMem; i++ {
		r := Boot.Mem[i]
		if r.Type == E820RAM {
			addRange(r.Addr, r.Addr+r.Size, holes[:nh])
		}
	}
	if !phys.InitKernelMap(top) {
		die("cannot map all RAM (more than the direct map's 512 GiB, or no memory for tables)")
	}
	phys.Frames.SetReserve()
}

// addRange gives [s, e) minus the holes to the allocator.
func addRange(s, e uint64, holes [][2]uint64) {
	for s < e {
		// The first hole that overlaps [s, e), by start address.
		next := -1
		for i, h := range holes {
			if h[0] < e && h[1] > s && (next < 0 || h[0] < holes[next][0]) {
				next = i
			}
		}
		if next < 0 {
			phys.Frames.AddRange(s, e)
			return
		}
		if h := holes[next]; h[0] > s {
			phys.Frames.AddRange(s, h[0])
		}
		s = holes[next][1]
	}
}

// start64 is the early set-up, called by entry64 on the boot stack.
func start64() {
	amd64.Bare = true
	console.Init()
	say("\nretract: booting (PVH entry reached long mode)\n")
	if !copyStartInfo() {
		die("no PVH start_info (was the kernel started with QEMU -kernel?)")
	}
	// start_info may live in page 0 (q35 puts the memory map at 0x5a8):
	// only now can page 0 go, so that nil dereferences fault.
	phys.UnmapPage0()
	readImage()
	amd64.InitCPU(0)
	amd64.DisablePIC()
	trap.Install()
	amd64.InstallLockdep(oops.LockdepReport) // wb: boot
	initFrames()
	acpi.RSDP = Boot.RSDP
	amd64.InitLAPIC()
	clock.Calibrate()
	clock.ReadRTC()
	_, _, ecx, _ := amd64.Cpuid(1, 0)
	sys.HasRDRAND = ecx&(1<<30) != 0
	oops.TextStart, oops.TextEnd = Image.TextStart, Image.TextEnd
	oops.StopOthers = smp.StopOthers // wb: boot
	sched.InitBoot()
	smp.Init()
	startAPs()
	// Every CPU runs on high addresses now: the lower half is user space's.
	phys.DropIdentity()
	buildProcessStack()
	sched.Start(clock.Nanotime())
	say("retract: starting the Go runtime\n")
}
