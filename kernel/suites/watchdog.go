// watchdog.go: the watchdog suite, a negative control that fails the run
// on purpose: its one case holds every CPU with Go preemption off until
// the machine stops, so ktest's own timeout (a Go timer) can never fire
// and only the timer-interrupt watchdog can end it. The harness test
// TestWatchdog expects exactly that: the WATCHDOG report and "tests
// failed". Never part of a normal run.

package suites

import (
	"runtime"
	"syscall"
	"time"

	"retract/arch/amd64"
	"retract/kernel/ktest"
	"retract/kernel/sched"
	"retract/kernel/smp"
)

func init() {
	ktest.Register(ktest.Suite{
		Name: "watchdog",
		Doc:  "negative control: a case that hangs every CPU must be failed by the watchdog (fails the run on purpose)",
		Cases: []ktest.Case{
			{Name: "hang_every_cpu", Fn: testHangEveryCPU, Timeout: time.Second},
		},
	})
}

func testHangEveryCPU(t *ktest.T) {
	// Each spinner is pinned to its CPU first (the harness checks that
	// CPU 0's report shows preemption off, so no CPU may be left to a
	// goroutine the Go scheduler did not get round to starting).
	ready := make(chan int, smp.Count())
	for cpu := 1; cpu < smp.Count(); cpu++ {
		go spinPinnedForever(cpu, ready)
	}
	for i := 1; i < smp.Count(); i++ {
		<-ready
	}
	spinPinnedForever(0, ready)
}

// spinPinnedForever moves to CPU cpu, says so on ready and spins there
// with preemption off.
func spinPinnedForever(cpu int, ready chan<- int) {
	runtime.LockOSThread()
	if sched.SetAffinity(1 << cpu) {
		syscall.RawSyscall(syscall.SYS_SCHED_YIELD, 0, 0, 0)
	}
	ready <- cpu
	amd64.PreemptDisable()
	for {
		amd64.Pause()
	}
}
