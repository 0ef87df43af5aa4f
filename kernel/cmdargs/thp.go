// thp.go: khugepaged [on|off|stats|scan|set TUNABLE N],
// delay [POINT MICROSECONDS], stress retract [SECONDS] [CPUS] [SEED].

package cmdargs

import (
	"errors"
	"fmt"
	"strconv"

	"retract/kernel/cmdline"
	"retract/mm"
)

// KhugepagedUsage is the khugepaged command's usage.
const KhugepagedUsage = "khugepaged [on|off|stats|scan|set sleep_ms|pages_to_scan|max_ptes_none|max_ptes_shared N]"

// Khugepaged is a parsed khugepaged command.
type Khugepaged struct {
	Op      string // "stats", "on", "off", "scan" or "set"
	Tunable string // set: sleep_ms, pages_to_scan, max_ptes_none or max_ptes_shared
	N       int64  // set: the value, in the tunable's range
}

// ParseKhugepaged parses the words after "khugepaged".
func ParseKhugepaged(args []string) (Khugepaged, error) {
	if len(args) == 0 {
		return Khugepaged{Op: "stats"}, nil
	}
	switch args[0] {
	case "stats", "on", "off", "scan":
		if len(args) != 1 {
			return Khugepaged{}, fmt.Errorf("usage: khugepaged %s", args[0])
		}
		return Khugepaged{Op: args[0]}, nil
	case "set":
		if len(args) != 3 {
			return Khugepaged{}, errors.New("usage: khugepaged set sleep_ms|pages_to_scan|max_ptes_none|max_ptes_shared N")
		}
		n, err := strconv.ParseInt(args[2], 10, 64)
		if err != nil || n < 0 {
			return Khugepaged{}, fmt.Errorf("%q is not a non-negative number", args[2])
		}
		switch args[1] {
		case "sleep_ms":
			if n > 60000 {
				return Khugepaged{}, errors.New("sleep_ms: 0 to 60000")
			}
		case "pages_to_scan":
			if n < 1 || n > 1<<20 {
				return Khugepaged{}, fmt.Errorf("pages_to_scan: 1 to %d", 1<<20)
			}
		case "max_ptes_none", "max_ptes_shared":
			if n > mm.HPageNr-1 {
				return Khugepaged{}, fmt.Errorf("%s: 0 to %d", args[1], mm.HPageNr-1)
			}
		default:
			return Khugepaged{}, fmt.Errorf("unknown tunable %q: sleep_ms, pages_to_scan, max_ptes_none or max_ptes_shared", args[1])
		}
		return Khugepaged{Op: "set", Tunable: args[1], N: n}, nil
	}
	return Khugepaged{}, fmt.Errorf("unknown subcommand %q (on, off, stats, scan, set)", args[0])
}

// Args returns the canonical words of r.
func (r Khugepaged) Args() []string {
	if r.Op == "set" {
		return []string{"set", r.Tunable, fmt.Sprint(r.N)}
	}
	return []string{r.Op}
}

// DelayUsage is the delay command's usage.
const DelayUsage = "delay [POINT MICROSECONDS]"

// Delay is a parsed delay command: list the points, or set one.
type Delay struct {
	List   bool
	Point  string // checked by mm.SetDelay, which knows the points
	Micros uint64 // 0 to mm.MaxDelay
}

// ParseDelay parses the words after "delay".
func ParseDelay(args []string) (Delay, error) {
	switch len(args) {
	case 0:
		return Delay{List: true}, nil
	case 2:
		n, err := strconv.ParseUint(args[1], 10, 64)
		if err != nil || n > mm.MaxDelay {
			return Delay{}, fmt.Errorf("%q is not a number of microseconds from 0 to %d", args[1], mm.MaxDelay)
		}
		return Delay{Point: args[0], Micros: n}, nil
	}
	return Delay{}, errors.New("usage: " + DelayUsage)
}

// Args returns the canonical words of r.
func (r Delay) Args() []string {
	if r.List {
		return nil
	}
	return []string{r.Point, fmt.Sprint(r.Micros)}
}

// StressUsage is the stress command's usage.
const StressUsage = "stress retract [SECONDS] [CPUS] [SEED]"

// Stress limits and defaults.
const (
	StressDefaultSeconds = 10
	StressMaxSeconds     = 86400
)

// Stress is a parsed stress retract command.
type Stress struct {
	Seconds int
	CPUs    int // 2 to the CPUs online: CPUs-1 fault, one collapses
	Seed    uint64
	SeedSet bool // SEED was given
}

// ParseStress parses the words after "stress" on a machine with online
// CPUs. The race needs two CPUs: one faulting and one collapsing, so CPUS
// is 2 to online (default online), and a machine with one CPU cannot run
// the stress at all.
func ParseStress(args []string, online int) (Stress, error) {
	if len(args) == 0 || args[0] != "retract" || len(args) > 4 {
		return Stress{}, errors.New("usage: " + StressUsage)
	}
	r := Stress{Seconds: StressDefaultSeconds, CPUs: online}
	if len(args) > 1 {
		n, err := strconv.Atoi(args[1])
		if err != nil || n < 1 || n > StressMaxSeconds {
			return Stress{}, fmt.Errorf("SECONDS must be 1 to %d", StressMaxSeconds)
		}
		r.Seconds = n
	}
	if online < 2 {
		return Stress{}, fmt.Errorf("needs 2 CPUs or more (one faults while another collapses and retracts); %d online: boot with CPUS=2", online)
	}
	if len(args) > 2 {
		n, err := strconv.Atoi(args[2])
		if err != nil || n < 2 || n > online {
			return Stress{}, fmt.Errorf("CPUS must be 2 to %d (the CPUs online): one collapses and retracts, the others fault; the race needs two", online)
		}
		r.CPUs = n
	}
	if len(args) > 3 {
		n, ok := cmdline.ParseUint(args[3])
		if !ok {
			return Stress{}, fmt.Errorf("SEED %q is not a 64-bit decimal or 0x hex number", args[3])
		}
		r.Seed, r.SeedSet = n, true
	}
	return r, nil
}

// Args returns the canonical words of r.
func (r Stress) Args() []string {
	a := []string{"retract", fmt.Sprint(r.Seconds), fmt.Sprint(r.CPUs)}
	if r.SeedSet {
		a = append(a, fmt.Sprint(r.Seed))
	}
	return a
}
