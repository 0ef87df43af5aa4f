// gp.go: the grace-period state machine, driven by one goroutine.
//
//	idle --(callbacks or a Synchronize waiting)--> start: every online CPU
//	owes a QS; CPUs idle now (or idle since) are quiescent already
//	  --> wait: poll every millisecond; after ForceAfter, IPI the CPUs
//	      that still owe one; after StallTimeout, report a stall
//	  --> end: completed = started; run the callbacks whose GP is over
//
// started and completed count GPs. A callback or Synchronize that arrives
// while GP k is running needs GP k+1: it records waitFor = started+1 and is
// ready when completed >= waitFor (Linux's rcu_seq_snap/rcu_seq_done).

// trapctx: process context only

package rcu

import (
	"fmt"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"retract/kernel/trace"
	"retract/lockdep"
)

var (
	started, completed atomic.Uint64
	gpStartNS          atomic.Uint64 // when the running GP started (nanotime)
	remaining          atomic.Int32  // CPUs that still owe the current GP a QS
	gpKick             = make(chan struct{}, 1)
	gpDone             = sync.NewCond(&gpMu)
	gpMu               = lockdep.Mutex{Class: lockdep.Register("rcu.gpMu", lockdep.Sleep)}
	unbalanced         atomic.Uint64 // ReadUnlock without ReadLock
	blockedEvents      atomic.Uint64

	// stallTimeout is how long a GP may wait for one CPU before the stall
	// detector reports it (like Linux's rcu_cpu_stall_timeout); see
	// SetStallTimeout.
	stallTimeout atomic.Int64
	// ForceAfter is when a slow GP starts IPI-ing CPUs that owe a QS.
	ForceAfter = 20 * time.Millisecond
	// Poll is how often the GP goroutine checks progress.
	Poll = time.Millisecond
)

var running atomic.Bool

func init() { stallTimeout.Store(int64(10 * time.Second)) }

// SetStallTimeout changes the stall detector's threshold and returns the old one.
func SetStallTimeout(d time.Duration) time.Duration {
	return time.Duration(stallTimeout.Swap(int64(d)))
}

// Start launches the GP goroutine (once; called by the kernel's main).
func Start() {
	if running.Swap(true) {
		return
	}
	go gpLoop()
}

func kickGP() {
	select {
	case gpKick <- struct{}{}:
	default:
	}
}

func gpLoop() {
	for {
		invokeReady()
		if !gpWanted() {
			select {
			case <-gpKick:
			case <-time.After(100 * time.Millisecond):
			}
			continue
		}
		runGP()
	}
}

// gpWanted reports whether someone waits for a GP that has not started.
func gpWanted() bool {
	return syncWaiters.Load() > 0 || pendingCallbacks() > 0
}

func runGP() {
	begin := time.Now()
	gpStartNS.Store(nanotime())
	n := uint64(started.Add(1))
	trace.GPStart(n)
	cpusN := NumCPUs
	remaining.Store(int32(cpusN))
	for id := 0; id < cpusN; id++ {
		d := cpus.Of(id)
		d.snap = d.idleSeq.Load()
		d.qsNeeded.Store(1)
		if d.snap&1 == 1 { // idle right now: quiescent
			d.IdleQS.Add(1)
			reportQS(id)
		}
	}
	forced := false
	for remaining.Load() > 0 || blockedReaders.Load() > 0 {
		time.Sleep(Poll)
		el := time.Since(begin)
		for id := 0; id < cpusN; id++ {
			d := cpus.Of(id)
			if d.qsNeeded.Load() == 0 {
				continue
			}
			if d.idleSeq.Load() != d.snap { // went through idle since the start
				d.IdleQS.Add(1)
				reportQS(id)
				continue
			}
			if el > ForceAfter && !forced {
				poke(id)
			}
			checkStall(id)
		}
		if el > ForceAfter {
			forced = true
		}
	}
	completed.Store(n)
	d := time.Since(begin)
	recordGP(d)
	trace.GPEnd(n)
	gpMu.Lock()
	gpDone.Broadcast()
	gpMu.Unlock()
}

// checkStall reports CPU id if it has owed the running GP a quiescent
// state for longer than the stall timeout (like Linux's check_cpu_stall),
// once per GP. Both the GP goroutine and the stalled CPU's own tick call
// it: the tick is what reports a CPU stuck in a reader when no goroutine
// can run (one CPU, or every P held by a pinned goroutine); the GP
// goroutine reports a CPU whose tick does not come (interrupts off).
// Any context; allocates nothing.
func checkStall(id int) {
	d := cpus.Of(id)
	gp, last := started.Load(), d.stallGP.Load()
	if d.qsNeeded.Load() == 0 || gp == completed.Load() || last == gp {
		return
	}
	el := nanotime() - gpStartNS.Load()
	if int64(el) <= stallTimeout.Load() || !d.stallGP.CompareAndSwap(last, gp) {
		return // not yet, or another caller reports it
	}
	stalls.Add(1)
	printStall(id, gp, el/1e6, nestOf(id))
}

var syncWaiters atomic.Int32

// Synchronize waits for a full grace period: every reader that started
// before the call has finished when it returns (like synchronize_rcu).
// It must not be called inside a reader: it would wait for itself.
func Synchronize() {
	if mightSleep("Synchronize") || CurrentMode() == ModeUnsafe {
		return
	}
	want := started.Load() + 1
	syncWaiters.Add(1)
	kickGP()
	gpMu.Lock()
	for completed.Load() < want {
		gpDone.Wait()
	}
	gpMu.Unlock()
	syncWaiters.Add(-1)
	syncs.Add(1)
}

// MightSleep reports a sleep inside a read-side critical section — a bug
// that could deadlock the grace period or let it end under the reader —
// and returns true if it found one. Wrappers of sleeping locks call it,
// like Linux's might_sleep(). It does not panic: the goroutine is pinned
// inside a reader, and the Go runtime cannot unwind a pinned goroutine.
func MightSleep() bool { return mightSleep("a sleeping call") }

// mightSleep prints the bug with the caller's stack and counts it. The
// caller then skips its wait (a Synchronize inside a reader would wait for
// itself forever).
func mightSleep(what string) bool {
	if !InReader() {
		return false
	}
	sleepBugs.Add(1)
	fmt.Printf("rcu: BUG: %s inside an RCU read-side critical section\n%s", what, debug.Stack())
	return true
}
