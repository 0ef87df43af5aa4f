// Package timeline owns retract's timeline format ("# retract-trace 1"):
// the text that the model's trail converter (and the kernel's tracer)
// write, one event per line on named lanes, and its renderings — Chrome
// trace-event JSON (Perfetto, chrome://tracing), a self-contained SVG, and
// a plain-text lane view.
//
//	# retract-trace 1
//	# track <id> <name ...>                  a lane
//	<ts> <track> B <name> [key=value ...]    begin a slice
//	<ts> <track> E <name>                    end the innermost open slice of that name
//	<ts> <track> I <name> [key=value ...]    an instant
//	<ts> <track> S <flow-id> <name>          a flow starts here (arrow tail)
//	<ts> <track> F <flow-id> <name>          and finishes here (arrow head)
//
// ts is in nanoseconds. Names, flow ids and values are tokens without
// spaces, or Go-quoted strings. Other lines starting with '#' are
// comments. In a serial log, only the lines between "--- trace begin ---"
// and "--- trace end ---" are read.
package timeline

// Kind is what an event does.
type Kind byte

// Event kinds, as the format spells them.
const (
	Begin      Kind = 'B'
	End        Kind = 'E'
	Instant    Kind = 'I'
	FlowStart  Kind = 'S'
	FlowFinish Kind = 'F'
)

func (k Kind) valid() bool {
	switch k {
	case Begin, End, Instant, FlowStart, FlowFinish:
		return true
	}
	return false
}

// Track is a lane: a CPU, a process of the model, a subsystem.
type Track struct {
	ID   uint32
	Name string
}

// Arg is one key=value of a Begin or Instant event.
type Arg struct {
	Key, Value string
}

// Event is one line of a trace.
type Event struct {
	TS    uint64 // nanoseconds
	Track uint32
	Kind  Kind
	Name  string
	Flow  string // FlowStart and FlowFinish: the flow's id
	Args  []Arg  // Begin and Instant
	Line  int    // where it was read (0 if built in code)
}

// Trace is a parsed timeline: the lanes in declaration order and the
// events in input order (each lane's timestamps never decrease).
type Trace struct {
	Tracks []Track
	Events []Event
}

// track returns the index in t.Tracks of the track with that id.
func (t *Trace) track(id uint32) (int, bool) {
	for i, tr := range t.Tracks {
		if tr.ID == id {
			return i, true
		}
	}
	return 0, false
}

// bounds returns the first and last timestamps (0, 0 for no events).
func (t *Trace) bounds() (first, last uint64) {
	for i, e := range t.Events {
		if i == 0 || e.TS < first {
			first = e.TS
		}
		if e.TS > last {
			last = e.TS
		}
	}
	return
}
