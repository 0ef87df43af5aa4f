// retract.go: the retract suite — the kernel's demonstration as a test.
// Faulting goroutines on every CPU but one against file collapse + retract
// on the last (stress.Retract): without delays, with RCU-deferred freeing
// and a fault delay (must see retries on retracted tables — the race
// happened — and no violation, no data error), and with unsafe freeing and
// the same delay (must see violations: proof that the debug check catches
// the use-after-free the series fixed). The two delayed cases need two
// CPUs: on one, a fault inside its RCU read-side section holds the only
// CPU, and no retract can run in its window.

package suites

import (
	"time"

	"retract/kernel/cmdline"
	"retract/kernel/ktest"
	"retract/kernel/smp"
	"retract/kernel/stress"
	"retract/mm"
)

func init() {
	ktest.Register(ktest.Suite{
		Name: "retract",
		Doc:  "faults on every CPU against file collapse and retract: RCU freeing is safe, unsafe freeing is caught",
		Cases: []ktest.Case{
			{Name: "rcu_no_delays", Fn: func(t *ktest.T) { retractCase(t, false, 0, 0) }, Timeout: 10 * time.Minute},
			{Name: "rcu_with_delays", Fn: func(t *ktest.T) { needTwoCPUs(t); retractCase(t, false, faultDelay(t), 100) }, Timeout: 10 * time.Minute},
			{Name: "unsafe_is_caught", Fn: func(t *ktest.T) { needTwoCPUs(t); retractCase(t, true, faultDelay(t), 100) }, Timeout: 10 * time.Minute},
		},
	})
}

// needTwoCPUs skips a case that needs the race, on one CPU.
func needTwoCPUs(t *ktest.T) {
	if smp.Count() < 2 {
		t.Skipf("the race needs 2 CPUs: on one, a fault in its RCU read-side section holds the CPU and no retract runs in its window")
	}
}

// retractSeconds is how long each case runs: torture=SECONDS on the
// command line, else 4 s.
func retractSeconds() time.Duration {
	if s := cmdline.Current.Torture; s > 0 {
		return time.Duration(s) * time.Second
	}
	return 4 * time.Second
}

// collapseMicros is the mean time of one file collapse measured by the
// last delay-free run (0: not measured yet).
var collapseMicros uint64

// faultDelay picks the starting fault-side delay (µs) that makes the race
// likely: three collapses long, so that a whole collapse — unmap, copy,
// retract, free — fits inside a fault's window between reading origPte
// and taking the ptl. A collapse takes a few ms under TCG with 2 CPUs and
// tens of ms with 4 vCPUs on 2 host cores, hence measured rather than
// fixed; stress.Retract widens it (AdaptDelay) while the race has not
// shown, at most 8-fold.
func faultDelay(t *ktest.T) uint64 {
	if collapseMicros == 0 {
		res, err := stress.Retract(stress.RetractConfig{Duration: time.Second, Workers: stress.DefaultWorkers(smp.Count()), Seed: t.Seed()})
		if err != nil {
			t.Fatalf("measuring a collapse: %v", err)
		}
		collapseMicros = res.CollapseMicros()
	}
	d := min(max(3*collapseMicros, 1000), mm.MaxDelay)
	t.Logf("a collapse takes %d µs: fault delay %d µs", collapseMicros, d)
	return d
}

func minCollapses(faultUs uint64) int {
	if faultUs == 0 {
		return 0
	}
	return 20
}

// retractCase runs stress.Retract in one mode with the given delays (µs)
// and checks the mode's promise.
func retractCase(t *ktest.T, unsafe bool, faultUs, retractUs uint64) {
	prevUnsafe := mm.RetractUnsafe.Swap(unsafe)
	names, prev := mm.DelayPoints()
	defer func() {
		mm.RetractUnsafe.Store(prevUnsafe)
		for i, n := range names {
			mm.SetDelay(n, prev[i])
		}
	}()
	mm.SetDelay(mm.DelayFaultAfterPteOffsetMap.String(), faultUs)
	mm.SetDelay(mm.DelayRetractAfterPmdClear.String(), retractUs)

	u0, c0, r0 := mm.CollapseStat.UnmapNs.Load(), mm.CollapseStat.CopyNs.Load(), mm.CollapseStat.RetractNs.Load()
	defer func() {
		t.Logf("collapse phases: unmap %d ms, copy %d ms, retract %d ms in total",
			(mm.CollapseStat.UnmapNs.Load()-u0)/1e6, (mm.CollapseStat.CopyNs.Load()-c0)/1e6, (mm.CollapseStat.RetractNs.Load()-r0)/1e6)
	}()
	res, err := stress.Retract(stress.RetractConfig{
		Duration:   retractSeconds(),
		Workers:    stress.DefaultWorkers(smp.Count()),
		Seed:       t.Seed(),
		Logf:       t.Logf,
		AdaptDelay: faultUs > 0,
		// With a fault delay a round is long (several delays): ask for
		// enough rounds that the race is sure to show.
		MinCollapses: minCollapses(faultUs),
		Stop:         t.Interrupted,
	})
	if err != nil {
		t.Fatalf("%v", err)
	}
	t.Logf("%v", res)
	if res.Interrupted {
		// Cut short (Ctrl-C): what must hold at any moment still must —
		// every frame back, no violation with RCU — but the race may not
		// have happened yet.
		if res.Leak != "" {
			t.Errorf("%s", res.Leak)
		}
		if !unsafe && res.Violations != 0 {
			t.Errorf("%d debug-check violations with RCU freeing", res.Violations)
		}
		t.Skipf("interrupted after %.1f s", res.Duration.Seconds())
	}
	if faultUs > 0 {
		t.Logf("fault delay at the end: %d µs (started at %d µs)", mm.DelayFaultAfterPteOffsetMap.Micros(), faultUs)
	}
	if faultUs == 0 {
		collapseMicros = res.CollapseMicros()
	}
	if res.Leak != "" {
		t.Errorf("%s", res.Leak)
	}
	if res.AccessErrors != 0 {
		t.Errorf("%d accesses failed", res.AccessErrors)
	}
	if res.Collapses == 0 || res.Retracts == 0 {
		t.Fatalf("no collapse or no retract happened (%d collapses, %d retracts): the test tested nothing", res.Collapses, res.Retracts)
	}
	if unsafe {
		if res.FreedUnsafe == 0 {
			t.Errorf("unsafe mode freed no table at once")
		}
		if res.Violations == 0 {
			t.Errorf("unsafe freeing with delays caused no detected violation: the debug check has no teeth")
		}
		return
	}
	if res.Violations != 0 {
		t.Errorf("%d debug-check violations with RCU freeing", res.Violations)
	}
	if res.DataErrors != 0 {
		t.Errorf("%d reads did not return the last value written", res.DataErrors)
	}
	if res.FreedUnsafe != 0 {
		t.Errorf("%d tables freed without a grace period in RCU mode", res.FreedUnsafe)
	}
	if faultUs > 0 && (res.Retries == 0 || res.RetractedRetries == 0) {
		t.Errorf("%d faults retried, %d of them on a retracted table: the race did not happen", res.Retries, res.RetractedRetries)
	}
}
