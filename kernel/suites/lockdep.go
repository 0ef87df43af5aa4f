// lockdep.go: the lockdep suite — negative controls of the lock validator:
// each case commits one of the bugs it exists to catch, on purpose, with
// locks of its own classes, and checks that exactly that report came.
// (Every other suite runs with the validator on too: a test run fails on
// any report that was not provoked here.)

package suites

import (
	"retract/arch/amd64"
	"retract/kernel/ktest"
	"retract/kernel/smp"
	"retract/lockdep"
	"retract/rcu"
)

func init() {
	ktest.Register(ktest.Suite{
		Name: "lockdep",
		Doc:  "the lock validator catches an order inversion, a sleep in atomic context, an interrupt-unsafe lock, a release by a non-holder",
		Cases: []ktest.Case{
			{Name: "inversion_is_caught", Fn: testLockdepInversion},
			{Name: "sleep_in_atomic_is_caught", Fn: testLockdepSleepInAtomic},
			{Name: "irq_unsafe_is_caught", Fn: testLockdepIRQUnsafe},
			{Name: "release_by_non_holder_is_caught", Fn: testLockdepNonHolder},
			{Name: "assert_held_is_checked", Fn: testLockdepAssert},
		},
	})
}

// Locks of the suite's own classes (globals: a lock is known by its
// address, and goroutine stacks move).
var (
	ldA, ldB, ldIRQ amd64.SpinLock
	ldMu, ldMu2     lockdep.Mutex
)

func init() {
	ldA.SetClass(lockdep.Register("lockdep-test.A", lockdep.Spin))
	ldB.SetClass(lockdep.Register("lockdep-test.B", lockdep.Spin))
	ldIRQ.SetClass(lockdep.Register("lockdep-test.irq", lockdep.Spin))
	ldMu.Class = lockdep.Register("lockdep-test.mutex", lockdep.Sleep)
	ldMu2.Class = lockdep.Register("lockdep-test.mutex2", lockdep.Sleep)
}

// provoke runs f, which must cause exactly one report of kind k.
func provoke(t *ktest.T, k lockdep.ReportKind, f func()) {
	if !lockdep.Enabled {
		t.Skipf("the lock validator is off (debug=locks turns it on)")
	}
	before := lockdep.Count(k)
	total := lockdep.Total()
	lockdep.Expect(k)
	f()
	if got := lockdep.Count(k) - before; got != 1 {
		t.Errorf("%d reports of %q, want exactly 1", got, k)
	}
	if lockdep.Total()-total != 1 {
		t.Errorf("%d reports in all, want 1", lockdep.Total()-total)
	}
}

func testLockdepInversion(t *ktest.T) {
	provoke(t, lockdep.Inversion, func() {
		f := ldA.LockIRQ()
		ldB.Lock()
		ldB.Unlock()
		ldA.UnlockIRQ(f)
		f = ldB.LockIRQ() // the opposite order: a deadlock waiting to happen on two CPUs
		ldA.Lock()
		ldA.Unlock()
		ldB.UnlockIRQ(f)
	})
}

func testLockdepSleepInAtomic(t *ktest.T) {
	provoke(t, lockdep.SleepInAtomic, func() {
		rcu.ReadLock() // a reader may not sleep
		ldMu.Lock()
		ldMu.Unlock()
		rcu.ReadUnlock()
	})
}

// testLockdepIRQUnsafe takes a lock in an IPI handler (interrupt context)
// and with interrupts on elsewhere.
func testLockdepIRQUnsafe(t *ktest.T) {
	if smp.Count() < 2 {
		t.Skipf("needs 2 CPUs: the lock is taken in an IPI handler on another CPU")
	}
	provoke(t, lockdep.IRQUnsafe, func() {
		amd64.PreemptDisable()
		ldIRQ.Lock() // interrupts on: an interrupt taking it here would spin forever
		ldIRQ.Unlock()
		me := int(amd64.This().ID)
		amd64.PreemptEnable()
		smp.CallOn((me+1)%smp.Count(), takeIRQLock, 0, 0)
	})
}

func takeIRQLock(a, b uintptr) {
	ldIRQ.Lock()
	ldIRQ.Unlock()
}

func testLockdepNonHolder(t *ktest.T) {
	provoke(t, lockdep.NotHolder, func() {
		ldMu2.Lock()
		done := make(chan struct{})
		go func() { // sync.Mutex allows it; a kernel lock's owner must release it
			ldMu2.Unlock()
			close(done)
		}()
		<-done
	})
}

func testLockdepAssert(t *ktest.T) {
	provoke(t, lockdep.NotHeld, func() {
		ldMu.Lock()
		ldMu.AssertHeld() // held: no report
		ldMu.Unlock()
		ldMu.AssertHeld() // not held: the report
	})
}
