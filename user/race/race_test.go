package main

import (
	"bufio"
	"bytes"
	"os"
	"regexp"
	"strings"
	"testing"
)

// With asMainEnv set, the test binary is race itself: the run test's
// children (re-executions of os.Executable) take this path.
const asMainEnv = "RETRACT_RACE_TEST_AS_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(asMainEnv) != "" {
		main()
		return
	}
	os.Exit(m.Run())
}

func TestFlags(t *testing.T) {
	var errb bytes.Buffer
	c, err := parseFlags(nil, &errb)
	if err != nil || c.workers != 0 || c.seconds != 10 || c.file != "memfd" || c.regions != 16 || c.seedSet || c.role != "" {
		t.Errorf("defaults: %+v %v", c, err)
	}
	c, err = parseFlags([]string{"-seed", "0", "-workers", "3", "-file", "tmp"}, &errb)
	if err != nil || !c.seedSet || c.seed != 0 || c.workers != 3 || c.file != "tmp" {
		t.Errorf("%+v %v", c, err)
	}
	for _, bad := range [][]string{{"-workers", "65"}, {"-seconds", "0"}, {"-file", "disk"}, {"-regions", "0"}, {"stray"}} {
		if _, err := parseFlags(bad, &errb); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	// What the parent passes, the child parses back.
	c = config{workers: 2, seconds: 1.5, regions: 4, seed: 9}
	back, err := parseFlags(c.childArgs("worker", 1, 3), &errb)
	if err != nil || back.role != "worker" || back.index != 1 || back.cpu != 3 || back.workers != 2 || back.regions != 4 || back.seed != 9 || back.seconds != 1.5 {
		t.Errorf("child flags: %+v %v", back, err)
	}
}

func TestLayout(t *testing.T) {
	if wEpoch >= 8 || wCollapserReady < 16 || wErrno+256 > wWorker || slot(maxWorkers) > dataOffset/8 {
		t.Error("control words overlap")
	}
	if fDone >= 8 {
		t.Error("a worker slot is more than a cache line")
	}
	if maxWorkers*8 > pageSize {
		t.Error("worker words do not fit in a page")
	}
}

func TestVmstat(t *testing.T) {
	before := parseVmstat(bufio.NewScanner(strings.NewReader("nr_free_pages 10\nthp_collapse_alloc 5\npt_retracted 1\n")))
	after := parseVmstat(bufio.NewScanner(strings.NewReader("nr_free_pages 3\nthp_collapse_alloc 9\npt_retracted 4\npt_uaf_caught 0\nbogus\n")))
	got := vmstatDelta(before, after)
	want := []counter{{"pt_retracted", 3}, {"pt_uaf_caught", 0}, {"thp_collapse_alloc", 4}}
	if len(got) != len(want) {
		t.Fatalf("%v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("%v, want %v", got, want)
		}
	}
}

func TestVerdict(t *testing.T) {
	linux := result{collapsesOK: 5, haveVmstat: true, vmstat: []counter{{"thp_collapse_alloc", 5}}}
	retract := result{collapsesOK: 5, haveVmstat: true, vmstat: []counter{
		{"pt_retracted", 7}, {"pt_freed_rcu", 7}, {"pt_retract_retries", 2}, {"pt_uaf_caught", 0}}}
	bug := retract
	bug.vmstat = []counter{{"pt_freed_unsafe", 7}, {"pt_uaf_caught", 3}}
	withErrors := bug
	withErrors.dataErrors = 1
	dead := linux
	dead.problems = []string{"the worker 0: signal: segmentation fault"}
	none := result{collapsesFailed: 4, errnos: map[string]uint64{"EINVAL": 4}}
	cases := []struct {
		r         result
		expectBug bool
		prefix    string
		code      int
	}{
		{linux, false, "race: OK: 5 collapses, no data errors (this kernel exports no pt_ counters", 0},
		{retract, false, "race: OK: 5 collapses, 7 tables retracted, 7 freed after a grace period, 2 faults retried", 0},
		{bug, false, "race: BUG SHOWN: 3 use-after-free caught", 3},
		{bug, true, "race: BUG SHOWN: 3 use-after-free caught", 0},
		{retract, true, "race: FAILED: -expect-bug, but no use-after-free", 1},
		{linux, true, "race: FAILED: -expect-bug, but this kernel exports no pt_ counters", 1},
		{withErrors, true, "race: FAILED: 1 data errors", 1},
		{dead, false, "race: FAILED: the worker 0: signal", 1},
		{none, false, "race: FAILED: no collapse succeeded (EINVAL 4)", 1},
	}
	for _, c := range cases {
		line, code := c.r.verdict(c.expectBug)
		if !strings.HasPrefix(line, c.prefix) || code != c.code {
			t.Errorf("got %q, %d; want %q..., %d", line, code, c.prefix, c.code)
		}
	}
}

func TestLines(t *testing.T) {
	r := result{accesses: 10, faults: 4, haveFaults: true, collapsesOK: 1, collapsesFailed: 2, collapseNanos: 3000,
		errnos: map[string]uint64{"EINVAL": 1, "EAGAIN": 1}, haveVmstat: true, vmstat: []counter{{"thp_file_mapped", -1}}}
	nameValue := regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_]* -?[0-9.]+$`)
	var names []string
	for _, l := range r.lines() {
		if !nameValue.MatchString(l) {
			t.Errorf("%q is not a name-value line", l)
		}
		names = append(names, strings.Fields(l)[0])
	}
	want := "seconds accesses faults collapses_ok collapses_failed collapses_failed_EAGAIN collapses_failed_EINVAL collapse_us rounds resets data_errors thp_file_mapped"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("names:\n%s\nwant\n%s", got, want)
	}
}

// A short run on the host kernel: the workers and the collapser are this
// test binary again. Collapses need shmem MADV_COLLAPSE (Linux 6.1);
// where it fails, the verdict says so and the test only checks the rest.
func TestRunOnHost(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	if _, err := os.Stat("/proc/self/exe"); err != nil {
		t.Skip("no /proc/self/exe to re-execute")
	}
	t.Setenv(asMainEnv, "1")
	var out, errb bytes.Buffer
	// One region: a reset every round, so the stop often lands in one.
	code := run([]string{"-seconds", "1", "-regions", "1", "-workers", "1", "-seed", "1", "-quiet"}, &out, &errb)
	text := out.String()
	t.Logf("status %d\n%s%s", code, text, errb.String())
	for _, want := range []string{"\nfaults ", "\ncollapses_ok ", "\nrounds ", "\ndata_errors 0\n"} {
		if !strings.Contains(text, want) {
			t.Errorf("no %q in the output", strings.TrimSpace(want))
		}
	}
	switch {
	case strings.Contains(text, "race: OK"):
		if code != 0 {
			t.Errorf("OK with status %d", code)
		}
	case strings.Contains(text, "race: FAILED: no collapse succeeded"):
		t.Logf("this kernel does not collapse shmem: %s", text)
	default:
		t.Errorf("status %d, verdict missing or failed", code)
	}
}
