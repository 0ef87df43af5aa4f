// layout.go: the kernel's half of the virtual address space.
//
// Like Linux on x86-64 (Documentation/arch/x86/x86_64/mm.rst), the kernel
// lives in the upper half and leaves the whole lower half to user space,
// so that static Linux programs, which are linked to load at 0x400000, get
// the addresses they were linked for:
//
//	0x0000000000000000 - 0x00007fffffffffff  user space (PML4 entries 0-255), per mm
//	0xffff888000000000 - 0xffff907fffffffff  direct map of physical memory (PML4 273)
//	0xffffc90000000000 - 0xffffd0ffffffffff  the Go heap window (PML4 402)
//	0xffffffff80000000 - 0xffffffffbfffffff  the kernel image: physical 0-1 GiB (PML4 511)
//
// The three kernel regions have the same PML4 entries in every address
// space (each mm copies entries 256-511 of the kernel's PML4 when it is
// created, and the tables under them are shared and never change at the
// PML4 level afterwards). The kernel is linked at KernelBase + 2 MiB + 4 KiB
// (go build -ldflags "-T -0x7fdff000": the linker takes a signed number), loaded by QEMU at the
// physical address 2 MiB + 4 KiB below it.

package amd64

import "unsafe"

const (
	// DirectMap is where physical address 0 appears: physical address pa
	// is at DirectMap+pa, for all RAM and for the MMIO hole 3-4 GiB
	// (uncached). Linux calls it page_offset_base / __PAGE_OFFSET.
	DirectMap uintptr = 0xffff888000000000
	// DirectMapSize is how much physical address space the direct map can
	// cover (one PML4 entry).
	DirectMapSize uintptr = 512 << 30

	// KernelBase is where physical address 0 appears in the kernel image
	// map (Linux's __START_KERNEL_map): the image, linked at high
	// addresses, runs there.
	KernelBase uintptr = 0xffffffff80000000
	// KernelMapSize is how much of low physical memory the image map covers.
	KernelMapSize uintptr = 1 << 30

	// UserTop is the end of the lower half: user space is [0, UserTop).
	UserTop uintptr = 1 << 47
)

// PML4 slots of the kernel's regions.
const (
	PML4DirectMap = 273 // DirectMap >> 39 & 511
	PML4Heap      = 402 // the Go heap window
	PML4Kernel    = 511 // KernelBase >> 39 & 511
	PDPTKernel    = 510 // KernelBase >> 30 & 511
	// PML4KernelFirst is the first entry of the kernel half.
	PML4KernelFirst = 256
)

// PhysToVirt returns the direct-map address of physical address pa.
//
//go:nosplit
func PhysToVirt(pa uint64) uintptr { return DirectMap + uintptr(pa) }

// VirtToPhys returns the physical address behind a direct-map or
// kernel-image address, and false for any other address.
//
//go:nosplit
func VirtToPhys(va uintptr) (uint64, bool) {
	switch {
	case va >= DirectMap && va-DirectMap < DirectMapSize:
		return uint64(va - DirectMap), true
	case va >= KernelBase && va-KernelBase < KernelMapSize:
		return uint64(va - KernelBase), true
	}
	return 0, false
}

// PhysPtr is PhysToVirt as a pointer, for memory that is not Go heap
// memory (page tables, frames, firmware tables, MMIO).
//
//go:nosplit
func PhysPtr(pa uint64) unsafe.Pointer { return ptr(PhysToVirt(pa)) }
