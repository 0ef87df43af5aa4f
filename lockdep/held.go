// held.go: the locks each context holds, and the lock operations' hooks.

package lockdep

import "unsafe"

// maxHeld is how deep one context's held-lock stack may get.
const maxHeld = 24

// maxNesting is how many trap-nesting levels have their own stack.
const maxNesting = 4

type held struct {
	class Class
	lock  uintptr // the lock's address: a class has many locks
	read  bool    // a reader of an RWMutex
	pc    [StackDepth]uintptr
}

type heldStack struct {
	n int
	h [maxHeld]held
}

//go:nosplit
func (s *heldStack) push(h *held) bool {
	if s.n == maxHeld {
		return false
	}
	s.h[s.n] = *h
	s.n++
	return true
}

// newest returns the index of the newest entry for lock, -1 if the stack
// has none.
//
//go:nosplit
func (s *heldStack) newest(lock uintptr) int {
	for i := s.n - 1; i >= 0; i-- {
		if s.h[i].lock == lock {
			return i
		}
	}
	return -1
}

// remove takes the newest entry for lock off the stack; ok is false if
// the stack has none.
//
//go:nosplit
func (s *heldStack) remove(lock uintptr) bool {
	i := s.newest(lock)
	if i < 0 {
		return false
	}
	copy(s.h[i:s.n], s.h[i+1:s.n])
	s.n--
	return true
}

func (s *heldStack) has(lock uintptr) bool { return s.newest(lock) >= 0 }

// Spinlocks: per CPU, per nesting level.
var spinHeld [MaxCPUs][maxNesting]heldStack

//go:nosplit
func cpuStack() *heldStack {
	return &spinHeld[m.CPU()%MaxCPUs][min(m.Nesting(), maxNesting-1)]
}

// pending holds, per CPU and nesting level, the acquisition PrepareSpin
// validated, until AcquiredSpin pushes it: the checks run before the lock
// is taken, like Linux's lock_acquire, so that none of the validator's
// work — and no stack growth of a goroutine, which allocates — happens
// inside the critical section (a heap fault there, under the frame
// allocator's lock, deadlocked).
var pending [MaxCPUs][maxNesting]held

// PrepareSpin is called by a spinlock before it spins for lock (of class
// c). It reports a spinlock taken in preemptible context, an
// interrupt-unsafe class and order inversions, and records the
// acquisition for AcquiredSpin.
func PrepareSpin(c Class, lock unsafe.Pointer) {
	if c == 0 {
		return
	}
	f, irqsWereOn := m.IRQSave()
	nest := m.Nesting()
	p := &pending[m.CPU()%MaxCPUs][min(nest, maxNesting-1)]
	p.class, p.lock, p.read = c, uintptr(lock), false
	p.pc = m.Callers()
	if nest == 0 && irqsWereOn && m.Preempt() == 0 {
		report(Report{Kind: Preemptible, Class: c, PC: p.pc})
	}
	checkIRQSafety(c, nest > 0, irqsWereOn, &p.pc)
	var g *heldStack
	if nest == 0 {
		g = goStack(false) // a goroutine's sleeping locks come before its spinlocks
	}
	checkOrder(c, p, cpuStack(), g)
	m.IRQRestor(f)
}

// AcquiredSpin and ReleaseSpin run inside the critical section, so they
// and what they call are nosplit: a stack growth there would run the Go
// runtime (allocate a stack, fault in a heap page, read the clock) with
// the lock held — under the frame allocator's per-CPU lock the heap fault
// needs that very lock, and the fork suite deadlocked on it under load.
//
// AcquiredSpin is called by a spinlock right after it took lock: it
// pushes what PrepareSpin recorded (or, for a TryLock, which needs no
// order check since it cannot wait, the acquisition itself).
//
//go:nosplit
func AcquiredSpin(c Class, lock unsafe.Pointer, try bool) {
	if c == 0 {
		return
	}
	f, _ := m.IRQSave()
	p := &pending[m.CPU()%MaxCPUs][min(m.Nesting(), maxNesting-1)]
	if try || p.lock != uintptr(lock) {
		recordAcquire(p, c, lock)
	}
	if !cpuStack().push(p) {
		reportAt(TooDeep, c, p)
	}
	p.lock = 0
	m.IRQRestor(f)
}

// recordAcquire fills p for an acquisition PrepareSpin did not see (a
// TryLock). Not nosplit: TryLock's callers hold no allocator lock.
func recordAcquire(p *held, c Class, lock unsafe.Pointer) {
	p.class, p.lock, p.read = c, uintptr(lock), false
	p.pc = m.Callers()
}

// reportAt reports a problem of kind k with p's acquisition stack (an
// error path: it may grow the stack).
func reportAt(k ReportKind, c Class, p *held) {
	report(Report{Kind: k, Class: c, PC: p.pc})
}

// ReleaseSpin is called by a spinlock before it releases lock.
//
//go:nosplit
func ReleaseSpin(c Class, lock unsafe.Pointer) {
	if c == 0 {
		return
	}
	f, _ := m.IRQSave()
	ok := cpuStack().remove(uintptr(lock))
	m.IRQRestor(f)
	if !ok {
		notHolder(c)
	}
}

// notHolder reports a release by a context that does not hold the lock.
func notHolder(c Class) {
	var pc [StackDepth]uintptr
	pc = m.Callers()
	report(Report{Kind: NotHolder, Class: c, PC: pc})
}

// HeldBySelf reports whether the running context holds lock: a spinlock
// on this CPU at this nesting level, or a sleeping lock of this
// goroutine. Meaningful only while Enabled.
func HeldBySelf(k Kind, lock unsafe.Pointer) bool {
	if k == Spin {
		f, _ := m.IRQSave()
		ok := cpuStack().has(uintptr(lock))
		m.IRQRestor(f)
		return ok
	}
	s := goStack(false)
	return s != nil && s.has(uintptr(lock))
}

// AssertFailed reports a failed AssertHeld of a lock of class c.
func AssertFailed(c Class) {
	var pc [StackDepth]uintptr
	pc = m.Callers()
	report(Report{Kind: NotHeld, Class: c, PC: pc})
}
