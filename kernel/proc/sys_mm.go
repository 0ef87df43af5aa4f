// sys_mm.go: the memory system calls — mmap, munmap, mprotect, madvise
// (with MADV_COLLAPSE, this kernel's collapse and retract), brk, mincore,
// msync, mlock, membarrier — decoding and checking arguments the way
// Linux's mm/mmap.c, mm/mprotect.c and mm/madvise.c do, and calling
// package mm.

// trapctx: process context only

package proc

import (
	"sync"

	"retract/kernel/abi"
	"retract/kernel/fs"
	"retract/kernel/procfs"
	"retract/kernel/smp"
	"retract/mm"
	"retract/mm/phys"
	"retract/rcu"
)

func init() {
	reg(9, sysMmap)
	reg(11, sysMunmap)
	reg(10, sysMprotect)
	reg(28, sysMadvise)
	reg(12, sysBrk)
	reg(27, sysMincore)
	reg(25, sysMremap)
	reg(26, sysMsync)
	reg(149, func(t *Task, a *[6]uint64) (uint64, error) { return 0, mlock(t, a[0], a[1], 0) })
	reg(325, func(t *Task, a *[6]uint64) (uint64, error) { return 0, mlock(t, a[0], a[1], a[2]) })
	reg(150, sysMunlock)
	reg(151, sysMlockall)
	reg(152, func(t *Task, a *[6]uint64) (uint64, error) { t.P.MM().Munlockall(); return 0, nil })
	reg(324, sysMembarrier)
}

// mmap flags this layer looks at (the rest are package mm's MapFlags,
// which have Linux's values).
const (
	PROT_WRITE    = 2
	MAP_TYPE      = 0x0f
	MAP_PRIVATE   = 0x02
	MAP_ANONYMOUS = 0x20
)

func pageAligned(v uint64) bool { return v&(phys.PageSize-1) == 0 }

func pageUp(v uint64) uint64 { return (v + phys.PageSize - 1) &^ (phys.PageSize - 1) }

// The names of the files an address space maps, for /proc/PID/maps. No
// reference is held: like a VMA's vm_file in Linux, what keeps a mapped
// file's pages is the mapping itself (the page cache of a file with no
// name and no open descriptor goes with its last mapping:
// mm.File.ReleaseWhenUnmapped).
var (
	mapFilesMu sync.Mutex
	mapNames   = map[*mm.MM]map[*mm.File]procfs.MapName{}
)

// noteMapped remembers the name under which m maps mf (the open file f).
func noteMapped(m *mm.MM, f *fs.File, mf *mm.File) {
	s := f.Stat()
	n := procfs.MapName{Path: f.Path(), Dev: s.Dev, Ino: s.Ino}
	mapFilesMu.Lock()
	if mapNames[m] == nil {
		mapNames[m] = map[*mm.File]procfs.MapName{}
	}
	mapNames[m][mf] = n
	mapFilesMu.Unlock()
}

// mappedName is the name under which m maps mf, if noteMapped saw it.
func mappedName(m *mm.MM, mf *mm.File) (procfs.MapName, bool) {
	mapFilesMu.Lock()
	defer mapFilesMu.Unlock()
	n, ok := mapNames[m][mf]
	return n, ok
}

// copyMapped gives a forked address space its parent's file names.
func copyMapped(from, to *mm.MM) {
	mapFilesMu.Lock()
	defer mapFilesMu.Unlock()
	if len(mapNames[from]) == 0 {
		return
	}
	c := make(map[*mm.File]procfs.MapName, len(mapNames[from]))
	for k, v := range mapNames[from] {
		c[k] = v
	}
	mapNames[to] = c
}

// releaseMapped forgets the names of an address space that is gone.
func releaseMapped(m *mm.MM) {
	mapFilesMu.Lock()
	delete(mapNames, m)
	mapFilesMu.Unlock()
}

// mmap(addr, length, prot, flags, fd, offset): the descriptor is
// resolved here (EBADF, EACCES, ENODEV), everything else — placement,
// MAP_FIXED and MAP_FIXED_NOREPLACE, MAP_POPULATE, shared anonymous
// memory and the errnos — is mm.DoMmap's, with Linux's semantics.
func sysMmap(t *Task, a *[6]uint64) (uint64, error) {
	addr, length, prot, flags, fd, off := a[0], a[1], a[2], a[3], int(int32(a[4])), a[5]
	p, err := mm.LinuxProt(prot)
	if err != nil {
		return 0, abi.EINVAL
	}
	mflags := mm.MapFlags(flags) &^ mm.MapReadOnlyFile
	var mf *mm.File
	var file *fs.File
	if flags&MAP_ANONYMOUS == 0 {
		typ := flags & MAP_TYPE
		if length == 0 || typ != uint64(mm.MapShared) && typ != MAP_PRIVATE && typ != uint64(mm.MapSharedValidate) {
			return 0, abi.EINVAL // mm's checks, made first as Linux does
		}
		f, ferr := t.FS.Files.Get(fd)
		if ferr != nil {
			return 0, abi.EBADF
		}
		defer f.Put()
		ok := false
		if MmFileOf != nil {
			mf, ok = MmFileOf(f)
		}
		if !ok {
			return 0, abi.ENODEV
		}
		shared := typ != MAP_PRIVATE
		if !f.Readable() || shared && prot&PROT_WRITE != 0 && !f.Writable() {
			return 0, abi.EACCES
		}
		if shared && !f.Writable() {
			mflags |= mm.MapReadOnlyFile
		}
		file = f
	}
	m := t.P.MM()
	got, err := m.DoMmap(uintptr(addr), uintptr(length), p, mflags, mf, off)
	if err != nil {
		return 0, mmErrno(err)
	}
	if file != nil {
		noteMapped(m, file, mf)
	}
	return uint64(got), nil
}

func sysMunmap(t *Task, a *[6]uint64) (uint64, error) {
	addr, length := a[0], a[1]
	if !pageAligned(addr) || length == 0 {
		return 0, abi.EINVAL
	}
	n := pageUp(length)
	if n < length || addr+n < addr || addr+n > uint64(mm.UserEnd) || addr < uint64(mm.UserBase) {
		return 0, abi.EINVAL
	}
	return 0, mmErr(t.P.MM().Munmap(uintptr(addr), uintptr(n)))
}

func mmErr(err error) error {
	if err == nil {
		return nil
	}
	return mmErrno(err)
}

// mprotect(addr, length, prot): mm.Mprotect changes what is mapped up to
// the first hole (then ENOMEM) and refuses PROT_WRITE on a shared mapping
// of a file opened read-only (EACCES), as Linux does.
func sysMprotect(t *Task, a *[6]uint64) (uint64, error) {
	addr, length, prot := a[0], a[1], a[2]
	p, err := mm.LinuxProt(prot)
	if err != nil || !pageAligned(addr) {
		return 0, abi.EINVAL
	}
	if length == 0 {
		return 0, nil
	}
	n := pageUp(length)
	if n < length || addr+n < addr {
		return 0, abi.ENOMEM
	}
	if addr < uint64(mm.UserBase) || addr+n > uint64(mm.UserEnd) {
		return 0, abi.ENOMEM
	}
	return 0, mmErr(t.P.MM().Mprotect(uintptr(addr), uintptr(n), p))
}

// mremap(old_address, old_size, new_size, flags, new_address).
func sysMremap(t *Task, a *[6]uint64) (uint64, error) {
	got, err := t.P.MM().Mremap(uintptr(a[0]), uintptr(a[1]), uintptr(a[2]), int(a[3]), uintptr(a[4]))
	if err != nil {
		return 0, mmErrno(err)
	}
	return uint64(got), nil
}

// madvise advice values this layer looks at (mm.DoMadvise knows them
// all).
const (
	MADV_DONTFORK = 10
	MADV_COLLAPSE = 25
)

// CollapseCalls counts MADV_COLLAPSE calls by result, for the tests.
var CollapseCalls struct{ OK, Again, Other uint64 }

// madvise(addr, length, advice): mm.DoMadvise, with Linux's semantics and
// errnos.
func sysMadvise(t *Task, a *[6]uint64) (uint64, error) {
	addr, length, advice := a[0], a[1], a[2]
	if advice > 1<<31 {
		return 0, abi.EINVAL
	}
	err := t.P.MM().DoMadvise(uintptr(addr), uintptr(length), int(advice))
	if advice == MADV_COLLAPSE {
		switch mmErrno(err) {
		case 0:
			CollapseCalls.OK++
		case abi.EAGAIN:
			CollapseCalls.Again++
		default:
			CollapseCalls.Other++
		}
	}
	return 0, mmErr(err)
}

// brk(addr): mm.Brk, with RLIMIT_DATA checked here.
func sysBrk(t *Task, a *[6]uint64) (uint64, error) {
	m := t.P.MM()
	start, cur := m.BrkRange()
	want := uintptr(a[0])
	if lim := t.P.limits.get(RLIMIT_DATA).Cur; lim != RLIM_INFINITY && want > start && uint64(want-start) > lim {
		return uint64(cur), nil
	}
	return uint64(m.Brk(want)), nil
}

// mincore(addr, length, vec): one byte per page, 1 if resident.
func sysMincore(t *Task, a *[6]uint64) (uint64, error) {
	addr, length, vec := a[0], a[1], a[2]
	at := vec
	err := t.P.MM().Mincore(uintptr(addr), uintptr(length), func(b []byte) error {
		if err := t.copyOut(at, b); err != nil {
			return err
		}
		at += uint64(len(b))
		return nil
	})
	if err != nil {
		if e, ok := err.(abi.Errno); ok {
			return 0, e
		}
		return 0, mmErrno(err)
	}
	return 0, nil
}

func sysMsync(t *Task, a *[6]uint64) (uint64, error) {
	return 0, mmErr(t.P.MM().Msync(uintptr(a[0]), uintptr(a[1]), int(a[2])))
}

// membarrier commands.
const (
	membarrierQuery                    = 0
	membarrierGlobal                   = 1
	membarrierGlobalExpedited          = 2
	membarrierRegisterGlobalExpedited  = 4
	membarrierPrivateExpedited         = 8
	membarrierRegisterPrivateExpedited = 16
	membarrierPrivateExpeditedSyncCore = 32
	membarrierRegisterPrivateSyncCore  = 64
	membarrierSupported                = membarrierGlobal | membarrierGlobalExpedited | membarrierRegisterGlobalExpedited | membarrierPrivateExpedited | membarrierRegisterPrivateExpedited | membarrierPrivateExpeditedSyncCore | membarrierRegisterPrivateSyncCore
)

var membarrierRegistered sync.Map // *mm.MM -> uint64 (registered commands)

// membarrier(cmd, flags, cpu_id): the expedited commands interrupt every
// CPU (an IPI is a full barrier there), the global one waits for an RCU
// grace period, as Linux's does.
func sysMembarrier(t *Task, a *[6]uint64) (uint64, error) {
	cmd, flags := a[0], a[1]
	if flags != 0 {
		return 0, abi.EINVAL
	}
	m := t.P.MM()
	reg := func(bit uint64) {
		old, _ := membarrierRegistered.LoadOrStore(m, uint64(0))
		membarrierRegistered.Store(m, old.(uint64)|bit)
	}
	registered := func(bit uint64) bool {
		v, ok := membarrierRegistered.Load(m)
		return ok && v.(uint64)&bit != 0
	}
	switch cmd {
	case membarrierQuery:
		return membarrierSupported, nil
	case membarrierGlobal:
		rcu.Synchronize()
	case membarrierRegisterGlobalExpedited, membarrierRegisterPrivateExpedited, membarrierRegisterPrivateSyncCore:
		reg(cmd)
	case membarrierGlobalExpedited:
		barrierAllCPUs()
	case membarrierPrivateExpedited:
		if !registered(membarrierRegisterPrivateExpedited) {
			return 0, abi.EPERM
		}
		barrierAllCPUs()
	case membarrierPrivateExpeditedSyncCore:
		if !registered(membarrierRegisterPrivateSyncCore) {
			return 0, abi.EPERM
		}
		barrierAllCPUs()
	default:
		return 0, abi.EINVAL
	}
	return 0, nil
}

func barrierAllCPUs() { smp.CallOthers(noopCall, 0, 0) }

// noopCall runs on every other CPU: taking the IPI is the barrier.
func noopCall(a, b uintptr) {}

// The flags of mlock2 and mlockall.
const (
	MLOCK_ONFAULT = 1
	MCL_CURRENT   = 1
	MCL_FUTURE    = 2
	MCL_ONFAULT   = 4
)

// lockRange is do_mlock's view of (addr, len): the start rounded down to
// its page, the length up to cover what it covered (n 0: nothing to do).
// A range that wraps is EINVAL; one outside user space ENOMEM (no VMA
// there), as mlock and munlock both say.
func lockRange(addr, length uint64) (start, n uintptr, err error) {
	s := addr &^ (phys.PageSize - 1)
	end := s + pageUp(length+addr-s)
	switch {
	case end < s || length+addr-s < length:
		return 0, 0, abi.EINVAL
	case end == s:
		return 0, 0, nil
	case s < uint64(mm.UserBase) || end > uint64(mm.UserEnd):
		return 0, 0, abi.ENOMEM
	}
	return uintptr(s), uintptr(end - s), nil
}

// mlock(addr, len) and mlock2(addr, len, flags): mm.Mlock. Like Linux, an
// unaligned start is rounded down, an unknown flag is EINVAL, a range
// not wholly mapped ENOMEM, no memory for the pages EAGAIN. There is no
// RLIMIT_MEMLOCK check: every process here has CAP_IPC_LOCK's power.
func mlock(t *Task, addr, length, flags uint64) error {
	if flags&^MLOCK_ONFAULT != 0 {
		return abi.EINVAL
	}
	start, n, err := lockRange(addr, length)
	if err != nil || n == 0 {
		return err
	}
	return mmErr(t.P.MM().Mlock(start, n, flags&MLOCK_ONFAULT != 0))
}

// munlock(addr, len): mm.Munlock, with mlock's rounding and errors.
func sysMunlock(t *Task, a *[6]uint64) (uint64, error) {
	start, n, err := lockRange(a[0], a[1])
	if err != nil || n == 0 {
		return 0, err
	}
	return 0, mmErr(t.P.MM().Munlock(start, n))
}

// mlockall(flags): EINVAL for no flag, an unknown one or MCL_ONFAULT
// alone, as Linux checks; then mm.Mlockall.
func sysMlockall(t *Task, a *[6]uint64) (uint64, error) {
	f := a[0]
	if f == 0 || f&^(MCL_CURRENT|MCL_FUTURE|MCL_ONFAULT) != 0 || f == MCL_ONFAULT {
		return 0, abi.EINVAL
	}
	t.P.MM().Mlockall(f&MCL_CURRENT != 0, f&MCL_FUTURE != 0, f&MCL_ONFAULT != 0)
	return 0, nil
}
