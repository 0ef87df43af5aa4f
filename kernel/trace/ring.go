// ring.go: the per-CPU rings and the one function that writes them.

package trace

import (
	"sync/atomic"

	"retract/arch/amd64"
)

// Event is one recorded event: the TSC when it happened, what it is, and
// its fields (see Kind).
type Event struct {
	TSC     uint64
	Kind    Kind
	CPU     uint8 // filled in by Snapshot
	ID      uint32
	A, B, C uint64
}

// slot is a ring entry: the event, and its sequence number plus one
// (0 while the slot is being written).
type slot struct {
	seq atomic.Uint64
	ev  Event
}

// RingSize is how many events each CPU's ring keeps: the newest ones
// (a flight recorder). A power of two.
const RingSize = 1 << 15

// ring is one CPU's buffer. head counts the events ever reserved; the
// slot of event i is buf[i%RingSize]. from is where the last Clear left
// head: Snapshot reads no older event.
type ring struct {
	buf  *[RingSize]slot // nil until the first Enable (control.go allocates it)
	head atomic.Uint64
	from atomic.Uint64
	_    [40]byte // rings on separate cache lines
}

var rings [amd64.MaxCPUs]ring

// record writes one event into this CPU's ring. It reserves a slot with
// an atomic add, so an interrupt that records on the same CPU meanwhile,
// or (rarely) a thread that the tick moved to another CPU after it read
// its CPU number, takes another slot; the slot's sequence word is
// invalidated while the slot is written and published after. (Disabling
// interrupts instead cost a third more under TCG: trace_point_on_ns.)
//
//go:nosplit
func record(k Kind, id uint32, a, b, c uint64) {
	r := &rings[amd64.This().ID]
	if buf := r.buf; buf != nil {
		i := r.head.Add(1) - 1
		s := &buf[i%RingSize]
		s.seq.Store(0)
		s.ev = Event{TSC: amd64.Rdtsc(), Kind: k, ID: id, A: a, B: b, C: c}
		s.seq.Store(i + 1)
	}
}
