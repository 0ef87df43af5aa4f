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
	"runtime"
	"sync/atomic"

	"retract/arch/amd64"
	"retract/mm/phys"
)

// CollapseResult says how a collapse ended, like Linux's SCAN_* codes.
type CollapseResult int

// Collapse results.
const (
	CollapseOK           CollapseResult = iota
	CollapseAllocFailed                 // no free 2 MiB block: memory is fragmented
	CollapseNoTable                     // no page table there (nothing mapped)
	CollapseAlreadyHuge                 // a huge PMD or huge page is there already
	CollapseExceedNone                  // more empty PTEs (or file holes) than MaxPtesNone
	CollapseVMAChanged                  // the range is not (or no longer) collapsible
	CollapseBusy                        // the file range is being collapsed or split
	CollapsePageMismatch                // a PTE maps something that cannot be collapsed
	CollapseNoHugePage                  // the page cache has no huge page there
	CollapseExceedShared                // more pages shared with other mms than MaxPtesShared (SCAN_EXCEED_SHARED_PTE)
	numCollapseResults
)

var collapseNames = [numCollapseResults]string{"ok", "alloc_failed", "no_table", "already_huge",
	"exceed_none", "vma_changed", "busy", "page_mismatch", "no_huge_page", "exceed_shared"}

func (r CollapseResult) String() string {
	if r >= 0 && r < numCollapseResults {
		return collapseNames[r]
	}
	return "?"
}

// CollapseStats counts collapses, retracts and table frees.
type CollapseStats struct {
	Anon, File, PteMapped, SplitFile atomic.Uint64 // successes
	Results                          [numCollapseResults]atomic.Uint64
	// Retracted counts tables detached without mmap_lock for writing;
	// RetractSkipped the ones left because they still mapped something.
	Retracted, RetractSkipped atomic.Uint64
	// Tables freed through PteFreeDefer: after a grace period, or at once
	// (RetractUnsafe); PendingFree are waiting for their grace period.
	FreedRCU, FreedUnsafe atomic.Uint64
	PendingFree           atomic.Int64
	// Time spent in successful file collapses, by phase, in ns: unmapping
	// the small pages from every mm, copying them, retracting the tables.
	UnmapNs, CopyNs, RetractNs atomic.Uint64
}

// CollapseStat is the kernel's collapse statistics.
var CollapseStat CollapseStats

// ResultCounts returns the name and count of every result code.
func (s *CollapseStats) ResultCounts() (names []string, counts []uint64) {
	for i := range s.Results {
		names = append(names, collapseNames[i])
		counts = append(counts, s.Results[i].Load())
	}
	return
}

func count(r CollapseResult) CollapseResult {
	CollapseStat.Results[r].Add(1)
	return r
}

// CollapseAnon collapses the anonymous 2 MiB at h into a huge page, like
// collapse_huge_page: at most maxNone of its PTEs may be empty. Pages
// shared with other mms (after fork) are copied like the rest, and the
// other mms keep theirs; khugepaged limits how many there may be
// (collapseAnon's maxShared), MADV_COLLAPSE does not. The huge page is
// allocated before any lock is taken; on any failure after the table was
// detached, the table is put back as it was.
func (m *MM) CollapseAnon(h uintptr, maxNone int) CollapseResult {
	return m.collapseAnon(h, maxNone, HPageNr)
}

// collapseAnon is CollapseAnon with a limit on the PTEs that map pages
// other mms map too (khugepaged's max_ptes_shared).
func (m *MM) collapseAnon(h uintptr, maxNone, maxShared int) CollapseResult {
	if h&(HPageSize-1) != 0 {
		return count(CollapseVMAChanged)
	}
	head, ok := allocHuge(phys.KindAnon)
	if !ok {
		return count(CollapseAllocFailed)
	}
	m.MmapLock.Lock()
	r := m.collapseAnonLocked(h, head, maxNone, maxShared)
	m.MmapLock.Unlock()
	if r != CollapseOK {
		phys.Frames.Free(head, HPageOrder)
	}
	return count(r)
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

func (m *MM) collapseAnonLocked(h uintptr, head uint64, maxNone, maxShared int) CollapseResult {
	// hugepage_vma_revalidate: the VMA may have changed while unlocked.
	v := m.VMAs.Find(h)
	if m.dead || v == nil || v.Flags&VMAnon == 0 || v.Flags&VMNoHugepage != 0 || v.Prot == ProtNone {
		return CollapseVMAChanged
	}
	if _, ok := hugeRange(v, h); !ok {
		return CollapseVMAChanged
	}
	pmd := m.pmdIfPresent(h)
	if pmd == nil {
		return CollapseNoTable
	}
	pv := phys.LoadPTE(pmd)
	switch {
	case PmdNone(pv):
		return CollapseNoTable
	case PmdHuge(pv):
		return CollapseAlreadyHuge
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
	none, r := 0, CollapseOK
	for i := range t {
		e := phys.LoadPTE(&t[i])
		switch {
		case PteNone(e):
			none++
		case !PtePresent(e) || PtePFN(e) != zeroPFN && phys.Frames.KindOf(PtePFN(e)) != phys.KindAnon:
			r = CollapsePageMismatch
		}
	}
	switch {
	case r != CollapseOK:
	case none > maxNone:
		r = CollapseExceedNone
	case maxShared < HPageNr && sharedPTEs(t) > maxShared:
		r = CollapseExceedShared
	}
	if r != CollapseOK {
		m.pmdLock()
		phys.StorePTE(pmd, pv) // pmd_populate: the table comes back unchanged
		m.pmdUnlock()
		return r
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
	return CollapseOK
}

// Collapse collapses pages [index, index+512) of f into one huge page in
// the page cache, like collapse_file, and retracts the page tables that
// mapped them from every mm (retractPageTables). At most maxNone of the
// offsets may be holes (they become zeroes). No mm's mmap_lock is taken.
func (f *File) Collapse(index uint64, maxNone int) CollapseResult {
	if index%HPageNr != 0 || index+HPageNr > f.Pages {
		return count(CollapseVMAChanged)
	}
	if !f.collapseMu.TryLock() {
		return count(CollapseBusy)
	}
	defer f.collapseMu.Unlock()
	if f.released {
		return count(CollapseVMAChanged) // unmapped and released meanwhile
	}
	head, ok := allocHuge(phys.KindPageCache)
	if !ok {
		return count(CollapseAllocFailed)
	}
	// From here faults on the range wait (FindPage) or back out (under
	// the PT lock, where they see Collapsing), like faults on locked pages.
	f.beginRange(index)
	var small [HPageNr]uint64
	holes, r := 0, CollapseOK
	f.mu.Lock()
	for i := range small {
		pfn, ok := f.cache[index+uint64(i)]
		if !ok {
			holes++
			continue
		}
		if _, order := phys.Frames.Head(pfn); order != 0 {
			r = CollapseAlreadyHuge
			break
		}
		small[i] = pfn
	}
	f.mu.Unlock()
	if r == CollapseOK && holes > maxNone {
		r = CollapseExceedNone
	}
	if r != CollapseOK {
		f.endRange()
		phys.Frames.Free(head, HPageOrder)
		return count(r)
	}
	// try_to_unmap on every small page: from now on nobody writes them.
	t0 := nanotime()
	f.unmapRange(index, func(pfn uint64, i uint64) bool { return pfn == small[i] })
	t1 := nanotime()
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
	f.retractPageTables(index)
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
	return count(CollapseOK)
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
	f.immapMu.Lock()
	defer f.immapMu.Unlock()
	for _, e := range f.immap {
		m := e.MM
		lo, hi := e.Pgoff, e.Pgoff+uint64(e.End-e.Start)/phys.PageSize
		lo, hi = max(lo, index), min(hi, index+HPageNr)
		if lo >= hi {
			continue
		}
		start, _ := e.vaOf(lo)
		end := start + uintptr(hi-lo)*phys.PageSize
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
				if match(PmdPFN(pv), lo+uint64(va-start)/phys.PageSize-index) {
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
					if PtePresent(pte) && match(PtePFN(pte), lo+uint64(a-start)/phys.PageSize-index) {
						phys.StorePTE(p, 0)
						pages = append(pages, PtePFN(pte))
					}
				}
				pm.PTL.Unlock()
				PteUnmap(pm)
			}
			va = next
		}
		if len(pages)+len(huges) > 0 {
			FlushUser(m, start, end-start)
		}
		cls := rssFile
		if f.Shmem {
			cls = rssShmem
		}
		m.addRSS(cls, -int64(len(pages)+HPageNr*len(huges)))
		for _, pfn := range pages {
			dropMapping(pfn)
		}
		for _, head := range huges {
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
func (m *MM) CollapsePteMappedTHP(h uintptr, install bool) CollapseResult {
	m.MmapLock.RLock()
	defer m.MmapLock.RUnlock()
	v := m.VMAs.Find(h)
	if m.dead || v == nil || h&(HPageSize-1) != 0 {
		return count(CollapseVMAChanged)
	}
	file, _ := v.File.(*File)
	pgoff := v.Pgoff + uint64(h-v.Start)/phys.PageSize
	if _, ok := hugeRange(v, h); !ok || file == nil || pgoff%HPageNr != 0 || v.Flags&VMNoHugepage != 0 {
		return count(CollapseVMAChanged)
	}
	head, ok := file.hugePageAt(pgoff)
	if !ok {
		return count(CollapseNoHugePage)
	}
	prot := v.Prot
	if v.Flags&VMShared == 0 {
		prot &^= ProtWrite
	}
	hi := hugeInstall{head: head, prot: prot, install: install}
	if !m.retractTable(h, &hi) {
		phys.Frames.Meta(head).Refcount.Add(-1)
		pmd := m.pmdIfPresent(h)
		switch {
		case pmd == nil || PmdNone(phys.LoadPTE(pmd)):
			return count(CollapseNoTable)
		case PmdHuge(phys.LoadPTE(pmd)):
			return count(CollapseAlreadyHuge)
		}
		return count(CollapsePageMismatch) // a PTE maps something else
	}
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
	return count(CollapseOK)
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
	fr := phys.Frames.Meta(head)
	for i := 0; fr.Refcount.Load() != 1 || fr.Mapcount.Load() != 0; i++ {
		if i > 1000000 {
			return fmt.Errorf("mm: huge page %d of %v still has %d references, %d mappings",
				index, f, fr.Refcount.Load(), fr.Mapcount.Load())
		}
		runtime.Gosched()
	}
	phys.Frames.Split(head, HPageOrder)
	for i := uint64(0); i < HPageNr; i++ {
		sf := phys.Frames.Meta(head + i)
		sf.Refcount.Store(1)
		sf.Mapcount.Store(0)
	}
	CollapseStat.SplitFile.Add(1)
	return nil
}

// Errors of MadviseCollapse besides ErrInval and ErrNoMemory.
var (
	ErrAgain = errors.New("mm: resource temporarily unavailable (EAGAIN)")
	ErrBusy  = errors.New("mm: device or resource busy (EBUSY)")
)

// CollapseOutcome is what MadviseCollapse did with one 2 MiB range.
type CollapseOutcome struct {
	Addr      uintptr
	Kind      string // "anonymous", "file" or "PTE-mapped huge page"
	Result    CollapseResult
	Retracted uint64 // page tables retracted (file collapses)
}

// MadviseCollapse collapses every 2 MiB-aligned range inside [start,
// start+length) into a huge page now, like Linux's madvise_collapse
// (MADV_COLLAPSE): anonymous memory with CollapseAnon; a file range with
// File.Collapse, which retracts its page tables from every mm, or with
// CollapsePteMappedTHP when the page cache already holds the huge page.
// Unlike khugepaged it does not limit empty PTEs or file holes. It
// returns each range's outcome and, as Linux does, nil only if every
// range ended mapped by a huge page; otherwise the error of the last
// failure: ErrNoMemory (no free 2 MiB block), ErrBusy (too many empty
// entries), ErrAgain (the range was busy: trying again may succeed) or
// ErrInval (the range cannot be collapsed). A range not wholly mapped, or
// advised NOHUGEPAGE, is ErrNoMemory or ErrInval like Linux's.
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
		case CollapseOK, CollapseAlreadyHuge:
			continue
		case CollapseAllocFailed:
			lastErr = ErrNoMemory
		case CollapseExceedNone:
			lastErr = ErrBusy
		case CollapseBusy:
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
	o := CollapseOutcome{Addr: h, Kind: "anonymous"}
	m.MmapLock.RLock()
	v := m.VMAs.Find(h)
	var vma VMA
	if v != nil {
		vma = *v
	}
	m.MmapLock.RUnlock()
	if v == nil || h < vma.Start || h+HPageSize > vma.End || vma.Flags&VMNoHugepage != 0 {
		o.Result = count(CollapseVMAChanged)
		return o
	}
	r0 := CollapseStat.Retracted.Load()
	if f, ok := vma.File.(*File); ok && f != nil {
		pgoff := vma.Pgoff + uint64(h-vma.Start)/phys.PageSize
		if f.IsHuge(pgoff) {
			o.Kind = "PTE-mapped huge page"
			o.Result = m.CollapsePteMappedTHP(h, true)
		} else {
			o.Kind = "file"
			o.Result = f.Collapse(pgoff, HPageNr)
		}
	} else {
		o.Result = m.CollapseAnon(h, HPageNr)
	}
	o.Retracted = CollapseStat.Retracted.Load() - r0
	return o
}
