// collapse.go: collapsing 512 small pages into one 2 MiB page, after
// Linux's mm/khugepaged.c (≥ 6.6):
//
//	CollapseAnon          collapse_huge_page: mmap_lock for write, detach the
//	                      table (PmdpCollapseFlush), copy, install a huge PMD,
//	                      deposit the old table
//	File.Collapse         collapse_file: build the huge page in the page
//	                      cache, unmap the small pages from every mm (rmap),
//	                      then retractPageTables — no mmap_lock at all
//	CollapsePteMappedTHP  collapse_pte_mapped_thp: one mm maps a huge
//	                      page-cache page with 4 KiB PTEs; clear them and
//	                      retract the table (mmap_lock for read only)
//	File.SplitHugePage    split_huge_page for the page cache (the stress
//	                      test's way back to small pages)
//
//	MadviseCollapse       madvise_collapse (MADV_COLLAPSE): one of the three
//	                      for each 2 MiB of a range, now
//
// The retract steps (retract.go) are the subject of the whole kernel.
// Locks: docs/locking.md (collapseMu, then immapMu, then the PMD lock and
// the PTL).

// trapctx: process context only

package mm

import (
	"errors"
	"fmt"

	"retract/arch/amd64"
	"retract/kernel/trace"
	"retract/mm/phys"
)

// allocCollapseHuge allocates the huge page of a collapse and counts the
// attempt (thp_collapse_alloc, thp_collapse_alloc_failed).
func allocCollapseHuge(kind phys.Kind) (uint64, bool) {
	head, ok := allocHuge(kind)
	if ok {
		ThpStat.CollapseAlloc.Add(1)
	} else {
		ThpStat.CollapseAllocFailed.Add(1)
	}
	return head, ok
}

// CollapseAnon collapses the anonymous 2 MiB at h into a huge page, like
// collapse_huge_page: at most maxNone of its PTEs may be empty. Pages
// shared with other mms (after fork) are copied like the rest, and the
// other mms keep theirs; khugepaged limits how many there may be
// (collapseAnon's maxShared), MADV_COLLAPSE does not. The huge page is
// allocated before any lock is taken; on any failure after the table was
// detached, the table is put back as it was.
func (m *MM) CollapseAnon(h uintptr, maxNone int) CollapseOutcome {
	return m.collapseAnon(h, maxNone, HPageNr)
}

// collapseAnon is CollapseAnon with a limit on the PTEs that map pages
// other mms map too (khugepaged's max_ptes_shared).
func (m *MM) collapseAnon(h uintptr, maxNone, maxShared int) CollapseOutcome {
	o := begin(CollapseKindAnon, uint64(h), m.ID)
	o.Addr = h
	if h&(HPageSize-1) != 0 {
		return o.set(ScanAddressRange, "%#x is not 2 MiB aligned", h).counted()
	}
	head, ok := allocCollapseHuge(phys.KindAnon)
	if !ok {
		return o.allocFailed().counted()
	}
	m.MmapLock.Lock()
	o = m.collapseAnonLocked(o, head, maxNone, maxShared)
	m.MmapLock.Unlock()
	if !o.OK() {
		phys.Frames.Free(head, HPageOrder)
	}
	return o.counted()
}

// sharedPTEs counts the present entries of table t whose page another mm
// maps too (Linux's folio_maybe_mapped_shared): an order-0 page mapped
// more than once, or a huge page (mapped by PTEs after a split) with more
// mappings than the PTEs of t that map it.
func sharedPTEs(t *[512]amd64.PTE) int {
	shared := 0
	var lastHead uint64
	var inTable int32
	for i := range t {
		e := phys.LoadPTE(&t[i])
		if !PtePresent(e) || PtePFN(e) == zeroPFN {
			continue
		}
		head, order := phys.Frames.Head(PtePFN(e))
		fr := phys.Frames.Meta(head)
		if order == 0 {
			if fr.Mapcount.Load() > 1 {
				shared++
			}
			continue
		}
		if head != lastHead {
			lastHead, inTable = head, 0
			for j := range t {
				if f := phys.LoadPTE(&t[j]); PtePresent(f) && PtePFN(f) >= head && PtePFN(f) < head+HPageNr {
					inTable++
				}
			}
		}
		if fr.Mapcount.Load() > inTable {
			shared++
		}
	}
	return shared
}

func (m *MM) collapseAnonLocked(o CollapseOutcome, head uint64, maxNone, maxShared int) CollapseOutcome {
	h := o.Addr
	// hugepage_vma_revalidate: the VMA may have changed while unlocked.
	v := m.VMAs.Find(h)
	switch {
	case m.dead || v == nil:
		return o.set(ScanVmaNull, "no VMA at %#x in mm %d", h, m.ID)
	case v.Flags&VMAnon == 0 || v.Flags&VMNoHugepage != 0 || v.Prot == ProtNone:
		return o.set(ScanVmaCheck, "the VMA [%#x, %#x) is %v %v, not an anonymous one that may be collapsed", v.Start, v.End, v.Prot, v.Flags)
	}
	if _, ok := hugeRange(v, h); !ok {
		return o.set(ScanAddressRange, "the 2 MiB at %#x does not fit in the VMA [%#x, %#x)", h, v.Start, v.End)
	}
	pmd := m.pmdIfPresent(h)
	if pmd == nil {
		return o.pmdNull()
	}
	pv := phys.LoadPTE(pmd)
	switch {
	case PmdNone(pv):
		return o.pmdNone()
	case PmdHuge(pv):
		return o.pmdMapped()
	}
	// Detach the table. MmapLock (write) keeps every fault out and
	// anonymous memory has no rmap walkers here, so after the flush no
	// CPU and no MMU can reach it.
	m.pmdLock()
	m.PmdpCollapseFlush(pmd, h)
	m.pmdUnlock()
	t := phys.Table(pv.Addr())
	// __collapse_huge_page_isolate: only empty entries, the zero page
	// and anonymous pages, and not too many of them shared.
	o.None, o.MaxNone = 0, maxNone
	for i := range t {
		e := phys.LoadPTE(&t[i])
		switch {
		case o.Result != ScanSucceed:
		case PteNone(e):
			o.None++
		case !PtePresent(e):
			o.set(ScanPteNonPresent, "PTE %d holds %#x, which is neither none nor present", i, uint64(e))
		case PtePFN(e) != zeroPFN && phys.Frames.KindOf(PtePFN(e)) != phys.KindAnon:
			o.set(ScanPageAnon, "PTE %d maps frame %#x, a %v page, not an anonymous one", i, PtePFN(e)<<phys.PageShift, phys.Frames.KindOf(PtePFN(e)))
		}
	}
	switch {
	case o.Result != ScanSucceed:
	case o.None > maxNone:
		o = o.exceedNone("PTEs are none")
	case maxShared < HPageNr:
		if shared := sharedPTEs(t); shared > maxShared {
			o = o.set(ScanExceedSharedPte, "%d of %d PTEs map pages other mms map too (after fork), max_ptes_shared is %d", shared, HPageNr, maxShared)
		}
	}
	if o.Result != ScanSucceed {
		m.pmdLock()
		phys.StorePTE(pmd, pv) // pmd_populate: the table comes back unchanged
		m.pmdUnlock()
		return o
	}
	// __collapse_huge_page_copy: a shared page is copied like the rest;
	// dropping this mapping leaves it to the other mms.
	dst := hugePage(head)
	var pages []uint64
	for i := range t {
		e := phys.LoadPTE(&t[i])
		page := dst[i*phys.PageSize : (i+1)*phys.PageSize]
		if PteNone(e) || PtePFN(e) == zeroPFN {
			clear(page)
		} else {
			copy(page, (*[phys.PageSize]byte)(phys.Page(PtePFN(e)))[:])
		}
		if PtePresent(e) {
			pages = append(pages, PtePFN(e))
		}
		phys.StorePTE(&t[i], 0)
	}
	fr := phys.Frames.Meta(head)
	fr.Refcount.Store(1)
	fr.Mapcount.Store(1)
	m.pmdLock()
	m.pgtableDeposit(pmd, pv.Addr()) // the old table, for a later split
	phys.StorePTE(pmd, PfnPMD(head, v.Prot)|amd64.PTEAccessed|amd64.PTEDirty)
	m.pmdUnlock()
	old := int64(0)
	for _, pfn := range pages {
		if pfn != zeroPFN {
			old++
		}
		dropMapping(pfn) // the TLBs were flushed when the table was detached
	}
	m.addRSS(rssAnon, HPageNr-old)
	CollapseStat.Anon.Add(1)
	return o.set(ScanSucceed, "%d PTEs (%d none) copied into the huge page at %#x; one PMD maps it, the old table is deposited (pgtable_trans_huge_deposit)",
		HPageNr, o.None, head<<phys.PageShift)
}

// Collapse collapses pages [index, index+512) of f into one huge page in
// the page cache, like collapse_file, and retracts the page tables that
// mapped them from every mm (retractPageTables). At most maxNone of the
// offsets may be holes (they become zeroes). No mm's mmap_lock is taken.
func (f *File) Collapse(index uint64, maxNone int) CollapseOutcome {
	o := begin(CollapseKindFile, index, 0)
	o.Index = index
	if index%HPageNr != 0 {
		return o.set(ScanAddressRange, "pages %d-%d: not 2 MiB aligned", index, index+HPageNr-1).counted()
	}
	if !f.collapseMu.TryLock() {
		return o.set(ScanPageLock, "pages %d-%d of file %q are being collapsed or split by another caller", index, index+HPageNr-1, f.Name).counted()
	}
	defer f.collapseMu.Unlock()
	if f.released {
		return o.set(ScanVmaCheck, "file %q was unmapped and released meanwhile", f.Name).counted()
	}
	// Under collapseMu the size cannot shrink (Truncate holds it): a huge
	// page must lie wholly inside the file.
	if index+HPageNr > f.Pages() {
		return o.set(ScanAddressRange, "pages %d-%d: beyond the %d pages of file %q", index, index+HPageNr-1, f.Pages(), f.Name).counted()
	}
	head, ok := allocCollapseHuge(phys.KindPageCache)
	if !ok {
		return o.allocFailed().counted()
	}
	// From here faults on the range wait (FindPage) or back out (under
	// the PT lock, where they see Collapsing), like faults on locked pages.
	f.beginRange(index)
	var small [HPageNr]uint64
	o.None, o.MaxNone = 0, maxNone
	f.mu.Lock()
	for i := range small {
		pfn, ok := f.cache[index+uint64(i)]
		if !ok {
			o.None++
			continue
		}
		if _, order := phys.Frames.Head(pfn); order != 0 {
			o.set(ScanPteMappedHugepage, "page %d of file %q is part of a huge page in the page cache already", index+uint64(i), f.Name)
			break
		}
		small[i] = pfn
	}
	f.mu.Unlock()
	if o.Result == ScanSucceed && o.None > maxNone {
		o.exceedNone("pages are holes (not in the page cache)")
	}
	if o.Result != ScanSucceed {
		f.endRange()
		phys.Frames.Free(head, HPageOrder)
		return o.counted()
	}
	// try_to_unmap on every small page: from now on nobody writes them.
	o.phase(trace.PhaseUnmap)
	t0 := nanotime()
	f.unmapRange(index, func(pfn uint64, i uint64) bool { return pfn == small[i] })
	t1 := nanotime()
	o.phase(trace.PhaseCopy)
	dst := hugePage(head)
	for i, pfn := range small {
		page := dst[i*phys.PageSize : (i+1)*phys.PageSize]
		if pfn == 0 {
			clear(page)
		} else {
			copy(page, (*[phys.PageSize]byte)(phys.Page(pfn))[:])
		}
	}
	fr := phys.Frames.Meta(head)
	fr.Refcount.Store(1) // the cache's reference
	fr.Mapcount.Store(0)
	f.mu.Lock()
	for i := range small {
		f.cache[index+uint64(i)] = head + uint64(i)
	}
	f.mu.Unlock()
	// The range is still marked: faults keep waiting until every table
	// is retracted (Linux keeps the new huge page locked meanwhile).
	t2 := nanotime()
	o.phase(trace.PhaseRetract)
	o.Retracts = f.retractPageTables(index, o.traceID)
	t3 := nanotime()
	f.endRange()
	CollapseStat.UnmapNs.Add(t1 - t0)
	CollapseStat.CopyNs.Add(t2 - t1)
	CollapseStat.RetractNs.Add(t3 - t2)
	for _, pfn := range small {
		if pfn != 0 {
			putPage(pfn) // the cache's reference
		}
	}
	CollapseStat.File.Add(1)
	o.set(ScanSucceed, "pages %d-%d of file %q (%d holes) copied into one huge page in the page cache; %s",
		index, index+HPageNr-1, f.Name, o.None, tablesRetracted(len(o.Retracts)))
	return o.counted()
}

// tablesRetracted says "1 page table retracted" or "n page tables retracted".
func tablesRetracted(n int) string {
	if n == 1 {
		return "1 page table retracted"
	}
	return fmt.Sprintf("%d page tables retracted", n)
}

// unmapRange clears, in every mm that maps [index, index+512) of f, the
// PTEs and huge PMDs that map pages for which match(pfn, offset-index)
// holds (the rmap walk of try_to_unmap), flushes each mm's TLBs, then
// drops the mappings' references. Preconditions: the range is marked
// (beginRange), so no fault maps those pages again meanwhile.
func (f *File) unmapRange(index uint64, match func(pfn uint64, i uint64) bool) {
	if !f.Collapsing(index) {
		panic("mm: unmapRange of a range that is not marked (beginRange)")
	}
	f.unmapPages(index, index+HPageNr, func(pfn, pgoff uint64) bool { return match(pfn, pgoff-index) })
}

// unmapPages is the rmap walk behind unmapRange and unmapMappingRange: in
// every mm that maps pages [lo, hi) of f it clears the present PTEs for
// which match(pfn, pgoff) holds and the huge PMDs (any of whose pages is
// in the range) for which match(head, pgoff of the first page in the
// range) holds, flushes that mm's TLBs, then drops the mappings.
func (f *File) unmapPages(lo, hi uint64, match func(pfn, pgoff uint64) bool) {
	f.immapMu.Lock()
	defer f.immapMu.Unlock()
	for _, e := range f.immap {
		m := e.MM
		elo, ehi := e.Pgoff, e.Pgoff+uint64(e.End-e.Start)/phys.PageSize
		elo, ehi = max(elo, lo), min(ehi, hi)
		if elo >= ehi {
			continue
		}
		start, _ := e.vaOf(elo)
		end := start + uintptr(ehi-elo)*phys.PageSize
		pgoffAt := func(va uintptr) uint64 { return elo + uint64(va-start)/phys.PageSize }
		var pages, huges []uint64
		for va := start; va < end; {
			next := min((va|(HPageSize-1))+1, end)
			pmd := m.pmdIfPresent(va)
			if pmd == nil {
				va = next
				continue
			}
			m.pmdLock()
			if pv := phys.LoadPTE(pmd); PmdHuge(pv) {
				if match(PmdPFN(pv), pgoffAt(va)) {
					phys.StorePTE(pmd, 0)
					huges = append(huges, PmdPFN(pv))
				}
				m.pmdUnlock()
				va = next
				continue
			}
			m.pmdUnlock()
			if pm, ok := PteOffsetMapLock(pmd, va); ok {
				for a := va; a < next; a += phys.PageSize {
					p := &phys.Table(pm.Table)[amd64.Index(a, 1)]
					pte := phys.LoadPTE(p)
					if PtePresent(pte) && match(PtePFN(pte), pgoffAt(a)) {
						phys.StorePTE(p, 0)
						pages = append(pages, PtePFN(pte))
					}
				}
				pm.unlock()
				PteUnmap(pm)
			}
			va = next
		}
		if len(pages)+len(huges) > 0 {
			FlushUser(m, start, end-start)
		}
		// A private mapping's copy (truncate takes those too) is an
		// anonymous page: each page leaves its own RSS class.
		for _, pfn := range pages {
			m.addRSS(rssClass(pfn, f), -1)
			dropMapping(pfn)
		}
		for _, head := range huges {
			m.addRSS(rssClass(head, f), -HPageNr)
			dropMapping(head) // a file huge page: no deposited table
		}
	}
}

// CollapsePteMappedTHP makes the 2 MiB at h of m, which maps (part of) a
// huge page of a file's cache through a page table, map it with one PMD,
// like Linux's collapse_pte_mapped_thp: under the PMD lock and the ptl it
// checks that every PTE is empty or maps the right 4 KiB of the huge page,
// clears them, retracts the table (PteFreeDefer) and, with install,
// installs the huge PMD at once (else the next fault does). It holds
// mmap_lock for reading only: faults run on meanwhile.
func (m *MM) CollapsePteMappedTHP(h uintptr, install bool) CollapseOutcome {
	o := begin(CollapseKindPteMapped, uint64(h), m.ID)
	o.Addr = h
	m.MmapLock.RLock()
	defer m.MmapLock.RUnlock()
	v := m.VMAs.Find(h)
	if m.dead || v == nil {
		return o.set(ScanVmaNull, "no VMA at %#x in mm %d", h, m.ID).counted()
	}
	file, _ := v.File.(*File)
	pgoff := v.Pgoff + uint64(h-v.Start)/phys.PageSize
	switch _, ok := hugeRange(v, h); {
	case file == nil || v.Flags&VMNoHugepage != 0:
		return o.set(ScanVmaCheck, "the VMA [%#x, %#x) is %v, not a file mapping that may be collapsed", v.Start, v.End, v.Flags).counted()
	case !ok || h&(HPageSize-1) != 0 || pgoff%HPageNr != 0:
		return o.set(ScanAddressRange, "the 2 MiB at %#x (file page %d) is not aligned in the VMA [%#x, %#x) and the file", h, pgoff, v.Start, v.End).counted()
	}
	o.Index = pgoff
	head, ok := file.hugePageAt(pgoff)
	if !ok {
		_, cached := file.Cached(pgoff)
		switch {
		case !cached:
			return o.set(ScanPageNull, "page %d of file %q is not in the page cache", pgoff, file.Name).counted()
		case file.Collapsing(pgoff):
			return o.set(ScanPageLock, "pages %d-%d of file %q are being collapsed or split", pgoff, pgoff+HPageNr-1, file.Name).counted()
		}
		return o.set(ScanPageCompound, "the page cache holds small pages at %d-%d of file %q, not one huge page", pgoff, pgoff+HPageNr-1, file.Name).counted()
	}
	prot := v.Prot
	if v.Flags&VMShared == 0 {
		prot &^= ProtWrite
	}
	hi := hugeInstall{head: head, prot: prot, install: install, bad: -1, file: file, pgoff: pgoff}
	r, ok := m.retractTable(h, &hi, o.traceID)
	if !ok {
		pmd := m.pmdIfPresent(h)
		if install && pmd != nil && PmdNone(phys.LoadPTE(pmd)) && m.setFilePMD(pmd, head, file, pgoff, prot) {
			// No table to retract (khugepaged or another collapse
			// retracted it, or nothing was mapped): MADV_COLLAPSE maps
			// the huge page at once all the same, as Linux 6.1's
			// collapse_pte_mapped_thp does for SCAN_PMD_NONE.
			CollapseStat.PteMapped.Add(1)
			return o.set(ScanSucceed, "the PMD for %#x was none: one PMD maps the huge page at %#x now", h, head<<phys.PageShift).counted()
		}
		phys.Frames.Meta(head).Refcount.Add(-1)
		switch {
		case pmd == nil:
			return o.pmdNull().counted()
		case PmdNone(phys.LoadPTE(pmd)):
			return o.pmdNone().counted()
		case PmdHuge(phys.LoadPTE(pmd)):
			return o.pmdMapped().counted()
		case hi.bad >= 0:
			return o.set(ScanFail, "PTE %d holds %#x, not page %d of the huge page at %#x", hi.bad, uint64(hi.badPTE), hi.bad,
				head<<phys.PageShift).counted()
		}
		return o.set(ScanFail, "the page table changed under the locks").counted()
	}
	o.Retracts = []Retract{r}
	cls := rssClass(head, file)
	m.addRSS(cls, -int64(hi.cleared))
	for i := 0; i < hi.cleared; i++ {
		dropMapping(head) // the PTE mappings (the flush is done)
	}
	if hi.installed {
		m.addRSS(cls, HPageNr)
	} else {
		phys.Frames.Meta(head).Refcount.Add(-1)
	}
	CollapseStat.PteMapped.Add(1)
	how := "the next fault maps it with one PMD"
	if hi.installed {
		how = "one PMD maps it now"
	}
	o.set(ScanSucceed, "%d PTEs of the huge page at %#x cleared and the table retracted; %s", hi.cleared, head<<phys.PageShift, how)
	return o.counted()
}

// SplitHugePage turns the huge page holding [index, index+512) of f back
// into 512 small page-cache pages, like split_huge_page: every mapping of
// it is removed first (the pages refault as 4 KiB mappings).
func (f *File) SplitHugePage(index uint64) error {
	if index%HPageNr != 0 {
		return ErrInval
	}
	f.collapseMu.Lock()
	defer f.collapseMu.Unlock()
	err := f.splitHugePageLocked(index)
	if err != nil {
		ThpStat.SplitPageFailed.Add(1)
	}
	return err
}

// splitHugePageLocked is SplitHugePage. Preconditions: collapseMu held.
func (f *File) splitHugePageLocked(index uint64) error {
	f.collapseMu.AssertHeld()
	if f.released {
		return fmt.Errorf("mm: %v was released", f)
	}
	pfn, ok := f.Cached(index)
	if !ok {
		return fmt.Errorf("mm: %v has no page at offset %d", f, index)
	}
	head, order := phys.Frames.Head(pfn)
	if order != HPageOrder {
		return fmt.Errorf("mm: page %d of %v is not huge", index, f)
	}
	f.beginRange(index)
	defer f.endRange()
	f.unmapRange(index, func(pfn uint64, i uint64) bool { return pfn >= head && pfn < head+HPageNr })
	// Faults that took a reference before the range was marked drop it
	// when they see the mark; wait for them. Only the cache's is left.
	if !waitCacheOnly(head) {
		fr := phys.Frames.Meta(head)
		return fmt.Errorf("mm: huge page %d of %v still has %d references, %d mappings",
			index, f, fr.Refcount.Load(), fr.Mapcount.Load())
	}
	phys.Frames.Split(head, HPageOrder)
	for i := uint64(0); i < HPageNr; i++ {
		sf := phys.Frames.Meta(head + i)
		sf.Refcount.Store(1)
		sf.Mapcount.Store(0)
	}
	CollapseStat.SplitFile.Add(1)
	ThpStat.SplitPage.Add(1)
	return nil
}

// ErrAgain is MadviseCollapse's EAGAIN: the range was busy.
var ErrAgain = errors.New("mm: resource temporarily unavailable (EAGAIN)")

// MadviseCollapse collapses every 2 MiB-aligned range inside [start,
// start+length) into a huge page now, like Linux's madvise_collapse
// (MADV_COLLAPSE): anonymous memory with CollapseAnon; a file range with
// File.Collapse, which retracts its page tables from every mm, or with
// CollapsePteMappedTHP when the page cache already holds the huge page.
// Unlike khugepaged it does not limit empty PTEs or file holes. It
// returns each range's outcome and, as Linux does, nil only if every
// range ended mapped by a huge page; otherwise the error of the last
// failure, as Linux's madvise_collapse_errno chooses it: ErrNoMemory (no
// free 2 MiB block), ErrAgain (the range was busy: trying again may
// succeed) or ErrInval (the range cannot be collapsed). A range not
// wholly mapped, or advised NOHUGEPAGE, is ErrNoMemory or ErrInval like
// Linux's.
func (m *MM) MadviseCollapse(start, length uintptr) ([]CollapseOutcome, error) {
	start, end, err := pageRange(start, length)
	if err != nil {
		return nil, err
	}
	hstart := (start + HPageSize - 1) &^ (HPageSize - 1)
	hend := end &^ (HPageSize - 1)
	m.MmapLock.RLock()
	if !m.VMAs.mapped(start, end) {
		m.MmapLock.RUnlock()
		return nil, ErrNoMemory // like madvise on a hole: ENOMEM
	}
	m.MmapLock.RUnlock()
	var out []CollapseOutcome
	var lastErr error
	for h := hstart; h < hend; h += HPageSize {
		o := m.collapseOne(h)
		out = append(out, o)
		switch o.Result {
		case ScanSucceed, ScanPmdMapped:
			continue
		case ScanAllocHugePageFail:
			lastErr = ErrNoMemory
		case ScanPageLock:
			lastErr = ErrAgain
		default:
			lastErr = ErrInval
		}
	}
	if hstart >= hend {
		return nil, nil // no whole 2 MiB in the range: nothing to do
	}
	return out, lastErr
}

// collapseOne collapses the 2 MiB at h (MadviseCollapse's loop body).
func (m *MM) collapseOne(h uintptr) CollapseOutcome {
	m.MmapLock.RLock()
	v := m.VMAs.Find(h)
	var vma VMA
	if v != nil {
		vma = *v
	}
	m.MmapLock.RUnlock()
	o := outcome(CollapseKindAnon)
	o.Addr = h
	if f, ok := vma.File.(*File); ok && f != nil {
		o.Kind = CollapseKindFile
	}
	switch {
	case v == nil:
		return o.set(ScanVmaNull, "no VMA at %#x in mm %d", h, m.ID).counted()
	case h < vma.Start || h+HPageSize > vma.End:
		return o.set(ScanAddressRange, "the 2 MiB at %#x does not fit in the VMA [%#x, %#x)", h, vma.Start, vma.End).counted()
	case vma.Flags&VMNoHugepage != 0:
		return o.set(ScanVmaCheck, "the VMA [%#x, %#x) is advised NOHUGEPAGE", vma.Start, vma.End).counted()
	}
	f, ok := vma.File.(*File)
	if !ok || f == nil {
		return m.CollapseAnon(h, HPageNr)
	}
	pgoff := vma.Pgoff + uint64(h-vma.Start)/phys.PageSize
	if ShmemEnabled() == ShmemDeny {
		return o.set(ScanVmaCheck, "shmem_enabled is deny: file collapse is off").counted() // EINVAL
	}
	if !f.IsHuge(pgoff) {
		o = f.Collapse(pgoff, HPageNr)
		switch o.Result {
		case ScanSucceed:
			// The collapse retracted this mm's table with the others';
			// map the new huge page here now, as Linux 6.1's
			// retract_page_tables does for MADV_COLLAPSE's own mm
			// (set_huge_pmd). If that fails, the next fault maps it.
			if p := m.CollapsePteMappedTHP(h, true); p.OK() {
				o.Detail += fmt.Sprintf("; mm %d maps it with one PMD at once (set_huge_pmd: madvise_collapse maps its caller's range)", m.ID)
			}
			o.Addr = h
			return o
		case ScanPteMappedHugepage:
			// Another collapse made the huge page first: map it here, as
			// madvise_collapse does after SCAN_PTE_MAPPED_HUGEPAGE.
		default:
			o.Addr = h
			return o
		}
	}
	return m.CollapsePteMappedTHP(h, true)
}
