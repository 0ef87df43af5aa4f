package main

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"text/tabwriter"

	"retract/tools/linuxvm"
)

// The two sides of the comparison, in the order each round boots them.
const (
	linuxSide = iota
	retractSide
	sides
)

var sideNames = [sides]string{"Linux", "retract"}

// bootMetric is measured by the host, not by mmbench: milliseconds of
// host time from starting QEMU to the first line /init prints (user/init's
// "init: running ..."), the same program on both kernels.
const bootMetric = "boot_to_init_first_line_ms"

// Samples holds every round's values, per side and metric.
type Samples struct {
	order  []string // metric names, first seen first
	units  map[string]string
	values [sides]map[string][]float64
}

// NewSamples returns an empty set.
func NewSamples() *Samples {
	s := &Samples{units: map[string]string{}}
	for i := range s.values {
		s.values[i] = map[string][]float64{}
	}
	return s
}

// Add records one value of side.
func (s *Samples) Add(side int, r linuxvm.Result) {
	if _, ok := s.units[r.Name]; !ok {
		s.order = append(s.order, r.Name)
		s.units[r.Name] = r.Unit
	}
	s.values[side][r.Name] = append(s.values[side][r.Name], r.Value)
}

// AddRound records one boot of side: mmbench's result lines from its
// serial log and, if it was seen, the time to init's first line.
func (s *Samples) AddRound(side int, results []linuxvm.Result, toInitMS float64) {
	for _, r := range results {
		s.Add(side, r)
	}
	if toInitMS > 0 {
		s.Add(side, linuxvm.Result{Name: bootMetric, Value: toInitMS, Unit: "ms"})
	}
}

// Stats summarises one side's values of one metric.
type Stats struct {
	N                int
	Median, Min, Max float64
}

// Summarize returns the median, minimum and maximum of v (the median of
// an even count is the mean of the two middle values).
func Summarize(v []float64) Stats {
	if len(v) == 0 {
		return Stats{}
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	st := Stats{N: len(s), Min: s[0], Max: s[len(s)-1]}
	if n := len(s); n%2 == 1 {
		st.Median = s[n/2]
	} else {
		st.Median = (s[n/2-1] + s[n/2]) / 2
	}
	return st
}

// RelSpread is (max-min)/median: 0.1 means the values span 10% of the
// median.
func (s Stats) RelSpread() float64 {
	if s.N == 0 || s.Median == 0 {
		return 0
	}
	return (s.Max - s.Min) / math.Abs(s.Median)
}

// HigherIsBetter says which way a metric's unit points: rates ("/s") are
// better higher, times (ns, us, ms, s) lower.
func HigherIsBetter(unit string) bool { return strings.HasPrefix(unit, "/") }

// Target is a goal for retract/Linux: at least (AtLeast) or at most Ratio.
type Target struct {
	AtLeast bool
	Ratio   float64
}

func (t Target) String() string {
	if t.AtLeast {
		return fmt.Sprintf("≥%g", t.Ratio)
	}
	return fmt.Sprintf("≤%g", t.Ratio)
}

// Met reports whether a ratio meets the target.
func (t Target) Met(ratio float64) bool {
	if t.AtLeast {
		return ratio >= t.Ratio
	}
	return ratio <= t.Ratio
}

// Targets are issue 13's goals, as retract/Linux ratios of the medians.
// They are reported, not asserted.
var Targets = map[string]Target{
	"user_anon_fault_per_s":            {AtLeast: true, Ratio: 1.25},
	"user_anon_fault_per_s_allcpus":    {AtLeast: true, Ratio: 1.25},
	"user_memfd_hit_write_fault_per_s": {AtLeast: true, Ratio: 1.25},
	"user_collapse_anon_us_per_2m":     {Ratio: 0.5},
	"user_collapse_memfd_us_per_2m":    {Ratio: 0.5},
	"user_munmap_shootdown_us":         {Ratio: 0.8},
	bootMetric:                         {Ratio: 0.2},
}

// Row is one metric of the table.
type Row struct {
	Name, Unit string
	Higher     bool // higher is better
	Side       [sides]Stats
	Ratio      float64 // retract median / Linux median; NaN without both
	Winner     string  // "Linux", "retract", "tie" or "" (not both measured)
	Overlap    bool    // the two min–max ranges overlap
	Target     *Target
}

// TargetMet says whether the row has a target and meets it.
func (r Row) TargetMet() (has, met bool) {
	if r.Target == nil || math.IsNaN(r.Ratio) {
		return r.Target != nil, false
	}
	return true, r.Target.Met(r.Ratio)
}

// Rows computes the table's rows, in the order the metrics were first
// seen.
func (s *Samples) Rows() []Row {
	var rows []Row
	for _, name := range s.order {
		r := Row{Name: name, Unit: s.units[name], Higher: HigherIsBetter(s.units[name]), Ratio: math.NaN()}
		for i := range r.Side {
			r.Side[i] = Summarize(s.values[i][name])
		}
		if t, ok := Targets[name]; ok {
			r.Target = &t
		}
		l, x := r.Side[linuxSide], r.Side[retractSide]
		if l.N > 0 && x.N > 0 {
			if l.Median != 0 {
				r.Ratio = x.Median / l.Median
			}
			r.Overlap = l.Min <= x.Max && x.Min <= l.Max
			switch {
			case x.Median == l.Median:
				r.Winner = "tie"
			case (x.Median > l.Median) == r.Higher:
				r.Winner = sideNames[retractSide]
			default:
				r.Winner = sideNames[linuxSide]
			}
		}
		rows = append(rows, r)
	}
	return rows
}

// num formats a measurement with about three significant digits and no
// exponent.
func num(v float64) string {
	a := math.Abs(v)
	switch {
	case a >= 100:
		return fmt.Sprintf("%.0f", v)
	case a >= 10:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.2f", v)
	}
}

func spread(s Stats, rounds int) string {
	if s.N == 0 {
		return "-"
	}
	out := fmt.Sprintf("%s–%s (%.0f%%)", num(s.Min), num(s.Max), 100*s.RelSpread())
	if s.N < rounds {
		out += fmt.Sprintf(" n=%d", s.N)
	}
	return out
}

func median(s Stats) string {
	if s.N == 0 {
		return "-"
	}
	return num(s.Median)
}

// WriteTable prints the rows as an aligned table with a legend; rounds is
// how many rounds each side was meant to run (a side with fewer values
// says n=).
func WriteTable(w io.Writer, rows []Row, rounds int) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "metric\tunit\tbetter\tLinux median\tLinux min–max (spread)\tretract median\tretract min–max (spread)\tretract/Linux\twins\ttarget")
	overlaps := false
	for _, r := range rows {
		better := "lower"
		if r.Higher {
			better = "higher"
		}
		ratio, wins := "-", "-"
		if !math.IsNaN(r.Ratio) {
			ratio = fmt.Sprintf("%.2f", r.Ratio)
		}
		if r.Winner != "" {
			wins = r.Winner
			if r.Overlap && r.Winner != "tie" {
				wins += " *"
				overlaps = true
			}
		}
		target := "-"
		if has, met := r.TargetMet(); has {
			target = r.Target.String() + " "
			switch {
			case math.IsNaN(r.Ratio):
				target += "?"
			case met:
				target += "met"
			default:
				target += "not met"
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Name, r.Unit, better,
			median(r.Side[linuxSide]), spread(r.Side[linuxSide], rounds),
			median(r.Side[retractSide]), spread(r.Side[retractSide], rounds), ratio, wins, target)
	}
	tw.Flush()
	fmt.Fprintln(w)
	fmt.Fprintln(w, "retract/Linux is the ratio of the medians: above 1 retract's value is larger, which wins where higher is better")
	fmt.Fprintln(w, "(rates, /s) and loses where lower is better (times). Spread: (max-min)/median of a side's rounds.")
	if overlaps {
		fmt.Fprintln(w, "* the two sides' min–max ranges overlap: the order may be noise.")
	}
	fmt.Fprintln(w, "target: issue 13's goal for retract/Linux, and whether these medians meet it.")
}

// WriteRaw prints every value of every round, per metric and side.
func (s *Samples) WriteRaw(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, name := range s.order {
		for i := range s.values {
			var vs []string
			for _, v := range s.values[i][name] {
				vs = append(vs, num(v))
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\n", name, sideNames[i], strings.Join(vs, " "))
		}
	}
	tw.Flush()
}
