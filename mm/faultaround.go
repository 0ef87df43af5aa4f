// faultaround.go: mapping the cached neighbours of a file fault at once
// (Linux's do_fault_around and filemap_map_pages, mm/memory.c and
// mm/filemap.c).
//
// A fault on a file page that is already in the page cache costs a trip
// into the kernel for one PTE. Programs usually touch the pages next to
// it soon after, so the fault maps every cached page of an aligned
// window around it (fault_around_bytes, 64 KiB: 16 pages) whose PTE is
// still empty, under one PT lock. It never allocates, reads or waits: a
// page that is not cached, part of a huge page, beyond the end of the
// file or in a range being collapsed is left for its own fault. Unlike
// Linux it does nothing when the faulting page itself is not cached
// (File.getPages says why).
//
// Linux faults around on read faults only (do_read_fault), because a
// write fault on a shared mapping must call the filesystem's page_mkwrite
// for every page it makes writable. No file here has a page_mkwrite
// (every file is shmem-like: its pages are the only copy and are never
// written back), so a write fault on a MAP_SHARED mapping
// (do_shared_fault) faults around too, mapping the neighbours writable
// but clean: the MMU sets Dirty on the first write, and smaps counts them
// clean until then. A read fault maps them read-only, as the faulting
// page itself (see doReadFault). Private mappings fault around on reads
// only: their first write must copy (do_cow_fault).

// trapctx: process context only

package mm

import (
	"sync/atomic"

	"retract/arch/amd64"
	"retract/mm/phys"
)

// faultAroundBytes is Linux's fault_around_bytes (its debugfs file
// /sys/kernel/debug/fault_around_bytes): how much a file fault maps
// around the faulting page, a power of two from one page (fault-around
// off) to 2 MiB. FaultAroundBytes reads it, SetFaultAroundBytes sets it.
var faultAroundBytes atomic.Int64

func init() { faultAroundBytes.Store(64 << 10) }

// FaultAroundBytes returns fault_around_bytes.
func FaultAroundBytes() uint64 { return uint64(faultAroundBytes.Load()) }

// SetFaultAroundBytes sets fault_around_bytes like Linux's debugfs
// write: more than 512 pages is ErrInval; anything else is rounded down
// to a power of two, and at least one page.
func SetFaultAroundBytes(n uint64) error {
	if n/phys.PageSize > 512 {
		return ErrInval
	}
	v := uint64(phys.PageSize)
	for v*2 <= n {
		v *= 2
	}
	faultAroundBytes.Store(int64(v))
	return nil
}

// maxFaultAround bounds the pages one fault maps (2 MiB: one table).
const maxFaultAround = 512

// faultAround maps the cached pages of the window around f.va, the
// faulting page among them if it is cached, like do_fault_around; write
// says the fault is a write to a shared mapping (the neighbours are
// mapped writable and clean, the faulting page writable and dirty).
// It reports whether the faulting page was mapped: the fault is then
// done; otherwise the caller's own path maps it.
func (f *fault) faultAround(write bool) bool {
	win := uintptr(FaultAroundBytes())
	if win <= phys.PageSize {
		return false
	}
	// The window: aligned, inside the VMA, the file and one page table
	// (win divides 2 MiB, so an aligned window never crosses a table).
	start := max(f.va&^(win-1), f.v.Start)
	end := min(f.va&^(win-1)+win, f.v.End)
	first := f.pgoff - uint64(f.va-start)/phys.PageSize
	n := int(end-start) / phys.PageSize
	var pfns [maxFaultAround]uint64
	if f.file.getPages(first, f.pgoff, pfns[:n]) == 0 {
		return false
	}
	putAll := func() {
		for _, pfn := range pfns[:n] {
			if pfn != 0 {
				putPage(pfn)
			}
		}
	}
	pm, ok := PteOffsetMapLock(f.pmd, start)
	if !ok {
		putAll() // the PMD changed: the caller's path retries
		return false
	}
	if bad, ok := f.m.checkTable(pm, start); !ok {
		pm.unlock()
		PteUnmap(pm)
		putAll()
		f.m.reportViolation(bad)
		return false
	}
	table := phys.Table(pm.Table)
	prot := f.v.Prot
	if !write {
		prot = prot.readOnly()
	}
	mapped, done, some := int64(0), false, uint64(0)
	for i, pfn := range pfns[:n] {
		if pfn == 0 {
			continue
		}
		va := start + uintptr(i)*phys.PageSize
		pgoff := first + uint64(i)
		pte := &table[amd64.Index(va, 1)]
		// Under the PT lock, as finishFault: a collapse of the range
		// unmaps under this lock after it marks the range, a truncate
		// after it shrinks the size.
		if !PteNone(phys.LoadPTE(pte)) || f.file.Collapsing(pgoff) || f.file.beyondEOF(pgoff) {
			putPage(pfn)
			pfns[i] = 0
			continue
		}
		entry := PfnPTE(pfn, prot)
		if va == f.va {
			if write {
				entry = PteMkDirty(entry)
			}
			done = true
		}
		phys.Frames.Meta(pfn).Mapcount.Add(1) // the reference getPages took is the mapping's
		phys.StorePTE(pte, entry)
		mapped++
		some = pfn
	}
	pm.unlock()
	PteUnmap(pm)
	if mapped == 0 {
		return false
	}
	// No flush: every entry was empty, so no TLB holds it.
	f.m.addRSS(rssClass(some, f.file), mapped) // all page-cache pages of one file: one class
	f.m.Stats.FaultAround.Add(uint64(mapped))
	if done {
		f.m.Stats.FilePage.Add(1)
		f.m.setLastPath(f.path)
	}
	return done
}
