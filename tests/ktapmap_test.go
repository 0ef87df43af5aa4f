//go:build linux

// Turning the kernel's KTAP output into Go subtests.

package tests

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"retract/tests/ktap"
)

// bootKTAP boots the kernel with the command line append on cpus CPUs,
// waits (timeout, scaled; 0 means 5 minutes) for it to power off after its
// tests, and parses the KTAP report on the console into Go subtests: one
// t.Run per suite and, inside it, one per KTAP test (recursively). A "not
// ok" test fails with its diagnostics, a SKIP test skips.
//
// The test fails (with the serial log tail; the whole log is kept in
// build/test-logs) on a timeout, a crash on the console, a malformed KTAP
// stream or missing plan, or a QEMU exit status that disagrees with the
// results: 1 means all passed, 3 means some failed, anything else is wrong.
func bootKTAP(t *testing.T, append string, cpus int, timeout time.Duration) *ktap.Report {
	t.Helper()
	v := boot(t, append, cpus)
	return v.runKTAP(timeout)
}

// runKTAP is bootKTAP after the boot.
func (v *vm) runKTAP(timeout time.Duration) *ktap.Report {
	t := v.t
	t.Helper()
	if timeout <= 0 {
		timeout = defaultTimeout
	}
	d := budget(t, timeout)
	var problems []string
	code, werr := v.s.Wait(d)
	if werr == nil {
		t.Logf("QEMU exited with status %s", explainStatus(code))
	}
	if werr != nil {
		problems = append(problems, fmt.Sprintf("QEMU did not power off within %v: %s", d, firstLine(werr)))
	}
	v.saveLog()
	log := v.s.Log()
	lines := splitLines(string(log))
	rep, perr := ktap.Parse(bytes.NewReader(log))
	if perr != nil {
		problems = append(problems, "malformed KTAP output: "+perr.Error())
	}
	if bad := v.crashLines(lines, false); len(bad) > 0 {
		problems = append(problems, "the kernel crashed (lines with oops / panic: / fatal error:):\n"+sanitize(strings.Join(bad, "\n")))
	}
	for _, d := range rep.Diag {
		t.Logf("KTAP: # %s", d)
	}

	// Report what did run, even if the stream is broken.
	v.ktapSubtests(t, rep.Tests, lines, 0)

	if werr == nil && perr == nil {
		anyNotOK, realFail := failures(rep.Tests)
		switch {
		case code == statusTestsPassed && realFail > 0:
			problems = append(problems, fmt.Sprintf("QEMU exit status %s, but the KTAP report has %d failed tests", explainStatus(code), realFail))
		case code == statusTestsFailed && anyNotOK == 0:
			problems = append(problems, fmt.Sprintf("QEMU exit status %s, but every KTAP test is ok or skipped", explainStatus(code)))
		case code != statusTestsPassed && code != statusTestsFailed:
			problems = append(problems, fmt.Sprintf("QEMU exit status %s; want 1 (all passed) or 3 (some failed) after the tests", explainStatus(code)))
		}
	}
	if len(problems) > 0 {
		v.fatalf("%s", strings.Join(problems, "\n"))
	}
	return rep
}

// failures counts "not ok" tests at every level: all of them, and those
// that are not expected failures (TODO, XFAIL).
func failures(ts []*ktap.Test) (anyNotOK, realFail int) {
	for _, kt := range ts {
		if kt.Result == ktap.Fail {
			anyNotOK++
			if !ktapDirRE.MatchString(kt.Directive) {
				realFail++
			}
		}
		a, r := failures(kt.Subtests)
		anyNotOK += a
		realFail += r
	}
	return
}

// ktapSubtests runs one Go subtest per KTAP test. prev is the serial log
// line of the result before the first of ts (0 if none), so a failure can
// quote the part of the log that belongs to the test. It reports whether
// all of ts passed or skipped.
func (v *vm) ktapSubtests(t *testing.T, ts []*ktap.Test, lines []string, prev int) bool {
	allOK := true
	for _, kt := range ts {
		name := kt.Name
		if name == "" {
			name = fmt.Sprintf("test_%d", kt.Number)
		}
		from := prev
		ok := t.Run(name, func(t *testing.T) {
			childrenOK := v.ktapSubtests(t, kt.Subtests, lines, from)
			switch {
			case kt.Result == ktap.Fail && ktapDirRE.MatchString(kt.Directive):
				logDiag(t, kt)
				t.Skipf("expected failure: not ok %d %s # %s", kt.Number, kt.Name, kt.Directive)
			case kt.Result == ktap.Fail && !childrenOK:
				// The failing subtests said why.
				t.Errorf("KTAP: not ok %d %s (failed subtests above)", kt.Number, kt.Name)
			case kt.Result == ktap.Fail:
				var b strings.Builder
				fmt.Fprintf(&b, "KTAP: not ok %d %s", kt.Number, kt.Name)
				if kt.Directive != "" {
					fmt.Fprintf(&b, " # %s", kt.Directive)
				}
				if len(kt.Diag) > 0 {
					fmt.Fprintf(&b, "\ndiagnostics:\n    %s", strings.Join(kt.Diag, "\n    "))
				}
				b.WriteString(v.excerpt(lines, from, kt))
				t.Error(b.String())
			case kt.Result == ktap.Skip:
				logDiag(t, kt)
				t.Skipf("KTAP: %s", kt.Directive)
			case len(kt.Subtests) == 0:
				logDiag(t, kt) // shown with -v
			}
		})
		allOK = allOK && ok
		prev = kt.Line
	}
	return allOK
}

// logDiag logs a test's own diagnostic lines (for a suite, its subtests
// logged theirs).
func logDiag(t *testing.T, kt *ktap.Test) {
	if len(kt.Subtests) > 0 {
		return
	}
	for _, d := range kt.Diag {
		t.Logf("# %s", d)
	}
}

// excerpt quotes the serial log from after line prev through kt's result
// line and the "# NAME: ..." lines right after it (at most tailLines lines).
func (v *vm) excerpt(lines []string, prev int, kt *ktap.Test) string {
	end := min(kt.Line, len(lines))
	for end < len(lines) && strings.HasPrefix(strings.TrimLeft(lines[end], " "), "# "+kt.Name+":") {
		end++
	}
	start := prev // 0-based index of the line after prev
	if end-start > tailLines {
		start = end - tailLines
	}
	if start < 0 || start >= end {
		return "\nfull serial log: " + v.logPath
	}
	return fmt.Sprintf("\n--- serial log lines %d-%d ---\n%s\n--- end ---\nfull serial log: %s",
		start+1, end, sanitize(strings.Join(lines[start:end], "\n")), v.logPath)
}

// suiteNames returns the names of the top-level tests.
func suiteNames(rep *ktap.Report) []string {
	var names []string
	for _, kt := range rep.Tests {
		names = append(names, kt.Name)
	}
	return names
}

// runSuites is runKTAP (with its default timeout) that also fails when one
// of the named suites is missing from the report.
func (v *vm) runSuites(names ...string) *ktap.Report {
	rep := v.runKTAP(0)
	got := suiteNames(rep)
	for _, s := range names {
		if !slices.Contains(got, s) {
			v.errorf("suite %q is missing from the KTAP report (suites: %q)", s, got)
		}
	}
	v.checkLockOrder()
	return rep
}
