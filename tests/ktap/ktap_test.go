package ktap

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// doc joins lines with "\n" and ends the text with one.
func doc(lines ...string) string { return strings.Join(lines, "\n") + "\n" }

// example is the serial log from the package's contract with the kernel.
var example = doc(
	"retract: booting ...",
	"KTAP version 1",
	"1..2",
	"    KTAP version 1",
	"    # Subtest: boot",
	"    1..3",
	"    ok 1 memmap_sane",
	"    # identity map: 512 MiB checked",
	"    not ok 2 page0_faults",
	"    # page0_faults: expected a #PF, got none",
	"    ok 3 frames_accounting # SKIP no memory",
	"ok 1 boot",
	"    KTAP version 1",
	"    # Subtest: runtime",
	"    1..1",
	"    ok 1 goroutines",
	"ok 2 runtime",
	"# retract: tests done: 3 passed, 1 failed, 1 skipped",
)

func exampleReport() *Report {
	return &Report{
		Version: 1,
		Plan:    2,
		Tests: []*Test{
			{
				Number: 1, Name: "boot", Result: Pass, Plan: 3, Line: 12,
				Diag: []string{"identity map: 512 MiB checked", "page0_faults: expected a #PF, got none"},
				Subtests: []*Test{
					{Number: 1, Name: "memmap_sane", Result: Pass, Plan: -1, Line: 7},
					{
						Number: 2, Name: "page0_faults", Result: Fail, Plan: -1, Line: 9,
						// The untagged line before it (KUnit style) and the
						// line after it that names it.
						Diag: []string{"identity map: 512 MiB checked", "page0_faults: expected a #PF, got none"},
					},
					{Number: 3, Name: "frames_accounting", Result: Skip, Directive: "SKIP no memory", Plan: -1, Line: 11},
				},
			},
			{
				Number: 2, Name: "runtime", Result: Pass, Plan: 1, Line: 17,
				Subtests: []*Test{
					{Number: 1, Name: "goroutines", Result: Pass, Plan: -1, Line: 16},
				},
			},
		},
		Diag:  []string{"retract: tests done: 3 passed, 1 failed, 1 skipped"},
		Other: []string{"retract: booting ..."},
	}
}

// dump renders a report for failure messages.
func dump(r *Report) string {
	if r == nil {
		return "<nil>"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "version %d plan %d diag %q other %q\n", r.Version, r.Plan, r.Diag, r.Other)
	var walk func(ts []*Test, depth int)
	walk = func(ts []*Test, depth int) {
		for _, t := range ts {
			fmt.Fprintf(&b, "%s%d %q %v directive=%q plan=%d line=%d diag=%q\n",
				strings.Repeat("    ", depth), t.Number, t.Name, t.Result, t.Directive, t.Plan, t.Line, t.Diag)
			walk(t.Subtests, depth+1)
		}
	}
	walk(r.Tests, 0)
	return b.String()
}

func mustParse(t *testing.T, in string) *Report {
	t.Helper()
	r, err := Parse(strings.NewReader(in))
	if err != nil {
		t.Fatalf("Parse: %v\ninput:\n%s", err, in)
	}
	if r == nil {
		t.Fatal("Parse returned a nil report without an error")
	}
	return r
}

func checkReport(t *testing.T, got, want *Report) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("report mismatch\n got:\n%s\nwant:\n%s", dump(got), dump(want))
	}
}

func TestParseExample(t *testing.T) {
	checkReport(t, mustParse(t, example), exampleReport())
}

func TestParseCRLF(t *testing.T) {
	in := strings.ReplaceAll(example, "\n", "\r\n")
	checkReport(t, mustParse(t, in), exampleReport())
}

func TestParseNoFinalNewline(t *testing.T) {
	in := strings.TrimSuffix(example, "\n")
	checkReport(t, mustParse(t, in), exampleReport())
}

func TestResultString(t *testing.T) {
	for r, want := range map[Result]string{Pass: "pass", Fail: "fail", Skip: "skip", 0: "Result(0)"} {
		if got := r.String(); got != want {
			t.Errorf("Result(%d).String() = %q, want %q", int(r), got, want)
		}
	}
}

func TestParseDeepNesting(t *testing.T) {
	in := doc(
		"KTAP version 1",
		"1..1",
		"    KTAP version 1",
		"    # Subtest: mm",
		"    1..2",
		"        KTAP version 1",
		"        # Subtest: walk",
		"        1..2",
		"            KTAP version 1",
		"            # Subtest: levels",
		"            1..1",
		"            # deep: note",
		"            ok 1 pml4",
		"        ok 1 levels",
		"        # huge: 2 MiB page",
		"        ok 2 huge",
		"    ok 1 walk",
		"    not ok 2 split",
		"not ok 1 mm",
	)
	want := &Report{
		Version: 1, Plan: 1,
		Tests: []*Test{{
			Number: 1, Name: "mm", Result: Fail, Plan: 2, Line: 19,
			Subtests: []*Test{
				{
					Number: 1, Name: "walk", Result: Pass, Plan: 2, Line: 17,
					Diag: []string{"huge: 2 MiB page"},
					Subtests: []*Test{
						{
							Number: 1, Name: "levels", Result: Pass, Plan: 1, Line: 14,
							Diag: []string{"deep: note"},
							Subtests: []*Test{
								{Number: 1, Name: "pml4", Result: Pass, Plan: -1, Line: 13, Diag: []string{"deep: note"}},
							},
						},
						{Number: 2, Name: "huge", Result: Pass, Plan: -1, Line: 16, Diag: []string{"huge: 2 MiB page"}},
					},
				},
				{Number: 2, Name: "split", Result: Fail, Plan: -1, Line: 18},
			},
		}},
	}
	checkReport(t, mustParse(t, in), want)
}

func TestParseDirectives(t *testing.T) {
	in := doc(
		"KTAP version 1",
		"1..9",
		"ok 1 plain",
		"ok 2 skipped # SKIP no memory",
		"not ok 3 skipped_not_ok # SKIP",
		"not ok 4 known_broken # TODO fix the tlb",
		"ok 5 lower # skip lowercase",
		"ok 6 - tap_dash",
		`ok 7 hash\#in\#name # XFAIL expected`,
		"ok 8 skipper # SKIPPED is not SKIP",
		"ok 9",
	)
	r := mustParse(t, in)
	want := []struct {
		name, directive string
		result          Result
	}{
		{"plain", "", Pass},
		{"skipped", "SKIP no memory", Skip},
		{"skipped_not_ok", "SKIP", Skip},
		{"known_broken", "TODO fix the tlb", Fail},
		{"lower", "skip lowercase", Skip},
		{"tap_dash", "", Pass},
		{"hash#in#name", "XFAIL expected", Pass},
		{"skipper", "SKIPPED is not SKIP", Pass},
		{"", "", Pass},
	}
	if len(r.Tests) != len(want) {
		t.Fatalf("got %d tests, want %d\n%s", len(r.Tests), len(want), dump(r))
	}
	for i, w := range want {
		got := r.Tests[i]
		if got.Number != i+1 || got.Name != w.name || got.Directive != w.directive || got.Result != w.result {
			t.Errorf("test %d = {%d %q %q %v}, want {%d %q %q %v}", i+1,
				got.Number, got.Name, got.Directive, got.Result, i+1, w.name, w.directive, w.result)
		}
	}
	if p, f, s := r.Counts(); p != 5 || f != 1 || s != 3 {
		t.Errorf("Counts() = %d, %d, %d; want 5, 1, 3", p, f, s)
	}
}

// Kernel log lines land in the middle of the KTAP output: at column 0
// inside a suite, indented oddly, or looking almost like KTAP.
func TestParseInterleavedLog(t *testing.T) {
	lines := []string{
		"SeaBIOS (version 1.16)",
		"    KTAP version 1", // indented before the header: log
		"retract: booting ...",
		"KTAP version 1",
		"retract: cpu1 online",
		"1..2",
		"    KTAP version 1",
		"retract: timer calibrated", // column 0 inside a suite
		"    # Subtest: boot",
		"  odd indentation",
		"    1..2",
		"#PF at 0x0 (expected)", // not a diagnostic: no space after '#'
		"    ok 1 a",
		"\tok 2 tabbed", // a tab is not KTAP indentation
		"        # too deep",
		"    ok two words",
		"    ok 2 b",
		"ok 1 boot",
		"ok 2 runtime # SKIP not built",
		"retract: powering off",
	}
	r := mustParse(t, doc(lines...))
	wantOther := []string{
		"SeaBIOS (version 1.16)",
		"    KTAP version 1",
		"retract: booting ...",
		"retract: cpu1 online",
		"retract: timer calibrated",
		"  odd indentation",
		"#PF at 0x0 (expected)",
		"\tok 2 tabbed",
		"        # too deep",
		"    ok two words",
		"retract: powering off",
	}
	if !reflect.DeepEqual(r.Other, wantOther) {
		t.Errorf("Other =\n%q\nwant\n%q", r.Other, wantOther)
	}
	if len(r.Tests) != 2 || r.Tests[0].Name != "boot" || len(r.Tests[0].Subtests) != 2 ||
		r.Tests[0].Subtests[1].Name != "b" || r.Tests[1].Result != Skip {
		t.Errorf("unexpected tests:\n%s", dump(r))
	}

	// A log line that happens to look like a result, indented one level
	// below the top level outside any block, cannot be told apart from a
	// broken stream: it is an error, not silently taken as log.
	withFake := append(append(append([]string(nil), lines[:18]...), "    ok 1 fake"), lines[18:]...)
	_, err := Parse(strings.NewReader(doc(withFake...)))
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Line != 19 || !strings.Contains(pe.Msg, "without a subtest header") {
		t.Errorf("want a ParseError at line 19 about a missing subtest header, got %v", err)
	}
}

// Older kernels (and TAP 14) open a subtest block with "# Subtest:" or the
// plan, without an indented version line, and put "- " before names.
func TestParseOldFormat(t *testing.T) {
	in := doc(
		"TAP version 14",
		"1..2",
		"    # Subtest: example",
		"    1..2",
		"    ok 1 - first",
		"    ok 2 - second",
		"ok 1 - example",
		"    1..1",
		"    ok 1 - only",
		"ok 2 - unnamed_block",
	)
	r := mustParse(t, in)
	want := &Report{
		Version: 14, Plan: 2,
		Tests: []*Test{
			{Number: 1, Name: "example", Result: Pass, Plan: 2, Line: 7, Subtests: []*Test{
				{Number: 1, Name: "first", Result: Pass, Plan: -1, Line: 5},
				{Number: 2, Name: "second", Result: Pass, Plan: -1, Line: 6},
			}},
			{Number: 2, Name: "unnamed_block", Result: Pass, Plan: 1, Line: 10, Subtests: []*Test{
				{Number: 1, Name: "only", Result: Pass, Plan: -1, Line: 9},
			}},
		},
	}
	checkReport(t, r, want)
}

func TestParseVariants(t *testing.T) {
	t.Run("TAP13", func(t *testing.T) {
		r := mustParse(t, doc("TAP version 13", "1..1", "ok 1 x"))
		if r.Version != 13 {
			t.Errorf("Version = %d, want 13", r.Version)
		}
	})
	t.Run("trailing plan", func(t *testing.T) {
		r := mustParse(t, doc("KTAP version 1", "ok 1 a", "ok 2 b", "1..2"))
		if r.Plan != 2 || len(r.Tests) != 2 {
			t.Errorf("got\n%s", dump(r))
		}
	})
	t.Run("subtest header names an unnamed result", func(t *testing.T) {
		r := mustParse(t, doc("KTAP version 1", "1..1", "    KTAP version 1", "    # Subtest: boot", "    1..0", "ok 1 # SKIP nothing"))
		if got := r.Tests[0]; got.Name != "boot" || got.Result != Skip || got.Plan != 0 {
			t.Errorf("got\n%s", dump(r))
		}
	})
	t.Run("result name wins over subtest header", func(t *testing.T) {
		r := mustParse(t, doc("KTAP version 1", "1..1", "    # Subtest: boot", "    1..1", "    ok 1 a", "ok 1 boot_suite"))
		if got := r.Tests[0].Name; got != "boot_suite" {
			t.Errorf("Name = %q, want boot_suite", got)
		}
	})
	t.Run("subtest header then version", func(t *testing.T) {
		r := mustParse(t, doc("KTAP version 1", "1..1", "    # Subtest: s", "    KTAP version 1", "    1..1", "    ok 1 a", "ok 1 s"))
		if got := r.Tests[0]; got.Name != "s" || len(got.Subtests) != 1 {
			t.Errorf("got\n%s", dump(r))
		}
	})
	t.Run("block without plan", func(t *testing.T) {
		r := mustParse(t, doc("KTAP version 1", "1..1", "    KTAP version 1", "    ok 1 a", "    ok 2 b", "ok 1 s"))
		if got := r.Tests[0]; got.Plan != -1 || len(got.Subtests) != 2 {
			t.Errorf("got\n%s", dump(r))
		}
	})
	t.Run("plan with skip", func(t *testing.T) {
		r := mustParse(t, doc("KTAP version 1", "1..0 # SKIP no tests", "# nothing to do"))
		if r.Plan != 0 || len(r.Tests) != 0 || !reflect.DeepEqual(r.Diag, []string{"nothing to do"}) {
			t.Errorf("got\n%s", dump(r))
		}
	})
	t.Run("trailing spaces", func(t *testing.T) {
		r := mustParse(t, "KTAP version 1  \n1..1 \nok 1 a  \n")
		if r.Tests[0].Name != "a" {
			t.Errorf("got\n%s", dump(r))
		}
	})
	t.Run("very long log line", func(t *testing.T) {
		long := strings.Repeat("x", 1<<20)
		r := mustParse(t, doc(long, "KTAP version 1", "1..1", "ok 1 a"))
		if len(r.Other) != 1 || len(r.Other[0]) != 1<<20 {
			t.Errorf("long line not kept in Other")
		}
	})
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		line int
		msg  []string // substrings of the message
	}{
		{
			name: "truncated mid-suite",
			in: doc(
				"KTAP version 1",
				"1..2",
				"    KTAP version 1",
				"    # Subtest: boot",
				"    1..3",
				"    ok 1 memmap_sane",
				"retract: oops: #PF in kernel mode",
			),
			line: 7,
			msg:  []string{`subtest block "boot" opened at line 3 was never closed`, "truncated"},
		},
		{
			name: "truncated deep",
			in: doc(
				"KTAP version 1",
				"1..1",
				"    # Subtest: mm",
				"        # Subtest: walk",
				"        ok 1 a",
			),
			line: 5,
			msg:  []string{`"mm/walk"`, "opened at line 4", "never closed"},
		},
		{
			name: "truncated before the first suite",
			in:   doc("KTAP version 1", "1..3"),
			line: 2,
			msg:  []string{"plan/count mismatch", "says 3 tests", "has 0 results"},
		},
		{
			name: "missing plan",
			in:   doc("retract: booting", "KTAP version 1", "ok 1 a", "ok 2 b"),
			line: 2,
			msg:  []string{"missing top-level plan", "line 2"},
		},
		{
			name: "top-level count mismatch",
			in:   doc("KTAP version 1", "1..3", "ok 1 a", "ok 2 b"),
			line: 4,
			msg:  []string{"plan/count mismatch", "line 2 says 3 tests", "has 2 results"},
		},
		{
			name: "too many results",
			in:   doc("KTAP version 1", "1..1", "ok 1 a", "ok 2 b"),
			line: 4,
			msg:  []string{"plan/count mismatch", "says 1 tests", "has 2 results"},
		},
		{
			name: "subtest count mismatch",
			in: doc(
				"KTAP version 1",
				"1..1",
				"    KTAP version 1",
				"    # Subtest: boot",
				"    1..3",
				"    ok 1 a",
				"    ok 2 b",
				"ok 1 boot",
			),
			line: 8,
			msg:  []string{"plan/count mismatch", `subtest block "boot" planned 3 tests (line 5) but has 2 results`},
		},
		{
			name: "garbage only",
			in:   doc("\x00\xff\xfe garbage", "retract: booting", "", "ok? maybe"),
			line: 4,
			msg:  []string{`no "KTAP version 1" header in 4 lines`},
		},
		{
			name: "empty",
			in:   "",
			line: 0,
			msg:  []string{`no "KTAP version 1" header in 0 lines`},
		},
		{
			name: "missing header",
			in:   doc("retract: booting", "1..2", "ok 1 a", "ok 2 b"),
			line: 2,
			msg:  []string{`no "KTAP version 1" header before "1..2"`},
		},
		{
			name: "wrong numbering",
			in:   doc("KTAP version 1", "1..3", "ok 1 a", "ok 3 c", "ok 2 b"),
			line: 4,
			msg:  []string{"test number 3 out of order at the top level: expected 2", `"ok 3 c"`},
		},
		{
			name: "wrong numbering in subtest",
			in: doc(
				"KTAP version 1",
				"1..1",
				"    KTAP version 1",
				"    # Subtest: boot",
				"    1..2",
				"    ok 2 b",
			),
			line: 6,
			msg:  []string{`test number 2 out of order in subtest block "boot": expected 1`},
		},
		{
			name: "numbering starts at 0",
			in:   doc("KTAP version 1", "1..1", "ok 0 a"),
			line: 3,
			msg:  []string{"test number 0 out of order", "expected 1"},
		},
		{
			name: "deeper result without subtest header",
			in:   doc("KTAP version 1", "1..1", "    ok 1 a", "ok 1 s"),
			line: 3,
			msg:  []string{"indentation 4 without a subtest header"},
		},
		{
			name: "result two levels deeper",
			in:   doc("KTAP version 1", "1..1", "        ok 1 a"),
			line: 3,
			msg:  []string{"deeper than any open subtest block"},
		},
		{
			name: "result skips a level up",
			in: doc(
				"KTAP version 1",
				"1..1",
				"    # Subtest: a",
				"        # Subtest: b",
				"        ok 1 x",
				"ok 1 a",
			),
			line: 6,
			msg:  []string{`subtest block "a/b" opened at line 4 was never closed`},
		},
		{
			name: "unsupported KTAP version",
			in:   doc("KTAP version 2", "1..1", "ok 1 a"),
			line: 1,
			msg:  []string{`unsupported version "KTAP version 2"`},
		},
		{
			name: "unsupported TAP version",
			in:   doc("TAP version 12", "1..1", "ok 1 a"),
			line: 1,
			msg:  []string{"unsupported version"},
		},
		{
			name: "unsupported subtest version",
			in:   doc("KTAP version 1", "1..1", "    KTAP version 7"),
			line: 3,
			msg:  []string{`unsupported version "KTAP version 7"`},
		},
		{
			name: "second header (reboot)",
			in:   doc("KTAP version 1", "1..1", "ok 1 a", "KTAP version 1", "1..1", "ok 1 a"),
			line: 4,
			msg:  []string{"second", "first was at line 1", "reboot"},
		},
		{
			name: "restart inside a suite",
			in:   doc("KTAP version 1", "1..1", "    KTAP version 1", "    ok 1 a", "KTAP version 1"),
			line: 5,
			msg:  []string{"still open", "truncated"},
		},
		{
			name: "second plan",
			in:   doc("KTAP version 1", "1..1", "1..2", "ok 1 a"),
			line: 3,
			msg:  []string{`second plan "1..2"`, "line 2"},
		},
		{
			name: "version inside started block",
			in:   doc("KTAP version 1", "1..1", "    KTAP version 1", "    1..1", "    KTAP version 1"),
			line: 5,
			msg:  []string{"unexpected", "inside subtest block"},
		},
		{
			name: "huge test number",
			in:   doc("KTAP version 1", "1..1", "ok 99999999999999999999999 a"),
			line: 3,
			msg:  []string{"bad test number"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Parse(strings.NewReader(tc.in))
			if err == nil {
				t.Fatalf("Parse succeeded, want an error; got\n%s", dump(r))
			}
			if r == nil {
				t.Error("Parse returned a nil report with its error")
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v (%T) is not a *ParseError", err, err)
			}
			if pe.Line != tc.line {
				t.Errorf("error at line %d, want line %d: %v", pe.Line, tc.line, err)
			}
			for _, m := range tc.msg {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q does not mention %q", err, m)
				}
			}
			if want := fmt.Sprintf("ktap: line %d: ", tc.line); !strings.HasPrefix(err.Error(), want) {
				t.Errorf("error %q does not start with %q", err, want)
			}
		})
	}
}

// With an error the report still holds what came before it.
func TestParsePartialReport(t *testing.T) {
	in := doc(
		"retract: booting",
		"KTAP version 1",
		"1..2",
		"    # Subtest: boot",
		"    ok 1 a",
		"ok 1 boot",
		"    # Subtest: runtime",
		"    ok 1 goroutines",
		"retract: oops",
	)
	r, err := Parse(strings.NewReader(in))
	if err == nil {
		t.Fatal("want an error for the truncated runtime suite")
	}
	if r.Plan != 2 || len(r.Tests) != 1 || r.Tests[0].Name != "boot" || len(r.Other) != 2 {
		t.Errorf("partial report:\n%s", dump(r))
	}
}

func TestLeaves(t *testing.T) {
	r := mustParse(t, example)
	var got []string
	r.Leaves(func(path []string, t *Test) {
		got = append(got, strings.Join(path, "/")+"="+t.Result.String())
	})
	want := []string{"boot/memmap_sane=pass", "boot/page0_faults=fail", "boot/frames_accounting=skip", "runtime/goroutines=pass"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Leaves: %q, want %q", got, want)
	}
	if p, f, s := r.Counts(); p != 2 || f != 1 || s != 1 {
		t.Errorf("Counts() = %d, %d, %d; want 2, 1, 1", p, f, s)
	}
}

// checkInvariants checks what every successful parse must satisfy.
func checkInvariants(t *testing.T, r *Report) {
	t.Helper()
	if r.Version != 1 && r.Version != 13 && r.Version != 14 {
		t.Fatalf("Version = %d", r.Version)
	}
	if r.Plan != len(r.Tests) {
		t.Fatalf("Plan = %d with %d tests", r.Plan, len(r.Tests))
	}
	var check func(ts []*Test, plan int)
	check = func(ts []*Test, plan int) {
		if plan >= 0 && plan != len(ts) {
			t.Fatalf("plan %d with %d subtests", plan, len(ts))
		}
		for i, tt := range ts {
			if tt.Number != i+1 {
				t.Fatalf("test %q has number %d at position %d", tt.Name, tt.Number, i+1)
			}
			if tt.Result != Pass && tt.Result != Fail && tt.Result != Skip {
				t.Fatalf("test %q has result %v", tt.Name, tt.Result)
			}
			check(tt.Subtests, tt.Plan)
		}
	}
	check(r.Tests, r.Plan)
}

func FuzzParse(f *testing.F) {
	f.Add(example)
	f.Add(strings.ReplaceAll(example, "\n", "\r\n"))
	f.Add(doc("KTAP version 1", "1..1", "    # Subtest: a", "        # Subtest: b", "        ok 1 x", "    ok 1 b", "ok 1 a"))
	f.Add(doc("TAP version 14", "1..1", "    1..1", "    ok 1 - x # SKIP", "not ok 1 - y # TODO"))
	f.Add(doc("KTAP version 1", "1..2", "    KTAP version 1", "    1..3", "    ok 1 a"))
	f.Add(doc("ok 1", "1..", "KTAP version", `ok 1 \# # #`))
	f.Add("")
	f.Fuzz(func(t *testing.T, in string) {
		r, err := Parse(strings.NewReader(in))
		if r == nil {
			t.Fatal("nil report")
		}
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a *ParseError", err)
			}
			if lines := strings.Count(in, "\n") + 1; pe.Line < 0 || pe.Line > lines {
				t.Fatalf("error line %d outside 0..%d", pe.Line, lines)
			}
			return
		}
		checkInvariants(t, r)
	})
}
