//go:build linux

// Tests that boot the kernel: in-kernel test suites, the command line, the
// shell on the serial console and the oops report.

package tests

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestSuites runs the boot, runtime, syscall, mm, mmap, fork, ring3,
// pagecache and procfs suites on one CPU and reports each KTAP test as a
// Go subtest.
func TestSuites(t *testing.T) {
	want := []string{"boot", "runtime", "syscall", "mm", "mmap", "fork", "ring3", "pagecache", "procfs"}
	v := boot(t, "test="+strings.Join(want, ","), 1)
	v.runSuites(want...)
}

// TestSMP boots 1, 2 and 4 CPUs and runs the smp, mm and pagecache suites
// on each: all CPUs online, work on every CPU, cross-CPU futexes, IPIs,
// TLB shootdown, a GC storm that must not leak frames, and faults, writes
// and truncates of one file racing on every CPU.
func TestSMP(t *testing.T) {
	for _, cpus := range []int{1, 2, 4} {
		t.Run(fmt.Sprintf("cpus=%d", cpus), func(t *testing.T) {
			v := boot(t, "test=smp,mm,pagecache", cpus)
			v.runSuites("smp", "mm", "pagecache")
			if !anyLine(v.lines(), regexp.MustCompile(fmt.Sprintf(`\b%d of %d CPUs online`, cpus, cpus))) {
				v.errorf("the banner does not say %d of %d CPUs online", cpus, cpus)
			}
		})
	}
}

// TestRuntime4CPUs runs the runtime, syscall, mm (with the
// munmap-during-faults race) and ring3 suites with GOMAXPROCS=4.
func TestRuntime4CPUs(t *testing.T) {
	v := boot(t, "test=runtime,syscall,mm,ring3", 4)
	v.runSuites("runtime", "syscall", "mm", "ring3")
}

// TestStopAll: an oops on one CPU stops the others with an NMI, and each
// says so.
func TestStopAll(t *testing.T) {
	v := bootShellCPUs(t, "oops=exit", 2)
	v.send("crash\r")
	v.expect(regexp.MustCompile(`oops: .* on CPU (\d)`), cmdTimeout)
	v.expect(regexp.MustCompile(`CPU \d stopped \(oops on CPU \d\)`), cmdTimeout)
	if code := v.wait(defaultTimeout); code != statusOops {
		v.errorf("QEMU exited with status %s, want %s", explainStatus(code), explainStatus(statusOops))
	}
}

// TestRCU runs the rcu suite and a short torture run (with its broken
// variant, skipped on one CPU) on 1, 2 and 4 CPUs (on 4, three are mostly
// idle and must not stall grace periods).
func TestRCU(t *testing.T) {
	for _, cpus := range []int{1, 2, 4} {
		t.Run(fmt.Sprintf("cpus=%d", cpus), func(t *testing.T) {
			v := boot(t, "test=rcu,torture torture=3", cpus)
			v.runSuites("rcu", "torture")
		})
	}
}

// TestSuitesQ35 runs the same suites on the q35 machine, whose firmware
// (SeaBIOS), memory map (start_info in page 0), legacy PICs and ACPI
// power-off differ from microvm's.
func TestSuitesQ35(t *testing.T) {
	want := []string{"boot", "runtime", "syscall", "ring3"}
	v := bootMachine(t, "q35", "test="+strings.Join(want, ","), 1, defaultMemMB)
	v.runSuites(want...)
}

// TestTestList: test=list prints "suite: NAME" lines and exits with
// status 1.
func TestTestList(t *testing.T) {
	v := boot(t, "test=list", 1)
	code := v.wait(defaultTimeout)
	v.checkNoCrash()
	var suites []string
	for _, l := range v.lines() {
		if m := suiteLineRE.FindStringSubmatch(l); m != nil {
			suites = append(suites, m[1])
		}
	}
	for _, s := range []string{"boot", "runtime", "syscall"} {
		if !slices.Contains(suites, s) {
			v.errorf("test=list did not list suite %q (a line \"suite: %s\"); listed: %q", s, s, suites)
		}
	}
	if code != statusTestsPassed {
		v.errorf("QEMU exit status %s; want %s after test=list", explainStatus(code), explainStatus(statusTestsPassed))
	}
}

// TestBadCmdline: every bad word of the command line is reported once on
// the console, and the good part (test=boot) still runs.
func TestBadCmdline(t *testing.T) {
	v := boot(t, "test=boot foo=bar cpus=abc", 1)
	rep := v.runKTAP(0) // checks the exit status (1 or 3) against the report
	for _, c := range []struct{ prefix, word string }{
		{"cmdline:", "foo=bar"},
		{"cmdline:", "cpus=abc"},
	} {
		var found []string
		for _, l := range v.lines() {
			if strings.HasPrefix(l, c.prefix) && strings.Contains(l, c.word) {
				found = append(found, l)
			}
		}
		switch len(found) {
		case 1:
			t.Logf("reported: %s", found[0])
		case 0:
			v.errorf("no line starting with %q that mentions %q", c.prefix, c.word)
		default:
			v.errorf("%q is reported %d times, want one line:\n%s", c.word, len(found), strings.Join(found, "\n"))
		}
	}
	if names := suiteNames(rep); !slices.Contains(names, "boot") {
		v.errorf("suite boot did not run; suites in the report: %q", names)
	}
}

// bootShell boots without a test option and waits for the prompt.
func bootShell(t *testing.T) *vm {
	t.Helper()
	return bootShellAppend(t, "")
}

func bootShellAppend(t *testing.T, append string) *vm {
	t.Helper()
	return bootShellCPUs(t, append, 1)
}

func bootShellCPUs(t *testing.T, append string, cpus int) *vm {
	t.Helper()
	v := boot(t, append, cpus)
	v.waitPrompt(defaultTimeout)
	return v
}

// cmdTimeout bounds one ordinary shell command under TCG.
const cmdTimeout = time.Minute

func TestShell(t *testing.T) {
	v := bootShell(t)

	out := v.command("help", cmdTimeout)
	text := strings.Join(out, "\n")
	for _, c := range []string{"help", "mem", "cpus", "uptime", "echo", "crash", "dis", "poweroff"} {
		if !regexp.MustCompile(`(?m)\b` + c + `\b`).MatchString(text) {
			v.errorf("help does not list %q; it printed:\n%s", c, text)
		}
	}

	if out := v.command("echo hello world", cmdTimeout); !slices.Contains(out, "hello world") {
		v.errorf("echo hello world printed %q, want a line \"hello world\"", out)
	}
	if out := v.command("mem", cmdTimeout); !anyLine(out, regexp.MustCompile(`(?i)\bfree\b`)) {
		v.errorf("mem printed %q, want a line mentioning free memory", out)
	}
	digits := regexp.MustCompile(`[0-9]`)
	for _, cmd := range []string{"uptime", "cpus"} {
		if out := v.command(cmd, cmdTimeout); !anyLine(out, digits) {
			v.errorf("%s printed %q, want a line with a number", cmd, out)
		}
	}
	if out := v.command("nosuchcmd", cmdTimeout); !anyLine(out, regexp.MustCompile(`unknown command`)) {
		v.errorf("nosuchcmd printed %q, want a line with \"unknown command\"", out)
	}

	out = v.command("dis runtime.main", cmdTimeout)
	if n := countDisasm(out); n < 3 {
		v.errorf("dis runtime.main printed %d disassembly lines (an address and an instruction), want several:\n%s", n, strings.Join(out, "\n"))
	}

	// An unmapped address is an error message, not an oops; command()
	// already checked for crash lines and the prompt.
	out = v.command("dis 0x1", cmdTimeout)
	if len(out) == 0 || countDisasm(out) > 0 {
		v.errorf("dis 0x1 printed %q, want an error line and no disassembly", out)
	}

	// Garbage: the shell must survive whatever arrives on the line. Bytes
	// may be lost; only survival is checked. Ctrl-U then kills whatever
	// partial line is left.
	v.sendBytes(garbage(64 << 10))
	v.send("\x15\r\necho alive\r\n")
	v.expect(regexp.MustCompile(`(?m)(^|\r)alive\r?$`), 3*time.Minute)
	v.waitPrompt(cmdTimeout)
	v.checkNoCrash()

	v.send("poweroff\r")
	if code := v.wait(cmdTimeout); code != statusPoweroff {
		v.errorf("poweroff: QEMU exit status %s, want %s", explainStatus(code), explainStatus(statusPoweroff))
	}
}

func anyLine(lines []string, re *regexp.Regexp) bool {
	return slices.ContainsFunc(lines, re.MatchString)
}

// countDisasm counts lines that look like disassembly: an address first
// (after an optional "=>" marker), then an instruction mnemonic, as in
//
//	=> 0x00000000002a1f40 <retract/kernel/shell.crash+0x20>  48 8b 00  MOVQ 0(AX), AX
func countDisasm(lines []string) int {
	n := 0
	for _, l := range lines {
		if loc := disasmAddrRE.FindStringIndex(l); loc != nil && mnemonicRE.MatchString(l[loc[1]:]) {
			n++
		}
	}
	return n
}

// garbage returns n bytes of seeded junk for the serial line: random bytes
// (all 256 values), control characters, 0xff runs, NULs, terminal escape
// sequences (complete, truncated, oversized) and long lines without a
// newline. It never spells a shell command on a line of its own.
func garbage(n int) []byte {
	r := rand.New(rand.NewPCG(0x7265747261637421, 1))
	pieces := []func() []byte{
		func() []byte { // random bytes
			b := make([]byte, 1+r.IntN(64))
			for i := range b {
				b[i] = byte(r.Uint32())
			}
			return b
		},
		func() []byte { // control characters
			b := make([]byte, 1+r.IntN(16))
			for i := range b {
				b[i] = byte(r.IntN(0x20))
			}
			return b
		},
		func() []byte { return []byte(strings.Repeat("\xff", 1+r.IntN(32))) },
		func() []byte { return make([]byte, 1+r.IntN(32)) }, // NULs
		func() []byte { // escape sequences, some broken
			seqs := []string{
				"\x1b[A", "\x1b[B", "\x1b[C", "\x1b[D", "\x1b[3~", "\x1b[H", "\x1b[2J",
				"\x1b[999;999H", "\x1b[6n", "\x1bc", "\x1b]0;title\x07", "\x1bOP",
				"\x1b[", "\x1b", "\x1b[1;2;3;4;5;6;7;8;9;10;11;12;13;14;15;16m",
				"\x1b[" + strings.Repeat("9", 200) + "A", "\x9b2J", "\x1bP" + strings.Repeat("q", 40),
			}
			return []byte(seqs[r.IntN(len(seqs))])
		},
		func() []byte { return []byte{0x08, 0x7f, 0x7f, 0x08} }, // backspace/delete
		func() []byte { return []byte("\r") },                   // Enter on a garbage line
	}
	longLine := func() []byte { // longer than any sane line buffer, no newline
		return []byte(strings.Repeat(string(rune('A'+r.IntN(26))), 1024+r.IntN(4096)))
	}
	var b []byte
	for len(b) < n {
		if r.IntN(32) == 0 {
			b = append(b, longLine()...)
		} else {
			b = append(b, pieces[r.IntN(len(pieces))]()...)
		}
	}
	return b[:n]
}

// TestShellMM drives the address-space commands: make an address space,
// map a VMA, fault a page in for reading (the zero page) and for writing
// (a new page), walk its tables, and get clear errors for bad input.
func TestShellMM(t *testing.T) {
	v := bootShell(t)
	if out := v.command("mm new", cmdTimeout); !anyLine(out, regexp.MustCompile(`^mm 1: PML4 \(pgd\) at 0x`)) {
		v.errorf("mm new printed %q", out)
	}
	v.command("mm map 1 0x8000000000 16 rw", cmdTimeout)
	out := v.command("fault 1 0x8000000000 r", cmdTimeout)
	if !anyLine(out, regexp.MustCompile(`zero page`)) || !anyLine(out, regexp.MustCompile(`^PT .* P U A NX`)) ||
		!anyLine(out, regexp.MustCompile(`^fault: mm 1 read at 0x8000000000: HandleMMFault \(handle_mm_fault\) → doAnonymousPage \(do_anonymous_page\), the zero page; 0 retries$`)) {
		v.errorf("a read fault should map the zero page read-only, through do_anonymous_page; got %q", out)
	}
	out = v.command("fault 1 0x8000001008 w", cmdTimeout)
	if !anyLine(out, regexp.MustCompile(`^PT .*\[  1\] = .* P W U A D NX`)) || !anyLine(out, regexp.MustCompile(`anonymous page`)) ||
		!anyLine(out, regexp.MustCompile(`→ doWpPage → wpPageCopy \(do_wp_page → wp_page_copy\)|→ doAnonymousPage \(do_anonymous_page\);`)) {
		v.errorf("a write fault should map a new writable page that the MMU marked accessed and dirty; got %q", out)
	}
	for cmd, want := range map[string]string{
		"fault 1 0x9000000000 r": `EFAULT`,
		"pt walk 1 0x100":        `not a user address`,
		"pt walk 7 0x8000000000": `no address space 7`,
		"pt walk 1 zz":           `not a hex address`,
	} {
		if out := v.command(cmd, cmdTimeout); !anyLine(out, regexp.MustCompile(want)) {
			v.errorf("%s printed %q, want a line matching %q", cmd, out, want)
		}
	}
	if out := v.command("pt dump 1", cmdTimeout); !anyLine(out, regexp.MustCompile(`^2 pages mapped`)) || !anyLine(out, regexp.MustCompile(`zero page`)) {
		v.errorf("pt dump printed %q, want the two mapped pages", out)
	}
	if out := v.command("mm", cmdTimeout); !anyLine(out, regexp.MustCompile(`faults 3 \(zero page 1, new 1`)) {
		v.errorf("mm printed %q", out)
	}
}

// TestCrashOops: the shell's crash command oopses the kernel on purpose.
// The oops report must name the fault and where it happened, disassemble
// the faulting instruction, and stop the machine: the kernel writes 2 to
// isa-debug-exit, so QEMU exits with status 5 (2<<1|1). That needs
// oops=exit; the default (oops=halt) leaves the machine for a debugger.
func TestCrashOops(t *testing.T) {
	v, body := crashReport(t, "crash")
	dis := slices.IndexFunc(body, func(l string) bool { return strings.Contains(strings.ToLower(l), "disassembly") })
	if dis < 0 {
		v.errorf("the oops report has no disassembly section")
	} else {
		fault := slices.IndexFunc(body[dis:], func(l string) bool { return strings.HasPrefix(strings.TrimSpace(l), "=>") })
		if fault < 0 {
			v.errorf("the disassembly has no line starting with \"=>\" marking the faulting instruction")
		} else if l := body[dis+fault]; !strings.Contains(l, "MOVQ 0(AX), AX") || !strings.Contains(l, "CrashLoad") {
			v.errorf("the faulting line %q does not name the faulting load (MOVQ 0(AX), AX in amd64.CrashLoad)", l)
		}
	}
}

// TestCrashKinds: the other crash points — an invalid opcode at a
// function's first instruction, a kernel stack overflow and a nil pointer
// read inside a syscall handler — each give a report that explains itself.
func TestCrashKinds(t *testing.T) {
	for _, tc := range []struct{ kind, want string }{
		{"ud", `=> .*UD2`},
		{"stack", `kernel stack overflow`},
		{"nil", `in trap context: yes`},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			v, body := crashReport(t, "crash "+tc.kind)
			if !anyLine(body, regexp.MustCompile(tc.want)) {
				v.errorf("the oops report of crash %s has no line matching %q", tc.kind, tc.want)
			}
		})
	}
}

// crashReport boots with oops=exit, runs a crash command, checks what every
// oops report must have (header, CR2, RIP with a symbol, the final "halted"
// line, QEMU exit status 5) and returns the report's lines.
func crashReport(t *testing.T, cmd string) (*vm, []string) {
	v := bootShellAppend(t, "oops=exit")
	before := len(v.s.Log())
	v.send(cmd + "\r")
	header := v.expect(regexp.MustCompile(`(?i)[^\n]*\boops\b[^\n]*\n`), cmdTimeout)[0]
	halted := v.expect(regexp.MustCompile(`[^\n]*\bhalted\b`), 2*time.Minute)[0]
	t.Logf("oops header: %s", strings.TrimSpace(header))

	// Expected: QEMU exits with status 5. A kernel that halted without
	// writing isa-debug-exit is accepted (it said "halted"): QEMU is killed.
	code, err := v.s.Wait(budget(t, 30*time.Second))
	switch {
	case err != nil:
		v.errorf("QEMU did not exit after the kernel printed %q with oops=exit (%v)", strings.TrimSpace(halted), firstLine(err))
	case code != statusOops:
		v.errorf("after the oops QEMU exited with status %s, want %s", explainStatus(code), explainStatus(statusOops))
	default:
		t.Logf("QEMU exited with status %s", explainStatus(code))
	}

	// The report: from the header line to the end of the log.
	log := string(v.s.Log())
	at := max(strings.Index(log[before:], strings.TrimRight(header, "\r\n")), 0)
	body := splitLines(ansiRE.ReplaceAllString(log[before+at:], ""))
	for len(body) > 0 && strings.TrimSpace(body[len(body)-1]) == "" {
		body = body[:len(body)-1]
	}
	if !anyLine(body, regexp.MustCompile(`\bCR2\b`)) {
		v.errorf("the oops report has no CR2 line")
	}
	if !slices.ContainsFunc(body, func(l string) bool {
		_, after, ok := strings.Cut(l, "RIP")
		return ok && goSymbolRE.MatchString(after)
	}) {
		v.errorf("the oops report has no RIP line naming a symbol (like \"RIP 0x2b5245 retract/arch/amd64.CrashLoad+0x5\")")
	}
	if bad := v.crashLines(body, true); len(bad) > 0 {
		v.errorf("a Go panic or fatal error during the oops:\n%s", strings.Join(bad, "\n"))
	}
	if last := body[len(body)-1]; !strings.Contains(last, "halted") {
		v.errorf("the last line of the oops report is %q; want the line saying the machine halted", last)
	}
	return v, body
}
