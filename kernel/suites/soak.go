// soak.go: the soak suite (`make soak`): rcutorture and the retract stress
// at the same time on every CPU, for torture=SECONDS (default 60; make
// soak runs an hour), with periodic progress and the totals at the end.
// Every check of both must hold for the whole run: no reader saw freed
// memory, no use-after-free, no data error, no leaked frame.

package suites

import (
	"sync"
	"time"

	"retract/kernel/cmdline"
	"retract/kernel/ktest"
	"retract/kernel/smp"
	"retract/kernel/stress"
	"retract/mm"
	"retract/mm/phys"
	"retract/rcu"
)

func init() {
	ktest.Register(ktest.Suite{
		Name: "soak",
		Doc:  "rcutorture and stress retract together on every CPU for torture=SECONDS (default 60): long-run checks",
		Cases: []ktest.Case{
			{Name: "torture_and_retract", Fn: testSoak, Timeout: 25 * time.Hour},
		},
	})
}

func soakTime() time.Duration {
	if s := cmdline.Current.Torture; s > 0 {
		return time.Duration(s) * time.Second
	}
	return time.Minute
}

func testSoak(t *ktest.T) {
	d := soakTime()
	if mm.FreeModeNow().Unsafe() {
		t.Fatalf("the soak checks the fix; the kernel is in an unsafe mode (%v)", mm.FreeModeNow())
	}
	workers := stress.DefaultWorkers(smp.Count())
	t.Logf("%v on %d CPUs: rcutorture, and stress retract with %d faulting address spaces", d, smp.Count(), workers)
	var wg sync.WaitGroup
	var tr rcu.TortureResult
	wg.Add(1)
	go func() {
		defer wg.Done()
		tr = rcu.Torture(rcu.TortureConfig{Duration: d, Seed: t.Seed()})
	}()
	sr, err := stress.Retract(stress.RetractConfig{Duration: d, Workers: workers, Seed: t.Seed(), Logf: t.Logf, Stop: t.Interrupted})
	wg.Wait()
	if err != nil {
		t.Fatalf("stress retract: %v", err)
	}
	t.Logf("soak: torture: %d reads, %d writes, %d grace periods, max pipe age %d, %d errors", tr.Reads, tr.Writes, tr.GPs, tr.MaxPipe, tr.Errors)
	t.Logf("soak: retract: %v", sr)
	if tr.Errors != 0 {
		t.Errorf("rcutorture: %d readers saw freed or too-old elements", tr.Errors)
	}
	if tr.Reads == 0 || tr.Writes == 0 || tr.GPs == 0 {
		t.Errorf("rcutorture did not run (reads %d, writes %d, GPs %d)", tr.Reads, tr.Writes, tr.GPs)
	}
	if sr.Violations != 0 || sr.DataErrors != 0 || sr.AccessErrors != 0 {
		t.Errorf("stress retract: %d violations, %d data errors, %d access errors", sr.Violations, sr.DataErrors, sr.AccessErrors)
	}
	if sr.Collapses == 0 || sr.Retracts == 0 {
		t.Errorf("stress retract collapsed nothing (%d collapses, %d retracts)", sr.Collapses, sr.Retracts)
	}
	if sr.Leak != "" {
		t.Errorf("%s", sr.Leak)
	}
	if msg := phys.Frames.Check(); msg != "" {
		t.Errorf("frame allocator: %s", msg)
	}
}
