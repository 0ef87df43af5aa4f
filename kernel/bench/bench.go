// Package bench holds the kernel's benchmarks: each measures one thing in
// the running kernel and prints "name value unit" lines (bench=NAME or
// bench=all on the command line; `make bench` boots with it). Numbers under
// TCG are emulator numbers: compare them with each other, not with Linux
// on hardware.
package bench

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Bench is one benchmark.
type Bench struct {
	Name string
	Doc  string
	// Run measures and writes "name value unit" lines.
	Run func(w io.Writer) error
}

var all []Bench

// Register adds b (from init functions).
func Register(b Bench) { all = append(all, b) }

// All returns the benchmarks sorted by name.
func All() []Bench {
	out := slices.Clone(all)
	slices.SortFunc(out, func(a, b Bench) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Names lists the benchmarks.
func Names() []string {
	var n []string
	for _, b := range all {
		n = append(n, b.Name)
	}
	slices.Sort(n)
	return n
}

// Check returns an error for every name that is not a benchmark, naming
// the known ones. The single name "all" stands for every benchmark.
func Check(names []string) []error {
	if len(names) == 1 && names[0] == "all" {
		return nil
	}
	var errs []error
	for _, name := range names {
		if !slices.ContainsFunc(all, func(b Bench) bool { return b.Name == name }) {
			errs = append(errs, fmt.Errorf("bench: unknown benchmark %q (known: all, %s)", name, strings.Join(Names(), ", ")))
		}
	}
	return errs
}

// ErrInterrupted is Run's error when stop ended it early.
var ErrInterrupted = errors.New("bench: interrupted")

// Run runs the named benchmarks ("all" for every one). If any name is
// unknown nothing runs: the errors of Check are returned. stop (nil: never)
// is asked before each benchmark (the shell's Ctrl-C): once it says so,
// the rest do not run and ErrInterrupted ends the list of errors.
func Run(w io.Writer, names []string, stop func() bool) []error {
	if errs := Check(names); len(errs) > 0 {
		return errs
	}
	var errs []error
	if len(names) == 1 && names[0] == "all" {
		names = Names()
	}
	for _, name := range names {
		if stop != nil && stop() {
			return append(errs, ErrInterrupted)
		}
		i := slices.IndexFunc(all, func(b Bench) bool { return b.Name == name })
		if err := all[i].Run(w); err != nil {
			errs = append(errs, fmt.Errorf("bench: %s: %v", name, err))
		}
	}
	return errs
}

// Line prints one result.
func Line(w io.Writer, name string, value float64, unit string) {
	fmt.Fprintf(w, "%s %.6g %s\n", name, value, unit)
}
