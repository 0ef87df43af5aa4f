// zap.go: removing PTEs and page tables, after Linux's zap_pte_range and
// unmap_region: clear the PTEs (and huge PMDs) under their locks, detach
// the page tables no VMA covers any more, flush every CPU in the mm's
// cpumask once, and only then drop the pages and free the tables. Also
// forEachPTE, the PTE walk that mprotect shares.

// trapctx: process context only

package mm

import (
	"sync"

	"retract/arch/amd64"
	"retract/mm/phys"
)

// putMappings drops the mappings of pages (PTEs) and huge pages (PMDs)
// that were just cleared (their deposited tables already withdrawn).
// Preconditions: the TLBs that may cache them were flushed.
func putMappings(pages, huges []uint64) {
	for _, pfn := range pages {
		dropMapping(pfn)
	}
	for _, head := range huges {
		dropMapping(head)
	}
}

// forEachPTE calls f on every PTE slot of [start, end) that has a page
// table, under that table's lock; f reports whether it changed the entry.
// A huge PMD whose 2 MiB the range covers entirely goes to whole (which
// takes the PMD lock itself) instead; one covered in part is split first.
// vmas (sorted, covering the range where it is mapped) tell the files of
// the pages. A TLB flush of the range follows if anything changed.
// Preconditions: MmapLock held for writing.
func (m *MM) forEachPTE(start, end uintptr, vmas []VMA, whole func(pmd *amd64.PTE, h uintptr, pv amd64.PTE) bool, f func(p *amd64.PTE, va uintptr) bool) {
	if m.walkPTEs(start, end, vmas, whole, f) {
		FlushUser(m, start, end-start)
	}
}

// walkPTEs is forEachPTE without the flush: it reports whether whole or f
// changed anything, and the caller flushes before it frees what they
// took out (zapLocked: one flush for the pages and the empty tables).
func (m *MM) walkPTEs(start, end uintptr, vmas []VMA, whole func(pmd *amd64.PTE, h uintptr, pv amd64.PTE) bool, f func(p *amd64.PTE, va uintptr) bool) (changed bool) {
	m.MmapLock.AssertHeld() // for writing, or for reading by munmap (zapLocked)
	for va := start; va < end; {
		pmd, next := m.pmdWalk(va)
		if next > end || next <= va {
			next = end
		}
		if pmd != nil {
			if pv := phys.LoadPTE(pmd); PmdHuge(pv) {
				if va&(HPageSize-1) == 0 && next-va == HPageSize {
					if whole(pmd, va, pv) {
						changed = true
					}
					va = next
					continue
				}
				m.splitHugePMD(pmd, va&^(HPageSize-1), fileAt(vmas, va))
			}
			if pm, ok := PteOffsetMapLock(pmd, va); ok {
				for a := va; a < next; a += phys.PageSize {
					if f(&phys.Table(pm.Table)[amd64.Index(a, 1)], a) {
						changed = true
					}
				}
				pm.unlock()
				PteUnmap(pm)
			}
		}
		va = next
	}
	return changed
}

// zapBuffers holds the page lists of finished zaps for the next ones.
var zapBuffers = sync.Pool{New: func() any { return new([]uint64) }}

// zapLocked clears every PTE of [start, end) (and, with freeTables,
// detaches the page tables whose 2 MiB no VMA covers any more), flushes
// the TLBs of the mm's CPUs once, then drops the pages and frees the
// tables (Linux's unmap_region: zap, free_pgtables, tlb_finish_mmu). vmas are the VMAs that
// covered the range (for the accounting: which file a page belongs to).
// Preconditions: MmapLock held for writing, or for reading by a munmap
// that removed the range's VMAs under the write lock and downgraded it
// (then no fault, rmap walk or new mapping reaches the range; a fault in
// a neighbouring VMA may share a table at the range's ends, and takes the
// same PT and PMD locks as the zap).
func (m *MM) zapLocked(start, end uintptr, freeTables bool, vmas []VMA) {
	m.MmapLock.AssertHeld()
	var huges, deposits []uint64
	// The pages to drop after the flush, in a buffer that zaps reuse: a
	// 128 MiB munmap collects 32768 of them, and 256 KiB of garbage per
	// munmap kept the garbage collector running — on a CPU that a
	// faulting thread of a busy machine then does not get.
	buf := zapBuffers.Get().(*[]uint64)
	pages := (*buf)[:0]
	defer func() {
		*buf = pages[:0]
		zapBuffers.Put(buf)
	}()
	whole := func(pmd *amd64.PTE, h uintptr, pv amd64.PTE) bool {
		m.pmdLock()
		phys.StorePTE(pmd, 0)
		deposits = append(deposits, m.withdrawIfAnon(pmd, pv))
		m.pmdUnlock()
		m.addRSS(rssClass(PmdPFN(pv), fileAt(vmas, h)), -HPageNr)
		huges = append(huges, PmdPFN(pv))
		return true
	}
	// The 4 KiB pages are counted here and taken off the mm's counters
	// once at the end, as zap_pte_range's rss[] and add_mm_rss_vec do:
	// an atomic add and a high-water update per page cost a 128 MiB
	// munmap milliseconds. The file of the last VMA is kept, not looked up
	// again for every page.
	var rss [numRSS]int64
	var last *VMA
	changed := m.walkPTEs(start, end, vmas, whole, func(p *amd64.PTE, va uintptr) bool {
		old := phys.LoadPTE(p)
		if PteNone(old) {
			return false
		}
		phys.StorePTE(p, 0)
		if PtePresent(old) {
			if last == nil || va < last.Start || va >= last.End {
				last = vmaAt(vmas, va)
			}
			var f *File
			if last != nil {
				f, _ = last.File.(*File)
			}
			if cls := rssClass(PtePFN(old), f); cls != rssNone {
				rss[cls]++
			}
			pages = append(pages, PtePFN(old))
		}
		return true
	})
	for cls, n := range rss {
		m.addRSS(cls, -n)
	}
	// Like Linux's mmu_gather: the empty tables are detached too, then
	// one flush covers the pages' translations and the tables' cached
	// entries, and only then do pages and tables go — one round of IPIs
	// per munmap, not one for the pages and another for the tables.
	var tables []uint64
	lo, hi := start, end
	if freeTables {
		var tlo, thi uintptr
		tables, tlo, thi = m.detachEmptyTables(start, end)
		if len(tables) > 0 {
			lo, hi = min(lo, tlo), max(hi, thi)
		}
	}
	if changed || len(tables) > 0 {
		FlushUser(m, lo, hi-lo)
	}
	for _, dep := range deposits {
		m.freeDeposit(dep)
	}
	putMappings(pages, huges)
	for _, pa := range tables {
		m.freePageTable(pa)
	}
}

// freeEmptyTables frees the page tables of [start, end) (rounded out to
// 2 MiB) whose 2 MiB no VMA covers any more (free_pgtables). Like Linux's
// mmu_gather it detaches them all first, then shoots the TLBs down once
// for the whole range, then frees them: one round of IPIs per munmap,
// not one per table (a 128 MiB munmap frees 64 tables).
// Preconditions: MmapLock held as for zapLocked; the PTEs were zapped.
func (m *MM) freeEmptyTables(start, end uintptr) {
	tables, lo, hi := m.detachEmptyTables(start, end)
	if len(tables) == 0 {
		return
	}
	FlushUser(m, lo, hi-lo)
	for _, pa := range tables {
		m.freePageTable(pa)
	}
}

// detachEmptyTables clears the PMDs of [start, end)'s page tables (rounded
// out to 2 MiB) whose 2 MiB no VMA covers, and returns those tables and
// the range they mapped, for the caller to free after a TLB flush of it.
// Preconditions: as for freeEmptyTables.
func (m *MM) detachEmptyTables(start, end uintptr) (tables []uint64, lo, hi uintptr) {
	lo, hi = ^uintptr(0), uintptr(0)
	for va := start &^ (amd64.PDESpan - 1); va < end; {
		pmd, next := m.pmdWalk(va)
		if next <= va {
			break // past the top of the address space
		}
		if pmd != nil && !m.VMAs.Overlaps(va, va+amd64.PDESpan) {
			if pa, ok := m.detachTable(pmd); ok {
				tables = append(tables, pa)
				lo, hi = min(lo, va), max(hi, va+amd64.PDESpan)
			}
		}
		va = next
	}
	return tables, lo, hi
}

// detachTable clears pmd if it points at a page table and returns that
// table, which the caller frees after a TLB flush of its range.
// Preconditions: MmapLock held as for zapLocked; no VMA covers the 2 MiB:
// no fault comes here, and no i_mmap entry leads an rmap walk here any
// more.
func (m *MM) detachTable(pmd *amd64.PTE) (uint64, bool) {
	m.pmdLock()
	defer m.pmdUnlock()
	v := phys.LoadPTE(pmd)
	if !v.Present() || v.Huge() {
		return 0, false
	}
	phys.StorePTE(pmd, 0)
	return v.Addr(), true
}
