// thpcmd.go: the shell's huge-page commands: khugepaged, collapse,
// retract, delay and stress, and the demo file that `mm mapfile` maps.

package main

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"retract/kernel/cmdargs"
	"retract/kernel/cmdline"
	"retract/kernel/shell"
	"retract/kernel/smp"
	"retract/kernel/stress"
	"retract/mm"
)

func thpCommands() []shell.Command {
	return []shell.Command{
		{Name: "khugepaged", Usage: cmdargs.KhugepagedUsage,
			Help: "the background collapser (khugepaged_scan_mm_slot): switch it, show its counters, run one round, tune it (Linux's /sys/kernel/mm/transparent_hugepage/khugepaged)", Run: cmdKhugepaged},
		{Name: "collapse", Usage: cmdargs.CollapseUsage, Help: "MADV_COLLAPSE (madvise_collapse) of the 2 MiB around ADDR in address space ID: collapse_huge_page, collapse_file + retract_page_tables, or collapse_pte_mapped_thp", Run: cmdCollapse},
		{Name: "retract", Usage: "retract stats | retract unsafe on|off", Help: "retract_page_tables counters; free retracted tables at once (unsafe: the bug) or after a grace period (pte_free_defer)", Run: cmdRetract},
		{Name: "delay", Usage: cmdargs.DelayUsage, Help: "list the race-widening delay points (in handle_pte_fault after pte_offset_map, in retract after pmdp_collapse_flush), or set one (0 = off)", Run: cmdDelay},
		{Name: "stress", Usage: cmdargs.StressUsage,
			Help: "CPUS-1 CPUs fault (handle_mm_fault) against collapse_file and retract_page_tables on one more (CPUS: 2 to all online, the default); reports retries, violations, data errors; SEED (default: seed= of the command line, else the clock) replays a run; Ctrl-C stops it", Run: cmdStress},
	}
}

// The shell's demo file: `mm mapfile` maps it shared.
var (
	demoFileOnce sync.Once
	demoFile     *mm.File
)

// DemoFilePages is the demo file's size: four 2 MiB ranges.
const DemoFilePages = 4 * mm.HPageNr

func theDemoFile() *mm.File {
	demoFileOnce.Do(func() { demoFile = mm.NewFile("demo", DemoFilePages) })
	return demoFile
}

func cmdKhugepaged(sh *shell.Shell, args []string) error {
	r, err := cmdargs.ParseKhugepaged(args)
	if err != nil {
		return err
	}
	k := &mm.Khugepaged
	switch r.Op {
	case "stats":
		on := "off"
		if k.Enabled.Load() {
			on = "on"
		}
		s := &mm.KhugepagedStat
		sh.Printf("khugepaged %s: sleep %d ms, %d pages per round, max_ptes_none %d, max_ptes_shared %d; %d mms registered\n",
			on, k.ScanSleepMs.Load(), k.PagesToScan.Load(), k.MaxPtesNone.Load(), k.MaxPtesShared.Load(), mm.KhugepagedSlots())
		sh.Printf("  rounds %d, full scans %d, pages scanned %d, collapse attempts %d\n",
			s.Rounds.Load(), s.FullScans.Load(), s.PagesScanned.Load(), s.Attempts.Load())
		printCollapseStats(sh)
	case "on":
		k.Enabled.Store(true)
		mm.WakeKhugepaged()
	case "off":
		k.Enabled.Store(false)
	case "scan":
		n := mm.KhugepagedScan(int(k.PagesToScan.Load()))
		sh.Printf("one round: %d collapse attempts\n", n)
	case "set":
		switch r.Tunable {
		case "sleep_ms":
			k.ScanSleepMs.Store(r.N)
		case "pages_to_scan":
			k.PagesToScan.Store(r.N)
		case "max_ptes_none":
			k.MaxPtesNone.Store(r.N)
		case "max_ptes_shared":
			k.MaxPtesShared.Store(r.N)
		}
	}
	return nil
}

func printCollapseStats(sh *shell.Shell) {
	c := &mm.CollapseStat
	sh.Printf("  collapsed: anon %d (collapse_huge_page), file %d (collapse_file), PTE-mapped huge pages %d (collapse_pte_mapped_thp); file huge pages split %d\n",
		c.Anon.Load(), c.File.Load(), c.PteMapped.Load(), c.SplitFile.Load())
	sh.Printf("  results: %s\n", c.ResultSummary())
	t := &mm.ThpStat
	sh.Printf("  huge faults: anon %d (fallback to 4 KiB %d), file PMDs mapped %d (do_set_pmd), PMD splits %d (shared after fork %d), wp reuse %d, wp split %d\n",
		t.FaultAlloc.Load(), t.FaultFallback.Load(), t.FileMapped.Load(), t.Split.Load(), t.SplitShared.Load(), t.WPReuse.Load(), t.WPSplit.Load())
}

func cmdCollapse(sh *shell.Shell, args []string) error {
	req, err := cmdargs.ParseCollapse(args)
	if err != nil {
		return err
	}
	m, err := findMM(req.ID)
	if err != nil {
		return err
	}
	h := req.Addr
	out, err := m.MadviseCollapse(h, mm.HPageSize) // MADV_COLLAPSE of this 2 MiB
	if len(out) == 0 {
		if errors.Is(err, mm.ErrNoMemory) {
			return fmt.Errorf("%#x-%#x is not inside one mapping (see mm)", h, h+mm.HPageSize)
		}
		return err
	}
	o := out[0]
	sh.Printf("collapse: mm %d %#x: MadviseCollapse (madvise_collapse) → %v\n", m.ID, h, o.Kind)
	for _, r := range o.Retracts {
		sh.Printf("%v\n", r)
	}
	sh.Printf("collapse: %v\n", o)
	if !o.OK() {
		return fmt.Errorf("not collapsed (%v)", o.Result)
	}
	return nil
}

// plural says "1 page table" or "n page tables".
func plural(n uint64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func cmdRetract(sh *shell.Shell, args []string) error {
	switch {
	case len(args) == 0 || len(args) == 1 && args[0] == "stats":
		c := &mm.CollapseStat
		sh.Printf("retract: %s\n", mm.FreeModeNow())
		sh.Printf("  tables retracted   %d (retract_page_tables), skipped %d (still mapping pages)\n", c.Retracted.Load(), c.RetractSkipped.Load())
		sh.Printf("  tables freed       %d after a grace period (pte_free_defer), %d at once, %d waiting\n",
			c.FreedRCU.Load(), c.FreedUnsafe.Load(), c.PendingFree.Load())
		sh.Printf("  violations         %d (the debug check: a fault used a freed table)\n", mm.Violations.Load())
		return nil
	case len(args) == 2 && args[0] == "unsafe" && (args[1] == "on" || args[1] == "off"):
		mm.RetractUnsafe.Store(args[1] == "on")
		mode := mm.FreeModeNow()
		sh.Printf("retract: %s\n", mode)
		if args[1] == "off" && mode.Unsafe() {
			sh.Printf("retract: retract's own switch is off, but RCU itself has no grace periods (rcu=unsafe); `rcu mode rcu` brings them back\n")
		}
		return nil
	}
	return fmt.Errorf("usage: retract stats | retract unsafe on|off")
}

func cmdDelay(sh *shell.Shell, args []string) error {
	r, err := cmdargs.ParseDelay(args)
	if err != nil {
		return err
	}
	if r.List {
		names, us := mm.DelayPoints()
		for i, n := range names {
			sh.Printf("%-28s %d µs\n", n, us[i])
		}
		return nil
	}
	return mm.SetDelay(r.Point, r.Micros)
}

func cmdStress(sh *shell.Shell, args []string) error {
	r, err := cmdargs.ParseStress(args, smp.Count())
	if err != nil {
		return err
	}
	// The seed: SEED, else the command line's seed=, else the clock. The
	// header prints it, so that `stress retract SECONDS CPUS SEED` replays
	// the workers' choices.
	seed := uint64(time.Now().UnixNano())
	switch {
	case r.SeedSet:
		seed = r.Seed
	case cmdline.Current.SeedSet:
		seed = cmdline.Current.Seed
	}
	secs, cpus := r.Seconds, r.CPUs
	workers := stress.DefaultWorkers(cpus)
	mode := mm.FreeModeNow()
	sh.Printf("stress retract: %d s, seed %d, %d faulting address spaces and the collapser on %d CPUs; delays %d µs (fault), %d µs (retract)\n",
		secs, seed, workers, cpus, mm.DelayFaultAfterPteOffsetMap.Micros(), mm.DelayRetractAfterPmdClear.Micros())
	sh.Printf("stress retract: %s\n", mode)
	res, err := stress.Retract(stress.RetractConfig{
		Duration: time.Duration(secs) * time.Second,
		Workers:  workers,
		Seed:     seed,
		Logf:     func(f string, a ...any) { sh.Printf("stress: "+f+"\n", a...) },
		Stop:     sh.Interrupted, // Ctrl-C
	})
	if err != nil {
		return err
	}
	sh.Printf("stress retract: %v\n", res)
	if res.Leak != "" {
		sh.Printf("stress retract: LEAK: %s\n", res.Leak)
	}
	verdict := stressVerdict(res, mode)
	if res.Interrupted {
		verdict = fmt.Sprintf("interrupted (Ctrl-C) after %.1f s: workers stopped, address spaces and the file freed; %s", res.Duration.Seconds(), verdict)
	}
	sh.Printf("stress retract: %s\n", verdict)
	return nil
}

// stressVerdict says what a stress run showed, and never claims more: a
// run in which the race did not happen is inconclusive, not OK. (With one
// CPU it cannot happen: the command refuses to run there.)
func stressVerdict(res stress.RetractResult, mode mm.FreeMode) string {
	switch {
	case res.Violations > 0 && mode.Unsafe() && res.DataErrors == 0 && res.AccessErrors == 0 && res.Leak == "":
		return fmt.Sprintf("BUG SHOWN: %d use-after-free violations caught with unsafe freeing (the bug the 2023 series fixed)", res.Violations)
	case res.Violations > 0 || res.DataErrors > 0 || res.AccessErrors > 0 || res.Leak != "":
		return "FAILED"
	case mode.Unsafe():
		return "INCONCLUSIVE: unsafe freeing, but no violation was caught: widen the fault's window (delay fault.after_pte_offset_map 40000)"
	case res.RetractedRetries == 0 && mm.DelayFaultAfterPteOffsetMap.Micros() < 40000:
		return "OK, but the race did not happen (0 retries on a retracted table): widen it with delay fault.after_pte_offset_map 40000"
	case res.RetractedRetries == 0:
		return "OK, but the race did not happen (0 retries on a retracted table): run longer, or widen the fault's delay further"
	}
	return fmt.Sprintf("OK: %d faults held a retracted table, retried (pte_same failed), and RCU (pte_free_defer) kept the table alive for them", res.RetractedRetries)
}
