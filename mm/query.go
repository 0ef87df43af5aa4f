// query.go: questions the process layer asks about an address space:
// the protection at an address (to tell a bad access from a fault to
// resolve) and the resident set size (ps, the OOM killer).

// trapctx: process context only

package mm

import (
	"retract/arch/amd64"
	"retract/mm/phys"
)

// ProtAt returns the protection of the VMA that holds va, and false if
// none does.
func (m *MM) ProtAt(va uintptr) (Prot, bool) {
	m.MmapLock.RLock()
	defer m.MmapLock.RUnlock()
	v := m.VMAs.Find(va)
	if v == nil {
		return 0, false
	}
	return v.Prot, true
}

// RSSPages counts the pages m maps (a huge PMD counts 512), walking its
// page tables under MmapLock (so upper tables stay), PT pages inside
// PteOffsetMap, like every walker (retract may take them meanwhile).
func (m *MM) RSSPages() uint64 {
	m.MmapLock.RLock()
	defer m.MmapLock.RUnlock()
	if m.dead {
		return 0 // Destroy freed the tables
	}
	var n uint64
	l4 := phys.Table(m.PML4)
	for i := 0; i < amd64.PML4KernelFirst; i++ {
		e4 := phys.LoadPTE(&l4[i])
		if !e4.Present() {
			continue
		}
		l3 := phys.Table(e4.Addr())
		for j := range l3 {
			e3 := phys.LoadPTE(&l3[j])
			if !e3.Present() {
				continue
			}
			l2 := phys.Table(e3.Addr())
			for k := range l2 {
				pmd := &l2[k]
				e2 := phys.LoadPTE(pmd)
				switch {
				case !e2.Present():
				case e2.Huge():
					n += HPageNr
				default:
					va := uintptr(i)<<39 | uintptr(j)<<30 | uintptr(k)<<21
					if pm, ok := PteOffsetMap(pmd, va); ok {
						t := phys.Table(pm.Table)
						for x := range t {
							if PtePresent(phys.LoadPTE(&t[x])) {
								n++
							}
						}
						PteUnmap(pm)
					}
				}
			}
		}
	}
	return n
}

// RangeMapped reports whether every page of [start, start+n) is in some
// VMA.
func (m *MM) RangeMapped(start, n uintptr) bool {
	m.MmapLock.RLock()
	defer m.MmapLock.RUnlock()
	return m.VMAs.mapped(start, start+n)
}

// RangeAllows reports whether VMAs map every page of [start, start+n)
// without a hole and each of them allows every access in p — one walk
// under MmapLock, for a system call that checks a buffer before it
// consumes data it could not give back.
func (m *MM) RangeAllows(start, n uintptr, p Prot) bool {
	end := start + n
	if end < start {
		return false
	}
	m.MmapLock.RLock()
	defer m.MmapLock.RUnlock()
	at := start
	for i := m.VMAs.search(start); i < len(m.VMAs.v) && at < end; i++ {
		v := &m.VMAs.v[i]
		if v.Start > at || v.Prot&p != p {
			return false
		}
		at = v.End
	}
	return at >= end
}

// RangeFree reports whether no page of [start, start+n) is in a VMA.
func (m *MM) RangeFree(start, n uintptr) bool {
	m.MmapLock.RLock()
	defer m.MmapLock.RUnlock()
	end := start + n
	if end < start {
		return false
	}
	for _, v := range m.VMAs.All() {
		if v.Start < end && v.End > start {
			return false
		}
	}
	return true
}
