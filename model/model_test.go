package model

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"retract/tools/trace/timeline"
)

// The checks that run SPIN need spin and gcc. They run when
// RETRACT_MODEL=1 (make model sets it), and then fail if the tools are
// missing; otherwise they are skipped.

var (
	shared     *Checker
	sharedOnce sync.Once
	workDir    string
	summary    []string // one line per variant and property, printed at the end
)

func TestMain(m *testing.M) {
	code := m.Run()
	if workDir != "" {
		os.RemoveAll(workDir)
	}
	if len(summary) > 0 {
		fmt.Printf("model: %-10s %-24s %-10s %-8s %-8s %10s %6s %7s\n", "variant", "property", "mode", "expected", "result", "states", "depth", "time")
		for _, s := range summary {
			fmt.Println(s)
		}
	}
	os.Exit(code)
}

// checker returns the Checker that the tests share, or skips the test.
func checker(t *testing.T) *Checker {
	t.Helper()
	needTools(t)
	sharedOnce.Do(func() {
		dir, err := os.MkdirTemp("", "retract-model-")
		if err != nil {
			t.Fatal(err)
		}
		workDir = dir
		shared = &Checker{Dir: dir}
	})
	if shared == nil {
		t.Fatal("no work directory for the model checker")
	}
	return shared
}

func needTools(t *testing.T) {
	t.Helper()
	if os.Getenv("RETRACT_MODEL") != "1" {
		t.Skip("the model check runs SPIN: `make model` (or RETRACT_MODEL=1 go test ./model/ with spin and gcc installed)")
	}
	for _, tool := range []string{"spin", "gcc"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("RETRACT_MODEL=1 but %s is not installed: `make model` installs it (tools/ensure-spin.sh), or apt-get install -y spin gcc", tool)
		}
	}
}

func outcome(holds bool) string {
	if holds {
		return "holds"
	}
	return "violated"
}

// TestVariants checks every property in every variant and asserts the
// outcome in Holds: a variant meant to break a property that passes is a
// failure too. For each violation it converts the counterexample into a
// timeline and checks that it ends in the violation it is about.
func TestVariants(t *testing.T) {
	c := checker(t)
	for _, v := range Variants {
		for _, p := range Properties {
			t.Run(string(v)+"/"+p.Name, func(t *testing.T) {
				want := Holds[v][p.Name]
				r, err := c.Check(v, p)
				if err != nil {
					t.Fatal(err)
				}
				t.Logf("%s, %s (%v): %s after %d states, %d transitions, depth %d, %v",
					v, p.Name, p.Mode, outcome(r.Holds()), r.States, r.Transitions, r.Depth, r.Elapsed.Round(time.Millisecond))
				summary = append(summary, fmt.Sprintf("model: %-10s %-24s %-10s %-8s %-8s %10d %6d %6.2fs",
					v, p.Name, p.Mode, outcome(want), outcome(r.Holds()), r.States, r.Depth, r.Elapsed.Seconds()))
				switch {
				case r.Holds() && !want:
					t.Fatalf("%s satisfies %s (%d states): the model no longer shows the bug this variant is for", v, p.Name, r.States)
				case !r.Holds() && want:
					t.Fatalf("%s violates %s (%s): see the counterexample with\n\tgo run ./model/cmd/trail2trace -variant %s -property %s -format txt\npan said:\n%s",
						v, p.Name, p.Doc, v, p.Name, r.Output)
				case !r.Holds():
					checkCounterexample(t, c, v, p)
				}
			})
		}
	}
}

// checkCounterexample replays the shortest violation of p and checks that
// its timeline draws it: an arrow from the free (or the PMD clear) to the
// fault's use of the table.
func checkCounterexample(t *testing.T, c *Checker, v Variant, p Property) {
	t.Helper()
	out, _, err := c.Counterexample(v, p)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := Timeline(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"no_use_after_free": "use-after-free", "no_lock_in_freed_table": "use-after-free",
		"no_install_detached": "detached"}[p.Name]
	arrows := tr.Arrows()
	if len(arrows) == 0 || arrows[len(arrows)-1].EndName != want {
		t.Fatalf("the counterexample of %s in %s does not end in a %q arrow: %+v", p.Name, v, want, arrows)
	}
	a := arrows[len(arrows)-1]
	t.Logf("counterexample: %d events; %q on %s at %d ns -> %q on %s at %d ns",
		len(tr.Events), a.Name, trackName(tr, a.From.Track), a.From.TS, a.EndName, trackName(tr, a.To.Track), a.To.TS)
}

func trackName(tr *timeline.Trace, id uint32) string {
	for _, t := range tr.Tracks {
		if t.ID == id {
			return t.Name
		}
	}
	return fmt.Sprint(id)
}

// TestDrawnTrailsAreCurrent: the counterexamples that docs/retract.md
// draws (saved in testdata/*.spin) are still the ones the model gives.
func TestDrawnTrailsAreCurrent(t *testing.T) {
	c := checker(t)
	for _, d := range drawings {
		p, _ := PropertyNamed(d.property)
		out, _, err := c.Counterexample(d.variant, p)
		if err != nil {
			t.Fatal(err)
		}
		live, err := Timeline(strings.NewReader(out))
		if err != nil {
			t.Fatal(err)
		}
		if render(t, live, "trace") != render(t, d.timeline(t), "trace") {
			t.Errorf("the model's counterexample of %s in %s changed; save the new one and redraw:\n"+
				"\tgo run ./model/cmd/trail2trace -variant %s -property %s -spin-out model/testdata/%s.spin\n"+
				"\tgo test ./model -update",
				d.property, d.variant, d.variant, d.property, d.name)
		}
	}
}

// The mutants: small bugs put into the RCU variant on purpose, each of
// which one property must catch — proof that the properties can fail.
// Each replaces the first occurrence of old in retract.pml.
var mutants = []struct {
	name, old, new, property string
}{
	{"the RCU callback forgets to free the table",
		"cbQueued = false; frame = pt_freed; freed = true;", "cbQueued = false;", "retracted_freed"},
	{"unmapRange never releases the ptl",
		`atomic { USE_T(ptl_unlock); ptl = 0; printf("@0 E \"ptl held\"\n") }`, "skip", NoDeadlock},
	{"rcu.Call waits for the grace period already running",
		"waitFor = started + 1;", "waitFor = (started != completed -> started : started + 1);", "no_use_after_free"},
}

func TestMutantsAreCaught(t *testing.T) {
	c := checker(t)
	for i, m := range mutants {
		t.Run(m.property, func(t *testing.T) {
			if !strings.Contains(Source, m.old) {
				t.Fatalf("mutant %q no longer applies: retract.pml has no %q", m.name, m.old)
			}
			mc := &Checker{Dir: filepath.Join(c.Dir, fmt.Sprintf("mutant-%d", i)), Source: strings.Replace(Source, m.old, m.new, 1)}
			p, ok := PropertyNamed(m.property)
			if !ok {
				t.Fatalf("no property %q", m.property)
			}
			r, err := mc.Check(RCU, p)
			if err != nil {
				t.Fatal(err)
			}
			if r.Holds() {
				t.Fatalf("%s: %s still holds (%d states)", m.name, m.property, r.States)
			}
			t.Logf("%s: %s violated after %d states", m.name, m.property, r.States)
		})
	}
}
