//go:build linux

// Tests of the kernel command line as a whole: its length, and options
// that cannot go together.

package tests

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// TestLongCmdline: a command line of up to 4096 bytes arrives whole (a
// value at its end is not cut), and a longer one is refused loudly and
// ignored as a whole: none of its options apply.
func TestLongCmdline(t *testing.T) {
	t.Run("kept", func(t *testing.T) {
		// 4000 bytes: far past the old limit of 1023, with the value that
		// used to be cut at the end.
		line := "oops=exit" + strings.Repeat(" ", 4000-len("oops=exit")-len("seed=123456789")) + "seed=123456789"
		v := bootShellAppend(t, line)
		if !hasLineLike(v.lines(), fmt.Sprintf("retract: Go runtime up after %s ms; cmdline %q", `\d+`, line)) {
			v.errorf("the kernel did not print the whole %d-byte command line as it was given", len(line))
		}
		if anyLine(v.lines(), regexp.MustCompile(`^cmdline:`)) {
			v.errorf("the kernel complained about a good command line")
		}
	})
	t.Run("refused", func(t *testing.T) {
		line := "test=boot " + strings.Repeat("x", 5000-len("test=boot "))
		v := bootShellAppend(t, line)
		want := "cmdline: 5000 bytes, longer than the 4096 the kernel keeps: ignoring the whole command line"
		if !anyLine(v.lines(), regexp.MustCompile("^"+regexp.QuoteMeta(want)+"$")) {
			v.errorf("no line %q", want)
		}
		if anyLine(v.lines(), regexp.MustCompile(`^KTAP version`)) {
			v.errorf("test=boot of an ignored command line ran")
		}
		if !anyLine(v.lines(), regexp.MustCompile(`cmdline ""$`)) {
			v.errorf("the kernel should report an empty command line after ignoring it")
		}
	})
}

// hasLineLike reports whether a line matches pattern, a regular
// expression in which everything but the given \d+ is literal text.
func hasLineLike(lines []string, pattern string) bool {
	parts := strings.Split(pattern, `\d+`)
	for i, p := range parts {
		parts[i] = regexp.QuoteMeta(p)
	}
	return anyLine(lines, regexp.MustCompile("^"+strings.Join(parts, `\d+`)+"$"))
}

// TestCmdlineRunFails: an unknown suite or benchmark name, or test= with
// bench=, fails the run (status 3) before anything runs, and says why.
func TestCmdlineRunFails(t *testing.T) {
	for _, tc := range []struct {
		append string
		want   []string
	}{
		{"test=boot,nosuch,alsonot", []string{`^ktest: unknown suite "nosuch" \(known: .*\bboot\b.*\)$`, `^ktest: unknown suite "alsonot" \(known: `}},
		{"bench=nosuch", []string{`^bench: unknown benchmark "nosuch" \(known: all, .*\)$`}},
		{"test=boot bench=nosuch", []string{`^cmdline: test=boot and bench=nosuch cannot go together \(a boot runs tests or benchmarks\): running neither$`}},
	} {
		t.Run(tc.append, func(t *testing.T) {
			v := boot(t, tc.append, 1)
			code := v.wait(defaultTimeout)
			v.checkNoCrash()
			if code != statusTestsFailed {
				v.errorf("QEMU exited with status %s, want %s", explainStatus(code), explainStatus(statusTestsFailed))
			}
			for _, want := range tc.want {
				if !anyLine(v.lines(), regexp.MustCompile(want)) {
					v.errorf("no line matching %q", want)
				}
			}
			if anyLine(v.lines(), regexp.MustCompile(`^KTAP version|^1\.\.\d|^# ktest:`)) {
				v.errorf("tests ran although the command line named an unknown suite or benchmark")
			}
		})
	}
}
