// wait.go: blocking and waking, keyed by an address (like Linux's futex
// hash: the key is the futex word's address, or the address of whatever
// object a thread waits for).

package sched

import (
	"retract/arch/amd64"
	"retract/kernel/clock"
	"retract/kernel/console"
)

// Result says why Block returned.
type Result int

const (
	Woken      Result = iota // Wake named our key
	TimedOut                 // the deadline passed
	NotBlocked               // the condition said not to block
)

// Block puts the current thread to sleep on key until Wake(key) or until
// the monotonic clock reaches deadline (ns; 0 = no deadline). If cond is
// not nil it is called first, under the scheduler lock, and the thread
// blocks only if it returns true: that is how futex's compare and a
// reader's "is the buffer still empty" check avoid lost wake-ups, since
// Wake takes the same lock. Trap context.
func Block(key uintptr, deadline uint64, cond func() bool) Result {
	lock.Lock()
	if cond != nil && !cond() {
		lock.Unlock()
		return NotBlocked
	}
	t := Current()
	if amd64.This().RCUNest > 0 && !t.warnedRCU {
		t.warnedRCU = true
		var m console.Msg
		m.S("sched: BUG: thread ").I(int64(t.tid)).S(" blocks inside an RCU read-side critical section\n").Print()
	}
	now := clock.Nanotime()
	if deadline != 0 && deadline <= now {
		lock.Unlock()
		return TimedOut
	}
	t.state = Blocked
	t.waitKey = key
	t.deadline = deadline
	t.timedOut = false
	if deadline != 0 {
		armAtLocked(thisCPU(), now, deadline)
	}
	scheduleLocked()
	r := Woken
	if t.timedOut {
		r = TimedOut
	}
	t.waitKey, t.deadline = 0, 0
	lock.Unlock()
	return r
}

// Wake makes up to n threads blocked on key runnable and returns how many
// it woke (futex wake semantics). Any context.
func Wake(key uintptr, n int) int {
	f := lock.LockIRQ()
	woken := 0
	for i := int32(0); i < high && woken < n; i++ {
		t := &threads[i]
		if t.state == Blocked && t.waitKey == key {
			t.waitKey = 0
			enqueueLocked(t)
			woken++
		}
	}
	lock.UnlockIRQ(f)
	if woken > 0 {
		kick()
	}
	return woken
}

// wakeExpiredLocked makes sleepers whose deadline passed runnable.
func wakeExpiredLocked(now uint64) {
	for i := int32(0); i < high; i++ {
		t := &threads[i]
		if t.state == Blocked && t.deadline != 0 && t.deadline <= now {
			t.timedOut = true
			t.waitKey = 0
			enqueueLocked(t)
		}
	}
}

// kick tells an idle CPU that work arrived (the SMP code installs an IPI
// here; with one CPU the idle loop checks the queue after every interrupt).
var kick = func() {}

// SetKick installs the wake-up for idle CPUs.
func SetKick(f func()) { kick = f } // wb: set at boot, before the runtime
