package main

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
)

func TestSelectMetrics(t *testing.T) {
	all, err := selectMetrics("")
	if err != nil || len(all) != len(metrics) {
		t.Fatalf("all: %d, %v", len(all), err)
	}
	// The table's order, not the argument's; duplicates and blanks ignored.
	got, err := selectMetrics("user_null_syscall_ns, user_anon_fault_per_s,,user_null_syscall_ns")
	if err != nil || len(got) != 2 || got[0].name != "user_anon_fault_per_s" || got[1].name != "user_null_syscall_ns" {
		t.Errorf("got %v, %v", got, err)
	}
	if _, err := selectMetrics("user_null_syscall_ns,bogus"); err == nil || !strings.Contains(err.Error(), `"bogus"`) {
		t.Errorf("unknown name: %v", err)
	}
}

// Every metric's line matches what tools/bench and the Linux harness
// accept as a result line.
func TestLineFormat(t *testing.T) {
	result := regexp.MustCompile(`^[a-z][a-z0-9_]* [-+0-9.e]+ [^ ]+$`)
	for _, m := range metrics {
		for _, v := range []float64{0, 1.5, 123456789, 1e-7} {
			if l := line(m.name, v, m.unit); !result.MatchString(l) {
				t.Errorf("%q does not look like a result line", l)
			}
		}
	}
	if got := line("x", 1234567.891, "/s"); got != "x 1.23457e+06 /s" {
		t.Errorf("line = %q", got)
	}
}

func TestMetricNamesUnique(t *testing.T) {
	seen := map[string]bool{}
	for _, m := range metrics {
		if seen[m.name] || m.run == nil || m.unit == "" || m.doc == "" {
			t.Errorf("metric %q: duplicate or incomplete", m.name)
		}
		seen[m.name] = true
	}
}

func TestListAndUsage(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"-list"}, &out, &errb); code != 0 || strings.Count(out.String(), "\n") != len(metrics) {
		t.Errorf("-list: %d\n%s%s", code, out.String(), errb.String())
	}
	if code := run([]string{"-only", "nope"}, &out, &errb); code != 2 {
		t.Errorf("-only nope: status %d", code)
	}
	if code := run([]string{"stray"}, &out, &errb); code != 2 {
		t.Errorf("stray argument: status %d", code)
	}
}

const smaps = `00400000-00401000 r-xp 00000000 00:00 0    /bin/x
Size:                  4 kB
AnonHugePages:         0 kB
7f0000000000-7f0000800000 rw-p 00000000 00:00 0
Size:               8192 kB
AnonHugePages:      4096 kB
ShmemPmdMapped:        0 kB
FilePmdMapped:         0 kB
VmFlags: rd wr mr mw me ac
7f0000800000-7f0000a00000 rw-s 00000000 00:01 1234    /memfd:mmbench (deleted)
Size:               2048 kB
AnonHugePages:         0 kB
ShmemPmdMapped:     2048 kB
VmFlags: rd wr sh mr mw me ms
`

func TestParseSmapsHuge(t *testing.T) {
	cases := []struct {
		addr uint64
		kb   int64
		ok   bool
	}{
		{0x7f0000000000, 4096, true},
		{0x7f00007ff000, 4096, true},
		{0x7f0000800000, 2048, true},
		{0x400000, 0, true},
		{0x500000, 0, false},
	}
	for _, c := range cases {
		kb, ok := parseSmapsHuge(smaps, c.addr)
		if kb != c.kb || ok != c.ok {
			t.Errorf("%#x: %d kB %v, want %d %v", c.addr, kb, ok, c.kb, c.ok)
		}
	}
	// "VmFlags: ..." and "Size: ..." lines are not ranges.
	if _, _, ok := parseRange("VmFlags: rd wr mr mw me ac"); ok {
		t.Error("VmFlags parsed as a range")
	}
}

// A quick run of the cheapest metric, as a smoke test of the plumbing
// (pinning, output, exit status).
func TestRunNullSyscall(t *testing.T) {
	var out, errb bytes.Buffer
	code := run([]string{"-quick", "-only", "user_null_syscall_ns"}, &out, &errb)
	if code != 0 || !regexp.MustCompile(`^user_null_syscall_ns [0-9.e+]+ ns\n$`).MatchString(out.String()) {
		t.Errorf("status %d, stdout %q, stderr %q", code, out.String(), errb.String())
	}
}

// -count N prints one line per run; a count below 1 is a usage error.
func TestRunCount(t *testing.T) {
	var out, errb bytes.Buffer
	code := run([]string{"-quick", "-count", "3", "-only", "user_null_syscall_ns"}, &out, &errb)
	if code != 0 || !regexp.MustCompile(`^(user_null_syscall_ns [0-9.e+]+ ns\n){3}$`).MatchString(out.String()) {
		t.Errorf("status %d, stdout %q, stderr %q", code, out.String(), errb.String())
	}
	out.Reset()
	errb.Reset()
	if code := run([]string{"-count", "0"}, &out, &errb); code != 2 || !strings.Contains(errb.String(), "bad -count 0") {
		t.Errorf("-count 0: status %d, stderr %q", code, errb.String())
	}
}
