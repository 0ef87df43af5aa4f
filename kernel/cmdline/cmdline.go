// Package cmdline owns the kernel command line: the string QEMU passes with
// -append, made of space-separated words "key=value". Parse turns it into
// Options, reporting every problem as a one-line error; Lookup and
// ParseUint read single values without allocating, for boot code that runs
// before the Go runtime is up.
//
// The known options live in one table (options.go); adding an option means
// adding a field to Options and an entry to that table.
package cmdline

import (
	"fmt"
	"strings"

	"retract/kernel/trace"
)

// Current is the kernel's parsed command line (set once by main).
var Current Options

// Options is the parsed command line. The zero Options holds the defaults.
type Options struct {
	// Tests lists the ktest suites to run (test=SUITE[,SUITE]); the single
	// name "list" (test=list) asks for the list of suites instead.
	Tests []string
	// Log is the console log level (log=LEVEL); LevelInfo by default.
	Log Level
	// Seed seeds the kernel's pseudo-random choices (seed=N); SeedSet
	// reports whether it was given.
	Seed    uint64
	SeedSet bool
	// CPUs is the number of CPUs to bring up (cpus=N, 1..8); 0 means all.
	CPUs int
	// OopsExit makes an oops power the machine off (oops=exit, status 5
	// through isa-debug-exit) instead of halting the CPU (oops=halt, the
	// default, which leaves the machine for a debugger).
	OopsExit bool
	// RCUUnsafe frees retracted page tables and RCU callbacks at once
	// instead of after a grace period (rcu=unsafe; rcu=rcu is the default).
	RCUUnsafe bool
	// Khugepaged starts the background collapser at boot
	// (khugepaged=on), as Linux's khugepaged runs unless THP is "never";
	// off by default (the shell's khugepaged on|off switches it).
	Khugepaged bool
	// Torture is how long the rcu torture suite runs (torture=SECONDS;
	// 0 = its short default).
	Torture int
	// Bench lists benchmarks to run (bench=NAME[,NAME] or bench=all).
	Bench []string
	// Refused is set when the command line asks for things that exclude
	// each other (test= and bench=: a boot runs tests or benchmarks).
	// Neither is kept, and the kernel should power off with the failed
	// status rather than guess which one was meant.
	Refused bool
	// Lockdep turns the lock validator on (debug=locks). Test runs
	// (test=...) turn it on too.
	Lockdep bool
	// Poison fills freed frames with phys.PoisonByte (debug=poison), so
	// that a use after free reads junk, not stale data. Test runs turn it
	// on too; otherwise freeing a page costs no more than Linux's.
	Poison bool
	// Trace is the event classes to record from boot on (trace=EVENTS;
	// 0: none). The shell's trace command takes over from there.
	Trace trace.Class
	// Delays sets race-widening delay points of the page-fault and retract
	// paths (delay=POINT:US[,POINT:US]), in the order given, each point at
	// most once. The names are not checked here: the kernel refuses points
	// it does not know when it applies them.
	Delays []Delay
	// Init is the program to run as PID 1 instead of the shell
	// (init=/PATH); InitArgs are the words after "--" (its arguments, as
	// Linux passes them to init).
	Init     string
	InitArgs []string
}

// Delay is one race-widening delay: the named point spins for Micros
// microseconds (0 = off; at most MaxDelayMicros).
type Delay struct {
	Point  string
	Micros uint64
}

// MaxDelayMicros is the longest delay= accepts for one point: one second.
const MaxDelayMicros = 1000000

// ListTests reports whether the command line asked for the list of test
// suites (test=list) rather than for suites to run.
func (o *Options) ListTests() bool {
	return len(o.Tests) == 1 && o.Tests[0] == "list"
}

// Parse parses the command line s. It always returns usable Options:
// a bad word is reported and ignored without affecting the other words.
// test= and bench= together are refused (see Options.Refused).
// Each problem is one error whose message is a complete line starting with
// "cmdline: ". When a key appears more than once the last valid word wins
// and the override is reported as an error too.
func Parse(s string) (Options, []error) {
	var (
		opts Options
		errs []error
		seen = map[string]string{} // key -> the word that set it
	)
	// Split exactly as Lookup does, so both agree on what a word is.
	words := strings.FieldsFunc(s, func(r rune) bool { return r < 0x80 && isSpace(byte(r)) })
	for i, w := range words {
		if w == "--" {
			opts.InitArgs = initArgs(s)
			words = words[:i]
			break
		}
	}
	for _, word := range words {
		key, value, hasValue := strings.Cut(word, "=")
		opt := find(key)
		if opt == nil {
			errs = append(errs, fmt.Errorf("cmdline: unknown option %q (ignored)", word))
			continue
		}
		if !hasValue {
			errs = append(errs, fmt.Errorf("cmdline: %s: needs a value, as in %s (ignored)", word, opt.usage))
			continue
		}
		// Parse into a copy so that a failing parse func cannot leave
		// half of its work behind.
		next := opts
		if err := opt.parse(&next, value); err != nil {
			errs = append(errs, fmt.Errorf("cmdline: %s: %v (ignored)", word, err))
			continue
		}
		opts = next
		if prev, ok := seen[key]; ok {
			errs = append(errs, fmt.Errorf("cmdline: %s overrides earlier %s", word, prev))
		}
		seen[key] = word
	}
	if len(opts.Tests) > 0 && len(opts.Bench) > 0 {
		errs = append(errs, fmt.Errorf("cmdline: %s and %s cannot go together (a boot runs tests or benchmarks): running neither", seen["test"], seen["bench"]))
		opts.Tests, opts.Bench, opts.Refused = nil, nil, true
	}
	return opts, errs
}

// initArgs splits what follows the first "--" word of s into init's
// arguments: words separated by spaces, where a double-quoted part may
// hold spaces (the quotes are dropped), as Linux's next_arg does for the
// words it hands to init: `-- sh -c "ls /proc | wc -l"` gives three.
func initArgs(s string) []string {
	rest := ""
	for i := 0; i+2 <= len(s); i++ {
		if s[i:i+2] == "--" && (i == 0 || isSpace(s[i-1])) && (i+2 == len(s) || isSpace(s[i+2])) {
			rest = s[i+2:]
			break
		}
	}
	var out []string
	var w []byte
	inWord, quoted := false, false
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		switch {
		case c == '"':
			quoted = !quoted
			inWord = true
		case isSpace(c) && !quoted:
			if inWord {
				out = append(out, string(w))
				w, inWord = w[:0], false
			}
		default:
			w = append(w, c)
			inWord = true
		}
	}
	if inWord {
		out = append(out, string(w))
	}
	return out
}
