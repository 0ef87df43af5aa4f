package lockdep

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"
)

// A simulated machine: one goroutine plays every context, setting the CPU,
// nesting, interrupt and preempt state by hand.
type sim struct {
	cpu, nest int
	irqs      bool
	preempt   int32
	g         uintptr
	reports   []Report
}

var (
	simOnce sync.Once
	s       = &sim{irqs: false}
	simMu   sync.Mutex // tests share the global lockdep state: one at a time
)

func setup(t *testing.T) {
	t.Helper()
	simMu.Lock()
	t.Cleanup(simMu.Unlock)
	simOnce.Do(func() {
		SetMachine(Machine{
			CPU:     func() int { return s.cpu },
			Nesting: func() int { return s.nest },
			IRQsOn:  func() bool { return s.irqs },
			Preempt: func() int32 { return s.preempt },
			G:       func() uintptr { return s.g },
			IRQSave: func() (uintptr, bool) {
				if s.irqs {
					s.irqs = false
					return 1, true
				}
				return 0, false
			},
			IRQRestor: func(f uintptr) { s.irqs = f != 0 },
			Callers: func() (pcs [StackDepth]uintptr) {
				for i := range pcs {
					pcs[i] = uintptr(0x1000 + i)
				}
				return pcs
			},
			Report: func(r Report) { s.reports = append(s.reports, r) },
		})
		Enable()
	})
	*s = sim{g: 1}
	runs++
}

// runs counts setups. The class registry and the order graph outlive a
// test (as they outlive nothing in the kernel), so each run of a test
// (go test -count=N) names its classes afresh: uniq.
var runs int

func uniq(name string) string { return fmt.Sprintf("%s#%d", name, runs) }

// spin is a test spinlock: the lock word is irrelevant to lockdep, only
// its address and class are. Locks must not live on a goroutine stack
// (it moves, and with it the address lockdep knows the lock by): newSpin
// puts them on the heap.
type spin struct {
	c Class
	_ [8]byte
}

var keep []any

func newSpin(name string) *spin {
	l := &spin{c: Register(uniq(name), Spin)}
	keep = append(keep, l)
	return l
}

func (l *spin) lock() {
	s.irqs = false // spinlocks here are taken with interrupts off
	PrepareSpin(l.c, unsafe.Pointer(l))
	AcquiredSpin(l.c, unsafe.Pointer(l), false)
}
func (l *spin) unlock() { ReleaseSpin(l.c, unsafe.Pointer(l)) }

func kinds(rs []Report) []ReportKind {
	var out []ReportKind
	for _, r := range rs {
		out = append(out, r.Kind)
	}
	return out
}

func TestConsistentOrderIsQuiet(t *testing.T) {
	setup(t)
	a, b := newSpin("test.quiet.a"), newSpin("test.quiet.b")
	for i := 0; i < 100; i++ {
		a.lock()
		b.lock()
		b.unlock()
		a.unlock()
	}
	if len(s.reports) != 0 {
		t.Fatalf("a consistent order was reported: %v", kinds(s.reports))
	}
}

func TestInversionIsCaught(t *testing.T) {
	setup(t)
	a, b := newSpin("test.abba.a"), newSpin("test.abba.b")
	a.lock()
	b.lock()
	b.unlock()
	a.unlock()
	s.cpu = 1 // another CPU, the opposite order
	b.lock()
	a.lock()
	a.unlock()
	b.unlock()
	if len(s.reports) != 1 || s.reports[0].Kind != Inversion {
		t.Fatalf("reports %v, want one inversion", kinds(s.reports))
	}
	r := s.reports[0]
	if r.Class != a.c || r.Other != b.c {
		t.Errorf("inversion names %s while holding %s, want %s while holding %s", r.Class.Name(), r.Other.Name(), a.c.Name(), b.c.Name())
	}
	held, took, _, _, ok := r.BeforeStacks()
	if !ok || held != a.c || took != b.c {
		t.Errorf("the earlier order is %s -> %s (%v), want %s -> %s", held.Name(), took.Name(), ok, a.c.Name(), b.c.Name())
	}
	// Reported once only.
	b.lock()
	a.lock()
	a.unlock()
	b.unlock()
	if len(s.reports) != 1 {
		t.Errorf("the same inversion was reported %d times", len(s.reports))
	}
}

func TestTransitiveInversion(t *testing.T) {
	setup(t)
	a, b, c := newSpin("test.tri.a"), newSpin("test.tri.b"), newSpin("test.tri.c")
	a.lock()
	b.lock()
	b.unlock()
	a.unlock()
	b.lock()
	c.lock()
	c.unlock()
	b.unlock()
	c.lock()
	a.lock() // c -> a closes a -> b -> c -> a
	a.unlock()
	c.unlock()
	if len(s.reports) != 1 || s.reports[0].Kind != Inversion || s.reports[0].PathLen != 3 {
		t.Fatalf("reports %v (path %d), want one inversion through 3 classes", kinds(s.reports), s.reports[0].PathLen)
	}
}

func TestSleepInAtomic(t *testing.T) {
	setup(t)
	mu := &Mutex{Class: Register(uniq("test.sleep.mu"), Sleep)}
	keep = append(keep, mu)
	s.irqs = true
	s.preempt = 1 // an RCU reader, or PreemptDisable
	mu.Lock()
	mu.Unlock()
	s.preempt = 0
	mu.Lock()
	mu.Unlock()
	if got := kinds(s.reports); len(got) != 1 || got[0] != SleepInAtomic {
		t.Fatalf("reports %v, want one sleep in atomic context", got)
	}
}

func TestSleepThenSpinOrder(t *testing.T) {
	setup(t)
	mu := &Mutex{Class: Register(uniq("test.order.mmap"), Sleep)}
	keep = append(keep, mu)
	l := newSpin("test.order.ptl")
	s.irqs = true
	mu.Lock()
	s.preempt = 1
	l.lock()
	l.unlock()
	s.preempt = 0
	s.irqs = true
	mu.Unlock()
	// Now the inverse: the spinlock held, then the mutex: both a sleep in
	// atomic context and an inversion.
	s.preempt = 1
	l.lock()
	s.irqs = true
	mu.Lock()
	mu.Unlock()
	l.unlock()
	got := kinds(s.reports)
	if len(got) != 2 || got[0] != SleepInAtomic || got[1] != Inversion {
		t.Fatalf("reports %v, want sleep in atomic context, then inversion", got)
	}
}

func TestIRQUnsafe(t *testing.T) {
	setup(t)
	l := newSpin("test.irq.lock")
	s.nest = 1 // an interrupt handler takes it
	l.lock()
	l.unlock()
	s.nest = 0
	s.preempt = 1
	s.irqs = true
	PrepareSpin(l.c, unsafe.Pointer(l)) // with interrupts on
	AcquiredSpin(l.c, unsafe.Pointer(l), false)
	ReleaseSpin(l.c, unsafe.Pointer(l))
	if got := kinds(s.reports); len(got) != 1 || got[0] != IRQUnsafe {
		t.Fatalf("reports %v, want one interrupt-unsafe class", got)
	}
}

func TestPreemptibleSpin(t *testing.T) {
	setup(t)
	l := newSpin("test.preempt.lock")
	s.irqs = true
	PrepareSpin(l.c, unsafe.Pointer(l))
	AcquiredSpin(l.c, unsafe.Pointer(l), false)
	ReleaseSpin(l.c, unsafe.Pointer(l))
	if got := kinds(s.reports); len(got) < 1 || got[0] != Preemptible {
		t.Fatalf("reports %v, want a spinlock taken in preemptible context", got)
	}
}

func TestReleaseByAnotherHolder(t *testing.T) {
	setup(t)
	l := newSpin("test.owner.lock")
	l.lock()
	s.cpu = 2 // released on another CPU
	l.unlock()
	mu := &Mutex{Class: Register(uniq("test.owner.mu"), Sleep)}
	keep = append(keep, mu)
	s.cpu, s.irqs = 0, true
	mu.Lock()
	s.g = 2 // released by another goroutine
	mu.Unlock()
	if got := kinds(s.reports); len(got) != 2 || got[0] != NotHolder || got[1] != NotHolder {
		t.Fatalf("reports %v, want two releases by a non-holder", got)
	}
}

func TestAssertHeld(t *testing.T) {
	setup(t)
	mu := &Mutex{Class: Register(uniq("test.assert.mu"), Sleep)}
	keep = append(keep, mu)
	rw := &RWMutex{Class: Register(uniq("test.assert.rw"), Sleep)}
	keep = append(keep, rw)
	s.irqs = true
	mu.AssertHeld()
	mu.Lock()
	mu.AssertHeld()
	mu.Unlock()
	rw.RLock()
	rw.AssertHeld()
	rw.AssertWriteHeld() // only read-held: a failure
	rw.RUnlock()
	rw.Lock()
	rw.AssertWriteHeld()
	rw.Unlock()
	if got := kinds(s.reports); len(got) != 2 || got[0] != NotHeld || got[1] != NotHeld {
		t.Fatalf("reports %v, want exactly the two failed assertions", got)
	}
}

func TestRecursive(t *testing.T) {
	setup(t)
	l := newSpin("test.rec.lock")
	l.lock()
	l.lock()
	l.unlock()
	l.unlock()
	if got := kinds(s.reports); len(got) != 1 || got[0] != Recursive {
		t.Fatalf("reports %v, want one recursive locking", got)
	}
}

func TestSameClassInstancesAreNotOrdered(t *testing.T) {
	setup(t)
	x := newSpin("test.ptl")
	y := &spin{c: x.c}
	keep = append(keep, y)
	x.lock()
	y.lock()
	y.unlock()
	x.unlock()
	y.lock()
	x.lock()
	x.unlock()
	y.unlock()
	if len(s.reports) != 0 {
		t.Fatalf("two locks of one class were reported: %v", kinds(s.reports))
	}
}

// Downgrade: the holder becomes a reader (lockdep agrees: AssertHeld
// passes, AssertWriteHeld fails) whom other readers may join, and a
// writer that waited since before the downgrade gets in only after the
// reader left — never between the write and the read hold.
func TestDowngrade(t *testing.T) {
	setup(t)
	tracked := &RWMutex{Class: Register(uniq("test.downgrade.rw"), Sleep)}
	keep = append(keep, tracked)
	s.irqs = true
	tracked.Lock()
	tracked.Downgrade()
	tracked.AssertHeld()
	tracked.AssertWriteHeld() // read-held now: a failure
	tracked.RUnlock()
	if got := kinds(s.reports); len(got) != 1 || got[0] != NotHeld {
		t.Fatalf("reports %v, want one failed write assertion", got)
	}

	// The semantics, on an untracked lock (the host's stand-in for the
	// machine tells goroutines apart only in the kernel).
	rw := &RWMutex{}
	// Readers join a downgraded holder.
	rw.Lock()
	rw.Downgrade()
	read := make(chan bool)
	go func() {
		rw.RLock()
		rw.RUnlock()
		read <- true
	}()
	select {
	case <-read:
	case <-time.After(10 * time.Second):
		t.Fatal("a reader could not join the downgraded holder")
	}
	rw.RUnlock()

	// A waiting writer gets in after the read part, not before it.
	rw.Lock()
	var state atomic.Int32 // 1: write part, 2: read part, 3: released
	state.Store(1)
	wrote := make(chan int32)
	go func() {
		rw.Lock()
		wrote <- state.Load()
		rw.Unlock()
	}()
	time.Sleep(20 * time.Millisecond) // let the writer queue
	rw.Downgrade()
	state.Store(2)
	time.Sleep(20 * time.Millisecond)
	state.Store(3)
	rw.RUnlock()
	if st := <-wrote; st != 3 {
		t.Fatalf("the writer got in at state %d, want 3 (after the release)", st)
	}
}
