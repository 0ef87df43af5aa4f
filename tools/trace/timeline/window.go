// window.go: cutting a time window out of a trace — a kernel trace of a
// whole stress run is far too long to draw; a picture shows one retract
// and the faults it met.

package timeline

// Window returns the part of t from from to to (ns, both included): the
// events in it; the slices open at from, begun again at from (marked
// continued=true); the flows whose two ends are both in it. Slices still
// open at to stay open. The tracks are all kept.
func (t *Trace) Window(from, to uint64) *Trace {
	inside := map[string]bool{}
	for _, a := range t.Arrows() {
		if a.From.TS >= from && a.To.TS <= to {
			inside[a.ID] = true
		}
	}
	out := &Trace{Tracks: append([]Track(nil), t.Tracks...)}
	open := map[uint32][]Event{} // per track: slices begun before from and not ended, outermost first
	var kept []Event
	for _, e := range t.Events {
		if e.TS < from {
			switch e.Kind {
			case Begin:
				open[e.Track] = append(open[e.Track], e)
			case End:
				s := open[e.Track]
				for k := len(s) - 1; k >= 0; k-- {
					if s[k].Name == e.Name {
						open[e.Track] = append(s[:k], s[k+1:]...)
						break
					}
				}
			}
			continue
		}
		if e.TS > to {
			continue
		}
		if (e.Kind == FlowStart || e.Kind == FlowFinish) && !inside[e.Flow] {
			continue
		}
		kept = append(kept, e)
	}
	for _, tr := range t.Tracks {
		for _, b := range open[tr.ID] {
			b.TS = from
			b.Args = append(append([]Arg(nil), b.Args...), Arg{Key: "continued", Value: "true"})
			b.Line = 0
			out.Events = append(out.Events, b)
		}
	}
	out.Events = append(out.Events, kept...)
	return out
}

// Around returns a window that shows the first flow called name (or
// whose finish is called name: "retry: retracted") whole: from the start
// of the outermost slices that hold its two ends to their ends (or the
// end of the trace, for a slice never ended), taking in the flows of
// other names that start inside that (a retract's arrow to its grace
// period), with a margin of a twentieth on each side.
func (t *Trace) Around(name string) (from, to uint64, ok bool) {
	arrows := t.Arrows()
	var a Arrow
	for _, b := range arrows {
		if b.Name == name || b.EndName == name {
			a, ok = b, true
			break
		}
	}
	if !ok {
		return 0, 0, false
	}
	from, to = min(a.From.TS, a.To.TS), max(a.From.TS, a.To.TS)
	spans := t.Spans()
	holding := func(track uint32, ts uint64) (lo, hi uint64) {
		lo, hi = ts, ts
		for _, s := range spans {
			if s.Track == track && s.Row == 0 && s.Start <= ts && ts <= s.End {
				lo, hi = min(lo, s.Start), max(hi, s.End)
			}
		}
		return lo, hi
	}
	slo, shi := holding(a.From.Track, a.From.TS)
	flo, fhi := holding(a.To.Track, a.To.TS)
	from, to = min(from, slo, flo), max(to, shi, fhi)
	lo, hi := from, to
	for _, b := range arrows {
		if b.Name != a.Name && b.From.TS >= lo && b.From.TS <= hi {
			to = max(to, b.To.TS)
		}
	}
	m := (to - from) / 20
	from -= min(from, m)
	to += m
	return from, to, true
}
