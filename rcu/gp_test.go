package rcu

import (
	"sync/atomic"
	"testing"
	"time"
)

// Host tests of the grace-period state machine with simulated CPUs: the
// test plays every CPU, reporting quiescent states by hand (reportQS, the
// idle counter, blocked readers), and watches what the GP goroutine does.

var simulated atomic.Bool

// simCPUs is the simulated machine; the tunables are set once, before the
// GP goroutine starts, as the boot path does.
const simCPUs = 4

func simulate(t *testing.T) int {
	t.Helper()
	if !simulated.Swap(true) {
		NumCPUs = simCPUs
		currentCPU = func() int { return 0 }
		poke = func(int) {}
		nestOf = func(int) int32 { return 0 }
		nanotime = func() uint64 { return uint64(time.Now().UnixNano()) }
		printStall = func(cpu int, gp, ms uint64, nest int32) {}
		Poll = 100 * time.Microsecond
		Start()
	}
	n := simCPUs
	for id := 0; id < n; id++ {
		d := cpus.Of(id)
		if d.idleSeq.Load()&1 == 1 {
			d.idleSeq.Add(1) // every simulated CPU starts busy
		}
	}
	return n
}

// quiesce reports a QS for every CPU that owes one until done is closed.
func quiesce(n int, done <-chan struct{}, skip func(id int) bool) {
	for {
		select {
		case <-done:
			return
		default:
		}
		for id := 0; id < n; id++ {
			if !skip(id) {
				reportQS(id)
			}
		}
		time.Sleep(50 * time.Microsecond)
	}
}

func never(int) bool { return false }

func TestSynchronizeWaitsForEveryCPU(t *testing.T) {
	n := simulate(t)
	done := make(chan struct{})
	go func() { Synchronize(); close(done) }()
	// Every CPU but 2 is quiescent; CPU 2 (in a reader, say) is not.
	stop := make(chan struct{})
	var cpu2 atomic.Bool // CPU 2 stays silent until set
	go quiesce(n, stop, func(id int) bool { return id == 2 && !cpu2.Load() })
	select {
	case <-done:
		t.Fatal("Synchronize returned while CPU 2 had not passed a quiescent state")
	case <-time.After(50 * time.Millisecond):
	}
	cpu2.Store(true)
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Synchronize did not return after every CPU reported")
	}
	close(stop)
}

func TestIdleCPUsAreQuiescent(t *testing.T) {
	simulate(t)
	// CPUs 1-3 idle: only CPU 0 has to report.
	for id := 1; id < 4; id++ {
		cpus.Of(id).idleSeq.Add(1)
	}
	defer func() {
		for id := 1; id < 4; id++ {
			cpus.Of(id).idleSeq.Add(1)
		}
	}()
	done := make(chan struct{})
	go func() { Synchronize(); close(done) }()
	stop := make(chan struct{})
	go quiesce(1, stop, never)
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("idle CPUs stalled the grace period")
	}
	close(stop)
}

func TestBlockedReaderHoldsTheGP(t *testing.T) {
	n := simulate(t)
	blockedReaders.Add(1)
	done := make(chan struct{})
	go func() { Synchronize(); close(done) }()
	stop := make(chan struct{})
	go quiesce(n, stop, never)
	select {
	case <-done:
		t.Fatal("the GP ended while a reader was blocked")
	case <-time.After(50 * time.Millisecond):
	}
	blockedReaders.Add(-1)
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the GP did not end after the blocked reader left")
	}
	close(stop)
}

func TestCallbackOrderAndNextGP(t *testing.T) {
	n := simulate(t)
	stop := make(chan struct{})
	defer close(stop)
	go quiesce(n, stop, never)
	var order []int
	ran := make(chan struct{}, 10) // each receive orders the append before the read below
	heads := make([]Head, 5)
	for i := range heads {
		Call(&heads[i], func(h *Head) { order = append(order, i); ran <- struct{}{} })
	}
	for range heads {
		select {
		case <-ran:
		case <-time.After(5 * time.Second):
			t.Fatal("callbacks did not run")
		}
	}
	for i, v := range order {
		if v != i {
			t.Fatalf("callbacks ran in order %v", order)
		}
	}
	// A callback queued while a GP runs needs the next one.
	before := started.Load()
	var h Head
	var at atomic.Uint64
	Call(&h, func(*Head) { at.Store(completed.Load()) })
	Barrier()
	if at.Load() <= before {
		t.Errorf("callback queued after GP %d started ran after GP %d", before, at.Load())
	}
}

func TestStallIsReported(t *testing.T) {
	n := simulate(t)
	old := SetStallTimeout(20 * time.Millisecond)
	defer SetStallTimeout(old)
	before := stalls.Load()
	done := make(chan struct{})
	go func() { Synchronize(); close(done) }()
	time.Sleep(100 * time.Millisecond)
	if stalls.Load() == before {
		t.Error("a CPU silent for 5 stall timeouts was not reported")
	}
	for id := 0; id < n; id++ {
		reportQS(id)
	}
	<-done
}
