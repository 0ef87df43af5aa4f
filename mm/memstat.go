// memstat.go: the memory counters /proc/meminfo and /proc/vmstat print
// (Linux's global_node_page_state and friends), gathered on demand from
// the frame allocator, the page cache's frames and the page tables.

// trapctx: process context only

package mm

import "retract/mm/phys"

// MemCounts is a snapshot of memory use, in 4 KiB pages.
type MemCounts struct {
	Total, Free, Reserve uint64 // usable RAM, free frames, the kernel's reserve (AllocUser leaves it)
	Anon                 uint64 // anonymous pages, huge ones included (NR_ANON_MAPPED)
	PageCache            uint64 // page-cache pages (NR_FILE_PAGES; all shmem-like: NR_SHMEM)
	FileMapped           uint64 // page-cache pages mapped at least once (NR_FILE_MAPPED)
	AnonHuge             uint64 // pages in anonymous huge pages (NR_ANON_THPS)
	FileHuge             uint64 // pages in page-cache huge pages (NR_SHMEM_THPS)
	FilePmdMapped        uint64 // pages in page-cache huge pages some PMD maps (NR_SHMEM_PMDMAPPED)
	PageTables           uint64 // user page-table pages, PML4s included (NR_PAGETABLE)
	Kernel, GoHeap       uint64 // kernel stacks and metadata; the Go heap's pages
}

// ReadMemCounts gathers MemCounts. The allocator's counters are exact;
// FileMapped comes from a sweep over the page-cache frames and
// FilePmdMapped from the PMDs of every address space (each under its
// MmapLock for reading), both without stopping anyone: a snapshot.
func ReadMemCounts() MemCounts {
	st := phys.Frames.Stats()
	c := MemCounts{
		Total:      st.Total,
		Free:       st.Free,
		Reserve:    phys.Frames.Reserve,
		Anon:       st.ByKind[phys.KindAnon],
		PageCache:  st.ByKind[phys.KindPageCache],
		AnonHuge:   st.HugeByKind[phys.KindAnon],
		FileHuge:   st.HugeByKind[phys.KindPageCache],
		PageTables: st.ByKind[phys.KindPageTable],
		Kernel:     st.ByKind[phys.KindKernel],
		GoHeap:     st.ByKind[phys.KindGoHeap],
	}
	phys.Frames.ScanHeads(phys.KindPageCache, func(pfn uint64, order int, f *phys.Frame) {
		if f.Mapcount.Load() > 0 {
			c.FileMapped += 1 << order
		}
	})
	pmdMapped := map[uint64]bool{}
	for _, m := range All() {
		m.hugeFilePMDs(pmdMapped)
	}
	c.FilePmdMapped = uint64(len(pmdMapped)) * HPageNr
	return c
}

// hugeFilePMDs adds to heads the page-cache huge pages m maps with PMDs.
func (m *MM) hugeFilePMDs(heads map[uint64]bool) {
	m.MmapLock.RLock()
	defer m.MmapLock.RUnlock()
	if m.dead {
		return
	}
	for i := range m.VMAs.v {
		v := &m.VMAs.v[i]
		if v.File == nil {
			continue
		}
		for h := (v.Start + HPageSize - 1) &^ (HPageSize - 1); h >= v.Start && h+HPageSize <= v.End; h += HPageSize {
			if pmd := m.pmdIfPresent(h); pmd != nil {
				if pv := phys.LoadPTE(pmd); PmdHuge(pv) && phys.Frames.KindOf(PmdPFN(pv)) == phys.KindPageCache {
					heads[PmdPFN(pv)] = true
				}
			}
		}
	}
}
