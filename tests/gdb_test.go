//go:build linux

// TestGDB: the gdb helpers of tools/gdb/retract.py against a running
// kernel, through QEMU's gdbstub, as docs/debugging.md shows them.

package tests

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"retract/qemu"
)

// gdbHelpers is the script under test, relative to the repository root
// (the path `make debug` prints).
const gdbHelpers = "tools/gdb/retract.py"

// ensureGDB returns gdb's path, installing it with tools/ensure-qemu.sh
// --gdb (apt-get, as root) when it is missing; the test is skipped only
// when gdb cannot be installed.
func ensureGDB(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("gdb"); err == nil {
		return p
	}
	out, err := exec.Command(filepath.Join(repoRoot, "tools", "ensure-qemu.sh"), "--gdb").CombinedOutput()
	if p, lerr := exec.LookPath("gdb"); lerr == nil {
		return p
	}
	t.Skipf("gdb is not installed and tools/ensure-qemu.sh --gdb could not install it (%v):\n%s", err, out)
	return ""
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("finding a free port for the gdbstub: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// sleeperImage builds tests/testdata/sleeper (a static Go program that
// starts threads and sleeps) into an initramfs of its own.
func sleeperImage(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "sleeper")
	build := exec.Command("go", "build", "-o", bin, "./tests/testdata/sleeper")
	build.Dir = repoRoot
	build.Env = append(os.Environ(), "GOOS=linux", "GOARCH=amd64", "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building tests/testdata/sleeper: %v\n%s", err, out)
	}
	img := filepath.Join(dir, "sleeper.cpio.gz")
	mk := exec.Command("go", "run", "./tools/mkinitramfs", "-o", img, "-mkdir", "/dev", "-mkdir", "/tmp", "-mkdir", "/proc",
		"-mkdir", "/sys", "-add", "/bin/sleeper="+bin)
	mk.Dir = repoRoot
	if out, err := mk.CombinedOutput(); err != nil {
		t.Fatalf("mkinitramfs: %v\n%s", err, out)
	}
	return img
}

// runGDB attaches gdb in batch mode with the helpers loaded, runs each
// command and detaches; it returns each command's output lines.
func runGDB(t *testing.T, v *vm, gdb string, port int, cmds []string) map[string][]string {
	t.Helper()
	const mark = "=== rt-test: "
	args := []string{"-q", "-batch", "-nx", kernel(t), "-x", gdbHelpers, "-ex", fmt.Sprintf("target remote 127.0.0.1:%d", port)}
	for _, c := range cmds {
		args = append(args, "-ex", "echo "+mark+c+"\\n", "-ex", c)
	}
	args = append(args, "-ex", "echo "+mark+"end\\n", "-ex", "detach")
	d := budget(t, 3*time.Minute)
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	cmd := exec.CommandContext(ctx, gdb, args...)
	cmd.Dir = repoRoot
	cmd.WaitDelay = 5 * time.Second
	start := time.Now()
	outb, err := cmd.CombinedOutput()
	out := string(outb)
	t.Logf("gdb ran %d commands in %v", len(cmds), time.Since(start).Round(time.Millisecond))
	if ctx.Err() != nil {
		v.fatalf("gdb did not finish within %v:\n%s", d, out)
	}
	if err != nil {
		v.fatalf("gdb failed: %v\n%s", err, out)
	}
	if strings.Contains(out, "Python Exception") || strings.Contains(out, "Error occurred in Python") {
		v.errorf("a helper raised a Python exception:\n%s", out)
	}
	sections := map[string][]string{}
	cur := ""
	for _, l := range splitLines(out) {
		if strings.HasPrefix(l, mark) {
			cur = strings.TrimPrefix(l, mark)
			continue
		}
		if cur != "" {
			sections[cur] = append(sections[cur], l)
		}
	}
	if _, ok := sections["end"]; !ok {
		v.fatalf("gdb's output does not reach the end of the commands:\n%s", out)
	}
	return sections
}

// TestGDB boots 2 CPUs with a user program, makes an address space with a
// faulted page from the shell, attaches gdb (which stops the machine) and
// checks what each helper says against what the kernel printed.
func TestGDB(t *testing.T) {
	gdb := ensureGDB(t)
	if out, err := exec.Command(gdb, "-batch", "-nx", "-ex", "python print('py' + 'thon ok')").CombinedOutput(); err != nil || !strings.Contains(string(out), "python ok") {
		t.Fatalf("%s cannot run Python (a gdb built without it, like Debian's gdb-minimal?); the helpers need it: install package gdb\n%s", gdb, out)
	}
	img := sleeperImage(t)
	port := freePort(t)
	v := bootConfig(t, qemu.Config{Machine: envOr("MACHINE", "microvm"), CPUs: 2, MemMB: defaultMemMB, Initrd: img,
		Extra: []string{"-gdb", fmt.Sprintf("tcp:127.0.0.1:%d", port)}})
	v.waitPrompt(budget(t, 2*time.Minute))

	out := v.command("mm new", cmdTimeout)
	var pml4 string
	for _, l := range out {
		if m := regexp.MustCompile(`^mm 1: PML4 \(pgd\) at (0x[0-9a-f]+)$`).FindStringSubmatch(l); m != nil {
			pml4 = m[1]
		}
	}
	if pml4 == "" {
		v.fatalf("mm new printed %q, want mm 1 and its PML4", out)
	}
	v.command("mm map 1 0x8000000000 512 rw", cmdTimeout)
	out = v.command("fault 1 0x8000003000 w", cmdTimeout)
	var frame, ptTable uint64
	for _, l := range out {
		if m := regexp.MustCompile(`^     -> frame (0x[0-9a-f]+) \(anonymous page\)`).FindStringSubmatch(l); m != nil {
			frame, _ = strconv.ParseUint(m[1], 0, 64)
		}
		if m := regexp.MustCompile(`^PT \(pte\)\s+table (0x[0-9a-f]+) `).FindStringSubmatch(l); m != nil {
			ptTable, _ = strconv.ParseUint(m[1], 0, 64)
		}
	}
	if frame == 0 || ptTable == 0 {
		v.fatalf("fault printed %q, want the PT table and an anonymous page", out)
	}
	// An anonymous huge page: a huge PMD with a table deposited for it.
	v.command("mm map 1 0x8000400000 512 rw", cmdTimeout)
	v.command("mm advise 1 0x8000400000 512 huge", cmdTimeout)
	if out := v.command("fault 1 0x8000401000 w", cmdTimeout); !anyLine(out, regexp.MustCompile(`huge PMD: one 2 MiB page at 0x[0-9a-f]+ \(anon\)`)) {
		v.fatalf("the fault in the huge range printed %q, want a huge PMD", out)
	}
	v.send("run sleeper\r")
	pid := v.expect(regexp.MustCompile(`sleeper: ready, pid (\d+)`), budget(t, 2*time.Minute))[1]

	cmds := []string{
		"rt-cpus",
		"rt-ps",
		"rt-dmesg",
		"rt-pt-walk 0x8000003000 1",
		"rt-translate 0x8000003008 1",
		"rt-pt-walk 0x8000401000 1",
		fmt.Sprintf("rt-frame %#x", frame>>12),
		fmt.Sprintf("rt-frame -pa %#x", ptTable),
		"rt-mm",
		"rt-rcu",
		"rt-khugepaged",
		"thread 2",
		"rt-translate 0xffffffff80201000",
		"p $rt_current().tid",
		`p $rt_percpu("sched.percpu", 1).cur`,
	}
	s := runGDB(t, v, gdb, port, cmds)
	for _, c := range cmds {
		t.Logf("(gdb) %s\n%s", c, strings.Join(s[c], "\n"))
	}

	want := func(cmd string, res ...string) {
		t.Helper()
		for _, re := range res {
			if !anyLine(s[cmd], regexp.MustCompile(re)) {
				v.errorf("%s printed no line matching %q:\n%s", cmd, re, strings.Join(s[cmd], "\n"))
			}
		}
	}
	hex := func(x uint64) string { return regexp.QuoteMeta(fmt.Sprintf("%#x", x)) }

	for cpu := 0; cpu < 2; cpu++ {
		want("rt-cpus", fmt.Sprintf(`^CPU %d \(gdb thread \d+.*\): thread \d+.*, preempt count \d+, RCU nesting \d+, trap nesting \d+, IF (on|off), CR3 0x[0-9a-f]+ \(.*\), ring [03] at `, cpu))
	}
	want("rt-ps", `^kernel threads \(kernel/sched\): ([3-9]|\d\d+)$`, `^\s+\d+ (running|runnable|blocked)\s`,
		`^user processes \(kernel/proc\): 1$`,
		`^\s*`+pid+`\s+0 alive\s+sleeper\s+\d+\s+([3-9]|\d\d+): `+pid+`[RSD]`)
	want("rt-dmesg", `^retract: ready in \d+ ms; type help$`, `^mm 1: PML4 \(pgd\) at `+pml4+`$`, `^sleeper: ready, pid `+pid+`$`)

	walk := s["rt-pt-walk 0x8000003000 1"]
	want("rt-pt-walk 0x8000003000 1", `^walk of 0x8000003000 in mm 1 \(PML4 `+pml4+`\)$`,
		`^PML4 \(pgd\) table `+pml4+` \(pagetable, owner mm 1, level 4, gen \d+\) \[  1\] = 0x[0-9a-f]{16} P W U A`,
		`^PDPT \(pud\) table 0x[0-9a-f]+ \(pagetable, owner mm 1, level 3, gen \d+\) \[  0\] = 0x[0-9a-f]{16} P W U A`,
		`^PD \(pmd\)   table 0x[0-9a-f]+ \(pagetable, owner mm 1, level 2, gen \d+\) \[  0\] = 0x[0-9a-f]{16} P W U A`,
		`^PT \(pte\)   table `+hex(ptTable)+` \(pagetable, owner mm 1, level 1, gen \d+\) \[  3\] = 0x[0-9a-f]{16} P W U A D NX$`,
		`^     -> 4 KiB page at `+hex(frame)+` \(pfn `+hex(frame>>12)+`: anon, refcount 1, mapcount 1\), byte at `+hex(frame)+`$`)
	if anyLine(walk, regexp.MustCompile(`!!`)) {
		v.errorf("rt-pt-walk flagged a table of a live mm:\n%s", strings.Join(walk, "\n"))
	}
	want("rt-pt-walk 0x8000401000 1",
		`^PD \(pmd\)   table 0x[0-9a-f]+ \(pagetable, owner mm 1, level 2, gen \d+\) \[  2\] = 0x[0-9a-f]{16} P W U A D PS NX$`,
		`^     -> 2 MiB page at 0x[0-9a-f]+ \(pfn 0x[0-9a-f]+: anon, refcount 1, mapcount 1, an order-9 block\), byte at 0x[0-9a-f]+1000$`,
		`^     tables deposited on this PD for splits \(pgtable_trans_huge_deposit\): 0x[0-9a-f]+000$`)
	want("rt-translate 0x8000003008 1", `^0x8000003008 -> `+hex(frame+8)+` in mm 1 .*\(4 KiB page, entry 0x[0-9a-f]+ P W U A D NX\)$`)
	want(fmt.Sprintf("rt-frame %#x", frame>>12), `^frame `+hex(frame>>12)+` \(physical `+hex(frame)+`\): kind anon, heads an allocated block of order 0$`,
		`^  refcount 1, mapcount 1$`)
	want(fmt.Sprintf("rt-frame -pa %#x", ptTable), `^frame `+hex(ptTable>>12)+` \(physical `+hex(ptTable)+`\): kind pagetable, `,
		`^  owner mm 1, level 1, gen \d+, PTL free$`)
	want("rt-mm", `^mm 1: PML4 `+pml4+`, no process, 2 VMAs \(1024 pages\), loaded on CPUs \{[01,]*\} \(mm_cpumask\)$`,
		`^  rss anon 513 file 0 shmem 0, page tables 4; faults 2 `,
		`^  0x008000000000-0x008000200000 rw- anon\s+pgoff 0x8000000$`,
		`^  0x008000400000-0x008000600000 rw- hugepage\|anon\s+pgoff 0x8000400$`,
		`^mm \d+: PML4 0x[0-9a-f]+, pid `+pid+` \(sleeper\), \d+ VMAs`,
		`^  0x000000400000-0x[0-9a-f]+ r-x -\s+pgoff 0x0 file "sleeper" \(\d+ bytes\)$`)
	want("rt-rcu", `^RCU: mode rcu, grace periods started \d+, completed \d+ `, `^  0\s+(yes|no)\s`, `^  1\s+(yes|no)\s`)
	want("rt-khugepaged", `^khugepaged config \(mm.Khugepaged\):$`, `MaxPtesNone 511`, `^collapse stats \(mm.CollapseStat\):$`,
		`^huge page events \(mm.ThpStat\):$`)
	want("rt-translate 0xffffffff80201000", `^0xffffffff80201000 -> 0x201000 in CPU 1's CR3 `)
	want("p $rt_current().tid", `^\$\d+ = \d+$`)
	want(`p $rt_percpu("sched.percpu", 1).cur`, `^\$\d+ = \d+$`)

	// gdb detached: the machine runs on.
	v.send("\x03")
	v.waitPrompt(cmdTimeout)
	if out := v.command("echo still here", cmdTimeout); !anyLine(out, regexp.MustCompile(`^still here$`)) {
		v.errorf("after gdb detached, echo printed %q", out)
	}
	v.checkNoCrash()
}
