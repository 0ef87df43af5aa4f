// futexkey.go: what a futex word is, for the futex hash of package proc:
// the physical address behind a shared mapping (so that processes that
// share the memory share the futex, like Linux's get_futex_key for shared
// mappings), else nothing (the key is then the mm and the address).

// trapctx: process context only

package mm

import (
	"retract/arch/amd64"
	"retract/mm/phys"
)

// SharedPhys returns the physical address of va if va lies in a shared
// mapping and its page is present; shared is false for private memory.
// The caller has touched the word (faulted it in) just before.
func (m *MM) SharedPhys(va uintptr) (pa uint64, shared, ok bool) {
	m.MmapLock.RLock()
	defer m.MmapLock.RUnlock()
	v := m.VMAs.Find(va)
	if v == nil {
		return 0, false, false
	}
	if v.Flags&VMShared == 0 {
		return 0, false, true
	}
	e, _ := m.Walk(va)
	switch {
	case e[2].Present() && e[2].Huge():
		return e[2].Addr() + uint64(va&(amd64.PDESpan-1)), true, true
	case e[3].Present():
		return e[3].Addr() + uint64(va&(phys.PageSize-1)), true, true
	}
	return 0, true, false
}
