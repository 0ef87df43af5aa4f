package ktest

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// Config controls one Run.
type Config struct {
	Out  io.Writer // where the KTAP report goes; nil discards it
	Seed uint64    // returned by T.Seed
	// DefaultTimeout bounds each case without its own Timeout;
	// 0 means 2 minutes.
	DefaultTimeout time.Duration
	// Watchdog, if set, is told each case's name ("suite/case") and
	// timeout before it runs, and ("", 0) after it ended or was abandoned.
	// The kernel arms a watchdog in the timer interrupt with it, which
	// fails the run when a case hangs every CPU so that not even the
	// timeout's own goroutine can run.
	Watchdog func(name string, timeout time.Duration)
	// Stop, if set, is polled between cases (and by long cases through
	// T.Interrupted): once it returns true, the running case ends as it
	// chooses and every case after it is reported skipped ("interrupted").
	// The shell sets it to its Ctrl-C.
	Stop func() bool
}

// DefaultTimeout is the case timeout used when neither the Case nor the
// Config sets one.
const DefaultTimeout = 2 * time.Minute

// Run runs the named suites, in the order given, and writes a KTAP report
// to cfg.Out ending with the line "# ktest: N passed, M failed, K skipped",
// which counts leaf cases. An empty names list runs every suite, sorted
// by name. If any name is unknown nothing runs and nothing is written:
// each unknown name gives an error (see Check) that the caller should
// print. An output write failure is an error too.
//
// Each case runs in its own goroutine. A case that outlives its timeout is
// reported as failed with a TIMEOUT directive and abandoned: its goroutine
// keeps running, but nothing it does reaches the report any more.
func Run(cfg Config, names []string) (passed, failed, skipped int, errs []error) {
	return global.run(cfg, names)
}

// tally counts leaf cases by outcome.
type tally struct{ passed, failed, skipped int }

func (a *tally) add(b tally) {
	a.passed += b.passed
	a.failed += b.failed
	a.skipped += b.skipped
}

// runner is the state of one Run. Its mutex guards all output and every
// T's mutable state, so that goroutines started by cases, and cases that
// were abandoned after a timeout, can call T methods safely.
type runner struct {
	mu   sync.Mutex
	out  io.Writer
	werr error // first write error
	seed uint64

	watchdog func(name string, timeout time.Duration) // Config.Watchdog
	stop     func() bool                              // Config.Stop
	stopped  bool                                     // stop said so: the remaining cases are skipped
}

// interrupted reports (and remembers) whether Config.Stop asked to stop.
func (rn *runner) interrupted() bool {
	rn.mu.Lock()
	defer rn.mu.Unlock()
	if !rn.stopped && rn.stop != nil && rn.stop() {
		rn.stopped = true
	}
	return rn.stopped
}

// write sends buf to the output; the caller holds mu.
func (rn *runner) write(buf []byte) {
	if len(buf) == 0 {
		return
	}
	if _, err := rn.out.Write(buf); err != nil && rn.werr == nil {
		rn.werr = err
	}
}

func (rn *runner) writeLocked(buf []byte) {
	rn.mu.Lock()
	defer rn.mu.Unlock()
	rn.write(buf)
}

// Check returns an error for every name that is not a registered suite,
// naming the known ones.
func Check(names []string) []error { return global.check(names) }

func (r *registry) check(names []string) (errs []error) {
	for _, name := range names {
		if _, ok := r.lookup(name); !ok {
			errs = append(errs, fmt.Errorf("ktest: unknown suite %q (known: %s)", name, r.known()))
		}
	}
	return errs
}

func (r *registry) run(cfg Config, names []string) (passed, failed, skipped int, errs []error) {
	if errs := r.check(names); len(errs) > 0 {
		return 0, 0, 0, errs
	}
	var suites []Suite
	if len(names) == 0 {
		suites = r.sorted()
	}
	for _, name := range names {
		s, _ := r.lookup(name)
		suites = append(suites, s)
	}
	timeout := cfg.DefaultTimeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	rn := &runner{out: cfg.Out, seed: cfg.Seed, watchdog: cfg.Watchdog, stop: cfg.Stop}
	if rn.out == nil {
		rn.out = io.Discard
	}

	rn.writeLocked(appendHeader(nil, 0, "", len(suites)))
	var total tally
	for i, s := range suites {
		total.add(rn.runSuite(i+1, s, timeout))
	}
	summary := fmt.Sprintf("# ktest: %d passed, %d failed, %d skipped", total.passed, total.failed, total.skipped)
	if rn.interrupted() {
		summary += " (interrupted)"
	}
	rn.writeLocked(appendLine(nil, 0, summary))

	rn.mu.Lock()
	if rn.werr != nil {
		errs = append(errs, fmt.Errorf("ktest: writing report: %v", rn.werr))
	}
	rn.mu.Unlock()
	return total.passed, total.failed, total.skipped, errs
}

// runSuite runs the cases of s as test number n of the top-level block.
func (rn *runner) runSuite(n int, s Suite, timeout time.Duration) tally {
	rn.writeLocked(appendHeader(nil, 1, s.Name, len(s.Cases)))
	var tl tally
	ok := true
	for i, c := range s.Cases {
		d := c.Timeout
		if d <= 0 {
			d = timeout
		}
		ct, caseOK := rn.runCase(i+1, s.Name, c, d)
		tl.add(ct)
		ok = ok && caseOK
	}
	rn.writeLocked(appendLine(nil, 0, resultLine(ok, n, s.Name, "")))
	return tl
}

// runCase runs c as test number n of its suite's block and waits for it at
// most d.
func (rn *runner) runCase(n int, suite string, c Case, d time.Duration) (tally, bool) {
	t := &T{rn: rn, name: c.Name, depth: 1}
	t.root = t
	if rn.interrupted() {
		rn.mu.Lock()
		defer rn.mu.Unlock()
		t.skipped, t.skipMsg = true, "interrupted"
		buf, tl, ok := t.finishLocked(n)
		rn.write(buf)
		return tl, ok
	}
	done := make(chan struct{})
	if rn.watchdog != nil {
		rn.watchdog(suite+"/"+c.Name, d)
		defer rn.watchdog("", 0)
	}
	go t.exec(c.Fn, done)

	timer := time.NewTimer(d)
	timedOut := false
	select {
	case <-done:
		timer.Stop()
	case <-timer.C:
		timedOut = true
	}

	rn.mu.Lock()
	defer rn.mu.Unlock()
	if timedOut {
		t.abandoned = true
		t.timeout = d
	}
	buf, tl, ok := t.finishLocked(n)
	rn.write(buf)
	return tl, ok
}
