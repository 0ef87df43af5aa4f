// control.go: switching the tracer on and off, forgetting what it
// recorded, and reading it out.

// trapctx: process context only

package trace

import (
	"slices"
	"unsafe"

	"retract/arch/amd64"
	"retract/lockdep"
)

// allocMu serialises the rings' allocation (sleeping, taken alone:
// docs/locking.md).
var allocMu = lockdep.Mutex{Class: lockdep.Register("trace.allocMu", lockdep.Sleep)}

// Enable records the classes c from now on (replacing the set recorded
// so far; 0 switches tracing off). The first Enable allocates the rings
// of the online CPUs (RingSize events each).
func Enable(c Class) {
	if c != 0 {
		allocMu.Lock()
		for id := 0; id < amd64.MaxCPUs; id++ {
			if amd64.CPUByID(id).Online != 0 && rings[id].buf == nil {
				buf := new([RingSize]slot)
				// Touch every page now: the Go heap's pages are backed on
				// first touch (a page fault that allocates a frame), which
				// a trace point — in an interrupt handler, under the
				// scheduler's lock — must never cause.
				for i := 0; i < RingSize; i += 4096 / int(unsafe.Sizeof(slot{})) {
					buf[i].seq.Store(0)
				}
				buf[RingSize-1].seq.Store(0)
				rings[id].buf = buf // wb: process context (control.go)
			}
		}
		allocMu.Unlock()
	}
	enabled.Store(uint32(c & ClassAll))
}

// Disable stops recording; what was recorded stays.
func Disable() { enabled.Store(0) }

// Clear forgets every event recorded so far.
func Clear() {
	for id := range rings {
		rings[id].from.Store(rings[id].head.Load())
	}
}

// CPUStats is what one CPU's ring holds.
type CPUStats struct {
	Recorded uint64 // events recorded since the last Clear
	Lost     uint64 // of those, overwritten by newer ones
}

// Stats returns each online CPU's counts.
func Stats() []CPUStats {
	var out []CPUStats
	for id := 0; id < amd64.MaxCPUs; id++ {
		if amd64.CPUByID(id).Online == 0 {
			continue
		}
		r := &rings[id]
		n := r.head.Load() - r.from.Load()
		out = append(out, CPUStats{Recorded: n, Lost: n - min(n, RingSize)})
	}
	return out
}

// Snapshot copies the events of the classes in want that the rings hold
// now, each CPU's in the order it recorded them, and returns them with
// the number of CPUs. Recording may go on meanwhile: an event overwritten
// while it is copied is left out.
func Snapshot(want Class) (events []Event, cpus int) {
	for id := 0; id < amd64.MaxCPUs; id++ {
		if amd64.CPUByID(id).Online == 0 {
			continue
		}
		cpus = id + 1
		r := &rings[id]
		buf := r.buf
		if buf == nil {
			continue
		}
		head := r.head.Load()
		from := max(r.from.Load(), head-min(head, RingSize))
		var mine []Event
		for i := from; i < head; i++ {
			s := &buf[i%RingSize]
			if s.seq.Load() != i+1 {
				continue
			}
			ev := s.ev
			if s.seq.Load() != i+1 || ev.Kind.Class()&want == 0 {
				continue
			}
			ev.CPU = uint8(id)
			mine = append(mine, ev)
		}
		// An interrupt between a reservation and the TSC read can put
		// events slightly out of time order: sort each CPU's by time.
		slices.SortStableFunc(mine, func(a, b Event) int {
			switch {
			case a.TSC < b.TSC:
				return -1
			case a.TSC > b.TSC:
				return 1
			}
			return 0
		})
		events = append(events, mine...)
	}
	return events, cpus
}
