//go:build linux

package tests

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"

	"retract/lockdep"
)

var (
	lockTreeOnce sync.Once
	lockTree     *lockdep.Tree
	lockTreeErr  error
)

var orderLine = regexp.MustCompile(`^lockdep: order (\S+) -> (\S+)$`)

// checkLockOrder checks every lock order the kernel learned during a test
// run ("lockdep: order A -> B", printed at the end of the run) against
// docs/locking.md: the documented order must allow it.
func (v *vm) checkLockOrder() {
	lockTreeOnce.Do(func() {
		doc, err := os.ReadFile(filepath.Join(repoRoot, "docs/locking.md"))
		if err != nil {
			lockTreeErr = err
			return
		}
		lockTree, lockTreeErr = lockdep.ParseTree(string(doc))
	})
	if lockTreeErr != nil {
		v.errorf("docs/locking.md: %v", lockTreeErr)
		return
	}
	n := 0
	for _, l := range v.lines() {
		m := orderLine.FindStringSubmatch(strings.TrimSpace(l))
		if m == nil {
			continue
		}
		n++
		if strings.HasPrefix(m[1], "lockdep-test.") || strings.HasPrefix(m[2], "lockdep-test.") {
			continue // the lockdep suite's negative controls
		}
		if !lockTree.Allows(m[1], m[2]) {
			v.errorf("the kernel took %s while holding %s, which docs/locking.md does not allow", m[2], m[1])
		}
	}
	if n == 0 && anyLine(v.lines(), regexp.MustCompile(`^retract: lock validator on`)) {
		v.errorf("the lock validator was on but the kernel printed no lock order")
	}
}
