// retract.go: retracting page tables, after Linux's retract_page_tables
// and pte_free_defer (mm/khugepaged.c, mm/pgtable-generic.c, ≥ 6.6).
//
// When a file range has been collapsed into a huge page, the page tables
// that mapped its small pages are useless: retractPageTables detaches them
// from every mm that maps the range — without that mm's mmap_lock, so its
// faults run on meanwhile and may hold pointers into the table they
// mapped with PteOffsetMap (inside an RCU read-side section). Such a
// table is therefore freed only after a grace period (PteFreeDefer);
// freeing it at once (FreeModeNow: the unsafe modes) is the use-after-free
// the 2023 series fixed. Tables detached with mmap_lock held for writing
// (munmap, Destroy) exclude faults and are freed at once (freePageTable).

// trapctx: process context only

package mm

import (
	"sync"
	"sync/atomic"
	"unsafe"

	"retract/arch/amd64"
	"retract/kernel/trace"
	"retract/mm/phys"
	"retract/rcu"
)

// retractPageTables detaches, from every mm that maps page index (2 MiB
// aligned in both the file and the address space), the page table that
// mapped the small pages, like Linux's retract_page_tables: for each
// mapping take the PMD lock and the table's ptl, recheck that the table
// maps nothing (a private mapping may hold anonymous COW pages there: skip
// it), PmdpCollapseFlush, unlock, PteFreeDefer. No mmap_lock is taken: the
// mm's faults run on meanwhile, and may hold pointers into the table. It
// returns the tables it retracted.
func (f *File) retractPageTables(index uint64, id uint32) []Retract {
	f.immapMu.Lock()
	defer f.immapMu.Unlock()
	var out []Retract
	for _, e := range f.immap {
		h, ok := e.vaOf(index)
		if !ok || h&(HPageSize-1) != 0 || h+HPageSize > e.End {
			continue
		}
		if r, ok := e.MM.retractTable(h, nil, id); ok {
			out = append(out, r)
		}
	}
	return out
}

// retractTable is the body of retract_page_tables' loop for the table of
// the 2 MiB at h; with huge set (CollapsePteMappedTHP) the table may map
// pages of that huge page, which are cleared (counted in huge.cleared).
// It reports whether it detached a table, and what became of it. id is
// the collapse's in the trace.
func (m *MM) retractTable(h uintptr, huge *hugeInstall, id uint32) (Retract, bool) {
	pmd := m.pmdIfPresent(h)
	if pmd == nil {
		return Retract{}, false
	}
	m.pmdLock()
	pv := phys.LoadPTE(pmd)
	if !pv.Present() || pv.Huge() {
		m.pmdUnlock()
		return Retract{}, false
	}
	fr := phys.Frames.Meta(pv.Addr() >> phys.PageShift)
	fr.PTL.Lock() // the table's ptl
	trace.PtlLock(pv.Addr())
	t := phys.Table(pv.Addr())
	for i := range t {
		e := phys.LoadPTE(&t[i])
		if PteNone(e) {
			continue
		}
		if huge == nil || !PtePresent(e) || PtePFN(e) != huge.head+uint64(i) {
			trace.PtlUnlock(pv.Addr())
			fr.PTL.Unlock()
			m.pmdUnlock()
			CollapseStat.RetractSkipped.Add(1)
			if huge != nil {
				huge.bad, huge.badPTE = i, e
			}
			return Retract{}, false
		}
	}
	if huge != nil {
		for i := range t {
			if !PteNone(phys.LoadPTE(&t[i])) {
				phys.StorePTE(&t[i], 0)
				huge.cleared++
			}
		}
	}
	trace.PmdClear(id, m.ID, h, pv.Addr())
	m.PmdpCollapseFlush(pmd, h)
	// A truncate may have shrunk the file past the huge page since it was
	// found; the size is rechecked under the PMD lock (see Truncate).
	if huge != nil && huge.install && !huge.file.beyondEOF(huge.pgoff+HPageNr-1) {
		phys.Frames.Meta(huge.head).Mapcount.Add(1) // the reference becomes the mapping's
		phys.StorePTE(pmd, PfnPMD(huge.head, huge.prot)|amd64.PTEAccessed)
		huge.installed = true
	}
	gen := atomic.LoadUint32(&fr.Gen)
	delay(DelayRetractAfterPmdClear)
	trace.PtlUnlock(pv.Addr())
	fr.PTL.Unlock()
	m.pmdUnlock()
	logRetract(pv.Addr(), m.ID, h, gen)
	CollapseStat.Retracted.Add(1)
	m.acct.ptPages.Add(-1) // UserTables drops when the table is freed
	mode, gp := PteFreeDefer(pv.Addr())
	trace.PteFreeDefer(id, pv.Addr(), gp, uint8(mode))
	return Retract{MM: m.ID, VA: h, Table: pv.Addr(), Mode: mode, GP: gp}, true
}

// hugeInstall is CollapsePteMappedTHP's part of retractTable.
type hugeInstall struct {
	head               uint64
	prot               Prot
	install, installed bool
	cleared            int
	bad                int       // the PTE that stopped the retract (-1: none)
	badPTE             amd64.PTE // what it held
	file               *File     // the file and the page offset of head
	pgoff              uint64    // (for the size check before install)
}

// RetractUnsafe makes PteFreeDefer poison and free a retracted table right
// after the TLB flush instead of after a grace period: the use-after-free
// that the 2023 series fixed (`retract unsafe on`). RCU's own unsafe mode
// (rcu=unsafe) has the same effect; FreeModeNow says which applies.
var RetractUnsafe atomic.Bool

// FreeMode is how PteFreeDefer frees a retracted page table. It is the one
// answer every header, statistic and report gives (FreeModeNow); each
// retract records the mode it freed in.
type FreeMode uint8

const (
	// FreeAfterGP: after an RCU grace period (pte_free_defer) — the fix.
	FreeAfterGP FreeMode = iota
	// FreeAtOnceRetract: poisoned and freed right after the TLB flush,
	// because of retract's own switch (`retract unsafe on`) — the bug.
	FreeAtOnceRetract
	// FreeAtOnceRCU: the same, because RCU itself runs without grace
	// periods (booted with rcu=unsafe, or `rcu mode unsafe`).
	FreeAtOnceRCU
)

// FreeModeNow returns the mode PteFreeDefer uses right now.
func FreeModeNow() FreeMode {
	switch {
	case RetractUnsafe.Load():
		return FreeAtOnceRetract
	case rcu.CurrentMode() == rcu.ModeUnsafe:
		return FreeAtOnceRCU
	}
	return FreeAfterGP
}

// Unsafe reports whether tables are freed without a grace period.
func (f FreeMode) Unsafe() bool { return f != FreeAfterGP }

// String says what the mode does, in one phrase.
func (f FreeMode) String() string {
	switch f {
	case FreeAtOnceRetract:
		return "UNSAFE: retracted tables are poisoned and freed right after the TLB flush (retract unsafe on): pte_free_defer skips the grace period"
	case FreeAtOnceRCU:
		return "UNSAFE: retracted tables are poisoned and freed right after the TLB flush (RCU runs without grace periods: rcu=unsafe): pte_free_defer skips the grace period"
	}
	return "RCU: retracted tables are freed after a grace period (pte_free_defer)"
}

// When says when a table freed in this mode was freed, for reports.
func (f FreeMode) When() string {
	switch f {
	case FreeAtOnceRetract:
		return "at once (retract unsafe on: no grace period)"
	case FreeAtOnceRCU:
		return "at once (rcu=unsafe: RCU runs without grace periods)"
	}
	return "after an RCU grace period"
}

// PmdpCollapseFlush clears the PMD of the 2 MiB at h and flushes the TLBs
// (and paging-structure caches) of every CPU that may have cached it, like
// Linux's pmdp_collapse_flush. It returns the old entry.
// Preconditions: the PMD lock (pageTableLock) held.
func (m *MM) PmdpCollapseFlush(pmd *amd64.PTE, h uintptr) amd64.PTE {
	m.pageTableLock.AssertHeld()
	old := phys.LoadPTE(pmd)
	phys.StorePTE(pmd, 0)
	FlushUser(m, h, HPageSize)
	return old
}

// ptFree is the RCU callback's carrier for PteFreeDefer. Linux embeds
// the rcu_head in struct ptdesc; frame metadata here holds no Go pointers,
// so the heads live in a Go array with one per frame (ptHeads), allocated
// once: deferring a free needs no allocation and cannot fail (invariant
// I22). A frame's head is in use only between its retract and its free.
type ptFree struct {
	head rcu.Head // first: the callback converts *rcu.Head back
	pa   uint64
}

var (
	ptHeadsOnce sync.Once
	ptHeads     []ptFree
)

// PoisonPTE is what an unsafe retract fills a freed table with.
const PoisonPTE amd64.PTE = 0x6b6b6b6b6b6b6b6b

// PteFreeDefer frees a retracted page table after an RCU grace period,
// like Linux's pte_free_defer: every fault that mapped it with
// PteOffsetMap has left its read-side section by then. In an unsafe mode
// (FreeModeNow) it poisons and frees the table at once. It returns the
// mode it freed in and, after a grace period, that grace period's number.
func PteFreeDefer(pa uint64) (mode FreeMode, gp uint64) {
	if mode = FreeModeNow(); mode.Unsafe() {
		t := phys.Table(pa)
		for i := range t {
			phys.StorePTE(&t[i], PoisonPTE)
		}
		CollapseStat.FreedUnsafe.Add(1)
		freePageTable(pa)
		return mode, 0
	}
	ptHeadsOnce.Do(func() { ptHeads = make([]ptFree, phys.Frames.NumFrames()) })
	p := &ptHeads[pa>>phys.PageShift]
	p.pa = pa
	CollapseStat.PendingFree.Add(1)
	gp = rcu.Call(&p.head, func(h *rcu.Head) {
		p := (*ptFree)(unsafe.Pointer(h))
		freePageTable(p.pa)
		trace.PteFree(p.pa)
		CollapseStat.PendingFree.Add(-1)
		CollapseStat.FreedRCU.Add(1)
	})
	return mode, gp
}

// freePageTable frees a PT page that is no longer reachable from any PMD
// and no longer cached by any CPU's paging-structure caches, and that no
// lockless walker can hold: a table detached under MmapLock for writing
// (faults excluded). A table retracted without it goes through
// PteFreeDefer (collapse.go), which ends here after a grace period.
func freePageTable(pa uint64) {
	phys.Frames.Free(pa>>phys.PageShift, 0)
	UserTables.Add(-1)
}
