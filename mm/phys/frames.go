// frames.go: the physical frame allocator, a binary buddy system.
//
// Physical memory is an array of 4 KiB frames numbered by PFN (physical
// address >> 12). Frames are handed out in blocks of 2^order frames aligned
// to their size; order 9 is a 2 MiB block, what a huge page needs.
//
//	order 0  [.]                              4 KiB
//	order 1  [. .]                            8 KiB
//	...
//	order 9  [. . . . . . . . . . . . 512 ]   2 MiB
//	order 10                                  4 MiB (MaxOrder)
//
// A free block of order k starting at PFN p has a buddy at p ^ (1<<k); when
// both are free they merge into one block of order k+1 (Knuth, TAOCP 2.5).
// The free lists are linked through the metadata array by PFN, so the
// allocator holds no Go pointers and may run in trap context.

package phys

import (
	"sync/atomic"
	"unsafe"

	"retract/arch/amd64"
	"retract/lockdep"
)

// PageSize is the size of a frame.
const (
	PageShift = 12
	PageSize  = 1 << PageShift
	MaxOrder  = 10
	// HugeOrder is the order of a 2 MiB page (mm's HPageOrder).
	HugeOrder = 9
)

// Kind says what an allocated frame is used for (for accounting).
type Kind uint8

const (
	KindFree     Kind = iota
	KindReserved      // not RAM, the kernel image, boot tables, low memory
	KindKernel        // kernel stacks, frame metadata, per-thread areas
	KindGoHeap        // pages backing the Go runtime's mmap
	KindPageTable
	KindAnon
	KindPageCache
	numKinds
)

var kindNames = [numKinds]string{"free", "reserved", "kernel", "goheap", "pagetable", "anon", "pagecache"}

func (k Kind) String() string {
	if k < numKinds {
		return kindNames[k]
	}
	return "?"
}

// Frame is the metadata of one physical frame (Linux's struct page and,
// for page-table pages, struct ptdesc — much reduced). It lives in an array
// outside the Go heap and holds no Go pointers: the MMU-facing code and
// trap context read it.
type Frame struct {
	next, prev uint32 // free-list links (PFNs; 0 = none: PFN 0 is never free)
	order      uint8  // order of the block this frame heads (free or allocated)
	kind       Kind
	flags      uint8
	// Level is the paging level of a page-table page (1 = PT ... 4 = PML4)
	// and Owner the id of the address space it belongs to. Both are
	// written before the table is installed (the atomic store of the
	// entry that points at it publishes them) and cleared when it is
	// freed; walkers read them (the fault path's table check).
	Level uint8
	// Gen is bumped every time the frame is freed: a page-table walker
	// that remembers (PFN, Gen) can tell whether the table it used is
	// still the same one (the fault path's table check, mm/debug.go).
	Gen   uint32
	Owner uint32
	// Refcount and Mapcount count references and PTE mappings of a page
	// (used by the mm's fault and teardown paths).
	Refcount, Mapcount atomic.Int32
	// PTL is the split page-table lock of a page-table page (Linux's
	// ptdesc->ptl): freeing the table frees its lock with it.
	PTL amd64.SpinLock
	// Deposit links the page tables kept for later splits of anonymous
	// huge PMDs (Linux's pgtable_trans_huge_deposit): on a PD page, the
	// PFN of the first table deposited for its huge PMDs; on a deposited
	// table, the next one's (mm/huge.go); 0 ends the list. Changed under
	// the mm's PMD lock when a huge PMD is installed, split or zapped.
	Deposit uint32
}

const (
	flagFree = 1 << 0 // heads a free block
	flagHead = 1 << 1 // heads an allocated block
)

// Stats is a snapshot of the allocator's accounting, in frames.
type Stats struct {
	Total  uint64 // usable RAM frames (free + allocated)
	Free   uint64
	ByKind [numKinds]uint64
	// HugeByKind counts, by kind, the frames in allocated blocks of
	// HugeOrder (2 MiB pages: AnonHugePages, ShmemHugePages).
	HugeByKind [numKinds]uint64
	// FreeBlocks[k] is the number of free blocks of order k.
	FreeBlocks [MaxOrder + 1]uint64
}

// The helpers that run with the allocator's locks held are nosplit: a
// goroutine's stack growing there would allocate, and an allocation may
// fault in a heap page, whose handler needs these very locks.

// Allocator is a buddy allocator over PFNs [0, n), with per-CPU caches of
// single frames in front of it (like Linux's per_cpu_pages): most 4 KiB
// allocations and frees touch only their CPU's cache, and the buddy lists
// (and their lock) see batches of pcpBatch frames.
type Allocator struct {
	lock   amd64.SpinLock
	frames []Frame
	free   [MaxOrder + 1]uint32 // list heads (PFN, 0 = empty)
	stats  Stats                // Total and FreeBlocks; protected by lock
	total  atomic.Uint64        // stats.Total, for Total without the lock

	// freeN and kinds are the free and per-kind counts. They change under
	// lock or under a per-CPU cache's lock, atomically, so Check (which
	// holds every lock) sees them exact.
	freeN atomic.Int64
	kinds [numKinds]atomic.Int64
	huge  [numKinds]atomic.Int64 // frames in allocated blocks of HugeOrder

	userFailed atomic.Uint64 // AllocUser refusals (see Reserve)

	// PerCPU turns the per-CPU caches on (the boot path, once every CPU
	// has its GS area). CPU returns the running CPU (tests replace it).
	PerCPU bool
	CPU    func() int
	pcp    [amd64.MaxCPUs]pcpList
	// Poison fills freed frames with PoisonByte (xv6's junk-filling
	// habit; Linux's page poisoning). The kernel turns it on for test runs
	// and debug=poison: it costs a page of writes per page freed (under
	// TCG about as much as the rest of munmap's work on that page).
	Poison bool
	// Reserve is how many free frames AllocUser leaves alone (Linux's min
	// watermark, min_free_kbytes): user memory — anonymous pages, the page
	// cache, user page tables — can never take the last Reserve frames,
	// which the kernel's own allocations (the Go heap, kernel stacks,
	// kernel page tables) may use. Set once at boot (SetReserve).
	Reserve uint64
	// phys turns a PFN into a pointer to its memory; on the machine that is
	// the direct map, in host tests a fake region.
	phys func(pfn uint64) unsafe.Pointer
}

// pcpList is one CPU's cache of free single frames. Frames in it are free
// (kind KindFree, counted in freeN) but on no buddy list.
type pcpList struct {
	lock amd64.SpinLock
	n    int
	pfns [pcpHigh]uint32
}

const (
	pcpHigh  = 64 // a cache drains pcpBatch frames when it would exceed this
	pcpBatch = 16 // frames moved between a cache and the buddy lists at once
)

// PoisonByte is what freed frames are filled with (Linux's POISON_FREE).
const PoisonByte = 0x6b

// MetaSize returns the bytes of metadata needed for n frames.
func MetaSize(n uint64) uintptr { return uintptr(n) * unsafe.Sizeof(Frame{}) }

// Init prepares a for frames [0, n) whose metadata lives at meta (MetaSize(n)
// bytes, not Go heap memory) and whose contents are reached through phys.
// All frames start reserved; AddRange frees usable RAM.
func (a *Allocator) Init(meta unsafe.Pointer, n uint64, phys func(pfn uint64) unsafe.Pointer) {
	a.frames = unsafe.Slice((*Frame)(meta), n) // wb: Init runs at boot (or in host tests)
	// One memclr, then the one field that is not zero: field by field
	// (two of them atomic stores) took 40-60 ms for 1 GiB under TCG.
	clear(a.frames)
	for i := range a.frames {
		a.frames[i].kind = KindReserved
	}
	a.free = [MaxOrder + 1]uint32{}
	a.stats = Stats{}
	a.freeN.Store(0)
	for i := range a.kinds {
		a.kinds[i].Store(0)
	}
	for i := range a.pcp {
		a.pcp[i].n = 0
	}
	a.phys = phys // wb: Init runs at boot (or in host tests)
}

// SetClasses gives the buddy lock and the per-CPU caches' locks their
// lockdep classes.
func (a *Allocator) SetClasses(buddy, pcp lockdep.Class) {
	a.lock.SetClass(buddy)
	for i := range a.pcp {
		a.pcp[i].lock.SetClass(pcp)
	}
}

// NumFrames returns the size of the PFN space.
func (a *Allocator) NumFrames() uint64 { return uint64(len(a.frames)) }

// AddRange makes the frames in [start, end) (physical addresses, rounded
// inwards to whole frames) available. PFN 0 is never added.
func (a *Allocator) AddRange(start, end uint64) {
	lo := (start + PageSize - 1) >> PageShift
	hi := end >> PageShift
	if lo == 0 {
		lo = 1
	}
	if hi > uint64(len(a.frames)) {
		hi = uint64(len(a.frames))
	}
	f := a.lock.LockIRQ()
	for pfn := lo; pfn < hi; {
		// Largest aligned block that fits.
		order := 0
		for order < MaxOrder && pfn&(1<<(order+1)-1) == 0 && pfn+1<<(order+1) <= hi {
			order++
		}
		for i := pfn; i < pfn+1<<order; i++ {
			a.frames[i].kind = KindFree
		}
		a.stats.Total += 1 << order
		a.total.Store(a.stats.Total)
		a.freeBlockLocked(pfn, order)
		pfn += 1 << order
	}
	a.lock.UnlockIRQ(f)
}

//go:nosplit
func (a *Allocator) push(pfn uint64, order int) {
	fr := &a.frames[pfn]
	fr.flags = flagFree
	fr.order = uint8(order)
	fr.prev = 0
	fr.next = a.free[order]
	if fr.next != 0 {
		a.frames[fr.next].prev = uint32(pfn)
	}
	a.free[order] = uint32(pfn)
	a.stats.FreeBlocks[order]++
}

//go:nosplit
func (a *Allocator) unlink(pfn uint64, order int) {
	fr := &a.frames[pfn]
	if fr.prev != 0 {
		a.frames[fr.prev].next = fr.next
	} else {
		a.free[order] = fr.next
	}
	if fr.next != 0 {
		a.frames[fr.next].prev = fr.prev
	}
	fr.next, fr.prev, fr.flags = 0, 0, 0
	a.stats.FreeBlocks[order]--
}

// freeBlockLocked puts a block on the free lists, merging it with its
// buddies. Preconditions: a.lock held; the block's frames are not on any list.
//
//go:nosplit
func (a *Allocator) freeBlockLocked(pfn uint64, order int) {
	if !a.lock.Held() { // the cheap half of AssertHeld: it must stay nosplit
		panic("phys: the buddy lists without their lock")
	}
	a.freeN.Add(1 << order)
	for order < MaxOrder {
		buddy := pfn ^ (1 << order)
		if buddy >= uint64(len(a.frames)) {
			break
		}
		b := &a.frames[buddy]
		if b.flags&flagFree == 0 || int(b.order) != order {
			break
		}
		a.unlink(buddy, order)
		pfn &= buddy
		order++
	}
	a.push(pfn, order)
}

// Alloc returns the PFN of a free block of 2^order frames, marked kind. ok
// is false when no block that large is free (memory exhausted or, for large
// orders, fragmented).
func (a *Allocator) Alloc(order int, kind Kind) (pfn uint64, ok bool) {
	if order == 0 && a.PerCPU {
		return a.allocPCP(kind)
	}
	f := a.lock.LockIRQ()
	pfn, ok = a.takeLocked(order)
	if ok {
		a.markAllocated(pfn, order, kind)
	}
	a.lock.UnlockIRQ(f)
	return pfn, ok
}

// AllocUser is Alloc for memory a user of the kernel asked for (like
// GFP_HIGHUSER): it fails, rather than dipping into the reserve, when the
// block would leave fewer than Reserve free frames. So a program, or a
// shell command, that maps memory until none is left gets an error
// (ENOMEM) while the kernel's Go heap still has room to grow.
func (a *Allocator) AllocUser(order int, kind Kind) (pfn uint64, ok bool) {
	if uint64(a.freeN.Load()) < a.Reserve+1<<order {
		a.userFailed.Add(1)
		return 0, false
	}
	return a.Alloc(order, kind)
}

// SetReserve sets Reserve from the number of usable frames: 1/16 of RAM,
// at least 8 MiB and at most 64 MiB. The Go heap is what needs it: its
// garbage collector grows the heap in steps, stacks grow by doubling, and
// none of that may fail once user memory has taken everything else
// (Linux's min_free_kbytes, sqrt(16 * lowmem KiB), is ~1.4 MiB on 128 MiB:
// enough for a kernel that allocates in small slabs, not for a Go heap).
func (a *Allocator) SetReserve() {
	total := a.Stats().Total
	r := total / 16
	r = max(r, 8<<20/PageSize)
	r = min(r, 64<<20/PageSize, total/2)
	a.Reserve = r
}

// UserFailed counts AllocUser calls refused because of the reserve.
func (a *Allocator) UserFailed() uint64 { return a.userFailed.Load() }

// takeLocked removes a free block of 2^order frames from the lists,
// splitting a larger one if needed; the frames stay counted as free.
// Preconditions: a.lock held.
//
//go:nosplit
func (a *Allocator) takeLocked(order int) (uint64, bool) {
	if !a.lock.Held() { // the cheap half of AssertHeld: it must stay nosplit
		panic("phys: the buddy lists without their lock")
	}
	k := order
	for k <= MaxOrder && a.free[k] == 0 {
		k++
	}
	if k > MaxOrder {
		return 0, false
	}
	pfn := uint64(a.free[k])
	a.unlink(pfn, k)
	// Split: give back the upper halves.
	for k > order {
		k--
		a.push(pfn+1<<k, k)
	}
	return pfn, true
}

// markAllocated makes a taken block an allocated one of kind. The caller
// holds the lock that covers the block (a.lock or its per-CPU cache's).
//
//go:nosplit
func (a *Allocator) markAllocated(pfn uint64, order int, kind Kind) {
	fr := &a.frames[pfn]
	fr.flags = flagHead
	fr.order = uint8(order)
	for i := pfn; i < pfn+1<<order; i++ {
		a.frames[i].kind = kind
	}
	a.freeN.Add(-1 << order)
	a.kinds[kind].Add(1 << order)
	if order == HugeOrder {
		a.huge[kind].Add(1 << order)
	}
}

// badFree says why (pfn, order) cannot be freed (freeOK if it can); the
// reasons are codes, not strings, so that the panic messages stay static
// data and trap context does not allocate.
//
//go:nosplit
func (a *Allocator) badFree(pfn uint64, order int) int {
	if pfn >= uint64(len(a.frames)) {
		return freeBeyond
	}
	if fr := &a.frames[pfn]; fr.flags&flagHead == 0 || int(fr.order) != order {
		return freeNotHead
	}
	return freeOK
}

const (
	freeOK = iota
	freeBeyond
	freeNotHead
)

// panicBadFree panics with the message for a badFree code.
func panicBadFree(code int) {
	if code == freeBeyond {
		panic("mm: Free: PFN beyond memory")
	}
	panic("mm: Free: frame is not the head of an allocated block of that order")
}

// markFreed poisons a block that is being freed and resets its metadata
// (kind, generation, owner); the caller then puts it on a list or a cache.
// It must run before the block is free: afterwards another CPU may own it.
//
//go:nosplit
func (a *Allocator) markFreed(pfn uint64, order int) {
	if a.Poison {
		// One byte, then copies that double the poisoned prefix: memmove
		// is far faster than a byte loop (under TCG, 2 MiB took ms).
		b := unsafe.Slice((*byte)(a.phys(pfn)), PageSize<<order)
		b[0] = PoisonByte
		for n := 1; n < len(b); n *= 2 {
			copy(b[n:], b[:n])
		}
	}
	fr := &a.frames[pfn]
	kind := fr.kind
	for i := pfn; i < pfn+1<<order; i++ {
		a.frames[i].kind = KindFree
	}
	fr.Gen++
	fr.Owner, fr.Level = 0, 0
	fr.flags = 0
	a.kinds[kind].Add(-1 << order)
	if order == HugeOrder {
		a.huge[kind].Add(-1 << order)
	}
}

// Free returns a block obtained from Alloc with the same order. Freeing a
// block that is not allocated, or with the wrong order, is a kernel bug and
// panics with the frame's state (it is caught here rather than corrupting
// the lists).
//
// Page-cache frames bypass the per-CPU caches: they come back in runs of
// 512 when a file collapse drops the small pages of a 2 MiB range (pages
// that were one huge page before a split), and a frame parked in a cache
// would soon be handed out again — to a page table or the Go heap, for
// good — and keep its 2 MiB block from ever merging. (Linux keeps such
// allocations apart with migrate types and undoes the damage with
// compaction; neither exists here.)
func (a *Allocator) Free(pfn uint64, order int) {
	if order == 0 && a.PerCPU && (pfn >= uint64(len(a.frames)) || a.frames[pfn].kind != KindPageCache) {
		a.freePCP(pfn)
		return
	}
	f := a.lock.LockIRQ()
	if code := a.badFree(pfn, order); code != freeOK {
		a.lock.UnlockIRQ(f)
		panicBadFree(code)
	}
	a.markFreed(pfn, order)
	a.freeBlockLocked(pfn, order)
	a.lock.UnlockIRQ(f)
}

// Head returns the first frame and the order of the allocated block that
// contains pfn: pfn itself for a 4 KiB page, the 2 MiB-aligned head for a
// frame inside a huge page (Linux's compound_head). The caller holds a
// reference on the block, so it cannot be freed meanwhile.
func (a *Allocator) Head(pfn uint64) (uint64, int) {
	if fr := &a.frames[pfn]; fr.flags&flagHead != 0 {
		return pfn, int(fr.order)
	}
	for order := 1; order <= MaxOrder; order++ {
		h := pfn &^ (1<<order - 1)
		if fr := &a.frames[h]; fr.flags&flagHead != 0 && int(fr.order) >= order {
			return h, int(fr.order)
		}
	}
	panic("mm: Head: frame is in no allocated block")
}

// Split turns an allocated block of 2^order frames into 2^order allocated
// single frames of the same kind (split_huge_page's part in the
// allocator): each can then be freed on its own.
func (a *Allocator) Split(pfn uint64, order int) {
	f := a.lock.LockIRQ()
	if code := a.badFree(pfn, order); code != freeOK {
		a.lock.UnlockIRQ(f)
		panicBadFree(code)
	}
	for i := pfn; i < pfn+1<<order; i++ {
		a.frames[i].flags = flagHead
		a.frames[i].order = 0
	}
	if order == HugeOrder {
		a.huge[a.frames[pfn].kind].Add(-1 << order)
	}
	a.lock.UnlockIRQ(f)
}

// ScanHeads calls fn for the head of every allocated block of kind with
// its order and metadata, in PFN order: a sweep without the allocator's
// locks, for statistics (/proc/meminfo's Mapped). It reads the frames'
// flags, order and kind with plain loads while other CPUs may change
// them: a block allocated, split or freed meanwhile may be missed or
// seen in its old shape, which a statistic can live with (the loads are
// of single bytes, and the order read is bounded before it is used).
// fn must not allocate frames.
func (a *Allocator) ScanHeads(kind Kind, fn func(pfn uint64, order int, f *Frame)) {
	for pfn := uint64(0); pfn < uint64(len(a.frames)); {
		fr := &a.frames[pfn]
		flags, order, k := fr.flags, fr.order, fr.kind
		if flags&flagHead == 0 || order > MaxOrder {
			pfn++
			continue
		}
		if k == kind {
			fn(pfn, int(order), fr)
		}
		pfn += 1 << order
	}
}

// Meta returns the metadata of frame pfn (nil beyond memory).
func (a *Allocator) Meta(pfn uint64) *Frame {
	if pfn >= uint64(len(a.frames)) {
		return nil
	}
	return &a.frames[pfn]
}

// KindOf returns the kind of the frame pfn.
func (a *Allocator) KindOf(pfn uint64) Kind {
	if pfn >= uint64(len(a.frames)) {
		return KindReserved
	}
	return a.frames[pfn].kind
}

// Total is the number of usable RAM frames. It is set while memory is
// added at boot and constant after, so it is read without the lock
// (mmap's overcommit check asks on every charged mapping).
func (a *Allocator) Total() uint64 { return a.total.Load() }

// Stats returns a snapshot of the counters.
func (a *Allocator) Stats() Stats {
	f := a.lock.LockIRQ()
	s := a.stats
	a.lock.UnlockIRQ(f)
	s.Free = uint64(a.freeN.Load())
	for k := range s.ByKind {
		s.ByKind[k] = uint64(a.kinds[k].Load())
		s.HugeByKind[k] = uint64(a.huge[k].Load())
	}
	return s
}

// Check recounts the free lists from scratch and compares them with the
// counters (the tests call it; it is O(frames)). It returns "" or what is
// wrong.
func (a *Allocator) Check() string {
	// Lock order: every per-CPU cache, then the buddy lock.
	reserveStack()
	at := amd64.EnterAtomic()
	for i := range a.pcp {
		a.pcp[i].lock.Lock()
	}
	a.lock.Lock()
	msg := a.checkLocked()
	a.lock.Unlock()
	for i := range a.pcp {
		a.pcp[i].lock.Unlock()
	}
	amd64.ExitAtomic(at)
	return msg
}

// checkLocked is Check with every lock held. It is nosplit like the other
// helpers under the allocator's locks: a stack growth here runs the Go
// runtime with every per-CPU cache locked, and what the runtime does then
// (a clock_gettime, a heap page to fault in) may wait for a CPU that is
// itself waiting for one of those caches — a deadlock seen in the fork
// suite under load.
//
//go:nosplit
func (a *Allocator) checkLocked() string {
	var free uint64
	for k := 0; k <= MaxOrder; k++ {
		var blocks uint64
		for p := a.free[k]; p != 0; p = a.frames[p].next {
			fr := &a.frames[p]
			if fr.flags&flagFree == 0 || int(fr.order) != k {
				return "free list holds a frame that is not a free block head of that order"
			}
			if uint64(p)&(1<<k-1) != 0 {
				return "free block is not aligned to its order"
			}
			blocks++
			free += 1 << k
		}
		if blocks != a.stats.FreeBlocks[k] {
			return "free block count differs from the lists"
		}
	}
	for i := range a.pcp {
		c := &a.pcp[i]
		for j := 0; j < c.n; j++ {
			if a.frames[c.pfns[j]].kind != KindFree {
				return "a per-CPU cache holds a frame that is not free"
			}
		}
		free += uint64(c.n)
	}
	if int64(free) != a.freeN.Load() {
		return "free frame count differs from the lists and caches"
	}
	var used int64
	for k := range a.kinds {
		used += a.kinds[k].Load()
	}
	if uint64(used)+free != a.stats.Total {
		return "free + allocated != total"
	}
	return ""
}

func (a *Allocator) cpu() int {
	if a.CPU != nil {
		return a.CPU()
	}
	return int(amd64.This().ID)
}

// stackHeadroom is the stack a goroutine is given before it enters the
// per-CPU caches' critical sections (see stackReserve).
const stackHeadroom = 4096

var reserveLo, reserveHi = 0, stackHeadroom - 1 // indexes the compiler cannot fold
var reserveSink byte

// stackReserve makes sure the calling goroutine has stackHeadroom bytes
// of stack free before it takes a per-CPU cache lock: with the lock
// validator on, the nested acquisition inside (Allocator.lock, whose
// lockdep.PrepareSpin is ordinary Go) could grow the stack there, and the
// new stack's first touch would fault in a heap page whose handler needs
// the very cache lock held — a deadlock. This function's own frame is the
// reservation: its prologue grows the stack now, with no lock held. Trap
// context (a kernel stack of fixed size) and host tests are left alone.
//
//go:noinline
func stackReserve() {
	var pad [stackHeadroom]byte
	pad[reserveLo] = 1
	reserveSink = pad[reserveHi]
}

// reserveStack calls stackReserve where it matters (see there).
//
//go:nosplit
func reserveStack() {
	if lockdep.Enabled && amd64.Bare && amd64.This().Nesting == 0 {
		stackReserve()
	}
}

// allocPCP takes a frame from this CPU's cache, refilling it from the
// buddy lists when empty.
func (a *Allocator) allocPCP(kind Kind) (uint64, bool) {
	reserveStack()
	at := amd64.EnterAtomic() // stay on this CPU; interrupt handlers allocate too
	c := &a.pcp[a.cpu()]
	c.lock.Lock()
	if c.n == 0 {
		a.lock.Lock()
		for c.n < pcpBatch {
			p, ok := a.takeLocked(0)
			if !ok {
				break
			}
			c.pfns[c.n] = uint32(p)
			c.n++
		}
		a.lock.Unlock()
	}
	if c.n == 0 {
		c.lock.Unlock()
		amd64.ExitAtomic(at)
		return 0, false
	}
	c.n--
	pfn := uint64(c.pfns[c.n])
	a.markAllocated(pfn, 0, kind)
	c.lock.Unlock()
	amd64.ExitAtomic(at)
	return pfn, true
}

// freePCP puts a frame into this CPU's cache, draining a batch to the buddy
// lists when it is full.
func (a *Allocator) freePCP(pfn uint64) {
	if code := a.badFree(pfn, 0); code != freeOK {
		panicBadFree(code)
	}
	reserveStack()
	at := amd64.EnterAtomic()
	c := &a.pcp[a.cpu()]
	c.lock.Lock()
	if c.n == pcpHigh {
		a.lock.Lock()
		for i := 0; i < pcpBatch; i++ {
			c.n--
			p := uint64(c.pfns[c.n])
			a.freeN.Add(-1) // freeBlockLocked counts it again
			a.freeBlockLocked(p, 0)
		}
		a.lock.Unlock()
	}
	a.markFreed(pfn, 0)
	c.pfns[c.n] = uint32(pfn)
	c.n++
	a.freeN.Add(1)
	c.lock.Unlock()
	amd64.ExitAtomic(at)
}
