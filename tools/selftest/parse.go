package selftest

import (
	"fmt"
	"io"
	"regexp"
	"strings"
)

// The 6.1 khugepaged selftest (tools/testing/selftests/vm/khugepaged.c)
// prints, with stdout unbuffered:
//
//	Save THP and khugepaged settings... OK           set-up steps
//	Allocate huge page on fault... OK
//	                                                 (blank line)
//	Run test: collapse_full (khugepaged:anon)        a test case: name (context:memory)
//	Collapse multiple fully populated PTE table.... OK
//	...
//	Restore THP and khugepaged settings... OK        tear-down, then exit(number of failures)
//
// A step is "MESSAGE..." — plus one "." per half-second tick while it
// waits for khugepaged — then " RESULT" in colour (ESC[32m OK, ESC[31m
// Fail / Fail: Bad return value / Fail: check_huge() / Timeout, ESC[33m
// Skip). Other lines ("Unexpected huge page", perror messages) come just
// before the test exits. Only "Fail..." and "Timeout" count as failures
// (each adds one to the exit status).

// Results of a step or case.
const (
	ResultOK         = "OK"
	ResultFail       = "FAIL"
	ResultSkip       = "SKIP"
	ResultIncomplete = "INCOMPLETE" // started and never finished: the test died
)

// Step is one "MESSAGE... RESULT" line.
type Step struct {
	Name   string // the message, without the dots
	Result string // OK, FAIL, SKIP or INCOMPLETE
	Detail string // the printed result when it says more, e.g. "Fail: check_huge()", "Timeout"
}

// Case is one "Run test:" block.
type Case struct {
	Name    string // e.g. collapse_full
	Context string // khugepaged or madvise
	Memory  string // anon, file or shmem
	Steps   []Step
	Notes   []string // other lines printed inside the block
}

// ID is "name (context:memory)", as the test prints it.
func (c *Case) ID() string { return fmt.Sprintf("%s (%s:%s)", c.Name, c.Context, c.Memory) }

// Result is FAIL if a step failed, INCOMPLETE if one never finished,
// SKIP if one was skipped, OK otherwise (also for a case with no steps,
// which the 6.1 test does not print).
func (c *Case) Result() string {
	r := ResultOK
	for _, s := range c.Steps {
		switch s.Result {
		case ResultFail:
			return ResultFail
		case ResultIncomplete:
			r = ResultIncomplete
		case ResultSkip:
			if r == ResultOK {
				r = ResultSkip
			}
		}
	}
	return r
}

// Report is a parsed run.
type Report struct {
	Setup    []Step // before the first case
	Cases    []Case
	Teardown []Step // "Restore THP and khugepaged settings"
	Finished bool   // the tear-down step was printed: the test ran to its end
}

var (
	ansi     = regexp.MustCompile("\x1b\\[[0-9;]*m")
	runTest  = regexp.MustCompile(`^Run test: (\S+) \(([^:()]+):([^:()]+)\)$`)
	stepLine = regexp.MustCompile(`^(.*?)\.\.\.+ *(OK|Skip|Timeout|Fail|Fail: .*)$`)
	printk   = regexp.MustCompile(`^\[ *[0-9]+\.[0-9]+\] `)
	started  = regexp.MustCompile(`^(.*?)\.\.\.+(.*)$`)
)

const teardownStep = "Restore THP and khugepaged settings"

// Parse reads the test's output lines (colour codes are removed, and of a
// line redrawn with "\r" only the last version is kept). Lines before the
// first step (the boot log), after the tear-down or init's marker line,
// and kernel messages ("[   12.345678] ...") are ignored.
func Parse(lines []string) Report {
	var r Report
	var cur *Case
	seen := false // a step or case was seen: the test's output has begun
	addStep := func(s Step) {
		switch {
		case s.Name == teardownStep:
			r.Teardown = append(r.Teardown, s)
			r.Finished = s.Result == ResultOK
			cur = nil
		case cur != nil:
			cur.Steps = append(cur.Steps, s)
		default:
			r.Setup = append(r.Setup, s)
		}
	}
	for _, raw := range lines {
		l := strings.TrimRight(ansi.ReplaceAllString(lastSegment(raw), ""), " \t")
		if m := runTest.FindStringSubmatch(l); m != nil {
			r.Cases = append(r.Cases, Case{Name: m[1], Context: m[2], Memory: m[3]})
			cur = &r.Cases[len(r.Cases)-1]
			seen = true
			continue
		}
		if m := stepLine.FindStringSubmatch(l); m != nil {
			addStep(Step{Name: m[1], Result: result(m[2]), Detail: detail(m[2])})
			seen = true
			continue
		}
		if strings.HasPrefix(l, "init: exit status") || strings.HasPrefix(l, "init: killed by") {
			break // the test is over
		}
		if !seen || r.Finished || l == "" || printk.MatchString(l) {
			continue
		}
		if m := started.FindStringSubmatch(l); m != nil {
			// A step that never printed its result: what follows the dots
			// is whatever the test printed instead (perror, ...).
			addStep(Step{Name: m[1], Result: ResultIncomplete, Detail: strings.TrimSpace(m[2])})
			continue
		}
		if cur != nil {
			cur.Notes = append(cur.Notes, l)
		}
	}
	if n := len(r.Cases); !r.Finished && n > 0 {
		// The test died in its last case: after steps that all passed
		// (perror and exit in a set-up helper print no dots), the case
		// is still not OK.
		c := &r.Cases[n-1]
		if c.Result() == ResultOK || c.Result() == ResultSkip {
			c.Steps = append(c.Steps, Step{Name: "(the test ended here)", Result: ResultIncomplete})
		}
	}
	return r
}

// lastSegment returns what a terminal would show of a line that redraws
// itself with "\r" (the test's "Construct ... 12/512...\r" progress):
// the last non-empty carriage-return segment.
func lastSegment(l string) string {
	l = strings.TrimSuffix(l, "\r")
	if i := strings.LastIndexByte(l, '\r'); i >= 0 {
		return l[i+1:]
	}
	return l
}

func result(printed string) string {
	switch {
	case printed == "OK":
		return ResultOK
	case printed == "Skip":
		return ResultSkip
	default: // Fail, Fail: ..., Timeout
		return ResultFail
	}
}

func detail(printed string) string {
	if printed == "OK" || printed == "Skip" || printed == "Fail" {
		return ""
	}
	return printed
}

// Counts returns how many cases ended with each result.
func (r *Report) Counts() map[string]int {
	n := map[string]int{}
	for i := range r.Cases {
		n[r.Cases[i].Result()]++
	}
	return n
}

// Summary is one line: "47 cases: 40 OK, 5 FAIL, 2 SKIP".
func (r *Report) Summary() string {
	n := r.Counts()
	s := fmt.Sprintf("%d cases: %d OK, %d FAIL, %d SKIP", len(r.Cases), n[ResultOK], n[ResultFail], n[ResultSkip])
	if n[ResultIncomplete] > 0 {
		s += fmt.Sprintf(", %d INCOMPLETE", n[ResultIncomplete])
	}
	if !r.Finished {
		s += "; the test did not reach its tear-down"
	}
	return s
}

// Table writes one row per case and, indented under it, one per step.
func (r *Report) Table(w io.Writer) {
	for _, s := range r.Setup {
		fmt.Fprintf(w, "%-10s   setup: %s%s\n", s.Result, s.Name, paren(s.Detail))
	}
	for i := range r.Cases {
		c := &r.Cases[i]
		fmt.Fprintf(w, "%-10s %s\n", c.Result(), c.ID())
		for _, s := range c.Steps {
			fmt.Fprintf(w, "  %-8s   %s%s\n", s.Result, s.Name, paren(s.Detail))
		}
		for _, n := range c.Notes {
			fmt.Fprintf(w, "  %-8s   %s\n", "note", n)
		}
	}
	for _, s := range r.Teardown {
		fmt.Fprintf(w, "%-10s   teardown: %s%s\n", s.Result, s.Name, paren(s.Detail))
	}
	fmt.Fprintln(w, r.Summary())
}

func paren(s string) string {
	if s == "" {
		return ""
	}
	return " (" + s + ")"
}
