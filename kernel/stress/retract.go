// Package stress holds the kernel's long-running demonstrations, shared by
// the shell (`stress retract`), the retract test suite and the benchmarks.
//
// Retract is the demonstration of the whole kernel (docs/retract.md): faulting
// goroutines, each in its own address space, hammer one shared file
// mapping through uaccess — reading (which maps pages read-only) and
// writing (which then faults on present read-only PTEs, the path of the
// seed email) — while a collapser collapses each 2 MiB of the file into a
// huge page and retracts the page tables from under them, then splits it
// back so that the next round finds tables full of present PTEs again.
// Every read is checked against the value its goroutine last wrote there.
package stress

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"retract/mm"
	"retract/mm/phys"
	"retract/rcu"
)

// RetractConfig says how to run Retract.
type RetractConfig struct {
	Duration time.Duration
	Workers  int    // faulting goroutines, each with its own mm (default 2)
	Ranges   int    // 2 MiB ranges of the file (default 2; 1 with a fault delay)
	Seed     uint64 // for the workers' choices
	// AdaptDelay widens the fault-side delay point while the race has not
	// shown yet: after every AdaptEvery collapses with no retry on a
	// retracted table and no violation, the delay doubles, up to
	// MaxAdapt times its starting value (and mm.MaxDelay). Once the race
	// has shown, the delay stays. (It is left set.) Following the
	// collapse time instead ran away: faults spinning in the delay slow
	// the collapses down, which lengthened the delay, and so on — up to
	// the 1 s cap with 4 vCPUs on 2 host cores.
	AdaptDelay bool
	// MinCollapses makes the run go on past Duration until that many
	// collapses succeeded (at most until 10×Duration): slow machines
	// still get enough rounds for the race to show.
	MinCollapses int
	// Logf receives progress lines (nil: silent).
	Logf func(format string, args ...any)
	// Stop, if set, is asked between the collapser's steps whether to end
	// the run now (the shell's Ctrl-C): the workers stop, everything is
	// torn down and checked as after a full run, and the result says
	// Interrupted.
	Stop func() bool
}

// RetractResult is what a run saw.
type RetractResult struct {
	Duration                 time.Duration
	Accesses, Reads, Writes  uint64
	Faults, Retries          uint64 // fault-path attempts that started over (PteSame, pmd_same, collapse)
	RetractedRetries         uint64 // retries where the fault held a retracted table (the seed's case)
	Collapses, Splits        uint64
	CollapseFailures         uint64
	CollapseTime             time.Duration // total time in File.Collapse
	Retracts, RetractSkipped uint64
	FreedRCU, FreedUnsafe    uint64
	Violations               uint64 // debug-check failures (mm/debug.go): use-after-free caught
	DataErrors               uint64 // reads that did not return the last value written
	AccessErrors             uint64 // uaccess failures (EFAULT, ENOMEM): none expected
	Leak                     string // "" when every frame came back
	Interrupted              bool   // RetractConfig.Stop ended the run early
}

// CollapseMicros is the mean time of one collapse attempt, in µs.
func (r RetractResult) CollapseMicros() uint64 {
	return uint64(r.CollapseTime.Microseconds()) / max(1, r.Collapses+r.CollapseFailures)
}

// String is the result as a short aligned block: the duration on the
// first line, then one line per subject, each naming the Linux functions
// that retract's mirror.
func (r RetractResult) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%.1f s", r.Duration.Seconds())
	if r.Interrupted {
		b.WriteString(" (interrupted)")
	}
	row := func(label, format string, args ...any) {
		fmt.Fprintf(&b, "\n  %-11s ", label)
		fmt.Fprintf(&b, format, args...)
	}
	row("accesses", "%d (%d reads, %d writes): %d data errors, %d access errors", r.Accesses, r.Reads, r.Writes, r.DataErrors, r.AccessErrors)
	row("faults", "%d (handle_mm_fault): %d retries, %d on a retracted table", r.Faults, r.Retries, r.RetractedRetries)
	row("collapses", "%d (collapse_file), %d failed, %d µs each; %d splits (split_huge_page)", r.Collapses, r.CollapseFailures, r.CollapseMicros(), r.Splits)
	row("retracts", "%d tables (retract_page_tables), %d skipped", r.Retracts, r.RetractSkipped)
	row("freed", "%d after a grace period (pte_free_defer), %d at once", r.FreedRCU, r.FreedUnsafe)
	row("violations", "%d", r.Violations)
	return b.String()
}

// How AdaptDelay widens the fault delay.
const (
	AdaptEvery = 5 // collapses between two widenings
	MaxAdapt   = 8 // the delay grows to at most 8 times its start
)

// DefaultWorkers is the number of faulting goroutines for cpus CPUs: one
// per CPU but one, which the collapser keeps busy. (With a worker on every
// CPU, workers spinning in a delay point — atomic context, so the tick
// does not switch them out — starve the collapser.)
func DefaultWorkers(cpus int) int { return max(1, cpus-1) }

// MapBase is where every worker maps the file (2 MiB aligned).
const MapBase uintptr = 0x8040000000 // 257 GiB: 2 MiB-aligned, far from where programs load

// Retract runs the demonstration and checks afterwards (after an RCU
// barrier) that every page, page-cache page and page table came back.
func Retract(cfg RetractConfig) (RetractResult, error) {
	if cfg.Workers <= 0 {
		cfg.Workers = 2
	}
	d := time.Duration(mm.DelayFaultAfterPteOffsetMap.Micros()) * time.Microsecond
	if cfg.Ranges <= 0 {
		cfg.Ranges = 2
		if d > 0 {
			cfg.Ranges = 1 // every round hits the range the slow faults are on
		}
	}
	if cfg.Workers > 500 {
		return RetractResult{}, errors.New("stress: at most 500 workers")
	}
	logf := cfg.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	rcu.Barrier()
	before := snapshot()
	pages := uint64(cfg.Ranges) * mm.HPageNr
	file := mm.NewFile("stress", pages)
	// Fill the page cache, so that the first collapse finds no holes.
	if _, err := file.WriteAt(make([]byte, pages*phys.PageSize), 0); err != nil {
		file.Release()
		return RetractResult{}, fmt.Errorf("stress: filling the file: %v", err)
	}
	mms := make([]*mm.MM, cfg.Workers)
	for i := range mms {
		m, err := mm.New()
		if err == nil {
			_, err = m.MmapFile(MapBase, uintptr(pages)*phys.PageSize, mm.ProtRead|mm.ProtWrite, true, file, 0)
		}
		if err != nil {
			for _, m := range mms[:i] {
				m.Destroy()
			}
			if m != nil {
				m.Destroy()
			}
			file.Release()
			return RetractResult{}, fmt.Errorf("stress: setting up address space %d: %v", i, err)
		}
		mms[i] = m
	}

	var res RetractResult
	var reads, writes, dataErr, accErr atomic.Uint64
	c0 := collapseCounts()
	v0 := mm.Violations.Load()
	start := time.Now()
	deadline := start.Add(cfg.Duration)
	var stop atomic.Bool
	var wg sync.WaitGroup
	for w, m := range mms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m.Use()
			defer m.Unuse()
			rng := rand.New(rand.NewPCG(cfg.Seed, uint64(w)))
			last := make([]uint64, pages) // what this worker last wrote at each page
			seq := uint64(w) << 40
			lastFaults, lastYield := uint64(0), time.Now()
			for i := 0; !stop.Load(); i++ {
				// Yield every 2 ms or so: a worker whose faults spin in a
				// delay point (preemption off, so Go's scheduler cannot
				// take its P) would otherwise keep the timers queued on
				// its P — Go's timers are per P, and async preemption is
				// off in this kernel — from firing: the collapser's
				// sleeps overslept by seconds. The clock is read only
				// after a fault or every 1024 iterations.
				if f := m.Stats.Faults.Load(); f != lastFaults || i&1023 == 0 {
					lastFaults = f
					if time.Since(lastYield) > 2*time.Millisecond {
						runtime.Gosched()
						lastYield = time.Now()
					}
				}
				// Read, then write, one word of a random page: after a
				// collapse or split the read maps the page read-only and
				// the write faults on that present read-only PTE — the
				// seed email's path (presentFault).
				p := rng.Uint64N(pages)
				va := MapBase + uintptr(p)*phys.PageSize + uintptr(w%512)*8
				got, err := m.Load64(va)
				reads.Add(1)
				switch {
				case err != nil:
					if accErr.Add(1) <= 3 {
						logf("worker %d: read of page %d: %v", w, p, err)
					}
					continue
				case got != last[p]:
					if dataErr.Add(1) <= 3 {
						logf("worker %d: page %d reads %#x, last written %#x", w, p, got, last[p])
					}
				}
				seq++
				if err := m.Store64(va, seq); err != nil {
					if accErr.Add(1) <= 3 {
						logf("worker %d: write of page %d: %v", w, p, err)
					}
					continue
				}
				last[p] = seq
				writes.Add(1)
			}
		}()
	}

	// The collapser: collapse a range (unmap, copy, retract), let the
	// workers map the huge page, split it back, let them refault small
	// pages, and go on with the next range.
	//
	// The pauses follow the fault-side delay d: after a split a worker
	// needs about 2d to read-fault a page (mapping it read-only) and then
	// write-fault it (the present-PTE path, spinning d before the ptl);
	// a collapse that starts 1.5d after the split lands in that second
	// window. Without a delay the pauses are short: many rounds.
	var collapses, splits, failures uint64
	d0, adaptAt := d, uint64(AdaptEvery)
	raced := func() bool {
		if mm.Violations.Load() != v0 {
			return true
		}
		for _, m := range mms {
			if m.Stats.RetractedRetries.Load() != 0 {
				return true
			}
		}
		return false
	}
	lastLog := start
	hardStop := start.Add(10 * cfg.Duration)
	stopped := func() bool {
		if cfg.Stop != nil && !res.Interrupted && cfg.Stop() {
			res.Interrupted = true
			logf("interrupted after %.1f s: stopping the workers", time.Since(start).Seconds())
		}
		return res.Interrupted
	}
	// sleep sleeps d, or less if the run is stopped meanwhile.
	sleep := func(d time.Duration) {
		for end := time.Now().Add(d); !stopped(); {
			left := time.Until(end)
			if left <= 0 {
				return
			}
			time.Sleep(min(left, 20*time.Millisecond))
		}
	}
	for round := 0; !stopped() && (time.Now().Before(deadline) || collapses < uint64(cfg.MinCollapses) && time.Now().Before(hardStop)); round++ {
		afterCollapse, afterSplit := max(2*time.Millisecond, d/2), max(3*time.Millisecond, 3*d/2)
		idx := uint64(round%cfg.Ranges) * mm.HPageNr
		t0 := time.Now()
		r := file.Collapse(idx, mm.HPageNr-1)
		took := time.Since(t0)
		res.CollapseTime += took
		if cfg.AdaptDelay && collapses+failures >= adaptAt && d < MaxAdapt*d0 && !raced() {
			adaptAt += AdaptEvery
			d = min(2*d, MaxAdapt*d0, mm.MaxDelay*time.Microsecond)
			mm.SetDelay(mm.DelayFaultAfterPteOffsetMap.String(), uint64(d.Microseconds()))
			logf("no retry on a retracted table after %d collapses: fault delay %d µs", collapses+failures, d.Microseconds())
		}
		if r.OK() {
			collapses++
		} else {
			failures++
			if failures <= 3 {
				logf("collapse of offset %d: %v", idx, r)
			}
		}
		sleep(afterCollapse)
		t1 := time.Now()
		if file.IsHuge(idx) {
			if err := file.SplitHugePage(idx); err != nil {
				logf("split: %v", err)
			} else {
				splits++
			}
		}
		t2 := time.Now()
		sleep(afterSplit)
		if slow := time.Since(t0); slow > time.Second {
			logf("a slow round (%v): collapse %v, pause %v, split %v, pause %v", slow.Round(time.Millisecond), took.Round(time.Millisecond),
				t1.Sub(t0.Add(took)).Round(time.Millisecond), t2.Sub(t1).Round(time.Millisecond), time.Since(t2).Round(time.Millisecond))
		}
		if time.Since(lastLog) >= 10*time.Second {
			lastLog = time.Now()
			logf("%.0fs: %d collapses, %d violations so far", time.Since(start).Seconds(), collapses, mm.Violations.Load()-v0)
		}
	}
	stop.Store(true)
	wg.Wait()
	res.Duration = time.Since(start)

	for _, m := range mms {
		res.Faults += m.Stats.Faults.Load()
		res.Retries += m.Stats.Retries.Load()
		res.RetractedRetries += m.Stats.RetractedRetries.Load()
	}
	for _, m := range mms {
		m.Destroy()
	}
	if err := file.Release(); err != nil {
		logf("releasing the file: %v", err)
	}
	rcu.Barrier() // the retracted tables still waiting for their grace period
	c1 := collapseCounts()
	res.Reads, res.Writes = reads.Load(), writes.Load()
	res.Accesses = res.Reads + res.Writes
	res.DataErrors, res.AccessErrors = dataErr.Load(), accErr.Load()
	res.Collapses, res.Splits, res.CollapseFailures = collapses, splits, failures
	res.Retracts, res.RetractSkipped = c1.retracted-c0.retracted, c1.skipped-c0.skipped
	res.FreedRCU, res.FreedUnsafe = c1.freedRCU-c0.freedRCU, c1.freedUnsafe-c0.freedUnsafe
	res.Violations = mm.Violations.Load() - v0
	res.Leak = snapshot().diff(before)
	return res, nil
}

type counts struct{ retracted, skipped, freedRCU, freedUnsafe uint64 }

func collapseCounts() counts {
	c := &mm.CollapseStat
	return counts{c.Retracted.Load(), c.RetractSkipped.Load(), c.FreedRCU.Load(), c.FreedUnsafe.Load()}
}

// frames is the accounting a stress run must leave as it found it.
// (Page tables are counted by mm.UserTables: the frame kind also covers
// the kernel's heap-window tables, which grow with the Go heap.)
type frames struct {
	anon, pagecache uint64
	userTables      int64
}

func snapshot() frames {
	s := phys.Frames.Stats()
	return frames{s.ByKind[phys.KindAnon], s.ByKind[phys.KindPageCache], mm.UserTables.Load()}
}

// diff describes how f differs from before ("" if not at all).
func (f frames) diff(before frames) string {
	if f == before {
		if msg := phys.Frames.Check(); msg != "" {
			return "frame allocator: " + msg
		}
		return ""
	}
	return fmt.Sprintf("frames leaked: anon %d -> %d, page cache %d -> %d, user page tables %d -> %d",
		before.anon, f.anon, before.pagecache, f.pagecache, before.userTables, f.userTables)
}
