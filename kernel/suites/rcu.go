// rcu.go: the rcu and torture suites.

package suites

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"retract/arch/amd64"
	"retract/kernel/cmdline"
	"retract/kernel/ktest"
	"retract/kernel/smp"
	"retract/mm"
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

func testCallbackWaitsForReader(t *ktest.T) {
	var ran atomic.Bool
	var inReader, release = make(chan struct{}), make(chan struct{})
	go func() {
		rcu.ReadLock()
		close(inReader)
		for i := 0; ; i++ { // spin in the reader (no blocking allowed) until told
			select {
			case <-release:
				if ran.Load() {
					t.Errorf("the callback ran while the reader was still inside")
				}
				rcu.ReadUnlock()
				return
			default:
			}
			amd64.Pause()
		}
	}()
	<-inReader
	var h rcu.Head
	rcu.Call(&h, func(*rcu.Head) { ran.Store(true) })
	time.Sleep(100 * time.Millisecond) // several grace periods' worth
	if ran.Load() {
		t.Errorf("the callback ran before the reader that started earlier ended")
	}
	close(release)
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

// testExpeditedBusy: with every other CPU in a tight loop outside readers,
// an expedited GP still completes (the IPIs find them quiescent).
func testExpeditedBusy(t *ktest.T) {
	var stop atomic.Bool
	var wg sync.WaitGroup
	// One busy goroutine per CPU but one: the caller needs a P too (a
	// pinned goroutine never gives its P back).
	for i := 0; i < smp.Count()-1; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			amd64.PreemptDisable() // stays on its CPU, no context switches
			for !stop.Load() {
				amd64.Pause()
			}
			amd64.PreemptEnable()
		}()
	}
	time.Sleep(20 * time.Millisecond)
	start := time.Now()
	for i := 0; i < 10; i++ {
		rcu.SynchronizeExpedited()
	}
	t.Logf("10 expedited GPs with busy CPUs: %v", time.Since(start))
	stop.Store(true)
	wg.Wait()
}

// testIdleCPUs: normal GPs complete quickly although most CPUs are idle.
func testIdleCPUs(t *ktest.T) {
	start := time.Now()
	for i := 0; i < 20; i++ {
		rcu.Synchronize()
	}
	// The property is that they complete at all (idle CPUs that were never
	// asked would hang them until the case's timeout); the time is logged.
	t.Logf("20 grace periods with idle CPUs: %v", time.Since(start))
}

// testStall holds a reader for longer than the stall timeout: the stall
// detector must report that CPU.
func testStall(t *ktest.T) {
	old := rcu.SetStallTimeout(200 * time.Millisecond)
	defer rcu.SetStallTimeout(old)
	before := rcu.Snapshot().Stalls
	done := make(chan struct{})
	go func() {
		rcu.ReadLock()
		for end := time.Now().Add(time.Second); time.Now().Before(end); {
			amd64.Pause()
		}
		rcu.ReadUnlock()
		close(done)
	}()
	time.Sleep(10 * time.Millisecond)
	rcu.Synchronize() // waits for the long reader: the GP stalls meanwhile
	<-done
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
	base := mm.Frames.Stats().ByKind[mm.KindGoHeap]
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
	if after := mm.Frames.Stats().ByKind[mm.KindGoHeap]; int64(after)-int64(base) > 32<<20/mm.PageSize {
		t.Errorf("Go heap frames grew from %d to %d", base, after)
	}
}

func testTortureBroken(t *ktest.T) {
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
