package cmdargs

import (
	"reflect"
	"strings"
	"testing"

	"retract/kernel/trace"
	"retract/mm"
)

const filePages = 2048

func TestParseMM(t *testing.T) {
	good := []struct {
		in   string
		want MM
	}{
		{"", MM{Op: MMList}},
		{"new", MM{Op: MMNew}},
		{"map 1 0x8000000000 16 rw", MM{Op: MMMap, ID: 1, Addr: 0x8000000000, Pages: 16, Write: true}},
		{"map 01 8000001000 1 r", MM{Op: MMMap, ID: 1, Addr: 0x8000001000, Pages: 1}},
		{"map 1 0x7fffffffe000 1 r", MM{Op: MMMap, ID: 1, Addr: 0x7fffffffe000, Pages: 1}},
		{"map 1 0x10000 1 r", MM{Op: MMMap, ID: 1, Addr: 0x10000, Pages: 1}},
		{"map 1 0x400000 16 rw", MM{Op: MMMap, ID: 1, Addr: 0x400000, Pages: 16, Write: true}},
		{"mapfile 2 0x8000000000 2048", MM{Op: MMMapFile, ID: 2, Addr: 0x8000000000, Pages: 2048}},
		{"advise 3 0x8000200000 512 huge", MM{Op: MMAdvise, ID: 3, Addr: 0x8000200000, Pages: 512, Huge: true}},
		{"advise 3 0x8000200000 512 nohuge", MM{Op: MMAdvise, ID: 3, Addr: 0x8000200000, Pages: 512}},
		{"destroy 4", MM{Op: MMDestroy, ID: 4}},
	}
	for _, tt := range good {
		got, err := ParseMM(strings.Fields(tt.in), filePages)
		if err != nil || got != tt.want {
			t.Errorf("ParseMM(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
	bad := []struct{ in, want string }{
		{"map 1 0x7fffffffe000 16 rw", "0x7fffffffe000 + 16 pages ends at 0x80000000e000, past the end of user space 0x7ffffffff000"},
		{"map 1 0x7ffffffff000 1 r", "0x7ffffffff000 is not a user address: the user range is [0x10000, 0x7ffffffff000)"},
		{"map 1 0xffff888000000000 1 r", "0xffff888000000000 is not a user address: the user range is [0x10000, 0x7ffffffff000)"},
		{"map 1 0x8000000001 1 rw", "ADDR must be page aligned (4 KiB): 0x8000000001"},
		{"mapfile 1 0x8000000800 1", "ADDR must be page aligned (4 KiB): 0x8000000800"},
		{"advise 1 0x8000000008 1 huge", "ADDR must be page aligned (4 KiB): 0x8000000008"},
		{"map 1 0x100 1 r", "0x100 is not a user address: the user range is [0x10000, 0x7ffffffff000)"},
		{"map 1 zz 1 r", `"zz" is not a hex address`},
		{"map x 0x8000000000 1 r", `"x" is not an address space id (see mm)`},
		{"map 1 0x8000000000 0 r", "PAGES must be 1 to 1048576"},
		{"map 1 0x8000000000 1 x", `protection "x": want r or rw`},
		{"mapfile 1 0x9000000000 5000", "PAGES must be 1 to 2048 (the demo file's size)"},
		{"map 1 0x8000000000", "usage: mm map ID ADDR PAGES r|rw"},
		{"advise 1 0x8000000000 1 big", "usage: mm advise ID ADDR PAGES huge|nohuge"},
		{"new 1", "usage: mm new"},
		{"destroy", "usage: mm destroy ID"},
		{"frob", `unknown subcommand "frob": want new, map, mapfile, advise or destroy`},
	}
	for _, tt := range bad {
		_, err := ParseMM(strings.Fields(tt.in), filePages)
		if err == nil || err.Error() != tt.want {
			t.Errorf("ParseMM(%q) error %v, want %q", tt.in, err, tt.want)
		}
	}
}

func TestParsePTFaultCollapse(t *testing.T) {
	if r, err := ParsePT(strings.Fields("walk 1 0x8000003008")); err != nil || r != (PT{ID: 1, Addr: 0x8000003008}) {
		t.Errorf("pt walk: %+v, %v", r, err)
	}
	if r, err := ParsePT(strings.Fields("dump 2")); err != nil || r != (PT{Dump: true, ID: 2, Start: mm.UserBase, End: mm.UserEnd}) {
		t.Errorf("pt dump: %+v, %v", r, err)
	}
	if r, err := ParsePT(strings.Fields("dump 2 0x8000000000 0x7ffffffff000")); err != nil || r.End != mm.UserEnd {
		t.Errorf("pt dump to the end of user space: %+v, %v", r, err)
	}
	for in, want := range map[string]string{
		"walk 1 0x100":                       "not a user address",
		"walk 1 zz":                          "not a hex address",
		"dump 1 0x8000001000 0x8000000000":   "END must be above START",
		"dump 1 0x8000000000 0x800000001000": "END must be above START and at most the end of user space",
		"look 1":                             "usage: pt walk ID ADDR | pt dump ID [START END]",
	} {
		if _, err := ParsePT(strings.Fields(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParsePT(%q) error %v, want %q", in, err, want)
		}
	}
	for _, in := range []string{"0 0x10000", "0 010000", "1 0x7fffffffe000"} {
		if _, err := ParseCollapse(strings.Fields(in)); err == nil || !strings.Contains(err.Error(), "is not all inside user space") {
			t.Errorf("ParseCollapse(%q): %v; want the 2 MiB page refused", in, err)
		}
	}
	if r, err := ParseFault(strings.Fields("1 0x8000001008 w")); err != nil || r != (Fault{ID: 1, Addr: 0x8000001008, Write: true, Pages: 1}) {
		t.Errorf("fault: %+v, %v", r, err)
	}
	if r, err := ParseFault(strings.Fields("1 0x8000001008 r 300")); err != nil || r != (Fault{ID: 1, Addr: 0x8000001008, Pages: 300}) {
		t.Errorf("fault of a run: %+v, %v", r, err)
	}
	if _, err := ParseFault(strings.Fields("1 0x7fffffffe000 w 3")); err == nil {
		t.Errorf("a run past the end of user space was accepted")
	}
	if _, err := ParseFault(strings.Fields("1 0x8000001008 w 0")); err == nil || !strings.Contains(err.Error(), "PAGES must be 1 to") {
		t.Errorf("a run of 0 pages: %v", err)
	}
	if _, err := ParseFault(strings.Fields("1 0x8000001001 w")); err == nil || err.Error() != "ADDR must be 8-byte aligned (fault reads or writes 8 bytes): 0x8000001001" {
		t.Errorf("misaligned fault: %v", err)
	}
	if _, err := ParseFault(strings.Fields("1 0x8000001000 x")); err == nil || err.Error() != `access "x": want r or w` {
		t.Errorf("fault access x: %v", err)
	}
	if r, err := ParseCollapse(strings.Fields("1 0x8000003000")); err != nil || r != (Collapse{ID: 1, Addr: 0x8000000000}) {
		t.Errorf("collapse: %+v, %v", r, err)
	}
}

func TestParseKhugepagedDelay(t *testing.T) {
	if r, err := ParseKhugepaged(nil); err != nil || r.Op != "stats" {
		t.Errorf("khugepaged: %+v, %v", r, err)
	}
	if r, err := ParseKhugepaged(strings.Fields("set max_ptes_none 511")); err != nil || r != (Khugepaged{"set", "max_ptes_none", 511}) {
		t.Errorf("khugepaged set: %+v, %v", r, err)
	}
	if r, err := ParseKhugepaged(strings.Fields("set max_ptes_shared 256")); err != nil || r != (Khugepaged{"set", "max_ptes_shared", 256}) {
		t.Errorf("khugepaged set max_ptes_shared: %+v, %v", r, err)
	}
	for in, want := range map[string]string{
		"set max_ptes_none 600":   "max_ptes_none: 0 to 511",
		"set max_ptes_shared 512": "max_ptes_shared: 0 to 511",
		"set sleep_ms 60001":      "sleep_ms: 0 to 60000",
		"set pages_to_scan 0":     "pages_to_scan: 1 to 1048576",
		"set speed 1":             `unknown tunable "speed"`,
		"set speed -1":            `"-1" is not a non-negative number`,
		"on now":                  "usage: khugepaged on",
		"sideways":                `unknown subcommand "sideways"`,
	} {
		if _, err := ParseKhugepaged(strings.Fields(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseKhugepaged(%q) error %v, want %q", in, err, want)
		}
	}
	if r, err := ParseDelay(strings.Fields("fault.after_pte_offset_map 250")); err != nil || r != (Delay{Point: "fault.after_pte_offset_map", Micros: 250}) {
		t.Errorf("delay: %+v, %v", r, err)
	}
	for _, in := range []string{"p x", "p -1", "p 1000001"} {
		if _, err := ParseDelay(strings.Fields(in)); err == nil || !strings.Contains(err.Error(), "is not a number of microseconds from 0 to 1000000") {
			t.Errorf("ParseDelay(%q) error %v", in, err)
		}
	}
}

func TestParseStress(t *testing.T) {
	good := []struct {
		in     string
		online int
		want   Stress
	}{
		{"retract", 2, Stress{Seconds: 10, CPUs: 2}},
		{"retract 3", 4, Stress{Seconds: 3, CPUs: 4}},
		{"retract 3 2", 4, Stress{Seconds: 3, CPUs: 2}},
		{"retract 3 2 0x2a", 2, Stress{Seconds: 3, CPUs: 2, Seed: 42, SeedSet: true}},
	}
	for _, tt := range good {
		got, err := ParseStress(strings.Fields(tt.in), tt.online)
		if err != nil || got != tt.want {
			t.Errorf("ParseStress(%q, %d) = %+v, %v; want %+v", tt.in, tt.online, got, err, tt.want)
		}
	}
	bad := []struct {
		in     string
		online int
		want   string
	}{
		{"retract 10 1", 2, "CPUS must be 2 to 2 (the CPUs online): one collapses and retracts, the others fault; the race needs two"},
		{"retract 3 8", 2, "CPUS must be 2 to 2 (the CPUs online)"},
		{"retract 3 x", 4, "CPUS must be 2 to 4"},
		{"retract", 1, "needs 2 CPUs or more (one faults while another collapses and retracts); 1 online: boot with CPUS=2"},
		{"retract 0", 2, "SECONDS must be 1 to 86400"},
		{"retract 1 2 -5", 2, `SEED "-5" is not a 64-bit decimal or 0x hex number`},
		{"retract 1 2 3 4", 2, "usage: stress retract [SECONDS] [CPUS] [SEED]"},
		{"collapse", 2, "usage: stress retract"},
	}
	for _, tt := range bad {
		_, err := ParseStress(strings.Fields(tt.in), tt.online)
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("ParseStress(%q, %d) error %v, want %q", tt.in, tt.online, err, tt.want)
		}
	}
}

// roundTrip checks that an accepted request's canonical words parse to
// the same request.
func roundTrip[R any](t *testing.T, what string, r R, args func(R) []string, parse func([]string) (R, error)) {
	t.Helper()
	words := args(r)
	again, err := parse(words)
	if err != nil {
		t.Fatalf("%s: %+v: its words %q do not parse: %v", what, r, words, err)
	}
	if !reflect.DeepEqual(again, r) {
		t.Fatalf("%s: %+v: its words %q parse to %+v", what, r, words, again)
	}
}

func TestParseTrace(t *testing.T) {
	for line, want := range map[string]Trace{
		"":                 {Op: TraceStats},
		"stats":            {Op: TraceStats},
		"on":               {Op: TraceOn, Classes: trace.ClassAll},
		"on fault,retract": {Op: TraceOn, Classes: trace.ClassFault | trace.ClassRetract},
		"off":              {Op: TraceOff},
		"clear":            {Op: TraceClear},
		"dump":             {Op: TraceDump, Classes: trace.ClassAll},
		"dump rcu":         {Op: TraceDump, Classes: trace.ClassRCU},
		"dump all":         {Op: TraceDump, Classes: trace.ClassAll},
	} {
		got, err := ParseTrace(strings.Fields(line))
		if err != nil || got != want {
			t.Errorf("ParseTrace(%q) = %+v, %v; want %+v", line, got, err, want)
		}
	}
	for line, msg := range map[string]string{
		"on faults":     `unknown event class "faults" (known: all, fault, pte, ptl, collapse, retract, rcu, ipi, sched, user)`,
		"off now":       "usage: " + TraceUsage,
		"sideways":      "usage: " + TraceUsage,
		"dump rcu more": "usage: " + TraceUsage,
	} {
		if _, err := ParseTrace(strings.Fields(line)); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("ParseTrace(%q): %v, want %q", line, err, msg)
		}
	}
}
