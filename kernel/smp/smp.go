// Package smp owns what makes several CPUs one machine: the list of online
// CPUs, inter-processor function calls (CallOn, CallOthers), waking idle
// CPUs when work arrives, TLB shootdown for the kernel's own mappings,
// stopping every other CPU when one of them oopses, and every CPU's
// backtrace on demand through an NMI (backtrace.go: no lock, no
// allocation; one request at a time, the others are refused).
//
// # Locking and contexts
//
// Each CPU has one call slot. An initiator takes the target's slot lock,
// fills it, sends the IPI and spins until the target marks it done; while
// it spins (interrupts off) it also serves calls aimed at its own CPU, so
// two CPUs calling each other cannot deadlock, and slot locks are taken in
// CPU order by CallOthers. Waiting for an IPI while holding a spinlock
// that is ever taken with interrupts off is forbidden: the target may be
// spinning on that lock with interrupts off and never answer. (mm's PMD
// lock and PT locks are taken with interrupts on, so a shootdown under
// them is allowed, as in Linux; docs/locking.md.) Functions run on the target in trap context (interrupts
// off, no allocation, no blocking).
//
// # Invariants
//
//   - CPUs are numbered 0..N-1 in bring-up order; N (Count) never changes
//     after boot. APIC IDs come from the MADT and may have gaps.
//   - A slot's done counter never passes its seq counter.
package smp

import (
	"sync/atomic"

	"retract/arch/amd64"
	"retract/kernel/console"
	"retract/kernel/sched"
	"retract/rcu"
)

// count is the number of online CPUs (set during bring-up).
var count atomic.Int32

func init() { count.CompareAndSwap(0, 1) }

// Count returns the number of online CPUs.
func Count() int {
	if n := count.Load(); n > 0 {
		return int(n)
	}
	return 1
}

// SetCount records how many CPUs came up (boot path).
func SetCount(n int) { count.Store(int32(n)) }

// Stats is per-CPU IPI accounting.
type Stats struct {
	IPIs  uint64 // IPIs received
	Calls uint64 // function calls served
	Kicks uint64 // wake-up IPIs sent to idle CPUs
}

var stats amd64.PerCPU[Stats]

// CPUStats returns CPU id's IPI counters.
func CPUStats(id int) Stats { return *stats.Of(id) }

// Init installs the IPI handler and the scheduler's wake-up. Boot path,
// before interrupts are enabled.
func Init() {
	amd64.SetHandler(amd64.VectorIPI, ipi) // wb: boot
	amd64.SetHandler(2, nmi)               // wb: boot
	sched.SetKick(kick)                    // wb: boot
	console.SetBacktraceKey(backtraceKey)  // wb: boot
}

// ipi is the handler of VectorIPI: serve a pending call, if any. A plain
// wake-up has nothing to serve: the interrupt itself ended the HLT.
func ipi(tf *amd64.TrapFrame) {
	stats.This().IPIs++
	serve(int(amd64.This().ID))
	rcu.IPI() // an expedited grace period may be asking
	amd64.EOI()
}

// kick wakes the idle CPUs other than this one (the run queue has work).
// All of them, not one: a runnable thread may be pinned to one CPU
// (sched_setaffinity), and only that CPU can take it.
func kick() {
	me := amd64.This().ID
	m := sched.IdleMask() &^ (1 << me)
	for id := 0; id < Count() && m != 0; id++ {
		if m&(1<<id) != 0 {
			stats.This().Kicks++
			amd64.SendIPI(amd64.CPUByID(id).APICID, amd64.VectorIPI)
		}
	}
}

// Kick sends CPU id an IPI with nothing to do: a thread running in ring 3
// there traps back into the kernel and notices a signal or a kill (Linux's
// kick_process). Any context.
func Kick(id int) {
	if id == int(amd64.This().ID) || id < 0 || id >= Count() {
		return
	}
	stats.This().Kicks++
	amd64.SendIPI(amd64.CPUByID(id).APICID, amd64.VectorIPI)
}
