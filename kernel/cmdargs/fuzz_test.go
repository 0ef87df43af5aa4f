package cmdargs

import (
	"strings"
	"testing"

	"retract/kernel/trace"
	"retract/mm"
	"retract/mm/phys"
)

// FuzzParse feeds every parser the words of one line. The properties: no
// parser panics, an error is one line, and an accepted request is what the
// command may act on (ranges inside user space, aligned, counts in their
// limits) and round-trips through its canonical words.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"", "new", "map 1 0x8000000000 16 rw", "map 1 0x7ffffffff000 16 rw", "mapfile 1 0x8000000000 512",
		"advise 1 0x8000000000 512 huge", "destroy 1", "walk 1 0x8000003000", "dump 1 0x8000000000 0x8000200000",
		"1 0x8000001008 w", "1 0x8000001001", "set max_ptes_none 511", "set max_ptes_shared 0", "set sleep_ms 99999999999999999999",
		"fault.after_pte_offset_map 40000", "retract 10 2", "retract 3 8 0xffffffffffffffff",
		"map 4294967295 0xffffffffffffffff 1048576 r", "map 1 0x 1 r", "dump 1 0x8000000000 0x800000000000",
		"on", "on fault,retract", "dump rcu", "on fault,,pte", "on all", "off", "clear x",
	} {
		f.Add(s, 2)
	}
	f.Fuzz(func(t *testing.T, line string, online int) {
		args := strings.Fields(line)
		oneLine := func(err error) {
			if err != nil && strings.ContainsAny(err.Error(), "\n\r") {
				t.Fatalf("error %q spans lines", err)
			}
		}

		r, err := ParseMM(args, filePages)
		oneLine(err)
		if err == nil {
			if r.Op != MMList && r.Op != MMNew && r.Op != MMDestroy {
				end := uint64(r.Addr) + uint64(r.Pages)*phys.PageSize
				if r.Addr < mm.UserBase || end > uint64(mm.UserEnd) || r.Addr%phys.PageSize != 0 || r.Pages < 1 {
					t.Fatalf("ParseMM(%q) accepted %+v, outside user space or misaligned", args, r)
				}
				if r.Op == MMMapFile && r.Pages > filePages {
					t.Fatalf("ParseMM(%q) accepted %+v, larger than the file", args, r)
				}
			}
			roundTrip(t, "mm", r, MM.Args, func(a []string) (MM, error) { return ParseMM(a, filePages) })
		}

		p, err := ParsePT(args)
		oneLine(err)
		if err == nil {
			if p.Dump && (p.Start < mm.UserBase || p.End > mm.UserEnd || p.End <= p.Start) ||
				!p.Dump && (p.Addr < mm.UserBase || p.Addr >= mm.UserEnd) {
				t.Fatalf("ParsePT(%q) accepted %+v", args, p)
			}
			roundTrip(t, "pt", p, PT.Args, ParsePT)
		}

		fl, err := ParseFault(args)
		oneLine(err)
		if err == nil {
			if fl.Addr < mm.UserBase || fl.Addr+8 > mm.UserEnd || fl.Addr%8 != 0 {
				t.Fatalf("ParseFault(%q) accepted %+v", args, fl)
			}
			roundTrip(t, "fault", fl, Fault.Args, ParseFault)
		}

		c, err := ParseCollapse(args)
		oneLine(err)
		if err == nil {
			if c.Addr < mm.UserBase || c.Addr+mm.HPageSize > mm.UserEnd || c.Addr%mm.HPageSize != 0 {
				t.Fatalf("ParseCollapse(%q) accepted %+v", args, c)
			}
			roundTrip(t, "collapse", c, Collapse.Args, ParseCollapse)
		}

		k, err := ParseKhugepaged(args)
		oneLine(err)
		if err == nil {
			roundTrip(t, "khugepaged", k, Khugepaged.Args, ParseKhugepaged)
		}

		d, err := ParseDelay(args)
		oneLine(err)
		if err == nil {
			if d.Micros > mm.MaxDelay {
				t.Fatalf("ParseDelay(%q) accepted %+v", args, d)
			}
			roundTrip(t, "delay", d, Delay.Args, ParseDelay)
		}

		tr, err := ParseTrace(args)
		oneLine(err)
		if err == nil {
			if (tr.Op == TraceOn || tr.Op == TraceDump) && (tr.Classes == 0 || tr.Classes&^trace.ClassAll != 0) {
				t.Fatalf("ParseTrace(%q) accepted %+v", args, tr)
			}
			roundTrip(t, "trace", tr, Trace.Args, ParseTrace)
		}

		s, err := ParseStress(args, online)
		oneLine(err)
		if err == nil {
			if s.CPUs < 2 || s.CPUs > online || s.Seconds < 1 || s.Seconds > StressMaxSeconds {
				t.Fatalf("ParseStress(%q, %d) accepted %+v", args, online, s)
			}
			roundTrip(t, "stress", s, Stress.Args, func(a []string) (Stress, error) { return ParseStress(a, online) })
		}
	})
}
