package trace

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"retract/tools/trace/timeline"
)

var testNames = Names{
	FaultPath:      func(p uint32) string { return []string{"none", "do_read_fault", "wp_page_shared"}[p] },
	CollapseKind:   func(k uint8) string { return "collapse_file" },
	CollapseResult: func(r int) string { return "SCAN_SUCCEED" },
	Syscall:        func(nr uint64) string { return map[uint64]string{9: "mmap"}[nr] },
}

// The race of docs/retract.md as events (1 GHz: TSC ticks are ns): CPU 1
// faults on a present read-only PTE and holds table T; CPU 0 collapses
// and retracts T (PMD clear, TLB flush, pte_free_defer for grace period
// 7); CPU 1's pte_same fails, it retries; grace period 7 ends and T is
// freed.
const tableT = 0x1a2000

func raceEvents() []Event {
	ev := func(tsc uint64, cpu uint8, k Kind, id uint32, a, b, c uint64) Event {
		return Event{TSC: tsc, CPU: cpu, Kind: k, ID: id, A: a, B: b, C: c}
	}
	return []Event{
		ev(1000, 1, KindFaultBegin, 5, 0x8000003000, 1, 3),
		ev(1100, 1, KindPteMap, 0, 0x8000003000, tableT, tableT|0x27),
		ev(2000, 0, KindCollapseBegin, 9, 1, 0, 0),
		ev(2100, 0, KindCollapsePhase, 9, uint64(PhaseUnmap), 0, 0),
		ev(2500, 0, KindCollapsePhase, 9, uint64(PhaseCopy), 0, 0),
		ev(3000, 0, KindCollapsePhase, 9, uint64(PhaseRetract), 0, 0),
		ev(3100, 0, KindPtlLock, 0, tableT, 0, 0),
		ev(3200, 0, KindPmdClear, 9, 3, 0x8000000000, tableT),
		ev(3300, 0, KindFlushBegin, 0, 3, 3, 0),
		ev(3400, 1, KindIPIServe, 0, 0, 0, 0),
		ev(3500, 0, KindIPIAck, 0, 1, 0, 0),
		ev(3600, 0, KindFlushEnd, 0, 0, 0, 0),
		ev(3700, 0, KindPtlUnlock, 0, tableT, 0, 0),
		ev(3800, 0, KindPteFreeDef, 9, tableT, 7, 0),
		ev(3900, 0, KindCollapseEnd, 9, 1, 1, 0),
		ev(4000, 1, KindPtlLock, 0, tableT, 0, 0),
		ev(4100, 1, KindPtlUnlock, 0, tableT, 0, 0),
		ev(4200, 1, KindFaultRetry, 5, 0x8000003000, 0x1234025, tableT|uint64(RetryRetracted)),
		ev(4300, 1, KindPteUnmap, 0, 0, 0, 0),
		ev(4400, 1, KindFaultEnd, 5, 0x8000003000, 2, 0),
		ev(5000, 0, KindGPStart, 0, 7, 0, 0),
		ev(5100, 1, KindQS, 0, 1, 7, 0),
		ev(5200, 0, KindQS, 0, 0, 7, 0),
		ev(5300, 0, KindGPEnd, 0, 7, 0, 0),
		ev(5400, 0, KindPteFree, 0, tableT, 0, 0),
		ev(5500, 0, KindCallbacks, 0, 0, 1, 7),
	}
}

func dumpAndParse(t *testing.T, events []Event, cpus int) (string, *timeline.Trace) {
	t.Helper()
	var b bytes.Buffer
	if err := Dump(&b, events, cpus, 1e9, testNames); err != nil {
		t.Fatal(err)
	}
	tr, err := timeline.Parse(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatalf("the dump does not parse: %v\n%s", err, b.String())
	}
	return b.String(), tr
}

// TestDumpRace: the dump of the race parses, has one track per CPU and
// the grace periods' track, the slices, and the two arrows: retract →
// retry and pte_free_defer → the end of grace period 7.
func TestDumpRace(t *testing.T) {
	text, tr := dumpAndParse(t, raceEvents(), 2)
	if len(tr.Tracks) != 3 || tr.Tracks[0].Name != "CPU 0" || tr.Tracks[1].Name != "CPU 1" || tr.Tracks[2].ID != RCUTrack {
		t.Errorf("tracks %+v", tr.Tracks)
	}
	spans := map[string]timeline.Span{}
	for _, s := range tr.Spans() {
		spans[s.Name] = s
	}
	for name, want := range map[string][3]uint64{ // track, start, end (ns from the first event)
		"handle_mm_fault":                {1, 0, 3400},
		"pte_offset_map (RCU read side)": {1, 100, 3300},
		"collapse_file":                  {0, 1000, 2900},
		"try_to_unmap":                   {0, 1100, 1500},
		"retract_page_tables":            {0, 2000, 2900},
		"flush_tlb_mm_range":             {0, 2300, 2600},
		"grace period 7":                 {RCUTrack, 4000, 4300},
	} {
		s, ok := spans[name]
		if !ok || uint64(s.Track) != want[0] || s.Start != want[1] || s.End != want[2] || s.Open {
			t.Errorf("slice %q: %+v, want track %d from %d to %d", name, s, want[0], want[1], want[2])
		}
	}
	if a := spans["handle_mm_fault"].Args; argOf(a, "handler") != "wp_page_shared" || argOf(a, "retries") != "1" || argOf(a, "access") != "write" {
		t.Errorf("fault slice args %+v", a)
	}
	arrows := tr.Arrows()
	if len(arrows) != 2 {
		t.Fatalf("%d arrows, want 2:\n%s", len(arrows), text)
	}
	r, g := arrows[0], arrows[1]
	if r.Name != FlowRetry || r.From.Track != 0 || r.From.TS != 2200 || r.To.Track != 1 || r.To.TS != 3200 || r.EndName != "retry: retracted" {
		t.Errorf("retract arrow %+v", r)
	}
	if g.Name != FlowGP || g.From.TS != 2800 || g.To.Track != RCUTrack || g.To.TS != 4300 {
		t.Errorf("grace-period arrow %+v", g)
	}
	if !strings.Contains(text, `pte_free table=0x1a2000 after_gp=7`) {
		t.Errorf("the free does not name its grace period:\n%s", text)
	}
	// Every rendering takes it.
	for _, f := range timeline.Formats {
		if err := tr.Render(new(bytes.Buffer), f); err != nil {
			t.Errorf("render %s: %v", f, err)
		}
	}
}

func argOf(args []timeline.Arg, k string) string {
	for _, a := range args {
		if a.Key == k {
			return a.Value
		}
	}
	return ""
}

// TestDumpUnsafe: freed at once, the table's reuse is caught by the debug
// check; the arrow goes from the retract to the violation, and no
// grace-period arrow is drawn.
func TestDumpUnsafe(t *testing.T) {
	events := []Event{
		{TSC: 100, CPU: 1, Kind: KindFaultBegin, ID: 1, A: 0x8000003000, B: 1, C: 3},
		{TSC: 200, CPU: 0, Kind: KindPmdClear, A: 3, B: 0x8000000000, C: tableT},
		{TSC: 300, CPU: 0, Kind: KindPteFreeDef, A: tableT, B: 0, C: 1},
		{TSC: 400, CPU: 1, Kind: KindViolation, A: 0x8000003000, B: tableT, C: 3},
		{TSC: 410, CPU: 1, Kind: KindFaultRetry, ID: 1, A: 0x8000003000, B: 0x25, C: tableT | uint64(RetryViolation)},
	}
	text, tr := dumpAndParse(t, events, 2)
	names := []string{}
	for _, a := range tr.Arrows() {
		names = append(names, a.Name+" → "+a.EndName)
	}
	if got := strings.Join(names, "; "); got != FlowViolation+" → VIOLATION; "+FlowRetry+" → retry: violation" {
		t.Errorf("arrows %q\n%s", got, text)
	}
	if !strings.Contains(text, `pte_free_defer table=0x1a2000 freed="at once (unsafe)"`) {
		t.Errorf("the unsafe free is not named:\n%s", text)
	}
}

// TestDumpMigrationAndLoss: a fault that moves to another CPU becomes a
// slice on each; ends whose begins were overwritten in the ring are
// dropped; a slice not ended yet stays open; and an arrow that would
// point back in time (two CPUs' clocks a hair apart) is left out.
func TestDumpMigrationAndLoss(t *testing.T) {
	events := []Event{
		{TSC: 100, CPU: 0, Kind: KindPteUnmap},                           // its begin was overwritten
		{TSC: 150, CPU: 0, Kind: KindPtlUnlock, A: tableT},               // likewise
		{TSC: 200, CPU: 0, Kind: KindFaultBegin, ID: 2, A: 0x8000001000}, // read fault on CPU 0
		{TSC: 300, CPU: 1, Kind: KindFaultRetry, ID: 2, A: 0x8000001000, B: 0, C: uint64(RetryPmdChanged)},
		{TSC: 400, CPU: 1, Kind: KindFaultEnd, ID: 2, A: 0x8000001000, B: 1}, // ended on CPU 1
		{TSC: 500, CPU: 1, Kind: KindGPStart, A: 3},                          // never ends
		{TSC: 600, CPU: 0, Kind: KindPmdClear, A: 3, B: 0x8000000000, C: tableT},
		{TSC: 590, CPU: 1, Kind: KindFaultRetry, ID: 7, A: 0x8000002000, C: tableT | uint64(RetryRetracted)}, // before the clear
	}
	_, tr := dumpAndParse(t, events, 2)
	var got []string
	for _, s := range tr.Spans() {
		e := "open"
		if !s.Open {
			e = "end"
		}
		got = append(got, s.Name+"@"+string(rune('0'+s.Track%10))+":"+e+argOf(s.Args, "continued"))
	}
	want := "handle_mm_fault@0:end; handle_mm_fault@1:endtrue; grace period 3@0:open"
	if strings.Join(got, "; ") != want {
		t.Errorf("slices %q, want %q", strings.Join(got, "; "), want)
	}
	if a := tr.Arrows(); len(a) != 0 {
		t.Errorf("arrows %+v, want none (the retry came before the retract)", a)
	}
}

// TestDumpEmpty: no events still make a valid trace with the tracks.
func TestDumpEmpty(t *testing.T) {
	_, tr := dumpAndParse(t, nil, 4)
	if len(tr.Tracks) != 5 || len(tr.Events) != 0 {
		t.Errorf("%+v", tr)
	}
}

// TestDumpCollapseMoves: a collapse that moves to another CPU in the
// middle of its retract (it sleeps on the rmap lock) is cut where its
// retract events say it moved, and its phase still spans to the end.
func TestDumpCollapseMoves(t *testing.T) {
	events := []Event{
		{TSC: 100, CPU: 0, Kind: KindCollapseBegin, ID: 4, A: 1},
		{TSC: 200, CPU: 0, Kind: KindCollapsePhase, ID: 4, A: uint64(PhaseRetract)},
		{TSC: 300, CPU: 0, Kind: KindPmdClear, ID: 4, A: 1, B: 0x8000000000, C: tableT},
		{TSC: 500, CPU: 1, Kind: KindPmdClear, ID: 4, A: 2, B: 0x8000000000, C: tableT + 0x1000},
		{TSC: 600, CPU: 1, Kind: KindCollapseEnd, ID: 4, A: 1, B: 2},
	}
	_, tr := dumpAndParse(t, events, 2)
	var got []string
	for _, s := range tr.Spans() {
		got = append(got, fmt.Sprintf("%s@%d:%d-%d", s.Name, s.Track, s.Start, s.End))
	}
	want := "collapse_file@0:0-400; retract_page_tables@0:100-500; collapse_file@1:400-500"
	if strings.Join(got, "; ") != want {
		t.Errorf("slices %q, want %q", strings.Join(got, "; "), want)
	}
}

// TestDumpStaleTable: arrows only go to faults that can have held the
// retracted table — not to one that began after the retract, not to a
// retry after the grace period freed the table (its frame may be a new
// table), and after a free at once only to the debug check's catches.
func TestDumpStaleTable(t *testing.T) {
	const other = tableT + 0x1000
	events := []Event{
		{TSC: 100, CPU: 0, Kind: KindPmdClear, ID: 1, A: 3, C: tableT},
		{TSC: 110, CPU: 0, Kind: KindPteFreeDef, ID: 1, A: tableT, B: 4},
		{TSC: 200, CPU: 1, Kind: KindFaultBegin, ID: 2, A: 0x8000001000}, // after the retract
		{TSC: 210, CPU: 1, Kind: KindFaultRetry, ID: 2, A: 0x8000001000, C: tableT | uint64(RetryPteChanged)},
		{TSC: 300, CPU: 0, Kind: KindPteFree, A: tableT},
		{TSC: 310, CPU: 1, Kind: KindFaultRetry, ID: 3, A: 0x8000002000, C: tableT | uint64(RetryPteChanged)}, // begin unknown, but freed
		{TSC: 400, CPU: 0, Kind: KindPmdClear, ID: 5, A: 3, C: other},
		{TSC: 410, CPU: 0, Kind: KindPteFreeDef, ID: 5, A: other, B: 0, C: 1}, // at once
		{TSC: 420, CPU: 1, Kind: KindFaultRetry, ID: 6, A: 0x8000003000, C: other | uint64(RetryPteChanged)},
		{TSC: 430, CPU: 1, Kind: KindFaultRetry, ID: 7, A: 0x8000004000, C: other | uint64(RetryViolation)},
	}
	_, tr := dumpAndParse(t, events, 2)
	var got []string
	for _, a := range tr.Arrows() {
		got = append(got, fmt.Sprintf("%s@%d", a.EndName, a.To.TS))
	}
	if want := "retry: violation@330"; strings.Join(got, "; ") != want {
		t.Errorf("arrows to %q, want only %q", strings.Join(got, "; "), want)
	}
}

// TestDumpRetryTracedAfterFree: a fault that held the table across the
// retract decides to retry under its lock but traces the retry after
// leaving the read side — after the grace period ended and the table was
// freed (seen on a loaded 4-CPU run). The arrow is still drawn: the fault
// began before the retract.
func TestDumpRetryTracedAfterFree(t *testing.T) {
	events := []Event{
		{TSC: 100, CPU: 1, Kind: KindFaultBegin, ID: 2, A: 0x8000007000, B: 1, C: 3},
		{TSC: 110, CPU: 1, Kind: KindPteMap, A: 0x8000007000, B: tableT, C: tableT | 0x27},
		{TSC: 200, CPU: 0, Kind: KindPmdClear, ID: 1, A: 3, B: 0x8000000000, C: tableT},
		{TSC: 210, CPU: 0, Kind: KindPteFreeDef, ID: 1, A: tableT, B: 4},
		{TSC: 300, CPU: 1, Kind: KindPtlLock, A: tableT},
		{TSC: 310, CPU: 1, Kind: KindPtlUnlock, A: tableT},
		{TSC: 320, CPU: 1, Kind: KindPteUnmap},
		{TSC: 330, CPU: 0, Kind: KindGPStart, A: 4},
		{TSC: 340, CPU: 0, Kind: KindGPEnd, A: 4},
		{TSC: 350, CPU: 0, Kind: KindPteFree, A: tableT},
		{TSC: 360, CPU: 1, Kind: KindFaultRetry, ID: 2, A: 0x8000007000, B: 0x25, C: tableT | uint64(RetryRetracted)},
		{TSC: 370, CPU: 1, Kind: KindFaultEnd, ID: 2, A: 0x8000007000, B: 2},
	}
	text, tr := dumpAndParse(t, events, 2)
	var got []string
	for _, a := range tr.Arrows() {
		if a.Name == FlowRetry {
			got = append(got, fmt.Sprintf("%d→%d", a.From.TS, a.To.TS))
		}
	}
	if want := "100→260"; strings.Join(got, "; ") != want {
		t.Errorf("retract → retry arrows %q, want %q (retract at 100 ns, retry at 260 ns from the first event)\n%s", strings.Join(got, "; "), want, text)
	}
}

// TestDumpUserEnter: a system call's entry names the call and its number
// (Linux's sys_enter); another vector's entry has neither; a switch to a
// thread that runs a user thread names it.
func TestDumpUserEnter(t *testing.T) {
	out, _ := dumpAndParse(t, []Event{
		{TSC: 100, CPU: 0, Kind: KindUserEnter, A: 0x100, B: 9},
		{TSC: 200, CPU: 0, Kind: KindUserExit},
		{TSC: 300, CPU: 0, Kind: KindUserEnter, A: 14, B: 9},
		{TSC: 400, CPU: 0, Kind: KindSwitch, A: 3, B: 5, C: 12},
		{TSC: 500, CPU: 0, Kind: KindSwitch, A: 5, B: 3},
	}, 1)
	for _, want := range []string{`"enter from user" vector=0x100 syscall=mmap nr=9`, `"enter from user" vector=0xe` + "\n", `"return to user"`,
		"context_switch prev=3 next=5 user_tid=12\n", "context_switch prev=5 next=3\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("dump lacks %q:\n%s", want, out)
		}
	}
}
