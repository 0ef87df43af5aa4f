// fault.go: the page-fault handler of user address spaces, after Linux's
// mm/memory.c. It runs in process context, on the faulting goroutine.
//
//	HandleMMFault          handle_mm_fault: mmap_lock (read), the VMA, retries
//	  handlePTEFault       __handle_mm_fault + handle_pte_fault, one attempt:
//	    PMD none           createHugePMD (huge.go) or a new PT
//	    PMD huge           hugePMDFault (huge.go)
//	    PteOffsetMap       RCU read side; orig = lockless read of the PTE
//	    [delay point fault.after_pte_offset_map]
//	    PTE none           doAnonymousPage, or for a file doReadFault,
//	                       doCowFault, doSharedFault (the first and the
//	                       last map cached neighbours too: faultAround)
//	    write, read-only   doWpPage: wpPageShared (shared file), reuse (an
//	                       anonymous page only this mapping uses), or
//	                       wpPageCopy (copy on write)
//	    otherwise          spurious
//	  finishFault          finish_fault: PteOffsetMapLock (pmd_same),
//	                       check the table, PteSame, set the PTE
//
// Two ways to the PT lock. The paths that allocate a page drop the mapping
// (PteUnmap) first and take it again with PteOffsetMapLock, which checks
// that the PMD still points at the same table. The paths that need no page
// (wpPageShared, spurious) lock the table they already hold, with no PMD
// check: since the lockless read the table may have been retracted. RCU
// keeps it from being freed, and a retracted table is empty, so PteSame
// fails and the fault retries — the seed email's argument.

// trapctx: process context only

package mm

import (
	"errors"

	"retract/arch/amd64"
	"retract/kernel/trace"
	"retract/mm/phys"
)

// ErrFault is the EFAULT of the fault path: no VMA at the address
// (SIGSEGV with SEGV_MAPERR from ring 3). ErrAccErr and ErrSigbus (errno.go)
// are EFAULTs too: errors.Is(err, ErrFault) holds for all three.
var ErrFault = errors.New("mm: bad address (EFAULT)")

// FaultFlags say what a faulting access was (Linux's FAULT_FLAG_* and
// x86's error code bits).
type FaultFlags uint8

// Fault flags.
const (
	FaultWrite       FaultFlags = 1 << iota // a write (error code W/R)
	FaultInstruction                        // an instruction fetch (error code I/D)
)

// HandleMMFault resolves a fault at va (write or read) in m, like Linux's
// handle_mm_fault (see HandleMMFaultFlags).
func (m *MM) HandleMMFault(va uintptr, write bool) error {
	var fl FaultFlags
	if write {
		fl = FaultWrite
	}
	return m.HandleMMFaultFlags(va, fl)
}

// HandleMMFaultFlags resolves a fault at va in m, like Linux's
// handle_mm_fault after x86's access_error: it returns ErrFault when no
// VMA covers va, ErrAccErr when the VMA does not allow the access (a
// write without PROT_WRITE, an instruction fetch without PROT_EXEC,
// anything in PROT_NONE), ErrSigbus beyond the end of a mapped file, and
// ErrNoMemory when no frame is left for the page.
func (m *MM) HandleMMFaultFlags(va uintptr, flags FaultFlags) error {
	m.Stats.Faults.Add(1)
	id := trace.NewID(trace.ClassFault)
	write := flags&FaultWrite != 0
	trace.FaultBegin(id, va, write, m.ID)
	err := m.handleMMFault(id, va, flags)
	switch {
	case err == nil:
		trace.FaultEnd(id, va, m.Stats.LastPath.Load(), 0)
	case errors.Is(err, ErrFault):
		trace.FaultEnd(id, va, 0, 1)
	default:
		trace.FaultEnd(id, va, 0, 2)
	}
	return err
}

// handleMMFault is HandleMMFaultFlags under mmap_lock; id names the fault
// in the trace.
func (m *MM) handleMMFault(id uint32, va uintptr, flags FaultFlags) error {
	write := flags&FaultWrite != 0
	m.MmapLock.RLock()
	defer m.MmapLock.RUnlock()
	v := m.VMAs.Find(va)
	switch {
	case v == nil:
		m.Stats.EFAULT.Add(1)
		return ErrFault
	case v.Prot == ProtNone || write && v.Prot&ProtWrite == 0 || flags&FaultInstruction != 0 && v.Prot&ProtExec == 0:
		m.Stats.EFAULT.Add(1)
		return ErrAccErr
	}
	for {
		done, err := m.handlePTEFault(id, v, va&^(phys.PageSize-1), write)
		if errors.Is(err, ErrSigbus) {
			m.Stats.SIGBUS.Add(1)
		}
		if err != nil || done {
			return err
		}
		m.Stats.Retries.Add(1)
	}
}

// fault is one attempt at a fault at one page (Linux's struct vm_fault).
type fault struct {
	id     uint32 // the fault's trace id
	m      *MM
	v      *VMA
	va     uintptr // page aligned
	write  bool
	pmd    *amd64.PTE
	pm     PTEMap    // from PteOffsetMap; valid until PteUnmap
	orig   amd64.PTE // the PTE as read locklessly (orig_pte)
	file   *File     // the VMA's file, nil if anonymous
	shared bool      // MAP_SHARED
	pgoff  uint64    // the page's offset in the file
	path   FaultPath // the handler that resolves it
}

// handlePTEFault is one attempt (like __handle_mm_fault and
// handle_pte_fault); done=false asks for a retry (the PTE changed under
// us, or the PMD went away), which it records in the trace under id.
func (m *MM) handlePTEFault(id uint32, v *VMA, va uintptr, write bool) (done bool, err error) {
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
		done, err := m.hugePMDFault(v, va, pmd, pv, write)
		if !done && err == nil {
			trace.FaultRetry(id, va, uint64(pv), 0, trace.RetryPmdChanged)
		}
		return done, err
	}
	pm, ok := PteOffsetMap(pmd, va)
	if !ok {
		trace.FaultRetry(id, va, 0, 0, trace.RetryPmdChanged)
		return false, nil // the PMD changed: retract or a huge PMD raced us
	}
	// On the stack: a fault allocates nothing on the Go heap (a heap
	// allocation per fault made the garbage collector charge its work to
	// faulting threads, a stall of milliseconds every few hundred faults).
	f := &fault{id: id, m: m, v: v, va: va, write: write, pmd: pmd, pm: pm, orig: pm.Load()}
	f.file, _ = v.File.(*File)
	f.shared = v.Flags&VMShared != 0
	f.pgoff = v.Pgoff + uint64(va-v.Start)/phys.PageSize
	delay(DelayFaultAfterPteOffsetMap)

	switch {
	case PteNone(f.orig):
		PteUnmap(pm) // the paths below allocate, which may sleep
		switch {
		case f.file == nil:
			return f.doAnonymousPage()
		case !write:
			return f.doReadFault()
		case !f.shared:
			return f.doCowFault()
		}
		return f.doSharedFault()
	case write && !PteWrite(f.orig):
		return f.doWpPage()
	}
	// Present and allowed: another CPU resolved it, or the TLB was stale
	// (a spurious fault).
	f.path = PathSpurious
	return f.lockHeld()
}

// doAnonymousPage maps a page of anonymous memory where there was none,
// like do_anonymous_page: a read gets the shared zero page, read-only; a
// write gets a new zeroed page.
func (f *fault) doAnonymousPage() (bool, error) {
	if !f.write {
		f.m.Stats.ZeroPage.Add(1)
		f.path = PathZeroPage
		return f.finishFault(PfnPTE(ZeroPFN(), f.v.Prot.readOnly()), 0, false)
	}
	pfn, err := newAnonPage(0)
	if err != nil {
		return false, err
	}
	f.m.Stats.AnonNew.Add(1)
	f.path = PathAnonymousPage
	return f.finishFault(PfnPTE(pfn, f.v.Prot), pfn, true)
}

// doReadFault maps the page-cache page on a read, like do_read_fault —
// with its cached neighbours if it is cached itself (faultAround) —
// read-only in every mapping — a private one must copy on the first
// write, and a shared one's first write marks the PTE dirty
// (wpPageShared), like a filesystem that tracks dirty pages.
func (f *fault) doReadFault() (bool, error) {
	f.path = PathReadFault
	if f.faultAround(false) {
		return true, nil
	}
	pfn, err := f.findPage()
	if err != nil {
		return false, err
	}
	f.m.Stats.FilePage.Add(1)
	f.path = PathReadFault
	return f.finishFault(PfnPTE(pfn, f.v.Prot.readOnly()), pfn, false)
}

// doSharedFault maps the page-cache page writable and dirty on a write
// to a shared mapping, like do_shared_fault, and its cached neighbours
// writable and clean if it is cached itself (faultAround: Linux faults
// around on reads only; faultaround.go says why here both).
func (f *fault) doSharedFault() (bool, error) {
	f.path = PathSharedFault
	if f.faultAround(true) {
		return true, nil
	}
	pfn, err := f.findPage()
	if err != nil {
		return false, err
	}
	f.m.Stats.FilePage.Add(1)
	f.path = PathSharedFault
	return f.finishFault(PteMkDirty(PfnPTE(pfn, f.v.Prot)), pfn, false)
}

// doCowFault copies the page-cache page into a new anonymous page on a
// write to a private mapping, like do_cow_fault.
func (f *fault) doCowFault() (bool, error) {
	src, err := f.file.FindPage(f.pgoff)
	if err != nil {
		return false, err
	}
	pfn, err := newAnonPage(src)
	putPage(src) // FindPage's reference: the copy is made (or failed)
	if err != nil {
		return false, err
	}
	f.m.Stats.AnonNew.Add(1)
	f.path = PathCowFault
	return f.finishFault(PfnPTE(pfn, f.v.Prot), pfn, true)
}

// doWpPage handles a write to a present read-only PTE, like do_wp_page:
// a shared file page becomes writable in place (wpPageShared); an
// anonymous page that only this mapping uses — refcount and mapcount 1,
// not a piece of a huge page (wp_can_reuse_anon_folio) — is reused,
// made writable where it is; anything else — the zero page, a private
// file page, an anonymous page still shared with another mm after fork,
// a 4 KiB piece of a split shared huge page — is copied (wpPageCopy),
// with a reference held on the old page meanwhile (another mm may drop
// its last mapping of it while we copy).
func (f *fault) doWpPage() (bool, error) {
	if f.file != nil && f.shared {
		return f.wpPageShared()
	}
	pfn := PtePFN(f.orig)
	if pfn == zeroPFN {
		PteUnmap(f.pm)
		return f.wpPageCopy(0)
	}
	if !f.lockOrig() {
		return false, nil
	}
	pm := f.pm
	head, order := phys.Frames.Head(pfn)
	if order == 0 && exclusiveAnon(head) {
		phys.StorePTE(pm.PTE, PteMkDirty(PteMkWrite(f.orig)))
		pm.unlock()
		PteUnmap(pm)
		amd64.Invlpg(f.va) // only permissions grew (see lockHeld)
		f.m.Stats.CowReuse.Add(1)
		return true, nil
	}
	phys.Frames.Meta(head).Refcount.Add(1) // folio_get: the page stays while we copy it
	pm.unlock()
	PteUnmap(pm)
	done, err := f.wpPageCopy(pfn)
	putPage(pfn)
	return done, err
}

// wpPageShared makes a read-only shared file PTE writable and dirty, like
// wp_page_shared, under the lock of the table it already holds (see the
// file comment: the seed email's path).
func (f *fault) wpPageShared() (bool, error) {
	f.path = PathWpPageShared
	return f.lockHeld()
}

// wpPageCopy replaces a read-only PTE by a private, writable copy of page
// src (0: the zero page, a zeroed page), like wp_page_copy. The caller
// holds a reference on src.
func (f *fault) wpPageCopy(src uint64) (bool, error) {
	pfn, err := newAnonPage(src)
	if err != nil {
		return false, err
	}
	f.m.Stats.WriteProtect.Add(1)
	f.path = PathWpPageCopy
	if src != 0 && phys.Frames.KindOf(src) == phys.KindAnon {
		f.m.Stats.CowCopy.Add(1)
	}
	return f.finishFault(PfnPTE(pfn, f.v.Prot), pfn, true)
}

// findPage returns the page-cache page of the fault with a reference for
// the mapping about to be made, counted as mapped.
func (f *fault) findPage() (uint64, error) {
	pfn, err := f.file.FindPage(f.pgoff) // takes a reference: the mapping's
	if err != nil {
		return 0, err
	}
	head, _ := phys.Frames.Head(pfn)
	phys.Frames.Meta(head).Mapcount.Add(1)
	delaySleep(DelayFaultAfterFindPage)
	return pfn, nil
}

// newAnonPage allocates a private page, zeroed or a copy of frame src,
// mapped once.
func newAnonPage(src uint64) (uint64, error) {
	pfn, ok := allocUserPage(0, phys.KindAnon)
	if !ok {
		return 0, ErrNoMemory
	}
	dst := (*[phys.PageSize]byte)(phys.Page(pfn))
	if src == 0 {
		clear(dst[:])
	} else {
		copy(dst[:], (*[phys.PageSize]byte)(phys.Page(src))[:])
	}
	fr := phys.Frames.Meta(pfn)
	fr.Refcount.Store(1)
	fr.Mapcount.Store(1)
	return pfn, nil
}

// finishFault installs entry, like finish_fault: it maps the table again
// and locks it (PteOffsetMapLock checks the PMD still points at it),
// makes the debug check, and sets the PTE if it is still what the
// lockless read saw (PteSame) — else it undoes and asks for a retry. ref
// is the page entry maps, with a reference and a mapping taken for it
// (0 for the zero page); fresh says it is a new private page (freed on
// undo) rather than a shared one (its mapping dropped).
func (f *fault) finishFault(entry amd64.PTE, ref uint64, fresh bool) (bool, error) {
	undo := func() {
		switch {
		case fresh:
			freeNewPage(ref)
		case ref != 0:
			dropMapping(ref)
		}
	}
	pm, ok := PteOffsetMapLock(f.pmd, f.va)
	if !ok {
		undo()
		// The PMD no longer points at the table the lockless read used
		// (pmd_same failed). This fault holds mmap_lock for reading, so
		// no munmap or anonymous collapse detached it: a file collapse
		// retracted it (and may have put a huge PMD there) — the seed
		// email's race, caught by the recheck. Counted with the retries
		// of lockHeld.
		f.m.Stats.RetractedRetries.Add(1)
		RetractedRetries.Add(1)
		trace.FaultRetry(f.id, f.va, uint64(f.orig), f.pm.Table, trace.RetryRetracted)
		return false, nil
	}
	if bad, ok := f.m.checkTable(pm, f.va); !ok {
		pm.unlock()
		PteUnmap(pm)
		undo()
		f.m.reportViolation(bad)
		trace.FaultRetry(f.id, f.va, uint64(f.orig), pm.Table, trace.RetryViolation)
		return false, nil
	}
	if changed := !PteSame(pm.Load(), f.orig); changed || !fresh && ref != 0 && f.file.Collapsing(f.pgoff) ||
		f.file != nil && f.file.beyondEOF(f.pgoff) {
		// Someone changed the PTE since the lockless read, or a collapse
		// of this file range began after we found the small page (it
		// unmaps under this same lock, so we see its mark here), or a
		// truncate shrank the file past the page (its unmap walk takes
		// this lock after it set the size: File.Truncate). The retry
		// finds the range busy, or the page gone (SIGBUS).
		pm.unlock()
		PteUnmap(pm)
		undo()
		why := trace.RetryCollapsing
		if changed {
			why = trace.RetryPteChanged
		}
		trace.FaultRetry(f.id, f.va, uint64(f.orig), pm.Table, why)
		return false, nil
	}
	phys.StorePTE(pm.PTE, entry)
	pm.unlock()
	PteUnmap(pm)
	f.m.setLastPath(f.path)
	newCls := rssClass(PtePFN(entry), f.file)
	if PtePresent(f.orig) && PtePFN(f.orig) != PtePFN(entry) {
		// A page replaces another (copy on write): the counters move
		// only if the class changes, the old one's first (no peak that
		// never was).
		if oldCls := rssClass(PtePFN(f.orig), f.file); oldCls != newCls {
			f.m.addRSS(oldCls, -1)
			f.m.addRSS(newCls, 1)
		}
		// The old translation may be cached anywhere this mm ran.
		FlushUser(f.m, f.va, phys.PageSize)
		dropMapping(PtePFN(f.orig))
	} else {
		f.m.addRSS(newCls, 1)
		if PtePresent(f.orig) {
			FlushUser(f.m, f.va, phys.PageSize)
		}
	}
	return true, nil
}

// lockHeld finishes a fault on a present PTE that needs no new page —
// f.path says which: a spurious fault (nothing to change) or
// wpPageShared (make it writable and dirty) — like the tail of Linux's
// handle_pte_fault: it locks the ptl of the table f.pm points into,
// without rechecking the PMD — the table may have been retracted since
// the lockless read. RCU keeps it from being freed, and a retracted table
// is empty, so PteSame fails and the fault retries (Stats.RetractedRetries
// counts those). Consumes f.pm.
func (f *fault) lockHeld() (bool, error) {
	if !f.lockOrig() {
		return false, nil
	}
	pm := f.pm
	switch f.path {
	case PathWpPageShared:
		phys.StorePTE(pm.PTE, PteMkDirty(PteMkWrite(f.orig)))
		f.m.Stats.WriteProtect.Add(1)
	default: // PathSpurious
		f.m.Stats.Spurious.Add(1)
	}
	pm.unlock()
	PteUnmap(pm)
	f.m.setLastPath(f.path)
	// Only permissions grew: a stale read-only entry in this CPU's TLB is
	// all that can be left, and other CPUs refault spuriously.
	amd64.Invlpg(f.va)
	return true, nil
}

// lockOrig takes the ptl of the table f.pm points into, through the
// pointer the fault holds (no PMD re-check: the table may have been
// retracted), makes the debug check and checks the PTE still holds
// f.orig (PteSame). On success the ptl is held; on failure f.pm is
// consumed (unlocked and unmapped) and the fault must retry — a retracted
// table fails PteSame, being empty (Stats.RetractedRetries).
func (f *fault) lockOrig() bool {
	pm := f.pm
	delay(DelayFaultBeforePteLock)
	pm.lock()
	if bad, ok := f.m.checkTable(pm, f.va); !ok {
		pm.unlock()
		PteUnmap(pm)
		f.m.reportViolation(bad)
		trace.FaultRetry(f.id, f.va, uint64(f.orig), pm.Table, trace.RetryViolation)
		return false
	}
	if !PteSame(pm.Load(), f.orig) {
		why := trace.RetryPteChanged
		if phys.LoadPTE(pm.PMD) != pm.PMDVal {
			f.m.Stats.RetractedRetries.Add(1) // we were holding a retracted table
			RetractedRetries.Add(1)
			why = trace.RetryRetracted
		}
		pm.unlock()
		PteUnmap(pm)
		trace.FaultRetry(f.id, f.va, uint64(f.orig), pm.Table, why)
		return false
	}
	return true
}

// setLastPath records the path of the fault just resolved, writing only
// when it changed: faults of one kind in a row (every anonymous fault of
// a loop) then only read the shared word, which stays in every CPU's
// cache.
func (m *MM) setLastPath(p FaultPath) {
	if m.Stats.LastPath.Load() != uint32(p) {
		m.Stats.LastPath.Store(uint32(p))
	}
}

// freeNewPage frees a private page that was never mapped.
func freeNewPage(pfn uint64) {
	if pfn != 0 {
		phys.Frames.Meta(pfn).Refcount.Store(0)
		phys.Frames.Meta(pfn).Mapcount.Store(0)
		phys.Frames.Free(pfn, 0)
	}
}
