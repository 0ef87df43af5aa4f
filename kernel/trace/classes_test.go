package trace

import "testing"

func TestParseClasses(t *testing.T) {
	for in, want := range map[string]Class{
		"all": ClassAll, "": ClassAll, "fault": ClassFault, "rcu,fault": ClassFault | ClassRCU,
		"fault,pte,ptl,collapse,retract,rcu,ipi,sched,user": ClassAll,
	} {
		c, err := ParseClasses(in)
		if err != nil || c != want {
			t.Errorf("ParseClasses(%q) = %v, %v; want %v", in, c, err, want)
		}
		if back, err := ParseClasses(c.String()); err != nil || back != c {
			t.Errorf("%v does not round-trip: %v, %v", c, back, err)
		}
	}
	for _, in := range []string{"faults", "fault,", ",fault", "fault,,rcu", "ALL"} {
		if c, err := ParseClasses(in); err == nil {
			t.Errorf("ParseClasses(%q) = %v, want an error", in, c)
		}
	}
	if Class(0).String() != "none" {
		t.Errorf("no class prints %q", Class(0).String())
	}
	// Every kind belongs to exactly one class.
	for k := KindNone + 1; k < numKinds; k++ {
		if c := k.Class(); c == 0 || c&(c-1) != 0 {
			t.Errorf("kind %d has class %v", k, c)
		}
	}
}
