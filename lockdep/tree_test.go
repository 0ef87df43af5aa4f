package lockdep_test

import (
	"os"
	"sort"
	"strings"
	"testing"

	"retract/lockdep"

	// Every package that registers lock classes, so that their init
	// functions run.
	_ "retract/kernel/bench"
	_ "retract/kernel/console"
	_ "retract/kernel/fs"
	_ "retract/kernel/proc"
	_ "retract/kernel/procfs"
	_ "retract/kernel/sched"
	_ "retract/kernel/smp"
	_ "retract/kernel/sys"
	_ "retract/mm"
	_ "retract/mm/phys"
	_ "retract/rcu"
)

func readTree(t *testing.T) *lockdep.Tree {
	t.Helper()
	doc, err := os.ReadFile("../docs/locking.md")
	if err != nil {
		t.Fatal(err)
	}
	tree, err := lockdep.ParseTree(string(doc))
	if err != nil {
		t.Fatalf("docs/locking.md: %v", err)
	}
	return tree
}

// TestDocumentedClasses: docs/locking.md names exactly the lock classes
// the kernel registers.
func TestDocumentedClasses(t *testing.T) {
	tree := readTree(t)
	registered := map[string]bool{}
	for _, c := range lockdep.Classes() {
		if !strings.HasPrefix(c, "lockdep-test.") && !strings.HasPrefix(c, "test.") {
			registered[c] = true
		}
	}
	var missing, extra []string
	for c := range registered {
		if !tree.Classes()[c] {
			missing = append(missing, c)
		}
	}
	for c := range tree.Classes() {
		if !registered[c] {
			extra = append(extra, c)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 {
		t.Errorf("lock classes the code registers but docs/locking.md does not place: %v", missing)
	}
	if len(extra) > 0 {
		t.Errorf("docs/locking.md names classes the code does not register: %v", extra)
	}
}

func TestTreeOrder(t *testing.T) {
	tree, err := lockdep.ParseTree("```locktree\na\n  b\n    c\n  d\n*\n  x\n    y\n```\n")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		held, take string
		ok         bool
	}{
		{"a", "b", true}, {"a", "c", true}, {"b", "c", true}, {"a", "d", true},
		{"b", "a", false}, {"c", "b", false}, {"d", "c", false}, {"b", "d", false},
		{"a", "x", true}, {"c", "y", true}, {"x", "y", true}, {"y", "x", false}, {"x", "a", false},
	} {
		if got := tree.Allows(c.held, c.take); got != c.ok {
			t.Errorf("Allows(%s held, take %s) = %v, want %v", c.held, c.take, got, c.ok)
		}
	}
	if _, err := lockdep.ParseTree("```locktree\na\n    b\n```\n"); err == nil {
		t.Errorf("a line indented two levels below its parent was accepted")
	}
}
