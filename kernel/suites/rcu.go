// rcu.go: the rcu and torture suites.

package suites

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"retract/arch/amd64"
	"retract/kernel/clock"
	"retract/kernel/cmdline"
	"retract/kernel/ktest"
	"retract/kernel/smp"
	"retract/mm/phys"
	"retract/rcu"
)

func init() {
	ktest.Register(ktest.Suite{
		Name: "rcu",
		Doc:  "grace-period ordering, nesting, barrier, expedited, idle CPUs, stall detector",
		Cases: []ktest.Case{
			{Name: "callback_waits_for_reader", Fn: testCallbackWaitsForReader},
			{Name: "callback_during_gp_waits_for_next", Fn: testCallbackNextGP},
			{Name: "nested_readers", Fn: testNestedReaders},
			{Name: "barrier_waits", Fn: testBarrier},
			{Name: "expedited_with_busy_cpus", Fn: testExpeditedBusy},
			{Name: "idle_cpus_do_not_stall", Fn: testIdleCPUs},
			{Name: "stall_detector", Fn: testStall},
		},
	})
	ktest.Register(ktest.Suite{
		Name: "torture",
		Doc:  "rcutorture-like stress on all CPUs, and a broken variant it must catch",
		Cases: []ktest.Case{
			{Name: "rcu", Fn: testTorture, Timeout: 30 * time.Minute},
			{Name: "broken_variant_is_caught", Fn: testTortureBroken, Timeout: 10 * time.Minute},
		},
	})
}

// holdReader spins inside a read-side critical section until release is
// closed or max has passed, and reports whether release came first. A
// reader is atomic context (the goroutine is pinned to its P), so it must
// not wait for anything unbounded: a stop-the-world of the Go garbage
// collector waits for every pinned goroutine, and the goroutine that
// would close release may be the one stopped — the bound turns that
// deadlock into a delay.
func holdReader(release <-chan struct{}, max time.Duration, while func()) bool {
	end := clock.Nanotime() + uint64(max)
	for clock.Nanotime() < end {
		select {
		case <-release:
			return true
		default:
		}
		if while != nil {
			while()
		}
		amd64.Pause()
	}
	return false
}

func testCallbackWaitsForReader(t *ktest.T) {
	var ran atomic.Bool
	if smp.Count() == 1 {
		// One CPU: the reader is this goroutine, and nothing else runs
		// while it holds the CPU; ten ticks pass inside it.
		rcu.ReadLock()
		var h rcu.Head
		rcu.Call(&h, func(*rcu.Head) { ran.Store(true) })
		holdReader(nil, 100*time.Millisecond, func() {
			if ran.Load() {
				t.Errorf("the callback ran inside the reader that queued it")
			}
		})
		rcu.ReadUnlock()
		rcu.Barrier()
		if !ran.Load() {
			t.Errorf("the callback never ran after the reader ended")
		}
		return
	}
	inReader, release, out := make(chan struct{}), make(chan struct{}), make(chan bool)
	go func() {
		rcu.ReadLock()
		close(inReader)
		released := holdReader(release, 5*time.Second, nil)
		early := ran.Load()
		rcu.ReadUnlock()
		if early {
			t.Errorf("the callback ran while the reader was still inside (released %v)", released)
		}
		out <- released
	}()
	<-inReader
	var h rcu.Head
	rcu.Call(&h, func(*rcu.Head) { ran.Store(true) })
	time.Sleep(100 * time.Millisecond) // several grace periods' worth
	if ran.Load() {
		t.Errorf("the callback ran before the reader that started earlier ended")
	}
	close(release)
	if !<-out {
		t.Logf("the reader ended at its own bound (a stop-the-world delayed this goroutine)")
	}
	rcu.Barrier()
	if !ran.Load() {
		t.Errorf("the callback never ran after the reader ended")
	}
}

func testCallbackNextGP(t *ktest.T) {
	// Queue a callback while a GP is running: it needs the next GP.
	for i := 0; i < 20; i++ {
		before := rcu.Snapshot().Completed
		var gpAt atomic.Uint64
		var h rcu.Head
		go rcu.Synchronize() // start a GP
		time.Sleep(time.Duration(i%3) * time.Millisecond)
		queuedAt := rcu.Snapshot()
		rcu.Call(&h, func(*rcu.Head) { gpAt.Store(rcu.Snapshot().Completed) })
		rcu.Barrier()
		if got := gpAt.Load(); got <= queuedAt.Started {
			t.Fatalf("callback queued during GP %d (completed %d, before %d) ran after GP %d", queuedAt.Started, queuedAt.Completed, before, got)
		}
	}
}

func testNestedReaders(t *ktest.T) {
	rcu.ReadLock()
	rcu.ReadLock()
	if !rcu.InReader() {
		t.Errorf("not in a reader after two ReadLocks")
	}
	rcu.ReadUnlock()
	if !rcu.InReader() {
		t.Errorf("the inner ReadUnlock ended the outer section")
	}
	rcu.ReadUnlock()
	if rcu.InReader() {
		t.Errorf("still in a reader after both unlocks")
	}
	// A Synchronize inside a reader is reported (it would wait for itself)
	// and returns instead of deadlocking.
	before := rcu.Snapshot().SleepBugs
	rcu.ReadLock()
	rcu.Synchronize()
	rcu.ReadUnlock()
	if rcu.Snapshot().SleepBugs != before+1 {
		t.Errorf("Synchronize inside a reader was not reported")
	}
}

func testBarrier(t *ktest.T) {
	var n atomic.Int32
	heads := make([]rcu.Head, 1000)
	for i := range heads {
		rcu.Call(&heads[i], func(*rcu.Head) { n.Add(1) })
	}
	rcu.Barrier()
	if n.Load() != 1000 {
		t.Errorf("after Barrier %d of 1000 callbacks had run", n.Load())
	}
}

// testExpeditedBusy: with every other CPU busy outside readers, an
// expedited GP completes, and the busy CPUs answer it from the IPI handler
// (rather than at their next tick, 10 ms later). The busy goroutines keep
// their CPU with preemption off in bursts of 2 ms: a pinned goroutine
// cannot be stopped by the garbage collector's stop-the-world, and one
// that spun until told to stop could wait forever for the goroutine that
// tells it, stopped by that very stop-the-world.
func testExpeditedBusy(t *ktest.T) {
	var stop atomic.Bool
	var wg sync.WaitGroup
	busy := smp.Count() - 1 // the caller needs a P too
	for i := 0; i < busy; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				amd64.PreemptDisable() // stays on its CPU, no context switches
				for end := clock.Nanotime() + 2e6; !stop.Load() && clock.Nanotime() < end; {
					amd64.Pause()
				}
				amd64.PreemptEnable()
				runtime.Gosched()
			}
		}()
	}
	time.Sleep(20 * time.Millisecond)
	ipi0 := ipiQS()
	start := time.Now()
	const n = 10
	for i := 0; i < n; i++ {
		rcu.SynchronizeExpedited()
	}
	el := time.Since(start)
	stop.Store(true)
	wg.Wait()
	answered := ipiQS() - ipi0
	t.Logf("%d expedited GPs with %d busy CPUs: %v; %d quiescent states answered from the IPI handler", n, busy, el, answered)
	// A busy CPU between two spins (in runtime.Gosched) passes its
	// quiescent state by switching, not from the IPI, so a GP that falls
	// into that window has no IPI answer: most GPs must have one.
	if busy > 0 && answered < n/2 {
		t.Errorf("%d expedited GPs with %d busy CPUs got only %d answers from IPIs: the IPIs did not reach them", n, busy, answered)
	}
}

func ipiQS() uint64 {
	var n uint64
	for _, c := range rcu.Snapshot().CPUs {
		n += c.IPIQS
	}
	return n
}

// testIdleCPUs: normal GPs complete although CPUs are idle — idle CPUs are
// quiescent without being asked (entering the idle loop, or credited by
// the GP goroutine), which is what the case checks; a GP waiting for an
// idle CPU's tick would still end, later, so the time alone (logged)
// proves nothing. With one CPU there is no other CPU to be idle: the GP
// goroutine's own CPU passes its quiescent state when the goroutine sleeps
// and the CPU switches to its idle thread.
func testIdleCPUs(t *ktest.T) {
	idle0, qs0 := qsCounts()
	start := time.Now()
	const n = 20
	for i := 0; i < n; i++ {
		rcu.Synchronize()
	}
	idle, qs := qsCounts()
	t.Logf("%d grace periods: %v; %d quiescent states, %d of them credited to idle CPUs", n, time.Since(start), qs-qs0, idle-idle0)
	switch {
	case qs-qs0 < n:
		t.Errorf("%d grace periods ended with only %d quiescent states reported", n, qs-qs0)
	case smp.Count() > 1 && idle == idle0:
		t.Errorf("%d grace periods with %d CPUs and no CPU was ever credited as idle", n, smp.Count())
	}
}

// qsCounts sums the quiescent states credited to idle CPUs and all of them.
func qsCounts() (idle, all uint64) {
	for _, c := range rcu.Snapshot().CPUs {
		idle += c.IdleQS
		all += c.QS
	}
	return idle, all
}

// testStall holds a reader for longer than the stall timeout while a GP
// waits for this CPU: the stall detector must report it. The reader is
// this goroutine itself, entered after the GP started, and checked to
// still owe that GP its quiescent state (else a tick came first: retry) —
// on one CPU only the CPU's own tick can report the stall, since no other
// goroutine runs meanwhile.
func testStall(t *ktest.T) {
	old := rcu.SetStallTimeout(200 * time.Millisecond)
	defer rcu.SetStallTimeout(old)
	before := rcu.Snapshot().Stalls
	for attempt := 1; ; attempt++ {
		gp := rcu.Snapshot().Started
		done := make(chan struct{})
		go func() { rcu.Synchronize(); close(done) }()
		for rcu.Snapshot().Started == gp {
			runtime.Gosched()
		}
		rcu.ReadLock()
		owes := rcu.OwesQS()
		if owes {
			holdReader(nil, time.Second, nil)
		}
		rcu.ReadUnlock()
		<-done
		if owes {
			break
		}
		if attempt == 100 {
			t.Fatalf("in 100 attempts the CPU never still owed a GP its quiescent state when the reader began")
		}
	}
	if rcu.Snapshot().Stalls == before {
		t.Errorf("a 1 s reader with a 200 ms stall timeout was not reported")
	}
}

func tortureTime() time.Duration {
	if s := cmdline.Current.Torture; s > 0 {
		return time.Duration(s) * time.Second
	}
	return 3 * time.Second
}

func testTorture(t *ktest.T) {
	runtime.GC()
	base := phys.Frames.Stats().ByKind[phys.KindGoHeap]
	r := rcu.Torture(rcu.TortureConfig{Duration: tortureTime(), Seed: t.Seed()})
	t.Logf("%d reads, %d writes, %d grace periods, max pipe age %d, errors %d", r.Reads, r.Writes, r.GPs, r.MaxPipe, r.Errors)
	if amd64.PinMismatch != 0 {
		t.Errorf("%d PreemptEnable calls ran in another context than their PreemptDisable", amd64.PinMismatch)
	}
	if r.Errors != 0 {
		t.Errorf("%d readers saw freed or too-old elements", r.Errors)
	}
	if r.Reads == 0 || r.Writes == 0 || r.GPs == 0 {
		t.Errorf("the torture did not run (reads %d, writes %d, GPs %d)", r.Reads, r.Writes, r.GPs)
	}
	runtime.GC()
	if after := phys.Frames.Stats().ByKind[phys.KindGoHeap]; int64(after)-int64(base) > 32<<20/phys.PageSize {
		t.Errorf("Go heap frames grew from %d to %d", base, after)
	}
}

func testTortureBroken(t *ktest.T) {
	if smp.Count() == 1 {
		// The broken writer frees while a reader holds the element; with
		// one CPU the writer only runs when no reader is inside.
		t.Skipf("needs 2 CPUs: on one, no writer runs while a reader holds the CPU, so the broken RCU cannot be caught")
	}
	d := tortureTime()
	if d > 5*time.Second {
		d = 5 * time.Second
	}
	r := rcu.Torture(rcu.TortureConfig{Duration: d, Seed: t.Seed(), Broken: true})
	t.Logf("broken variant: %d reads, %d writes, errors %d", r.Reads, r.Writes, r.Errors)
	if r.Errors == 0 {
		t.Errorf("freeing without a grace period went unnoticed: the torture has no teeth")
	}
}
