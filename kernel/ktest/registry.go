package ktest

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
)

// registry holds the known suites. The package uses one global registry;
// tests build their own.
type registry struct {
	mu     sync.Mutex
	suites map[string]Suite
}

var global registry

// Register adds a suite to the set Run can execute. It is meant to be called
// from init functions of the packages that hold suites. It panics on an
// empty or duplicate suite name, on an empty or duplicate case name within
// the suite, and on a case without a function: these are programming
// errors found at boot.
func Register(s Suite) { global.register(s) }

// Suites returns the registered suites sorted by name.
func Suites() []Suite { return global.sorted() }

// List writes one line "suite: NAME - DOC" per registered suite, sorted by
// name.
func List(w io.Writer) { global.list(w) }

func (r *registry) register(s Suite) {
	if s.Name == "" {
		panic("ktest: Register: suite with empty name")
	}
	seen := make(map[string]bool, len(s.Cases))
	for _, c := range s.Cases {
		switch {
		case c.Name == "":
			panic(fmt.Sprintf("ktest: Register: suite %q: case with empty name", s.Name))
		case seen[c.Name]:
			panic(fmt.Sprintf("ktest: Register: suite %q: duplicate case %q", s.Name, c.Name))
		case c.Fn == nil:
			panic(fmt.Sprintf("ktest: Register: suite %q: case %q has no function", s.Name, c.Name))
		}
		seen[c.Name] = true
	}
	s.Cases = slices.Clone(s.Cases)

	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.suites[s.Name]; dup {
		panic(fmt.Sprintf("ktest: Register: duplicate suite %q", s.Name))
	}
	if r.suites == nil {
		r.suites = make(map[string]Suite)
	}
	r.suites[s.Name] = s
}

func (r *registry) lookup(name string) (Suite, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.suites[name]
	return s, ok
}

func (r *registry) sorted() []Suite {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Suite, 0, len(r.suites))
	for _, s := range r.suites {
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b Suite) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// known returns the sorted suite names joined for an error message.
func (r *registry) known() string {
	var names []string
	for _, s := range r.sorted() {
		names = append(names, s.Name)
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

func (r *registry) list(w io.Writer) {
	for _, s := range r.sorted() {
		if s.Doc == "" {
			fmt.Fprintf(w, "suite: %s\n", s.Name)
		} else {
			fmt.Fprintf(w, "suite: %s - %s\n", s.Name, s.Doc)
		}
	}
}
