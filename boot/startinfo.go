// startinfo.go: the PVH boot information (Xen's hvm_start_info, version 1),
// copied out of low memory before anything else runs.
//
//	 0 u32 magic 0x336ec578   4 u32 version   8 u32 flags   12 u32 nr_modules
//	16 u64 modlist_paddr     24 u64 cmdline_paddr           32 u64 rsdp_paddr
//	40 u64 memmap_paddr      48 u32 memmap_entries          52 u32 reserved
//	memmap entry (24 bytes): u64 addr, u64 size, u32 type (1 = RAM), u32 reserved
//	modlist entry (32 bytes): u64 paddr, u64 size, u64 cmdline_paddr, u64 reserved
//
// QEMU passes -initrd as module 0.

package boot

import (
	"strconv"

	"retract/arch/amd64"
	"retract/kernel/cmdline"
	"retract/mm/phys"
)

const startInfoMagic = 0x336ec578

// MemRange is one entry of the firmware's memory map (E820 types).
type MemRange struct {
	Addr, Size uint64
	Type       uint32
}

// E820 types.
const (
	E820RAM      = 1
	E820Reserved = 2
	E820ACPI     = 3
	E820NVS      = 4
)

const maxMemRanges = 32

// Module is a boot module (QEMU's -initrd): where the boot loader put it
// in physical memory. The boot path keeps its frames out of the allocator
// until ReleaseModules.
type Module struct {
	Addr, Size uint64
}

const maxModules = 4

// cmdlineScan is how far copyStartInfo looks for the end of a command line
// that is too long to keep, to say how long it is.
const cmdlineScan = 64 << 10

// Info is what the boot path learned from the firmware.
type Info struct {
	Magic    uint32
	Version  uint32
	RSDP     uint64
	Mem      [maxMemRanges]MemRange
	NMem     int
	Cmdline  [cmdline.MaxLen]byte
	NCmdline int
	// CmdlineLen is the length of the command line the boot loader gave:
	// NCmdline, or more when the line was too long to keep and was
	// ignored (NCmdline is then 0; see cmdline.Take).
	CmdlineLen int
	Raw        uint64 // where start_info was
	Modules    [maxModules]Module
	NModules   int
	// ModulesDropped counts modules not kept (more than maxModules, or
	// outside RAM).
	ModulesDropped int
}

// Boot is filled by start64 and read-only afterwards.
var Boot Info

var startInfoAddr uint64

// u32 and u64 read physical memory through the direct map.
func u32(pa uint64) uint32 { return *(*uint32)(amd64.PhysPtr(pa)) }
func u64(pa uint64) uint64 { return *(*uint64)(amd64.PhysPtr(pa)) }

// copyStartInfo copies start_info, the memory map and the command line.
// Zero-sized map entries (microvm adds a trailing one) are skipped.
func copyStartInfo() bool {
	a := startInfoAddr
	Boot.Raw = a
	if a == 0 || u32(a) != startInfoMagic {
		return false
	}
	Boot.Magic = u32(a)
	Boot.Version = u32(a + 4)
	Boot.RSDP = u64(a + 32)
	if cl := u64(a + 24); cl != 0 {
		src := unsafeBytes((*byte)(amd64.PhysPtr(cl)), cmdlineScan)
		Boot.NCmdline, Boot.CmdlineLen = cmdline.Take(Boot.Cmdline[:], src)
	}
	{
		nmod, ml := u32(a+12), u64(a+16)
		for i := uint32(0); i < nmod; i++ {
			e := ml + uint64(i)*32
			m := Module{Addr: u64(e), Size: u64(e + 8)}
			if m.Size == 0 || Boot.NModules == maxModules || m.Addr+m.Size < m.Addr || m.Addr+m.Size > phys.MaxRAM {
				Boot.ModulesDropped++
				continue
			}
			Boot.Modules[Boot.NModules] = m
			Boot.NModules++
		}
	}
	mm := u64(a + 40)
	n := u32(a + 48)
	for i := uint32(0); i < n && Boot.NMem < maxMemRanges; i++ {
		e := mm + uint64(i)*24
		r := MemRange{Addr: u64(e), Size: u64(e + 8), Type: u32(e + 16)}
		if r.Size == 0 {
			continue
		}
		Boot.Mem[Boot.NMem] = r
		Boot.NMem++
	}
	return true
}

// RAM returns the RAM the memory map lists: the sum of its E820RAM
// ranges, and the end of the highest one (which is more than the sum when
// the map has holes, as above 4 GiB, where QEMU moves what does not fit
// below its PCI hole).
func (i *Info) RAM() (total, top uint64) {
	for _, r := range i.Mem[:i.NMem] {
		if r.Type == E820RAM {
			total += r.Size
			top = max(top, r.Addr+r.Size)
		}
	}
	return total, top
}

// MemTypeName names an E820 type for the console.
func MemTypeName(t uint32) string {
	switch t {
	case E820RAM:
		return "RAM"
	case E820Reserved:
		return "reserved"
	case E820ACPI:
		return "ACPI tables"
	case E820NVS:
		return "ACPI NVS"
	}
	return "type " + strconv.FormatUint(uint64(t), 10)
}

// Initrd returns the first boot module's bytes (QEMU -initrd), read in
// place through the direct map, or nil. Valid until ReleaseModules.
func Initrd() []byte {
	if Boot.NModules == 0 || modulesReleased {
		return nil
	}
	m := Boot.Modules[0]
	return unsafeBytes((*byte)(amd64.PhysPtr(m.Addr)), int(m.Size))
}

var modulesReleased bool

// ReleaseModules gives the modules' frames to the allocator, once their
// contents were copied (Linux's "Freeing initrd memory"). It returns how
// many bytes that was.
func ReleaseModules() uint64 {
	if modulesReleased {
		return 0
	}
	modulesReleased = true
	var n uint64
	for _, m := range Boot.Modules[:Boot.NModules] {
		s := (m.Addr + phys.PageSize - 1) &^ (phys.PageSize - 1)
		e := (m.Addr + m.Size) &^ (phys.PageSize - 1)
		if ramRange(s, e) && e > s {
			phys.Frames.AddRange(s, e)
			n += e - s
		}
	}
	return n
}

// ramRange reports whether [s, e) is inside one RAM range of the memory
// map and clear of what the boot path keeps (low memory, the image and
// the frame metadata).
func ramRange(s, e uint64) bool {
	if s < 1<<20 || s < MetaEnd && e > Image.Start {
		return false
	}
	for _, r := range Boot.Mem[:Boot.NMem] {
		if r.Type == E820RAM && s >= r.Addr && e <= r.Addr+r.Size {
			return true
		}
	}
	return false
}

// CmdlineString returns the kernel command line (allocates).
func CmdlineString() string { return string(Boot.Cmdline[:Boot.NCmdline]) }

// CmdlineError says why the command line was ignored, or is nil.
func CmdlineError() error {
	if Boot.CmdlineLen > Boot.NCmdline {
		return cmdline.TooLong(Boot.CmdlineLen, cmdlineScan)
	}
	return nil
}

// cmdlineView returns the command line without allocating (a string header
// over the static array).
func cmdlineView() string {
	b := Boot.Cmdline[:Boot.NCmdline]
	if len(b) == 0 {
		return ""
	}
	return unsafeString(&b[0], len(b))
}
