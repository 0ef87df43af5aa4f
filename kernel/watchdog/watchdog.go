// Package watchdog is the last line of the test runner's timeouts. ktest
// enforces a case's timeout with a Go timer, which needs a goroutine to
// run; a case that holds every CPU with Go preemption off (a reader that
// spins, a goroutine pinned in a delay point) or deadlocks the Go
// scheduler would hang the machine instead of failing. The watchdog is
// checked from every CPU's timer interrupt (trap context), which still
// arrives then: when an armed deadline passes, it prints what it was
// watching and what each CPU is doing, and calls Expire (the kernel powers
// off with "tests failed").
//
// Arm and Disarm run in process context; Check in trap context (it
// allocates nothing and takes no locks).
package watchdog

import (
	"sync/atomic"

	"retract/arch/amd64"
	"retract/kernel/clock"
	"retract/kernel/console"
)

var (
	// what is written before deadline is published (the atomic store
	// orders it) and read only after deadline was seen non-zero.
	what     string
	timeout  uint64 // ns, for the message
	deadline atomic.Uint64
	fired    atomic.Bool

	// Expire is called once, in trap context, after the report. The
	// kernel's main sets it (wb: before tests run) to power off.
	Expire = func() {}
	// Backtrace, if set, prints every CPU's backtrace (through an NMI:
	// smp.BacktraceAll) as part of the report. Trap context.
	Backtrace func() bool
)

// Grace is how long after a case's own timeout the watchdog fires: the
// Go timer of the test runner reports an ordinary timeout first whenever
// a goroutine can run.
func Grace(timeoutNS uint64) uint64 { return max(10e9, timeoutNS/4) }

// Arm starts watching name, which must finish within timeoutNS (plus
// Grace). A later Arm replaces an earlier one.
func Arm(name string, timeoutNS uint64) {
	deadline.Store(0)
	what, timeout = name, timeoutNS // wb: process context (Arm)
	deadline.Store(clock.Nanotime() + timeoutNS + Grace(timeoutNS))
}

// Disarm stops watching.
func Disarm() { deadline.Store(0) }

// Fired reports whether the watchdog has fired.
func Fired() bool { return fired.Load() }

// Check is called by the timer interrupt of every CPU.
func Check() {
	d := deadline.Load()
	if d == 0 || clock.Nanotime() < d || !fired.CompareAndSwap(false, true) {
		return
	}
	var m console.Msg
	m.S("ktest: WATCHDOG: ").S(what).S(" did not finish within its timeout of ").U(timeout / 1e9).
		S(" s, and the test runner could not say so (no goroutine can run)\n").Print()
	for id := 0; id < amd64.MaxCPUs; id++ {
		c := amd64.CPUByID(id)
		if c.Online == 0 {
			continue
		}
		var l console.Msg
		l.S("ktest: WATCHDOG:   CPU ").U(uint64(id)).S(": preempt count ").I(int64(c.PreemptCount)).
			S(", RCU read-side nesting ").I(int64(c.RCUNest)).S(", trap nesting ").U(uint64(c.Nesting)).S("\n").Print()
	}
	if Backtrace != nil {
		Backtrace()
	}
	console.WriteString("ktest: WATCHDOG: failing the run\n")
	Expire()
}
