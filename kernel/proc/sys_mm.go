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
	reg(26, sysMsync)
	for _, nr := range []int{149, 150, 151, 152, 325} { // mlock, munlock, mlockall, munlockall, mlock2
		reg(nr, func(t *Task, a *[6]uint64) (uint64, error) { return 0, nil })
	}
	reg(324, sysMembarrier)
}

// mmap flags and protections.
const (
	PROT_READ  = 1
	PROT_WRITE = 2
	PROT_EXEC  = 4
	protMask   = PROT_READ | PROT_WRITE | PROT_EXEC | 0x01000000 /* GROWSDOWN */ | 0x02000000 /* GROWSUP */

	MAP_SHARED          = 0x01
	MAP_PRIVATE         = 0x02
	MAP_SHARED_VALIDATE = 0x03
	MAP_TYPE            = 0x0f
	MAP_FIXED           = 0x10
	MAP_ANONYMOUS       = 0x20
	MAP_POPULATE        = 0x8000
	MAP_HUGETLB         = 0x40000
	MAP_FIXED_NOREPLACE = 0x100000
	mapKnown            = 0x1fffff
)

func protOf(p uint64) mm.Prot {
	var r mm.Prot
	if p&PROT_READ != 0 {
		r |= mm.ProtRead
	}
	if p&PROT_WRITE != 0 {
		r |= mm.ProtWrite | mm.ProtRead // x86: write implies read
	}
	if p&PROT_EXEC != 0 {
		r |= mm.ProtExec | mm.ProtRead
	}
	return r
}

func pageAligned(v uint64) bool { return v&(phys.PageSize-1) == 0 }

func pageUp(v uint64) uint64 { return (v + phys.PageSize - 1) &^ (phys.PageSize - 1) }

// files an address space keeps open because it maps them (released with
// the address space; see mapFiles).
var (
	mapFilesMu sync.Mutex
	mapFiles   = map[*mm.MM][]*fs.File{}
)

func keepMapped(m *mm.MM, f *fs.File) {
	mapFilesMu.Lock()
	mapFiles[m] = append(mapFiles[m], f.Get())
	mapFilesMu.Unlock()
}

// releaseMapped drops the file references of an address space that is
// gone.
func releaseMapped(m *mm.MM) {
	mapFilesMu.Lock()
	fl := mapFiles[m]
	delete(mapFiles, m)
	mapFilesMu.Unlock()
	for _, f := range fl {
		f.Put()
	}
}

// mmap(addr, length, prot, flags, fd, offset)
func sysMmap(t *Task, a *[6]uint64) (uint64, error) {
	addr, length, prot, flags, fd, off := a[0], a[1], a[2], a[3], int(int32(a[4])), a[5]
	typ := flags & MAP_TYPE
	switch {
	case length == 0, !pageAligned(off), prot&^protMask != 0:
		return 0, abi.EINVAL
	case typ != MAP_SHARED && typ != MAP_PRIVATE && typ != MAP_SHARED_VALIDATE:
		return 0, abi.EINVAL
	case typ == MAP_SHARED_VALIDATE && flags&^mapKnown != 0:
		return 0, abi.EOPNOTSUPP
	case flags&MAP_HUGETLB != 0:
		return 0, abi.EINVAL // no hugetlbfs: transparent huge pages only
	}
	n := pageUp(length)
	if n < length || n > uint64(mm.UserEnd) || off+n < off {
		return 0, abi.ENOMEM
	}
	fixed := flags&(MAP_FIXED|MAP_FIXED_NOREPLACE) != 0
	if fixed && !pageAligned(addr) {
		return 0, abi.EINVAL
	}
	m := t.P.MM()
	if fixed {
		if addr < uint64(mm.UserBase) || addr+n > uint64(mm.UserEnd) || addr+n < addr {
			return 0, abi.ENOMEM
		}
		if flags&MAP_FIXED_NOREPLACE != 0 && !m.RangeFree(uintptr(addr), uintptr(n)) {
			return 0, abi.EEXIST
		}
	} else {
		// A hint is used when it is free; otherwise anywhere.
		addr = pageUp(addr)
		if addr == 0 || addr < uint64(mm.UserBase) || addr+n > uint64(mm.UserEnd) || !m.RangeFree(uintptr(addr), uintptr(n)) {
			addr = 0
		}
	}
	p := protOf(prot)
	shared := typ != MAP_PRIVATE
	var got uintptr
	var err error
	switch {
	case flags&MAP_ANONYMOUS != 0 && !shared:
		got, err = m.Mmap(uintptr(addr), uintptr(n), p, 0)
	case flags&MAP_ANONYMOUS != 0:
		// Shared anonymous memory is a file of its own (Linux: shmem),
		// so that fork shares it and collapse treats it as a file.
		f := mm.NewFile("dev/zero (deleted)", n/phys.PageSize)
		got, err = m.MmapFile(uintptr(addr), uintptr(n), p, true, f, 0)
	default:
		f, ferr := t.FS.Files.Get(fd)
		if ferr != nil {
			return 0, abi.EBADF
		}
		defer f.Put()
		if MmFileOf == nil {
			return 0, abi.ENODEV
		}
		mf, ok := MmFileOf(f)
		if !ok {
			return 0, abi.ENODEV
		}
		if !f.Readable() || shared && prot&PROT_WRITE != 0 && !f.Writable() {
			return 0, abi.EACCES
		}
		got, err = m.MmapFile(uintptr(addr), uintptr(n), p, shared, mf, off/phys.PageSize)
		if err == nil {
			keepMapped(m, f)
		}
	}
	if err != nil {
		return 0, mmErrno(err)
	}
	if flags&MAP_POPULATE != 0 {
		populate(m, got, uintptr(n), prot&PROT_WRITE != 0 && !shared)
	}
	return uint64(got), nil
}

// populate faults the range in (MAP_POPULATE, MADV_POPULATE_*); it stops
// at the first error, which it returns.
func populate(m *mm.MM, start, n uintptr, write bool) error {
	for va := start; va < start+n; va += phys.PageSize {
		if err := m.Touch(va, write); err != nil {
			return err
		}
	}
	return nil
}

func sysMunmap(t *Task, a *[6]uint64) (uint64, error) {
	addr, length := a[0], a[1]
	if !pageAligned(addr) || length == 0 {
		return 0, abi.EINVAL
	}
	n := pageUp(length)
	if addr+n < addr || addr+n > uint64(mm.UserEnd) || addr < uint64(mm.UserBase) {
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

func sysMprotect(t *Task, a *[6]uint64) (uint64, error) {
	addr, length, prot := a[0], a[1], a[2]
	if !pageAligned(addr) || prot&^protMask != 0 {
		return 0, abi.EINVAL
	}
	if length == 0 {
		return 0, nil
	}
	n := pageUp(length)
	if addr+n < addr || addr+n > uint64(mm.UserEnd) || addr < uint64(mm.UserBase) {
		return 0, abi.ENOMEM
	}
	m := t.P.MM()
	if !m.RangeMapped(uintptr(addr), uintptr(n)) {
		return 0, abi.ENOMEM
	}
	return 0, mmErr(m.Mprotect(uintptr(addr), uintptr(n), protOf(prot)))
}

// madvise advice values.
const (
	MADV_NORMAL         = 0
	MADV_RANDOM         = 1
	MADV_SEQUENTIAL     = 2
	MADV_WILLNEED       = 3
	MADV_DONTNEED       = 4
	MADV_FREE           = 8
	MADV_REMOVE         = 9
	MADV_DONTFORK       = 10
	MADV_DOFORK         = 11
	MADV_MERGEABLE      = 12
	MADV_UNMERGEABLE    = 13
	MADV_HUGEPAGE       = 14
	MADV_NOHUGEPAGE     = 15
	MADV_DONTDUMP       = 16
	MADV_DODUMP         = 17
	MADV_WIPEONFORK     = 18
	MADV_KEEPONFORK     = 19
	MADV_COLD           = 20
	MADV_PAGEOUT        = 21
	MADV_POPULATE_READ  = 22
	MADV_POPULATE_WRITE = 23
	MADV_COLLAPSE       = 25
)

// Madvise counts MADV_COLLAPSE calls by result, for the tests.
var CollapseCalls struct{ OK, Again, Other uint64 }

func sysMadvise(t *Task, a *[6]uint64) (uint64, error) {
	addr, length, advice := a[0], a[1], a[2]
	if !pageAligned(addr) {
		return 0, abi.EINVAL
	}
	n := pageUp(length)
	if n < length || addr+n < addr {
		return 0, abi.EINVAL
	}
	switch advice {
	case MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL, MADV_WILLNEED, MADV_DONTNEED, MADV_FREE, MADV_REMOVE,
		MADV_DONTFORK, MADV_DOFORK, MADV_HUGEPAGE, MADV_NOHUGEPAGE, MADV_DONTDUMP, MADV_DODUMP,
		MADV_WIPEONFORK, MADV_KEEPONFORK, MADV_COLD, MADV_PAGEOUT, MADV_POPULATE_READ, MADV_POPULATE_WRITE, MADV_COLLAPSE:
	default:
		return 0, abi.EINVAL // MADV_MERGEABLE too: no KSM
	}
	if n == 0 {
		return 0, nil
	}
	if addr < uint64(mm.UserBase) || addr+n > uint64(mm.UserEnd) {
		return 0, abi.ENOMEM
	}
	m := t.P.MM()
	if !m.RangeMapped(uintptr(addr), uintptr(n)) {
		return 0, abi.ENOMEM
	}
	va, sz := uintptr(addr), uintptr(n)
	switch advice {
	case MADV_DONTNEED, MADV_FREE:
		return 0, mmErr(m.MadviseDontneed(va, sz))
	case MADV_HUGEPAGE:
		return 0, mmErr(m.Madvise(va, sz, mm.VMHugepage, mm.VMNoHugepage))
	case MADV_NOHUGEPAGE:
		return 0, mmErr(m.Madvise(va, sz, mm.VMNoHugepage, mm.VMHugepage))
	case MADV_POPULATE_READ, MADV_POPULATE_WRITE:
		if err := populate(m, va, sz, advice == MADV_POPULATE_WRITE); err != nil {
			if mmErrno(err) == abi.ENOMEM {
				return 0, abi.ENOMEM
			}
			return 0, abi.EFAULT
		}
		return 0, nil
	case MADV_COLLAPSE:
		_, err := m.MadviseCollapse(va, sz)
		switch mmErrno(err) {
		case 0:
			CollapseCalls.OK++
		case abi.EAGAIN:
			CollapseCalls.Again++
		default:
			CollapseCalls.Other++
		}
		return 0, mmErr(err)
	}
	return 0, nil
}

// The program break (mm/mmap.c's brk): [start, cur) is mapped anonymous
// read-write memory above the program's bss.
type brkState struct {
	mu         sync.Mutex
	start, cur uint64
}

var brks sync.Map // *mm.MM -> *brkState

func setBrk(p *Process, start uint64) {
	start = pageUp(start)
	brks.Store(p.MM(), &brkState{start: start, cur: start})
}

func sysBrk(t *Task, a *[6]uint64) (uint64, error) {
	v, ok := brks.Load(t.P.MM())
	if !ok {
		return 0, nil
	}
	b := v.(*brkState)
	b.mu.Lock()
	defer b.mu.Unlock()
	want := a[0]
	if want < b.start || want > uint64(mm.UserEnd) {
		return b.cur, nil
	}
	if lim := t.P.limits.get(RLIMIT_DATA).Cur; lim != RLIM_INFINITY && want-b.start > lim {
		return b.cur, nil
	}
	m := t.P.MM()
	oldEnd, newEnd := pageUp(b.cur), pageUp(want)
	switch {
	case newEnd > oldEnd:
		if !m.RangeFree(uintptr(oldEnd), uintptr(newEnd-oldEnd)) {
			return b.cur, nil
		}
		if _, err := m.Mmap(uintptr(oldEnd), uintptr(newEnd-oldEnd), mm.ProtRead|mm.ProtWrite, 0); err != nil {
			return b.cur, nil
		}
	case newEnd < oldEnd:
		if err := m.Munmap(uintptr(newEnd), uintptr(oldEnd-newEnd)); err != nil {
			return b.cur, nil
		}
	}
	b.cur = want
	return b.cur, nil
}

// mincore(addr, length, vec): one byte per page, 1 if resident.
func sysMincore(t *Task, a *[6]uint64) (uint64, error) {
	addr, length, vec := a[0], a[1], a[2]
	if !pageAligned(addr) {
		return 0, abi.EINVAL
	}
	n := pageUp(length) / phys.PageSize
	if addr+n*phys.PageSize < addr || addr+n*phys.PageSize > uint64(mm.UserEnd) || addr < uint64(mm.UserBase) {
		return 0, abi.ENOMEM
	}
	m := t.P.MM()
	if !m.RangeMapped(uintptr(addr), uintptr(n*phys.PageSize)) {
		return 0, abi.ENOMEM
	}
	out := make([]byte, n)
	for i := range out {
		e, _ := m.Walk(uintptr(addr) + uintptr(i)*phys.PageSize)
		if e[2].Present() && e[2].Huge() || e[3].Present() {
			out[i] = 1
		}
	}
	return 0, t.copyOut(vec, out)
}

const (
	MS_ASYNC      = 1
	MS_INVALIDATE = 2
	MS_SYNC       = 4
)

func sysMsync(t *Task, a *[6]uint64) (uint64, error) {
	addr, length, flags := a[0], a[1], a[2]
	if !pageAligned(addr) || flags&^(MS_ASYNC|MS_INVALIDATE|MS_SYNC) != 0 || flags&MS_ASYNC != 0 && flags&MS_SYNC != 0 {
		return 0, abi.EINVAL
	}
	n := pageUp(length)
	if n == 0 {
		return 0, nil
	}
	if !t.P.MM().RangeMapped(uintptr(addr), uintptr(n)) {
		return 0, abi.ENOMEM
	}
	return 0, nil // in-memory files: nothing to write back
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
