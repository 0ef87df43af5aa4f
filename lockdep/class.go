// class.go: lock classes.

package lockdep

import "sync/atomic"

// Class names a set of locks that play the same role (Linux's
// lock_class). The zero Class is "not tracked".
type Class uint16

// MaxClasses bounds the number of classes.
const MaxClasses = 128

// Kind says how a class's locks behave.
type Kind uint8

const (
	Spin  Kind = iota // spins; held in atomic context
	Sleep             // may sleep (sync.Mutex, sync.RWMutex)
)

type classInfo struct {
	name string
	kind Kind
	// Interrupt-safety state: the first acquisition in interrupt context
	// and the first in process context with interrupts on (the stacks are
	// written once, by whoever sets the flag).
	inIRQ, irqsOn       atomic.Bool
	inIRQPC, irqsOnPC   [StackDepth]uintptr
	inIRQSet, irqsOnSet atomic.Bool // the stack is written
	irqReported         atomic.Bool
}

var (
	classes   [MaxClasses]classInfo
	nclasses  atomic.Uint32 // classes[1:nclasses] are registered
	registerW word
)

// Register makes a class (call it from package init functions, or
// before the lock is first used). Registering the same name twice
// returns the same class.
func Register(name string, k Kind) Class {
	registerW.lock()
	defer registerW.unlock()
	n := nclasses.Load()
	if n == 0 {
		n = 1
	}
	for c := uint32(1); c < n; c++ {
		if classes[c].name == name {
			return Class(c)
		}
	}
	if n == MaxClasses {
		panic("lockdep: too many lock classes")
	}
	classes[n].name = name // wb: registration runs in process context (init)
	classes[n].kind = k
	nclasses.Store(n + 1)
	return Class(n)
}

// Name returns the class's name ("?" for an unregistered one).
func (c Class) Name() string {
	if c == 0 || uint32(c) >= nclasses.Load() {
		return "?"
	}
	return classes[c].name
}

// word is a raw spin word for lockdep's own short critical sections.
type word struct{ v atomic.Uint32 }

func (w *word) lock() {
	for !w.v.CompareAndSwap(0, 1) {
		for w.v.Load() != 0 {
		}
	}
}

func (w *word) unlock() { w.v.Store(0) }
