//go:build linux

// Tests of what a user types at the shell: lines the shell must refuse
// rather than guess at, and arguments the commands must check.

package tests

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestShellInput: over-long and non-ASCII lines are refused, not run cut
// or changed; mm checks whole ranges, alignment and overlaps; stress
// checks CPUS and names its seed; test checks suite names before it
// prints any KTAP; cpus= beyond the machine is reported; and an error
// that already names its command is not prefixed twice.
func TestShellInput(t *testing.T) {
	v := bootShellCPUs(t, "cpus=4 seed=12345", 2)
	if !anyLine(v.lines(), regexp.MustCompile(`^cmdline: cpus=4: only 2 CPUs in the MADT; starting 2$`)) {
		v.errorf("cpus=4 on a 2-CPU machine was not reported")
	}

	check := func(cmd string, want ...string) []string {
		t.Helper()
		out := v.command(cmd, cmdTimeout)
		for _, w := range want {
			if !anyLine(out, regexp.MustCompile(w)) {
				v.errorf("%.60q printed %q, want a line matching %q", cmd, out, w)
			}
		}
		return out
	}

	out := check("echo "+strings.Repeat("a", 300), `^line too long \(max 256 bytes\); not run$`)
	if anyLine(out, regexp.MustCompile(`^a+$`)) {
		v.errorf("the over-long echo line ran cut: %q", out)
	}
	out = check("echo h\xc3\xa9llo", `^non-ASCII byte 0xc3: the shell takes ASCII only; line not run$`)
	if anyLine(out, regexp.MustCompile(`^hl*o$`)) {
		v.errorf("the non-ASCII echo line ran without its non-ASCII bytes: %q", out)
	}

	check("mm new", `^mm 1: PML4 \(pgd\) at 0x`)
	check("mm map 1 0x7fffffffe000 16 rw", `^mm: 0x7fffffffe000 \+ 16 pages ends at 0x80000000e000, past the end of user space 0x7ffffffff000$`)
	check("mm map 1 0x7ffffffff000 1 rw", `^mm: 0x7ffffffff000 is not a user address: the user range is \[0x10000, 0x7ffffffff000\)$`)
	check("mm map 1 0x8000000001 1 rw", `^mm: ADDR must be page aligned \(4 KiB\): 0x8000000001$`)
	check("mm mapfile 1 0x8000000800 1", `^mm: ADDR must be page aligned \(4 KiB\): 0x8000000800$`)
	check("mm advise 1 0x8000000008 1 huge", `^mm: ADDR must be page aligned \(4 KiB\): 0x8000000008$`)
	check("fault 1 0x8000001001 w", `^fault: ADDR must be 8-byte aligned`)
	if out := v.command("mm map 1 0x8000000000 16 rw", cmdTimeout); len(out) != 0 {
		v.errorf("mm map printed %q, want nothing", out)
	}
	overlap := `^mm: \[0x8000000000, 0x8000200000\) overlaps the mapping \[0x8000000000, 0x8000010000\) of mm 1 \(see mm\): not mapped$`
	check("mm mapfile 1 0x8000000000 512", overlap)
	check("mm map 1 0x8000008000 16 r", `^mm: \[0x8000008000, 0x8000018000\) overlaps the mapping \[0x8000000000, 0x8000010000\) of mm 1 \(see mm\): not mapped$`)
	check("mm mapfile 1 0x8000200000 512")
	out = check("mm", `^  0x8000000000-0x8000010000 .* anon$`, `^  0x8000200000-0x8000400000 .* file "demo" \(2048 pages\)$`)
	if anyLine(out, regexp.MustCompile(`file file`)) {
		v.errorf("mm names the file twice: %q", out)
	}

	check("stress retract 10 1", `^stress: CPUS must be 2 to 2 \(the CPUs online\): one collapses and retracts, the others fault; the race needs two$`)
	check("stress retract 3 8", `^stress: CPUS must be 2 to 2 \(the CPUs online\)`)
	check("stress retract 1 2", `^stress retract: 1 s, seed 12345, 1 faulting address spaces and the collapser on 2 CPUs;`, `^stress retract: OK`)
	check("stress retract 1 2 77", `^stress retract: 1 s, seed 77, 1 faulting address spaces and the collapser on 2 CPUs;`, `^stress retract: OK`)

	out = check("test nosuchsuite boot", `^test: unknown suite "nosuchsuite" \(known: .*\bboot\b.*\); nothing ran$`)
	if anyLine(out, regexp.MustCompile(`KTAP|^1\.\.|^# ktest`)) {
		v.errorf("test with an unknown suite printed KTAP: %q", out)
	}

	// 254 more address spaces fill all 255 slots; the next one fails with
	// mm's own error, which already starts with "mm: ".
	v.send(strings.Repeat("mm new\r", 255))
	v.expect(regexp.MustCompile(`(?m)^mm: too many address spaces \(the shell keeps at most 255; mm destroy ID frees one\)\r?$`), 3*time.Minute)
	v.waitPrompt(cmdTimeout)
	if anyLine(v.lines(), regexp.MustCompile(`(mm|stress|test): (mm|stress|test): `)) {
		v.errorf("an error was prefixed twice")
	}
	v.checkNoCrash()
}

var (
	memFramesRE = regexp.MustCompile(`^frames: (\d+) total .*, (\d+) free .*, (\d+) used$`)
	memKindRE   = regexp.MustCompile(`^  (\w+) +(\d+) frames`)
)

// memFrames runs mem and returns the used frames in all and by kind.
func (v *vm) memFrames() (used int, kinds map[string]int) {
	v.t.Helper()
	out := v.command("mem", cmdTimeout)
	kinds = map[string]int{}
	used = -1
	for _, l := range out {
		if m := memFramesRE.FindStringSubmatch(l); m != nil {
			used, _ = strconv.Atoi(m[3])
		} else if m := memKindRE.FindStringSubmatch(l); m != nil {
			kinds[m[1]], _ = strconv.Atoi(m[2])
		}
	}
	if used < 0 || len(kinds) == 0 {
		v.fatalf("mem did not print \"frames: ... N used\" and the frames by kind:\n%q", out)
	}
	return used, kinds
}

var memUserTablesRE = regexp.MustCompile(`^page tables: (\d+) of user address spaces, \d+ of the kernel`)

// userTables is the count of user page-table frames mem prints.
func (v *vm) userTables() int {
	v.t.Helper()
	for _, l := range v.command("mem", cmdTimeout) {
		if m := memUserTablesRE.FindStringSubmatch(l); m != nil {
			n, _ := strconv.Atoi(m[1])
			return n
		}
	}
	v.fatalf("mem did not print \"page tables: N of user address spaces, ...\"")
	return 0
}

// TestFloodFrames streams 256 KiB of junk — every byte value, escape
// sequences, Ctrl-C, NULs, 0xff runs, lines far over the limit — into the
// console as fast as the guest takes it, then types mem: the shell must
// answer, and every frame must be back. Only the Go heap may have grown
// (its own frames, the page tables of its window, a few thread stacks):
// no page-cache or anonymous page, and nothing else, may be left behind.
func TestFloodFrames(t *testing.T) {
	v := bootShell(t)
	usedBefore, before := v.memFrames()
	b := garbage(256 << 10)
	start := time.Now()
	for len(b) > 0 {
		n := min(256, len(b))
		v.write(b[:n])
		b = b[n:]
		time.Sleep(time.Millisecond)
	}
	v.send("\x15\r\necho alive\r\n")
	v.expect(regexp.MustCompile(`(?m)(^|\r)alive\r?$`), 3*time.Minute)
	v.waitPrompt(cmdTimeout)
	t.Logf("flood of 256 KiB taken in %v", time.Since(start).Round(time.Millisecond))
	v.checkNoCrash()

	usedAfter, after := v.memFrames()
	for _, k := range []string{"anon", "pagecache"} {
		if after[k] != before[k] {
			v.errorf("%s frames: %d before the flood, %d after", k, before[k], after[k])
		}
	}
	heap := max(0, after["goheap"]-before["goheap"])
	limits := map[string]int{"goheap": 4096, "pagetable": 64, "kernel": 64} // 16 MiB of heap, its tables, 8 thread stacks
	for k, lim := range limits {
		if d := after[k] - before[k]; d > lim {
			v.errorf("%s frames grew by %d during the flood (limit %d)", k, d, lim)
		}
	}
	if other := usedAfter - usedBefore - heap - max(0, after["pagetable"]-before["pagetable"]) - max(0, after["kernel"]-before["kernel"]); other > 0 {
		v.errorf("%d frames used after the flood are not the Go heap's (used %d before, %d after; by kind %v, then %v)",
			other, usedBefore, usedAfter, before, after)
	}
	t.Logf("used frames %d before, %d after (Go heap %+d)", usedBefore, usedAfter, after["goheap"]-before["goheap"])
}
