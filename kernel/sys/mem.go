// mem.go: mmap, munmap, madvise and mprotect over the Go heap window.
//
// The runtime reserves far more address space than there is RAM (PROT_NONE)
// and then maps pieces of it read-write with MAP_FIXED. Reservations cost
// nothing here: the window's address space is handed out by a bump pointer
// and never reused. Read-write pages are committed (a marker in the PTE) and
// get a zeroed frame on first touch (mm.HeapFault). MADV_DONTNEED really
// frees the frames, and the next touch reads zeros, as Linux's semantics
// promise (the runtime relies on it with the default madvdontneed=1).

package sys

import (
	"retract/arch/amd64"
	"retract/lockdep"
	"retract/mm/phys"
)

const (
	protRead  = 1
	protWrite = 2
	protExec  = 4

	mapShared    = 0x01
	mapPrivate   = 0x02
	mapFixed     = 0x10
	mapAnonymous = 0x20
	mapNoreserve = 0x4000
	// Flags that change nothing for anonymous memory in one address space.
	mapHarmless = mapNoreserve | 0x100 /*MAP_GROWSDOWN*/ | 0x2000 /*MAP_LOCKED*/ | 0x8000 /*MAP_POPULATE*/ | 0x10000 /*MAP_NONBLOCK*/ | 0x40000 /*MAP_HUGETLB*/ | 0x100000 /*MAP_FIXED_NOREPLACE*/

	madvNormal     = 0
	madvRandom     = 1
	madvSequential = 2
	madvWillneed   = 3
	madvDontneed   = 4
	madvFree       = 8
	madvHugepage   = 14
	madvNohugepage = 15
	madvCollapse   = 25
)

var (
	heapLock amd64.SpinLock
	heapNext = phys.HeapBase // bump pointer: [HeapBase, heapNext) has been handed out
	// HeapReserved counts bytes of the window handed out (for `mem`).
	HeapReserved uint64
)

func init() { heapLock.SetClass(lockdep.Register("sys.heapLock", lockdep.Spin)) }

func pageRound(n uint64) (uint64, bool) {
	r := (n + phys.PageSize - 1) &^ (phys.PageSize - 1)
	return r, r >= n
}

func sysMmap(addr, length, prot, flags, fd uint64) uint64 {
	if length == 0 {
		return ret(0, EINVAL)
	}
	n, ok := pageRound(length)
	if !ok {
		return ret(0, ENOMEM)
	}
	if flags&mapAnonymous == 0 {
		return ret(0, EBADF) // there are no files to map
	}
	if flags&(mapShared|mapPrivate) == 0 || flags&mapShared != 0 && flags&mapPrivate != 0 {
		return ret(0, EINVAL)
	}
	if flags&^(mapShared|mapPrivate|mapFixed|mapAnonymous|mapHarmless) != 0 {
		return ret(0, EINVAL)
	}
	if prot&^(protRead|protWrite|protExec) != 0 {
		return ret(0, EINVAL)
	}
	var va uintptr
	f := heapLock.LockIRQ()
	if flags&mapFixed != 0 {
		// Only inside what the window has handed out: the runtime maps
		// MAP_FIXED only within its own reservations.
		if addr&(phys.PageSize-1) != 0 {
			heapLock.UnlockIRQ(f)
			return ret(0, EINVAL)
		}
		if uintptr(addr) < phys.HeapBase || uintptr(addr+n) > heapNext || addr+n < addr {
			heapLock.UnlockIRQ(f)
			return ret(0, ENOMEM)
		}
		va = uintptr(addr)
	} else {
		// Hints are ignored: Go 1.26 picks random ones all over the 47-bit
		// space, and takes whatever it is given when they fail.
		if uint64(phys.HeapEnd-heapNext) < n {
			heapLock.UnlockIRQ(f)
			return ret(0, ENOMEM)
		}
		va = heapNext
		heapNext += uintptr(n)
		HeapReserved += n
	}
	heapLock.UnlockIRQ(f)
	if prot&(protRead|protWrite) != 0 {
		if !phys.HeapCommit(va, uintptr(n), true) {
			return ret(0, ENOMEM)
		}
	} else {
		phys.HeapRelease(va, uintptr(n), false)
	}
	return uint64(va)
}

// inWindow checks a page-aligned range lies in the handed-out window.
func inWindow(addr, n uint64) Errno {
	if addr&(phys.PageSize-1) != 0 {
		return EINVAL
	}
	if addr+n < addr || uintptr(addr) < phys.HeapBase || uintptr(addr+n) > phys.HeapEnd {
		return EINVAL
	}
	return 0
}

func sysMunmap(addr, length uint64) uint64 {
	n, ok := pageRound(length)
	if !ok || length == 0 {
		return ret(0, EINVAL)
	}
	if e := inWindow(addr, n); e != 0 {
		return ret(0, e)
	}
	phys.HeapRelease(uintptr(addr), uintptr(n), false)
	// Give back the top of the window when it is the last piece handed out
	// (the runtime's failed arena hints do this many times at start-up).
	f := heapLock.LockIRQ()
	if uintptr(addr+n) == heapNext {
		heapNext = uintptr(addr)
		HeapReserved -= n
	}
	heapLock.UnlockIRQ(f)
	return 0
}

func sysMadvise(addr, length, advice uint64) uint64 {
	n, ok := pageRound(length)
	if !ok {
		return ret(0, EINVAL)
	}
	switch advice {
	case madvDontneed, madvFree:
		if e := inWindow(addr, n); e != 0 {
			return ret(0, e)
		}
		phys.HeapRelease(uintptr(addr), uintptr(n), true)
		return 0
	case madvNormal, madvRandom, madvSequential, madvWillneed, madvHugepage, madvNohugepage, madvCollapse:
		// Advice only: the window has no huge pages or read-ahead to tune.
		if addr&(phys.PageSize-1) != 0 {
			return ret(0, EINVAL)
		}
		return 0
	}
	return ret(0, EINVAL)
}

func sysMprotect(addr, length, prot uint64) uint64 {
	n, ok := pageRound(length)
	if !ok {
		return ret(0, ENOMEM)
	}
	if prot&^(protRead|protWrite|protExec) != 0 {
		return ret(0, EINVAL)
	}
	if e := inWindow(addr, n); e != 0 {
		return ret(0, e)
	}
	if prot&(protRead|protWrite) == 0 {
		phys.HeapRelease(uintptr(addr), uintptr(n), false)
	} else if !phys.HeapCommit(uintptr(addr), uintptr(n), false) {
		return ret(0, ENOMEM)
	}
	return 0
}
