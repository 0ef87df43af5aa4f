package model

import (
	"bytes"
	"flag"
	"os"
	"strings"
	"testing"

	"retract/tools/trace/timeline"
)

var update = flag.Bool("update", false, "rewrite testdata/*.trace and the drawings in docs/ from testdata/*.spin")

// drawing is a counterexample that docs/retract.md draws: SPIN's replay
// of the shortest violation of a property in a variant, saved by
// `go run ./model/cmd/trail2trace -variant V -property P -spin-out model/testdata/NAME.spin`,
// its timeline (testdata/NAME.trace), its SVG (docs/SVG) and its lane view
// (in docs/retract.md, between two marker comments).
type drawing struct {
	name     string // testdata/NAME.spin, testdata/NAME.trace
	variant  Variant
	property string
	svg      string // in docs/
	marker   string // "<!-- MARKER lanes: begin ..."
}

var drawings = []drawing{
	{"unsafe-seed", Unsafe, "no_lock_in_freed_table", "model-unsafe.svg", "model-unsafe"},
	{"no-recheck-lost", NoRecheck, "no_install_detached", "model-no-recheck.svg", "model-no-recheck"},
}

const docText = "../docs/retract.md"

func (d drawing) lanesBegin() string {
	return "<!-- " + d.marker + " lanes: begin (go test ./model -update rewrites this block) -->\n```text\n"
}

func (d drawing) lanesEnd() string { return "```\n<!-- " + d.marker + " lanes: end -->" }

func (d drawing) timeline(t *testing.T) *timeline.Trace {
	t.Helper()
	f, err := os.Open("testdata/" + d.name + ".spin")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr, err := Timeline(f)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func render(t *testing.T, tr *timeline.Trace, format string) string {
	t.Helper()
	var b bytes.Buffer
	if err := tr.Render(&b, format); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestTimelineGolden converts the saved replays and compares with
// testdata/NAME.trace.
func TestTimelineGolden(t *testing.T) {
	for _, d := range drawings {
		got := render(t, d.timeline(t), "trace")
		golden := "testdata/" + d.name + ".trace"
		if *update {
			if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatal(err)
		}
		if got != string(want) {
			t.Errorf("the timeline of testdata/%s.spin differs from %s (go test -update rewrites it):\n%s", d.name, golden, got)
		}
	}
}

// TestSeedEmailStory: the drawn counterexample is the seed email's
// schedule — the fault reads a present read-only orig_pte, the collapse
// detaches and frees the table, the fault takes the lock inside it.
func TestSeedEmailStory(t *testing.T) {
	tr := drawings[0].timeline(t)
	steps := []struct {
		track uint32
		kind  timeline.Kind
		name  string
		arg   string // key=value that must be among the event's arguments
	}{
		{1, timeline.Begin, "RCU read side", ""},
		{1, timeline.Instant, "pm.Load", "orig=pte_ro"},
		{0, timeline.Instant, "unmapRange", ""},
		{0, timeline.Instant, "PmdpCollapseFlush", "pmd=pmd_none"},
		{0, timeline.Instant, "PteFreeDefer", "mode=unsafe"},
		{0, timeline.FlowStart, "freed", ""},
		{1, timeline.FlowFinish, "use-after-free", ""},
		{1, timeline.Instant, "VIOLATION", "at=ptl_lock"},
		{1, timeline.Begin, "ptl held", ""},
	}
	i := 0
	for _, e := range tr.Events {
		if i == len(steps) {
			break
		}
		s := steps[i]
		if e.Track != s.track || e.Kind != s.kind || e.Name != s.name {
			continue
		}
		if s.arg != "" {
			k, v, _ := strings.Cut(s.arg, "=")
			found := false
			for _, a := range e.Args {
				found = found || a.Key == k && a.Value == v
			}
			if !found {
				continue
			}
		}
		i++
	}
	if i < len(steps) {
		t.Fatalf("the counterexample lacks step %d of the story, %+v, in order:\n%s", i, steps[i], render(t, tr, "txt"))
	}
}

// TestDocsShowTheTrails: the SVGs in docs/ and the lane views in
// docs/retract.md are the saved counterexamples' (-update rewrites them).
func TestDocsShowTheTrails(t *testing.T) {
	doc, err := os.ReadFile(docText)
	if err != nil {
		t.Fatal(err)
	}
	text := string(doc)
	for _, d := range drawings {
		tr := d.timeline(t)
		svg, lanes := render(t, tr, "svg"), render(t, tr, "txt")
		before, rest, ok1 := strings.Cut(text, d.lanesBegin())
		_, after, ok2 := strings.Cut(rest, d.lanesEnd())
		if !ok1 || !ok2 {
			t.Fatalf("%s has no block %q ... %q", docText, d.lanesBegin(), d.lanesEnd())
		}
		if !strings.Contains(text, "]("+d.svg+")") {
			t.Errorf("%s does not show %s", docText, d.svg)
		}
		if *update {
			if err := os.WriteFile("../docs/"+d.svg, []byte(svg), 0o644); err != nil {
				t.Fatal(err)
			}
			text = before + d.lanesBegin() + lanes + d.lanesEnd() + after
			continue
		}
		if got, _ := os.ReadFile("../docs/" + d.svg); string(got) != svg {
			t.Errorf("docs/%s is not the drawing of testdata/%s.spin (go test ./model -update rewrites it)", d.svg, d.name)
		}
		if !strings.HasPrefix(rest, lanes+d.lanesEnd()) {
			t.Errorf("the %s lane view in %s is not that of testdata/%s.spin (go test ./model -update rewrites it)", d.marker, docText, d.name)
		}
	}
	if *update && text != string(doc) {
		if err := os.WriteFile(docText, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestTimelineErrors(t *testing.T) {
	for _, in := range []string{
		"",
		"  1:\tproc  1 (fault:1) retract.pml:130 (state 12)\t[x = 1]\n",
		"@track 0 CPU 0\n@x I a\n",
		"@track 0 CPU 0\n@0 Q a\n  1:\tproc  1 (p:1) r.pml:1 (state 1)\t[skip]\n",
		"@track 0 CPU 0\n@3 I a\n  1:\tproc  1 (p:1) r.pml:1 (state 1)\t[skip]\n",
	} {
		if tr, err := Timeline(strings.NewReader(in)); err == nil {
			t.Errorf("%q: no error, %+v", in, tr)
		}
	}
}

// TestTimelineSteps: a printf belongs to the step line after it; steps
// without events take no time.
func TestTimelineSteps(t *testing.T) {
	tr, err := Timeline(strings.NewReader(`
          @track 0 collapse CPU 0
          @track 1 fault CPU 1
  1:	proc  0 (:init::1) retract.pml:1 (state 1)	[printf('@track ...')]
  3:	proc  1 (collapse:1) retract.pml:2 (state 1)	[x = 1]
              @0 I beginRange
  3:	proc  1 (collapse:1) retract.pml:2 (state 2)	[printf('@0 I beginRange\n')]
  5:	proc  2 (fault:1) retract.pml:9 (state 1)	[y = 2]
              @1 B "RCU read side"
  7:	proc  2 (fault:1) retract.pml:9 (state 2)	[printf(...)]
              @1 S 1 freed
              @1 S 2 detached
  7:	proc  2 (fault:1) retract.pml:9 (state 2)	[printf(...)]
              @0 F 1 use-after-free
  9:	proc  1 (collapse:1) retract.pml:3 (state 3)	[printf(...)]
`))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range tr.Events {
		got = append(got, strings.TrimSpace(strings.Join([]string{string(rune(e.Kind)), e.Name, e.Flow}, " ")))
		if e.TS%StepNs != 0 {
			t.Errorf("%+v: not a whole step", e)
		}
	}
	want := "I beginRange|B RCU read side|S freed 1|F use-after-free 1"
	if strings.Join(got, "|") != want {
		t.Errorf("events %q, want %q", strings.Join(got, "|"), want)
	}
	if ts := []uint64{tr.Events[0].TS, tr.Events[1].TS, tr.Events[2].TS, tr.Events[3].TS}; ts[0] != 1000 || ts[1] != 2000 || ts[2] != 2000 || ts[3] != 3000 {
		t.Errorf("times %v, want 1000 2000 2000 3000", ts)
	}
}
