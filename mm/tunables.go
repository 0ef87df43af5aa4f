// tunables.go: the system-wide huge-page switches Linux keeps under
// /sys/kernel/mm/transparent_hugepage (mm/huge_memory.c, mm/shmem.c):
// enabled, defrag, shmem_enabled and use_zero_page, and which VMAs they
// let have huge pages. khugepaged's own tunables are Khugepaged
// (khugepaged.go). kernel/sysfs shows and sets both.

// trapctx: process context only

package mm

import "sync/atomic"

// THPMode is transparent_hugepage/enabled: when anonymous memory gets
// huge pages (at fault time, and from khugepaged).
type THPMode int32

const (
	// THPAlways: every anonymous VMA not advised NOHUGEPAGE. khugepaged
	// then scans every address space, advised or not.
	THPAlways THPMode = iota
	// THPMadvise: only ranges advised MADV_HUGEPAGE (the default: what
	// this kernel always did).
	THPMadvise
	// THPNever: none; khugepaged does nothing (MADV_COLLAPSE still
	// works: it ignores the switches, as in Linux).
	THPNever
)

// ShmemMode is transparent_hugepage/shmem_enabled: which file ranges
// khugepaged collapses. Every file here is shmem-like (its pages live
// only in the page cache), so it applies to all of them.
type ShmemMode int32

const (
	ShmemAlways     ShmemMode = iota // every file VMA not advised NOHUGEPAGE
	ShmemWithinSize                  // the same: a huge page never reaches past the end here anyway
	ShmemAdvise                      // only VMAs advised MADV_HUGEPAGE (the default here)
	ShmemNever                       // none (MADV_COLLAPSE still works)
	ShmemDeny                        // none, and MADV_COLLAPSE of a file range fails too
	ShmemForce                       // like always (Linux's testing switch)
)

// THPDefragMode is transparent_hugepage/defrag. There is no compaction or
// reclaim here: a huge allocation that finds no free 2 MiB block fails at
// once whatever the mode, so the mode is kept for programs that set and
// read it, and changes nothing.
type THPDefragMode int32

const (
	DefragAlways THPDefragMode = iota
	DefragDefer
	DefragDeferMadvise
	DefragMadvise // Linux's default
	DefragNever
)

// THP holds the switches. Programs change them through /sys.
var THP struct {
	Enabled      atomic.Int32 // a THPMode
	Defrag       atomic.Int32 // a THPDefragMode (no effect: see THPDefragMode)
	ShmemEnabled atomic.Int32 // a ShmemMode
	// UseZeroPage is use_zero_page: Linux maps a read fault of an
	// anonymous huge range with the huge zero page. There is none here
	// (a read fault allocates the huge page), so it is kept and changes
	// nothing; it reads as Linux's default, 1.
	UseZeroPage atomic.Bool
}

func init() {
	THP.Enabled.Store(int32(THPMadvise))
	THP.Defrag.Store(int32(DefragMadvise))
	THP.ShmemEnabled.Store(int32(ShmemAdvise))
	THP.UseZeroPage.Store(true)
}

// THPEnabled returns transparent_hugepage/enabled.
func THPEnabled() THPMode { return THPMode(THP.Enabled.Load()) }

// ShmemEnabled returns transparent_hugepage/shmem_enabled.
func ShmemEnabled() ShmemMode { return ShmemMode(THP.ShmemEnabled.Load()) }

// thpAllowed reports whether the switches let v have huge pages, as
// Linux's hugepage_vma_check with the sysfs settings enforced (faults,
// khugepaged): for anonymous memory by enabled, for a file by
// shmem_enabled. NOHUGEPAGE always wins.
func thpAllowed(v *VMA) bool {
	if v.Flags&VMNoHugepage != 0 {
		return false
	}
	advised := v.Flags&VMHugepage != 0
	if v.File == nil {
		switch THPEnabled() {
		case THPAlways:
			return true
		case THPMadvise:
			return advised
		}
		return false
	}
	switch ShmemEnabled() {
	case ShmemAlways, ShmemWithinSize, ShmemForce:
		return true
	case ShmemAdvise:
		return advised
	}
	return false
}

// THPEligible reports what /proc/PID/smaps says in THPEligible: whether
// huge pages may back v at all — the switches allow it and v covers at
// least one aligned 2 MiB.
func THPEligible(v *VMA) bool {
	h := (v.Start + HPageSize - 1) &^ (HPageSize - 1)
	return thpAllowed(v) && h >= v.Start && h+HPageSize <= v.End && v.Prot != ProtNone
}

// khugepagedScansAll reports whether khugepaged must look at every
// address space, advised or not (enabled or shmem_enabled say always).
func khugepagedScansAll() bool {
	switch ShmemEnabled() {
	case ShmemAlways, ShmemWithinSize, ShmemForce:
		return true
	}
	return THPEnabled() == THPAlways
}
