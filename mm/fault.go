// fault.go: the page-fault handler of user address spaces (DESIGN §8),
// after Linux's handle_mm_fault / handle_pte_fault / do_anonymous_page /
// do_wp_page. It runs in process context, on the faulting goroutine.
//
//	mmap_lock (read) -> find VMA -> PMD (allocating levels)
//	  -> PteOffsetMap (RCU read side) -> origPte = lockless read
//	  -> decide; allocate outside any lock
//	  -> PteOffsetMapLock -> PteSame(*pte, origPte)? else retry
//	  -> set the PTE -> unlock

// trapctx: process context only

package mm

import (
	"errors"
	"fmt"
	"sync/atomic"

	"retract/arch/amd64"
)

// ErrFault is the EFAULT of the fault path: no VMA, or the access is not
// allowed by it.
var ErrFault = errors.New("mm: bad address (EFAULT)")

// HandleMMFault resolves a fault at va (write or read) in m, like Linux's
// handle_mm_fault. It returns ErrFault when the access is not allowed.
func (m *MM) HandleMMFault(va uintptr, write bool) error {
	m.Stats.Faults.Add(1)
	m.MmapLock.RLock()
	defer m.MmapLock.RUnlock()
	v := m.VMAs.Find(va)
	if v == nil || write && v.Prot&ProtWrite == 0 || v.Prot == ProtNone {
		m.Stats.EFAULT.Add(1)
		return ErrFault
	}
	for {
		done, err := m.handlePTEFault(v, va&^(PageSize-1), write)
		if err != nil || done {
			return err
		}
		m.Stats.Retries.Add(1)
	}
}

// handlePTEFault is one attempt (like handle_pte_fault); done=false asks
// for a retry (the PTE changed under us, or the PMD went away).
func (m *MM) handlePTEFault(v *VMA, va uintptr, write bool) (done bool, err error) {
	pmd, err := m.PMDAlloc(va)
	if err != nil {
		return false, err
	}
	pm, ok := PteOffsetMap(pmd, va)
	if !ok {
		return false, nil
	}
	orig := pm.Load()
	PteUnmap(pm)

	file, _ := v.File.(*File)
	shared := v.Flags&VMShared != 0
	pgoff := v.Pgoff + uint64(va-v.Start)/PageSize
	// What to install, and the reference taken for it (undone on retry).
	var entry amd64.PTE
	var ref uint64
	var fresh bool // ref is a new private page (dropNew) rather than a shared one (putPage)
	switch {
	case PteNone(orig) && file == nil && !write:
		// do_anonymous_page, read: the shared zero page, read-only.
		entry = PfnPTE(ZeroPFN(), v.Prot&^ProtWrite)
		m.Stats.ZeroPage.Add(1)
	case PteNone(orig) && file != nil && (shared || !write):
		// do_read_fault / do_shared_fault: map the page-cache page; a
		// private mapping maps it read-only so the first write copies.
		pfn, err := file.FindPage(pgoff)
		if err != nil {
			return false, err
		}
		getPage(pfn)
		ref = pfn
		prot := v.Prot
		if !shared {
			prot &^= ProtWrite
		}
		entry = PfnPTE(pfn, prot)
		m.Stats.FilePage.Add(1)
	case PteNone(orig) || PtePresent(orig) && write && !PteWrite(orig) && !(shared && file != nil):
		// A new private page: anonymous (zeroed), a private copy of a file
		// page (do_cow_fault), or a copy for a write to a read-only PTE
		// (do_wp_page: the zero page, a COW file page, an mprotected page).
		var src uint64
		switch {
		case PteNone(orig) && file != nil:
			if src, err = file.FindPage(pgoff); err != nil {
				return false, err
			}
		case PtePresent(orig) && PtePFN(orig) != zeroPFN:
			src = PtePFN(orig)
		}
		pfn, ok := Frames.Alloc(0, KindAnon)
		if !ok {
			return false, ErrNoMemory
		}
		dst := (*[PageSize]byte)(PhysPage(pfn))
		if src == 0 {
			clear(dst[:])
		} else {
			copy(dst[:], (*[PageSize]byte)(PhysPage(src))[:])
		}
		f := Frames.Meta(pfn)
		f.Refcount.Store(1)
		f.Mapcount.Store(1)
		ref, fresh = pfn, true
		entry = PfnPTE(pfn, v.Prot)
		if PteNone(orig) {
			m.Stats.AnonNew.Add(1)
		} else {
			m.Stats.WriteProtect.Add(1)
		}
	case PtePresent(orig) && write && !PteWrite(orig):
		// A shared file page mapped read-only (the VMA became writable
		// later): make the same page writable (wp_page_shared).
		entry = PteMkDirty(PteMkWrite(orig))
		m.Stats.WriteProtect.Add(1)
	default:
		// Present and allowed: another CPU resolved it, or the TLB was
		// stale (a spurious fault).
		m.Stats.Spurious.Add(1)
		amd64.Invlpg(va)
		return true, nil
	}
	undo := func() {
		switch {
		case fresh:
			m.dropNew(ref)
		case ref != 0:
			putPage(ref)
		}
	}

	pm, ok = PteOffsetMapLock(pmd, va)
	if !ok {
		undo()
		return false, nil
	}
	m.checkTable(pm, va)
	if !PteSame(pm.Load(), orig) {
		// Someone changed the PTE since the lockless read: the seed
		// email's case (a detached table reads as none) lands here too.
		pm.PTL.Unlock()
		PteUnmap(pm)
		undo()
		return false, nil
	}
	storePTE(pm.PTE, entry)
	pm.PTL.Unlock()
	PteUnmap(pm)
	if PtePresent(orig) {
		// The old translation may be cached anywhere this mm ran.
		FlushUser(m, va, PageSize)
		if PtePFN(orig) != PtePFN(entry) {
			putPage(PtePFN(orig))
		}
	}
	return true, nil
}

func (m *MM) dropNew(pfn uint64) {
	if pfn != 0 {
		Frames.Meta(pfn).Refcount.Store(0)
		Frames.Meta(pfn).Mapcount.Store(0)
		Frames.Free(pfn, 0)
	}
}

// DebugChecks turns on the page-table sanity checks of the fault path
// (DESIGN §12); on by default.
var DebugChecks = true

// Violations counts failed debug checks.
var Violations atomic.Uint64

// checkTable verifies, with the PT lock held, that the table the fault
// path is about to change is still a live page table of this mm — same
// generation as when PteOffsetMap mapped it, owned by m, level 1 — and
// still the one its PMD points at. A violation means the table was freed
// (and maybe reused) under a walker: the use-after-free that RCU-deferred
// freeing of retracted tables prevents.
func (m *MM) checkTable(pm PTEMap, va uintptr) {
	if !DebugChecks {
		return
	}
	f := Frames.Meta(pm.Table >> PageShift)
	gen := atomic.LoadUint32(&f.Gen)
	pmdNow := loadPTE(pm.PMD)
	if gen == pm.Gen && f.Owner == m.ID && f.Level == 1 && pmdNow.Present() && pmdNow.Addr() == pm.Table {
		return
	}
	Violations.Add(1)
	fmt.Printf("mm: debug check failed at %#x in mm %d: PT page %#x has generation %d (was %d when mapped), owner %d, level %d; the PMD now holds %#x\n",
		va, m.ID, pm.Table, gen, pm.Gen, f.Owner, f.Level, uint64(pmdNow))
}
