// variants.go: what the model is checked for.

package model

// Variant is a version of the protocol, selected in retract.pml by a
// preprocessor define of the same name (spin -DRCU ...).
type Variant string

// The variants.
const (
	// RCU is the kernel's design: tables freed after a grace period,
	// faults revalidating under the ptl.
	RCU Variant = "RCU"
	// Unsafe frees a retracted table right after the TLB flush.
	Unsafe Variant = "UNSAFE"
	// NoRecheck frees through RCU, but the fault skips PteSame and the
	// PMD recheck under the ptl.
	NoRecheck Variant = "NO_RECHECK"
)

// Variants lists them in the order the docs tell them.
var Variants = []Variant{RCU, Unsafe, NoRecheck}

// Mode is how a property is checked.
type Mode int

const (
	// Safety: an LTL formula [] p, as a never claim (pan -N), with
	// -DSAFETY: every reachable state.
	Safety Mode = iota
	// EndStates: no claim (-DNOCLAIM); every state in which no process
	// can move must have each process at its end or at an end label.
	EndStates
	// Liveness: an LTL formula with <>, acceptance cycles under weak
	// fairness (pan -a -f).
	Liveness
)

func (m Mode) String() string {
	return [...]string{"safety", "end states", "liveness"}[m]
}

// Property is something the protocol must guarantee.
type Property struct {
	Name string // the ltl formula's name in retract.pml, or NoDeadlock
	Mode Mode
	Doc  string
}

// NoDeadlock is the property checked without a claim: no invalid end
// state.
const NoDeadlock = "no_deadlock"

// Properties lists what every variant is checked for.
var Properties = []Property{
	{"no_use_after_free", Safety, "no CPU reads or writes a table (its entries or its lock) after it is freed"},
	{"no_lock_in_freed_table", Safety, "the seed email's case: no fault takes the ptl of a freed table"},
	{"no_install_detached", Safety, "no fault installs a PTE into a table its PMD no longer points to"},
	{NoDeadlock, EndStates, "no deadlock among the locks (mmap_lock, PMD lock, ptl, the collapse mark)"},
	{"retracted_freed", Liveness, "every retracted table is eventually freed (weak fairness)"},
}

// PropertyNamed returns the property called name.
func PropertyNamed(name string) (Property, bool) {
	for _, p := range Properties {
		if p.Name == name {
			return p, true
		}
	}
	return Property{}, false
}

// Holds says which properties each variant satisfies: the outcomes the
// tests assert and docs/retract.md reports.
var Holds = map[Variant]map[string]bool{
	RCU: {"no_use_after_free": true, "no_lock_in_freed_table": true, "no_install_detached": true,
		NoDeadlock: true, "retracted_freed": true},
	// Freed at once, the table is used after the free; a fault that read
	// the poison as its orig also "succeeds" PteSame and writes into the
	// reused frame, which the PMD no longer points to.
	Unsafe: {"no_use_after_free": false, "no_lock_in_freed_table": false, "no_install_detached": false,
		NoDeadlock: true, "retracted_freed": true},
	// RCU still keeps the detached table alive, but nothing stops the
	// fault from writing into it.
	NoRecheck: {"no_use_after_free": true, "no_lock_in_freed_table": true, "no_install_detached": false,
		NoDeadlock: true, "retracted_freed": true},
}
