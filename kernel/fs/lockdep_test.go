package fs

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"testing"

	"retract/lockdep"
)

// The package's tests run with the lock validator on, on a host machine
// (one CPU, process context, goroutines told apart by their ids): at the
// end, no report, and every order it learned is in docs/locking.md.
var (
	reportsMu sync.Mutex
	reports   []lockdep.Report
)

func goid() uintptr {
	var b [64]byte
	s := b[:runtime.Stack(b[:], false)]
	s = bytes.TrimPrefix(s, []byte("goroutine "))
	if i := bytes.IndexByte(s, ' '); i > 0 {
		n, _ := strconv.ParseUint(string(s[:i]), 10, 64)
		return uintptr(n) << 4 // lockdep hashes g>>4
	}
	return 1
}

func TestMain(m *testing.M) {
	lockdep.SetMachine(lockdep.Machine{
		CPU:       func() int { return 0 },
		Nesting:   func() int { return 0 },
		IRQsOn:    func() bool { return true },
		Preempt:   func() int32 { return 0 },
		G:         goid,
		IRQSave:   func() (uintptr, bool) { return 0, true },
		IRQRestor: func(uintptr) {},
		Callers:   func() (pcs [lockdep.StackDepth]uintptr) { return },
		Report: func(r lockdep.Report) {
			reportsMu.Lock()
			reports = append(reports, r)
			reportsMu.Unlock()
		},
	})
	lockdep.Enable()
	code := m.Run()
	if code == 0 {
		if err := checkLockdep(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	os.Exit(code)
}

func checkLockdep() error {
	reportsMu.Lock()
	defer reportsMu.Unlock()
	for _, r := range reports {
		return fmt.Errorf("lockdep: %v report on %s (other %s)", r.Kind, r.Class.Name(), r.Other.Name())
	}
	doc, err := os.ReadFile("../../docs/locking.md")
	if err != nil {
		return err
	}
	tree, err := lockdep.ParseTree(string(doc))
	if err != nil {
		return err
	}
	for _, e := range lockdep.Edges() {
		if !tree.Allows(e[0], e[1]) {
			return fmt.Errorf("lockdep: order %s -> %s is not in docs/locking.md", e[0], e[1])
		}
	}
	return nil
}

// The validator is on and sees fs's locks.
func TestLockdepSeesFS(t *testing.T) {
	_, tk := newEnv(t)
	mkdir(t, tk, "/a")
	mkdir(t, tk, "/b")
	writeFile(t, tk, "/a/f", "x")
	ok(t, Renameat2(tk, -100, "/a/f", -100, "/b/f", 0))
	found := false
	for _, e := range lockdep.Edges() {
		if e[0] == "fs.FS.renameMu" && e[1] == "fs.Inode.mu" {
			found = true
		}
	}
	if !found {
		t.Errorf("lockdep learned no fs.FS.renameMu -> fs.Inode.mu: %v", lockdep.Edges())
	}
}
