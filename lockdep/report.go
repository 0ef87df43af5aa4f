// report.go: what lockdep reports.

package lockdep

import "sync/atomic"

// MaxPath is how many classes of an inverted order a report names.
const MaxPath = 16

// ReportKind is the kind of a problem.
type ReportKind uint8

const (
	Inversion     ReportKind = iota // lock order inversion: a possible ABBA deadlock
	SleepInAtomic                   // a sleeping lock taken in atomic context
	IRQUnsafe                       // a class taken in interrupt context and with interrupts on
	NotHolder                       // a lock released by a context that does not hold it
	NotHeld                         // AssertHeld failed
	Recursive                       // a lock taken again by its holder
	Preemptible                     // a spinlock taken with interrupts on and preemption enabled
	TooDeep                         // too many locks held at once to track
	numKinds
)

var kindNames = [numKinds]string{"lock order inversion", "sleeping lock taken in atomic context",
	"lock taken in interrupt context and with interrupts on", "lock released by a context that does not hold it",
	"lock not held where it must be", "recursive locking", "spinlock taken in preemptible context",
	"too many locks held"}

func (k ReportKind) String() string {
	if k < numKinds {
		return kindNames[k]
	}
	return "?"
}

// Report is one problem, with the stacks that explain it.
type Report struct {
	Kind  ReportKind
	Class Class
	PC    [StackDepth]uintptr // the acquisition (or release) that found it
	// Other is the lock held meanwhile (Inversion, Recursive) or, for
	// IRQUnsafe, OtherPC is where the class was first taken in interrupt
	// context and PC where it was first taken with interrupts on.
	Other   Class
	OtherPC [StackDepth]uintptr
	// Before is the recorded acquisition of the opposite order
	// (Inversion); Path the classes of that order, PathLen of them (a
	// longer order is cut to MaxPath).
	// Context is, for SleepInAtomic, what made the context atomic.
	Context Context
	Before  *edge
	Path    [MaxPath]Class
	PathLen int
}

// BeforeStacks returns the classes and stacks of the earlier, opposite
// acquisition of an inversion (ok false if none was recorded).
func (r *Report) BeforeStacks() (held, took Class, heldPC, tookPC [StackDepth]uintptr, ok bool) {
	if r.Before == nil {
		return 0, 0, heldPC, tookPC, false
	}
	return r.Before.from, r.Before.to, r.Before.fromPC, r.Before.toPC, true
}

var counts, expected [numKinds]atomic.Uint64

// Expect announces that the next problem of kind k is provoked on purpose
// (the negative controls of the lockdep suite): it is still reported,
// but Unexpected does not count it.
func Expect(k ReportKind) { expected[k].Add(1) }

// Unexpected returns how many problems were reported beyond those
// announced with Expect.
func Unexpected() uint64 {
	var n uint64
	for i := range counts {
		if c, e := counts[i].Load(), expected[i].Load(); c > e {
			n += c - e
		}
	}
	return n
}

// Count returns how many problems of kind k were reported.
func Count(k ReportKind) uint64 { return counts[k].Load() }

// Total returns how many problems were reported.
func Total() uint64 {
	var n uint64
	for i := range counts {
		n += counts[i].Load()
	}
	return n
}

func report(r Report) {
	counts[r.Kind].Add(1)
	if m.Report != nil {
		m.Report(r)
	}
}
