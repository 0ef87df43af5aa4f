package cmdargs

import (
	"errors"

	"retract/kernel/trace"
)

// TraceUsage is the trace command's usage.
const TraceUsage = "trace on [EVENTS] | off | clear | dump [EVENTS] | stats"

// Trace operations.
const (
	TraceStats = "stats"
	TraceOn    = "on"
	TraceOff   = "off"
	TraceClear = "clear"
	TraceDump  = "dump"
)

// Trace is a parsed trace command: the operation and, for on and dump,
// the event classes (all when none are named).
type Trace struct {
	Op      string
	Classes trace.Class
}

// ParseTrace parses the words after "trace". EVENTS is "all" or a
// comma-separated list of classes (trace.ClassNames).
func ParseTrace(args []string) (Trace, error) {
	if len(args) == 0 {
		return Trace{Op: TraceStats}, nil
	}
	r := Trace{Op: args[0]}
	switch {
	case len(args) == 1 && (r.Op == TraceStats || r.Op == TraceOff || r.Op == TraceClear):
		return r, nil
	case (r.Op == TraceOn || r.Op == TraceDump) && len(args) <= 2:
		r.Classes = trace.ClassAll
		if len(args) == 2 {
			c, err := trace.ParseClasses(args[1])
			if err != nil {
				return Trace{}, err
			}
			r.Classes = c
		}
		return r, nil
	}
	return Trace{}, errors.New("usage: " + TraceUsage)
}

// Args returns the canonical words of r.
func (r Trace) Args() []string {
	if r.Op == TraceOn || r.Op == TraceDump {
		return []string{r.Op, r.Classes.String()}
	}
	return []string{r.Op}
}
