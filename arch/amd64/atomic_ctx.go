// atomic_ctx.go: entering atomic context from either context (the
// execution contexts: docs/architecture.md §3).
//
// Turning interrupts off keeps the tick from switching threads, but in
// process context that is not enough: the Go scheduler can still preempt a
// goroutine at any function prologue and run another goroutine on the same
// thread — with interrupts still off — or move ours to another CPU. So a
// goroutine also pins itself to its P (runtime.procPin, which the runtime
// exports for linkname: it raises m.locks, which makes the scheduler leave
// the goroutine alone). Trap context has no m to pin (its kernel g has
// none) and needs no pinning: it never runs the Go scheduler.

package amd64

import _ "unsafe" // for go:linkname

//go:linkname procPin runtime.procPin
func procPin() int

//go:linkname procUnpin runtime.procUnpin
func procUnpin()

// ProcessContext is set by the kernel's main function: from then on,
// code with Nesting == 0 is a goroutine that may need pinning. Before it
// (the boot path, the runtime's start-up) there is nothing to pin.
var ProcessContext bool

// goroutineContext reports whether the code running on c is a goroutine
// (process context), which must be pinned to stay put, rather than trap
// context or code before the kernel's main function.
//
//go:nosplit
func goroutineContext(c *CPU) bool { return ProcessContext && c.Nesting == 0 }

// AtomicFlags is what EnterAtomic returns for ExitAtomic.
type AtomicFlags struct {
	rflags uintptr
	pinned bool
}

// EnterAtomic disables interrupts and, in process context, Go preemption.
// Keep atomic sections short: a stop-the-world waits for pinned goroutines.
//
//go:nosplit
func EnterAtomic() AtomicFlags {
	if !Bare {
		return AtomicFlags{}
	}
	f := AtomicFlags{rflags: SaveFlagsCli()}
	if goroutineContext(This()) {
		procPin()
		f.pinned = true
	}
	return f
}

// ExitAtomic undoes EnterAtomic.
//
//go:nosplit
func ExitAtomic(f AtomicFlags) {
	if !Bare {
		return
	}
	if f.pinned {
		procUnpin()
	}
	RestoreFlags(f.rflags)
}

// PreemptDisable raises this CPU's preempt count (the tick will not switch
// the thread) and, in process context, pins the goroutine to its P.
// Calls nest; PreemptEnable undoes one. Whether a level pinned is pushed on
// the CPU's PinBits stack (saved and restored with the thread on a context
// switch), so PreemptEnable unpins exactly when PreemptDisable pinned.
//
// The count changes with one instruction on the CPU's own area
// (preemptCountInc: INCL through GS, like Linux's preempt_count_add), so
// no tick can come between finding this CPU and counting on it, and once
// the count is raised the thread stays on this CPU: the PinBits update
// that follows needs no CLI. (It used to run with interrupts off; under
// QEMU's TCG the POPF that turns them back on ends the translated block,
// which made an RCU read-side section cost about half a microsecond.)
//
//go:nosplit
func PreemptDisable() {
	if !Bare {
		return
	}
	preemptCountInc()
	c := This()
	pin := goroutineContext(c)
	c.PinBits <<= 1
	if pin {
		c.PinBits |= 1
		procPin() // the thread stays on this CPU now; pin the goroutine to its thread
	}
}

// PreemptEnable undoes PreemptDisable: it pops PinBits while the count
// still holds the thread on this CPU, then lowers the count with one
// instruction (preemptCountDec) and unpins the goroutine last.
//
//go:nosplit
func PreemptEnable() {
	if !Bare {
		return
	}
	c := This()
	pinned := c.PinBits&1 != 0
	c.PinBits >>= 1
	if pinned != goroutineContext(c) {
		PinMismatch++
	}
	preemptCountDec()
	if pinned {
		procUnpin()
	}
}

// preemptCountInc and preemptCountDec add 1 to and take 1 from this CPU's
// PreemptCount in one instruction (cpu_amd64.s).
func preemptCountInc()
func preemptCountDec()

// PinMismatch counts PreemptEnable calls whose context differs from their
// PreemptDisable's (a debugging aid: it must stay 0).
var PinMismatch uint64
