// trace.go: what the event tracer costs — a trace point off and on, and a
// page fault and a file collapse with tracing off and with every class on.

package bench

import (
	"fmt"
	"io"
	"time"

	"retract/kernel/trace"
	"retract/mm"
	"retract/mm/phys"
	"retract/rcu"
)

func init() {
	Register(Bench{Name: "trace_point", Doc: "one trace point, tracing off (one atomic load) and on (an event recorded)", Run: benchTracePoint})
	Register(Bench{Name: "trace_fault", Doc: "a file read fault with tracing off and with every class on", Run: benchTraceFault})
	Register(Bench{Name: "trace_collapse", Doc: "a file collapse (2 mappers) with tracing off and with every class on", Run: benchTraceCollapse})
}

// withTracing runs f with the classes c recorded (0: off) and leaves the
// tracer off and empty.
func withTracing(c trace.Class, f func() error) error {
	trace.Disable()
	trace.Clear()
	trace.Enable(c)
	defer func() {
		trace.Disable()
		trace.Clear()
	}()
	return f()
}

func benchTracePoint(w io.Writer) error {
	const n = 2_000_000
	measure := func() float64 {
		start := time.Now()
		for i := uint64(0); i < n; i++ {
			trace.PtlLock(i)
		}
		return float64(time.Since(start).Nanoseconds()) / n
	}
	var off, on float64
	withTracing(0, func() error { off = measure(); return nil })
	withTracing(trace.ClassPtl, func() error { on = measure(); return nil })
	Line(w, "trace_point_off_ns", off, "ns")
	Line(w, "trace_point_on_ns", on, "ns")
	return nil
}

// faultNs returns the mean time of a file read fault: 512 pages touched,
// dropped (MADV_DONTNEED), touched again, for about d.
func faultNs(m *mm.MM, d time.Duration) (float64, error) {
	f0 := m.Stats.Faults.Load()
	var spent time.Duration
	for spent < d {
		start := time.Now()
		m.Use()
		for i := 0; i < mm.HPageNr; i++ {
			if _, err := m.Load64(benchBase + uintptr(i)*phys.PageSize); err != nil {
				m.Unuse()
				return 0, err
			}
		}
		m.Unuse()
		spent += time.Since(start)
		m.MadviseDontneed(benchBase, mm.HPageSize)
	}
	return float64(spent.Nanoseconds()) / float64(m.Stats.Faults.Load()-f0), nil
}

func benchTraceFault(w io.Writer) error {
	file := mm.NewFile("bench", mm.HPageNr)
	var mms []*mm.MM
	defer func() {
		for _, m := range mms {
			m.Destroy()
		}
		file.Release()
	}()
	if err := mapFile(&mms, file, 1); err != nil {
		return err
	}
	m := mms[0]
	const pairs, d = 4, 500 * time.Millisecond
	faultNs(m, d/2) // warm up: the page cache fills
	// Off and on alternate, each first every other time, so that a noisy
	// host spreads over both.
	var off, on float64
	for i := 0; i < pairs; i++ {
		order := []trace.Class{0, trace.ClassAll}
		if i%2 == 1 {
			order[0], order[1] = order[1], order[0]
		}
		for _, c := range order {
			var ns float64
			if err := withTracing(c, func() (e error) { ns, e = faultNs(m, d); return }); err != nil {
				return err
			}
			if c == 0 {
				off += ns / pairs
			} else {
				on += ns / pairs
			}
		}
	}
	Line(w, "fault_ns_trace_off", off, "ns")
	Line(w, "fault_ns_trace_on", on, "ns")
	return nil
}

// collapseUs returns the mean time of a file collapse of 512 pages that
// the mms map with every PTE present (then split back), over rounds.
func collapseUs(file *mm.File, mms []*mm.MM, rounds int) (float64, error) {
	var total time.Duration
	for i := 0; i < rounds; i++ {
		for _, m := range mms {
			if err := touchAll(m, benchBase, mm.HPageNr); err != nil {
				return 0, err
			}
		}
		start := time.Now()
		o := file.Collapse(0, 0)
		total += time.Since(start)
		if !o.OK() {
			return 0, fmt.Errorf("Collapse: %v", o)
		}
		if err := file.SplitHugePage(0); err != nil {
			return 0, err
		}
	}
	return float64(total.Microseconds()) / float64(rounds), nil
}

func benchTraceCollapse(w io.Writer) error {
	const rounds, mappers = 10, 2
	file := mm.NewFile("bench", mm.HPageNr)
	var mms []*mm.MM
	defer func() {
		for _, m := range mms {
			m.Destroy()
		}
		rcu.Barrier()
		file.Release()
	}()
	if err := mapFile(&mms, file, mappers); err != nil {
		return err
	}
	if _, err := collapseUs(file, mms, 1); err != nil { // warm up
		return err
	}
	// Off and on alternate, each first every other round, so that a
	// noisy host and whatever one round leaves for the next (grace
	// periods, frees) spread over both.
	var off, on float64
	for i := 0; i < rounds; i++ {
		order := []trace.Class{0, trace.ClassAll}
		if i%2 == 1 {
			order[0], order[1] = order[1], order[0]
		}
		for _, c := range order {
			var us float64
			if err := withTracing(c, func() (e error) { us, e = collapseUs(file, mms, 1); return }); err != nil {
				return err
			}
			if c == 0 {
				off += us / rounds
			} else {
				on += us / rounds
			}
		}
	}
	Line(w, "collapse_file_us_trace_off", off, "us")
	Line(w, "collapse_file_us_trace_on", on, "us")
	return nil
}
