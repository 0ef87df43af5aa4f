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
	if v.File != nil {
		return errors.New("mm: file mappings arrive with the rest of the mm issue")
	}
	for {
		done, err := m.anonFault(v, va&^(PageSize-1), write)
		if err != nil || done {
			return err
		}
		m.Stats.Retries.Add(1)
	}
}

// anonFault is one attempt; done=false asks for a retry (the PTE changed
// under us, or the PMD went away).
func (m *MM) anonFault(v *VMA, va uintptr, write bool) (done bool, err error) {
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

	var newPFN uint64
	var entry amd64.PTE
	switch {
	case PteNone(orig) && !write:
		// do_anonymous_page, read: map the shared zero page read-only.
		entry = PfnPTE(ZeroPFN(), v.Prot&^ProtWrite)
		m.Stats.ZeroPage.Add(1)
	case PteNone(orig) || PtePresent(orig) && write && !PteWrite(orig):
		// A new private page: for an empty PTE (do_anonymous_page, write),
		// or a copy for a write to a read-only one (do_wp_page: the zero
		// page, or a page write-protected by mprotect).
		pfn, ok := Frames.Alloc(0, KindAnon)
		if !ok {
			return false, ErrNoMemory
		}
		dst := (*[PageSize]byte)(PhysPage(pfn))
		if PteNone(orig) || PtePFN(orig) == zeroPFN {
			clear(dst[:])
		} else {
			copy(dst[:], (*[PageSize]byte)(PhysPage(PtePFN(orig)))[:])
		}
		f := Frames.Meta(pfn)
		f.Refcount.Store(1)
		f.Mapcount.Store(1)
		newPFN = pfn
		entry = PfnPTE(pfn, v.Prot)
		if PteNone(orig) {
			m.Stats.AnonNew.Add(1)
		} else {
			m.Stats.WriteProtect.Add(1)
		}
	default:
		// Present and allowed: another CPU resolved it, or the TLB was
		// stale (a spurious fault).
		m.Stats.Spurious.Add(1)
		amd64.Invlpg(va)
		return true, nil
	}

	pm, ok = PteOffsetMapLock(pmd, va)
	if !ok {
		m.dropNew(newPFN)
		return false, nil
	}
	m.checkTable(pm, va)
	if !PteSame(pm.Load(), orig) {
		// Someone changed the PTE since the lockless read: the seed
		// email's case (a detached table reads as none) lands here too.
		pm.PTL.Unlock()
		PteUnmap(pm)
		m.dropNew(newPFN)
		return false, nil
	}
	storePTE(pm.PTE, entry)
	pm.PTL.Unlock()
	PteUnmap(pm)
	if PtePresent(orig) {
		// The old translation (the zero page, or a write-protected page)
		// may be cached anywhere this mm ran.
		FlushUser(m, va, PageSize)
		putPage(PtePFN(orig))
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
