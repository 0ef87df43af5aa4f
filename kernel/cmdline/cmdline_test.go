package cmdline

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"retract/kernel/trace"
)

func errStrings(errs []error) []string {
	var s []string
	for _, e := range errs {
		s = append(s, e.Error())
	}
	return s
}

func TestParseDefaults(t *testing.T) {
	for _, s := range []string{"", "   ", "\t\n\r "} {
		opts, errs := Parse(s)
		if len(errs) != 0 {
			t.Errorf("Parse(%q) errors: %q", s, errStrings(errs))
		}
		if !reflect.DeepEqual(opts, Options{}) {
			t.Errorf("Parse(%q) = %+v, want zero Options", s, opts)
		}
		if opts.Log != LevelInfo {
			t.Errorf("default log level = %v, want info", opts.Log)
		}
	}
}

func TestParseGood(t *testing.T) {
	opts, errs := Parse("test=boot,runtime\tlog=debug\nseed=0x2A cpus=4")
	if len(errs) != 0 {
		t.Fatalf("errors: %q", errStrings(errs))
	}
	want := Options{
		Tests:   []string{"boot", "runtime"},
		Log:     LevelDebug,
		Seed:    42,
		SeedSet: true,
		CPUs:    4,
	}
	if !reflect.DeepEqual(opts, want) {
		t.Errorf("got %+v, want %+v", opts, want)
	}
	if opts.ListTests() {
		t.Errorf("ListTests() = true for test=boot,runtime")
	}
}

func TestParseList(t *testing.T) {
	opts, errs := Parse("test=list")
	if len(errs) != 0 || !opts.ListTests() {
		t.Fatalf("test=list: opts %+v errs %q", opts, errStrings(errs))
	}
}

func TestParseDebug(t *testing.T) {
	for _, c := range []struct {
		in            string
		locks, poison bool
	}{{"debug=locks", true, false}, {"debug=poison", false, true}, {"debug=poison,locks", true, true}} {
		opts, errs := Parse(c.in)
		if len(errs) != 0 || opts.Lockdep != c.locks || opts.Poison != c.poison {
			t.Errorf("Parse(%q): lockdep %v, poison %v, errors %v; want %v, %v", c.in, opts.Lockdep, opts.Poison, errs, c.locks, c.poison)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"foo=bar", `cmdline: unknown option "foo=bar" (ignored)`},
		{"foo", `cmdline: unknown option "foo" (ignored)`},
		{"=x", `cmdline: unknown option "=x" (ignored)`},
		{"cpus=abc", `cmdline: cpus=abc: not a number between 1 and 8 (ignored)`},
		{"cpus=0", `cmdline: cpus=0: not a number between 1 and 8 (ignored)`},
		{"cpus=9", `cmdline: cpus=9: not a number between 1 and 8 (ignored)`},
		{"cpus=", `cmdline: cpus=: not a number between 1 and 8 (ignored)`},
		{"cpus", `cmdline: cpus: needs a value, as in cpus=N (ignored)`},
		{"log=loud", `cmdline: log=loud: want error, warn, info or debug (ignored)`},
		{"log=INFO", `cmdline: log=INFO: want error, warn, info or debug (ignored)`},
		{"test=", `cmdline: test=: empty suite list (ignored)`},
		{"test=a,,b", `cmdline: test=a,,b: empty suite name (ignored)`},
		{"test=list,boot", `cmdline: test=list,boot: list cannot be combined with suite names (ignored)`},
		{"seed=-1", `cmdline: seed=-1: not a 64-bit decimal or 0x hex number (ignored)`},
		{"debug=lock", `cmdline: debug=lock: want locks, poison or both, comma-separated (ignored)`},
		{"debug=locks,", `cmdline: debug=locks,: want locks, poison or both, comma-separated (ignored)`},
		{"seed=18446744073709551616", `cmdline: seed=18446744073709551616: not a 64-bit decimal or 0x hex number (ignored)`},
	}
	for _, tt := range tests {
		opts, errs := Parse(tt.in)
		got := errStrings(errs)
		if len(got) != 1 || got[0] != tt.want {
			t.Errorf("Parse(%q) errors = %q, want [%q]", tt.in, got, tt.want)
		}
		if !reflect.DeepEqual(opts, Options{}) {
			t.Errorf("Parse(%q) = %+v, want defaults", tt.in, opts)
		}
		for _, e := range got {
			if strings.Contains(e, "\n") {
				t.Errorf("error %q spans lines", e)
			}
		}
	}
}

func TestParseBadDoesNotAffectOthers(t *testing.T) {
	opts, errs := Parse("cpus=2 bogus seed=7 cpus=x log=warn log test=syscall")
	want := Options{Tests: []string{"syscall"}, Log: LevelWarn, Seed: 7, SeedSet: true, CPUs: 2}
	if !reflect.DeepEqual(opts, want) {
		t.Errorf("got %+v, want %+v", opts, want)
	}
	wantErrs := []string{
		`cmdline: unknown option "bogus" (ignored)`,
		`cmdline: cpus=x: not a number between 1 and 8 (ignored)`,
		`cmdline: log: needs a value, as in log=LEVEL (ignored)`,
	}
	if got := errStrings(errs); !reflect.DeepEqual(got, wantErrs) {
		t.Errorf("errors = %q\nwant %q", got, wantErrs)
	}
}

func TestParseDuplicateLastWins(t *testing.T) {
	opts, errs := Parse("test=a,b seed=1 test=c seed=0x10")
	if !reflect.DeepEqual(opts.Tests, []string{"c"}) || opts.Seed != 16 {
		t.Errorf("got Tests %q Seed %d, want [c] 16", opts.Tests, opts.Seed)
	}
	wantErrs := []string{
		"cmdline: test=c overrides earlier test=a,b",
		"cmdline: seed=0x10 overrides earlier seed=1",
	}
	if got := errStrings(errs); !reflect.DeepEqual(got, wantErrs) {
		t.Errorf("errors = %q\nwant %q", got, wantErrs)
	}
}

func TestParseDelays(t *testing.T) {
	tests := []struct {
		in   string
		want []Delay
	}{
		{"delay=fault.after_pte_offset_map:200", []Delay{{"fault.after_pte_offset_map", 200}}},
		{"delay=fault.after_pte_offset_map:200,retract.after_pmd_clear:0x3e8",
			[]Delay{{"fault.after_pte_offset_map", 200}, {"retract.after_pmd_clear", 1000}}},
		{"delay=a_1.b:0", []Delay{{"a_1.b", 0}}},
		{"delay=x:1000000", []Delay{{"x", 1000000}}},
		{"delay=x:0xF4240", []Delay{{"x", 1000000}}},
	}
	for _, tt := range tests {
		opts, errs := Parse(tt.in)
		if len(errs) != 0 {
			t.Errorf("Parse(%q) errors: %q", tt.in, errStrings(errs))
		}
		if want := (Options{Delays: tt.want}); !reflect.DeepEqual(opts, want) {
			t.Errorf("Parse(%q) = %+v, want %+v", tt.in, opts, want)
		}
	}
}

func TestParseDelaysErrors(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"delay", `cmdline: delay: needs a value, as in delay=POINT:US[,POINT:US] (ignored)`},
		{"delay=", `cmdline: delay=: empty delay list (ignored)`},
		{"delay=a:1,", `cmdline: delay=a:1,: empty delay item (ignored)`},
		{"delay=a:1,,b:2", `cmdline: delay=a:1,,b:2: empty delay item (ignored)`},
		{"delay=,a:1", `cmdline: delay=,a:1: empty delay item (ignored)`},
		{"delay=fault", `cmdline: delay=fault: "fault": want POINT:MICROSECONDS (ignored)`},
		{"delay=a:1,b", `cmdline: delay=a:1,b: "b": want POINT:MICROSECONDS (ignored)`},
		{"delay=:200", `cmdline: delay=:200: ":200": empty point name (ignored)`},
		{"delay=Fault:1", `cmdline: delay=Fault:1: point "Fault": want only a-z, 0-9, _ and . (ignored)`},
		{"delay=a-b:1", `cmdline: delay=a-b:1: point "a-b": want only a-z, 0-9, _ and . (ignored)`},
		{"delay=a:", `cmdline: delay=a:: delay of "" not a decimal or 0x hex number (ignored)`},
		{"delay=a:ten", `cmdline: delay=a:ten: delay of "ten" not a decimal or 0x hex number (ignored)`},
		{"delay=a:-1", `cmdline: delay=a:-1: delay of "-1" not a decimal or 0x hex number (ignored)`},
		{"delay=a:1:2", `cmdline: delay=a:1:2: delay of "1:2" not a decimal or 0x hex number (ignored)`},
		{"delay=a:1000001", `cmdline: delay=a:1000001: delay of "1000001" above 1000000 µs (ignored)`},
		{"delay=a:0xF4241", `cmdline: delay=a:0xF4241: delay of "0xF4241" above 1000000 µs (ignored)`},
		{"delay=a:1,b:2,a:3", `cmdline: delay=a:1,b:2,a:3: point "a" given twice (ignored)`},
	}
	for _, tt := range tests {
		// A good delay= word first: a bad word must leave it in place.
		good := []Delay{{"keep", 7}}
		opts, errs := Parse("delay=keep:7 " + tt.in)
		got := errStrings(errs)
		if len(got) != 1 || got[0] != tt.want {
			t.Errorf("Parse(%q) errors = %q, want [%q]", tt.in, got, tt.want)
		}
		for _, e := range got {
			if !strings.HasPrefix(e, "cmdline: ") || strings.Contains(e, "\n") {
				t.Errorf("error %q: want one line starting with \"cmdline: \"", e)
			}
		}
		if !reflect.DeepEqual(opts.Delays, good) {
			t.Errorf("Parse(%q) Delays = %+v, want %+v", tt.in, opts.Delays, good)
		}
		// Alone, a bad word leaves the defaults.
		if opts, _ := Parse(tt.in); !reflect.DeepEqual(opts, Options{}) {
			t.Errorf("Parse(%q) = %+v, want defaults", tt.in, opts)
		}
	}
}

func TestParseDelaysLastWins(t *testing.T) {
	opts, errs := Parse("delay=a:1,b:2 delay=c:3")
	if want := []Delay{{"c", 3}}; !reflect.DeepEqual(opts.Delays, want) {
		t.Errorf("Delays = %+v, want %+v", opts.Delays, want)
	}
	wantErrs := []string{"cmdline: delay=c:3 overrides earlier delay=a:1,b:2"}
	if got := errStrings(errs); !reflect.DeepEqual(got, wantErrs) {
		t.Errorf("errors = %q\nwant %q", got, wantErrs)
	}
}

func TestLevelString(t *testing.T) {
	for l, want := range map[Level]string{
		LevelError: "error", LevelWarn: "warn", LevelInfo: "info", LevelDebug: "debug", Level(7): "Level(7)",
	} {
		if got := l.String(); got != want {
			t.Errorf("Level(%d).String() = %q, want %q", int(l), got, want)
		}
	}
	if !LevelInfo.Enabled(LevelWarn) || LevelInfo.Enabled(LevelDebug) || !LevelDebug.Enabled(LevelDebug) {
		t.Errorf("Enabled ordering is wrong")
	}
}

func TestUsage(t *testing.T) {
	var b strings.Builder
	if err := Usage(&b); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != len(options) {
		t.Fatalf("Usage printed %d lines, want %d:\n%s", len(lines), len(options), b.String())
	}
	if want := "  test=SUITE[,SUITE]          run these ktest suites; test=list lists them"; lines[0] != want {
		t.Errorf("line 0 = %q, want %q", lines[0], want)
	}
	if want := "  cpus=N                      number of CPUs to start, 1 to 8 (default all)"; lines[3] != want {
		t.Errorf("line 3 = %q, want %q", lines[3], want)
	}
	if want := "  delay=POINT:US[,POINT:US]   race-widening delays in microseconds, e.g. delay=fault.after_pte_offset_map:200"; lines[len(lines)-1] != want {
		t.Errorf("last line = %q, want %q", lines[len(lines)-1], want)
	}
}

func TestParseTestAndBenchRefused(t *testing.T) {
	for _, line := range []string{"test=boot bench=nosuch", "bench=all seed=3 test=list"} {
		opts, errs := Parse(line)
		if !opts.Refused || opts.Tests != nil || opts.Bench != nil {
			t.Errorf("Parse(%q) = %+v; want Refused and neither tests nor benchmarks", line, opts)
		}
		got := errStrings(errs)
		if len(got) != 1 || !strings.HasPrefix(got[0], "cmdline: ") || !strings.Contains(got[0], "cannot go together") {
			t.Errorf("Parse(%q) errors = %q, want one line saying test= and bench= cannot go together", line, got)
		}
	}
	want := "cmdline: test=boot and bench=nosuch cannot go together (a boot runs tests or benchmarks): running neither"
	if _, errs := Parse("test=boot bench=nosuch"); errStrings(errs)[0] != want {
		t.Errorf("error %q, want %q", errStrings(errs)[0], want)
	}
}

func TestParseTrace(t *testing.T) {
	for in, want := range map[string]trace.Class{
		"trace=all":                   trace.ClassAll,
		"trace=fault":                 trace.ClassFault,
		"trace=fault,pte,retract,rcu": trace.ClassFault | trace.ClassPte | trace.ClassRetract | trace.ClassRCU,
	} {
		opts, errs := Parse(in)
		if len(errs) != 0 || opts.Trace != want {
			t.Errorf("Parse(%q) = %v, %q; want %v", in, opts.Trace, errStrings(errs), want)
		}
	}
	for _, in := range []string{"trace=", "trace=faults", "trace=fault,,rcu", "trace=fault,"} {
		opts, errs := Parse(in)
		if len(errs) != 1 || opts.Trace != 0 || !strings.Contains(errs[0].Error(), "want all or a comma-separated list of fault, pte") {
			t.Errorf("Parse(%q) = %v, %q; want one error and nothing traced", in, opts.Trace, errStrings(errs))
		}
	}
}

// TestInitArgs: the words after "--" are init's arguments; double quotes
// group words with spaces, and the options before "--" are parsed as usual.
func TestInitArgs(t *testing.T) {
	for _, c := range []struct {
		line string
		want []string
	}{
		{"init=/bin/x", nil},
		{"init=/bin/x --", nil},
		{"init=/bin/x -- a b", []string{"a", "b"}},
		{`init=/bin/busybox -- sh -c "ls /proc | wc -l"`, []string{"sh", "-c", "ls /proc | wc -l"}},
		{`init=/bin/x -- "" a"b c"d`, []string{"", "ab cd"}},
		{"init=/bin/x -- a -- b", []string{"a", "--", "b"}},
		{"init=/bin/x --seed=1 -- x", []string{"x"}},
		{`init=/bin/x -- "open`, []string{"open"}},
	} {
		o, _ := Parse(c.line)
		if fmt.Sprint(o.InitArgs) != fmt.Sprint(c.want) || len(o.InitArgs) != len(c.want) {
			t.Errorf("Parse(%q).InitArgs = %q, want %q", c.line, o.InitArgs, c.want)
		}
		if o.Init != "/bin/x" && o.Init != "/bin/busybox" {
			t.Errorf("Parse(%q).Init = %q", c.line, o.Init)
		}
	}
}
