// thpcmd.go: the shell's huge-page commands: khugepaged, collapse,
// retract, delay and stress, and the demo file that `mm mapfile` maps.

package main

import (
	"fmt"
	"strconv"
	"sync"
	"time"

	"retract/kernel/shell"
	"retract/kernel/smp"
	"retract/kernel/stress"
	"retract/mm"
)

func thpCommands() []shell.Command {
	return []shell.Command{
		{Name: "khugepaged", Usage: "khugepaged [on|off|stats|scan|set sleep_ms|pages_to_scan|max_ptes_none N]",
			Help: "the background collapser: switch it, show its counters, run one round, tune it", Run: cmdKhugepaged},
		{Name: "collapse", Usage: "collapse ID ADDR", Help: "collapse the 2 MiB around ADDR in address space ID now (anon, file, or a PTE-mapped huge page)", Run: cmdCollapse},
		{Name: "retract", Usage: "retract stats | retract unsafe on|off", Help: "retract counters; free retracted tables at once (unsafe: the bug) or after a grace period", Run: cmdRetract},
		{Name: "delay", Usage: "delay [POINT MICROSECONDS]", Help: "list the race-widening delay points, or set one (0 = off)", Run: cmdDelay},
		{Name: "stress", Usage: "stress retract [SECONDS] [CPUS]", Help: "faults on CPUS-1 CPUs (default all) against collapse and retract on one more; reports retries, violations, data errors", Run: cmdStress},
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
	k := &mm.Khugepaged
	if len(args) == 0 || args[0] == "stats" {
		on := "off"
		if k.Enabled.Load() {
			on = "on"
		}
		s := &mm.KhugepagedStat
		sh.Printf("khugepaged %s: sleep %d ms, %d pages per round, max_ptes_none %d; %d mms registered\n",
			on, k.ScanSleepMs.Load(), k.PagesToScan.Load(), k.MaxPtesNone.Load(), mm.KhugepagedSlots())
		sh.Printf("  rounds %d, full scans %d, pages scanned %d, collapse attempts %d\n",
			s.Rounds.Load(), s.FullScans.Load(), s.PagesScanned.Load(), s.Attempts.Load())
		printCollapseStats(sh)
		return nil
	}
	switch args[0] {
	case "on":
		k.Enabled.Store(true)
		mm.WakeKhugepaged()
	case "off":
		k.Enabled.Store(false)
	case "scan":
		n := mm.KhugepagedScan(int(k.PagesToScan.Load()))
		sh.Printf("one round: %d collapse attempts\n", n)
	case "set":
		if len(args) != 3 {
			return fmt.Errorf("usage: khugepaged set sleep_ms|pages_to_scan|max_ptes_none N")
		}
		n, err := strconv.ParseInt(args[2], 10, 64)
		if err != nil || n < 0 {
			return fmt.Errorf("%q is not a non-negative number", args[2])
		}
		switch args[1] {
		case "sleep_ms":
			if n > 60000 {
				return fmt.Errorf("sleep_ms: at most 60000")
			}
			k.ScanSleepMs.Store(n)
		case "pages_to_scan":
			if n < 1 || n > 1<<20 {
				return fmt.Errorf("pages_to_scan: 1 to %d", 1<<20)
			}
			k.PagesToScan.Store(n)
		case "max_ptes_none":
			if n > mm.HPageNr-1 {
				return fmt.Errorf("max_ptes_none: 0 to %d", mm.HPageNr-1)
			}
			k.MaxPtesNone.Store(n)
		default:
			return fmt.Errorf("unknown tunable %q: sleep_ms, pages_to_scan or max_ptes_none", args[1])
		}
	default:
		return fmt.Errorf("unknown subcommand %q (on, off, stats, scan, set)", args[0])
	}
	return nil
}

func printCollapseStats(sh *shell.Shell) {
	c := &mm.Collapse
	sh.Printf("  collapsed: anon %d, file %d, PTE-mapped huge pages %d; file huge pages split %d\n",
		c.Anon.Load(), c.File.Load(), c.PteMapped.Load(), c.SplitFile.Load())
	names, counts := c.ResultCounts()
	sh.Printf("  results:")
	for i, n := range names {
		sh.Printf(" %s %d", n, counts[i])
	}
	sh.Printf("\n")
	t := &mm.Thp
	sh.Printf("  huge faults: anon %d (fallback to 4 KiB %d), file PMDs mapped %d, PMD splits %d, wp reuse %d\n",
		t.FaultAlloc.Load(), t.FaultFallback.Load(), t.FileMapped.Load(), t.Split.Load(), t.WPReuse.Load())
}

func cmdCollapse(sh *shell.Shell, args []string) error {
	if len(args) != 2 {
		return fmt.Errorf("usage: collapse ID ADDR")
	}
	m, err := findMM(args[0])
	if err != nil {
		return err
	}
	va, err := parseUserAddr(args[1])
	if err != nil {
		return err
	}
	h := va &^ (mm.HPageSize - 1)
	m.MmapLock.RLock()
	v := m.VMAs.Find(h)
	var vma mm.VMA
	if v != nil {
		vma = *v
	}
	m.MmapLock.RUnlock()
	if v == nil || h < vma.Start || h+mm.HPageSize > vma.End {
		return fmt.Errorf("%#x-%#x is not inside one mapping (see mm)", h, h+mm.HPageSize)
	}
	r0 := mm.Collapse.Retracted.Load()
	var r mm.CollapseResult
	what := "anonymous"
	if f, ok := vma.File.(*mm.File); ok && f != nil {
		pgoff := vma.Pgoff + uint64(h-vma.Start)/mm.PageSize
		if f.IsHuge(pgoff) {
			what = "PTE-mapped huge page"
			r = m.CollapsePteMappedTHP(h, true)
		} else {
			what = "file"
			r = f.Collapse(pgoff, mm.HPageNr-1)
		}
	} else {
		r = m.CollapseAnon(h, mm.HPageNr-1)
	}
	sh.Printf("collapse (%s) of %#x: %v; %d page tables retracted\n", what, h, r, mm.Collapse.Retracted.Load()-r0)
	if r != mm.CollapseOK {
		return fmt.Errorf("collapse failed: %v", r)
	}
	return nil
}

func cmdRetract(sh *shell.Shell, args []string) error {
	switch {
	case len(args) == 0 || len(args) == 1 && args[0] == "stats":
		c := &mm.Collapse
		sh.Printf("retract: %s\n", mm.FreeModeNow())
		sh.Printf("  tables retracted %d, skipped (still mapping pages) %d; freed after a grace period %d, at once %d, waiting %d\n",
			c.Retracted.Load(), c.RetractSkipped.Load(), c.FreedRCU.Load(), c.FreedUnsafe.Load(), c.PendingFree.Load())
		sh.Printf("  debug-check violations %d\n", mm.Violations.Load())
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
	switch len(args) {
	case 0:
		names, us := mm.DelayPoints()
		for i, n := range names {
			sh.Printf("%-28s %d µs\n", n, us[i])
		}
		return nil
	case 2:
		n, err := strconv.ParseUint(args[1], 10, 64)
		if err != nil {
			return fmt.Errorf("%q is not a number of microseconds", args[1])
		}
		return mm.SetDelay(args[0], n)
	}
	return fmt.Errorf("usage: delay [POINT MICROSECONDS]")
}

func cmdStress(sh *shell.Shell, args []string) error {
	if len(args) == 0 || args[0] != "retract" || len(args) > 3 {
		return fmt.Errorf("usage: stress retract [SECONDS] [CPUS]")
	}
	secs, cpus := 10, smp.Count()
	var err error
	if len(args) > 1 {
		if secs, err = strconv.Atoi(args[1]); err != nil || secs < 1 || secs > 86400 {
			return fmt.Errorf("SECONDS must be 1 to 86400")
		}
	}
	if len(args) > 2 {
		if cpus, err = strconv.Atoi(args[2]); err != nil || cpus < 1 || cpus > 64 {
			return fmt.Errorf("CPUS must be 1 to 64: the collapser and CPUS-1 faulting address spaces")
		}
	}
	workers := stress.DefaultWorkers(cpus)
	mode := mm.FreeModeNow()
	sh.Printf("stress retract: %d s, %d faulting address spaces and the collapser on %d CPUs; delays %d µs (fault), %d µs (retract)\n",
		secs, workers, smp.Count(), mm.DelayFaultAfterPteOffsetMap.Micros(), mm.DelayRetractAfterPmdClear.Micros())
	sh.Printf("stress retract: %s\n", mode)
	res, err := stress.Retract(stress.RetractConfig{
		Duration: time.Duration(secs) * time.Second,
		Workers:  workers,
		Seed:     uint64(time.Now().UnixNano()),
		Logf:     func(f string, a ...any) { sh.Printf("stress: "+f+"\n", a...) },
	})
	if err != nil {
		return err
	}
	sh.Printf("stress retract: %v\n", res)
	if res.Leak != "" {
		sh.Printf("stress retract: LEAK: %s\n", res.Leak)
	}
	sh.Printf("stress retract: %s\n", stressVerdict(res, mode, smp.Count()))
	return nil
}

// stressVerdict says what a stress run showed, and never claims more: a
// run in which the race could not or did not happen is inconclusive, not
// OK.
func stressVerdict(res stress.RetractResult, mode mm.FreeMode, cpus int) string {
	switch {
	case res.Violations > 0 && mode.Unsafe() && res.DataErrors == 0 && res.AccessErrors == 0 && res.Leak == "":
		return fmt.Sprintf("BUG SHOWN: %d use-after-free violations caught with unsafe freeing (the bug the 2023 series fixed)", res.Violations)
	case res.Violations > 0 || res.DataErrors > 0 || res.AccessErrors > 0 || res.Leak != "":
		return "FAILED"
	case cpus < 2:
		return "INCONCLUSIVE: the race needs two CPUs (make run CPUS=2): on one, a fault holding a table and a retract never overlap"
	case mode.Unsafe():
		return "INCONCLUSIVE: unsafe freeing, but no violation was caught: widen the fault's window (delay fault.after_pte_offset_map 40000)"
	case res.Detached == 0:
		return "OK, but the race did not happen (0 retries on a retracted table): widen it with delay fault.after_pte_offset_map 40000"
	}
	return fmt.Sprintf("OK: %d faults held a retracted table, retried, and RCU kept the table alive for them", res.Detached)
}
