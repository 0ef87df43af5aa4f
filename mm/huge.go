// huge.go: 2 MiB pages mapped by one PMD (Linux's transparent huge pages,
// mm/huge_memory.c): the huge-PMD fault paths (do_huge_pmd_anonymous_page,
// do_set_pmd, do_huge_pmd_wp_page), and splitting a huge PMD when only part
// of its range changes (__split_huge_pmd).
//
// A huge page is an order-9 block from the frame allocator. Its head frame
// carries the page's Refcount and Mapcount (one per PMD or PTE that maps
// any part of it); dropMapping finds the head with Frames.Head.
// An anonymous huge page keeps a deposited page table in its head's
// Deposit field, so that a split never needs to allocate.
//
// Locking: a PMD changes between none, table and huge only under the mm's
// pageTableLock (the "PMD lock", Linux's pmd_lock); a huge PMD's permission
// bits change under it too.

// trapctx: process context only

package mm

import (
	"sync/atomic"

	"retract/arch/amd64"
	"retract/mm/phys"
)

// Huge-page geometry.
const (
	HPageOrder = 9
	HPageNr    = 1 << HPageOrder // 4 KiB pages in a huge page
	HPageSize  = amd64.PDESpan   // 2 MiB
)

// ThpStats counts huge-page events, like /proc/vmstat's thp_* counters
// (docs/procfs.md names which line shows which).
type ThpStats struct {
	// FaultAlloc: anonymous huge pages a fault allocated and mapped
	// (thp_fault_alloc); FaultFallback: faults that wanted one and fell
	// back to 4 KiB pages (thp_fault_fallback).
	FaultAlloc, FaultFallback atomic.Uint64
	// FileMapped: huge page-cache pages a fault mapped with one PMD
	// (do_set_pmd: thp_file_mapped).
	FileMapped atomic.Uint64
	// Split: huge PMDs split or, for a file, unmapped because an
	// operation covered part of them (thp_split_pmd).
	Split atomic.Uint64
	// WPReuse: writes to a read-only huge PMD that made it writable.
	WPReuse atomic.Uint64
	// CollapseAlloc, CollapseAllocFailed: huge pages allocated for a
	// collapse (anonymous or file), and allocations that found no free
	// 2 MiB block (thp_collapse_alloc, thp_collapse_alloc_failed).
	CollapseAlloc, CollapseAllocFailed atomic.Uint64
	// SplitPage, SplitPageFailed: huge pages split into 512 small ones
	// (an anonymous page whose PMD is split, a page-cache page split back
	// by SplitHugePage or by a truncate that ends inside it), and splits
	// that gave up (thp_split_page, thp_split_page_failed).
	SplitPage, SplitPageFailed atomic.Uint64
	// ScanExceedNone: collapses refused, or ranges khugepaged skipped,
	// because more than max_ptes_none entries were empty
	// (thp_scan_exceed_none_pte).
	ScanExceedNone atomic.Uint64
}

// ThpStat is the kernel's huge-page statistics.
var ThpStat ThpStats

// PfnPMD builds a huge PMD mapping the 2 MiB page at pfn (pfn_pmd +
// pmd_mkhuge). With ProtNone it returns the empty entry.
func PfnPMD(pfn uint64, prot Prot) amd64.PTE {
	e := PfnPTE(pfn, prot)
	if e == 0 {
		return 0
	}
	return e | amd64.PTEHuge
}

// allocHuge allocates a 2 MiB page of kind. It fails, rather than waiting
// or compacting, when no free order-9 block is left (fragmentation).
func allocHuge(kind phys.Kind) (uint64, bool) {
	pfn, ok := phys.Frames.AllocUser(HPageOrder, kind)
	if !ok {
		return 0, false
	}
	f := phys.Frames.Meta(pfn)
	f.Refcount.Store(0)
	f.Mapcount.Store(0)
	f.Deposit = 0
	return pfn, true
}

// hugePage returns the 2 MiB page at pfn as bytes.
func hugePage(pfn uint64) *[HPageSize]byte { return (*[HPageSize]byte)(phys.Page(pfn)) }

// hugeRange reports whether the 2 MiB range around va lies inside v, and
// its start.
func hugeRange(v *VMA, va uintptr) (uintptr, bool) {
	h := va &^ (HPageSize - 1)
	return h, h >= v.Start && h+HPageSize <= v.End && h+HPageSize > h
}

// createHugePMD tries to resolve a fault at va, whose PMD is empty, with a
// huge PMD: a new anonymous huge page when the VMA is advised HUGEPAGE and
// covers the aligned 2 MiB (do_huge_pmd_anonymous_page), or a huge page
// already in the page cache of a file (do_set_pmd). done=false means "use
// a page table" (also when no huge page could be allocated: the fallback).
func (m *MM) createHugePMD(v *VMA, va uintptr, pmd *amd64.PTE, write bool) (done bool, err error) {
	h, ok := hugeRange(v, va)
	if !ok || v.Flags&VMNoHugepage != 0 || v.Prot == ProtNone {
		return false, nil
	}
	if file, _ := v.File.(*File); file != nil {
		shared := v.Flags&VMShared != 0
		pgoff := v.Pgoff + uint64(h-v.Start)/phys.PageSize
		if write && !shared || pgoff%HPageNr != 0 {
			return false, nil // a private write copies into 4 KiB pages
		}
		head, ok := file.hugePageAt(pgoff) // takes a reference
		if !ok {
			return false, nil
		}
		prot := v.Prot
		if !shared {
			prot &^= ProtWrite
		}
		m.pmdLock()
		// The size is rechecked under the PMD lock, which a truncate's
		// unmap walk takes after it set the new size (see Truncate).
		if !PmdNone(phys.LoadPTE(pmd)) || file.Collapsing(pgoff) || file.beyondEOF(pgoff+HPageNr-1) {
			m.pmdUnlock()
			phys.Frames.Meta(head).Refcount.Add(-1)
			return false, nil // lost a race: retry from the top
		}
		phys.Frames.Meta(head).Mapcount.Add(1)
		phys.StorePTE(pmd, PfnPMD(head, prot)|amd64.PTEAccessed)
		m.pmdUnlock()
		ThpStat.FileMapped.Add(1)
		m.Stats.LastPath.Store(uint32(PathHugeFile))
		return true, nil
	}
	if v.Flags&VMAnon == 0 || !thpAllowed(v) { // transparent_hugepage/enabled
		return false, nil
	}
	head, ok := allocHuge(phys.KindAnon)
	if !ok {
		ThpStat.FaultFallback.Add(1)
		return false, nil
	}
	dep, ok := phys.AllocUserTable()
	if !ok {
		phys.Frames.Free(head, HPageOrder)
		ThpStat.FaultFallback.Add(1)
		return false, nil
	}
	tablePage(dep, m.ID, 1)
	clear(hugePage(head)[:])
	fr := phys.Frames.Meta(head)
	fr.Refcount.Store(1)
	fr.Mapcount.Store(1)
	fr.Deposit = uint32(dep >> phys.PageShift)
	m.pmdLock()
	if !PmdNone(phys.LoadPTE(pmd)) {
		m.pmdUnlock()
		fr.Deposit = 0
		fr.Refcount.Store(0)
		fr.Mapcount.Store(0)
		phys.Frames.Free(head, HPageOrder)
		phys.Frames.Free(dep>>phys.PageShift, 0)
		return false, nil
	}
	phys.StorePTE(pmd, PfnPMD(head, v.Prot)|amd64.PTEAccessed|amd64.PTEDirty)
	UserTables.Add(1) // the deposited table
	m.pmdUnlock()
	ThpStat.FaultAlloc.Add(1)
	m.Stats.LastPath.Store(uint32(PathHugeAnon))
	return true, nil
}

// hugePMDFault handles a fault on a huge PMD: a write to a read-only one
// either makes it writable (an anonymous page or a shared file page: the
// only mapping, do_huge_pmd_wp_page's reuse) or, for a private file
// mapping, splits it so that the write copies one 4 KiB page; anything
// else is spurious.
func (m *MM) hugePMDFault(v *VMA, va uintptr, pmd *amd64.PTE, pv amd64.PTE, write bool) (bool, error) {
	if !write || PteWrite(pv) {
		m.Stats.Spurious.Add(1)
		m.Stats.LastPath.Store(uint32(PathSpurious))
		amd64.Invlpg(va)
		return true, nil
	}
	if v.File != nil && v.Flags&VMShared == 0 {
		m.zapHugePMD(pmd, va&^(HPageSize-1), pv)
		return false, nil // refault: PT path, do_cow_fault
	}
	m.pmdLock()
	if phys.LoadPTE(pmd) == pv {
		phys.StorePTE(pmd, PteMkDirty(PteMkWrite(pv)))
		ThpStat.WPReuse.Add(1)
	}
	m.pmdUnlock()
	m.Stats.LastPath.Store(uint32(PathHugeWP))
	amd64.Invlpg(va)
	return true, nil
}

// zapHugePMD clears the huge PMD of the 2 MiB at h if it still holds pv,
// flushes, and drops the page (and frees an anonymous page's deposited
// table). It reports whether it cleared the entry.
func (m *MM) zapHugePMD(pmd *amd64.PTE, h uintptr, pv amd64.PTE) bool {
	m.pmdLock()
	if phys.LoadPTE(pmd) != pv {
		m.pmdUnlock()
		return false
	}
	phys.StorePTE(pmd, 0)
	m.pmdUnlock()
	FlushUser(m, h, HPageSize)
	putHuge(PmdPFN(pv))
	return true
}

// putHuge drops a PMD mapping of the huge page at head.
func putHuge(head uint64) {
	fr := phys.Frames.Meta(head)
	if dep := fr.Deposit; dep != 0 && fr.Mapcount.Load() == 1 {
		fr.Deposit = 0
		freePageTable(uint64(dep) << phys.PageShift)
	}
	dropMapping(head)
}

// splitHugePMD replaces the huge PMD of the 2 MiB at h by a page table
// (like __split_huge_pmd), when an operation covers only part of it. An
// anonymous page is split into 512 pages (split_huge_page), mapped by the
// deposited table with the PMD's permissions; a file page is just
// unmapped (its pages refault as 4 KiB mappings of the page cache).
// Preconditions: MmapLock held for writing.
func (m *MM) splitHugePMD(pmd *amd64.PTE, h uintptr) {
	m.MmapLock.AssertWriteHeld()
	pv := phys.LoadPTE(pmd)
	if !PmdHuge(pv) {
		return
	}
	head := PmdPFN(pv)
	fr := phys.Frames.Meta(head)
	if phys.Frames.KindOf(head) != phys.KindAnon {
		m.zapHugePMD(pmd, h, pv)
		ThpStat.Split.Add(1)
		return
	}
	dep := uint64(fr.Deposit) << phys.PageShift
	fr.Deposit = 0
	flags := pv & (amd64.PTEPresent | amd64.PTEWrite | amd64.PTEUser | amd64.PTEAccessed | amd64.PTEDirty | amd64.PTENX)
	t := phys.Table(dep)
	for i := range t {
		t[i] = amd64.MakePTE((head+uint64(i))<<phys.PageShift, flags)
	}
	m.pmdLock()
	phys.StorePTE(pmd, 0)
	m.pmdUnlock()
	FlushUser(m, h, HPageSize) // no 2 MiB and 4 KiB translations of one page side by side
	phys.Frames.Split(head, HPageOrder)
	for i := uint64(0); i < HPageNr; i++ {
		f := phys.Frames.Meta(head + i)
		f.Refcount.Store(1)
		f.Mapcount.Store(1)
	}
	m.pmdLock()
	phys.StorePTE(pmd, amd64.MakePTE(dep, tableFlags))
	m.pmdUnlock()
	ThpStat.Split.Add(1)
	ThpStat.SplitPage.Add(1)
}
