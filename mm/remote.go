// remote.go: reading and writing the memory of an address space the
// calling thread does not run on (Linux's access_remote_vm, with
// get_user_pages_remote): a fork's child (CLONE_CHILD_SETTID), ptrace,
// /proc/PID/mem. uaccess (uaccess.go) goes through the current page
// tables, so it cannot do this: after fork a page of the child is
// read-only in the parent's tables too, and a write through them would
// fault forever.
//
// Each page is found in m's own tables under its lock — the PTL, or the
// PMD lock for a huge PMD — and copied through the direct map while the
// lock keeps the mapping (and with it the page) in place; a page that is
// not there, or not writable for a write, is faulted in first
// (HandleMMFault: a write breaks copy on write), and the walk retried.

// trapctx: process context only

package mm

import (
	"sync/atomic"
	"unsafe"

	"retract/arch/amd64"
	"retract/mm/phys"
)

// AccessRemoteVM copies between b and m's memory at va — into m with
// write, out of it otherwise — like Linux's access_remote_vm, and returns
// how many bytes it copied: all of them, or fewer with the fault path's
// error for the page where it stopped (ErrFault, ErrAccErr, ErrSigbus,
// ErrNoMemory). It may be called from any goroutine, on any page tables.
func (m *MM) AccessRemoteVM(va uintptr, b []byte, write bool) (int, error) {
	done := 0
	for done < len(b) {
		a := va + uintptr(done)
		if a < va || a < UserBase || a >= UserEnd {
			return done, ErrFault
		}
		n := min(len(b)-done, int(phys.PageSize-a&(phys.PageSize-1)))
		for attempt := 0; ; attempt++ {
			if m.copyPage(a, b[done:done+n], write) {
				break
			}
			if attempt > 100 {
				return done, ErrFault
			}
			if err := m.HandleMMFault(a, write); err != nil {
				return done, err
			}
		}
		done += n
	}
	return done, nil
}

// copyPage copies p to or from va (within one page) if a PTE or huge PMD
// maps it with the access allowed, under that entry's lock, and reports
// whether it did.
func (m *MM) copyPage(va uintptr, p []byte, write bool) bool {
	m.MmapLock.RLock()
	defer m.MmapLock.RUnlock()
	v := m.VMAs.Find(va)
	if v == nil || v.Prot == ProtNone || write && v.Prot&ProtWrite == 0 {
		return false // the fault path says which error
	}
	pmd := m.pmdIfPresent(va)
	if pmd == nil {
		return false
	}
	copyAt := func(pa uint64, e amd64.PTE) bool {
		if !e.Present() || write && !PteWrite(e) {
			return false
		}
		page := (*[phys.PageSize]byte)(phys.Page(pa >> phys.PageShift))
		off := va & (phys.PageSize - 1)
		if write {
			copy(page[off:], p)
		} else {
			copy(p, page[off:])
		}
		return true
	}
	m.pmdLock()
	if pv := phys.LoadPTE(pmd); PmdHuge(pv) {
		ok := copyAt(PmdPFN(pv)<<phys.PageShift+uint64(va&(HPageSize-1))&^(phys.PageSize-1), pv)
		if ok && write {
			ptepSetDirty(pmd)
		}
		m.pmdUnlock()
		return ok
	}
	m.pmdUnlock()
	pm, ok := PteOffsetMapLock(pmd, va)
	if !ok {
		return false
	}
	e := pm.Load()
	ok = copyAt(e.Addr(), e)
	if ok && write {
		ptepSetDirty(pm.PTE)
	}
	pm.PTL.Unlock()
	PteUnmap(pm)
	return ok
}

// ptepSetDirty sets the Dirty bit of the entry at p atomically (the MMU
// may be setting Accessed meanwhile).
func ptepSetDirty(p *amd64.PTE) {
	atomic.OrUint64((*uint64)(unsafe.Pointer(p)), uint64(amd64.PTEDirty))
}
