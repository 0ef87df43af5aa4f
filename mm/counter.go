// counter.go: statistics counters that several CPUs bump at once.

// trapctx: any context (Add is a single atomic add on this CPU's slot)

package mm

import (
	"sync/atomic"

	"retract/arch/amd64"
)

// Counter is a count that every CPU may bump at once — the fault counters
// and resident-page counts of a multi-threaded address space, touched by
// every fault. Each CPU adds to a slot of its own, on its own cache line,
// and a read sums the slots (like Linux's percpu counters, or the
// per-thread rss_stat caches of SPLIT_RSS_COUNTING): one shared atomic
// per fault made two CPUs faulting in one mm pass its cache line back
// and forth, which cost the benchmark with a thread per CPU about a tenth
// of its rate. A read is exact once the adds it must see have returned,
// but not a snapshot of adds still in flight.
type Counter struct {
	slots [amd64.MaxCPUs]struct {
		v atomic.Int64
		_ [56]byte
	}
}

// cpuSlot is the running CPU's index (0 off the machine: host tests).
func cpuSlot() int {
	if !amd64.Bare {
		return 0
	}
	return int(amd64.This().ID)
}

// Add adds n (which may be negative) to the count. The goroutine may move
// to another CPU meanwhile; the add lands in one slot or the other, and
// the sum stays right.
func (c *Counter) Add(n int64) { c.slots[cpuSlot()].v.Add(n) }

// Load returns the count.
func (c *Counter) Load() int64 {
	var sum int64
	for i := range c.slots {
		sum += c.slots[i].v.Load()
	}
	return sum
}

// UCounter is a Counter of events, which only grows.
type UCounter struct{ c Counter }

// Add counts n more.
func (u *UCounter) Add(n uint64) { u.c.Add(int64(n)) }

// Load returns the count.
func (u *UCounter) Load() uint64 { return uint64(u.c.Load()) }
