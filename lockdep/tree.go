// tree.go: the documented lock order (docs/locking.md's locktree block),
// parsed so that tests can check the code against it: the classes it
// names, and every order the validator learned at run time.

// trapctx: process context only

package lockdep

import (
	"fmt"
	"strings"
)

// Tree is a documented lock order: an outline in which a class may be
// taken while holding any of its ancestors. The entry "*" stands for
// every class outside its own subtree: what is under it may be taken
// while holding anything else.
type Tree struct {
	above   map[string]map[string]bool // class -> the classes allowed to be held when taking it
	classes map[string]bool
	bottom  map[string]bool // under "*"
}

// ParseTree reads the first ```locktree block of a markdown document. Each
// line is an indented class name (two spaces per level), then anything
// (a comment).
func ParseTree(doc string) (*Tree, error) {
	start := strings.Index(doc, "```locktree\n")
	if start < 0 {
		return nil, fmt.Errorf("no ```locktree block")
	}
	body := doc[start+len("```locktree\n"):]
	end := strings.Index(body, "```")
	if end < 0 {
		return nil, fmt.Errorf("the locktree block is not closed")
	}
	t := &Tree{above: map[string]map[string]bool{}, classes: map[string]bool{}, bottom: map[string]bool{}}
	var path []string // the ancestors of the current line
	for i, line := range strings.Split(body[:end], "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		indent := len(line) - len(strings.TrimLeft(line, " "))
		if indent%2 != 0 || indent/2 > len(path) {
			return nil, fmt.Errorf("locktree line %d: bad indentation: %q", i+1, line)
		}
		name := strings.Fields(line)[0]
		path = path[:indent/2]
		if name != "*" {
			t.classes[name] = true
			if t.above[name] == nil {
				t.above[name] = map[string]bool{}
			}
			for _, a := range path {
				if a == "*" {
					t.bottom[name] = true
				} else {
					t.above[name][a] = true
				}
			}
		} else if indent != 0 {
			return nil, fmt.Errorf("locktree line %d: * must be at the top level", i+1)
		}
		path = append(path, name)
	}
	return t, nil
}

// Classes returns the classes the tree names.
func (t *Tree) Classes() map[string]bool { return t.classes }

// Allows reports whether taking class b while holding class a is in the
// documented order.
func (t *Tree) Allows(a, b string) bool {
	if t.above[b][a] {
		return true
	}
	// A bottom lock may be taken under anything that is not itself a
	// bottom lock (the bottom locks' own order is in their subtree).
	return t.bottom[b] && !t.bottom[a] && t.classes[a]
}
