//go:build linux

// The console's two keys that act at once: Ctrl-C stops a long command
// cleanly, Ctrl-\ prints every CPU's backtrace through an NMI.

package tests

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestCtrlC: Ctrl-C typed during a minute of stress retract stops it
// within seconds; the workers stop, everything is freed (the stress's own
// frame check, and mem before and after), the summary says interrupted,
// and the key does not leak into the next line. The same key skips the
// rest of a test suite.
func TestCtrlC(t *testing.T) {
	v := bootShellCPUs(t, "", 2)
	_, before := v.memFrames()
	v.send("stress retract 60 2\r")
	v.expect(regexp.MustCompile(`stress retract: 60 s, seed \d+`), cmdTimeout)
	time.Sleep(3 * time.Second)
	start := time.Now()
	v.send("\x03")
	m := v.expect(upToPrompt, 3*time.Minute)
	out := splitLines(m[1])
	t.Logf("stopped %v after Ctrl-C", time.Since(start).Round(time.Millisecond))
	if !anyLine(out, regexp.MustCompile(`^stress: interrupted after \d+\.\d s: stopping the workers`)) ||
		!anyLine(out, regexp.MustCompile(`^stress retract: \d+\.\d s \(interrupted\)`)) ||
		!anyLine(out, regexp.MustCompile(`^stress retract: interrupted \(Ctrl-C\) after \d+\.\d s: workers stopped, address spaces and the file freed; `)) {
		v.errorf("stress retract after Ctrl-C printed %q", out)
	}
	if anyLine(out, regexp.MustCompile(`LEAK|FAILED`)) || !anyLine(out, regexp.MustCompile(`^  violations +0\s*$`)) {
		v.errorf("the interrupted stress leaked or failed: %q", out)
	}
	// The key stopped the command; it must not discard the next line.
	if out := v.command("echo after", cmdTimeout); !anyLine(out, regexp.MustCompile(`^after$`)) || anyLine(out, regexp.MustCompile(`\^C`)) {
		v.errorf("echo after Ctrl-C printed %q", out)
	}
	_, after := v.memFrames()
	for _, k := range []string{"anon", "pagecache"} {
		if after[k] != before[k] {
			v.errorf("%s frames: %d before the stress, %d after Ctrl-C", k, before[k], after[k])
		}
	}

	v.send("test retract trace\r")
	v.expect(regexp.MustCompile(`# Subtest: retract`), cmdTimeout)
	time.Sleep(2 * time.Second)
	v.send("\x03")
	m = v.expect(upToPrompt, 5*time.Minute)
	out = splitLines(m[1])
	if !anyLine(out, regexp.MustCompile(`^# ktest: \d+ passed, 0 failed, [1-9]\d* skipped \(interrupted\)$`)) ||
		!anyLine(out, regexp.MustCompile(`^    ok \d+ \w+ # SKIP interrupted`)) ||
		!anyLine(out, regexp.MustCompile(`skipped \(interrupted: the cases after Ctrl-C were skipped\)$`)) {
		v.errorf("test retract trace after Ctrl-C printed %q", out)
	}
	v.checkNoCrash()
}

// TestBacktraceKey: while one CPU spins with interrupts off (crash
// hardlockup, like LKDTM's HARDLOCKUP), Ctrl-\ on the console prints a
// backtrace of every CPU — the spinning one included, through an NMI —
// and `bt all` does the same from the shell.
func TestBacktraceKey(t *testing.T) {
	v := bootShellCPUs(t, "", 2)
	v.send("crash hardlockup 30\r")
	v.expect(regexp.MustCompile(`crash: hardlockup: spinning 30 s with interrupts off on CPU 1`), cmdTimeout)
	time.Sleep(2 * time.Second)
	v.send("\x1c")
	m := v.expect(regexp.MustCompile(`(?s)sysrq: backtrace of all CPUs.*?NMI backtrace for CPU 1.*?\n(.*?)(retract> |crash: hardlockup: CPU)`), 3*time.Minute)
	bt := strings.ReplaceAll(m[0], "\r", "")
	v.checkBacktrace(bt, 2)
	// CPU 1 spins (the crash command keeps the spin off CPU 0, which takes
	// the console's interrupt) and must answer the NMI in the middle of
	// its spin: interrupts off, not in a handler, hardLockup on its stack.
	spinning := false
	for _, b := range regexp.MustCompile(`NMI backtrace for CPU (\d): interrupts OFF, preempt count \d+, RCU nesting \d+, thread \d+\n((?: [^\n]*\n)*)`).FindAllStringSubmatch(bt, -1) {
		spinning = spinning || b[1] == "1" && strings.Contains(b[2], "main.hardLockup") && !strings.Contains(b[2], "interrupted")
	}
	if !spinning {
		v.errorf("CPU 1's backtrace does not show it spinning in main.hardLockup with interrupts off:\n%s", bt)
	}
	v.waitPrompt(2 * time.Minute) // the spin ends
	out := v.command("bt all", cmdTimeout)
	v.checkBacktrace(strings.Join(out, "\n")+"\n", 2)
	v.checkNoCrash()
}

// checkBacktrace checks that every one of cpus CPUs printed its
// backtrace: a header, RIP with a symbol, and frames.
func (v *vm) checkBacktrace(text string, cpus int) {
	v.t.Helper()
	for id := 0; id < cpus; id++ {
		re := regexp.MustCompile(`NMI backtrace for CPU ` + string(rune('0'+id)) + `: interrupts (on|OFF), preempt count -?\d+, RCU nesting -?\d+, thread -?\d+.*\n RIP 0x[0-9a-f]+ \S+\+0x[0-9a-f]+\n`)
		if !re.MatchString(text) {
			v.errorf("CPU %d did not print its backtrace (header, then RIP with a symbol):\n%s", id, text)
		}
	}
	if strings.Contains(text, "no answer to the NMI") {
		v.errorf("a CPU did not answer the NMI:\n%s", text)
	}
}
