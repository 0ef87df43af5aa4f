// walk.go: finding and making the page tables of a user address.
//
//	PML4[va 47:39] -> PDPT[38:30] -> PD[29:21] (the "PMD") -> PT[20:12] (the PTEs)
//
// Upper levels are installed under pageTableLock and never removed while the
// MM lives. A PT page is different: khugepaged's retract detaches it from
// its PMD without mmap_lock (the khugepaged issue), which is why a walker
// reaches PTEs only through PteOffsetMap, inside an RCU read-side section,
// and revalidates under the PT's lock.

// trapctx: process context only

package mm

import (
	"sync/atomic"

	"retract/arch/amd64"
	"retract/kernel/trace"
	"retract/mm/phys"
	"retract/rcu"
)

const tableFlags = amd64.PTEPresent | amd64.PTEWrite | amd64.PTEUser

// pmdAllocUpper returns the PMD that covers va, allocating the PDPT and PD
// on the way but not a PT (the fault path may install a huge PMD instead).
// PD pages live as long as the MM, so the pointer stays valid.
func (m *MM) pmdAllocUpper(va uintptr) (*amd64.PTE, error) {
	e := &phys.Table(m.PML4)[amd64.Index(va, 4)]
	for level := 3; level >= 2; level-- {
		if !phys.LoadPTE(e).Present() {
			if err := m.install(e, level); err != nil {
				return nil, err
			}
		}
		e = &phys.Table(phys.LoadPTE(e).Addr())[amd64.Index(va, level)]
	}
	return e, nil
}

// pmdIfPresent returns the PMD of va if the upper levels exist.
func (m *MM) pmdIfPresent(va uintptr) *amd64.PTE {
	e := &phys.Table(m.PML4)[amd64.Index(va, 4)]
	for level := 3; level >= 2; level-- {
		v := phys.LoadPTE(e)
		if !v.Present() {
			return nil
		}
		e = &phys.Table(v.Addr())[amd64.Index(va, level)]
	}
	return e
}

// pmdWalk returns the PMD entry that covers va, or nil if an upper level
// is missing, and the address where the next one starts (past the whole
// missing 512 GiB or 1 GiB when a level is absent): walkers of large
// ranges skip what was never mapped. next is 0 past the top.
func (m *MM) pmdWalk(va uintptr) (pmd *amd64.PTE, next uintptr) {
	e := phys.LoadPTE(&phys.Table(m.PML4)[amd64.Index(va, 4)])
	if !e.Present() {
		return nil, (va | (amd64.PML4ESpan - 1)) + 1
	}
	e = phys.LoadPTE(&phys.Table(e.Addr())[amd64.Index(va, 3)])
	if !e.Present() {
		return nil, (va | (amd64.PDPTESpan - 1)) + 1
	}
	return &phys.Table(e.Addr())[amd64.Index(va, 2)], (va | (amd64.PDESpan - 1)) + 1
}

// install puts a new zeroed table of the given level into the empty entry
// e, unless another CPU did first (then the new page is freed). For a PT
// the check-and-store under pageTableLock (the PMD lock) is what makes it
// exclusive with a huge PMD being installed or a table being retracted.
func (m *MM) install(e *amd64.PTE, level int) error {
	pa, ok := allocUserTable()
	if !ok {
		return ErrNoMemory
	}
	tablePage(pa, m.ID, uint8(level))
	m.pmdLock()
	if phys.LoadPTE(e) == 0 {
		phys.StorePTE(e, amd64.MakePTE(pa, tableFlags))
		m.addTables(1)
		pa = 0
	}
	m.pmdUnlock()
	if pa != 0 {
		phys.Frames.Free(pa>>phys.PageShift, 0)
	}
	return nil
}

// PTEMap is a mapped PTE: where it is, the PMD value it was reached
// through, and the table's lock. Valid until PteUnmap.
type PTEMap struct {
	PTE    *amd64.PTE
	PMD    *amd64.PTE
	PMDVal amd64.PTE
	PTL    *amd64.SpinLock
	Table  uint64 // physical address of the PT page
	Gen    uint32 // its generation when mapped (debug check)
}

// PteOffsetMap maps the PTE of va under pmd, like Linux's
// pte_offset_map(_nolock): it enters an RCU read-side section (the PT page
// cannot be freed while it lasts, even if retract detaches it), re-reads
// the PMD locklessly and fails if it is empty or huge — the caller then
// retries from the PMD. On success the caller must call PteUnmap.
//
// The table's generation is read between two reads of the PMD: the second
// read proves the table was still installed — alive, with that generation
// — after the generation was read. From then on RCU keeps it from being
// freed; if it is freed anyway (rcu=unsafe), the generation changes and
// checkTable notices.
func PteOffsetMap(pmd *amd64.PTE, va uintptr) (PTEMap, bool) {
	rcu.ReadLock()
	v := phys.LoadPTE(pmd)
	if !v.Present() || v.Huge() {
		rcu.ReadUnlock()
		return PTEMap{}, false
	}
	if PmdBad(v) {
		// Not a pointer to a page table (pmd_bad): a kernel bug. Linux
		// clears such an entry; here it is reported and left alone.
		rcu.ReadUnlock()
		badPMD(pmd, v)
		return PTEMap{}, false
	}
	f := phys.Frames.Meta(v.Addr() >> phys.PageShift)
	gen := atomic.LoadUint32(&f.Gen)
	if phys.LoadPTE(pmd) != v {
		rcu.ReadUnlock()
		return PTEMap{}, false
	}
	trace.PteMap(va, v.Addr(), uint64(v))
	return PTEMap{
		PTE:    &phys.Table(v.Addr())[amd64.Index(va, 1)],
		PMD:    pmd,
		PMDVal: v,
		PTL:    &f.PTL,
		Table:  v.Addr(),
		Gen:    gen,
	}, true
}

// PteUnmap ends what PteOffsetMap began.
func PteUnmap(pm PTEMap) {
	trace.PteUnmap()
	rcu.ReadUnlock()
}

// lock takes the table's ptl (spin_lock(ptl)), traced.
func (pm PTEMap) lock() {
	pm.PTL.Lock()
	trace.PtlLock(pm.Table)
}

// unlock releases it.
func (pm PTEMap) unlock() {
	trace.PtlUnlock(pm.Table)
	pm.PTL.Unlock()
}

// PteOffsetMapLock maps and locks the PTE of va, like Linux's
// pte_offset_map_lock: after taking the PT's lock it checks that the PMD
// still points at the same table (pmd_same), else it unlocks and fails.
func PteOffsetMapLock(pmd *amd64.PTE, va uintptr) (PTEMap, bool) {
	pm, ok := PteOffsetMap(pmd, va)
	if !ok {
		return pm, false
	}
	pm.lock()
	if phys.LoadPTE(pmd) != pm.PMDVal {
		pm.unlock()
		PteUnmap(pm)
		return PTEMap{}, false
	}
	return pm, true
}

// Load reads the PTE atomically (the MMU may be setting A/D bits).
func (pm PTEMap) Load() amd64.PTE { return phys.LoadPTE(pm.PTE) }

// Walk returns the entries that map va in m, level by level (PML4 first),
// and the tables they are in, without allocating, for `pt walk`. The last
// level, a PT that retract may detach at any moment, is read like any
// other walker reads it: inside PteOffsetMap's RCU read-side section.
func (m *MM) Walk(va uintptr) (entries [4]amd64.PTE, tables [4]uint64) {
	pa := m.PML4
	for level := 4; level >= 2; level-- {
		tables[4-level] = pa
		e := &phys.Table(pa)[amd64.Index(va, level)]
		v := phys.LoadPTE(e)
		entries[4-level] = v
		if !v.Present() || level == 2 && v.Huge() {
			return
		}
		if level == 2 {
			pm, ok := PteOffsetMap(e, va)
			if !ok {
				return // retracted or made huge meanwhile: the PMD as read
			}
			tables[3], entries[3] = pm.Table, pm.Load()
			PteUnmap(pm)
			return
		}
		pa = v.Addr()
	}
	return
}

// Mapping is one present leaf of a user page table, for `pt dump`: a PTE,
// or a huge PMD (PTE.Huge()) that maps 2 MiB from VA.
type Mapping struct {
	VA  uintptr
	PTE amd64.PTE
}

// Dump lists the present PTEs of [start, end), at most max of them.
func (m *MM) Dump(start, end uintptr, max int) []Mapping {
	var out []Mapping
	for va := start &^ (phys.PageSize - 1); va < end && len(out) < max; {
		// Skip whole 512 GiB and 1 GiB regions whose tables are absent.
		if l4 := phys.LoadPTE(&phys.Table(m.PML4)[amd64.Index(va, 4)]); !l4.Present() {
			va = (va | (amd64.PML4ESpan - 1)) + 1
			continue
		} else if l3 := phys.LoadPTE(&phys.Table(l4.Addr())[amd64.Index(va, 3)]); !l3.Present() {
			va = (va | (amd64.PDPTESpan - 1)) + 1
			continue
		}
		pmd := m.pmdIfPresent(va)
		next := (va | (amd64.PDESpan - 1)) + 1
		if pmd != nil && PmdHuge(phys.LoadPTE(pmd)) {
			out = append(out, Mapping{va &^ (amd64.PDESpan - 1), phys.LoadPTE(pmd)})
		} else if pmd != nil {
			if pm, ok := PteOffsetMap(pmd, va); ok {
				for a := va; a < next && a < end && len(out) < max; a += phys.PageSize {
					if e := phys.LoadPTE(&phys.Table(pm.Table)[amd64.Index(a, 1)]); !PteNone(e) {
						out = append(out, Mapping{a, e})
					}
				}
				PteUnmap(pm)
			}
		}
		if next < va {
			break
		}
		va = next
	}
	return out
}
