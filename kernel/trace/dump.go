// dump.go: turning a snapshot into the timeline format of tools/trace
// ("# retract-trace 1"): one track per CPU and one for RCU's grace
// periods; slices for faults (handle_mm_fault), read-side sections
// (pte_offset_map), ptl holds, collapses and their phases, TLB shootdowns
// and grace periods; instants for retries, PMD clears, pte_free_defer,
// quiescent states, callback batches, IPIs and context switches; and flow
// arrows from each retract (the PMD clear) to the faults that retried on
// its table — or, freed unsafely, tripped the debug check — and from each
// pte_free_defer to the end of the grace period that frees the table.
//
// Pure Go, process context: the shell's trace dump runs it, and host
// tests feed it made-up events.

// trapctx: process context only

package trace

import (
	"bufio"
	"fmt"
	"io"
	"math/bits"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"retract/arch/amd64"
)

// Names gives the dumper the names that live in the packages that record
// the events (they import this one).
type Names struct {
	FaultPath      func(path uint32) string // the handler, as Linux names it ("do_shared_fault")
	CollapseKind   func(kind uint8) string  // "collapse_file"
	CollapseResult func(result int) string  // "SCAN_SUCCEED"
	Syscall        func(nr uint64) string   // "mmap"
}

// The markers around a dump in a serial log, and the format's header.
const (
	BeginMarker = "--- trace begin ---"
	EndMarker   = "--- trace end ---"
	Header      = "# retract-trace 1"
)

// RCUTrack is the track of the grace periods (the CPUs' tracks are their
// numbers).
const RCUTrack = 100

// Flow names: the arrows a dump draws.
const (
	FlowRetry     = "retract → retry"
	FlowViolation = "retract → violation"
	FlowGP        = "pte_free_defer → grace period"
)

type arg struct{ k, v string }

// item is one line of the output.
type item struct {
	ts    uint64 // ns from the first event
	seq   int    // order of generation: ties keep it
	track uint32
	kind  byte // B E I S F
	name  string
	flow  string
	args  []arg
}

type dumper struct {
	names Names
	hz    uint64
	t0    uint64
	items []item
	flows int
}

func (d *dumper) ns(tsc uint64) uint64 {
	if d.hz == 0 {
		return tsc - d.t0
	}
	hi, lo := bits.Mul64(tsc-d.t0, 1e9)
	if hi >= d.hz {
		return ^uint64(0)
	}
	q, _ := bits.Div64(hi, lo, d.hz)
	return q
}

func (d *dumper) add(ts uint64, track uint32, kind byte, name string, args ...arg) {
	d.items = append(d.items, item{ts: ts, seq: len(d.items), track: track, kind: kind, name: name, args: args})
}

func (d *dumper) flow(name string, from, to item) {
	if to.ts < from.ts {
		return // clocks of two CPUs a hair apart: no arrow backwards in time
	}
	d.flows++
	id := "f" + strconv.Itoa(d.flows)
	d.items = append(d.items,
		item{ts: from.ts, seq: len(d.items), track: from.track, kind: 'S', name: name, flow: id},
		item{ts: to.ts, seq: len(d.items) + 1, track: to.track, kind: 'F', name: to.name, flow: id})
}

func hex(v uint64) string { return "0x" + strconv.FormatUint(v, 16) }
func dec(v uint64) string { return strconv.FormatUint(v, 10) }

// Dump writes events (as Snapshot returns them: each CPU's in time order)
// of cpus CPUs, with TSC frequency hz, as a timeline between the markers.
func Dump(w io.Writer, events []Event, cpus int, hz uint64, names Names) error {
	d := &dumper{names: names, hz: hz}
	if len(events) > 0 {
		d.t0 = events[0].TSC
		for _, e := range events {
			d.t0 = min(d.t0, e.TSC)
		}
	}
	all := append([]Event(nil), events...)
	sort.SliceStable(all, func(i, j int) bool { return all[i].TSC < all[j].TSC })
	d.build(all)
	sort.SliceStable(d.items, func(i, j int) bool {
		a, b := d.items[i], d.items[j]
		if a.ts != b.ts {
			return a.ts < b.ts
		}
		return a.seq < b.seq
	})
	b := bufio.NewWriter(w)
	fmt.Fprintln(b, BeginMarker)
	fmt.Fprintln(b, Header)
	fmt.Fprintf(b, "# kernel trace: %d events of %d CPUs, TSC %d Hz; times in ns from the first event\n", len(events), cpus, hz)
	for id := 0; id < cpus; id++ {
		fmt.Fprintf(b, "# track %d CPU %d\n", id, id)
	}
	fmt.Fprintf(b, "# track %d RCU grace periods\n", RCUTrack)
	for _, it := range d.items {
		fmt.Fprintf(b, "%d %d %c", it.ts, it.track, it.kind)
		if it.kind == 'S' || it.kind == 'F' {
			fmt.Fprintf(b, " %s", quote(it.flow))
		}
		fmt.Fprintf(b, " %s", quote(it.name))
		if it.kind == 'B' || it.kind == 'I' {
			for _, a := range it.args {
				fmt.Fprintf(b, " %s=%s", a.k, quote(a.v))
			}
		}
		b.WriteByte('\n')
	}
	fmt.Fprintln(b, EndMarker)
	return b.Flush()
}

// quote returns s as a token of the format: as it is, or Go-quoted.
func quote(s string) string {
	if s == "" || strings.IndexFunc(s, func(r rune) bool {
		return r == '"' || r == '\\' || unicode.IsSpace(r) || !unicode.IsPrint(r)
	}) >= 0 {
		return strconv.Quote(s)
	}
	return s
}

// open is a slice begun and not yet ended on a CPU.
type open struct {
	name string
	key  uint64 // what an end must match (the ptl's table), else 0
	at   int    // index of the B item
}

// idSlice collects the events of one fault or collapse.
type idSlice struct {
	events []Event
}

// build turns the time-ordered events into items.
func (d *dumper) build(all []Event) {
	stacks := map[uint8][]open{} // per CPU: pte_offset_map, ptl and flush slices
	faults := map[uint32]*idSlice{}
	collapses := map[uint32]*idSlice{}
	var faultOrder, collapseOrder []uint32
	gpStart := map[uint64]int{} // grace period -> index of its B item
	gpEnd := map[uint64]item{}  // grace period -> its E item
	// A table's latest retract: where its arrows start. After a
	// grace-period free only a fault known to have begun before the
	// retract still points back at it (the frame may be a new table by
	// then, but such a fault held the old one); after a free at once
	// (unsafe) only the debug check's catches do.
	type retract struct {
		it          item
		tsc         uint64
		freedAtOnce bool
		freed       bool // pte_free: a new owner may reuse the frame
	}
	lastClear := map[uint64]retract{}
	freeDefer := map[uint64]uint64{} // table -> gp of its latest pte_free_defer
	type pending struct {
		it item
		gp uint64
	}
	var defers []pending

	begin := func(cpu uint8, name string, key uint64, ts uint64, args ...arg) {
		stacks[cpu] = append(stacks[cpu], open{name: name, key: key, at: len(d.items)})
		d.add(ts, uint32(cpu), 'B', name, args...)
	}
	end := func(cpu uint8, name string, key uint64, ts uint64) {
		s := stacks[cpu]
		for k := len(s) - 1; k >= 0; k-- {
			if s[k].name == name && (key == 0 || s[k].key == key) {
				stacks[cpu] = append(s[:k], s[k+1:]...)
				d.add(ts, uint32(cpu), 'E', name)
				return
			}
		}
		// Its begin was overwritten in the ring: drop the end.
	}
	idEvent := func(m map[uint32]*idSlice, order *[]uint32, e Event) {
		if e.ID == 0 {
			return
		}
		s := m[e.ID]
		if s == nil {
			s = &idSlice{}
			m[e.ID] = s
			*order = append(*order, e.ID)
		}
		s.events = append(s.events, e)
	}

	for _, e := range all {
		ts, cpu := d.ns(e.TSC), e.CPU
		track := uint32(cpu)
		switch e.Kind {
		case KindFaultBegin, KindFaultEnd:
			idEvent(faults, &faultOrder, e)
		case KindFaultRetry:
			idEvent(faults, &faultOrder, e)
			table, why := e.C&^0xfff, RetryReason(e.C&0xfff)
			it := item{ts: ts, track: track, kind: 'I', name: "retry: " + why.String()}
			d.add(ts, track, 'I', it.name, arg{"va", hex(e.A)}, arg{"orig_pte", hex(e.B)}, arg{"table", hex(table)})
			// Only a fault that began before the retract can have held
			// the table (after it, no PMD leads there).
			f := faults[e.ID]
			if r, ok := lastClear[table]; ok {
				began := f != nil && f.events[0].Kind == KindFaultBegin
				heldBefore := !began || f.events[0].TSC <= r.tsc
				if r.freed {
					// After the free only a fault seen to begin before
					// the retract: it decided to retry under the table's
					// lock, inside its read side, but traces the retry
					// after leaving it — which can be after the grace
					// period ended and the table was freed.
					heldBefore = began && f.events[0].TSC <= r.tsc
				}
				if heldBefore && (!r.freedAtOnce || why == RetryViolation) {
					d.flow(FlowRetry, r.it, it)
				}
			}
		case KindPteMap:
			begin(cpu, "pte_offset_map (RCU read side)", 0, ts, arg{"va", hex(e.A)}, arg{"table", hex(e.B)}, arg{"pmd", hex(e.C)})
		case KindPteUnmap:
			end(cpu, "pte_offset_map (RCU read side)", 0, ts)
		case KindPtlLock:
			begin(cpu, "ptl", e.A, ts, arg{"table", hex(e.A)})
		case KindPtlUnlock:
			end(cpu, "ptl", e.A, ts)
		case KindCollapseBegin, KindCollapsePhase, KindCollapseEnd:
			idEvent(collapses, &collapseOrder, e)
		case KindPmdClear:
			idEvent(collapses, &collapseOrder, e)
			it := item{ts: ts, track: track, kind: 'I', name: "pmdp_collapse_flush"}
			d.add(ts, track, 'I', it.name, arg{"mm", dec(e.A)}, arg{"pmd", hex(e.B)}, arg{"table", hex(e.C)})
			lastClear[e.C] = retract{it: it, tsc: e.TSC}
		case KindFlushBegin:
			begin(cpu, "flush_tlb_mm_range", 0, ts, arg{"mm", dec(e.A)}, arg{"cpus", hex(e.B)})
		case KindFlushEnd:
			end(cpu, "flush_tlb_mm_range", 0, ts)
		case KindPteFreeDef:
			idEvent(collapses, &collapseOrder, e)
			it := item{ts: ts, track: track, kind: 'I', name: "pte_free_defer"}
			if e.B == 0 {
				d.add(ts, track, 'I', it.name, arg{"table", hex(e.A)}, arg{"freed", "at once (unsafe)"})
			} else {
				d.add(ts, track, 'I', it.name, arg{"table", hex(e.A)}, arg{"gp", dec(e.B)})
				defers = append(defers, pending{it, e.B})
				freeDefer[e.A] = e.B
			}
			if e.B == 0 {
				if r, ok := lastClear[e.A]; ok {
					r.freedAtOnce = true
					lastClear[e.A] = r
				}
			}
		case KindPteFree:
			if r, ok := lastClear[e.A]; ok {
				r.freed = true
				lastClear[e.A] = r
			}
			args := []arg{{"table", hex(e.A)}}
			if gp, ok := freeDefer[e.A]; ok {
				args = append(args, arg{"after_gp", dec(gp)})
			}
			d.add(ts, track, 'I', "pte_free", args...)
		case KindViolation:
			table := e.B
			it := item{ts: ts, track: track, kind: 'I', name: "VIOLATION"}
			d.add(ts, track, 'I', it.name, arg{"va", hex(e.A)}, arg{"table", hex(table)}, arg{"mm", dec(e.C)})
			if r, ok := lastClear[table]; ok && !r.freed {
				d.flow(FlowViolation, r.it, it)
			}
		case KindGPStart:
			gpStart[e.A] = len(d.items)
			d.add(ts, RCUTrack, 'B', "grace period "+dec(e.A), arg{"gp", dec(e.A)})
		case KindGPEnd:
			if _, ok := gpStart[e.A]; ok {
				it := item{ts: ts, track: RCUTrack, kind: 'E', name: "grace period " + dec(e.A)}
				d.add(ts, RCUTrack, 'E', it.name)
				gpEnd[e.A] = it
			}
		case KindQS:
			args := []arg{{"gp", dec(e.B)}}
			if uint64(cpu) != e.A {
				args = append(args, arg{"for_cpu", dec(e.A)})
			}
			d.add(ts, track, 'I', "rcu_qs", args...)
		case KindCallbacks:
			d.add(ts, track, 'I', "rcu_do_batch", arg{"cpu_list", dec(e.A)}, arg{"callbacks", dec(e.B)}, arg{"completed", dec(e.C)})
		case KindIPISend:
			d.add(ts, track, 'I', "smp_call_function → CPU "+dec(e.A))
		case KindIPIServe:
			d.add(ts, track, 'I', "call_function IPI served")
		case KindIPIAck:
			d.add(ts, track, 'I', "IPI acked by CPU "+dec(e.A))
		case KindSwitch:
			if e.C != 0 {
				d.add(ts, track, 'I', "context_switch", arg{"prev", dec(e.A)}, arg{"next", dec(e.B)}, arg{"user_tid", dec(e.C)})
			} else {
				d.add(ts, track, 'I', "context_switch", arg{"prev", dec(e.A)}, arg{"next", dec(e.B)})
			}
		case KindUserEnter:
			if e.A == amd64.VectorSyscall && d.names.Syscall != nil {
				d.add(ts, track, 'I', "enter from user", arg{"vector", hex(e.A)}, arg{"syscall", d.names.Syscall(e.B)}, arg{"nr", dec(e.B)})
			} else {
				d.add(ts, track, 'I', "enter from user", arg{"vector", hex(e.A)})
			}
		case KindUserExit:
			d.add(ts, track, 'I', "return to user")
		}
	}
	for _, p := range defers {
		if to, ok := gpEnd[p.gp]; ok {
			d.flow(FlowGP, p.it, to)
		}
	}
	for _, id := range faultOrder {
		d.faultSlice(faults[id].events)
	}
	for _, id := range collapseOrder {
		d.collapseSlice(collapses[id].events)
	}
}

// pieces splits an id's events into runs on one CPU: a process-context
// fault or collapse may move between CPUs (it sleeps on locks). Each run
// is a slice on its CPU from its first event to the next run's first
// event; the last ends at the end event, or is left open.
func (d *dumper) pieces(evs []Event, name string, args []arg, endKind Kind) {
	if len(evs) == 0 {
		return
	}
	ended := evs[len(evs)-1].Kind == endKind
	for i := 0; i < len(evs); {
		j := i
		for j < len(evs) && evs[j].CPU == evs[i].CPU {
			j++
		}
		a := args
		if i > 0 {
			a = append(append([]arg(nil), args...), arg{"continued", "true"})
		}
		d.add(d.ns(evs[i].TSC), uint32(evs[i].CPU), 'B', name, a...)
		switch {
		case j < len(evs):
			d.add(d.ns(evs[j].TSC), uint32(evs[i].CPU), 'E', name)
		case ended:
			d.add(d.ns(evs[j-1].TSC), uint32(evs[i].CPU), 'E', name)
		}
		i = j
	}
}

func (d *dumper) faultSlice(evs []Event) {
	first := evs[0]
	if first.Kind != KindFaultBegin {
		return // the begin was overwritten: the retries are instants already
	}
	access := "read"
	if first.B != 0 {
		access = "write"
	}
	args := []arg{{"va", hex(first.A)}, {"access", access}, {"mm", dec(first.C)}}
	retries := 0
	for _, e := range evs {
		if e.Kind == KindFaultRetry {
			retries++
		}
	}
	if last := evs[len(evs)-1]; last.Kind == KindFaultEnd {
		switch {
		case last.C == 1:
			args = append(args, arg{"result", "EFAULT"})
		case last.C == 2:
			args = append(args, arg{"result", "ENOMEM"})
		case d.names.FaultPath != nil:
			args = append(args, arg{"handler", d.names.FaultPath(uint32(last.B))})
		}
	}
	args = append(args, arg{"retries", strconv.Itoa(retries)})
	d.pieces(evs, "handle_mm_fault", args, KindFaultEnd)
}

func (d *dumper) collapseSlice(evs []Event) {
	first := evs[0]
	if first.Kind != KindCollapseBegin {
		return
	}
	name := "collapse"
	if d.names.CollapseKind != nil {
		name = d.names.CollapseKind(uint8(first.A))
	}
	args := []arg{{"addr", hex(first.B)}}
	if first.C != 0 {
		args = append(args, arg{"mm", dec(first.C)})
	} else {
		args[0] = arg{"index", dec(first.B)}
	}
	if last := evs[len(evs)-1]; last.Kind == KindCollapseEnd {
		if d.names.CollapseResult != nil {
			args = append(args, arg{"result", d.names.CollapseResult(int(last.A))})
		}
		args = append(args, arg{"tables_retracted", dec(last.B)})
	}
	d.pieces(evs, name, args, KindCollapseEnd)
	// The phases: each from its event to the next phase or the end, on
	// the CPU where it began.
	for i, e := range evs {
		if e.Kind != KindCollapsePhase {
			continue
		}
		pn := Phase(e.A).String()
		d.add(d.ns(e.TSC), uint32(e.CPU), 'B', pn)
		for _, next := range evs[i+1:] {
			if next.Kind == KindCollapsePhase || next.Kind == KindCollapseEnd {
				d.add(d.ns(next.TSC), uint32(e.CPU), 'E', pn)
				break
			}
		}
	}
}
