package ktest

import (
	"bytes"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

// testRegistry builds the registry used by the report tests. release is
// closed by the caller to let the hanging case finish; late is closed once
// that case has tried to report after being abandoned.
func testRegistry(release <-chan struct{}, late chan<- struct{}) *registry {
	r := &registry{}
	r.register(Suite{Name: "boot", Doc: "early boot state", Cases: []Case{
		{Name: "memmap_sane", Fn: func(t *T) {}},
		{Name: "page0_faults", Fn: func(t *T) { t.Errorf("expected a fault") }},
		{Name: "frames", Fn: func(t *T) { t.Skipf("no %s", "memory") }},
	}})
	r.register(Suite{Name: "runtime", Doc: "the hosted Go runtime", Cases: []Case{
		{Name: "fatal", Fn: func(t *T) {
			t.Logf("before")
			t.Fatalf("stop %s", "here")
			t.Errorf("not reached")
		}},
		{Name: "panics", Fn: func(t *T) { panic("boom") }},
		{Name: "hangs", Timeout: 50 * time.Millisecond, Fn: func(t *T) {
			<-release
			t.Errorf("late")
			t.Logf("late log")
			t.Run("late_sub", func(t *T) { t.Errorf("late sub") })
			close(late)
		}},
		{Name: "nested", Fn: func(t *T) {
			t.Logf("parent log")
			if !t.Run("a", func(t *T) {}) {
				t.Errorf("a should pass")
			}
			if t.Run("b", func(t *T) { t.Errorf("b broke\nsecond line") }) {
				t.Errorf("b should fail")
			}
			t.Run("c", func(t *T) { t.Skipf("not today") })
			t.Run("d", func(t *T) {
				t.Run("e", func(t *T) { t.Logf("deep") })
			})
			if !t.Failed() {
				t.Errorf("Failed() = false after failing subtest")
			}
		}},
	}})
	r.register(Suite{Name: "syscall", Cases: []Case{
		{Name: "seed", Fn: func(t *T) {
			if t.Seed() != 42 {
				t.Errorf("seed %d", t.Seed())
			}
		}},
	}})
	return r
}

// stripStack replaces the "# " lines that follow a panic line by "<stack>"
// and returns them.
func stripStack(out string) (string, string) {
	var keep, stack []string
	inStack := false
	for _, l := range strings.SplitAfter(out, "\n") {
		if inStack && strings.HasPrefix(l, "    # ") {
			stack = append(stack, l)
			continue
		}
		if inStack {
			keep = append(keep, "    # <stack>\n")
		}
		inStack = strings.HasPrefix(l, "    # panics: panic: ")
		keep = append(keep, l)
	}
	return strings.Join(keep, ""), strings.Join(stack, "")
}

const wantReport = `KTAP version 1
1..2
    KTAP version 1
    # Subtest: boot
    1..3
    ok 1 memmap_sane
    # page0_faults: expected a fault
    not ok 2 page0_faults
    ok 3 frames # SKIP no memory
not ok 1 boot
    KTAP version 1
    # Subtest: runtime
    1..4
    # fatal: before
    # fatal: stop here
    not ok 1 fatal
    # panics: panic: boom
    # <stack>
    not ok 2 panics
    not ok 3 hangs # TIMEOUT after 50ms
    # nested: parent log
        KTAP version 1
        # Subtest: nested
        1..4
        ok 1 a
        # b: b broke
        # second line
        not ok 2 b
        ok 3 c # SKIP not today
            KTAP version 1
            # Subtest: d
            1..1
            # e: deep
            ok 1 e
        ok 4 d
    not ok 4 nested
not ok 2 runtime
# ktest: 3 passed, 5 failed, 2 skipped
`

func TestRunReport(t *testing.T) {
	release, late := make(chan struct{}), make(chan struct{})
	r := testRegistry(release, late)
	var out bytes.Buffer
	passed, failed, skipped, errs := r.run(Config{Out: &out, Seed: 42, DefaultTimeout: 10 * time.Second},
		[]string{"boot", "runtime"})

	got, stack := stripStack(out.String())
	if got != wantReport {
		t.Errorf("report:\n%s\nwant:\n%s", got, wantReport)
	}
	if passed != 3 || failed != 5 || skipped != 2 {
		t.Errorf("counts = %d, %d, %d; want 3, 5, 2", passed, failed, skipped)
	}
	if len(errs) != 0 {
		t.Errorf("errs = %v, want none", errs)
	}
	if !strings.Contains(stack, "    # goroutine ") || !strings.Contains(stack, "ktest.testRegistry") {
		t.Errorf("panic diagnostic lacks a stack trace naming the case:\n%s", stack)
	}

	// The abandoned case now wakes up and tries to report: nothing of it
	// may reach the output.
	before := out.String()
	close(release)
	select {
	case <-late:
	case <-time.After(10 * time.Second):
		t.Fatal("abandoned case did not finish")
	}
	if after := out.String(); after != before {
		t.Errorf("abandoned case wrote after its timeout:\n%s", strings.TrimPrefix(after, before))
	}
}

// An unknown name stops the whole run before anything runs or is
// written, and every unknown name is reported with the known ones.
func TestRunUnknownRunsNothing(t *testing.T) {
	ran := false
	r := &registry{}
	r.register(Suite{Name: "boot", Cases: []Case{{Name: "c", Fn: func(t *T) { ran = true }}}})
	var out bytes.Buffer
	passed, failed, skipped, errs := r.run(Config{Out: &out}, []string{"boot", "nosuch", "other"})
	if ran || out.Len() != 0 || passed+failed+skipped != 0 {
		t.Errorf("a run with unknown suites ran (%v) or wrote %q; counts %d %d %d", ran, out.String(), passed, failed, skipped)
	}
	want := []string{
		`ktest: unknown suite "nosuch" (known: boot)`,
		`ktest: unknown suite "other" (known: boot)`,
	}
	var got []string
	for _, e := range errs {
		got = append(got, e.Error())
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("errs = %q, want %q", got, want)
	}
	if errs := r.check([]string{"boot"}); len(errs) != 0 {
		t.Errorf("check(boot) = %v", errs)
	}
}

func TestRunAllSortedAndSeed(t *testing.T) {
	r := &registry{}
	var order []string
	for _, name := range []string{"zeta", "alpha", "mid"} {
		r.register(Suite{Name: name, Cases: []Case{{Name: "c", Fn: func(t *T) {
			order = append(order, name)
			if t.Seed() != 7 {
				t.Errorf("seed = %d", t.Seed())
			}
		}}}})
	}
	var out bytes.Buffer
	passed, failed, skipped, errs := r.run(Config{Out: &out, Seed: 7}, nil)
	if passed != 3 || failed != 0 || skipped != 0 || errs != nil {
		t.Errorf("got %d %d %d %v", passed, failed, skipped, errs)
	}
	if got := strings.Join(order, ","); got != "alpha,mid,zeta" {
		t.Errorf("order = %s, want alpha,mid,zeta", got)
	}
	if !strings.HasSuffix(out.String(), "ok 3 zeta\n# ktest: 3 passed, 0 failed, 0 skipped\n") {
		t.Errorf("unexpected report:\n%s", out.String())
	}
}

func TestRunDefaultTimeout(t *testing.T) {
	r := &registry{}
	block := make(chan struct{})
	defer close(block)
	r.register(Suite{Name: "s", Cases: []Case{{Name: "stuck", Fn: func(t *T) { <-block }}}})
	var out bytes.Buffer
	_, failed, _, _ := r.run(Config{Out: &out, DefaultTimeout: 20 * time.Millisecond}, []string{"s"})
	if failed != 1 || !strings.Contains(out.String(), "    not ok 1 stuck # TIMEOUT after 20ms\n") {
		t.Errorf("failed = %d, report:\n%s", failed, out.String())
	}
}

func TestRunNoSuites(t *testing.T) {
	r := &registry{}
	var out bytes.Buffer
	_, _, _, errs := r.run(Config{Out: &out}, nil)
	want := "KTAP version 1\n1..0\n# ktest: 0 passed, 0 failed, 0 skipped\n"
	if out.String() != want || len(errs) != 0 {
		t.Errorf("report %q, errs %v; want %q and no error", out.String(), errs, want)
	}
	out.Reset()
	_, _, _, errs = r.run(Config{Out: &out}, []string{"x"})
	if out.Len() != 0 {
		t.Errorf("report %q for an unknown suite, want nothing", out.String())
	}
	if len(errs) != 1 || errs[0].Error() != `ktest: unknown suite "x" (known: none)` {
		t.Errorf("errs = %v", errs)
	}
}

// lockedBuffer lets a case read what the runner has written so far.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestRunStreams(t *testing.T) {
	var out lockedBuffer
	var seen string
	r := &registry{}
	r.register(Suite{Name: "s", Cases: []Case{
		{Name: "first", Fn: func(t *T) { t.Logf("hello") }},
		{Name: "second", Fn: func(t *T) {
			t.Logf("now")
			seen = out.String()
		}},
	}})
	r.run(Config{Out: &out}, []string{"s"})
	want := "KTAP version 1\n1..1\n    KTAP version 1\n    # Subtest: s\n    1..2\n    # first: hello\n    ok 1 first\n    # second: now\n"
	if seen != want {
		t.Errorf("output visible during the second case:\n%q\nwant\n%q", seen, want)
	}
}

type failWriter struct{}

func (failWriter) Write(p []byte) (int, error) { return 0, errors.New("line down") }

func TestRunWriteError(t *testing.T) {
	r := &registry{}
	r.register(Suite{Name: "s", Cases: []Case{{Name: "c", Fn: func(t *T) {}}}})
	passed, _, _, errs := r.run(Config{Out: failWriter{}}, nil)
	if passed != 1 || len(errs) != 1 || errs[0].Error() != "ktest: writing report: line down" {
		t.Errorf("passed %d, errs %v", passed, errs)
	}
}

func TestRunNestedCounting(t *testing.T) {
	block := make(chan struct{})
	defer close(block)
	r := &registry{}
	r.register(Suite{Name: "s", Cases: []Case{
		{Name: "selffail", Fn: func(t *T) {
			t.Run("x", func(t *T) {})
			t.Run("y", func(t *T) { t.Fatalf("y fatal") })
			t.Errorf("parent fails too")
		}},
		{Name: "stuck", Timeout: 30 * time.Millisecond, Fn: func(t *T) {
			t.Run("done", func(t *T) {})
			t.Run("waits", func(t *T) {
				t.Logf("waiting")
				<-block
			})
		}},
	}})
	var out bytes.Buffer
	passed, failed, skipped, _ := r.run(Config{Out: &out}, nil)
	want := `KTAP version 1
1..1
    KTAP version 1
    # Subtest: s
    1..2
    # selffail: parent fails too
        KTAP version 1
        # Subtest: selffail
        1..2
        ok 1 x
        # y: y fatal
        not ok 2 y
    not ok 1 selffail
        KTAP version 1
        # Subtest: stuck
        1..1
        ok 1 done
        # waits: waiting
    not ok 2 stuck # TIMEOUT after 30ms
not ok 1 s
# ktest: 2 passed, 3 failed, 0 skipped
`
	if out.String() != want {
		t.Errorf("report:\n%s\nwant:\n%s", out.String(), want)
	}
	if passed != 2 || failed != 3 || skipped != 0 {
		t.Errorf("counts %d %d %d, want 2 3 0", passed, failed, skipped)
	}
}

// TestRunStop: once Config.Stop says so (the shell's Ctrl-C, typed during
// the second case, which polls T.Interrupted and skips itself), the
// remaining cases and suites are reported skipped, not run, and the
// summary says "interrupted".
func TestRunStop(t *testing.T) {
	r := &registry{}
	stop, ran := false, []string{}
	r.register(Suite{Name: "a", Cases: []Case{
		{Name: "one", Fn: func(t *T) { ran = append(ran, "one") }},
		{Name: "two", Fn: func(t *T) {
			ran = append(ran, "two")
			stop = true
			if t.Interrupted() {
				t.Skipf("interrupted")
			}
			t.Errorf("not reached")
		}},
		{Name: "three", Fn: func(t *T) { ran = append(ran, "three") }},
	}})
	r.register(Suite{Name: "b", Cases: []Case{{Name: "four", Fn: func(t *T) { ran = append(ran, "four") }}}})
	var out bytes.Buffer
	passed, failed, skipped, _ := r.run(Config{Out: &out, Stop: func() bool { return stop }}, []string{"a", "b"})
	if passed != 1 || failed != 0 || skipped != 3 || strings.Join(ran, ",") != "one,two" {
		t.Errorf("passed %d failed %d skipped %d, ran %v; want 1 0 3 and one,two", passed, failed, skipped, ran)
	}
	for _, want := range []string{"ok 2 two # SKIP interrupted\n", "ok 3 three # SKIP interrupted\n", "ok 1 four # SKIP interrupted\n",
		"# ktest: 1 passed, 0 failed, 3 skipped (interrupted)\n"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}
