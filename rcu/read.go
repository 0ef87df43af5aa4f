// read.go: the read side.

package rcu

import (
	"retract/arch/amd64"
	"retract/kernel/trace"
)

// ReadLock enters a read-side critical section (like rcu_read_lock).
// Sections nest. Inside one: no blocking, no sleeping locks, no
// Synchronize; allocation is allowed in process context but keep sections
// short: a stop-the-world of the Go GC waits for pinned goroutines.
//
//go:nosplit
func ReadLock() {
	amd64.PreemptDisable()
	c := amd64.This()
	if c.RCUNest == 0 {
		cpus.Of(int(c.ID)).Readers++
	}
	c.RCUNest++
}

// ReadUnlock leaves a read-side critical section. The outermost one
// reports the quiescent state this CPU owes, if any.
//
//go:nosplit
func ReadUnlock() {
	c := amd64.This()
	c.RCUNest--
	if c.RCUNest == 0 {
		d := cpus.Of(int(c.ID))
		if d.qsNeeded.Load() != 0 || d.expNeeded.Load() != 0 {
			reportQS(int(c.ID))
		}
	} else if c.RCUNest < 0 {
		c.RCUNest = 0
		unbalanced.Add(1)
	}
	amd64.PreemptEnable()
}

// InReader reports whether the running code is inside a read-side
// critical section.
//
//go:nosplit
func InReader() bool {
	if !amd64.Bare {
		return false
	}
	return amd64.This().RCUNest > 0
}

// OwesQS reports whether the running CPU owes the current grace period a
// quiescent state. Meaningful only with preemption off (inside a reader):
// tests use it to know that the reader they hold really delays a GP.
//
//go:nosplit
func OwesQS() bool { return cpus.Of(int(amd64.This().ID)).qsNeeded.Load() != 0 }

// reportQS records a quiescent state of cpu for the normal and the
// expedited GP.
//
// It reports whether the CPU owed either.
//
//go:nosplit
func reportQS(cpu int) bool {
	d := cpus.Of(cpu)
	owed := false
	if d.qsNeeded.CompareAndSwap(1, 0) {
		d.QS++
		remaining.Add(-1)
		owed = true
		trace.QS(cpu, started.Load())
	}
	if d.expNeeded.CompareAndSwap(1, 0) {
		expRemaining.Add(-1)
		owed = true
	}
	return owed
}
