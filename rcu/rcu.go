// Package rcu is retract's read-copy-update: readers that take no locks,
// writers that wait for a grace period (or queue a callback) before freeing
// what readers might still hold. The API follows Linux's: ReadLock and
// ReadUnlock (rcu_read_lock/unlock), Synchronize (synchronize_rcu),
// SynchronizeExpedited, Call (call_rcu), Barrier (rcu_barrier).
//
// # How a grace period ends
//
// A grace period (GP) starts by asking every online CPU for a quiescent
// state (QS): a moment at which the CPU is certainly outside any read-side
// critical section. Quiescent states come from
//   - a context switch away from a thread that is not in a reader,
//   - the LAPIC tick interrupting code that is not in a reader,
//   - idle: a CPU in its idle loop is in no reader (and one that was idle
//     when the GP started, or went idle since, needs no tick at all),
//   - an expedited IPI that finds the CPU outside a reader,
//   - the outermost ReadUnlock when the CPU owes a QS.
//
// When every CPU has reported and no reader is blocked (see below), every
// reader that could have seen the old data has finished: the GP ends and
// callbacks queued before it started run.
//
// # Readers
//
// A reader is in atomic context (docs/architecture.md §3): ReadLock raises the preempt
// count (the tick does not switch the thread) and, for goroutines, pins the
// goroutine to its P (the Go scheduler does not switch it either). The
// read-side nesting lives in the CPU's area and moves with the thread on a
// context switch. A reader that blocks anyway (a bug, reported once per
// thread) is counted as a blocked reader, and no GP ends until it resumes
// and unlocks.
//
// # Contexts and locking
//
// ReadLock/ReadUnlock and the QS hooks (Tick, NoteSwitch, IdleEnter,
// IPI) run in any context and allocate nothing. Synchronize, Call, Barrier
// and the GP goroutine are process context.
//
// Locks (docs/locking.md places them in the kernel's order):
//
//	cbList.lock   spin, interrupts off: one CPU's callback list (head,
//	              tail, n); a leaf — Call may be used under any lock
//	gpMu          sleeping: with gpDone, the wait for completed to reach
//	              a GP (Synchronize) and the broadcast at a GP's end
//	expMu         sleeping: one expedited GP at a time
//	  statMu      sleeping: the GP and expedited time statistics
//
// started, completed, remaining, the per-CPU cpuData flags and counters
// are atomics (or written only by their own CPU) and need no lock.
package rcu

import (
	"sync/atomic"

	"retract/arch/amd64"
	"retract/kernel/clock"
	"retract/kernel/console"
)

// Mode selects how retired memory is freed: real RCU, or (for the
// demonstration of the bug RCU prevents) "unsafe": Call runs its callback
// at once and Synchronize returns at once.
type Mode int

const (
	ModeRCU Mode = iota
	ModeUnsafe
)

var mode atomic.Int32

// SetMode switches between real RCU and the unsafe mode.
func SetMode(m Mode) { mode.Store(int32(m)) }

// CurrentMode returns the mode.
func CurrentMode() Mode { return Mode(mode.Load()) }

// NumCPUs is how many CPUs take part (set at boot).
var NumCPUs = 1

type cpuData struct {
	qsNeeded  atomic.Uint32 // 1 while the current GP waits for this CPU
	expNeeded atomic.Uint32 // 1 while the current expedited GP waits for it
	idleSeq   atomic.Uint64 // odd while the CPU is idle
	snap      uint64        // idleSeq when the GP started (GP goroutine only)
	// stallGP is the GP for which a stall of this CPU was last reported
	// (by the CPU's own tick, or by the GP goroutine): once per GP.
	stallGP atomic.Uint64

	// Statistics (this CPU writes, anyone reads).
	QS      uint64
	Queued  atomic.Uint64
	Invoked atomic.Uint64
	Readers uint64 // outermost ReadLocks
	// IPIQS counts quiescent states this CPU reported from the IPI handler
	// (an expedited GP's question answered at once).
	IPIQS uint64
	// IdleQS counts quiescent states this CPU passed by being idle: on its
	// way into the idle loop, or credited by the GP goroutine because it
	// was idle when the GP began or went idle since.
	IdleQS atomic.Uint64
	_      [32]byte
}

var cpus amd64.PerCPU[cpuData]

// blockedReaders counts threads switched out inside a reader.
var blockedReaders atomic.Int32

// The machine interface of the process-context side: which CPU runs the
// caller, and how to poke a CPU that owes a quiescent state. Host tests
// replace them to simulate CPUs.
var (
	currentCPU = func() int { return int(amd64.This().ID) }
	poke       = func(id int) { amd64.SendIPI(amd64.CPUByID(id).APICID, amd64.VectorIPI) }
	nestOf     = func(id int) int32 { return amd64.CPUByID(id).RCUNest }
	// nanotime is the monotonic clock in ns; any context.
	nanotime = clock.Nanotime
	// printStall tells the console about a stall; any context (the tick
	// calls it), so it must not allocate.
	printStall = func(cpu int, gp, ms uint64, nest int32) {
		var m console.Msg
		m.S("rcu: INFO: stall: CPU ").U(uint64(cpu)).S(" has not passed a quiescent state for ").U(ms).
			S(" ms in GP ").U(gp).S(" (read-side nesting there: ").I(int64(nest)).S(")\n").Print()
	}
)
