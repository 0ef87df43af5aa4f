// fork.go: copying an address space for fork, after Linux's dup_mmap
// (kernel/fork.c) and copy_page_range (mm/memory.c):
//
//	Fork              dup_mmap: both MmapLocks for writing, every VMA
//	                  but MADV_DONTFORK ones, i_mmap, then the tables
//	  copyPageRange   copy_page_range: private mappings only (a shared
//	                  one refaults from the page cache in the child)
//	    copyHugePMD   copy_huge_pmd: an anonymous huge PMD, read-only in
//	                  both, with a deposited table for the child
//	    copyPteRange  copy_pte_range: the child's table first, then both
//	                  ptls; each present PTE: copyPresentPTE
//
// Every private page is then mapped by both mms, read-only, with one more
// reference and mapping on its (head) frame; the first write in either
// copies it, or reuses it once the other side has let go (doWpPage).
// The parent's threads may run on other CPUs meanwhile: their faults wait
// for MmapLock, and the parent's TLBs are flushed before it is released,
// so no stale writable translation survives the fork.
//
// Collapse and retract reach file mappings without MmapLock, through
// i_mmap. Each file VMA is copied holding its file's immapMu, and the
// child enters i_mmap in the same critical section: an rmap walk (a file
// collapse's unmap, a retract) either ends before the copy — and the copy
// sees what it left — or starts after it and finds both mms.

// trapctx: process context only

package mm

import (
	"sync/atomic"
	"unsafe"

	"retract/arch/amd64"
	"retract/mm/phys"
)

// ForkStats counts what Fork did (all mms).
type ForkStats struct {
	Forks, Failed                  atomic.Uint64
	PTEsCopied, HugeCopied, WPSets atomic.Uint64
}

// ForkStat is the kernel's fork statistics.
var ForkStat ForkStats

// Fork returns a copy of m for a child process, like Linux's dup_mmap:
// every VMA except those advised MADV_DONTFORK (VMDontCopy), with
// MmapBase, the program break and the stack; private anonymous and
// private file pages shared read-only (copy on write from now on); shared
// file mappings (shared anonymous memory included) in the file's i_mmap,
// their pages faulted in again by the child; VMAs advised
// MADV_WIPEONFORK empty in the child (it reads zeroes). The child is
// registered with khugepaged if m is.
//
// Out of memory at any point: the child is destroyed (nothing leaks; the
// parent's pages that were made read-only are reused on its next write)
// and ErrNoMemory returned; ErrAgain when every mm ID is in use.
func (m *MM) Fork() (*MM, error) {
	child, err := New()
	if err != nil {
		return nil, err
	}
	m.MmapLock.Lock()
	child.MmapLock.Lock()
	if m.dead {
		err = ErrInval
	}
	child.MmapBase, child.StartStack, child.startBrk, child.brk = m.MmapBase, m.StartStack, m.startBrk, m.brk
	wp := false
	for i := 0; err == nil && i < len(m.VMAs.v); i++ {
		v := m.VMAs.v[i] // a copy: the slice does not change (MmapLock), the child's does
		if v.Flags&VMDontCopy != 0 {
			continue
		}
		v.Flags &^= lockFlags // locks are not inherited (dup_mmap)
		if err = child.VMAs.Insert(v); err != nil {
			break
		}
		f := vmaFile(&v)
		shared := v.Flags&VMShared != 0
		switch {
		case f != nil:
			f.immapMu.Lock()
			f.addMappingLocked(child, v.Start, v.End, v.Pgoff, shared)
			if !shared {
				err = m.copyPageRange(child, &v, &wp)
			}
			f.immapMu.Unlock()
		case v.Flags&VMWipeOnFork == 0:
			err = m.copyPageRange(child, &v, &wp)
		}
	}
	if wp {
		// Writable translations of pages now shared may be cached on any
		// CPU the parent ran on (flush_tlb_mm at the end of dup_mmap).
		FlushUser(m, UserBase, UserEnd-UserBase)
	}
	child.MmapLock.Unlock()
	m.MmapLock.Unlock()
	if err != nil {
		child.Destroy()
		ForkStat.Failed.Add(1)
		return nil, err
	}
	if khugepagedRegistered(m) {
		khugepagedEnter(child) // khugepaged_fork
	}
	ForkStat.Forks.Add(1)
	return child, nil
}

// copyPageRange copies the mappings of v from m to dst (copy_page_range)
// and sets *wp if it write-protected a PTE of m.
// Preconditions: both MmapLocks held for writing; for a file VMA, its
// file's immapMu.
func (m *MM) copyPageRange(dst *MM, v *VMA, wp *bool) error {
	for va := v.Start; va < v.End; {
		pmd, next := m.pmdWalk(va)
		if next <= va || next > v.End {
			next = v.End
		}
		if pmd != nil {
			switch pv := phys.LoadPTE(pmd); {
			case PmdNone(pv):
			case PmdHuge(pv):
				// A VMA boundary never cuts a huge PMD (splitHugeAt), so
				// v covers all of it.
				if err := m.copyHugePMD(dst, pmd, va&^(HPageSize-1), wp); err != nil {
					return err
				}
			default:
				if err := m.copyPteRange(dst, pmd, va, next, vmaFile(v), wp); err != nil {
					return err
				}
			}
		}
		va = next
	}
	return nil
}

// copyHugePMD shares the anonymous huge page that pmd maps at h with dst,
// read-only in both, with a table deposited for dst's PMD (copy_huge_pmd).
// A file huge page is left to dst's faults, as Linux does.
func (m *MM) copyHugePMD(dst *MM, pmd *amd64.PTE, h uintptr, wp *bool) error {
	if phys.Frames.KindOf(PmdPFN(phys.LoadPTE(pmd))) != phys.KindAnon {
		return nil
	}
	dpmd, err := dst.pmdAllocUpper(h)
	if err != nil {
		return err
	}
	dep, ok := dst.newDepositTable()
	if !ok {
		return ErrNoMemory
	}
	dst.pmdLock() // the child's PMD lock, then the parent's (as Linux)
	m.pmdLock()
	pv := phys.LoadPTE(pmd)
	if !PmdHuge(pv) || !PmdNone(phys.LoadPTE(dpmd)) {
		m.pmdUnlock()
		dst.pmdUnlock()
		phys.Frames.Free(dep>>phys.PageShift, 0)
		return nil
	}
	if PteWrite(pv) {
		ptepSetWrprotect(pmd)
		*wp = true
		ForkStat.WPSets.Add(1)
	}
	pv = phys.LoadPTE(pmd)
	fr := phys.Frames.Meta(PmdPFN(pv))
	fr.Refcount.Add(1)
	fr.Mapcount.Add(1)
	dst.pgtableDeposit(dpmd, dep)
	phys.StorePTE(dpmd, pv&^amd64.PTEAccessed)
	dst.addTables(1)
	m.pmdUnlock()
	dst.pmdUnlock()
	dst.addRSS(rssAnon, HPageNr)
	ForkStat.HugeCopied.Add(1)
	return nil
}

// copyPteRange copies the present PTEs of [start, end) (within one 2 MiB)
// from the table under pmd to dst (copy_pte_range): dst's table is made
// first (it may fail), then both ptls are held — dst's, then m's — while
// each entry is copied (copyPresentPTE). file is the VMA's file (nil:
// anonymous), for the accounting.
func (m *MM) copyPteRange(dst *MM, pmd *amd64.PTE, start, end uintptr, file *File, wp *bool) error {
	if !anyPresent(pmd, start, end) {
		return nil
	}
	dpmd, err := dst.pmdAllocUpper(start)
	if err != nil {
		return err
	}
	for {
		if PmdNone(phys.LoadPTE(dpmd)) {
			if err := dst.install(dpmd, 1); err != nil {
				return err
			}
		}
		dpm, ok := PteOffsetMapLock(dpmd, start)
		if !ok {
			// dst's table, still empty, was retracted by a collapse of
			// a file mapped in the same 2 MiB: make another.
			continue
		}
		spm, ok := PteOffsetMapLock(pmd, start)
		if !ok {
			// m's table went (retracted: it mapped nothing).
			dpm.PTL.Unlock()
			PteUnmap(dpm)
			return nil
		}
		st, dt := phys.Table(spm.Table), phys.Table(dpm.Table)
		n := int64(0)
		for a := start; a < end; a += phys.PageSize {
			i := amd64.Index(a, 1)
			if copyPresentPTE(&dt[i], &st[i], wp) {
				dst.addRSS(rssClass(PtePFN(phys.LoadPTE(&dt[i])), file), 1)
				n++
			}
		}
		spm.PTL.Unlock()
		PteUnmap(spm)
		dpm.PTL.Unlock()
		PteUnmap(dpm)
		ForkStat.PTEsCopied.Add(uint64(n))
		return nil
	}
}

// anyPresent reports whether the table under pmd maps anything in [start,
// end) (a lockless look: the copy rechecks under the ptl).
func anyPresent(pmd *amd64.PTE, start, end uintptr) bool {
	pm, ok := PteOffsetMap(pmd, start)
	if !ok {
		return false
	}
	defer PteUnmap(pm)
	t := phys.Table(pm.Table)
	for a := start; a < end; a += phys.PageSize {
		if PtePresent(phys.LoadPTE(&t[amd64.Index(a, 1)])) {
			return true
		}
	}
	return false
}

// copyPresentPTE copies the entry at src, if present, to dst
// (copy_present_pte): the page gets a reference and a mapping more; a
// writable entry (an anonymous page of a private mapping) is
// write-protected in the source first, atomically, since the MMU may be
// setting Accessed or Dirty in it. The child's entry is old (not
// accessed). It reports whether it copied an entry.
// Preconditions: both tables' ptls held.
func copyPresentPTE(dst, src *amd64.PTE, wp *bool) bool {
	e := phys.LoadPTE(src)
	if !PtePresent(e) {
		return false
	}
	if PteWrite(e) {
		ptepSetWrprotect(src)
		e = phys.LoadPTE(src)
		*wp = true
		ForkStat.WPSets.Add(1)
	}
	if pfn := PtePFN(e); pfn != zeroPFN {
		head, _ := phys.Frames.Head(pfn)
		fr := phys.Frames.Meta(head)
		fr.Refcount.Add(1)
		fr.Mapcount.Add(1)
	}
	phys.StorePTE(dst, e&^amd64.PTEAccessed)
	return true
}

// ptepSetWrprotect clears the Write bit of the entry at p atomically
// (ptep_set_wrprotect): an MMU setting Accessed or Dirty at the same
// moment loses nothing.
func ptepSetWrprotect(p *amd64.PTE) {
	atomic.AndUint64((*uint64)(unsafe.Pointer(p)), ^uint64(amd64.PTEWrite))
}
