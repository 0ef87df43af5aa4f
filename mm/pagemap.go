// pagemap.go: /proc/PID/pagemap — one 64-bit word per virtual page saying
// whether the page is in memory and which frame holds it, as Linux's
// fs/proc/task_mmu.c encodes it (Documentation/admin-guide/mm/pagemap.rst).

// trapctx: process context only

package mm

import (
	"retract/arch/amd64"
	"retract/mm/phys"
)

// The bits of a pagemap entry (Linux's PM_*).
const (
	PagemapPFNMask   = 1<<55 - 1 // bits 0-54: the page frame number, if present
	PagemapSoftDirty = 1 << 55   // soft-dirty (not tracked here: always 0)
	PagemapExclusive = 1 << 56   // the page is mapped exactly once
	PagemapFile      = 1 << 61   // a page-cache page (file or shared anonymous memory)
	PagemapSwap      = 1 << 62   // swapped out (never here: no swap)
	PagemapPresent   = 1 << 63   // in memory
)

// PagemapEntry encodes one present page: its frame, whether it is a
// page-cache page (kind), and whether it is mapped exactly once. The
// shared zero page is present with its frame but neither file nor
// exclusive (Linux's vm_normal_page is NULL for it).
func PagemapEntry(pfn uint64, kind phys.Kind, mapcount int32, zero bool) uint64 {
	e := PagemapPresent | pfn&PagemapPFNMask
	if zero {
		return e
	}
	if kind == phys.KindPageCache {
		e |= PagemapFile
	}
	if mapcount == 1 {
		e |= PagemapExclusive
	}
	return e
}

// Pagemap fills out with the entries of the len(out) pages from start
// (page aligned): 0 for a page that is not in memory (no VMA, or not
// faulted in yet), else PagemapEntry of its frame — for a huge PMD, the
// frame of each 4 KiB piece. It holds mmap_lock for reading, as Linux's
// pagemap_read does, so no table goes away under the walk.
func (m *MM) Pagemap(start uintptr, out []uint64) {
	clear(out)
	end := start + uintptr(len(out))*phys.PageSize
	m.MmapLock.RLock()
	defer m.MmapLock.RUnlock()
	for _, mp := range m.Dump(start, end, len(out)) {
		if !mp.PTE.Present() {
			continue
		}
		if mp.PTE.Huge() {
			pfn := PmdPFN(mp.PTE)
			for va := max(mp.VA, start); va < min(mp.VA+amd64.PDESpan, end); va += phys.PageSize {
				out[(va-start)/phys.PageSize] = pagemapOf(pfn + uint64(va-mp.VA)/phys.PageSize)
			}
			continue
		}
		out[(mp.VA-start)/phys.PageSize] = pagemapOf(PtePFN(mp.PTE))
	}
}

// pagemapOf is the entry of a mapped frame.
func pagemapOf(pfn uint64) uint64 {
	head, _ := phys.Frames.Head(pfn)
	return PagemapEntry(pfn, phys.Frames.KindOf(pfn), phys.Frames.Meta(head).Mapcount.Load(), pfn == zeroPFN)
}
