// fault.go: the page-fault handler of user address spaces (DESIGN §8),
// after Linux's handle_mm_fault / handle_pte_fault / do_anonymous_page /
// do_wp_page. It runs in process context, on the faulting goroutine.
//
//	mmap_lock (read) -> find VMA -> PMD (allocating upper levels)
//	  -> PMD none: a huge PMD if the VMA allows one (huge.go), else a PT
//	  -> PMD huge: huge.go's hugePMDFault
//	  -> PteOffsetMap (RCU read side) -> origPte = lockless read
//	  -> [delay point fault.after_pte_offset_map]
//	  -> none, or a copy to make: unmap; allocate outside any lock;
//	     PteOffsetMapLock (pmd_same recheck) -> PteSame? else retry
//	  -> present: lock the PT's ptl through the pointer we already hold —
//	     the table may have been retracted meanwhile (the seed email's
//	     case) — debug check, PteSame? else retry
//	  -> set the PTE -> unlock

// trapctx: process context only

package mm

import (
	"errors"
	"fmt"
	"retract/mm/phys"
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
		done, err := m.handlePTEFault(v, va&^(phys.PageSize-1), write)
		if err != nil || done {
			return err
		}
		m.Stats.Retries.Add(1)
	}
}

// handlePTEFault is one attempt (like handle_pte_fault); done=false asks
// for a retry (the PTE changed under us, or the PMD went away).
func (m *MM) handlePTEFault(v *VMA, va uintptr, write bool) (done bool, err error) {
	pmd, err := m.pmdAllocUpper(va)
	if err != nil {
		return false, err
	}
	if pv := phys.LoadPTE(pmd); PmdNone(pv) {
		if done, err := m.createHugePMD(v, va, pmd, write); done || err != nil {
			return done, err
		}
		if err := m.install(pmd, 1); err != nil {
			return false, err
		}
	} else if PmdHuge(pv) {
		return m.hugePMDFault(v, va, pmd, pv, write)
	}
	pm, ok := PteOffsetMap(pmd, va)
	if !ok {
		return false, nil // the PMD changed: retract or a huge PMD raced us
	}
	orig := pm.Load()
	delay(DelayFaultAfterPteOffsetMap)

	file, _ := v.File.(*File)
	shared := v.Flags&VMShared != 0
	if PtePresent(orig) && !(write && !PteWrite(orig) && !(shared && file != nil)) {
		// No page to allocate: finish under the ptl we already know.
		return m.presentFault(pm, va, orig, write)
	}
	PteUnmap(pm)

	pgoff := v.Pgoff + uint64(va-v.Start)/phys.PageSize
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
		// do_read_fault / do_shared_fault: map the page-cache page. A read
		// maps it read-only even in a writable shared mapping, so that
		// the first write faults and marks the PTE dirty (wp_page_shared,
		// like a filesystem that tracks dirty pages); a private mapping
		// maps it read-only so that the first write copies.
		pfn, err := file.FindPage(pgoff) // takes a reference: the mapping's
		if err != nil {
			return false, err
		}
		head, _ := phys.Frames.Head(pfn)
		phys.Frames.Meta(head).Mapcount.Add(1)
		ref = pfn
		prot := v.Prot
		if !shared || !write {
			prot &^= ProtWrite
		}
		entry = PfnPTE(pfn, prot)
		if write {
			entry = PteMkDirty(entry)
		}
		m.Stats.FilePage.Add(1)
	default:
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
		pfn, ok := phys.Frames.AllocUser(0, phys.KindAnon)
		if !ok {
			if PteNone(orig) && file != nil {
				putRef(src)
			}
			return false, ErrNoMemory
		}
		dst := (*[phys.PageSize]byte)(phys.Page(pfn))
		if src == 0 {
			clear(dst[:])
		} else {
			copy(dst[:], (*[phys.PageSize]byte)(phys.Page(src))[:])
		}
		if PteNone(orig) && file != nil {
			putRef(src) // FindPage's reference; the copy is made
		}
		f := phys.Frames.Meta(pfn)
		f.Refcount.Store(1)
		f.Mapcount.Store(1)
		ref, fresh = pfn, true
		entry = PfnPTE(pfn, v.Prot)
		if PteNone(orig) {
			m.Stats.AnonNew.Add(1)
		} else {
			m.Stats.WriteProtect.Add(1)
		}
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
	if bad, ok := m.checkTable(pm, va); !ok {
		pm.PTL.Unlock()
		PteUnmap(pm)
		undo()
		m.reportViolation(bad)
		return false, nil
	}
	if !PteSame(pm.Load(), orig) || !fresh && ref != 0 && file.Collapsing(pgoff) {
		// Someone changed the PTE since the lockless read, or a collapse
		// of this file range began after we found the small page (it
		// unmaps under this same lock, so we see its mark here).
		pm.PTL.Unlock()
		PteUnmap(pm)
		undo()
		return false, nil
	}
	phys.StorePTE(pm.PTE, entry)
	pm.PTL.Unlock()
	PteUnmap(pm)
	if PtePresent(orig) {
		// The old translation may be cached anywhere this mm ran.
		FlushUser(m, va, phys.PageSize)
		if PtePFN(orig) != PtePFN(entry) {
			putPage(PtePFN(orig))
		}
	}
	return true, nil
}

// presentFault finishes a fault on a present PTE that needs no new page: a
// write to a shared file page mapped read-only (wp_page_shared: make it
// writable and dirty) or a spurious fault. Like the tail of Linux's
// handle_pte_fault, it locks the ptl of the table pm points into without
// rechecking the PMD: since the lockless read the table may have been
// retracted. RCU keeps it from being freed, and a retracted table is empty,
// so PteSame fails and the fault retries (the seed email's argument).
// Consumes pm.
func (m *MM) presentFault(pm PTEMap, va uintptr, orig amd64.PTE, write bool) (bool, error) {
	pm.PTL.Lock()
	if bad, ok := m.checkTable(pm, va); !ok {
		pm.PTL.Unlock()
		PteUnmap(pm)
		m.reportViolation(bad)
		return false, nil
	}
	if !PteSame(pm.Load(), orig) {
		if phys.LoadPTE(pm.PMD) != pm.PMDVal {
			m.Stats.Detached.Add(1) // we were holding a retracted table
		}
		pm.PTL.Unlock()
		PteUnmap(pm)
		return false, nil
	}
	if write && !PteWrite(orig) {
		phys.StorePTE(pm.PTE, PteMkDirty(PteMkWrite(orig)))
		m.Stats.WriteProtect.Add(1)
	} else {
		// Present and allowed: another CPU resolved it, or the TLB was
		// stale (a spurious fault).
		m.Stats.Spurious.Add(1)
	}
	pm.PTL.Unlock()
	PteUnmap(pm)
	// Only permissions grew: a stale read-only entry in this CPU's TLB is
	// all that can be left, and other CPUs refault spuriously.
	amd64.Invlpg(va)
	return true, nil
}

func (m *MM) dropNew(pfn uint64) {
	if pfn != 0 {
		phys.Frames.Meta(pfn).Refcount.Store(0)
		phys.Frames.Meta(pfn).Mapcount.Store(0)
		phys.Frames.Free(pfn, 0)
	}
}

// DebugChecks turns on the page-table sanity checks of the fault path
// (DESIGN §12); on by default.
var DebugChecks = true

// Violations counts failed debug checks.
var Violations atomic.Uint64

// violation is what checkTable saw; reported after the locks are dropped.
type violation struct {
	va           uintptr
	table        uint64
	gen, mapped  uint32
	owner        uint32
	level        uint8
	pmdNow, orig amd64.PTE
	cpu          int
}

// checkTable verifies, with the PT lock held, that the table the fault
// path is about to change is still a live page table of this mm: the same
// generation as when PteOffsetMap mapped it, owned by m, level 1. A
// violation means the table was freed (and maybe reused) under a walker:
// the use-after-free that RCU-deferred freeing of retracted tables
// prevents. Whether the PMD still points at the table is not checked here:
// a retracted but live table is legal (PteSame catches it).
func (m *MM) checkTable(pm PTEMap, va uintptr) (violation, bool) {
	if !DebugChecks {
		return violation{}, true
	}
	f := phys.Frames.Meta(pm.Table >> phys.PageShift)
	gen := atomic.LoadUint32(&f.Gen)
	if gen == pm.Gen && f.Owner == m.ID && f.Level == 1 {
		return violation{}, true
	}
	Violations.Add(1)
	return violation{va: va, table: pm.Table, gen: gen, mapped: pm.Gen, owner: f.Owner, level: f.Level,
		pmdNow: phys.LoadPTE(pm.PMD), orig: pm.Load(), cpu: int(amd64.This().ID)}, false
}

// reportViolation logs a failed check with both sides of the story: what
// this CPU was doing, and who freed the table (the retract log). The first
// ReportLimit violations are told in full, then every 100th in one line.
func (m *MM) reportViolation(v violation) {
	n := reported.Add(1)
	if n > ReportLimit {
		if n%100 == 0 {
			fmt.Printf("mm: VIOLATION #%d: CPU %d at %#x in mm %d: PT page %#x freed under the fault (generation %d, mapped at %d)\n",
				n, v.cpu, v.va, m.ID, v.table, v.gen, v.mapped)
		}
		return
	}
	fmt.Printf("mm: VIOLATION: CPU %d faulting at %#x in mm %d used PT page %#x after it was freed:\n", v.cpu, v.va, m.ID, v.table)
	fmt.Printf("mm:   fault side:   mapped the table at generation %d (PteOffsetMap, RCU read side), read origPte, then took the ptl;\n", v.mapped)
	fmt.Printf("mm:                 now the frame has generation %d, owner %d, level %d, the slot reads %#x, the PMD holds %#x\n", v.gen, v.owner, v.level, uint64(v.orig), uint64(v.pmdNow))
	if r, ok := lastRetractOf(v.table); ok {
		fmt.Printf("mm:   retract side: CPU %d retracted it from mm %d at %#x (generation %d), flushed the TLBs and freed it %s, %d µs before this check\n",
			r.cpu, r.mm, r.va, r.gen, r.mode.When(), (nanotime()-r.ns)/1000)
	} else {
		fmt.Printf("mm:   retract side: no retract of this table in the log (freed by another path)\n")
	}
	fmt.Printf("mm:   the fault backs out and retries: it writes nothing into the freed page\n")
}

// ReportLimit is how many violations are reported in full.
const ReportLimit = 5

var reported atomic.Uint64
