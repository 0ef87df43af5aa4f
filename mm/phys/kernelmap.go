// kernelmap.go: the kernel's half of every address space (PML4 entries
// 256-511; the layout is in package amd64's layout.go and
// docs/architecture.md §2):
//
//	PML4 273  direct map     BootPDPT: 0-4 GiB with the boot PDs (2 MiB pages,
//	                         3-4 GiB uncached for MMIO), RAM above 4 GiB added
//	                         by InitKernelMap
//	PML4 402  Go heap window BootHeapPDPT: 4 KiB pages, demand-paged, tables
//	                         allocated as the Go runtime maps memory, never freed
//	PML4 511  kernel image   BootKernelPDPT: entry 510 is the boot PD of 0-1 GiB
//
// The boot path (boot/entry_amd64.s) builds these tables at fixed low
// addresses before paging is on, and also maps 0-4 GiB at virtual ==
// physical (PML4 entry 0, through the same BootPDPT) for the instructions
// that run between turning paging on and jumping to the high addresses,
// and for the application processors' real-mode trampoline. DropIdentity
// removes that entry once every CPU runs high: from then on the lower
// half belongs to user space alone.
//
// Physical page 0 is not mapped anywhere (its PTE in BootPT0 is cleared
// once start_info is copied), so that a nil pointer converted through the
// direct map still faults.

package phys

import (
	"retract/arch/amd64"
)

// Boot page tables, built by boot/entry_amd64.s at these physical
// addresses (below 1 MiB, which the allocator never hands out).
const (
	BootPML4       = 0x10000
	BootPDPT       = 0x11000 // the direct map (and the boot identity map)
	BootPD0        = 0x12000 // four PDs: 0x12000..0x15fff map 0-4 GiB with 2 MiB pages
	BootPT0        = 0x16000 // maps 0-2 MiB with 4 KiB pages; entry 0 is not present
	BootKernelPDPT = 0x17000 // the kernel image map (PML4 511)
	BootHeapPDPT   = 0x18000 // the Go heap window (PML4 402)
	BootGDT        = 0x19000 // the 32-bit entry's temporary GDT
	BootTablesEnd  = 0x1a000
)

// KernelBase, DirectMap: see package amd64.
const (
	KernelBase = amd64.KernelBase
	DirectMap  = amd64.DirectMap
)

// The Go heap window: one PML4 entry (Linux puts vmalloc here).
const (
	HeapBase uintptr = 0xffffc90000000000
	HeapEnd  uintptr = HeapBase + 512<<30
)

// PTECommitted marks a heap-window PTE that is mapped read-write but not yet
// backed by a frame: the first touch faults and HeapFault supplies a zeroed
// frame. A PTE of 0 is not mapped at all (reserved or PROT_NONE).
const PTECommitted = amd64.PTESoft0

// Frames is the machine's frame allocator.
var Frames Allocator

var kernelMapLock amd64.SpinLock

// FlushKernel invalidates the TLB entries for [va, va+n) on every CPU that
// may hold them and returns when they have. It starts as a local INVLPG;
// the boot path installs smp.FlushKernel, the shootdown, once the APs run
// (SetFlushKernel: smp imports this package, so it cannot be called
// directly). Callers must not hold a spinlock (the shootdown waits for
// other CPUs).
func FlushKernel(va, n uintptr) { flushKernel(va, n) }

var flushKernel = func(va, n uintptr) {
	for a := va; a < va+n; a += PageSize {
		amd64.Invlpg(a)
	}
}

// SetFlushKernel installs the shootdown (boot path, before the runtime).
func SetFlushKernel(f func(va, n uintptr)) { flushKernel = f } // wb: boot, before the runtime

// UnmapPage0 removes the boot map's page 0 (the boot path maps it only
// until start_info is copied).
func UnmapPage0() {
	StorePTE(&Table(BootPT0)[0], 0)
	amd64.Invlpg(0) // forget the translations the copy may have used
	amd64.Invlpg(DirectMap)
	amd64.Invlpg(KernelBase)
}

// DropIdentity removes the boot identity map (PML4 entry 0) from the
// kernel's PML4 and flushes this CPU's TLB. Called by the boot CPU once
// every application processor runs on high addresses; the others reload
// CR3 before they run anything that could use a stale entry (every switch
// of address space does, and the boot CPU's shootdown covers the rest).
func DropIdentity() {
	StorePTE(&Table(BootPML4)[0], 0)
	amd64.WriteCR3(amd64.ReadCR3()) // flush the non-global entries
}

// MaxRAM is the most physical memory the direct map has room for.
const MaxRAM = uint64(amd64.DirectMapSize)

// InitKernelMap extends the direct map over RAM in [4 GiB, ramTop) with
// 2 MiB pages. Called once at boot, after the allocator is ready.
func InitKernelMap(ramTop uint64) bool {
	pdpt := Table(BootPDPT)
	for gb := uint64(4); gb<<30 < ramTop; gb++ {
		if gb<<30 >= MaxRAM {
			return false // more RAM than the layout has room for
		}
		pd, ok := AllocTable()
		if !ok {
			return false
		}
		t := Table(pd)
		for i := range t {
			t[i] = amd64.MakePTE(gb<<30+uint64(i)<<21, amd64.PTEPresent|amd64.PTEWrite|amd64.PTEHuge|amd64.PTENX)
		}
		pdpt[gb] = amd64.MakePTE(pd, amd64.PTEPresent|amd64.PTEWrite)
	}
	return true
}

// heapPTELocked returns the PTE of va in the heap window, allocating the PD
// and PT on the way when alloc is set (nil if it cannot).
// Preconditions: kernelMapLock held; HeapBase <= va < HeapEnd.
func heapPTELocked(va uintptr, alloc bool) *amd64.PTE {
	kernelMapLock.AssertHeld()
	e := &Table(BootHeapPDPT)[amd64.Index(va, 3)]
	for level := 2; level >= 1; level-- {
		if !e.Present() {
			if !alloc {
				return nil
			}
			pa, ok := AllocTable()
			if !ok {
				return nil
			}
			*e = amd64.MakePTE(pa, amd64.PTEPresent|amd64.PTEWrite)
		}
		e = &Table(e.Addr())[amd64.Index(va, level)]
	}
	return e
}

// HeapCommit marks [va, va+n) read-write. With fresh set, pages already
// backed are dropped first (mmap MAP_FIXED semantics: the new mapping
// reads as zeros). It returns false if page tables could not be allocated.
func HeapCommit(va, n uintptr, fresh bool) bool {
	if fresh {
		HeapRelease(va, n, true)
	}
	f := kernelMapLock.LockIRQ()
	defer kernelMapLock.UnlockIRQ(f)
	for a := va; a < va+n; a += PageSize {
		p := heapPTELocked(a, true)
		if p == nil {
			return false
		}
		if LoadPTE(p) == 0 {
			StorePTE(p, PTECommitted)
		}
	}
	return true
}

// releaseBatch is how many frames HeapRelease frees per TLB flush.
const releaseBatch = 64

// HeapRelease unmaps [va, va+n): backed frames are freed and the PTEs
// cleared (keep=false), or returned to the committed-but-unbacked state
// (keep=true: MADV_DONTNEED, the next touch reads zeros). It returns how
// many frames it freed.
//
// It works in batches: clear up to releaseBatch present PTEs under the
// lock, drop the lock, flush the TLBs of every CPU (which waits for the
// other CPUs, so it must not hold a spinlock), and only then free the
// frames — a frame still reachable through a stale TLB entry must not be
// reused.
func HeapRelease(va, n uintptr, keep bool) (freed int) {
	var pfns [releaseBatch]uint64
	for a := va; a < va+n; {
		start := a
		nf := 0
		f := kernelMapLock.LockIRQ()
		for ; a < va+n && nf < releaseBatch; a += PageSize {
			p := heapPTELocked(a, false)
			if p == nil {
				// No page table: nothing is mapped in this 2 MiB.
				a = (a | (amd64.PDESpan - 1)) + 1 - PageSize
				continue
			}
			old := LoadPTE(p)
			var nv amd64.PTE
			if keep && old != 0 {
				nv = PTECommitted
			}
			StorePTE(p, nv)
			if old.Present() {
				pfns[nf] = old.Addr() >> PageShift
				nf++
			}
		}
		kernelMapLock.UnlockIRQ(f)
		if nf > 0 {
			FlushKernel(start, a-start)
			for i := 0; i < nf; i++ {
				Frames.Free(pfns[i], 0)
			}
			freed += nf
		}
	}
	return freed
}

// HeapFault resolves a fault at va in the heap window: a committed page gets
// a zeroed frame. It returns false when va is not committed (a real fault).
func HeapFault(va uintptr) bool {
	va &^= PageSize - 1
	f := kernelMapLock.LockIRQ()
	defer kernelMapLock.UnlockIRQ(f)
	p := heapPTELocked(va, false)
	if p == nil {
		return false
	}
	old := LoadPTE(p)
	if old.Present() {
		return true // another CPU resolved it first, or a stale TLB entry
	}
	if old != PTECommitted {
		return false
	}
	pfn, ok := Frames.Alloc(0, KindGoHeap)
	if !ok {
		return false
	}
	clear((*[PageSize]byte)(Page(pfn))[:])
	StorePTE(p, amd64.MakePTE(pfn<<PageShift, amd64.PTEPresent|amd64.PTEWrite|amd64.PTENX))
	return true
}

// HeapLookup returns the PTE of va in the heap window (0 if none).
func HeapLookup(va uintptr) amd64.PTE {
	f := kernelMapLock.LockIRQ()
	defer kernelMapLock.UnlockIRQ(f)
	if p := heapPTELocked(va, false); p != nil {
		return LoadPTE(p)
	}
	return 0
}

// RAMTop is the end of the highest RAM range; the direct map covers
// [0, max(RAMTop, 4 GiB)). Set once at boot.
var RAMTop uint64

// DirectMapEnd is the end of what the direct map maps.
func DirectMapEnd() uintptr { return DirectMap + uintptr(max(RAMTop, 4<<30)) }

// KernelValid reports whether [a, a+n) is kernel memory that can be touched
// without an unresolvable fault: the direct map or the kernel image map
// (both without physical page 0), or committed heap-window pages. Syscalls
// use it to answer EFAULT for bad pointers instead of oopsing.
func KernelValid(a, n uintptr) bool {
	if n == 0 {
		return true
	}
	end := a + n
	if end < a {
		return false
	}
	if a >= DirectMap+PageSize && end <= DirectMapEnd() {
		return true
	}
	if a >= KernelBase+PageSize && end-KernelBase <= amd64.KernelMapSize {
		return true
	}
	if a < HeapBase || end > HeapEnd {
		return false
	}
	for p := a &^ (PageSize - 1); p < end; p += PageSize {
		if e := HeapLookup(p); !e.Present() && e != PTECommitted {
			return false
		}
	}
	return true
}

// KernelTranslate walks the kernel's page tables in software (from the
// boot PML4) and returns the physical address va maps to and the size of
// the page that maps it.
func KernelTranslate(va uintptr) (pa uint64, size uint64, ok bool) {
	e := Table(BootPML4)[amd64.Index(va, 4)]
	for level := 3; level >= 1; level-- {
		if !e.Present() {
			return 0, 0, false
		}
		e = LoadPTE(&Table(e.Addr())[amd64.Index(va, level)])
		span := uint64(1) << (12 + 9*(level-1))
		if level > 1 && e.Present() && e.Huge() {
			return e.Addr()&^(span-1) | uint64(va)&(span-1), span, true
		}
		if level == 1 {
			if !e.Present() {
				return 0, 0, false
			}
			return e.Addr() | uint64(va)&(PageSize-1), PageSize, true
		}
	}
	return 0, 0, false
}
