//go:build linux

// The host harness: find QEMU, build the kernel once, boot it, drive its
// serial console, keep its log, and turn its KTAP output into Go subtests.

package tests

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"retract/qemu"
)

// QEMU exit statuses. The kernel writes a code v to isa-debug-exit and
// QEMU exits with (v<<1)|1; an ACPI power-off exits with 0.
const (
	statusPoweroff    = 0 // ACPI power-off (the shell's poweroff), or a reset with -no-reboot
	statusTestsPassed = 1 // v=0: every test passed
	statusTestsFailed = 3 // v=1: some test failed
	statusOops        = 5 // v=2: the kernel oopsed and halted
	statusGoExited    = 7 // v=3: the Go runtime called exit_group
)

// explainStatus says what a QEMU exit status means.
func explainStatus(code int) string {
	switch code {
	case statusPoweroff:
		return "0: ACPI power-off or a reset (with -no-reboot a triple fault also exits 0)"
	case statusTestsPassed:
		return "1: all tests passed"
	case statusTestsFailed:
		return "3: some tests failed"
	case statusOops:
		return "5: kernel oops"
	case statusGoExited:
		return "7: the Go runtime exited (main returned or fatal error)"
	case -1:
		return "-1: QEMU was killed by a signal"
	}
	return strconv.Itoa(code) + ": unknown"
}

const (
	kernelRel      = "build/kernel.elf" // what `make kernel` builds, relative to the repo root
	logDirRel      = "build/test-logs"
	defaultTimeout = 5 * time.Minute // one boot until QEMU exits, or until the shell prompt
	defaultMemMB   = 512
	tailLines      = 60 // serial log lines in a failure message
	prompt         = "retract> "
)

// Set up by TestMain.
var (
	repoRoot     string
	timeoutScale = 1.0
	setupErr     error // makes every boot test fail with this
)

// The kernel is built once, by the first test that boots it (so that
// `go test -run XXX` or `make test-host`, which select no boot test, do not
// build it).
var (
	kernelOnce sync.Once
	kernelPath string
	kernelErr  error
)

func TestMain(m *testing.M) {
	flag.Parse()
	setupErr = setup()
	if setupErr != nil {
		fmt.Fprintf(os.Stderr, "tests: boot tests cannot run: %v\n", setupErr)
	}
	os.Exit(m.Run())
}

// setup finds the repository root and QEMU and reads the environment.
func setup() error {
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	repoRoot = filepath.Dir(wd) // go test runs in the package directory, tests/
	if _, err := os.Stat(filepath.Join(repoRoot, "go.mod")); err != nil {
		return fmt.Errorf("cannot find the repository root above %s: %v", wd, err)
	}
	var errs []error
	if s := os.Getenv("RETRACT_TIMEOUT_SCALE"); s != "" {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || !(f > 0) || f > 1000 {
			errs = append(errs, fmt.Errorf("RETRACT_TIMEOUT_SCALE=%q: want a positive number such as 2 or 0.5", s))
		} else {
			timeoutScale = f
		}
	}
	// Not a skip: CI installs QEMU, so a missing QEMU is a broken setup.
	if _, err := exec.LookPath("qemu-system-x86_64"); err != nil {
		errs = append(errs, errors.New("qemu-system-x86_64 is not installed (not on PATH): install it with "+
			"`apt-get install -y qemu-system-x86` (Debian/Ubuntu; `make qemu` does it) and run the tests again"))
	}
	return errors.Join(errs...)
}

// kernel returns the kernel ELF to boot: $RETRACT_KERNEL, or the one built
// by `make -C <repo> kernel` (run once per test binary).
func kernel(t *testing.T) string {
	t.Helper()
	if setupErr != nil {
		t.Fatalf("boot tests cannot run: %v", setupErr)
	}
	kernelOnce.Do(func() { kernelPath, kernelErr = findOrBuildKernel(t) })
	if kernelErr != nil {
		t.Fatal(kernelErr)
	}
	return kernelPath
}

func findOrBuildKernel(t *testing.T) (string, error) {
	if k := os.Getenv("RETRACT_KERNEL"); k != "" {
		// Relative to the repository root (where `make` runs), else to tests/.
		cands := []string{k}
		if !filepath.IsAbs(k) {
			cands = []string{filepath.Join(repoRoot, k), k}
		}
		for _, c := range cands {
			if err := checkELF(c); err == nil {
				abs, _ := filepath.Abs(c)
				t.Logf("using RETRACT_KERNEL=%s", abs)
				return abs, nil
			}
		}
		return "", fmt.Errorf("RETRACT_KERNEL=%s: %v", k, checkELF(cands[0]))
	}

	ctx, cancel := context.WithTimeout(context.Background(), scaled(15*time.Minute))
	defer cancel()
	cmd := exec.CommandContext(ctx, "make", "-C", repoRoot, "kernel")
	cmd.WaitDelay = 5 * time.Second
	start := time.Now()
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		err = fmt.Errorf("%v (timed out after %v)", err, time.Since(start).Round(time.Second))
	}
	if err != nil {
		return "", fmt.Errorf("building the kernel with `make -C %s kernel` failed: %v\n--- make output (tail) ---\n%s\n--- end ---\n"+
			"(set RETRACT_KERNEL=path/to/kernel.elf to boot a prebuilt kernel instead)",
			repoRoot, err, lastLines(string(out), 40))
	}
	t.Logf("built the kernel in %v (make -C %s kernel)", time.Since(start).Round(time.Millisecond), repoRoot)
	k := filepath.Join(repoRoot, kernelRel)
	if err := checkELF(k); err != nil {
		return "", fmt.Errorf("`make kernel` succeeded but %v", err)
	}
	return k, nil
}

// checkELF checks that path is an ELF file.
func checkELF(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	var magic [4]byte
	if _, err := f.Read(magic[:]); err != nil || string(magic[:]) != "\x7fELF" {
		return fmt.Errorf("%s is not an ELF file", path)
	}
	return nil
}

// scaled applies RETRACT_TIMEOUT_SCALE.
func scaled(d time.Duration) time.Duration {
	return time.Duration(float64(d) * timeoutScale)
}

// budget scales d and shortens it so that it ends before go test's own
// -timeout does (which would kill the binary without saving the log).
func budget(t *testing.T, d time.Duration) time.Duration {
	d = scaled(d)
	if dl, ok := t.Deadline(); ok {
		left := time.Until(dl) - 20*time.Second
		if left < d {
			t.Logf("timeout %v shortened to %v by go test -timeout; pass a larger -timeout (e.g. -timeout 40m)", d, left.Round(time.Second))
			d = max(left, time.Second)
		}
	}
	return d
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// vm is one boot of the kernel under QEMU, tied to a test.
type vm struct {
	t       *testing.T
	s       *qemu.Session
	logPath string
	benign  map[string]bool // exact lines that look like a crash but are not (help text)

	problems []string // recorded by errorf, reported when the test ends
}

var (
	logNamesMu sync.Mutex
	logNames   = map[string]int{}
)

// logFileFor picks build/test-logs/<TestName>.log, with a suffix when one
// test boots more than once.
func logFileFor(t *testing.T) string {
	name := regexp.MustCompile(`[^A-Za-z0-9._-]+`).ReplaceAllString(t.Name(), "_")
	logNamesMu.Lock()
	n := logNames[name]
	logNames[name]++
	logNamesMu.Unlock()
	if n > 0 {
		name += "." + strconv.Itoa(n+1)
	}
	return filepath.Join(repoRoot, logDirRel, name+".log")
}

// boot starts QEMU with the kernel command line append on cpus CPUs and
// 512 MiB. MACHINE and ACCEL choose the machine type and accelerator.
// QEMU is killed and the serial log saved when the test ends.
func boot(t *testing.T, append string, cpus int) *vm {
	t.Helper()
	return bootMem(t, append, cpus, defaultMemMB)
}

func bootMem(t *testing.T, append string, cpus, memMB int) *vm {
	t.Helper()
	return bootMachine(t, envOr("MACHINE", "microvm"), append, cpus, memMB)
}

// bootMachine boots on a given QEMU machine type (microvm or q35).
func bootMachine(t *testing.T, machine, append string, cpus, memMB int) *vm {
	t.Helper()
	return bootConfig(t, qemu.Config{Machine: machine, CPUs: cpus, MemMB: memMB, Append: append})
}

// bootConfig boots with cfg, whose Kernel and Accel the harness fills in.
func bootConfig(t *testing.T, cfg qemu.Config) *vm {
	t.Helper()
	k := kernel(t)
	cfg.Kernel = k
	cfg.Accel = envOr("ACCEL", "auto")
	cpus, memMB, append := cfg.CPUs, cfg.MemMB, cfg.Append
	ctx, cancel := context.WithCancel(context.Background())
	s, err := qemu.Start(ctx, cfg)
	if err != nil {
		cancel()
		t.Fatalf("starting QEMU (machine %s, accel %s, %d CPUs, append %q): %v", cfg.Machine, cfg.Accel, cpus, append, err)
	}
	v := &vm{t: t, s: s, logPath: logFileFor(t), benign: map[string]bool{}}
	t.Cleanup(func() {
		v.reportProblems()
		s.Kill()
		select {
		case <-s.Done():
		case <-time.After(10 * time.Second):
			t.Logf("QEMU did not go away 10s after being killed")
		}
		cancel()
		v.saveLog()
	})
	t.Logf("booting %s: machine %s, %s, %d CPUs, %d MiB, append %q; serial log: %s",
		filepath.Base(k), cfg.Machine, s.Decision().Accel+" ("+s.Decision().Reason+")", cpus, memMB, append, v.logPath)
	return v
}

// saveLog writes the whole serial log (and QEMU's stderr, if any) to
// v.logPath. Every boot's log is kept, so a stale log from an earlier run
// never sits next to a fresh failure.
func (v *vm) saveLog() {
	if err := os.MkdirAll(filepath.Dir(v.logPath), 0o755); err != nil {
		v.t.Logf("cannot save the serial log: %v", err)
		return
	}
	data := v.s.Log()
	if se := v.stderr(); len(se) > 0 {
		data = append(data, "\n--- qemu stderr ---\n"...)
		data = append(data, se...)
	}
	if err := os.WriteFile(v.logPath, data, 0o644); err != nil {
		v.t.Logf("cannot save the serial log: %v", err)
	}
}

// stderr returns QEMU's stderr if the session keeps it apart.
func (v *vm) stderr() []byte {
	if se, ok := any(v.s).(interface{ Stderr() []byte }); ok {
		return se.Stderr()
	}
	return nil
}

// lines returns the serial log as lines without line endings.
func (v *vm) lines() []string { return splitLines(string(v.s.Log())) }

func splitLines(s string) []string {
	ls := strings.Split(s, "\n")
	if len(ls) > 0 && ls[len(ls)-1] == "" {
		ls = ls[:len(ls)-1]
	}
	for i, l := range ls {
		ls[i] = strings.TrimRight(l, "\r")
	}
	return ls
}

func lastLines(s string, n int) string {
	ls := splitLines(s)
	if len(ls) > n {
		ls = ls[len(ls)-n:]
	}
	return strings.Join(ls, "\n")
}

// tail formats the end of the serial log for a failure message and saves
// the whole log.
func (v *vm) tail() string {
	v.saveLog()
	var b strings.Builder
	log := string(v.s.Log())
	if log == "" {
		b.WriteString("\n--- the serial log is empty ---")
	} else {
		fmt.Fprintf(&b, "\n--- last %d lines of the serial log ---\n%s\n--- end of serial log ---", tailLines, sanitize(lastLines(log, tailLines)))
	}
	if se := v.stderr(); len(se) > 0 {
		fmt.Fprintf(&b, "\n--- qemu stderr ---\n%s\n--- end of qemu stderr ---", lastLines(string(se), 20))
	}
	fmt.Fprintf(&b, "\nfull serial log: %s", v.logPath)
	return b.String()
}

// sanitize makes raw console bytes printable in a test message.
func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' || (r >= ' ' && r != 0x7f && r != 0xfffd) {
			return r
		}
		return '.'
	}, s)
}

// fatalf fails the test now, with the problems recorded so far, the
// serial log tail and the path of the saved log.
func (v *vm) fatalf(format string, args ...any) {
	v.t.Helper()
	msg := fmt.Sprintf(format, args...)
	if len(v.problems) > 0 {
		msg = strings.Join(v.problems, "\n") + "\n" + msg
		v.problems = nil
	}
	v.t.Fatalf("%s%s", msg, v.tail())
}

// errorf records a failure without stopping the test. All of them are
// reported together, with one copy of the serial log tail, when the test
// ends (or with the next fatalf).
func (v *vm) errorf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if _, file, line, ok := runtime.Caller(1); ok {
		msg = fmt.Sprintf("%s:%d: %s", filepath.Base(file), line, msg)
	}
	v.problems = append(v.problems, msg)
}

// reportProblems fails the test with the problems errorf recorded.
func (v *vm) reportProblems() {
	if len(v.problems) > 0 {
		v.t.Errorf("%s%s", strings.Join(v.problems, "\n"), v.tail())
		v.problems = nil
	}
}

// firstLine cuts an error from the qemu package before the log tail it
// carries (ours is longer).
func firstLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}

// expect waits (timeout is scaled) for the serial output after the
// previous match to match re.
func (v *vm) expect(re *regexp.Regexp, timeout time.Duration) []string {
	v.t.Helper()
	d := budget(v.t, timeout)
	m, err := v.s.Expect(re, d)
	if err != nil {
		v.fatalf("waiting %v for the serial output to match %q: %s", d, re, firstLine(err))
	}
	return m
}

// wait waits (timeout is scaled) for QEMU to exit and returns its status.
// A timeout kills QEMU and fails the test.
func (v *vm) wait(timeout time.Duration) int {
	v.t.Helper()
	d := budget(v.t, timeout)
	code, err := v.s.Wait(d)
	if err != nil {
		v.fatalf("waiting %v for QEMU to exit: %s", d, firstLine(err))
	}
	v.t.Logf("QEMU exited with status %s", explainStatus(code))
	return code
}

// write sends p to the serial input; if the guest stops reading (QEMU's
// pipe stays full) for 30s (scaled), QEMU is killed and the test fails
// rather than hang.
func (v *vm) write(p []byte) {
	v.t.Helper()
	done := make(chan error, 1)
	go func() {
		_, err := v.s.Write(p)
		done <- err
	}()
	d := scaled(30 * time.Second)
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case err := <-done:
		if err != nil {
			v.fatalf("writing %q to the serial console: %v", p, err)
		}
	case <-timer.C:
		v.s.Kill()
		<-done
		v.fatalf("writing to the serial console blocked for %v: the guest does not read its serial input (hung?); QEMU was killed", d)
	}
}

// send types s slowly, as a person at a terminal would: chunks of at most
// 16 bytes (one 16550 FIFO) with ~2 ms between them.
func (v *vm) send(s string) {
	v.t.Helper()
	v.sendBytes([]byte(s))
}

func (v *vm) sendBytes(b []byte) {
	v.t.Helper()
	const chunk = 16
	for len(b) > 0 {
		n := min(chunk, len(b))
		v.write(b[:n])
		b = b[n:]
		if len(b) > 0 {
			time.Sleep(2 * time.Millisecond)
		}
	}
}

var (
	promptRE = regexp.MustCompile(regexp.QuoteMeta(prompt))
	// upToPrompt captures everything up to the next prompt.
	upToPrompt = regexp.MustCompile(`(?s)(.*?)` + regexp.QuoteMeta(prompt))
	ansiRE     = regexp.MustCompile("\x1b\\[[0-9;?]*[ -/]*[@-~]")
)

// waitPrompt waits (timeout scaled) for the shell prompt. It does not
// insist that the prompt is the last output: an asynchronous kernel log
// line right after it must not make the test miss it.
func (v *vm) waitPrompt(timeout time.Duration) {
	v.t.Helper()
	v.expect(promptRE, timeout)
}

// command types cmd and Enter (\r, as a terminal does), waits for the next
// prompt and returns the output lines in between, without the echo of the
// command line and without ANSI escape sequences.
func (v *vm) command(cmd string, timeout time.Duration) []string {
	v.t.Helper()
	v.send(cmd + "\r")
	m := v.expect(upToPrompt, timeout)
	var out []string
	for i, l := range splitLines(ansiRE.ReplaceAllString(m[1], "")) {
		l = strings.TrimRight(l, " \t")
		if i == 0 && strings.HasSuffix(l, cmd) {
			continue // the shell's echo of what we typed
		}
		out = append(out, l)
	}
	if cmd == "help" || strings.HasPrefix(cmd, "help ") {
		// The help text describes the crash command ("... to see an
		// oops"): its lines are not crash reports, here or later.
		for _, l := range out {
			v.benign[l] = true
		}
	}
	if bad := v.crashLines(out, false); len(bad) > 0 {
		v.fatalf("command %q crashed the kernel:\n%s", cmd, strings.Join(bad, "\n"))
	}
	return out
}

// Crash markers on the console. "oops" must be a word of its own so that
// "loops" is not a crash.
var (
	oopsRE = regexp.MustCompile(`(?i)\boops\b`)
	// A Go crash, or mm.Destroy's report of page tables still loaded
	// (which would have been a silent triple fault without its check).
	goCrashRE    = regexp.MustCompile(`panic:|fatal error:|still had its page tables`)
	ktapishRE    = regexp.MustCompile(`^\s*(#|ok \d|not ok \d)`)
	ktapDirRE    = regexp.MustCompile(`(?i)^(TODO|XFAIL)\b`)
	mnemonicRE   = regexp.MustCompile(`(?i)\b(mov\w*|lea[lqw]?|add\w*|sub\w*|cmp\w*|test[bwlq]?|call[lq]?|jmp[lq]?|j(a|ae|b|be|c|e|g|ge|l|le|na|nae|nb|nbe|nc|ne|ng|nge|nl|nle|no|np|ns|nz|o|p|pe|po|s|z|cxz|ecxz|rcxz)|ret[lqf]?|push\w*|pop\w*|xor\w*|and[bwlq]?|or[bwlq]?|inc[bwlq]?|dec[bwlq]?|neg[bwlq]?|not[bwlq]?|ud2|int3?|hlt|nop\w*|xchg\w*|cmpxchg\w*|i?div\w*|i?mul\w*|sh[lr]\w*|sa[lr]\w*|set\w+|cmov\w+|cli|sti|rdmsr|wrmsr|rdtsc|cpuid|in[bwl]|out[bwl]|stos\w*|lods\w*|rep\w*|lock|pause|syscall|sysret\w*|iret\w*|leave[lq]?|enter)\b`)
	disasmAddrRE = regexp.MustCompile(`^\s*(=>\s*)?(0x)?[0-9a-fA-F]{6,16}\b`)
	goSymbolRE   = regexp.MustCompile(`[A-Za-z_][\w/.-]*\.[\w.*()\[\]-]+`)
	suiteLineRE  = regexp.MustCompile(`^suite: (\S+)`)
)

// crashLines returns the lines that say the kernel crashed: an oops (unless
// oopsOK), a Go panic or fatal error. KTAP lines (test names and
// diagnostics) and lines marked benign do not count.
func (v *vm) crashLines(lines []string, oopsOK bool) []string {
	var bad []string
	for _, l := range lines {
		if v.benign[l] || ktapishRE.MatchString(l) {
			continue
		}
		if goCrashRE.MatchString(l) || (!oopsOK && oopsRE.MatchString(l)) {
			bad = append(bad, l)
		}
	}
	return bad
}

// checkNoCrash fails the test if the whole serial log shows a crash.
func (v *vm) checkNoCrash() {
	v.t.Helper()
	if bad := v.crashLines(v.lines(), false); len(bad) > 0 {
		v.fatalf("the kernel crashed (lines with oops / panic: / fatal error:):\n%s", sanitize(strings.Join(bad, "\n")))
	}
}
