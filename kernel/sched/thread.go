// thread.go: the thread table.

package sched

import (
	"sync/atomic"
	"unsafe"

	"retract/arch/amd64"
	"retract/mm/phys"
)

// MaxThreads bounds the thread table.
const MaxThreads = 256

// kstackOrder: kernel stacks are 2^3 frames = 32 KiB.
const kstackOrder = 3

// State is a thread's scheduling state.
type State uint32

const (
	Free State = iota
	Runnable
	Running
	Blocked
	Dead
)

var stateNames = [...]string{"free", "runnable", "running", "blocked", "dead"}

func (s State) String() string { return stateNames[s] }

// Thread is one kernel thread. Fields are protected by lock unless noted.
type Thread struct {
	ctx       uintptr // saved stack pointer while switched out
	kstackLo  uintptr // immutable while the thread lives
	kstackTop uintptr
	kstackPFN uint64
	kg        amd64.KernelG
	// ktls is the TLS block of kernel-only threads (idle): FS base points
	// at ktls[1], so the g slot FS:-8 is ktls[0], which holds &kg.
	ktls [2]uintptr

	// CR3 is the PML4 the thread runs on (0: the kernel's boot tables).
	// Written by the thread itself (SetCR3), read on every switch.
	CR3 uint64

	// FSBase is the thread's TLS pointer (arch_prctl, clone). Written only
	// by the thread itself.
	FSBase uintptr

	tid      int32
	state    State
	cpu      int32  // CPU running it, or -1
	next     int32  // run queue link: index+1, 0 = none
	idle     bool   // a CPU's idle thread
	affinity uint32 // CPUs it may run on (bit i = CPU i); 0: any
	waitKey  uintptr
	deadline uint64 // wake-up time in ns (0 = none)
	timedOut bool

	sliceStart uint64

	// rcuNest and preempt hold the CPU's RCUNest and PreemptCount while
	// the thread is switched out (they belong to the thread).
	rcuNest, preempt int32
	pinBits          uint64
	warnedRCU        bool

	// Statistics.
	Switches uint64

	// User is the id of the user thread whose task goroutine is locked to
	// this kernel thread (0: none, a thread of the kernel's own Go
	// runtime), for `threads` and the trace's readers. Written by the
	// thread itself.
	User atomic.Int32

	// Signal state, owned by the thread itself (sys package).
	SigMask     uint64
	SigAltSP    uint64
	SigAltSize  uint64
	SigAltFlags int32
}

var (
	threads [MaxThreads]Thread
	// high is one past the highest slot ever used: scans stop there.
	high    int32
	nextTID int32 = 1
)

// idx returns t's slot number.
func idx(t *Thread) int32 {
	return int32((uintptr(unsafe.Pointer(t)) - uintptr(unsafe.Pointer(&threads[0]))) / unsafe.Sizeof(Thread{}))
}

// TIDAt returns the id of the thread at address a (amd64.CPU.Thread), and
// whether it is an idle thread; -1 if a is not a thread. Any context (the
// NMI backtrace reads it).
func TIDAt(a uintptr) (tid int32, idle bool) {
	base := uintptr(unsafe.Pointer(&threads[0]))
	size := unsafe.Sizeof(Thread{})
	if a < base || a >= base+MaxThreads*size || (a-base)%size != 0 {
		return -1, false
	}
	t := &threads[(a-base)/size]
	return t.tid, t.idle
}

// TID returns the thread id (Linux gettid).
func (t *Thread) TID() int32 { return t.tid }

// State returns the thread's state (racy unless lock is held; for display).
func (t *Thread) State() State { return t.state }

// CPU returns the CPU the thread runs on, or -1.
func (t *Thread) CPU() int32 { return t.cpu }

// Idle reports whether t is an idle thread.
func (t *Thread) Idle() bool { return t.idle }

// allocThreadLocked takes a free slot and gives it a kernel stack.
// Preconditions: lock held.
func allocThreadLocked() *Thread {
	lock.AssertHeld()
	for i := range threads {
		t := &threads[i]
		if t.state != Free {
			continue
		}
		pfn, ok := phys.Frames.Alloc(kstackOrder, phys.KindKernel)
		if !ok {
			return nil
		}
		*t = Thread{}
		t.kstackPFN = pfn
		t.kstackLo = phys.VA(pfn << phys.PageShift)
		t.kstackTop = t.kstackLo + phys.PageSize<<kstackOrder
		amd64.InitKernelG(&t.kg, t.kstackLo, t.kstackTop)
		t.tid = nextTID
		nextTID++
		t.cpu = -1
		if int32(i) >= high {
			high = int32(i) + 1
		}
		return t
	}
	return nil
}

// freeThreadLocked releases a dead thread's stack and slot.
// Preconditions: lock held; t is not running anywhere.
func freeThreadLocked(t *Thread) {
	lock.AssertHeld()
	phys.Frames.Free(t.kstackPFN, kstackOrder)
	t.state = Free
}

// ForEach calls f for every live thread, under the lock (f must not block
// or allocate).
func ForEach(f func(t *Thread)) {
	fl := lock.LockIRQ()
	for i := int32(0); i < high; i++ {
		if threads[i].state != Free {
			f(&threads[i])
		}
	}
	lock.UnlockIRQ(fl)
}

// Count returns the number of live threads (idle threads included).
func Count() int {
	n := 0
	ForEach(func(*Thread) { n++ })
	return n
}
