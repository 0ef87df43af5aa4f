// chrome.go: Chrome trace-event JSON, what Perfetto's UI and
// chrome://tracing open.

package timeline

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// chromeEvent is one entry of traceEvents.
type chromeEvent struct {
	Name string         `json:"name,omitempty"`
	Cat  string         `json:"cat,omitempty"`
	Ph   string         `json:"ph"`
	TS   json.Number    `json:"ts"`
	PID  int            `json:"pid"`
	TID  uint32         `json:"tid"`
	S    string         `json:"s,omitempty"`
	ID   int            `json:"id,omitempty"`
	BP   string         `json:"bp,omitempty"`
	Args map[string]any `json:"args,omitempty"`
}

const (
	chromePID = 1
	catSlice  = "retract"
	catFlow   = "flow"
)

// WriteChrome writes t as Chrome trace-event JSON: one thread per track
// (named, in declaration order), B/E slices, "i" instants, and flows as
// "s"/"f" pairs. Each flow end is bound ("bp":"e") to a zero-length slice
// of the same category at the same time, so that viewers that bind flows
// to enclosing slices (Perfetto) and those that bind by timestamp
// (chrome://tracing) both draw the arrow. Slices that overlap without
// nesting are split: the inner ones end and begin again ("continued").
func (t *Trace) WriteChrome(w io.Writer) error {
	var out []chromeEvent
	out = append(out, chromeEvent{Name: "process_name", Ph: "M", TS: "0", PID: chromePID, Args: map[string]any{"name": "retract"}})
	for i, tr := range t.Tracks {
		out = append(out,
			chromeEvent{Name: "thread_name", Ph: "M", TS: "0", PID: chromePID, TID: tr.ID, Args: map[string]any{"name": tr.Name}},
			chromeEvent{Name: "thread_sort_index", Ph: "M", TS: "0", PID: chromePID, TID: tr.ID, Args: map[string]any{"sort_index": i}})
	}
	type open struct {
		name string
		args map[string]any
	}
	stacks := map[uint32][]open{}
	flowIDs := map[string]int{}
	flowNames := map[string]string{}
	nextFlow := 1
	for _, e := range t.sorted() {
		ts := micros(e.TS)
		ev := chromeEvent{Name: e.Name, Cat: catSlice, TS: ts, PID: chromePID, TID: e.Track, Args: argMap(e.Args)}
		switch e.Kind {
		case Begin:
			ev.Ph = "B"
			out = append(out, ev)
			stacks[e.Track] = append(stacks[e.Track], open{e.Name, ev.Args})
		case End:
			s := stacks[e.Track]
			k := len(s) - 1
			for k >= 0 && s[k].name != e.Name {
				k--
			}
			if k < 0 {
				continue // Parse does not let this happen
			}
			for j := len(s) - 1; j >= k; j-- {
				out = append(out, chromeEvent{Ph: "E", TS: ts, PID: chromePID, TID: e.Track})
			}
			inner := append([]open(nil), s[k+1:]...)
			s = s[:k]
			for _, o := range inner {
				args := map[string]any{"continued": "true"}
				for k, v := range o.args {
					args[k] = v
				}
				out = append(out, chromeEvent{Name: o.name, Cat: catSlice, Ph: "B", TS: ts, PID: chromePID, TID: e.Track, Args: args})
				s = append(s, o)
			}
			stacks[e.Track] = s
		case Instant:
			ev.Ph, ev.S = "i", "t"
			out = append(out, ev)
		case FlowStart, FlowFinish:
			ph := "s"
			if e.Kind == FlowStart {
				flowIDs[e.Flow], flowNames[e.Flow] = nextFlow, e.Name
				nextFlow++
			} else {
				ph = "f"
			}
			id, ok := flowIDs[e.Flow]
			if !ok {
				continue // a finish without a start: Parse does not let this happen
			}
			out = append(out,
				chromeEvent{Name: e.Name, Cat: catFlow, Ph: "B", TS: ts, PID: chromePID, TID: e.Track, Args: map[string]any{"flow": e.Flow}},
				chromeEvent{Name: flowNames[e.Flow], Cat: catFlow, Ph: ph, TS: ts, PID: chromePID, TID: e.Track, ID: id, BP: "e"},
				chromeEvent{Ph: "E", TS: ts, PID: chromePID, TID: e.Track})
			if e.Kind == FlowFinish {
				delete(flowIDs, e.Flow)
			}
		}
	}
	b := bufio.NewWriter(w)
	b.WriteString("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n")
	for i, ev := range out {
		j, err := json.Marshal(ev)
		if err != nil {
			return err
		}
		b.Write(j)
		if i < len(out)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString("]}\n")
	return b.Flush()
}

// micros writes ns as microseconds, exactly.
func micros(ns uint64) json.Number {
	if ns%1000 == 0 {
		return json.Number(fmt.Sprint(ns / 1000))
	}
	return json.Number(strings.TrimRight(fmt.Sprintf("%d.%03d", ns/1000, ns%1000), "0"))
}

func argMap(args []Arg) map[string]any {
	if len(args) == 0 {
		return nil
	}
	m := make(map[string]any, len(args))
	for _, a := range args {
		m[a.Key] = a.Value
	}
	return m
}
