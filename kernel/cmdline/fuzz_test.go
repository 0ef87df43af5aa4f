package cmdline

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// words renders opts as a command line that Parse must read back as opts
// (the canonical form of what it accepted).
func words(o Options) string {
	var w []string
	if len(o.Tests) > 0 {
		w = append(w, "test="+strings.Join(o.Tests, ","))
	}
	if o.Log != LevelInfo {
		w = append(w, "log="+o.Log.String())
	}
	if o.SeedSet {
		w = append(w, fmt.Sprintf("seed=%d", o.Seed))
	}
	if o.CPUs != 0 {
		w = append(w, fmt.Sprintf("cpus=%d", o.CPUs))
	}
	if o.OopsExit {
		w = append(w, "oops=exit")
	}
	if o.RCUUnsafe {
		w = append(w, "rcu=unsafe")
	}
	if o.Torture != 0 {
		w = append(w, fmt.Sprintf("torture=%d", o.Torture))
	}
	if len(o.Bench) > 0 {
		w = append(w, "bench="+strings.Join(o.Bench, ","))
	}
	if len(o.Delays) > 0 {
		var ds []string
		for _, d := range o.Delays {
			ds = append(ds, fmt.Sprintf("%s:%d", d.Point, d.Micros))
		}
		w = append(w, "delay="+strings.Join(ds, ","))
	}
	return strings.Join(w, " ")
}

// FuzzParse: Parse never panics; every problem is one line starting with
// "cmdline: "; what it accepts is within the documented limits and reads
// back the same from its canonical form; Lookup agrees with Parse on the
// last seed= word; and Take never hands out a cut line.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"", "test=boot,runtime log=debug seed=0x2A cpus=4", "cpus=2 bogus seed=7 cpus=x log=warn log test=syscall",
		"delay=fault.after_pte_offset_map:200,retract.after_pmd_clear:0x3e8", "test=boot bench=nosuch",
		"test=list", "oops=exit rcu=unsafe torture=3", "seed=18446744073709551616", "a=b=c =x test=,",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		opts, errs := Parse(s)
		for _, e := range errs {
			if msg := e.Error(); !strings.HasPrefix(msg, "cmdline: ") || strings.ContainsAny(msg, "\r\n") {
				t.Fatalf("Parse(%q): error %q is not one line starting with \"cmdline: \"", s, msg)
			}
		}
		if opts.CPUs < 0 || opts.CPUs > 8 || opts.Torture < 0 || opts.Torture > 86400 ||
			opts.Refused && (opts.Tests != nil || opts.Bench != nil) || len(opts.Tests) > 0 && len(opts.Bench) > 0 {
			t.Fatalf("Parse(%q) = %+v: out of limits", s, opts)
		}
		for _, d := range opts.Delays {
			if d.Micros > MaxDelayMicros || !isPointName(d.Point) {
				t.Fatalf("Parse(%q) accepted delay %+v", s, d)
			}
		}
		canon := words(opts)
		again, errs2 := Parse(canon)
		again.Refused = opts.Refused
		if len(errs2) != 0 || !reflect.DeepEqual(again, opts) {
			t.Fatalf("Parse(%q) = %+v; its canonical form %q parses to %+v, %v", s, opts, canon, again, errs2)
		}
		if v, ok := Lookup(s, "seed"); ok {
			if n, ok := ParseUint(v); ok && (!opts.SeedSet || opts.Seed != n) {
				t.Fatalf("Lookup(%q, seed) = %q (%d) but Parse's seed is %d, %v", s, v, n, opts.Seed, opts.SeedSet)
			}
		}
		var dst [64]byte
		n, length := Take(dst[:], []byte(s))
		if n != 0 && n != length || n == 0 && length <= len(dst) && length != 0 {
			t.Fatalf("Take(%q) = %d, %d: a cut line", s, n, length)
		}
	})
}
