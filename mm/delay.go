// delay.go: race-widening delay points (docs/retract.md). A delay point is
// a named place in the fault, retract or munmap path where the CPU spins
// (or, in munmap, sleeps) for a set number of microseconds, so that the
// window of a race becomes wide enough to hit at will. They are off (0) by
// default; `delay=` on the command line and the shell's `delay` command set
// them.

// trapctx: process context only

package mm

import (
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"retract/kernel/clock"
)

// DelayPoint names a place where delay spins.
type DelayPoint int

// The delay points.
const (
	// DelayFaultAfterPteOffsetMap: in the fault path, after PteOffsetMap
	// and the lockless read of origPte, before the ptl is taken — inside
	// the RCU read-side section, holding a pointer into the page table.
	DelayFaultAfterPteOffsetMap DelayPoint = iota
	// DelayRetractAfterPmdClear: in retract, after the PMD was cleared
	// and the TLBs flushed, with the PMD lock and the table's ptl still
	// held — walkers that mapped the table queue on its ptl — and before
	// the table is freed (PteFreeDefer, or at once with rcu=unsafe).
	DelayRetractAfterPmdClear
	// DelayFaultBeforePteLock: in the fault path's lockHeld (a write to a
	// present read-only PTE, a spurious fault), right before it locks the
	// table it read without rechecking the PMD — only faults that will
	// hold the table pointer across a retract are slowed, so a program
	// whose other faults are quick still meets every collapse with one of
	// these in flight (user/race does).
	DelayFaultBeforePteLock
	// DelayMunmapAfterDowngrade: in munmap, after the VMAs went and the
	// write lock became a read lock, before the zap. It sleeps rather than
	// spins (only a sleeping lock is held): the mm's other threads' faults
	// go on meanwhile, which the mm suite checks.
	DelayMunmapAfterDowngrade
	// DelayFaultAfterFindPage: in a file fault, after FindPage returned
	// the page-cache page (with the reference the mapping will keep),
	// before the PT lock is taken to map it. It sleeps (no lock is
	// held): a hole punched meanwhile must wait for this fault to back
	// out before the page leaves the cache (File.PunchHole).
	DelayFaultAfterFindPage
	numDelayPoints
)

var delayNames = [numDelayPoints]string{"fault.after_pte_offset_map", "retract.after_pmd_clear", "fault.before_pte_lock", "munmap.after_downgrade", "fault.after_find_page"}

func (p DelayPoint) String() string { return delayNames[p] }

// Micros returns the point's delay in microseconds (0: off).
func (p DelayPoint) Micros() uint64 { return delays[p].Load() }

var delays [numDelayPoints]atomic.Uint64 // microseconds

// MaxDelay is the longest delay a point accepts, in microseconds.
const MaxDelay = 1000000

// nanotime is the monotonic clock (the collapse phases are timed with it).
func nanotime() uint64 { return clock.Nanotime() }

// spin busy-waits (host tests count instead: their clock does not run).
var spin = clock.Spin

// SetDelay sets the delay of the point called name, in microseconds (0 =
// off).
func SetDelay(name string, micros uint64) error {
	if micros > MaxDelay {
		return fmt.Errorf("mm: delay %d µs is above the limit of %d", micros, MaxDelay)
	}
	for i, n := range delayNames {
		if n == name {
			delays[i].Store(micros)
			return nil
		}
	}
	return fmt.Errorf("mm: unknown delay point %q (known: %s)", name, strings.Join(delayNames[:], ", "))
}

// DelayPoints returns every point's name and current delay in µs.
func DelayPoints() (names []string, micros []uint64) {
	for i, n := range delayNames {
		names = append(names, n)
		micros = append(micros, delays[i].Load())
	}
	return
}

// delaySleep sleeps for point p's delay, if any (process context, no
// spinlock held).
func delaySleep(p DelayPoint) {
	if us := p.Micros(); us != 0 {
		time.Sleep(time.Duration(us) * time.Microsecond)
	}
}

// delay spins for point p's delay, if any.
func delay(p DelayPoint) {
	// A spin, not a sleep: the fault path's point lies inside an RCU
	// read-side section.
	if us := p.Micros(); us != 0 {
		spin(us * 1000)
	}
}
