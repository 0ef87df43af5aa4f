package tests

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"testing"
	"time"
)

// TestRetract runs the khugepaged suite, a short retract suite (3 s per
// case) and the trace suite on 2 and 4 CPUs: collapse correctness, then
// faults against retract with RCU freeing (no violation, retries on
// retracted tables) and with unsafe freeing (violations detected), then
// the tracer and a deliberate retract → retry race in its dump.
//
// The seed (the workers' choices, the khugepaged suite's random
// operations) is new every run, or RETRACT_SEED; the boot line in the log
// shows it, so a failure can be replayed.
func TestRetract(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("RETRACT_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 0, 64)
		if err != nil {
			t.Fatalf("RETRACT_SEED=%q: %v", s, err)
		}
		seed = n
	}
	for i, cpus := range []int{2, 4} {
		t.Run(fmt.Sprintf("cpus=%d", cpus), func(t *testing.T) {
			t.Logf("seed=%d (RETRACT_SEED=%d replays this run)", seed+uint64(i), seed)
			v := boot(t, fmt.Sprintf("test=khugepaged,retract,trace torture=3 seed=%d", seed+uint64(i)), cpus)
			v.runSuites("khugepaged", "retract", "trace")
		})
	}
}

// TestFork runs the fork and mmap suites on 2 and 4 CPUs: copy on write
// racing on every CPU, forks while the parent's threads fault and while
// khugepaged and file collapses run, mremap racing faults. The seed (the
// threads' choices) is new every run, or FORK_SEED; the log shows it.
func TestFork(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("FORK_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 0, 64)
		if err != nil {
			t.Fatalf("FORK_SEED=%q: %v", s, err)
		}
		seed = n
	}
	for i, cpus := range []int{2, 4} {
		t.Run(fmt.Sprintf("cpus=%d", cpus), func(t *testing.T) {
			t.Logf("seed=%d (FORK_SEED=%d replays this run)", seed+uint64(i), seed)
			v := boot(t, fmt.Sprintf("test=fork,mmap seed=%d", seed+uint64(i)), cpus)
			v.runSuites("fork", "mmap")
		})
	}
}

// TestShellRetract drives the retract recipe of docs/retract.md from the
// shell: map the demo file in two address spaces, fault pages in, collapse
// (retracting both tables), watch the next fault map one huge PMD, switch
// the unsafe mode and the delay points, run a short stress — and get clear
// errors for bad input.
func TestShellRetract(t *testing.T) {
	v := bootShellCPUs(t, "", 2)
	const a = "0x8000000000"
	for _, cmd := range []string{"mm new", "mm new", "mm mapfile 1 " + a + " 512", "mm mapfile 2 " + a + " 512"} {
		v.command(cmd, cmdTimeout)
	}
	v.command("fault 1 0x8000003000 w", cmdTimeout)
	if out := v.command("fault 2 0x8000005000 r", cmdTimeout); !anyLine(out, regexp.MustCompile(`^PT .*page-cache page|^     -> frame .*page-cache page`)) {
		v.errorf("a read fault of the shared file should map a page-cache page by a PTE; got %q", out)
	}
	if out := v.command("collapse 1 "+a, cmdTimeout); !anyLine(out, regexp.MustCompile(`^collapse: mm 1 0x8000000000: MadviseCollapse \(madvise_collapse\) → File.Collapse \(collapse_file\)$`)) ||
		!anyLine(out, regexp.MustCompile(`^collapse: SCAN_SUCCEED: pages 0-511 of file "demo" \(\d+ holes\) copied into one huge page in the page cache; 2 page tables retracted; mm 1 maps it with one PMD at once \(set_huge_pmd: madvise_collapse maps its caller's range\)$`)) ||
		!anyLine(out, regexp.MustCompile(`^retract: mm 1 pmd 0x8000000000: retractTable → PteFreeDefer \(retract_page_tables → pte_free_defer\): table 0x[0-9a-f]+ freed after GP [1-9]\d*$`)) ||
		!anyLine(out, regexp.MustCompile(`^retract: mm 2 pmd 0x8000000000: retractTable → PteFreeDefer`)) {
		v.errorf("collapse printed %q, want a file collapse (collapse_file) that retracted 2 tables, each named with its grace period", out)
	}
	if out := v.command("pt walk 1 0x8000003000", cmdTimeout); !anyLine(out, regexp.MustCompile(`huge PMD: one 2 MiB page`)) {
		v.errorf("the caller of the collapse should map the huge page with one PMD at once; pt walk printed %q", out)
	}
	if out := v.command("pt walk 2 0x8000003000", cmdTimeout); !anyLine(out, regexp.MustCompile(`^PD .* = 0x0+\s*$`)) {
		v.errorf("after retract mm 2's PD entry should be empty; pt walk printed %q", out)
	}
	out := v.command("fault 2 0x8000003000 r", cmdTimeout)
	if !anyLine(out, regexp.MustCompile(`createHugePMD \(do_set_pmd\)`)) || !anyLine(out, regexp.MustCompile(`huge PMD: one 2 MiB page`)) || !anyLine(out, regexp.MustCompile(`^read 0x5a5a5a5a$`)) {
		v.errorf("mm 2's next fault should map the huge page with one PMD and read the value mm 1 wrote before the collapse; got %q", out)
	}
	if out := v.command("retract stats", cmdTimeout); !anyLine(out, regexp.MustCompile(`^  tables retracted +2 \(retract_page_tables\),`)) || !anyLine(out, regexp.MustCompile(`^retract: RCU`)) {
		v.errorf("retract stats printed %q", out)
	}
	if out := v.command("retract unsafe on", cmdTimeout); !anyLine(out, regexp.MustCompile(`^retract: UNSAFE: .*freed right after the TLB flush \(retract unsafe on\)`)) {
		v.errorf("retract unsafe on printed %q", out)
	}
	if out := v.command("retract stats", cmdTimeout); !anyLine(out, regexp.MustCompile(`^retract: UNSAFE`)) {
		v.errorf("retract stats after unsafe on printed %q", out)
	}
	v.command("retract unsafe off", cmdTimeout)
	v.command("delay fault.after_pte_offset_map 250", cmdTimeout)
	if out := v.command("delay", cmdTimeout); !anyLine(out, regexp.MustCompile(`^fault.after_pte_offset_map +250 µs`)) {
		v.errorf("delay printed %q", out)
	}
	v.command("delay fault.after_pte_offset_map 0", cmdTimeout)
	if out := v.command("khugepaged stats", cmdTimeout); !anyLine(out, regexp.MustCompile(`^khugepaged off: sleep \d+ ms`)) ||
		!anyLine(out, regexp.MustCompile(`collapsed: anon 0 \(collapse_huge_page\), file 1 \(collapse_file\)`)) || !anyLine(out, regexp.MustCompile(`^  results: SCAN_SUCCEED 2$`)) { // collapse_file, then set_huge_pmd in the caller
		v.errorf("khugepaged stats printed %q", out)
	}
	if out := v.command("stress retract 2 2", 5*time.Minute); !anyLine(out, regexp.MustCompile(`^stress retract: OK`)) ||
		!anyLine(out, regexp.MustCompile(`^  violations +0$`)) || !anyLine(out, regexp.MustCompile(`^  accesses +\d+ \(\d+ reads, \d+ writes\): 0 data errors, 0 access errors$`)) {
		v.errorf("stress retract printed %q", out)
	}
	for cmd, want := range map[string]string{
		"delay nosuch 5":                     `unknown delay point "nosuch"`,
		"delay fault.after_pte_offset_map x": `not a number of microseconds`,
		"collapse 1 0x9000000000":            `not inside one mapping`,
		"retract sideways":                   `usage: retract`,
		"khugepaged set max_ptes_none 600":   `max_ptes_none: 0 to 511`,
		"khugepaged set max_ptes_shared 999": `max_ptes_shared: 0 to 511`,
		"stress retract 0":                   `SECONDS must be 1 to 86400`,
		"mm mapfile 1 0x9000000000 5000":     `PAGES must be 1 to 2048`,
	} {
		if out := v.command(cmd, cmdTimeout); !anyLine(out, regexp.MustCompile(want)) {
			v.errorf("%s printed %q, want a line matching %q", cmd, out, want)
		}
	}
}

// TestUnsafeCmdline boots with rcu=unsafe and a fault-side delay from the
// command line: a stress run must detect the use-after-free (and say so).
func TestUnsafeCmdline(t *testing.T) {
	v := bootShellCPUs(t, "rcu=unsafe delay=fault.after_pte_offset_map:100000,retract.after_pmd_clear:100", 2)
	if !anyLine(v.lines(), regexp.MustCompile(`delay point fault.after_pte_offset_map: 100000 µs`)) {
		v.errorf("the boot log does not confirm the delay point")
	}
	out := v.command("stress retract 5 2", 5*time.Minute)
	if !anyLine(out, regexp.MustCompile(`^  freed +0 after a grace period \(pte_free_defer\), [1-9]\d* at once$`)) ||
		!anyLine(out, regexp.MustCompile(`^  violations +[1-9]\d*$`)) ||
		!anyLine(out, regexp.MustCompile(`^stress retract: UNSAFE: .*rcu=unsafe`)) ||
		!anyLine(out, regexp.MustCompile(`^stress retract: BUG SHOWN: [1-9]\d* use-after-free violations caught`)) {
		v.errorf("stress retract with rcu=unsafe should detect violations and say so; printed %q", out)
	}
	if !anyLine(v.lines(), regexp.MustCompile(`^mm:   retract side: CPU \d retracted it from mm \d+ .* freed it at once \(rcu=unsafe`)) {
		v.errorf("the violation report should tell the retract side's story")
	}
	// One source of truth for the mode: retract's own switch cannot undo
	// RCU's unsafe mode, and nothing may claim it did.
	if out := v.command("retract unsafe off", cmdTimeout); !anyLine(out, regexp.MustCompile(`^retract: UNSAFE: .*rcu=unsafe`)) ||
		!anyLine(out, regexp.MustCompile(`RCU itself has no grace periods`)) {
		v.errorf("retract unsafe off under rcu=unsafe printed %q; it must say tables are still freed at once", out)
	}
	if out := v.command("retract stats", cmdTimeout); !anyLine(out, regexp.MustCompile(`^retract: UNSAFE`)) {
		v.errorf("retract stats under rcu=unsafe printed %q", out)
	}
	if out := v.command("rcu mode rcu", cmdTimeout); !anyLine(out, regexp.MustCompile(`^rcu: mode rcu; retract: RCU: retracted tables are freed after a grace period`)) {
		v.errorf("rcu mode rcu printed %q", out)
	}
}

// TestStressOneCPU: on one CPU the race cannot happen, and stress retract
// must say so (and how to get two CPUs) instead of running and printing
// "OK" — in RCU mode and in unsafe mode.
func TestStressOneCPU(t *testing.T) {
	v := bootShellCPUs(t, "", 1)
	want := regexp.MustCompile(`^stress: needs 2 CPUs or more .*; 1 online: boot with CPUS=2`)
	if out := v.command("stress retract 2", cmdTimeout); !anyLine(out, want) {
		v.errorf("stress retract on one CPU printed %q", out)
	}
	v.command("retract unsafe on", cmdTimeout)
	if out := v.command("stress retract 2", cmdTimeout); !anyLine(out, want) {
		v.errorf("unsafe stress retract on one CPU printed %q", out)
	}
}
