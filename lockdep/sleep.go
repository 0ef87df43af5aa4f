// sleep.go: tracking sleeping locks, per goroutine.

// trapctx: process context only

package lockdep

import "unsafe"

// Sleeping locks: per goroutine, in an open-addressed table keyed by the
// goroutine's g (no map: a map insert may allocate, which must not happen
// with interrupts off). An entry stays once made: the runtime reuses the
// g of a goroutine that exited, so the table holds about as many entries
// as goroutines ever ran at once (a goroutine that exits holding a
// sleeping lock is a bug that then shows in its successor's reports).
const maxGoroutines = 1024

var (
	goKeys     [maxGoroutines]uintptr
	goStacks   [maxGoroutines]*heldStack
	sleepHeldW word
)

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
	f, _ := m.IRQSave()
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
	// A preemptible goroutine holds no spinlock (holding one is atomic
	// context); an atomic one has its CPU's, which then count too (and
	// taking a sleeping lock there is the sleep-in-atomic bug).
	atomic, spins, why := atomicState()
	if atomic {
		report(Report{Kind: SleepInAtomic, Class: c, PC: h.pc, Context: why})
	}
	checkOrder(c, &h, goStack(true), spins)
	return &h
}

// AcquiredSleep records a sleeping lock as held (after AcquireSleep and
// the lock itself).
func AcquiredSleep(h *held) {
	if h == nil {
		return
	}
	if s := goStack(true); s == nil || !s.push(h) {
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
}

// DowngradeSleep records that the running goroutine's write hold of lock
// became a read hold (RWMutex.Downgrade).
func DowngradeSleep(c Class, lock unsafe.Pointer) {
	if c == 0 {
		return
	}
	if s := goStack(false); s != nil {
		if i := s.newest(uintptr(lock)); i >= 0 {
			s.h[i].read = true
			return
		}
	}
	report(Report{Kind: NotHolder, Class: c, PC: m.Callers()})
}
