// spans.go: what the renderers draw — slices paired from B and E, flows
// paired from S and F, events in time order.

package timeline

import "sort"

// Span is a slice: a Begin and its End on one track.
type Span struct {
	Track      uint32
	Name       string
	Args       []Arg
	Start, End uint64
	Open       bool // no End: it lasts to the end of the trace
	Row        int  // 0 for the outermost; the lowest row free when it began
}

// Spans pairs every Begin with its End (the first End of that name on the
// track, closing the innermost such slice), in the order they begin.
func (t *Trace) Spans() []Span {
	_, last := t.bounds()
	var out []Span
	open := map[uint32][]int{} // per track: indexes in out, in order of beginning
	for _, e := range t.Events {
		switch e.Kind {
		case Begin:
			used := map[int]bool{}
			for _, i := range open[e.Track] {
				used[out[i].Row] = true
			}
			row := 0
			for used[row] {
				row++
			}
			open[e.Track] = append(open[e.Track], len(out))
			out = append(out, Span{Track: e.Track, Name: e.Name, Args: e.Args, Start: e.TS, End: last, Open: true, Row: row})
		case End:
			s := open[e.Track]
			for k := len(s) - 1; k >= 0; k-- {
				if out[s[k]].Name == e.Name {
					out[s[k]].End, out[s[k]].Open = e.TS, false
					open[e.Track] = append(s[:k], s[k+1:]...)
					break
				}
			}
		}
	}
	return out
}

// Arrow is a flow: from its FlowStart to its FlowFinish.
type Arrow struct {
	ID            string
	From, To      Event
	Name, EndName string // the names at the start and at the finish
}

// Arrows pairs every FlowStart with its FlowFinish; flows that never
// finish are left out.
func (t *Trace) Arrows() []Arrow {
	var out []Arrow
	started := map[string]Event{}
	for _, e := range t.Events {
		switch e.Kind {
		case FlowStart:
			started[e.Flow] = e
		case FlowFinish:
			if s, ok := started[e.Flow]; ok {
				out = append(out, Arrow{ID: e.Flow, From: s, To: e, Name: s.Name, EndName: e.Name})
				delete(started, e.Flow)
			}
		}
	}
	return out
}

// sorted returns the events in time order; events at the same time keep
// their input order.
func (t *Trace) sorted() []Event {
	ev := append([]Event(nil), t.Events...)
	sort.SliceStable(ev, func(i, j int) bool { return ev[i].TS < ev[j].TS })
	return ev
}

// rows returns how many slice rows each track needs.
func rows(spans []Span) map[uint32]int {
	n := map[uint32]int{}
	for _, s := range spans {
		if s.Row+1 > n[s.Track] {
			n[s.Track] = s.Row + 1
		}
	}
	return n
}
