// classes.go: the classes of events that switch on and off together,
// their names, and parsing a list of them (trace on EVENTS, trace=EVENTS).

// trapctx: process context only

package trace

// Class is a set of event groups that can be switched on and off
// together (trace on fault,retract; trace=fault,rcu).
type Class uint32

// The classes.
const (
	ClassFault    Class = 1 << iota // fault begin, retry (address, orig PTE, reason), end (handler)
	ClassPte                        // PteOffsetMap / PteUnmap: the fault's RCU read-side section on a table
	ClassPtl                        // a page table's lock taken and released
	ClassCollapse                   // collapse begin, phases, end (result)
	ClassRetract                    // PMD clear, TLB flush, PteFreeDefer and the deferred free; debug-check violations
	ClassRCU                        // grace period start and end, quiescent states, callback batches
	ClassIPI                        // IPIs sent, served and acknowledged
	ClassSched                      // context switches
	ClassUser                       // user↔kernel transitions (for programs in ring 3)
	numClasses          = iota
	ClassAll      Class = 1<<numClasses - 1
)

// ClassNames are the classes' names, in bit order.
var ClassNames = [numClasses]string{"fault", "pte", "ptl", "collapse", "retract", "rcu", "ipi", "sched", "user"}

// ParseClasses parses "all" or a comma-separated list of class names.
func ParseClasses(s string) (Class, error) {
	if s == "" || s == "all" {
		return ClassAll, nil
	}
	var c Class
	start := 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] != ',' {
			continue
		}
		name := s[start:i]
		start = i + 1
		found := false
		for b, n := range ClassNames {
			if n == name {
				c |= 1 << b
				found = true
			}
		}
		if !found {
			return 0, &UnknownClassError{Name: name}
		}
	}
	return c, nil
}

// UnknownClassError is ParseClasses' error for a name it does not know.
type UnknownClassError struct{ Name string }

func (e *UnknownClassError) Error() string {
	known := ""
	for i, n := range ClassNames {
		if i > 0 {
			known += ", "
		}
		known += n
	}
	return "trace: unknown event class \"" + e.Name + "\" (known: all, " + known + ")"
}

// String lists the classes in c, comma-separated ("all", "none").
func (c Class) String() string {
	switch c & ClassAll {
	case ClassAll:
		return "all"
	case 0:
		return "none"
	}
	s := ""
	for b, n := range ClassNames {
		if c&(1<<b) != 0 {
			if s != "" {
				s += ","
			}
			s += n
		}
	}
	return s
}
