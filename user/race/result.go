package main

import (
	"bufio"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
)

// result is what a run saw.
type result struct {
	seconds                      float64
	accesses, faults             uint64
	haveFaults                   bool
	collapsesOK, collapsesFailed uint64
	collapseNanos                uint64
	rounds, resets               uint64
	dataErrors                   uint64
	errnos                       map[string]uint64 // failed collapses (and EINTR retries) by errno name
	haveVmstat                   bool
	vmstat                       []counter // deltas of the thp_* and pt_* lines of /proc/vmstat
	problems                     []string  // processes that failed, hung or ended early
}

// counter is one /proc/vmstat line's change.
type counter struct {
	name  string
	delta int64
}

// lines are the "name value" lines.
func (r result) lines() []string {
	out := []string{
		fmt.Sprintf("seconds %.2f", r.seconds),
		fmt.Sprintf("accesses %d", r.accesses),
	}
	if r.haveFaults {
		out = append(out, fmt.Sprintf("faults %d", r.faults))
	} else {
		out = append(out, "faults -1", "# getrusage gave no minor-fault counts")
	}
	out = append(out,
		fmt.Sprintf("collapses_ok %d", r.collapsesOK),
		fmt.Sprintf("collapses_failed %d", r.collapsesFailed))
	names := make([]string, 0, len(r.errnos))
	for n := range r.errnos {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		out = append(out, fmt.Sprintf("collapses_failed_%s %d", n, r.errnos[n]))
	}
	if n := r.collapsesOK + r.collapsesFailed; n > 0 {
		out = append(out, fmt.Sprintf("collapse_us %d", r.collapseNanos/1000/n))
	}
	out = append(out,
		fmt.Sprintf("rounds %d", r.rounds),
		fmt.Sprintf("resets %d", r.resets),
		fmt.Sprintf("data_errors %d", r.dataErrors))
	if !r.haveVmstat {
		out = append(out, "# no /proc/vmstat: no kernel counters")
	}
	for _, c := range r.vmstat {
		out = append(out, fmt.Sprintf("%s %d", c.name, c.delta))
	}
	return out
}

// pt returns the delta of a pt_ counter and whether the kernel has it.
func (r result) pt(name string) (int64, bool) {
	for _, c := range r.vmstat {
		if c.name == name {
			return c.delta, true
		}
	}
	return 0, false
}

// Exit statuses.
const (
	exitOK       = 0
	exitFailed   = 1
	exitUsage    = 2
	exitBugShown = 3
)

// verdict is the last line and the exit status.
func (r result) verdict(expectBug bool) (string, int) {
	uaf, havePT := r.pt("pt_uaf_caught")
	switch {
	case r.dataErrors > 0:
		return fmt.Sprintf("race: FAILED: %d data errors (lost writes)", r.dataErrors), exitFailed
	case len(r.problems) > 0:
		return "race: FAILED: " + strings.Join(r.problems, "; "), exitFailed
	case uaf > 0:
		line := fmt.Sprintf("race: BUG SHOWN: %d use-after-free caught", uaf)
		if expectBug {
			return line, exitOK
		}
		return line, exitBugShown
	case r.collapsesOK == 0:
		return fmt.Sprintf("race: FAILED: no collapse succeeded (%s): the race did not happen", r.errnoSummary()), exitFailed
	case expectBug && !havePT:
		return "race: FAILED: -expect-bug, but this kernel exports no pt_ counters (not retract)", exitFailed
	case expectBug:
		return "race: FAILED: -expect-bug, but no use-after-free was caught", exitFailed
	}
	if !havePT {
		return fmt.Sprintf("race: OK: %d collapses, no data errors (this kernel exports no pt_ counters: "+
			"whether faults held retracted tables is not visible from user space)", r.collapsesOK), exitOK
	}
	retracted, _ := r.pt("pt_retracted")
	rcu, _ := r.pt("pt_freed_rcu")
	retries, _ := r.pt("pt_retract_retries")
	return fmt.Sprintf("race: OK: %d collapses, %d tables retracted, %d freed after a grace period, %d faults retried on a retracted table",
		r.collapsesOK, retracted, rcu, retries), exitOK
}

func (r result) errnoSummary() string {
	if len(r.errnos) == 0 {
		return "no attempt"
	}
	var parts []string
	for n, c := range r.errnos {
		parts = append(parts, fmt.Sprintf("%s %d", n, c))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

// readVmstat reads /proc/vmstat: name -> value.
func readVmstat() (map[string]int64, bool) {
	f, err := os.Open("/proc/vmstat")
	if err != nil {
		return nil, false
	}
	defer f.Close()
	return parseVmstat(bufio.NewScanner(f)), true
}

func parseVmstat(sc *bufio.Scanner) map[string]int64 {
	m := map[string]int64{}
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 2 {
			continue
		}
		if v, err := strconv.ParseInt(f[1], 10, 64); err == nil {
			m[f[0]] = v
		}
	}
	return m
}

// vmstatDelta returns after-before for every thp_* and pt_* counter in
// after, sorted by name.
func vmstatDelta(before, after map[string]int64) []counter {
	var out []counter
	for name, v := range after {
		if strings.HasPrefix(name, "thp_") || strings.HasPrefix(name, "pt_") {
			out = append(out, counter{name, v - before[name]})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}
