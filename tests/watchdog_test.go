//go:build linux

package tests

import (
	"regexp"
	"testing"
)

// TestWatchdog is the negative control of the timer-interrupt watchdog: a
// case that holds every CPU with Go preemption off cannot be ended by
// ktest's own timeout (a Go timer); the watchdog must report it and fail
// the run instead of letting the machine hang.
func TestWatchdog(t *testing.T) {
	for _, cpus := range []int{1, 2} {
		v := boot(t, "test=watchdog", cpus)
		code := v.wait(defaultTimeout)
		if code != statusTestsFailed {
			v.errorf("QEMU exit status %s, want %s", explainStatus(code), explainStatus(statusTestsFailed))
		}
		if !anyLine(v.lines(), regexp.MustCompile(`^ktest: WATCHDOG: test case watchdog/hang_every_cpu did not finish within its timeout`)) {
			v.errorf("no WATCHDOG report for the hung case")
		}
		if !anyLine(v.lines(), regexp.MustCompile(`^ktest: WATCHDOG:   CPU 0: preempt count 1`)) {
			v.errorf("the WATCHDOG report does not show CPU 0 with preemption off")
		}
	}
}
