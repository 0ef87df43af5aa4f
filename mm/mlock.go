// mlock.go: mlock, mlock2, munlock, mlockall and munlockall (Linux's
// mm/mlock.c). There is no swap and no reclaim here, so a page in memory
// stays there anyway; what locking changes is what Linux's changes and a
// program can see: the VMAs carry VMLocked (split and merged like any
// flag: /proc/PID/smaps shows "lo" and Locked, status VmLck), locking
// faults the range in at once unless MLOCK_ONFAULT, and mlockall
// (MCL_FUTURE) makes every later mapping locked.

// trapctx: process context only

package mm

import "retract/mm/phys"

// lockFlags are the flags mlock sets and munlock clears.
const lockFlags = VMLocked | VMLockOnFault

// Mlock locks [addr, addr+length) (mlock, and mlock2 with onFault for
// MLOCK_ONFAULT): the VMAs there get VMLocked, split at the edges, and,
// without onFault, every page is faulted in now — with a write where the
// mapping is private and writable, to break copy on write, as Linux's
// populate does. A range not wholly mapped is ErrNoMemory (nothing is
// locked); no memory for the pages is ErrAgain (the range stays locked,
// as in Linux, whose __mlock_posix_error_return turns ENOMEM into
// EAGAIN).
func (m *MM) Mlock(addr, length uintptr, onFault bool) error {
	set, clear := VMLocked, VMLockOnFault
	if onFault {
		set, clear = lockFlags, 0
	}
	start, end, err := pageRange(addr, length)
	if err != nil || start == end {
		return err
	}
	if err := m.Madvise(start, end-start, set, clear); err != nil {
		return err
	}
	if onFault {
		return nil
	}
	return m.populateLocked(start, end)
}

// Munlock unlocks [addr, addr+length) (munlock): VMLocked and
// VMLockOnFault go. ErrNoMemory if the range is not wholly mapped.
func (m *MM) Munlock(addr, length uintptr) error {
	start, end, err := pageRange(addr, length)
	if err != nil || start == end {
		return err
	}
	return m.Madvise(start, end-start, 0, lockFlags)
}

// Mlockall is mlockall: current locks every mapping now (faulted in
// unless onFault; pages it cannot get are left, as Linux ignores
// populate errors there), future makes every later mapping locked
// (onFault: on fault). The caller checked the flags (EINVAL).
func (m *MM) Mlockall(current, future, onFault bool) {
	add := VMLocked
	if onFault {
		add |= VMLockOnFault
	}
	m.MmapLock.Lock()
	m.defFlags &^= lockFlags
	if future {
		m.defFlags |= add
	}
	if current {
		m.VMAs.AdviseAll(add, lockFlags&^add)
	}
	m.MmapLock.Unlock()
	if current && !onFault {
		m.populateLocked(UserBase, UserEnd)
	}
}

// Munlockall is munlockall: no mapping is locked, and later ones are
// not either.
func (m *MM) Munlockall() {
	m.MmapLock.Lock()
	m.defFlags &^= lockFlags
	m.VMAs.AdviseAll(0, lockFlags)
	m.MmapLock.Unlock()
}

// populateLocked faults in the locked, accessible pages of [start, end)
// (mm_populate): VMA by VMA, without holding mmap_lock across the faults
// (each takes it for reading). A mapping that is PROT_NONE, or not
// locked (changed meanwhile), is skipped; so is a page past the end of a
// file. ErrAgain if memory ran out.
func (m *MM) populateLocked(start, end uintptr) error {
	for va := start; va < end; {
		m.MmapLock.RLock()
		v := m.VMAs.Find(va)
		if v == nil {
			n := m.VMAs.Next(va)
			m.MmapLock.RUnlock()
			if n == nil || n.Start >= end {
				return nil
			}
			va = n.Start
			continue
		}
		vend := min(end, v.End)
		skip := v.Prot == ProtNone || v.Flags&VMLocked == 0 || v.Flags&VMLockOnFault != 0
		write := v.Prot&ProtWrite != 0 && v.Flags&VMShared == 0
		m.MmapLock.RUnlock()
		for ; !skip && va < vend; va += phys.PageSize {
			switch err := m.HandleMMFault(va, write); err {
			case nil:
			case ErrNoMemory:
				return ErrAgain
			default:
				va = vend // SIGBUS past the end of a file, or the VMA changed
			}
		}
		va = vend
	}
	return nil
}
