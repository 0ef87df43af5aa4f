// pte.go: reaching page tables and pages through their physical address,
// and the atomic accessors every page-table entry is read and written with
// (the MMU sets Accessed and Dirty behind the kernel's back, and other CPUs
// walk tables while they change).

package phys

import (
	"sync/atomic"
	"unsafe"

	"retract/arch/amd64"
)

// Page returns a pointer to frame pfn, through the direct map.
//
//go:nosplit
func Page(pfn uint64) unsafe.Pointer { return amd64.PhysPtr(pfn << PageShift) }

// Table returns the page table at physical address pa, through the direct
// map.
//
//go:nosplit
func Table(pa uint64) *[512]amd64.PTE { return (*[512]amd64.PTE)(amd64.PhysPtr(pa)) }

// VA returns the direct-map address of physical address pa (Linux's
// __va).
//
//go:nosplit
func VA(pa uint64) uintptr { return amd64.PhysToVirt(pa) }

// PA returns the physical address behind a direct-map or kernel-image
// address (Linux's __pa); ok is false for any other address.
//
//go:nosplit
func PA(va uintptr) (pa uint64, ok bool) { return amd64.VirtToPhys(va) }

// AllocTable returns a zeroed page-table frame for the kernel's own
// tables (it may use the reserve).
func AllocTable() (uint64, bool) {
	return zeroedTable(Frames.Alloc(0, KindPageTable))
}

// AllocUserTable returns a zeroed page-table frame for a user address
// space: like every user allocation it leaves the kernel's reserve alone.
func AllocUserTable() (uint64, bool) {
	return zeroedTable(Frames.AllocUser(0, KindPageTable))
}

func zeroedTable(pfn uint64, ok bool) (uint64, bool) {
	if !ok {
		return 0, false
	}
	clear((*[PageSize]byte)(Page(pfn))[:])
	return pfn << PageShift, true
}

// LoadPTE reads an entry atomically.
//
//go:nosplit
func LoadPTE(p *amd64.PTE) amd64.PTE { return amd64.PTE(atomic.LoadUint64((*uint64)(p))) }

// StorePTE writes an entry atomically.
//
//go:nosplit
func StorePTE(p *amd64.PTE, v amd64.PTE) { atomic.StoreUint64((*uint64)(p), uint64(v)) }
