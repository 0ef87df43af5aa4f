// qs.go: where quiescent states come from (hooks called by the scheduler,
// the tick and the IPI handler; any context, no allocation).

package rcu

import "retract/arch/amd64"

// Tick is called by the LAPIC timer interrupt: if it interrupted code that
// is not in a reader, this CPU is quiescent.
func Tick() {
	c := amd64.This()
	if c.RCUNest == 0 {
		reportQS(int(c.ID))
		return
	}
	checkStall(int(c.ID))
}

// IPI is called by the IPI handler (an expedited GP asks every CPU).
func IPI() {
	c := amd64.This()
	d := cpus.Of(int(c.ID))
	if c.RCUNest == 0 && d.expNeeded.Load() != 0 {
		d.IPIQS++
	}
	Tick()
}

// NoteSwitch is called by the scheduler when this CPU switches from a thread
// whose read-side nesting was prevNest to one whose nesting is nextNest
// (the scheduler saves and restores the CPU's RCUNest itself). Switching
// away from a non-reader is a quiescent state; switching away from a reader
// makes it a blocked reader until it runs again.
func NoteSwitch(prevNest, nextNest int32) {
	if prevNest > 0 {
		if blockedReaders.Add(1) == 1 {
			blockedEvents.Add(1)
		}
	} else {
		reportQS(int(amd64.This().ID))
	}
	if nextNest > 0 {
		blockedReaders.Add(-1)
	}
}

// IdleEnter is called by the idle loop before it halts: an idle CPU is in
// no reader, and the GP need not wake it to hear so.
func IdleEnter() {
	c := amd64.This()
	d := cpus.Of(int(c.ID))
	d.idleSeq.Add(1) // odd: idle
	if reportQS(int(c.ID)) {
		d.IdleQS.Add(1)
	}
}

// IdleExit is called when the idle loop wakes up.
func IdleExit() {
	cpus.Of(int(amd64.This().ID)).idleSeq.Add(1) // even: busy
}
