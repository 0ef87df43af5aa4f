// aspace.go: user address spaces (Linux's mm_struct).
//
// An MM owns a PML4 whose entries 0-255 map its user range [64 KiB,
// 128 TiB - 4 KiB) and whose entries 256-511 are copies of the kernel's
// (the direct map, the Go heap window and the kernel image, whose tables
// every address space shares; see docs/architecture.md §2). Its
// page-table pages are frames of kind KindPageTable whose metadata names
// the MM as owner. Locking: see the package doc and docs/locking.md.

// trapctx: process context only

package mm

import (
	"errors"
	"fmt"
	"sync/atomic"

	"sort"

	"retract/arch/amd64"
	"retract/lockdep"
	"retract/mm/phys"
)

// The user part of every address space: the lower half (PML4 entries
// 0-255), without the first 64 KiB (Linux's default vm.mmap_min_addr, so
// that a nil pointer, even with an offset, never reaches a mapping) and
// without the last page below the non-canonical hole (Linux's TASK_SIZE:
// a SYSCALL from that page would return to a non-canonical address).
const (
	UserBase uintptr = 0x10000
	UserEnd  uintptr = amd64.UserTop - phys.PageSize
)

// DefaultMmapBase is where new mappings go (downwards) until exec sets
// MmapBase: Linux's mmap_base without randomization, TASK_SIZE minus the
// minimum gap of 128 MiB left for the stack to grow into.
const DefaultMmapBase = UserEnd - 128<<20

// MM is one user address space.
type MM struct {
	ID   uint32
	PML4 uint64 // physical address of the PML4; immutable

	// MmapLock protects VMAs (like Linux's mmap_lock).
	MmapLock lockdep.RWMutex
	VMAs     VMASet

	// MmapBase is the top of the area where mmap places mappings
	// (top-down, like Linux's mm->mmap_base): DefaultMmapBase, or what
	// exec sets (below the stack and its gap, maybe randomized).
	// StartStack is the initial stack pointer (/proc's [stack]); exec sets
	// both. startBrk and brk are the program break (mm->start_brk,
	// mm->brk; SetBrk sets both, Brk moves it). Protected by MmapLock.
	MmapBase      uintptr
	StartStack    uintptr
	startBrk, brk uintptr
	acct          accounting
	// defFlags are the flags every new mapping gets (mm->def_flags):
	// VMLocked, and VMLockOnFault, after mlockall(MCL_FUTURE).
	// Protected by MmapLock.
	defFlags VMAFlags

	// pageTableLock, like Linux's mm->page_table_lock, is the PMD lock of
	// every PMD of this mm (pmdLock takes it): a PMD changes between none,
	// table and huge only under it, and upper-level tables are installed
	// under it.
	pageTableLock amd64.SpinLock

	// CPUMask has a bit for every CPU that has this PML4 in CR3 or is
	// about to load it (like mm_cpumask): the CPUs a TLB flush must
	// reach. A CPU leaves it when it loads other tables (CR3Left).
	CPUMask atomic.Uint32

	Stats FaultStats

	// dead is set, under MmapLock for writing, when Destroy begins:
	// khugepaged, which keeps *MMs in its slots, skips a dead mm.
	dead bool
}

// FaultStats counts what the fault path did.
type FaultStats struct {
	// Faults and AnonNew, which every anonymous fault bumps, count per
	// CPU (Counter); the rest are rarer.
	Faults, AnonNew                                             UCounter
	ZeroPage, FilePage, WriteProtect, Spurious, Retries, EFAULT atomic.Uint64
	// SIGBUS counts faults on a file mapping past the end of the file.
	SIGBUS atomic.Uint64
	// CowCopy counts write faults that copied an anonymous page still
	// shared with another mm (after fork); CowReuse the ones that found
	// it theirs alone and made it writable in place.
	CowCopy, CowReuse atomic.Uint64
	// RetractedRetries counts retries where the fault held a pointer into
	// a page table that had been retracted meanwhile (PteSame failed on
	// it): the seed email's case, made safe by RCU.
	RetractedRetries atomic.Uint64
	// FaultAround counts the pages file faults mapped through
	// fault-around (faultaround.go), the faulting pages among them.
	FaultAround atomic.Uint64
	// LastPath is the FaultPath of the last fault resolved.
	LastPath atomic.Uint32
}

// RetractedRetries is the sum of every mm's Stats.RetractedRetries, the
// ones destroyed since included (/proc/vmstat's pt_retract_retries).
var RetractedRetries atomic.Uint64

// UserTables counts page-table pages of user address spaces (PML4s
// included): tests check it returns to its starting value.
var UserTables atomic.Int64

// The registry of address spaces. mms and nextID are protected by mmsMu,
// except that ByPML4 reads a slot of mms without it, in trap context: a
// thread only runs on the PML4 of an mm that is alive (Destroy's caller
// guarantees that no thread uses it any more), so that slot is stable
// while the thread runs.
var (
	mmsMu  lockdep.Mutex
	mms    [MaxMMs]*MM // by ID; slot 0 unused
	nextID uint32      = 1
)

// MaxMMs bounds the number of address spaces (IDs 1 to MaxMMs-1).
const MaxMMs = 4096

// ErrNoMemory is returned when frames run out.
var ErrNoMemory = errors.New("mm: out of memory (ENOMEM)")

// New creates an empty address space.
func New() (*MM, error) {
	pa, ok := allocUserTable()
	if !ok {
		return nil, ErrNoMemory
	}
	mmsMu.Lock()
	defer mmsMu.Unlock()
	id := uint32(0)
	for i := uint32(0); i < uint32(len(mms)); i++ {
		c := (nextID-1+i)%uint32(len(mms)-1) + 1 // IDs 1..255, round robin
		if mms[c] == nil {
			id = c
			break
		}
	}
	if id == 0 {
		phys.Frames.Free(pa>>phys.PageShift, 0)
		return nil, fmt.Errorf("mm: all %d address spaces in use: %w", MaxMMs-1, ErrAgain)
	}
	nextID = id + 1
	m := &MM{ID: id, PML4: pa, MmapBase: DefaultMmapBase}
	m.MmapLock.Class = classMmapLock
	m.pageTableLock.SetClass(classPmdLock)
	tablePage(pa, id, 4)
	UserTables.Add(1)
	// Entries 256-511: the kernel's half, shared by every address space.
	copy(phys.Table(pa)[amd64.PML4KernelFirst:], phys.Table(phys.BootPML4)[amd64.PML4KernelFirst:])
	mms[id] = m
	return m, nil
}

func tablePage(pa uint64, owner uint32, level uint8) {
	f := phys.Frames.Meta(pa >> phys.PageShift)
	f.Owner, f.Level = owner, level
	f.PTL.SetClass(classPTL)
}

// All returns the live address spaces.
func All() []*MM {
	mmsMu.Lock()
	defer mmsMu.Unlock()
	var out []*MM
	for _, m := range mms {
		if m != nil {
			out = append(out, m)
		}
	}
	return out
}

// Destroy frees every page and page table of m (the caller guarantees no
// thread uses it any more). Anonymous pages are freed; the shared zero page
// is not; page-cache pages lose m's mappings (a file whose owner let go of
// it, ReleaseWhenUnmapped, is released with its last mapping).
func (m *MM) Destroy() {
	khugepagedExit(m)
	m.MmapLock.Lock()
	m.dead = true
	m.updateHiwaterVM()
	vmas := m.VMAs.All()
	// Leave every file's i_mmap first: from then on no rmap walk (file
	// collapse, retract) can reach these tables.
	orphans, _ := m.unmapFileVMAs(UserBase, UserEnd)
	l4 := phys.Table(m.PML4)
	for i := 0; i < amd64.PML4KernelFirst; i++ {
		if l4[i].Present() {
			m.freeLevel(l4[i].Addr(), 3, uintptr(i)*amd64.PML4ESpan, vmas)
			l4[i] = 0
		}
	}
	FlushUser(m, UserBase, UserEnd-UserBase)
	// A PML4 freed while a CPU still has it in CR3 keeps working from the
	// TLB until the next reload, which then finds the kernel's half gone:
	// a triple fault, with no word on the console. Nothing should still
	// use it (every thread left with Unuse); if something does, say so
	// and move it to the kernel's tables.
	if n := machine.ForgetCR3(m.PML4); n > 0 {
		fmt.Printf("mm: destroying mm %d: %d kernel threads or CPUs still had its page tables (CR3 %#x) loaded; moved to the kernel's\n", m.ID, n, m.PML4)
	}
	phys.Frames.Free(m.PML4>>phys.PageShift, 0)
	UserTables.Add(-1)
	m.MmapLock.Unlock()
	releaseOrphans(orphans)
	mmsMu.Lock()
	mms[m.ID] = nil
	mmsMu.Unlock()
}

// freeLevel frees the table at pa of the given level, which maps from
// va, with everything it maps. vmas are m's VMAs (for the accounting).
// Preconditions: MmapLock held for writing, m dead (no walker left).
func (m *MM) freeLevel(pa uint64, level int, va uintptr, vmas []VMA) {
	t := phys.Table(pa)
	span := uintptr(1) << (12 + 9*(level-1))
	for i := range t {
		e := t[i]
		if !e.Present() && !(level == 1 && PtePresent(e)) { // a PROT_NONE page is still mapped
			continue
		}
		a := va + uintptr(i)*span
		switch {
		case level == 1:
			m.addRSS(rssClass(PtePFN(e), fileAt(vmas, a)), -1)
			dropMapping(PtePFN(e))
		case level == 2 && e.Huge():
			m.addRSS(rssClass(PmdPFN(e), fileAt(vmas, a)), -HPageNr)
			m.pmdLock()
			dep := m.withdrawIfAnon(&t[i], e)
			m.pmdUnlock()
			m.freeDeposit(dep)
			dropMapping(PmdPFN(e))
		default:
			m.freeLevel(e.Addr(), level-1, a, vmas)
		}
		t[i] = 0
	}
	m.freePageTable(pa)
}

// fileAt returns the file of the VMA of vmas (sorted) that contains va,
// nil for anonymous memory or no VMA.
func fileAt(vmas []VMA, va uintptr) *File {
	if v := vmaAt(vmas, va); v != nil {
		f, _ := v.File.(*File)
		return f
	}
	return nil
}

// vmaAt returns the VMA of vmas (sorted) that holds va, or nil.
func vmaAt(vmas []VMA, va uintptr) *VMA {
	i := sort.Search(len(vmas), func(i int) bool { return vmas[i].End > va })
	if i < len(vmas) && vmas[i].Start <= va {
		return &vmas[i]
	}
	return nil
}

// addTables counts n page tables more (or fewer) for m and for the
// kernel's UserTables.
func (m *MM) addTables(n int64) {
	m.acct.ptPages.Add(n)
	UserTables.Add(n)
}

// freePageTable frees a page table of m that no walker can reach any
// more (see the package-level freePageTable).
func (m *MM) freePageTable(pa uint64) {
	m.acct.ptPages.Add(-1)
	freePageTable(pa)
}

// isDead reports whether Destroy has begun.
func (m *MM) isDead() bool {
	m.MmapLock.RLock()
	defer m.MmapLock.RUnlock()
	return m.dead
}

// pmdLock takes the PMD lock (pageTableLock, Linux's pmd_lock) in atomic
// context, as spin_lock does: a holder must not be preempted — neither by
// the tick nor by Go's scheduler (a stop-the-world, a preemption request)
// — while another CPU spins on the lock with preemption off (retract
// does, holding the table's ptl as well): that CPU could then wait for a
// goroutine that waits for it.
func (m *MM) pmdLock() {
	amd64.PreemptDisable()
	m.pageTableLock.Lock()
}

// pmdUnlock releases what pmdLock took.
func (m *MM) pmdUnlock() {
	m.pageTableLock.Unlock()
	amd64.PreemptEnable()
}
