package cmdline

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"retract/kernel/trace"
)

// option describes one known key of the command line.
type option struct {
	name  string // the key before '='
	usage string // the word's shape, as in "cpus=N"
	help  string // one line for Usage
	// parse stores value into o or explains, in a short phrase, why it
	// cannot. It must replace (not append to) the fields it sets, so that a
	// later duplicate word wins.
	parse func(o *Options, value string) error
}

// options is the table of known command-line options.
var options = []option{
	{
		name:  "test",
		usage: "test=SUITE[,SUITE]",
		help:  "run these ktest suites; test=list lists them",
		parse: parseTests,
	},
	{
		name:  "log",
		usage: "log=LEVEL",
		help:  "console log level: error, warn, info (default) or debug",
		parse: func(o *Options, v string) error {
			l, ok := ParseLevel(v)
			if !ok {
				return errors.New("want error, warn, info or debug")
			}
			o.Log = l
			return nil
		},
	},
	{
		name:  "seed",
		usage: "seed=N",
		help:  "seed for pseudo-random choices, decimal or 0x hex",
		parse: func(o *Options, v string) error {
			n, ok := ParseUint(v)
			if !ok {
				return errors.New("not a 64-bit decimal or 0x hex number")
			}
			o.Seed, o.SeedSet = n, true
			return nil
		},
	},
	{
		name:  "cpus",
		usage: "cpus=N",
		help:  "number of CPUs to start, 1 to 8 (default all)",
		parse: func(o *Options, v string) error {
			n, ok := ParseUint(v)
			if !ok || n < 1 || n > 8 {
				return errors.New("not a number between 1 and 8")
			}
			o.CPUs = int(n)
			return nil
		},
	},
	{
		name:  "bench",
		usage: "bench=NAME[,NAME]|all",
		help:  "run benchmarks, print \"name value unit\" lines, power off",
		parse: func(o *Options, v string) error {
			if v == "" {
				return errors.New("empty benchmark list")
			}
			names := strings.Split(v, ",")
			for _, n := range names {
				if n == "" {
					return errors.New("empty benchmark name")
				}
			}
			o.Bench = names
			return nil
		},
	},
	{
		name:  "rcu",
		usage: "rcu=rcu|unsafe",
		help:  "free through RCU grace periods (default) or at once (unsafe: the bug)",
		parse: func(o *Options, v string) error {
			switch v {
			case "rcu":
				o.RCUUnsafe = false
			case "unsafe":
				o.RCUUnsafe = true
			default:
				return errors.New("want rcu or unsafe")
			}
			return nil
		},
	},
	{
		name:  "khugepaged",
		usage: "khugepaged=on|off",
		help:  "run the background collapser from boot on (as Linux's khugepaged always runs) or not (default; the shell's khugepaged on|off)",
		parse: func(o *Options, v string) error {
			switch v {
			case "on":
				o.Khugepaged = true
			case "off":
				o.Khugepaged = false
			default:
				return errors.New("want on or off")
			}
			return nil
		},
	},
	{
		name:  "torture",
		usage: "torture=SECONDS",
		help:  "how long the torture suite runs (default 3)",
		parse: func(o *Options, v string) error {
			n, ok := ParseUint(v)
			if !ok || n < 1 || n > 86400 {
				return errors.New("not a number of seconds between 1 and 86400")
			}
			o.Torture = int(n)
			return nil
		},
	},
	{
		name:  "oops",
		usage: "oops=halt|exit",
		help:  "after an oops report: halt the CPUs (default) or power off with status 5",
		parse: func(o *Options, v string) error {
			switch v {
			case "halt":
				o.OopsExit = false
			case "exit":
				o.OopsExit = true
			default:
				return errors.New("want halt or exit")
			}
			return nil
		},
	},
	{
		name:  "debug",
		usage: "debug=locks,poison",
		help:  "debug checks, comma-separated: locks (the lock validator, lockdep), poison (fill freed frames with 0x6b); both are always on for test=",
		parse: func(o *Options, v string) error {
			var locks, poison bool
			for _, w := range strings.Split(v, ",") {
				switch w {
				case "locks":
					locks = true
				case "poison":
					poison = true
				default:
					return errors.New("want locks, poison or both, comma-separated")
				}
			}
			o.Lockdep, o.Poison = locks, poison
			return nil
		},
	},
	{
		name:  "init",
		usage: "init=/PATH [-- ARGS]",
		help:  "run this program of the initramfs as PID 1 instead of the shell (words after -- are its arguments); power off when it exits",
		parse: func(o *Options, v string) error {
			if v == "" || v[0] != '/' {
				return errors.New("want an absolute path, as in init=/bin/init")
			}
			o.Init = v
			return nil
		},
	},
	{
		name:  "trace",
		usage: "trace=EVENTS",
		help:  "record events from boot on: all, or classes such as fault,pte,retract,rcu (trace dump prints them)",
		parse: func(o *Options, v string) error {
			c, err := trace.ParseClasses(v)
			if err != nil || v == "" {
				return errors.New("want all or a comma-separated list of " + strings.Join(trace.ClassNames[:], ", "))
			}
			o.Trace = c
			return nil
		},
	},
	{
		name:  "delay",
		usage: "delay=POINT:US[,POINT:US]",
		help:  "race-widening delays in microseconds, e.g. delay=fault.after_pte_offset_map:200",
		parse: parseDelays,
	},
}

func parseTests(o *Options, v string) error {
	if v == "" {
		return errors.New("empty suite list")
	}
	names := strings.Split(v, ",")
	for _, n := range names {
		if n == "" {
			return errors.New("empty suite name")
		}
		if n == "list" && len(names) > 1 {
			return errors.New("list cannot be combined with suite names")
		}
	}
	o.Tests = names
	return nil
}

// parseDelays parses delay=POINT:US[,POINT:US]. It checks the shape of
// each point name but not whether the point exists: the kernel does that.
func parseDelays(o *Options, v string) error {
	if v == "" {
		return errors.New("empty delay list")
	}
	var ds []Delay
	for _, item := range strings.Split(v, ",") {
		if item == "" {
			return errors.New("empty delay item")
		}
		name, num, ok := strings.Cut(item, ":")
		if !ok {
			return fmt.Errorf("%q: want POINT:MICROSECONDS", item)
		}
		if name == "" {
			return fmt.Errorf("%q: empty point name", item)
		}
		if !isPointName(name) {
			return fmt.Errorf("point %q: want only a-z, 0-9, _ and .", name)
		}
		us, ok := ParseUint(num)
		if !ok {
			return fmt.Errorf("delay of %q not a decimal or 0x hex number", num)
		}
		if us > MaxDelayMicros {
			return fmt.Errorf("delay of %q above %d µs", num, MaxDelayMicros)
		}
		for _, d := range ds {
			if d.Point == name {
				return fmt.Errorf("point %q given twice", name)
			}
		}
		ds = append(ds, Delay{Point: name, Micros: us})
	}
	o.Delays = ds
	return nil
}

// isPointName reports whether s is a non-empty run of [a-z0-9_.].
func isPointName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '.') {
			return false
		}
	}
	return s != ""
}

// find returns the table entry for key, or nil.
func find(key string) *option {
	for i := range options {
		if options[i].name == key {
			return &options[i]
		}
	}
	return nil
}

// Usage writes one line per known option: its usage and help, aligned.
func Usage(w io.Writer) error {
	width := 0
	for _, o := range options {
		width = max(width, len(o.usage))
	}
	for _, o := range options {
		if _, err := fmt.Fprintf(w, "  %-*s   %s\n", width, o.usage, o.help); err != nil {
			return err
		}
	}
	return nil
}
