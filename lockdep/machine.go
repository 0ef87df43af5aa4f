// machine.go: what lockdep asks of the machine, and switching it on.

package lockdep

import "sync/atomic"

// Machine answers lockdep's questions about the running context. Every
// function must be callable in trap context without allocating.
type Machine struct {
	CPU     func() int     // the running CPU, 0..MaxCPUs-1
	Nesting func() int     // trap nesting: 0 in goroutines (process context)
	IRQsOn  func() bool    // interrupts enabled
	Preempt func() int32   // preempt count (RCU readers and pinned sections raise it)
	G       func() uintptr // the running goroutine (its g), for sleeping locks
	// IRQSave enters atomic context — interrupts off and, for a
	// goroutine, Go preemption off too (with interrupts off alone the Go
	// scheduler could still switch goroutines on this thread at a function
	// call) — and returns a token for IRQRestor and whether interrupts
	// were on.
	IRQSave   func() (token uintptr, irqsWereOn bool)
	IRQRestor func(token uintptr) // leave what IRQSave entered
	// Callers returns the return addresses of the caller's caller and up
	// (a frame-pointer walk; zeros after the last).
	Callers func() [StackDepth]uintptr
	// Report prints one report (allocation-free: trap context may report).
	Report func(r Report)
}

var m Machine

// SetMachine installs the machine interface (boot, before Enable).
func SetMachine(mach Machine) { m = mach } // wb: set at boot

// MaxCPUs is the most CPUs lockdep tracks.
const MaxCPUs = 8

// Enabled turns validation on. It is a plain variable so that the check
// in every lock operation is one load and one branch; set it with Enable.
var Enabled bool

// Enable switches validation on (the kernel does it before its test
// suites run, and with debug=locks). Locks taken before are not tracked:
// releasing them is not checked (see Tracked).
func Enable() {
	if m.CPU == nil {
		panic("lockdep: Enable before SetMachine")
	}
	enabledAt.Store(1)
	Enabled = true
}

var enabledAt atomic.Uint32

// atomicState reports whether the running code may not sleep, and, if
// so, its CPU's stack of spinlocks at its nesting level. The per-CPU
// fields are read with interrupts off: otherwise the thread could move to
// another CPU between reading which CPU it is on and reading that CPU's
// state, and see the state of whatever runs there now.
func atomicState() (atomic bool, spins *heldStack, why Context) {
	f, on := m.IRQSave()
	why = Context{IRQsOff: !on, Preempt: m.Preempt(), Nesting: m.Nesting()}
	atomic = why.IRQsOff || why.Preempt > 0 || why.Nesting > 0
	if atomic {
		// Interrupts off or preemption off: the thread stays on this CPU
		// after IRQRestor too, and the stack stays its own.
		spins = cpuStack()
	}
	m.IRQRestor(f)
	return atomic, spins, why
}

// Context is the state that made the running code atomic, for reports.
type Context struct {
	IRQsOff bool
	Preempt int32
	Nesting int
}
