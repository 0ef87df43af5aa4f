package model

import (
	"strings"
	"testing"
)

const panHolds = `(Spin Version 6.5.2 -- 6 December 2019)
	+ Partial Order Reduction

Full statespace search for:
	never claim         	+ (no_use_after_free)
	assertion violations	+ (if within scope of claim)
	cycle checks       	- (disabled by -DSAFETY)
	invalid end states	- (disabled by never claim)

State-vector 84 byte, depth reached 250, errors: 0
   405415 states, stored
   833305 states, matched
  1238720 transitions (= stored+matched)
  1502130 atomic steps
`

const panViolated = `pan:1: assertion violated  !( !((uaf==6))) (at depth 162)
pan: wrote retract.pml.trail

(Spin Version 6.5.2 -- 6 December 2019)
Warning: Search not completed
	+ Partial Order Reduction

State-vector 84 byte, depth reached 197, errors: 1
      258 states, stored
        4 states, matched
      262 transitions (= stored+matched)
`

func TestParsePan(t *testing.T) {
	r, err := ParsePan(panHolds)
	if err != nil || !r.Holds() || r.States != 405415 || r.Transitions != 1238720 || r.Depth != 250 {
		t.Errorf("holds: %+v, %v", r, err)
	}
	r, err = ParsePan(panViolated)
	if err != nil || r.Holds() || r.Errors != 1 || r.States != 258 || r.Depth != 197 {
		t.Errorf("violated: %+v, %v", r, err)
	}
	for name, out := range map[string]string{
		"too deep":      strings.Replace(panHolds, "errors: 0", "errors: 0\nerror: max search depth too small", 1),
		"out of memory": panHolds + "pan: out of memory\n",
		"memlim":        panHolds + "pan: reached -DMEMLIM bound\n",
		"incomplete":    strings.Replace(panHolds, "\t+ Partial", "Warning: Search not completed\n\t+ Partial", 1),
		"no errors":     "State-vector 84 byte\n   1 states, stored\n",
		"no states":     "State-vector 84 byte, depth reached 1, errors: 0\n",
		"empty":         "",
	} {
		if r, err := ParsePan(out); err == nil {
			t.Errorf("%s: no error, %+v", name, r)
		}
	}
}

func TestHoldsCoversEverything(t *testing.T) {
	for _, v := range Variants {
		for _, p := range Properties {
			if _, ok := Holds[v][p.Name]; !ok {
				t.Errorf("Holds has no outcome for %s in %s", p.Name, v)
			}
			if p.Mode != EndStates && !strings.Contains(Source, "ltl "+p.Name+" {") {
				t.Errorf("retract.pml has no ltl %s", p.Name)
			}
		}
	}
}
