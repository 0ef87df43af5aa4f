package main

import (
	"math"
	"strings"
	"testing"

	"retract/tools/linuxvm"
)

func TestSummarize(t *testing.T) {
	for _, c := range []struct {
		in               []float64
		med, min, max, r float64
	}{
		{[]float64{3, 1, 2}, 2, 1, 3, 1},
		{[]float64{4, 1, 3, 2}, 2.5, 1, 4, 1.2},
		{[]float64{5}, 5, 5, 5, 0},
		{[]float64{10, 10, 12, 9, 11}, 10, 9, 12, 0.3},
	} {
		in := append([]float64(nil), c.in...)
		s := Summarize(c.in)
		if s.N != len(c.in) || s.Median != c.med || s.Min != c.min || s.Max != c.max || math.Abs(s.RelSpread()-c.r) > 1e-9 {
			t.Errorf("Summarize(%v) = %+v, spread %v", c.in, s, s.RelSpread())
		}
		for i := range in {
			if in[i] != c.in[i] {
				t.Errorf("Summarize sorted its argument: %v", c.in)
			}
		}
	}
	if s := Summarize(nil); s.N != 0 || s.RelSpread() != 0 {
		t.Errorf("empty: %+v", s)
	}
}

func TestHigherIsBetter(t *testing.T) {
	for unit, want := range map[string]bool{"/s": true, "us": false, "ns": false, "ms": false, "s": false} {
		if HigherIsBetter(unit) != want {
			t.Errorf("%s: %v", unit, !want)
		}
	}
}

func TestTargets(t *testing.T) {
	at := Target{AtLeast: true, Ratio: 1.25}
	if !at.Met(1.25) || !at.Met(2) || at.Met(1.2) || at.String() != "≥1.25" {
		t.Errorf("%v", at)
	}
	most := Target{Ratio: 0.5}
	if !most.Met(0.5) || !most.Met(0.1) || most.Met(0.6) || most.String() != "≤0.5" {
		t.Errorf("%v", most)
	}
	// Every target points the way its metric's unit does: rates up, times down.
	units := map[string]string{"user_anon_fault_per_s": "/s", "user_anon_fault_per_s_allcpus": "/s",
		"user_memfd_hit_write_fault_per_s": "/s", bootMetric: "ms"}
	for name, tg := range Targets {
		unit, ok := units[name]
		if !ok {
			unit = "us"
		}
		if tg.AtLeast != HigherIsBetter(unit) || (tg.AtLeast && tg.Ratio <= 1) || (!tg.AtLeast && tg.Ratio >= 1) {
			t.Errorf("%s: %v", name, tg)
		}
	}
}

// samples builds a set from "side name value unit" lines.
func samples(t *testing.T, lines ...string) *Samples {
	s := NewSamples()
	for _, l := range lines {
		side, rest, _ := strings.Cut(l, " ")
		r, ok := linuxvm.ParseResult(rest)
		if !ok {
			t.Fatalf("bad line %q", rest)
		}
		i := linuxSide
		if side == "retract" {
			i = retractSide
		}
		s.Add(i, r)
	}
	return s
}

func TestRows(t *testing.T) {
	s := samples(t,
		"linux user_anon_fault_per_s 100 /s", "linux user_anon_fault_per_s 120 /s", "linux user_anon_fault_per_s 110 /s",
		"retract user_anon_fault_per_s 150 /s", "retract user_anon_fault_per_s 140 /s", "retract user_anon_fault_per_s 130 /s",
		"linux user_munmap_shootdown_us 10 us", "retract user_munmap_shootdown_us 12 us", "retract user_munmap_shootdown_us 9 us",
		"linux user_null_syscall_ns 100 ns", "retract user_null_syscall_ns 100 ns",
		"linux fork_exec_wait_us 5 us",
	)
	rows := s.Rows()
	if len(rows) != 4 {
		t.Fatalf("%d rows", len(rows))
	}
	a := rows[0]
	if a.Name != "user_anon_fault_per_s" || !a.Higher || a.Side[linuxSide].Median != 110 || a.Side[retractSide].Median != 140 ||
		math.Abs(a.Ratio-140.0/110) > 1e-9 || a.Winner != "retract" || a.Overlap {
		t.Errorf("anon row %+v", a)
	}
	if has, met := a.TargetMet(); !has || !met {
		t.Errorf("anon target: %v %v (ratio %v)", has, met, a.Ratio)
	}
	m := rows[1]
	if m.Higher || m.Side[retractSide].Median != 10.5 || m.Ratio != 1.05 || m.Winner != "Linux" || !m.Overlap {
		t.Errorf("munmap row %+v", m)
	}
	if has, met := m.TargetMet(); !has || met {
		t.Errorf("munmap target: %v %v", has, met)
	}
	if n := rows[2]; n.Winner != "tie" || n.Ratio != 1 || n.Target != nil {
		t.Errorf("null row %+v", n)
	}
	if f := rows[3]; f.Winner != "" || !math.IsNaN(f.Ratio) || f.Side[retractSide].N != 0 {
		t.Errorf("Linux-only row %+v", f)
	}
}

func TestAddRound(t *testing.T) {
	s := NewSamples()
	log := []byte("init: running [\"/bin/mmbench\"] at 1.00 s uptime\r\nuser_null_syscall_ns 1206.5 ns\r\n# a note\r\ninit: exit status 0\r\n")
	s.AddRound(linuxSide, linuxvm.ParseResults(log), 4213.5)
	s.AddRound(retractSide, linuxvm.ParseResults(log), 0) // never saw init's line
	rows := s.Rows()
	if len(rows) != 2 || rows[0].Name != "user_null_syscall_ns" || rows[0].Side[retractSide].Median != 1206.5 {
		t.Fatalf("rows %+v", rows)
	}
	if b := rows[1]; b.Name != bootMetric || b.Unit != "ms" || b.Side[linuxSide].Median != 4213.5 || b.Side[retractSide].N != 0 {
		t.Errorf("boot row %+v", b)
	}
}

func TestNum(t *testing.T) {
	for v, want := range map[float64]string{43522.4: "43522", 735.5: "736", 17.44: "17.4", 1.214: "1.21", 0: "0.00", -12.34: "-12.3"} {
		if got := num(v); got != want {
			t.Errorf("num(%v) = %q, want %q", v, got, want)
		}
	}
}

func TestWriteTable(t *testing.T) {
	s := samples(t,
		"linux user_anon_fault_per_s 100 /s", "linux user_anon_fault_per_s 120 /s",
		"retract user_anon_fault_per_s 150 /s", "retract user_anon_fault_per_s 130 /s",
		"linux user_munmap_shootdown_us 10 us", "retract user_munmap_shootdown_us 12 us", "retract user_munmap_shootdown_us 9 us",
		"linux fork_exec_wait_us 5000 us",
	)
	var b strings.Builder
	WriteTable(&b, s.Rows(), 2)
	got := b.String()
	want := "" +
		"metric                    unit  better  Linux median  Linux min–max (spread)  retract median  retract min–max (spread)  retract/Linux  wins     target\n" +
		"user_anon_fault_per_s     /s    higher  110           100–120 (18%)           140             130–150 (14%)             1.27           retract  ≥1.25 met\n" +
		"user_munmap_shootdown_us  us    lower   10.0          10.0–10.0 (0%) n=1      10.5            9.00–12.0 (29%)           1.05           Linux *  ≤0.8 not met\n" +
		"fork_exec_wait_us         us    lower   5000          5000–5000 (0%) n=1      -               -                         -              -        -\n" +
		"\n" +
		"retract/Linux is the ratio of the medians: above 1 retract's value is larger, which wins where higher is better\n" +
		"(rates, /s) and loses where lower is better (times). Spread: (max-min)/median of a side's rounds.\n" +
		"* the two sides' min–max ranges overlap: the order may be noise.\n" +
		"target: issue 13's goal for retract/Linux, and whether these medians meet it.\n"
	if got != want {
		t.Errorf("table:\n%s\nwant:\n%s", got, want)
	}
}

func TestWriteRaw(t *testing.T) {
	s := samples(t, "linux a_b 1 us", "retract a_b 2 us", "linux a_b 3 us")
	var b strings.Builder
	s.WriteRaw(&b)
	if got := b.String(); got != "a_b  Linux    1.00 3.00\na_b  retract  2.00\n" {
		t.Errorf("raw %q", got)
	}
}
