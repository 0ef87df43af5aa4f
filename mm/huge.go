// huge.go: 2 MiB pages mapped by one PMD (Linux's transparent huge pages,
// mm/huge_memory.c): the huge-PMD fault paths (do_huge_pmd_anonymous_page,
// do_set_pmd, do_huge_pmd_wp_page), and splitting a huge PMD when only part
// of its range changes (__split_huge_pmd).
//
// A huge page is an order-9 block from the frame allocator. Its head frame
// carries the page's Refcount and Mapcount (one per PMD or PTE that maps
// any part of it); dropMapping finds the head with Frames.Head.
// Every anonymous huge PMD of an mm has a page table deposited for it, so
// that a split never needs to allocate (pgtable_trans_huge_deposit). The
// deposits of one PD page form a list: the PD frame's Deposit field holds
// the first table's PFN, each deposited table's Deposit the next one's.
// After fork two mms map one huge page, each with its own deposit.
//
// A huge page mapped by one PMD in one mm is split into 512 independent
// pages (split_huge_page); one that another mm maps too (after fork) is
// only remapped by PTEs, each of which maps a 4 KiB piece of the still
// compound page and counts on its head (__split_huge_pmd without the page
// split). Such pieces are always copied on a write fault, never reused
// (Linux's wp_can_reuse_anon_folio refuses large folios too).
//
// Locking: a PMD changes between none, table and huge only under the mm's
// pageTableLock (the "PMD lock", Linux's pmd_lock); a huge PMD's permission
// bits and the deposit lists change under it too.

// trapctx: process context only

package mm

import (
	"sync/atomic"
	"unsafe"

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
	// SplitShared counts splits that left the huge page whole, mapped by
	// PTEs, because another mm maps it too (after fork); WPSplit the
	// write faults on a shared huge PMD that split it to copy 4 KiB.
	SplitShared, WPSplit atomic.Uint64
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
	if prot&protAll == 0 {
		return 0
	}
	return PfnPTE(pfn, prot) | amd64.PTEHuge
}

// allocHuge allocates a 2 MiB page of kind. It fails, rather than waiting
// or compacting, when no free order-9 block is left (fragmentation).
func allocHuge(kind phys.Kind) (uint64, bool) {
	pfn, ok := allocUserPage(HPageOrder, kind)
	if !ok {
		return 0, false
	}
	f := phys.Frames.Meta(pfn)
	f.Refcount.Store(0)
	f.Mapcount.Store(0)
	return pfn, true
}

// pdFrame returns the metadata of the PD page that holds the PMD entry
// pmd (where that PMD's deposits are listed).
func pdFrame(pmd *amd64.PTE) *phys.Frame {
	pa, ok := phys.PA(uintptr(unsafe.Pointer(pmd)))
	if !ok {
		panic("mm: a PMD entry outside the direct map")
	}
	return phys.Frames.Meta(pa >> phys.PageShift)
}

// pgtableDeposit keeps the empty page table at pa for a later split of
// the huge PMD pmd, like Linux's pgtable_trans_huge_deposit. The table
// counts as one of m's page tables meanwhile.
// Preconditions: the PMD lock held.
func (m *MM) pgtableDeposit(pmd *amd64.PTE, pa uint64) {
	m.pageTableLock.AssertHeld()
	pd := pdFrame(pmd)
	t := phys.Frames.Meta(pa >> phys.PageShift)
	t.Deposit = pd.Deposit
	pd.Deposit = uint32(pa >> phys.PageShift)
}

// pgtableWithdraw takes back a table pgtableDeposit kept for a huge PMD
// of pmd's PD page, like pgtable_trans_huge_withdraw; every anonymous
// huge PMD has one. Preconditions: the PMD lock held.
func (m *MM) pgtableWithdraw(pmd *amd64.PTE) uint64 {
	m.pageTableLock.AssertHeld()
	pd := pdFrame(pmd)
	pfn := uint64(pd.Deposit)
	if pfn == 0 {
		panic("mm: an anonymous huge PMD without a deposited page table")
	}
	t := phys.Frames.Meta(pfn)
	pd.Deposit, t.Deposit = t.Deposit, 0
	return pfn << phys.PageShift
}

// newDepositTable allocates a page table of m to deposit.
func (m *MM) newDepositTable() (uint64, bool) {
	pa, ok := allocUserTable()
	if !ok {
		return 0, false
	}
	tablePage(pa, m.ID, 1)
	return pa, true
}

// hugePage returns the 2 MiB page at pfn as bytes.
func hugePage(pfn uint64) *[HPageSize]byte { return (*[HPageSize]byte)(phys.Page(pfn)) }

// hugeRange reports whether the 2 MiB range around va lies inside v, and
// its start.
func hugeRange(v *VMA, va uintptr) (uintptr, bool) {
	h := va &^ (HPageSize - 1)
	return h, h >= v.Start && h+HPageSize <= v.End && h+HPageSize > h
}

// setFilePMD maps the file's huge page head (at page pgoff) with the
// empty PMD pmd, like Linux's do_set_pmd / set_huge_pmd: the caller's
// reference to head becomes the mapping's. It reports false, mapping
// nothing, when the PMD is not empty any more, the range is being
// collapsed or split, or a truncate shrank the file past it — the size is
// rechecked under the PMD lock, which a truncate's unmap walk takes after
// it set the new size (see Truncate). Preconditions: MmapLock held.
func (m *MM) setFilePMD(pmd *amd64.PTE, head uint64, file *File, pgoff uint64, prot Prot) bool {
	m.pmdLock()
	if !PmdNone(phys.LoadPTE(pmd)) || file.Collapsing(pgoff) || file.beyondEOF(pgoff+HPageNr-1) {
		m.pmdUnlock()
		return false
	}
	phys.Frames.Meta(head).Mapcount.Add(1)
	phys.StorePTE(pmd, PfnPMD(head, prot)|amd64.PTEAccessed)
	m.pmdUnlock()
	m.addRSS(rssClass(head, file), HPageNr)
	return true
}

// createHugePMD tries to resolve a fault at va, whose PMD is empty, with a
// huge PMD: a new anonymous huge page when the VMA is advised HUGEPAGE and
// covers the aligned 2 MiB (do_huge_pmd_anonymous_page), or a huge page
// already in the page cache of a file (do_set_pmd). done=false means "use
// a page table" (also when no huge page could be allocated: the fallback).
func (m *MM) createHugePMD(v *VMA, va uintptr, pmd *amd64.PTE, write bool) (done bool, err error) {
	h, ok := hugeRange(v, va)
	if !ok || v.Prot == ProtNone {
		return false, nil
	}
	if file, _ := v.File.(*File); file != nil {
		// A huge page the cache holds already is mapped whole even where
		// NOHUGEPAGE was advised: Linux 6.1's do_set_pmd checks only
		// that the range fits (NOHUGEPAGE stops new huge pages, not
		// mapping existing ones).
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
		if !m.setFilePMD(pmd, head, file, pgoff, prot) {
			phys.Frames.Meta(head).Refcount.Add(-1)
			return false, nil // lost a race: retry from the top
		}
		ThpStat.FileMapped.Add(1)
		m.Stats.LastPath.Store(uint32(PathHugeFile))
		return true, nil
	}
	if v.Flags&VMAnon == 0 || !thpAllowed(v) { // NOHUGEPAGE, transparent_hugepage/enabled
		return false, nil
	}
	head, ok := allocHuge(phys.KindAnon)
	if !ok {
		ThpStat.FaultFallback.Add(1)
		return false, nil
	}
	dep, ok := m.newDepositTable()
	if !ok {
		phys.Frames.Free(head, HPageOrder)
		ThpStat.FaultFallback.Add(1)
		return false, nil
	}
	clear(hugePage(head)[:])
	fr := phys.Frames.Meta(head)
	fr.Refcount.Store(1)
	fr.Mapcount.Store(1)
	m.pmdLock()
	if !PmdNone(phys.LoadPTE(pmd)) {
		m.pmdUnlock()
		fr.Refcount.Store(0)
		fr.Mapcount.Store(0)
		phys.Frames.Free(head, HPageOrder)
		phys.Frames.Free(dep>>phys.PageShift, 0)
		return false, nil
	}
	m.pgtableDeposit(pmd, dep)
	phys.StorePTE(pmd, PfnPMD(head, v.Prot)|amd64.PTEAccessed|amd64.PTEDirty)
	m.addTables(1) // the deposited table
	m.pmdUnlock()
	m.addRSS(rssAnon, HPageNr)
	ThpStat.FaultAlloc.Add(1)
	m.Stats.LastPath.Store(uint32(PathHugeAnon))
	return true, nil
}

// hugePMDFault handles a fault on a huge PMD, like do_huge_pmd_wp_page:
// a write to a read-only one makes it writable when this mapping is the
// page's only one (an anonymous page no other mm shares, or a shared file
// page); an anonymous page shared with another mm (after fork) has its PMD
// split in this mm, so that the retried fault copies 4 KiB; a private
// file mapping's PMD is zapped, so that the retried fault copies a 4 KiB
// page of the file (do_cow_fault). Anything else is spurious.
func (m *MM) hugePMDFault(v *VMA, va uintptr, pmd *amd64.PTE, pv amd64.PTE, write bool) (bool, error) {
	if !write || PteWrite(pv) {
		m.Stats.Spurious.Add(1)
		m.Stats.LastPath.Store(uint32(PathSpurious))
		amd64.Invlpg(va)
		return true, nil
	}
	h := va &^ (HPageSize - 1)
	if v.File != nil && v.Flags&VMShared == 0 {
		m.zapHugePMD(pmd, h, pv, vmaFile(v))
		return false, nil // refault: PT path, do_cow_fault
	}
	head := PmdPFN(pv)
	m.pmdLock()
	if phys.LoadPTE(pmd) != pv {
		m.pmdUnlock()
		return false, nil
	}
	if v.File == nil && !exclusiveAnon(head) {
		m.splitHugePMDLocked(pmd, h, pv)
		m.pmdUnlock()
		ThpStat.WPSplit.Add(1)
		return false, nil // refault: PT path, do_wp_page copies 4 KiB
	}
	phys.StorePTE(pmd, PteMkDirty(PteMkWrite(pv)))
	m.pmdUnlock()
	ThpStat.WPReuse.Add(1)
	m.Stats.LastPath.Store(uint32(PathHugeWP))
	amd64.Invlpg(va)
	return true, nil
}

// vmaFile returns v's file, nil for anonymous memory.
func vmaFile(v *VMA) *File {
	f, _ := v.File.(*File)
	return f
}

// exclusiveAnon reports whether the anonymous page whose head is head is
// mapped once and referenced once: the mapping that looks at it is its
// only user, so a write may reuse it (wp_can_reuse_anon_folio).
func exclusiveAnon(head uint64) bool {
	fr := phys.Frames.Meta(head)
	return phys.Frames.KindOf(head) == phys.KindAnon && fr.Refcount.Load() == 1 && fr.Mapcount.Load() == 1
}

// zapHugePMD clears the huge PMD of the 2 MiB at h if it still holds pv,
// flushes, and drops the page (and frees an anonymous page's deposited
// table). file is the file of the VMA it lies in (nil: anonymous), for
// the accounting. It reports whether it cleared the entry.
func (m *MM) zapHugePMD(pmd *amd64.PTE, h uintptr, pv amd64.PTE, file *File) bool {
	m.pmdLock()
	if phys.LoadPTE(pmd) != pv {
		m.pmdUnlock()
		return false
	}
	phys.StorePTE(pmd, 0)
	dep := m.withdrawIfAnon(pmd, pv)
	m.pmdUnlock()
	FlushUser(m, h, HPageSize)
	m.addRSS(rssClass(PmdPFN(pv), file), -HPageNr)
	m.freeDeposit(dep)
	dropMapping(PmdPFN(pv))
	return true
}

// withdrawIfAnon withdraws the deposited table of the huge PMD value pv
// that was just cleared from pmd, if it maps an anonymous page (0 if not).
// Preconditions: the PMD lock held.
func (m *MM) withdrawIfAnon(pmd *amd64.PTE, pv amd64.PTE) uint64 {
	if phys.Frames.KindOf(PmdPFN(pv)) != phys.KindAnon {
		return 0
	}
	return m.pgtableWithdraw(pmd)
}

// freeDeposit frees a withdrawn deposited table (0: none).
func (m *MM) freeDeposit(pa uint64) {
	if pa != 0 {
		m.freePageTable(pa)
	}
}

// splitHugePMD replaces the huge PMD of the 2 MiB at h by a page table
// (like __split_huge_pmd), when an operation covers only part of it or a
// VMA boundary falls inside it. file is the file of the VMA at h (nil:
// anonymous). Preconditions: MmapLock held (a fault's read lock is enough:
// the PMD changes under its lock).
func (m *MM) splitHugePMD(pmd *amd64.PTE, h uintptr, file *File) {
	m.pmdLock()
	pv := phys.LoadPTE(pmd)
	if !PmdHuge(pv) {
		m.pmdUnlock()
		return
	}
	if phys.Frames.KindOf(PmdPFN(pv)) != phys.KindAnon {
		m.pmdUnlock()
		m.zapHugePMD(pmd, h, pv, file)
		ThpStat.Split.Add(1)
		return
	}
	m.splitHugePMDLocked(pmd, h, pv)
	m.pmdUnlock()
}

// splitHugePMDLocked splits the anonymous huge PMD pmd (holding pv) at h:
// the deposited table gets 512 PTEs with the PMD's permissions, the PMD is
// cleared and flushed (no 2 MiB and 4 KiB translations of one page side
// by side) and then points at the table. A page only this mapping uses
// becomes 512 independent pages (split_huge_page); one another mm maps
// too stays whole, each PTE a mapping of it. The entry is held by the PMD
// lock throughout, so a concurrent fault (under MmapLock for reading)
// waits and then sees the table.
// Preconditions: the PMD lock held; *pmd == pv, anonymous.
func (m *MM) splitHugePMDLocked(pmd *amd64.PTE, h uintptr, pv amd64.PTE) {
	m.pageTableLock.AssertHeld()
	head := PmdPFN(pv)
	exclusive := exclusiveAnon(head)
	dep := m.pgtableWithdraw(pmd)
	flags := pv & (amd64.PTEPresent | amd64.PTEWrite | amd64.PTEUser | amd64.PTEAccessed | amd64.PTEDirty | amd64.PTENX)
	if !exclusive {
		flags &^= amd64.PTEWrite
	}
	t := phys.Table(dep)
	for i := range t {
		t[i] = amd64.MakePTE((head+uint64(i))<<phys.PageShift, flags)
	}
	phys.StorePTE(pmd, 0)
	FlushUser(m, h, HPageSize)
	if exclusive {
		phys.Frames.Split(head, HPageOrder)
		for i := uint64(0); i < HPageNr; i++ {
			f := phys.Frames.Meta(head + i)
			f.Refcount.Store(1)
			f.Mapcount.Store(1)
		}
	} else {
		fr := phys.Frames.Meta(head)
		fr.Refcount.Add(HPageNr - 1) // one reference and one mapping per PTE
		fr.Mapcount.Add(HPageNr - 1)
		ThpStat.SplitShared.Add(1)
	}
	phys.StorePTE(pmd, amd64.MakePTE(dep, tableFlags))
	ThpStat.Split.Add(1)
	ThpStat.SplitPage.Add(1)
}
