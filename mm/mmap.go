// mmap.go: changing an address space: Mmap, Munmap, Mprotect and
// Madvise(DONTNEED) for anonymous memory, each under MmapLock for writing
// (so no fault runs meanwhile), and the zap that removes PTEs (Linux's
// zap_pte_range): clear under the PT lock, flush every CPU in the mm's
// cpumask, and only then drop the pages and free empty page tables.

// trapctx: process context only

package mm

import (
	"errors"

	"retract/arch/amd64"
	"retract/mm/phys"
)

// ErrInval is EINVAL: a bad range or flag.
var ErrInval = errors.New("mm: invalid argument (EINVAL)")

func pageRange(addr, length uintptr) (uintptr, uintptr, error) {
	end := (addr + length + phys.PageSize - 1) &^ (phys.PageSize - 1)
	if addr&(phys.PageSize-1) != 0 || length == 0 || end <= addr || addr < UserBase || end > UserEnd {
		return 0, 0, ErrInval
	}
	return addr, end, nil
}

// Mmap maps anonymous memory at addr (fixed) or, with addr 0, at the
// lowest free range, and returns where. Pages arrive on first touch.
func (m *MM) Mmap(addr, length uintptr, prot Prot, flags VMAFlags) (uintptr, error) {
	m.MmapLock.Lock()
	defer m.MmapLock.Unlock()
	start, end, err := m.placeLocked(addr, length)
	if err != nil {
		return 0, err
	}
	return start, m.VMAs.Insert(VMA{Start: start, End: end, Prot: prot, Flags: flags | VMAnon})
}

// placeLocked picks the range of a new mapping — addr (MAP_FIXED) or, for
// addr 0, the lowest free range — and clears whatever was mapped there.
// Preconditions: MmapLock held for writing.
func (m *MM) placeLocked(addr, length uintptr) (start, end uintptr, err error) {
	m.MmapLock.AssertWriteHeld()
	if addr == 0 {
		a, ok := m.VMAs.FreeRange(length, UserBase, UserEnd)
		if !ok {
			return 0, 0, ErrNoMemory
		}
		addr = a
	}
	if start, end, err = pageRange(addr, length); err != nil {
		return 0, 0, err
	}
	// MAP_FIXED semantics: the new mapping replaces the old. Leave i_mmap
	// before freeing tables, so that no rmap walk can reach them.
	m.unmapFileVMAs(start, end)
	m.zapLocked(start, end, true)
	return start, end, nil
}

// MmapFile maps length bytes of file f from page offset pgoff at addr (or,
// with addr 0, the lowest free range). shared selects MAP_SHARED (writes go
// to the file's pages) or MAP_PRIVATE (the first write to a page copies it
// into an anonymous page: copy on write).
func (m *MM) MmapFile(addr, length uintptr, prot Prot, shared bool, f *File, pgoff uint64) (uintptr, error) {
	m.MmapLock.Lock()
	defer m.MmapLock.Unlock()
	start, end, err := m.placeLocked(addr, length)
	if err != nil {
		return 0, err
	}
	var flags VMAFlags
	if shared {
		flags = VMShared
	}
	if err := m.VMAs.Insert(VMA{Start: start, End: end, Prot: prot, Flags: flags, File: f, Pgoff: pgoff}); err != nil {
		return 0, err
	}
	f.addMapping(m, start, end, pgoff, shared)
	return start, nil
}

// unmapFileVMAs removes the VMAs of [start, end) and their ranges from
// their files' i_mmap.
func (m *MM) unmapFileVMAs(start, end uintptr) {
	for _, v := range m.VMAs.Unmap(start, end) {
		if f, ok := v.File.(*File); ok && f != nil {
			f.removeMapping(m, v.Start, v.End)
		}
	}
}

// Munmap removes [addr, addr+length): VMAs, PTEs, pages, and page tables
// that no longer map anything.
func (m *MM) Munmap(addr, length uintptr) error {
	start, end, err := pageRange(addr, length)
	if err != nil {
		return err
	}
	m.MmapLock.Lock()
	defer m.MmapLock.Unlock()
	m.unmapFileVMAs(start, end)
	m.zapLocked(start, end, true)
	return nil
}

// MadviseDontneed drops the pages of [addr, addr+length); the VMAs stay and
// the next touch reads zeros.
func (m *MM) MadviseDontneed(addr, length uintptr) error {
	start, end, err := pageRange(addr, length)
	if err != nil {
		return err
	}
	m.MmapLock.Lock()
	defer m.MmapLock.Unlock()
	m.zapLocked(start, end, false)
	return nil
}

// Mprotect changes the protection of [addr, addr+length), which must be
// mapped, and of the PTEs already there.
func (m *MM) Mprotect(addr, length uintptr, prot Prot) error {
	start, end, err := pageRange(addr, length)
	if err != nil {
		return err
	}
	m.MmapLock.Lock()
	defer m.MmapLock.Unlock()
	if err := m.VMAs.Protect(start, end, prot); err != nil {
		return err
	}
	var dropped, droppedHuge []uint64
	whole := func(pmd *amd64.PTE, h uintptr, pv amd64.PTE) bool {
		nv := PfnPMD(PmdPFN(pv), m.mappedProt(PmdPFN(pv), h, prot))
		if nv != 0 {
			nv |= pv & (amd64.PTEAccessed | amd64.PTEDirty)
		}
		m.pmdLock()
		phys.StorePTE(pmd, nv)
		m.pmdUnlock()
		if nv == 0 {
			droppedHuge = append(droppedHuge, PmdPFN(pv))
		}
		return true
	}
	m.forEachPTE(start, end, whole, func(p *amd64.PTE, va uintptr) bool {
		old := phys.LoadPTE(p)
		if !PtePresent(old) {
			return false
		}
		var nv amd64.PTE
		if prot != ProtNone {
			nv = PfnPTE(PtePFN(old), m.mappedProt(PtePFN(old), va, prot)) | old&(amd64.PTEAccessed|amd64.PTEDirty)
		}
		phys.StorePTE(p, nv)
		if nv == 0 {
			dropped = append(dropped, PtePFN(old))
		}
		return true
	})
	// forEachPTE flushed the TLBs: only now may dropped pages be reused.
	putMappings(dropped, droppedHuge)
	return nil
}

// mappedProt is the protection an existing mapping of frame pfn at va
// gets from an mprotect to prot: the zero page is never writable, and
// neither is a file page in a private mapping (the first write must copy).
func (m *MM) mappedProt(pfn uint64, va uintptr, prot Prot) Prot {
	if pfn == zeroPFN {
		return prot &^ ProtWrite
	}
	if v := m.VMAs.Find(va); phys.Frames.KindOf(pfn) == phys.KindPageCache && (v == nil || v.Flags&VMShared == 0) {
		return prot &^ ProtWrite
	}
	return prot
}

// putMappings drops the mappings of pages (PTEs) and huge pages (PMDs)
// that were just cleared. Preconditions: the TLBs that may cache them were
// flushed.
func putMappings(pages, huges []uint64) {
	for _, pfn := range pages {
		dropMapping(pfn)
	}
	for _, head := range huges {
		putHuge(head)
	}
}

// forEachPTE calls f on every PTE slot of [start, end) that has a page
// table, under that table's lock; f reports whether it changed the entry.
// A huge PMD whose 2 MiB the range covers entirely goes to whole (which
// takes the PMD lock itself) instead; one covered in part is split first.
// A TLB flush of the range follows if anything changed.
// Preconditions: MmapLock held for writing.
func (m *MM) forEachPTE(start, end uintptr, whole func(pmd *amd64.PTE, h uintptr, pv amd64.PTE) bool, f func(p *amd64.PTE, va uintptr) bool) {
	m.MmapLock.AssertWriteHeld()
	changed := false
	for va := start; va < end; {
		next := (va | (amd64.PDESpan - 1)) + 1
		if next > end || next < va {
			next = end
		}
		if pmd := m.pmdIfPresent(va); pmd != nil {
			if pv := phys.LoadPTE(pmd); PmdHuge(pv) {
				if va&(HPageSize-1) == 0 && next-va == HPageSize {
					if whole(pmd, va, pv) {
						changed = true
					}
					va = next
					continue
				}
				m.splitHugePMD(pmd, va&^(HPageSize-1))
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
	if changed {
		FlushUser(m, start, end-start)
	}
}

// zapLocked clears every PTE of [start, end), flushes the TLBs of the
// mm's CPUs, then drops the pages; with freeTables, page tables whose
// 2 MiB no VMA covers any more are freed as well.
// Preconditions: MmapLock held for writing.
func (m *MM) zapLocked(start, end uintptr, freeTables bool) {
	m.MmapLock.AssertWriteHeld()
	var pages, huges []uint64
	whole := func(pmd *amd64.PTE, h uintptr, pv amd64.PTE) bool {
		m.pmdLock()
		phys.StorePTE(pmd, 0)
		m.pmdUnlock()
		huges = append(huges, PmdPFN(pv))
		return true
	}
	m.forEachPTE(start, end, whole, func(p *amd64.PTE, va uintptr) bool {
		old := phys.LoadPTE(p)
		if PteNone(old) {
			return false
		}
		phys.StorePTE(p, 0)
		if PtePresent(old) {
			pages = append(pages, PtePFN(old))
		}
		return true
	})
	// forEachPTE flushed before returning: now the pages may go.
	putMappings(pages, huges)
	if !freeTables {
		return
	}
	for va := start &^ (amd64.PDESpan - 1); va < end; va += amd64.PDESpan {
		if m.VMAs.Overlaps(va, va+amd64.PDESpan) {
			continue
		}
		pmd := m.pmdIfPresent(va)
		if pmd == nil {
			continue
		}
		m.pmdLock()
		v := phys.LoadPTE(pmd)
		if !v.Present() || v.Huge() {
			m.pmdUnlock()
			continue
		}
		// No VMA covers this table's range, MmapLock (write) keeps faults
		// out and no i_mmap entry leads an rmap walk here any more:
		// detach it, flush the paging-structure caches, free it.
		phys.StorePTE(pmd, 0)
		m.pmdUnlock()
		FlushUser(m, va, amd64.PDESpan)
		freePageTable(v.Addr())
	}
}

// Madvise sets or clears VMA hints (MADV_HUGEPAGE, MADV_NOHUGEPAGE) over
// [addr, addr+length), which must be mapped.
func (m *MM) Madvise(addr, length uintptr, set, clear VMAFlags) error {
	start, end, err := pageRange(addr, length)
	if err != nil {
		return err
	}
	m.MmapLock.Lock()
	err = m.VMAs.Advise(start, end, set, clear)
	m.MmapLock.Unlock()
	if err == nil && set&VMHugepage != 0 {
		khugepagedEnter(m) // like khugepaged_enter_vma
	}
	return err
}
