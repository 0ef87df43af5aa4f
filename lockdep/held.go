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

func (s *heldStack) push(h held) bool {
	if s.n == maxHeld {
		return false
	}
	s.h[s.n] = h
	s.n++
	return true
}

// remove takes the newest entry for lock off the stack; ok is false if
// the stack has none.
func (s *heldStack) remove(lock uintptr) bool {
	for i := s.n - 1; i >= 0; i-- {
		if s.h[i].lock == lock {
			copy(s.h[i:s.n], s.h[i+1:s.n])
			s.n--
			return true
		}
	}
	return false
}

func (s *heldStack) has(lock uintptr) bool {
	for i := 0; i < s.n; i++ {
		if s.h[i].lock == lock {
			return true
		}
	}
	return false
}

// Spinlocks: per CPU, per nesting level.
var spinHeld [MaxCPUs][maxNesting]heldStack

// Sleeping locks: per goroutine, in an open-addressed table keyed by the
// goroutine's g (no map: a map insert may allocate, which must not happen
// with interrupts off). A goroutine has an entry while it holds a
// sleeping lock.
const maxGoroutines = 1024

var (
	goKeys     [maxGoroutines]uintptr
	goStacks   [maxGoroutines]*heldStack
	sleepHeldW word
)

func cpuStack() *heldStack {
	return &spinHeld[m.CPU()%MaxCPUs][min(m.Nesting(), maxNesting-1)]
}

// goSlot finds g's slot, or with insert the free slot to use for it (-1
// when the table is full). Preconditions: sleepHeldW held.
func goSlot(g uintptr, insert bool) int {
	i := int((g >> 4) % maxGoroutines)
	for probe := 0; probe < maxGoroutines; probe++ {
		switch goKeys[i] {
		case g:
			return i
		case 0:
			if insert {
				return i
			}
			return -1
		}
		i = (i + 1) % maxGoroutines
	}
	return -1
}

// goStack returns the running goroutine's stack of sleeping locks,
// creating it with create (process context only: it allocates).
func goStack(create bool) *heldStack {
	if s := lookupGoStack(m.G(), nil); s != nil || !create {
		return s
	}
	return lookupGoStack(m.G(), new(heldStack)) // alloc: process context only (sleeping locks)
}

// lookupGoStack returns g's stack, installing fresh for it if it has none
// and fresh is not nil.
func lookupGoStack(g uintptr, fresh *heldStack) *heldStack {
	create := fresh != nil
	f := m.IRQSave()
	sleepHeldW.lock()
	var s *heldStack
	if i := goSlot(g, create); i >= 0 {
		if goKeys[i] == 0 {
			goKeys[i], goStacks[i] = g, fresh // wb: process context only (create)
		}
		s = goStacks[i]
	}
	sleepHeldW.unlock()
	m.IRQRestor(f)
	return s
}

// dropGoStack forgets the running goroutine's stack once it is empty.
// Slots after it that were displaced by it are moved back (deletion in
// linear probing).
func dropGoStack() {
	g := m.G()
	f := m.IRQSave()
	sleepHeldW.lock()
	if i := goSlot(g, false); i >= 0 && goStacks[i].n == 0 {
		goKeys[i], goStacks[i] = 0, nil
		for j := (i + 1) % maxGoroutines; goKeys[j] != 0; j = (j + 1) % maxGoroutines {
			k, st := goKeys[j], goStacks[j]
			goKeys[j], goStacks[j] = 0, nil
			n := goSlot(k, true)
			goKeys[n], goStacks[n] = k, st
		}
	}
	sleepHeldW.unlock()
	m.IRQRestor(f)
}

// AcquireSpin is called by a spinlock after it took lock (of class c).
// It reports a spinlock taken in preemptible context, an interrupt-unsafe
// class, and order inversions, and records the lock as held.
func AcquireSpin(c Class, lock unsafe.Pointer) {
	if c == 0 {
		return
	}
	f := m.IRQSave()
	irqsWereOn := f != 0 // IRQSave returns non-zero when interrupts were on
	var h held
	h.class, h.lock = c, uintptr(lock)
	h.pc = m.Callers()
	nest := m.Nesting()
	if nest == 0 && irqsWereOn && m.Preempt() == 0 {
		report(Report{Kind: Preemptible, Class: c, PC: h.pc})
	}
	checkIRQSafety(c, nest > 0, irqsWereOn, h.pc[0])
	s := cpuStack()
	var g *heldStack
	if nest == 0 {
		g = goStack(false) // a goroutine's sleeping locks come before its spinlocks
	}
	checkOrder(c, &h, s, g)
	if !s.push(h) {
		report(Report{Kind: TooDeep, Class: c, PC: h.pc})
	}
	m.IRQRestor(f)
}

// ReleaseSpin is called by a spinlock before it releases lock.
func ReleaseSpin(c Class, lock unsafe.Pointer) {
	if c == 0 {
		return
	}
	f := m.IRQSave()
	if !cpuStack().remove(uintptr(lock)) {
		var pc [StackDepth]uintptr
		pc = m.Callers()
		report(Report{Kind: NotHolder, Class: c, PC: pc})
	}
	m.IRQRestor(f)
}

// AcquireSleep is called by a sleeping lock before it blocks to take lock
// (read: as a reader of an RWMutex). It reports a sleep in atomic
// context and order inversions; the caller then takes the lock and calls
// AcquiredSleep.
func AcquireSleep(c Class, lock unsafe.Pointer, read bool) *held {
	if c == 0 {
		return nil
	}
	var h held
	h.class, h.lock, h.read = c, uintptr(lock), read
	h.pc = m.Callers()
	if inAtomic() {
		report(Report{Kind: SleepInAtomic, Class: c, PC: h.pc})
	}
	// The CPU's spinlocks count too (taking a sleeping lock under one is
	// also the sleep-in-atomic bug, reported above).
	f := m.IRQSave()
	var spins *heldStack
	if m.Nesting() == 0 {
		spins = cpuStack()
	}
	m.IRQRestor(f)
	checkOrder(c, &h, goStack(true), spins)
	return &h
}

// AcquiredSleep records a sleeping lock as held (after AcquireSleep and
// the lock itself).
func AcquiredSleep(h *held) {
	if h == nil {
		return
	}
	if s := goStack(true); s == nil || !s.push(*h) {
		report(Report{Kind: TooDeep, Class: h.class, PC: h.pc})
	}
}

// ReleaseSleep is called by a sleeping lock before it releases lock.
func ReleaseSleep(c Class, lock unsafe.Pointer) {
	if c == 0 {
		return
	}
	s := goStack(false)
	if s == nil || !s.remove(uintptr(lock)) {
		var pc [StackDepth]uintptr
		pc = m.Callers()
		report(Report{Kind: NotHolder, Class: c, PC: pc})
		return
	}
	if s.n == 0 {
		dropGoStack()
	}
}

// HeldBySelf reports whether the running context holds lock: a spinlock
// on this CPU at this nesting level, or a sleeping lock of this
// goroutine. Meaningful only while Enabled.
func HeldBySelf(k Kind, lock unsafe.Pointer) bool {
	if k == Spin {
		f := m.IRQSave()
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
