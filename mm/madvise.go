// madvise.go: madvise(2), after Linux's mm/madvise.c (do_madvise,
// madvise_walk_vmas, madvise_vma_behavior, madvise_populate).

// trapctx: process context only

package mm

import "retract/mm/phys"

// The madvise advice values (Linux's MADV_*).
const (
	MadvNormal         = 0
	MadvRandom         = 1
	MadvSequential     = 2
	MadvWillneed       = 3
	MadvDontneed       = 4
	MadvFree           = 8
	MadvRemove         = 9
	MadvDontfork       = 10
	MadvDofork         = 11
	MadvMergeable      = 12
	MadvUnmergeable    = 13
	MadvHugepage       = 14
	MadvNohugepage     = 15
	MadvDontdump       = 16
	MadvDodump         = 17
	MadvWipeonfork     = 18
	MadvKeeponfork     = 19
	MadvCold           = 20
	MadvPageout        = 21
	MadvPopulateRead   = 22
	MadvPopulateWrite  = 23
	MadvDontneedLocked = 24
	MadvCollapse       = 25
)

// madviseValid is madvise_behavior_valid for this kernel: no KSM
// (MERGEABLE, UNMERGEABLE) and no memory-failure injection (HWPOISON,
// SOFT_OFFLINE), which Linux refuses with EINVAL when built without them.
func madviseValid(advice int) bool {
	switch advice {
	case MadvNormal, MadvRandom, MadvSequential, MadvWillneed, MadvDontneed, MadvFree, MadvRemove,
		MadvDontfork, MadvDofork, MadvHugepage, MadvNohugepage, MadvDontdump, MadvDodump,
		MadvWipeonfork, MadvKeeponfork, MadvCold, MadvPageout, MadvPopulateRead, MadvPopulateWrite,
		MadvDontneedLocked, MadvCollapse:
		return true
	}
	return false
}

// DoMadvise gives advice about [addr, addr+length), like Linux's madvise:
//
//   - DONTNEED (and DONTNEED_LOCKED): drop the pages; anonymous memory
//     reads zeroes next, a file mapping the file. FREE: the same, for
//     anonymous memory only (ErrInval elsewhere); Linux may keep the
//     pages until memory runs short, which this kernel never waits for.
//   - HUGEPAGE, NOHUGEPAGE: allow or forbid huge pages (and khugepaged).
//     COLLAPSE: collapse now (MadviseCollapse: ErrNoMemory, ErrBusy,
//     ErrAgain, ErrInval as Linux's madvise_collapse).
//   - DONTFORK, DOFORK: leave the range out of a fork's child or not.
//     WIPEONFORK, KEEPONFORK: the child gets zeroes there or a copy;
//     private anonymous memory only (ErrInval elsewhere).
//   - POPULATE_READ, POPULATE_WRITE: fault every page in now; a range
//     with a hole is ErrNoMemory (so is running out of memory), a mapping
//     that does not allow the access (PROT_NONE, a read of a PROT_WRITE
//     mapping, a write to a read-only one) ErrInval, a page beyond the
//     end of the file ErrFault.
//   - NORMAL, RANDOM, SEQUENTIAL, WILLNEED, COLD, PAGEOUT, DONTDUMP,
//     DODUMP: accepted; there is no readahead, swap or core dump to tune.
//   - REMOVE: punch a hole in the file behind a shared writable mapping
//     (shared anonymous memory included): madviseRemove.
//
// Unknown advice and an unaligned addr are ErrInval; a length of 0 does
// nothing; a length that wraps is ErrInval. Holes in the range are
// ErrNoMemory, after the advice was applied to the mapped parts (as
// Linux, which stops at the first VMA it cannot apply the advice to).
func (m *MM) DoMadvise(addr, length uintptr, advice int) error {
	if !madviseValid(advice) || addr&(phys.PageSize-1) != 0 {
		return ErrInval
	}
	alen := (length + phys.PageSize - 1) &^ (phys.PageSize - 1)
	if length != 0 && alen == 0 {
		return ErrInval
	}
	end := addr + alen
	if end < addr {
		return ErrInval
	}
	if end == addr {
		return nil
	}
	switch advice {
	case MadvPopulateRead, MadvPopulateWrite:
		return m.madvisePopulate(addr, end, advice == MadvPopulateWrite)
	case MadvCollapse:
		_, err := m.MadviseCollapse(addr, end-addr)
		return err
	case MadvRemove:
		return m.madviseRemove(addr, end)
	}
	m.MmapLock.Lock()
	err := m.madviseWalk(addr, end, advice)
	m.MmapLock.Unlock()
	if err == nil || err == ErrNoMemory {
		if advice == MadvHugepage {
			khugepagedEnter(m) // khugepaged_enter_vma
		}
	}
	return err
}

// madviseWalk applies advice to every mapped part of [start, end), VMA by
// VMA (madvise_walk_vmas). Preconditions: MmapLock held for writing.
func (m *MM) madviseWalk(start, end uintptr, advice int) error {
	var unmapped error
	at := start
	for at < end {
		v := m.VMAs.Find(at)
		if v == nil {
			n := m.VMAs.Next(at)
			if n == nil || n.Start >= end {
				return ErrNoMemory
			}
			unmapped = ErrNoMemory
			at = n.Start
			continue
		}
		lo, hi := at, min(end, v.End)
		if err := m.madviseVMA(v, lo, hi, advice); err != nil {
			return err
		}
		at = hi
	}
	return unmapped
}

// madviseVMA applies advice to [lo, hi), which lies inside v
// (madvise_vma_behavior). v may be invalid afterwards (the set changed).
// Preconditions: MmapLock held for writing.
func (m *MM) madviseVMA(v *VMA, lo, hi uintptr, advice int) error {
	var set, clear VMAFlags
	switch advice {
	case MadvDontneed, MadvDontneedLocked:
		m.zapLocked(lo, hi, false, m.VMAs.All())
		return nil
	case MadvFree:
		if v.Flags&VMAnon == 0 {
			return ErrInval
		}
		m.zapLocked(lo, hi, false, m.VMAs.All())
		return nil
	case MadvDontfork:
		set = VMDontCopy
	case MadvDofork:
		clear = VMDontCopy
	case MadvWipeonfork:
		if v.File != nil || v.Flags&VMShared != 0 {
			return ErrInval
		}
		set = VMWipeOnFork
	case MadvKeeponfork:
		clear = VMWipeOnFork
	case MadvHugepage:
		set, clear = VMHugepage, VMNoHugepage
	case MadvNohugepage:
		set, clear = VMNoHugepage, VMHugepage
	default:
		return nil // hints with nothing to tune here
	}
	if err := m.VMAs.Advise(lo, hi, set, clear); err != nil {
		return err
	}
	m.splitHugeAt(lo)
	m.splitHugeAt(hi)
	return nil
}

// madvisePopulate faults in [start, end) (madvise_populate): a hole is
// ErrNoMemory, an access the mapping does not allow ErrInval, a page
// beyond the end of a file ErrFault, no memory ErrNoMemory.
func (m *MM) madvisePopulate(start, end uintptr, write bool) error {
	for va := start; va < end; {
		m.MmapLock.RLock()
		v := m.VMAs.Find(va)
		var vend uintptr
		ok := v != nil
		if ok {
			vend = min(end, v.End)
			// As Linux's check_vma_flags: a read needs PROT_READ even
			// where the MMU would allow it (PROT_WRITE alone).
			if v.Prot == ProtNone || write && v.Prot&ProtWrite == 0 || !write && v.Prot&ProtRead == 0 {
				m.MmapLock.RUnlock()
				return ErrInval
			}
		}
		m.MmapLock.RUnlock()
		if !ok {
			return ErrNoMemory
		}
		for ; va < vend; va += phys.PageSize {
			switch err := m.HandleMMFault(va, write); {
			case err == nil:
			case err == ErrNoMemory:
				return ErrNoMemory
			case err == ErrAccErr:
				return ErrInval // the VMA changed meanwhile
			case err == ErrFault:
				return ErrNoMemory // unmapped meanwhile
			default:
				return ErrFault // SIGBUS
			}
		}
	}
	return nil
}

// madviseRemove is MADV_REMOVE (madvise_remove): for each VMA of [start,
// end), the file range it maps is punched out of the file
// (File.PunchHole, what fallocate PUNCH_HOLE|KEEP_SIZE does): every
// mapping of those pages goes, in every mm, and the next access reads
// zeros. Private anonymous memory (no file) is ErrInval, a mapping that
// is not shared and writable ErrAccess, as in Linux; holes ErrNoMemory.
// Like Linux it does not hold mmap_lock across the punch (the unmap walk
// takes the file's locks, which rank above it: docs/locking.md); the
// file stays valid meanwhile (a released one punches nothing).
func (m *MM) madviseRemove(start, end uintptr) error {
	type hole struct {
		f        *File
		off, len int64
	}
	var holes []hole
	var err error
	m.MmapLock.RLock()
	for at := start; at < end; {
		v := m.VMAs.Find(at)
		if v == nil {
			err = ErrNoMemory
			n := m.VMAs.Next(at)
			if n == nil || n.Start >= end {
				break
			}
			at = n.Start
			continue
		}
		hi := min(end, v.End)
		f, _ := v.File.(*File)
		switch {
		case f == nil:
			err = ErrInval
		case v.Flags&VMShared == 0 || v.Prot&ProtWrite == 0:
			err = ErrAccess
		}
		if err == ErrInval || err == ErrAccess {
			break
		}
		off := int64(v.Pgoff*phys.PageSize) + int64(at-v.Start)
		holes = append(holes, hole{f, off, int64(hi - at)})
		at = hi
	}
	m.MmapLock.RUnlock()
	for _, h := range holes {
		if e := h.f.PunchHole(h.off, h.len); e != nil {
			return e
		}
	}
	return err
}
