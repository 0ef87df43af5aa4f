// watchdog.go: the watchdog suite, a negative control that fails the run
// on purpose: its one case holds every CPU with Go preemption off until
// the machine stops, so ktest's own timeout (a Go timer) can never fire
// and only the timer-interrupt watchdog can end it. The harness test
// TestWatchdog expects exactly that: the WATCHDOG report and "tests
// failed". Never part of a normal run.

package suites

import (
	"time"

	"retract/arch/amd64"
	"retract/kernel/ktest"
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
	for i := 1; i < smp.Count(); i++ {
		go spinPinnedForever()
	}
	spinPinnedForever()
}

func spinPinnedForever() {
	amd64.PreemptDisable()
	for {
		amd64.Pause()
	}
}
