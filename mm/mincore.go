// mincore.go: mincore(2), after Linux's mm/mincore.c.

// trapctx: process context only

package mm

import (
	"retract/arch/amd64"
	"retract/mm/phys"
)

// mincoreChunk is how many pages Mincore reports per call of out (one
// page of vector, as Linux's sys_mincore).
const mincoreChunk = phys.PageSize

// Mincore reports which pages of [start, start+length) are resident, one
// byte per page (bit 0 set: resident), like Linux's mincore: it calls out
// with successive pieces of the vector, at most a page's worth at a time,
// without holding MmapLock (out copies to user memory, which may fault),
// and stops at out's first error. A page is resident when a PTE or huge
// PMD maps it (the zero page included) or, in a file mapping, when the
// page cache holds it. An unaligned start is ErrInval; a range beyond
// user space ErrNoMemory; a hole ErrNoMemory, after the pages before it
// were reported. A length of 0 reports nothing. The system-call layer
// checks the vector's address (EFAULT) before calling.
func (m *MM) Mincore(start, length uintptr, out func(vec []byte) error) error {
	if start&(phys.PageSize-1) != 0 {
		return ErrInval
	}
	if start+length < start || start+length > UserEnd {
		return ErrNoMemory
	}
	pages := length >> phys.PageShift
	if length&(phys.PageSize-1) != 0 {
		pages++
	}
	vec := make([]byte, min(pages, mincoreChunk))
	for pages > 0 {
		m.MmapLock.RLock()
		n, err := m.doMincore(start, vec[:min(pages, mincoreChunk)])
		m.MmapLock.RUnlock()
		if err != nil {
			return err
		}
		if err := out(vec[:n]); err != nil {
			return err
		}
		pages -= uintptr(n)
		start += uintptr(n) << phys.PageShift
	}
	return nil
}

// doMincore fills vec for the pages from start that lie in the VMA at
// start (do_mincore) and returns how many it filled: ErrNoMemory if no
// VMA covers start. Preconditions: MmapLock held.
func (m *MM) doMincore(start uintptr, vec []byte) (int, error) {
	v := m.VMAs.Find(start)
	if v == nil {
		return 0, ErrNoMemory
	}
	end := min(v.End, start+uintptr(len(vec))<<phys.PageShift)
	file := vmaFile(v)
	n := 0
	cached := func(va uintptr) byte { // mincore_unmapped_range, mincore_page
		if file != nil {
			if _, ok := file.Cached(v.Pgoff + uint64(va-v.Start)/phys.PageSize); ok {
				return 1
			}
		}
		return 0
	}
	for va := start; va < end; {
		pmd, next := m.pmdWalk(va)
		if next <= va || next > end {
			next = end
		}
		from := n
		if pmd != nil {
			if pv := phys.LoadPTE(pmd); PmdHuge(pv) {
				for ; va < next; va += phys.PageSize {
					vec[n] = 1
					n++
				}
				continue
			}
			if pm, ok := PteOffsetMap(pmd, va); ok {
				t := phys.Table(pm.Table)
				for a := va; a < next; a += phys.PageSize {
					vec[n+int((a-va)>>phys.PageShift)] = 0
					if !PteNone(phys.LoadPTE(&t[amd64.Index(a, 1)])) {
						vec[n+int((a-va)>>phys.PageShift)] = 1
					}
				}
				PteUnmap(pm)
			} else {
				clear(vec[n : n+int((next-va)>>phys.PageShift)])
			}
		} else {
			clear(vec[n : n+int((next-va)>>phys.PageShift)])
		}
		n += int((next - va) >> phys.PageShift)
		// Outside the RCU read side (the cache's lock sleeps): not mapped
		// may still be cached.
		for i := from; i < n; i++ {
			if vec[i] == 0 && file != nil {
				vec[i] = cached(va + uintptr(i-from)<<phys.PageShift)
			}
		}
		va = next
	}
	return n, nil
}
