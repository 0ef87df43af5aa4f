package ktest

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"time"
)

// T is the handle a test case gets, like testing.T. Its methods may be
// called from any goroutine; Fatalf and Skipf, like their testing
// counterparts, must be called from the case's own goroutine because they
// end it with runtime.Goexit.
type T struct {
	rn     *runner
	root   *T // the suite-level case this T belongs to
	parent *T // nil for a suite-level case
	name   string
	depth  int // nesting depth of this case's result and diagnostic lines

	// The fields below are guarded by rn.mu.
	failed      bool          // Errorf, Fatalf or a panic on this T itself
	childFailed bool          // a subtest failed
	skipped     bool          // Skipf
	skipMsg     string        // Skipf's reason
	finished    bool          // result already reported; later output is dropped
	abandoned   bool          // on root only: the runner gave up waiting
	timeout     time.Duration // on root only: non-zero if it timed out
	nested      []byte        // lines of the nested block of subtests so far
	nNested     int           // subtests finished so far
	leaves      tally         // outcomes of the finished subtests' leaves
}

// Name returns the case's name.
func (t *T) Name() string { return t.name }

// Seed returns the seed of the run (Config.Seed), for cases that make
// pseudo-random choices.
func (t *T) Seed() uint64 { return t.rn.seed }

// Interrupted reports whether the run was asked to stop (Config.Stop:
// the shell's Ctrl-C). Long cases poll it, end early and report why
// (typically Skipf("interrupted")); the cases after them are skipped.
func (t *T) Interrupted() bool { return t.rn.interrupted() }

// Helper does nothing; it exists so that helpers written for testing.T read
// the same.
func (t *T) Helper() {}

// Errorf marks the case failed and reports a diagnostic.
func (t *T) Errorf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	t.rn.mu.Lock()
	defer t.rn.mu.Unlock()
	t.failed = true
	t.diagLocked(msg)
}

// Fatalf is Errorf followed by runtime.Goexit: the case stops here.
func (t *T) Fatalf(format string, args ...any) {
	t.Errorf(format, args...)
	runtime.Goexit()
}

// Logf reports a diagnostic line without failing the case.
func (t *T) Logf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	t.rn.mu.Lock()
	defer t.rn.mu.Unlock()
	t.diagLocked(msg)
}

// Skipf marks the case skipped, with the message as the reason, and stops
// it with runtime.Goexit. A case that failed before skipping still fails.
func (t *T) Skipf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	t.rn.mu.Lock()
	t.skipped = true
	t.skipMsg = oneLine(msg)
	t.rn.mu.Unlock()
	runtime.Goexit()
}

// Failed reports whether the case, or one of its subtests, has failed.
func (t *T) Failed() bool {
	t.rn.mu.Lock()
	defer t.rn.mu.Unlock()
	return t.failed || t.childFailed
}

// Run runs f as a subtest named name in a new goroutine and waits for it.
// The subtests of a case appear as a nested KTAP block, printed when the
// case returns. Run reports whether the subtest passed (or was skipped).
// The subtest shares its parent's timeout.
func (t *T) Run(name string, f func(t *T)) bool {
	c := &T{rn: t.rn, root: t.root, parent: t, name: name, depth: t.depth + 1}
	done := make(chan struct{})
	go c.exec(f, done)
	<-done

	t.rn.mu.Lock()
	defer t.rn.mu.Unlock()
	t.nNested++
	buf, tl, ok := c.finishLocked(t.nNested)
	if !t.deadLocked() {
		t.nested = append(t.nested, buf...)
		t.leaves.add(tl)
		if !ok {
			t.childFailed = true
		}
	}
	return ok
}

// exec runs f on t in the calling goroutine, turning a panic into a failure,
// and closes done when f returns, panics or calls runtime.Goexit.
func (t *T) exec(f func(*T), done chan<- struct{}) {
	defer close(done)
	defer func() {
		if v := recover(); v != nil {
			stack := debug.Stack()
			t.rn.mu.Lock()
			defer t.rn.mu.Unlock()
			t.failed = true
			t.diagLocked(fmt.Sprintf("panic: %v\n%s", v, stack))
		}
	}()
	f(t)
}

// deadLocked reports whether t's output no longer goes anywhere.
func (t *T) deadLocked() bool { return t.finished || t.root.abandoned }

// diagLocked reports a diagnostic line now: straight to the output for a
// suite-level case, into the parent's nested block for a subtest.
func (t *T) diagLocked(msg string) {
	if t.deadLocked() {
		return
	}
	if t.parent == nil {
		t.rn.write(appendDiag(nil, t.depth, t.name, msg))
		return
	}
	t.parent.nested = appendDiag(t.parent.nested, t.depth, t.name, msg)
}

// finishLocked ends t as test number n of its block. It returns t's nested
// block (if t had subtests) followed by its result line, the leaf counts
// and whether t is ok.
func (t *T) finishLocked(n int) (buf []byte, tl tally, ok bool) {
	t.finished = true
	if t.nNested > 0 {
		buf = appendHeader(buf, t.depth+1, t.name, t.nNested)
		buf = append(buf, t.nested...)
	}
	tl = t.leaves
	directive := ""
	switch {
	case t.timeout > 0:
		ok = false
		directive = "TIMEOUT after " + t.timeout.String()
	case t.failed || t.childFailed:
		ok = false
	case t.skipped:
		ok = true
		directive = "SKIP"
		if t.skipMsg != "" {
			directive += " " + t.skipMsg
		}
	default:
		ok = true
	}
	// A case with subtests counts through its leaves, plus one failure if
	// it failed by itself; a case without subtests is a leaf.
	switch {
	case t.timeout > 0 || t.failed:
		tl.failed++
	case t.nNested > 0:
	case t.skipped:
		tl.skipped++
	default:
		tl.passed++
	}
	buf = appendLine(buf, t.depth, resultLine(ok, n, t.name, directive))
	return buf, tl, ok
}
