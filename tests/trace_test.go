//go:build linux

package tests

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"retract/tools/trace/timeline"
)

// TestTraceStress traces a real `stress retract` on two CPUs (with the
// fault's window widened, as docs/retract.md does), dumps the trace over
// the serial line, converts it like tools/trace does and checks that the
// Chrome JSON holds at least one arrow from a retract to a fault that
// retried on its table, and one from pte_free_defer to a grace period's
// end. The JSON and an SVG of the first race are left next to the serial
// log (build/test-logs/TestTraceStress.json, .svg).
func TestTraceStress(t *testing.T) {
	v := bootShellCPUs(t, "", 2)
	v.command("delay fault.after_pte_offset_map 40000", cmdTimeout)
	if out := v.command("trace on fault,pte,collapse,retract,rcu", cmdTimeout); !anyLine(out, regexp.MustCompile(`^trace: recording fault,pte,collapse,retract,rcu`)) {
		v.errorf("trace on printed %q", out)
	}
	var tr *timeline.Trace
	var dump []string
	for run := 1; run <= 3; run++ {
		out := v.command("stress retract 10 2", 5*time.Minute)
		if !anyLine(out, regexp.MustCompile(`^stress retract: OK`)) || !anyLine(out, regexp.MustCompile(`^  violations +0$`)) {
			v.fatalf("stress retract with tracing on printed %q", out)
		}
		v.command("trace off", cmdTimeout)
		dump = v.command("trace dump", 5*time.Minute)
		var err error
		if tr, err = timeline.Parse(strings.NewReader(strings.Join(dump, "\n"))); err != nil {
			v.fatalf("the dump does not parse: %v", err)
		}
		if hasArrow(tr, "retract → retry") {
			break
		}
		t.Logf("run %d: no retract → retry arrow yet; tracing another run", run)
		v.command("trace on fault,pte,collapse,retract,rcu", cmdTimeout)
	}
	if len(tr.Tracks) != 3 || tr.Tracks[0].Name != "CPU 0" || tr.Tracks[1].Name != "CPU 1" || tr.Tracks[2].Name != "RCU grace periods" {
		v.errorf("tracks %+v, want CPU 0, CPU 1 and the grace periods", tr.Tracks)
	}
	var js bytes.Buffer
	if err := tr.WriteChrome(&js); err != nil {
		v.fatalf("WriteChrome: %v", err)
	}
	var doc struct {
		TraceEvents []struct {
			Name string `json:"name"`
			Cat  string `json:"cat"`
			Ph   string `json:"ph"`
			ID   int    `json:"id"`
		} `json:"traceEvents"`
	}
	if err := json.Unmarshal(js.Bytes(), &doc); err != nil {
		v.fatalf("the JSON does not decode: %v", err)
	}
	starts, finished := map[int]string{}, map[string]int{}
	slices := map[string]int{}
	for _, e := range doc.TraceEvents {
		switch {
		case e.Cat == "flow" && e.Ph == "s":
			starts[e.ID] = e.Name
		case e.Cat == "flow" && e.Ph == "f":
			if name, ok := starts[e.ID]; ok {
				finished[name]++
			}
		case e.Ph == "B":
			slices[e.Name]++
		}
	}
	for _, flow := range []string{"retract → retry", "pte_free_defer → grace period"} {
		if finished[flow] == 0 {
			v.errorf("the JSON has no %q flow (flows: %v)", flow, finished)
		}
	}
	for _, s := range []string{"handle_mm_fault", "pte_offset_map (RCU read side)", "collapse_file", "retract_page_tables"} {
		if slices[s] == 0 {
			v.errorf("the JSON has no %q slice", s)
		}
	}
	t.Logf("flows: %v", finished)
	base := strings.TrimSuffix(v.logPath, ".log")
	if err := os.WriteFile(base+".json", js.Bytes(), 0o644); err != nil {
		t.Log(err)
	}
	if from, to, ok := tr.Around("retract → retry"); ok {
		var svg bytes.Buffer
		if err := tr.Window(from, to).WriteSVG(&svg); err != nil {
			v.errorf("WriteSVG: %v", err)
		}
		os.WriteFile(base+".svg", svg.Bytes(), 0o644)
		t.Logf("the first race drawn: %s", filepath.Base(base)+".svg")
	}
}

func hasArrow(tr *timeline.Trace, name string) bool {
	for _, a := range tr.Arrows() {
		if a.Name == name {
			return true
		}
	}
	return false
}
