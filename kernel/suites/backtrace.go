// backtrace.go: the smp suite's all-CPU backtrace case — an NMI reaches
// every CPU, one that spins with interrupts off included, and each records
// where it was.

package suites

import (
	"runtime"
	"strings"
	"sync/atomic"

	"retract/arch/amd64"
	"retract/kernel/clock"
	"retract/kernel/ktest"
	"retract/kernel/oops"
	"retract/kernel/smp"
)

// spinIRQsOff spins with interrupts and Go preemption off until stop is
// set, after saying on which CPU (cpu+1 in running).
//
//go:noinline
func spinIRQsOff(running *atomic.Int32, stop *atomic.Bool) {
	f := amd64.EnterAtomic()
	running.Store(int32(amd64.This().ID) + 1)
	for !stop.Load() {
		amd64.Pause()
	}
	amd64.ExitAtomic(f)
}

// testNMIBacktrace: while another CPU spins with interrupts off, every
// CPU answers the backtrace NMI; the spinning one shows interrupts off and
// spinIRQsOff on its stack; and the printed form (what Ctrl-\ and bt all
// print) has a block for every CPU.
func testNMIBacktrace(t *ktest.T) {
	var running atomic.Int32
	var stop atomic.Bool
	done := make(chan struct{})
	spinner := -1
	if smp.Count() > 1 {
		go func() {
			spinIRQsOff(&running, &stop)
			close(done)
		}()
		// No timers: the spinner may hold the P that ours are on.
		for end := clock.Nanotime() + 30e9; running.Load() == 0 && clock.Nanotime() < end; {
			runtime.Gosched()
		}
		spinner = int(running.Load()) - 1
		if spinner < 0 {
			stop.Store(true)
			t.Fatalf("the spinner did not start")
		}
	}
	var recs [amd64.MaxCPUs]smp.Backtrace
	n, ok := smp.TriggerBacktraces(&recs, 5e9)
	stop.Store(true)
	if spinner >= 0 {
		<-done
	}
	if !ok || n != smp.Count() {
		t.Fatalf("TriggerBacktraces: %d records, %v; want %d", n, ok, smp.Count())
	}
	for id, r := range recs[:n] {
		if !r.Answered || r.Stack.RIP == 0 || r.CPU != id {
			t.Errorf("CPU %d: answered %v, RIP %#x", id, r.Answered, r.Stack.RIP)
		}
	}
	if spinner >= 0 {
		r := recs[spinner]
		found := false
		for _, pc := range append([]uint64{r.Stack.RIP, r.Stack.AtRSP}, r.Stack.PCs[:r.Stack.N]...) {
			if name, _, ok := oops.Symbols().Lookup(uintptr(pc)); ok && strings.HasSuffix(name, "suites.spinIRQsOff") {
				found = true
			}
		}
		if !r.IRQsOff() || !found {
			t.Errorf("the spinning CPU %d: interrupts off %v, spinIRQsOff on its stack %v (RIP %#x, %d frames)",
				spinner, r.IRQsOff(), found, r.Stack.RIP, r.Stack.N)
		}
	}
	var out strings.Builder
	smp.FprintBacktraces(&out, recs[:n])
	for id := 0; id < n; id++ {
		if !strings.Contains(out.String(), "NMI backtrace for CPU "+string(rune('0'+id))+": interrupts ") {
			t.Errorf("the printed backtrace has no block for CPU %d:\n%s", id, out.String())
		}
	}
}
