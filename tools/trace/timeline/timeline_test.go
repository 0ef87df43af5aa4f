package timeline

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestGolden renders every testdata/*.trace in every format and compares
// with testdata/NAME.json, .svg, .txt (go test -update rewrites them).
func TestGolden(t *testing.T) {
	inputs, err := filepath.Glob("testdata/*.trace")
	if err != nil || len(inputs) == 0 {
		t.Fatalf("no testdata/*.trace: %v", err)
	}
	for _, in := range inputs {
		tr := mustParseFile(t, in)
		for _, format := range []string{"json", "svg", "txt"} {
			var got bytes.Buffer
			if err := tr.Render(&got, format); err != nil {
				t.Fatalf("%s as %s: %v", in, format, err)
			}
			golden := strings.TrimSuffix(in, ".trace") + "." + format
			if *update {
				if err := os.WriteFile(golden, got.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (go test -update writes it)", err)
			}
			if !bytes.Equal(got.Bytes(), want) {
				t.Errorf("%s as %s differs from %s (go test -update rewrites it):\n%s", in, format, golden, got.String())
			}
		}
	}
}

func mustParseFile(t *testing.T, name string) *Trace {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr, err := Parse(f)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return tr
}

func TestParse(t *testing.T) {
	tr, err := Parse(strings.NewReader(`boot noise
--- trace begin ---
# retract-trace 1
# a comment
# track 3 fault CPU   1
5 3 B "RCU read side" pmd="a b" x=
6 3 I PteSame same=0
7 3 S 9 freed
7 3 F 9 "use after free"
8 3 E "RCU read side"
--- trace end ---
more noise
`))
	if err != nil {
		t.Fatal(err)
	}
	want := &Trace{
		Tracks: []Track{{3, "fault CPU 1"}},
		Events: []Event{
			{TS: 5, Track: 3, Kind: Begin, Name: "RCU read side", Args: []Arg{{"pmd", "a b"}, {"x", ""}}, Line: 6},
			{TS: 6, Track: 3, Kind: Instant, Name: "PteSame", Args: []Arg{{"same", "0"}}, Line: 7},
			{TS: 7, Track: 3, Kind: FlowStart, Name: "freed", Flow: "9", Line: 8},
			{TS: 7, Track: 3, Kind: FlowFinish, Name: "use after free", Flow: "9", Line: 9},
			{TS: 8, Track: 3, Kind: End, Name: "RCU read side", Line: 10},
		},
	}
	if !reflect.DeepEqual(tr, want) {
		t.Errorf("got  %+v\nwant %+v", tr, want)
	}
	spans := tr.Spans()
	if len(spans) != 1 || spans[0].Start != 5 || spans[0].End != 8 || spans[0].Open {
		t.Errorf("spans: %+v", spans)
	}
	if a := tr.Arrows(); len(a) != 1 || a[0].From.TS != 7 || a[0].EndName != "use after free" {
		t.Errorf("arrows: %+v", a)
	}
}

// TestParseErrors: every kind of bad input is an error that names its line.
func TestParseErrors(t *testing.T) {
	const h = "# retract-trace 1\n# track 0 CPU 0\n"
	for _, c := range []struct{ in, line, msg string }{
		{"0 0 I x\n", "line 1", "before the"},
		{"# retract-trace 2\n", "line 1", "version 1"},
		{"# retract-trace 1\n# retract-trace 1\n", "line 2", "second header"},
		{"# retract-trace 1\n# track x CPU\n", "line 2", "not an unsigned integer"},
		{"# retract-trace 1\n# track 1\n", "line 2", "an id and a name"},
		{h + "# track 0 again\n", "line 3", "declared twice"},
		{h + "x 0 I a\n", "line 3", "timestamp \"x\""},
		{h + "-1 0 I a\n", "line 3", "timestamp"},
		{h + "1 0 I\n", "line 3", "at least"},
		{h + "1 5 I a\n", "line 3", "track 5 is not declared"},
		{h + "1 0 X a\n", "line 3", "not one of B, E, I, S, F"},
		{h + "2 0 I a\n1 0 I b\n", "line 4", "before the previous"},
		{h + "1 0 E a\n", "line 3", "no slice of that name"},
		{h + "1 0 B a\n2 0 E a b\n", "line 4", "only a name"},
		{h + "1 0 S 1\n", "line 3", "a flow id and a name"},
		{h + "1 0 F 1 x\n", "line 3", "has not started"},
		{h + "1 0 S 1 x\n2 0 S 1 y\n", "line 4", "starts again"},
		{h + "1 0 I a b\n", "line 3", "not key=value"},
		{h + "1 0 I a k=1 k=2\n", "line 3", "given twice"},
		{h + "1 0 I \"unterminated\n", "line 3", "unterminated"},
		{h + "1 0 I a\"b\n", "line 3", "quote inside a token"},
		{h + "1 0 I \"a\"b\n", "line 3", "right after a quoted string"},
		{h + "1 0 I \"\"\n", "line 3", "empty name"},
		{h + "1 0 I a k\\x=1\n", "line 3", "argument key"},
		{"--- trace end ---\n", "line 1", "without"},
		{"--- trace begin ---\n--- trace begin ---\n", "line 2", "inside the trace"},
		{"--- trace begin ---\n" + h + "--- trace end ---\n--- trace begin ---\n", "line 5", "a second trace"},
		{"# just a comment\n", "line 1", "no \"# retract-trace 1\" header"},
		{"--- trace begin ---\n# track 0 CPU\n", "line 2", "before the"},
	} {
		_, err := Parse(strings.NewReader(c.in))
		if err == nil {
			t.Errorf("%q: no error", c.in)
			continue
		}
		if !strings.HasPrefix(err.Error(), c.line+":") || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%q: error %q, want %q and %q", c.in, err, c.line, c.msg)
		}
	}
}

// A log cut short inside the trace still gives what it holds.
func TestParseCutShort(t *testing.T) {
	tr, err := Parse(strings.NewReader("x\n--- trace begin ---\n# retract-trace 1\n# track 0 C\n1 0 B a\n"))
	if err != nil || len(tr.Events) != 1 || !tr.Spans()[0].Open {
		t.Fatalf("%+v, %v", tr, err)
	}
}

func TestRoundTrip(t *testing.T) {
	inputs, _ := filepath.Glob("testdata/*.trace")
	for _, in := range inputs {
		roundTrip(t, mustParseFile(t, in))
	}
}

// roundTrip checks that WriteText writes what Parse reads back the same.
func roundTrip(t *testing.T, tr *Trace) {
	t.Helper()
	var b bytes.Buffer
	if err := tr.WriteText(&b); err != nil {
		t.Fatalf("WriteText: %v", err)
	}
	back, err := Parse(&b)
	if err != nil {
		t.Fatalf("Parse(WriteText()): %v\n%s", err, b.String())
	}
	strip := func(ev []Event) []Event {
		out := append([]Event(nil), ev...)
		for i := range out {
			out[i].Line = 0
		}
		return out
	}
	if !reflect.DeepEqual(back.Tracks, tr.Tracks) || !reflect.DeepEqual(strip(back.Events), strip(tr.Events)) {
		t.Fatalf("round trip changed the trace:\n%+v\n%+v", tr, back)
	}
}

func TestWriteTextRejects(t *testing.T) {
	for _, tr := range []*Trace{
		{Tracks: []Track{{0, "a\nb"}}},
		{Tracks: []Track{{0, " "}}},
		{Tracks: []Track{{0, "c"}}, Events: []Event{{Kind: Instant, Name: "x", Args: []Arg{{"a=b", "1"}}}}},
		{Tracks: []Track{{0, "c"}}, Events: []Event{{Kind: 'Q', Name: "x"}}},
	} {
		if err := tr.WriteText(new(bytes.Buffer)); err == nil {
			t.Errorf("%+v: written without an error", tr)
		}
	}
}

func TestFormatOf(t *testing.T) {
	for in, want := range map[string]string{"a.json": "json", "b/c.svg": "svg", "x.txt": "txt", "y.trace": "trace", "z.png": "", "": ""} {
		if got := FormatOf(in, ""); got != want {
			t.Errorf("FormatOf(%q) = %q, want %q", in, got, want)
		}
	}
	if err := (&Trace{}).Render(new(bytes.Buffer), "png"); err == nil {
		t.Error("Render png: no error")
	}
}

// TestWindow: a window keeps the events in it, begins the slices open at
// its start again there (continued), and keeps only the flows whose two
// ends are inside; the result renders and round-trips.
func TestWindow(t *testing.T) {
	tr := mustParseFile(t, "testdata/serial-log.trace")
	w := tr.Window(2500, 6500)
	var got []string
	for _, e := range w.Events {
		s := fmt.Sprintf("%d %d %c %s", e.TS, e.Track, e.Kind, e.Name)
		for _, a := range e.Args {
			s += " " + a.Key + "=" + a.Value
		}
		got = append(got, s)
	}
	want := []string{
		"2500 1 B RCU read side continued=true",
		"3000 0 B PMD lock held",
		"4000 0 I PmdpCollapseFlush",
		"4000 0 S freed",
		"5000 0 E PMD lock held",
		"6000 1 F use-after-free",
		"6000 1 I VIOLATION at=ptl_lock",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("window 2500-6500:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	roundTrip(t, w)
	if n := len(tr.Window(4500, 7000).Arrows()); n != 0 {
		t.Errorf("a window without the flow's start keeps %d arrows", n)
	}
	for _, f := range Formats {
		if err := w.Render(new(bytes.Buffer), f); err != nil {
			t.Errorf("render %s: %v", f, err)
		}
	}
}

// TestAround: the window around the kernel trace's retract → retry flow
// holds the whole fault that retried, the collapse that retracted, and
// the grace period the retract's table waited for — and is found by the
// finish's name too.
func TestAround(t *testing.T) {
	tr := mustParseFile(t, "testdata/kernel-race.trace")
	from, to, ok := tr.Around("retract → retry")
	if !ok {
		t.Fatal("no retract → retry flow found")
	}
	if f2, t2, ok := tr.Around("retry: pmd_changed"); !ok || f2 != from || t2 != to {
		t.Errorf("by the finish's name: %d-%d, %v; want %d-%d", f2, t2, ok, from, to)
	}
	w := tr.Window(from, to)
	names := map[string]bool{}
	for _, a := range w.Arrows() {
		names[a.Name] = true
	}
	if !names["retract → retry"] || !names["pte_free_defer → grace period"] {
		t.Errorf("arrows in the window: %v", names)
	}
	for _, s := range w.Spans() {
		if s.Name == "handle_mm_fault" && argValue(s.Args, "continued") == "true" {
			t.Errorf("the fault slice is cut at the window's start: %+v", s)
		}
	}
	if _, _, ok := tr.Around("no such flow"); ok {
		t.Error("Around found a flow that is not there")
	}
}

func argValue(args []Arg, k string) string {
	for _, a := range args {
		if a.Key == k {
			return a.Value
		}
	}
	return ""
}
