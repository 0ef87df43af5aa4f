// call.go: running a function on other CPUs (Linux's smp_call_function).

package smp

import (
	"sync/atomic"
	"unsafe"

	"retract/arch/amd64"
	"retract/kernel/trace"
	"retract/lockdep"
)

// Func is what CallOn runs on the target CPU, in trap context.
type Func func(a, b uintptr)

type slot struct {
	lock      amd64.SpinLock
	fn        uintptr // the Func value, stored as a word: no write barrier
	a, b      uintptr
	seq, done atomic.Uint64
	_         [64]byte // keep slots on separate cache lines
}

var slots [amd64.MaxCPUs]slot

func init() {
	c := lockdep.Register("smp.slot.lock", lockdep.Spin)
	for i := range slots {
		slots[i].lock.SetClass(c)
	}
}

// serve runs the call waiting in CPU id's slot, if any.
// Preconditions: interrupts off, running on CPU id.
func serve(id int) {
	if amd64.Flags()&amd64.FlagIF != 0 {
		panic("smp: serve with interrupts on")
	}
	s := &slots[id]
	seq := s.seq.Load()
	if s.done.Load() == seq {
		return
	}
	fn := *(*Func)(unsafe.Pointer(&s.fn))
	trace.IPIServe()
	fn(s.a, s.b)
	stats.This().Calls++
	s.done.Store(seq) // pairs with the initiator's Load in wait
}

// post fills target's slot and interrupts it; the caller holds its lock.
func post(target int, fn Func, a, b uintptr) uint64 {
	s := &slots[target]
	s.fn = *(*uintptr)(unsafe.Pointer(&fn))
	s.a, s.b = a, b
	seq := s.seq.Add(1) // publishes fn, a, b (pairs with serve's Load)
	trace.IPISend(target)
	amd64.SendIPI(amd64.CPUByID(target).APICID, amd64.VectorIPI)
	return seq
}

// lockSlot takes target's slot lock, serving our own slot while we spin.
func lockSlot(me, target int) {
	for !slots[target].lock.TryLock() {
		serve(me)
		amd64.Pause()
	}
}

// wait spins until target has run the call numbered seq. With interrupts
// off it serves calls to this CPU itself meanwhile (two CPUs calling each
// other would deadlock otherwise); with them on, this CPU's IPI handler
// does.
func wait(me, target int, seq uint64) {
	serveToo := amd64.Flags()&amd64.FlagIF == 0
	for slots[target].done.Load() != seq {
		if serveToo {
			serve(me)
		}
		amd64.Pause()
	}
	trace.IPIAck(target)
}

// postMany posts fn(a, b) to every CPU in mask but me, in CPU order (no
// lock-order cycles between callers), holding each one's slot lock, and
// returns the calls' sequence numbers for waitMany.
// Preconditions: interrupts off, running on CPU me.
func postMany(me int, mask uint32, fn Func, a, b uintptr) (seqs [amd64.MaxCPUs]uint64) {
	for t := 0; t < Count(); t++ {
		if t != me && mask&(1<<t) != 0 {
			lockSlot(me, t)
			seqs[t] = post(t, fn, a, b)
		}
	}
	return seqs
}

// waitMany waits for every call postMany made and releases the slots.
// Preconditions: preemption off, running on CPU me.
func waitMany(me int, mask uint32, seqs *[amd64.MaxCPUs]uint64) {
	for t := 0; t < Count(); t++ {
		if t != me && mask&(1<<t) != 0 {
			wait(me, t, seqs[t])
			slots[t].lock.Unlock()
		}
	}
}

// CallOn runs fn(a, b) on CPU target and waits until it has returned. On
// the calling CPU itself it just calls fn. fn must keep to trap-context
// rules; it must be a top-level function or a closure the caller keeps
// alive (it does, by waiting).
func CallOn(target int, fn Func, a, b uintptr) {
	f := amd64.EnterAtomic()
	me := int(amd64.This().ID)
	if target == me {
		fn(a, b)
		amd64.ExitAtomic(f)
		return
	}
	lockSlot(me, target)
	seq := post(target, fn, a, b)
	wait(me, target, seq)
	slots[target].lock.Unlock()
	amd64.ExitAtomic(f)
}

// CallOthers runs fn(a, b) on every other online CPU, all at once, and
// waits for all of them. It returns the CPU it ran on (the one left out).
func CallOthers(fn Func, a, b uintptr) (self int) { return CallOthersOf(Count(), fn, a, b) }

// CallOthersOf is CallOthers limited to CPUs 0..n-1.
func CallOthersOf(n int, fn Func, a, b uintptr) (self int) {
	f := amd64.EnterAtomic()
	me := int(amd64.This().ID)
	mask := uint32(1)<<min(n, Count()) - 1
	seqs := postMany(me, mask, fn, a, b)
	waitMany(me, mask, &seqs)
	amd64.ExitAtomic(f)
	return me
}
