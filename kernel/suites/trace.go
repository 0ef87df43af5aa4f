// trace.go: the trace suite — the event tracer records what the fault
// path, collapse, retract and RCU did, keeps the newest events when its
// ring fills, and its dump draws the race: an arrow from a retract to the
// fault that held the table and retried, and from pte_free_defer to the
// grace period that freed it.

package suites

import (
	"bytes"
	"regexp"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"retract/arch/amd64"
	"retract/kernel/clock"
	"retract/kernel/ktest"
	"retract/kernel/smp"
	"retract/kernel/sys"
	"retract/kernel/trace"
	"retract/mm"
	"retract/mm/phys"
	"retract/rcu"
)

func init() {
	ktest.Register(ktest.Suite{
		Name: "trace",
		Doc:  "the event tracer: fault and read-side events, the ring keeps the newest, a retract → retry arrow in the dump (clears what trace recorded)",
		Cases: []ktest.Case{
			{Name: "fault_events", Fn: testTraceFault},
			{Name: "off_records_nothing", Fn: testTraceOff},
			{Name: "ring_keeps_newest", Fn: testTraceRing},
			{Name: "munmap_one_flush", Fn: testMunmapOneFlush},
			{Name: "retract_retry_flow", Fn: testTraceRace, Timeout: 3 * time.Minute},
		},
	})
}

// withTrace records classes c during f, from an empty trace, and puts the
// tracer back as it was.
func withTrace(c trace.Class, f func()) {
	prev := trace.Enabled()
	trace.Disable()
	trace.Clear()
	trace.Enable(c)
	defer trace.Enable(prev)
	f()
}

var traceNames = trace.Names{
	FaultPath:      func(p uint32) string { return mm.FaultPath(p).Short() },
	CollapseKind:   func(k uint8) string { return mm.CollapseKind(k).Linux() },
	CollapseResult: func(r int) string { return mm.CollapseResult(r).String() },
	Syscall:        sys.Name,
}

// testTraceFault: one anonymous write fault leaves a begin and an end
// with the same id, the address and the handler, and a read-side section
// (pte_offset_map) in between on the same CPU.
func testTraceFault(t *ktest.T) {
	var events []trace.Event
	var va uint64
	withMM(t, 16, mm.ProtRead|mm.ProtWrite, func(m *mm.MM, base uintptr) {
		va = uint64(base + 3*phys.PageSize)
		withTrace(trace.ClassFault|trace.ClassPte, func() {
			if err := m.Store64(uintptr(va), 1); err != nil {
				t.Fatalf("store: %v", err)
			}
			events, _ = trace.Snapshot(trace.ClassAll)
		})
	})
	var begin, end *trace.Event
	maps := 0
	for i := range events {
		e := &events[i]
		switch {
		case e.Kind == trace.KindFaultBegin && e.A == va:
			begin = e
		case e.Kind == trace.KindFaultEnd && e.A == va:
			end = e
		case e.Kind == trace.KindPteMap && e.A == va:
			maps++
		}
	}
	switch {
	case begin == nil || end == nil:
		t.Fatalf("no fault begin and end at %#x among %d events", va, len(events))
	case begin.ID == 0 || begin.ID != end.ID:
		t.Errorf("begin id %d, end id %d: want the same, non-zero", begin.ID, end.ID)
	case begin.B != 1 || mm.FaultPath(end.B) != mm.PathAnonymousPage || end.C != 0:
		t.Errorf("begin write=%d, end handler %v error %d: want a write resolved by do_anonymous_page", begin.B, mm.FaultPath(end.B), end.C)
	case end.TSC < begin.TSC:
		t.Errorf("the end (TSC %d) is before the begin (%d)", end.TSC, begin.TSC)
	}
	if maps == 0 {
		t.Errorf("no pte_offset_map of %#x recorded (the fault's RCU read side)", va)
	}
}

// testTraceOff: with tracing off (or its class off), the trace points
// record nothing.
func testTraceOff(t *ktest.T) {
	withMM(t, 16, mm.ProtRead|mm.ProtWrite, func(m *mm.MM, base uintptr) {
		withTrace(trace.ClassRCU, func() { // on, but not the fault classes
			m.Store64(base, 1)
			if ev, _ := trace.Snapshot(trace.ClassFault | trace.ClassPte); len(ev) != 0 {
				t.Errorf("%d fault events recorded with the fault classes off", len(ev))
			}
		})
		withTrace(0, func() {
			m.Store64(base+phys.PageSize, 1)
			if ev, _ := trace.Snapshot(trace.ClassAll); len(ev) != 0 {
				t.Errorf("%d events recorded with tracing off", len(ev))
			}
		})
	})
}

// testTraceRing: more events than a ring holds on one CPU leave the
// newest RingSize, in order, and the count of the ones overwritten.
func testTraceRing(t *ktest.T) {
	const extra = 1000
	var mine []trace.Event
	var lost uint64
	withTrace(trace.ClassPtl, func() {
		f := amd64.EnterAtomic() // stay on one CPU
		cpu := int(amd64.This().ID)
		for i := uint64(0); i < trace.RingSize+extra; i++ {
			trace.PtlLock(i << 12)
		}
		amd64.ExitAtomic(f)
		trace.Disable()
		events, _ := trace.Snapshot(trace.ClassPtl)
		for _, e := range events {
			if int(e.CPU) == cpu {
				mine = append(mine, e)
			}
		}
		lost = trace.Stats()[cpu].Lost
	})
	if len(mine) != trace.RingSize || lost < extra {
		t.Fatalf("%d events kept, %d overwritten; want %d kept and at least %d overwritten", len(mine), lost, trace.RingSize, extra)
	}
	if first := mine[0].A >> 12; first < extra {
		t.Errorf("the oldest event kept is number %d: the ring kept old events instead of the newest", first)
	}
	for i := 1; i < len(mine); i++ {
		if mine[i].A>>12 != mine[i-1].A>>12+1 {
			t.Fatalf("events %d and %d are numbers %d and %d: not in order", i-1, i, mine[i-1].A>>12, mine[i].A>>12)
		}
	}
}

// testTraceRace makes the seed email's race happen once, on purpose, with
// the tracer on: a write fault on a present read-only PTE of a shared
// file page holds the table in its delay point (fault.after_pte_offset_map,
// inside PteOffsetMap's read side) while this goroutine collapses the
// range on another CPU, which retracts the table. RCU keeps it alive, the
// fault's pte_same fails, it retries. The trace must show the retract
// (PMD clear) and the retry on the same table after it, and the dump an
// arrow between them, and one from pte_free_defer to the end of the
// grace period that freed the table.
func testTraceRace(t *ktest.T) {
	if smp.Count() < 2 {
		t.Skipf("needs 2 CPUs: the fault spins on one while another collapses")
	}
	names, prev := mm.DelayPoints()
	defer func() {
		for i, n := range names {
			mm.SetDelay(n, prev[i])
		}
	}()
	mm.SetDelay(mm.DelayRetractAfterPmdClear.String(), 0)
	mm.SetDelay(mm.DelayFaultAfterPteOffsetMap.String(), 0)
	var out mm.CollapseOutcome
	var retracted uint64
	var events []trace.Event
	var dump bytes.Buffer
	// A busy host can stall this goroutine's CPU for the whole second:
	// then the collapse comes after the fault and there is no race.
	// Three tries.
	for try := 1; try <= 3 && retracted == 0; try++ {
		if try > 1 {
			t.Logf("try %d: the collapse did not land inside the fault's window", try)
		}
		dump.Reset()
		out, retracted, events = traceRaceOnce(t, &dump)
	}
	if !out.OK() || len(out.Retracts) != 1 {
		t.Fatalf("collapse: %v with %d tables retracted; want SCAN_SUCCEED and 1", out, len(out.Retracts))
	}
	if retracted != 1 {
		t.Errorf("%d retries on a retracted table, want 1: the fault did not hold the table across the retract", retracted)
	}
	table, gp := out.Retracts[0].Table, out.Retracts[0].GP
	var clear, retry, gpEnd, free *trace.Event
	for i := range events {
		e := &events[i]
		switch {
		case e.Kind == trace.KindPmdClear && e.C == table && clear == nil:
			clear = e
		case e.Kind == trace.KindFaultRetry && e.C&^0xfff == table && trace.RetryReason(e.C&0xfff) == trace.RetryRetracted:
			retry = e
		case e.Kind == trace.KindGPEnd && e.A == gp:
			gpEnd = e
		case e.Kind == trace.KindPteFree && e.A == table:
			free = e
		}
	}
	switch {
	case clear == nil || retry == nil:
		t.Fatalf("no PMD clear of table %#x (%v) or no retracted retry on it (%v) among %d events:\n%s", table, clear != nil, retry != nil, len(events), lastLines(dump.String(), 60))
	case retry.TSC < clear.TSC:
		t.Errorf("the retry (TSC %d) comes before the retract (%d)", retry.TSC, clear.TSC)
	case gpEnd == nil || free == nil || free.TSC < gpEnd.TSC:
		t.Errorf("grace period %d's end (%v) and the table's free after it (%v) are not both in the trace, in that order", gp, gpEnd != nil, free != nil)
	}
	d := dump.String()
	for _, flow := range []string{trace.FlowRetry, trace.FlowGP} {
		m := regexp.MustCompile(`(?m)^\d+ \d+ S (f\d+) "`+regexp.QuoteMeta(flow)+`"$`).FindAllStringSubmatch(d, -1)
		ok := false
		for _, s := range m {
			ok = ok || regexp.MustCompile(`(?m)^\d+ \d+ F `+s[1]+` `).MatchString(d)
		}
		if !ok {
			t.Errorf("the dump has no finished %q arrow:\n%s", flow, lastLines(d, 40))
		}
	}
	if !strings.HasPrefix(d, trace.BeginMarker+"\n"+trace.Header+"\n") || !strings.HasSuffix(d, trace.EndMarker+"\n") {
		t.Errorf("the dump is not framed by the markers and the header")
	}
}

// traceRaceOnce sets up the race of testTraceRace once: the collapse's
// outcome, the retries on a retracted table, the events and the dump.
func traceRaceOnce(t *ktest.T, dump *bytes.Buffer) (out mm.CollapseOutcome, retracted uint64, events []trace.Event) {
	fileSetup(t, mm.HPageNr, func(file *mm.File) {
		withMM(t, 0, mm.ProtNone, func(m *mm.MM, _ uintptr) {
			if _, err := m.MmapFile(hugeBase, mm.HPageSize, mm.ProtRead|mm.ProtWrite, true, file, 0); err != nil {
				t.Fatalf("MmapFile: %v", err)
			}
			va := hugeBase + 7*phys.PageSize
			// No garbage collection in the window: its stop-the-world
			// would wait for the fault, pinned in its delay, and hold the
			// collapse until the window has closed.
			runtime.GC()
			gcPercent := debug.SetGCPercent(-1)
			defer debug.SetGCPercent(gcPercent)
			withTrace(trace.ClassAll&^trace.ClassSched, func() {
				done := make(chan error, 1)
				f0 := m.Stats.Faults.Load()
				go func() {
					m.Use()
					defer m.Unuse()
					if _, err := m.Load64(va); err != nil { // maps the page read-only
						done <- err
						return
					}
					// The write faults on the present read-only PTE and
					// spins a second holding the table.
					mm.SetDelay(mm.DelayFaultAfterPteOffsetMap.String(), mm.MaxDelay)
					done <- m.Store64(va, 0xab)
				}()
				// No timers here: the worker's P spins pinned in the delay,
				// and Go's timers queued on it would not fire until it ends.
				for end := clock.Nanotime() + 60e9; m.Stats.Faults.Load() < f0+2 && clock.Nanotime() < end; {
					runtime.Gosched()
				}
				for end := clock.Nanotime() + 20e6; clock.Nanotime() < end; { // well inside the second
					runtime.Gosched()
				}
				out = file.Collapse(0, mm.HPageNr-1)
				if err := <-done; err != nil {
					t.Errorf("the faulting write: %v", err)
				}
				mm.SetDelay(mm.DelayFaultAfterPteOffsetMap.String(), 0)
				retracted = m.Stats.RetractedRetries.Load()
				rcu.Barrier() // the table's grace period ends, its callback runs
				trace.Disable()
				var cpus int
				events, cpus = trace.Snapshot(trace.ClassAll)
				trace.Dump(dump, events, cpus, clock.TSCHz, traceNames)
			})
			m.Munmap(hugeBase, mm.HPageSize)
		})
		rcu.Barrier()
	})
	return out, retracted, events
}

func lastLines(s string, n int) string {
	ls := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(ls[max(0, len(ls)-n):], "\n")
}

// testMunmapOneFlush: a munmap that drops pages and frees the page tables
// under them shoots the TLBs down once (Linux's mmu_gather: the tables are
// detached before the flush and freed after it), and frees the tables.
func testMunmapOneFlush(t *ktest.T) {
	const pages = 1024 // 4 MiB: two page tables
	withMM(t, pages, mm.ProtRead|mm.ProtWrite, func(m *mm.MM, base uintptr) {
		for i := 0; i < pages; i++ {
			if err := m.Store64(base+uintptr(i)*phys.PageSize, uint64(i)); err != nil {
				t.Fatalf("store: %v", err)
			}
		}
		tables := mm.UserTables.Load()
		var events []trace.Event
		withTrace(trace.ClassRetract, func() {
			if err := m.Munmap(base, pages*phys.PageSize); err != nil {
				t.Fatalf("munmap: %v", err)
			}
			events, _ = trace.Snapshot(trace.ClassRetract)
		})
		if freed := tables - mm.UserTables.Load(); freed < 2 {
			t.Errorf("munmap of 4 MiB freed %d page tables, want at least the 2 PTE tables", freed)
		}
		flushes := 0
		for _, e := range events {
			if e.Kind == trace.KindFlushBegin && e.A == uint64(m.ID) {
				flushes++
			}
		}
		if flushes != 1 {
			t.Errorf("munmap of 4 MiB with its tables: %d TLB flushes of the mm, want 1", flushes)
		}
	})
}
