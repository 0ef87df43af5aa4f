//go:build linux

// Tests that run user programs in ring 3: static Go, glibc and musl
// programs from the initramfs (user/), as PID 1 (init=) or from the shell.

package tests

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"retract/qemu"
)

var (
	initramfsOnce sync.Once
	initramfsPath string
	initramfsErr  error
)

// initramfs returns the image of user/ programs: $RETRACT_INITRAMFS, or
// build/initramfs.cpio made by `make -C <repo> initramfs` (once).
func initramfs(t *testing.T) string {
	t.Helper()
	initramfsOnce.Do(func() {
		if p := os.Getenv("RETRACT_INITRAMFS"); p != "" {
			if !filepath.IsAbs(p) {
				p = filepath.Join(repoRoot, p)
			}
			initramfsPath, initramfsErr = p, nil
			if _, err := os.Stat(p); err != nil {
				initramfsErr = fmt.Errorf("RETRACT_INITRAMFS: %v", err)
			}
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), scaled(20*time.Minute))
		defer cancel()
		cmd := exec.CommandContext(ctx, "make", "-C", repoRoot, "initramfs")
		out, err := cmd.CombinedOutput()
		if err != nil {
			initramfsErr = fmt.Errorf("`make -C %s initramfs` failed: %v\n%s", repoRoot, err, lastLines(string(out), 30))
			return
		}
		initramfsPath = filepath.Join(repoRoot, "build", "initramfs.cpio")
	})
	if initramfsErr != nil {
		t.Fatal(initramfsErr)
	}
	return initramfsPath
}

// bootProgram boots with the initramfs and runs prog as PID 1 with args.
func bootProgram(t *testing.T, prog string, args []string, extra string, cpus, memMB int) *vm {
	t.Helper()
	app := strings.TrimSpace("init=" + prog + " " + extra)
	if len(args) > 0 {
		app += " -- " + strings.Join(args, " ")
	}
	return bootConfig(t, qemu.Config{Machine: envOr("MACHINE", "microvm"), CPUs: cpus, MemMB: memMB, Append: app, Initrd: initramfs(t)})
}

// programStatus waits for an init= run to end and returns the program's
// exit status as a shell would report it (qemu.InitStatus).
func (v *vm) programStatus(timeout time.Duration) int {
	code := v.wait(timeout)
	st, msg := qemu.InitStatus(code)
	v.t.Logf("QEMU exited %d: %s", code, msg)
	v.checkUserMemoryGone()
	return st
}

var (
	initExitedLine = regexp.MustCompile(`^init: /\S+ (exit status \d+|killed by )`)
	leftoversLine  = regexp.MustCompile(`^init: user memory left: (\d+) address spaces, (\d+) anonymous pages, (\d+) page tables$`)
)

// checkUserMemoryGone: once init exited, the kernel says what is left of
// user memory — every address space, anonymous page and user page table
// must be gone (no frame leaked by any program of the run).
func (v *vm) checkUserMemoryGone() {
	if !anyLine(v.lines(), initExitedLine) {
		return // init did not run or did not exit (an oops, a refused program)
	}
	for _, l := range v.lines() {
		if m := leftoversLine.FindStringSubmatch(l); m != nil {
			if m[1] != "0" || m[2] != "0" || m[3] != "0" {
				v.errorf("user memory leaked: %s", l)
			}
			return
		}
	}
	v.errorf("init exited but the kernel printed no \"init: user memory left\" line")
}

// TestUserGo runs a static Go program (user/gohello: goroutines on every
// CPU, channels, timers, files, os/exec, signals, the GC) as PID 1 on 1
// and 2 CPUs: every check passes and the exit status comes out.
func TestUserGo(t *testing.T) {
	for _, cpus := range []int{1, 2} {
		t.Run(fmt.Sprintf("cpus=%d", cpus), func(t *testing.T) {
			v := bootProgram(t, "/bin/gohello", nil, "", cpus, defaultMemMB)
			if st := v.programStatus(budget(t, 5*time.Minute)); st != 0 {
				v.fatalf("gohello ended with status %d, want 0", st)
			}
			v.checkNoCrash()
			if !anyLine(v.lines(), regexp.MustCompile(`^\d+ passed, 0 failed`)) {
				v.errorf("no \"N passed, 0 failed\" line from gohello")
			}
		})
	}
}

// TestUserPrograms runs every test program of user/tests.list (C programs
// built with glibc and with musl, Go programs, the race) through runtests
// as PID 1: each one's checks pass, and so does the run.
func TestUserPrograms(t *testing.T) {
	v := bootProgram(t, "/bin/runtests", nil, "debug=locks,poison", 2, 768)
	st := v.programStatus(budget(t, 25*time.Minute))
	v.checkNoCrash()
	v.checkLockOrder()
	if anyLine(v.lines(), regexp.MustCompile(`^retract: lockdep: [1-9]\d* unexpected`)) {
		v.errorf("the lock validator reported problems")
	}
	var failed []string
	for _, l := range v.lines() {
		if strings.HasPrefix(l, "FAIL ") || strings.HasPrefix(l, "--- ") && strings.Contains(l, "FAILED") {
			failed = append(failed, l)
		}
	}
	if len(failed) > 0 {
		v.errorf("failures:\n  %s", strings.Join(failed, "\n  "))
	}
	if st != 0 {
		v.fatalf("runtests ended with status %d, want 0", st)
	}
	if !anyLine(v.lines(), regexp.MustCompile(`^runtests: \d+ programs, 0 failed`)) {
		v.errorf("no \"runtests: N programs, 0 failed\" line")
	}
}

// TestUserExitStatus: the program's status reaches QEMU's exit status —
// a normal exit, a death by signal (with Linux's segfault line), and a
// program that does not exist (127, with a message, nothing left running).
func TestUserExitStatus(t *testing.T) {
	cases := []struct {
		name, prog string
		args       []string
		want       int
		line       *regexp.Regexp
	}{
		{"exit2", "/bin/badinst", []string{"nosuchcase"}, 2, regexp.MustCompile(`usage: badinst`)},
		{"segfault", "/bin/badinst", []string{"kread"}, 128 + 11, regexp.MustCompile(`badinst\[1\]: segfault at ffffffff80200000 ip [0-9a-f]{16} sp [0-9a-f]{16} error 5 in /bin/badinst`)},
		{"missing", "/bin/nonexistent", nil, 127, regexp.MustCompile(`init: cannot run /bin/nonexistent: ENOENT`)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := bootProgram(t, c.prog, c.args, "", 1, defaultMemMB)
			st := v.programStatus(budget(t, 3*time.Minute))
			v.checkNoCrash()
			if st != c.want {
				v.errorf("status %d, want %d", st, c.want)
			}
			if !anyLine(v.lines(), c.line) {
				v.errorf("no line matching %q", c.line)
			}
		})
	}
}

// TestShellRun: the shell's run starts a program in the foreground, ps
// lists processes, and after the program ends no user memory is left.
func TestShellRun(t *testing.T) {
	v := bootConfig(t, qemu.Config{Machine: envOr("MACHINE", "microvm"), CPUs: 2, MemMB: defaultMemMB, Initrd: initramfs(t)})
	v.waitPrompt(budget(t, 2*time.Minute))
	v.send("run gohello\r")
	v.expect(regexp.MustCompile(`gohello: exit status 0`), budget(t, 5*time.Minute))
	v.send("run nonexistent\r")
	v.expect(regexp.MustCompile(`run: /bin/nonexistent: ENOENT`), cmdTimeout)
	v.send("ps\r")
	m := v.expect(regexp.MustCompile(`(\d+) processes, (\d+) threads`), cmdTimeout)
	if n, _ := strconv.Atoi(m[1]); n != 0 {
		v.errorf("ps: %s processes after the programs ended, want 0", m[1])
	}
	v.send("ps\r")
	m = v.expect(regexp.MustCompile(`user memory: (\d+) anonymous pages, (\d+) page tables`), cmdTimeout)
	if m[1] != "0" || m[2] != "0" {
		v.errorf("user memory left after every program ended: %s anonymous pages, %s page tables", m[1], m[2])
	}
	v.checkNoCrash()
}

// busyboxScript runs in busybox's sh: pipes, subshells, loops, command
// substitution and several applets; each echo is checked.
const busyboxScript = `set -e
cd /tmp
echo hello world > a.txt
cat a.txt | wc -c
dd if=/dev/zero bs=4096 count=16 2>/dev/null | sha256sum
echo one two three | tr ' ' '\n' | sort -r | head -n 1
seq 1 1000 | awk '{ s += $1 } END { print "sum", s }'
x=$(echo sub; echo shell); echo "got $x"
for i in 1 2 3; do echo "loop $i"; done | tail -n 1
ls /bin | grep -c busybox
(exit 7) || echo "status $?"
echo busybox done
`

// TestBusybox runs Debian's busybox-static — a real program nobody here
// wrote — as PID 1: its shell runs a script with pipes and applets.
func TestBusybox(t *testing.T) {
	if out, err := exec.Command(filepath.Join(repoRoot, "tools", "ensure-busybox.sh")).CombinedOutput(); err != nil {
		t.Fatalf("busybox-static is needed: %v\n%s", err, out)
	}
	dir := t.TempDir()
	script := filepath.Join(dir, "test.sh")
	if err := os.WriteFile(script, []byte(busyboxScript), 0o755); err != nil {
		t.Fatal(err)
	}
	img := filepath.Join(dir, "busybox.cpio.gz")
	args := []string{"run", "./tools/mkinitramfs", "-o", img, "-mkdir", "/dev", "-mkdir", "/tmp", "-mkdir", "/proc",
		"-add", "/bin/busybox=/bin/busybox", "-add", "/etc/test.sh=" + script}
	for _, applet := range []string{"sh", "cat", "wc", "dd", "sha256sum", "tr", "sort", "head", "tail", "seq", "awk", "ls", "grep", "echo"} {
		args = append(args, "-symlink", "/bin/"+applet+"=busybox")
	}
	cmd := exec.Command("go", args...)
	cmd.Dir = repoRoot
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("mkinitramfs: %v\n%s", err, out)
	}
	v := bootConfig(t, qemu.Config{Machine: envOr("MACHINE", "microvm"), CPUs: 2, MemMB: defaultMemMB, Initrd: img,
		Append: "init=/bin/sh -- /etc/test.sh"})
	st := v.programStatus(budget(t, 5*time.Minute))
	v.checkNoCrash()
	for _, want := range []string{
		`^12$`,
		`^de2f256064a0af797747c2b97505dc0b9f3df0de4f489eac731c23ae9ca9cc31  -$`,
		`^two$`,
		`^sum 500500$`,
		`^got sub$`, // $(...) keeps the newline between the two echoes
		`^shell$`,
		`^loop 3$`,
		`^1$`,
		`^status 7$`,
		`^busybox done$`,
	} {
		if !anyLine(v.lines(), regexp.MustCompile(want)) {
			v.errorf("no line matching %q", want)
		}
	}
	if st != 0 {
		v.errorf("busybox sh ended with status %d, want 0", st)
	}
}

// raceResult reads race's "name value" lines.
func raceResult(lines []string) map[string]int64 {
	out := map[string]int64{}
	re := regexp.MustCompile(`^([a-z_A-Z0-9]+) (-?\d+)$`)
	for _, l := range lines {
		if m := re.FindStringSubmatch(l); m != nil {
			n, _ := strconv.ParseInt(m[2], 10, 64)
			out[m[1]] = n
		}
	}
	return out
}

// TestUserRace runs the seed's race from user space (user/race: worker
// processes pinned to CPUs fault a shared memfd — a read, then a write —
// while another process collapses it with MADV_COLLAPSE). The delay point
// fault.before_pte_lock slows only the faults that write to a present
// read-only PTE and so hold their page table across a collapse; -jitter
// makes the collapses land anywhere in the workers' cycle. With RCU the
// data is intact, tables were retracted and freed after grace periods,
// and faults retried on retracted tables; with rcu=unsafe the debug check
// catches the use-after-free.
func TestUserRace(t *testing.T) {
	args := []string{"-seconds", "20", "-quiet", "-seed", "7", "-regions", "4", "-jitter", "20ms"}
	const delay = "delay=fault.before_pte_lock:20000"
	for _, cpus := range []int{2, 4} {
		t.Run(fmt.Sprintf("rcu/cpus=%d", cpus), func(t *testing.T) {
			v := bootProgram(t, "/bin/race", args, delay, cpus, 768)
			st := v.programStatus(budget(t, 10*time.Minute))
			v.checkNoCrash()
			r := raceResult(v.lines())
			t.Logf("race: %v", r)
			if st != 0 {
				v.errorf("race ended with status %d, want 0 (OK)", st)
			}
			if r["data_errors"] != 0 || r["pt_uaf_caught"] != 0 {
				v.errorf("data_errors %d, pt_uaf_caught %d: want 0 with RCU", r["data_errors"], r["pt_uaf_caught"])
			}
			if r["collapses_ok"] == 0 || r["pt_retracted"] == 0 || r["pt_freed_rcu"] == 0 {
				v.errorf("collapses_ok %d, pt_retracted %d, pt_freed_rcu %d: want each > 0", r["collapses_ok"], r["pt_retracted"], r["pt_freed_rcu"])
			}
			if r["pt_retract_retries"] == 0 {
				v.errorf("pt_retract_retries 0: no fault held a retracted table (the race did not happen)")
			}
		})
	}
	t.Run("unsafe/cpus=4", func(t *testing.T) {
		// Whether one of the retracts lands while a fault sleeps in the
		// delay point is chance (a few in 30 under TCG): run up to 2
		// minutes; -expect-bug ends the run at the first catch.
		uargs := append(append([]string{"-expect-bug"}, args...), "-seconds", "120")
		v := bootProgram(t, "/bin/race", uargs, "rcu=unsafe "+delay, 4, 768)
		st := v.programStatus(budget(t, 10*time.Minute))
		r := raceResult(v.lines())
		t.Logf("race: %v", r)
		if r["pt_uaf_caught"] == 0 {
			v.errorf("pt_uaf_caught 0 with rcu=unsafe: the bug was not shown")
		}
		if !anyLine(v.lines(), regexp.MustCompile(`mm: VIOLATION`)) {
			v.errorf("no VIOLATION report on the console")
		}
		if st != 0 {
			v.errorf("race -expect-bug ended with status %d, want 0 (BUG SHOWN)", st)
		}
	})
}
