package oops

import (
	"debug/elf"
	"os"
	"reflect"
	"runtime"
	"sync"
	"testing"
)

//go:noinline
func testTarget(x int) int {
	for i := 0; i < x; i++ {
		x ^= i * 7
	}
	return x
}

//go:noinline
func testTarget2() string { return "two" }

var (
	tableOnce sync.Once
	table     *Table
	textLo    uintptr
	textHi    uintptr
)

// testTable builds a Table over the test binary's own text.
func testTable(t *testing.T) *Table {
	t.Helper()
	tableOnce.Do(func() {
		target := reflect.ValueOf(testTarget).Pointer()
		exe, err := os.Executable()
		if err == nil {
			if f, err := elf.Open(exe); err == nil {
				if s := f.Section(".text"); s != nil {
					textLo, textHi = uintptr(s.Addr), uintptr(s.Addr+s.Size)
				}
				f.Close()
			}
		}
		if target < textLo || target >= textHi {
			// Not the link-time layout (a PIE binary, say): cover the
			// neighbourhood of known functions instead.
			textLo, textHi = target-1<<20, target+1<<20
		}
		table = Build(textLo, textHi)
	})
	return table
}

func TestLookupKnownFunctions(t *testing.T) {
	tab := testTable(t)
	if tab.Len() < 1000 {
		t.Fatalf("Len() = %d, want a few thousand functions", tab.Len())
	}
	for _, tc := range []struct {
		fn   any
		name string
	}{
		{testTarget, "retract/kernel/oops.testTarget"},
		{testTarget2, "retract/kernel/oops.testTarget2"},
		{Build, "retract/kernel/oops.Build"},
		{TestLookupKnownFunctions, "retract/kernel/oops.TestLookupKnownFunctions"},
	} {
		entry := reflect.ValueOf(tc.fn).Pointer()
		name, off, ok := tab.Lookup(entry)
		if !ok || name != tc.name || off != 0 {
			t.Errorf("Lookup(%#x) = %q, %#x, %v; want %q, 0, true", entry, name, off, ok, tc.name)
		}
		name, off, ok = tab.Lookup(entry + 3)
		if !ok || name != tc.name || off != 3 {
			t.Errorf("Lookup(%#x+3) = %q, %#x, %v; want %q, 3, true", entry, name, off, ok, tc.name)
		}
		if a, ok := tab.Addr(tc.name); !ok || a != entry {
			t.Errorf("Addr(%q) = %#x, %v; want %#x", tc.name, a, ok, entry)
		}
	}
}

func TestAddrForms(t *testing.T) {
	tab := testTable(t)
	entry := reflect.ValueOf(testTarget).Pointer()
	for _, name := range []string{
		"retract/kernel/oops.testTarget",
		"kernel/oops.testTarget",
		"oops.testTarget",
	} {
		if a, ok := tab.Addr(name); !ok || a != entry {
			t.Errorf("Addr(%q) = %#x, %v; want %#x, true", name, a, ok, entry)
		}
	}
	for _, name := range []string{"testTarget", "ops.testTarget", "oops.testTarge", "", "/oops.testTarget"} {
		if a, ok := tab.Addr(name); ok {
			t.Errorf("Addr(%q) = %#x, true; want not found", name, a)
		}
	}
	a, ok := tab.Addr("runtime.main")
	if !ok {
		t.Fatal(`Addr("runtime.main") not found`)
	}
	if name, off, _ := tab.Lookup(a); name != "runtime.main" || off != 0 {
		t.Errorf("Lookup(Addr(runtime.main)) = %q+%#x", name, off)
	}
	if got := runtime.FuncForPC(a).Entry(); got != a {
		t.Errorf("runtime.main entry %#x, Addr says %#x", got, a)
	}
}

func TestAddrSynthetic(t *testing.T) {
	tab := &Table{
		syms: []Sym{{0x100, "a/x.F"}, {0x200, "b/x.F"}, {0x300, "retract/kernel/y.G"}, {0x400, "z.H"}},
		ends: []uintptr{0x200, 0x300, 0x400, 0x500},
		byName: map[string]uintptr{
			"a/x.F": 0x100, "b/x.F": 0x200, "retract/kernel/y.G": 0x300, "z.H": 0x400,
		},
	}
	for name, want := range map[string]uintptr{
		"a/x.F": 0x100, "retract/kernel/y.G": 0x300, "kernel/y.G": 0x300, "y.G": 0x300, "z.H": 0x400,
	} {
		if a, ok := tab.Addr(name); !ok || a != want {
			t.Errorf("Addr(%q) = %#x, %v; want %#x", name, a, ok, want)
		}
	}
	if a, ok := tab.Addr("x.F"); ok {
		t.Errorf("ambiguous Addr(x.F) = %#x, true", a)
	}
	for pc, want := range map[uintptr]string{0xff: "", 0x100: "a/x.F", 0x1ff: "a/x.F", 0x200: "b/x.F", 0x4ff: "z.H", 0x500: ""} {
		name, _, ok := tab.Lookup(pc)
		if name != want || ok != (want != "") {
			t.Errorf("Lookup(%#x) = %q, %v; want %q", pc, name, ok, want)
		}
	}
}

// TestTableMatchesRuntime checks the table against FuncForPC over the
// whole text: entries, order, extents, and a sample of addresses.
func TestTableMatchesRuntime(t *testing.T) {
	tab := testTable(t)
	for i, s := range tab.syms {
		if f := runtime.FuncForPC(s.Addr); f == nil || f.Entry() != s.Addr || f.Name() != s.Name {
			t.Fatalf("sym %d %q at %#x is not a function entry", i, s.Name, s.Addr)
		}
		if tab.ends[i] <= s.Addr || i+1 < len(tab.syms) && tab.ends[i] > tab.syms[i+1].Addr {
			t.Fatalf("sym %d %q: bad extent [%#x, %#x)", i, s.Name, s.Addr, tab.ends[i])
		}
		if end := tab.ends[i]; end < textHi {
			if f := runtime.FuncForPC(end - 1); f == nil || f.Entry() != s.Addr {
				t.Fatalf("sym %q: last byte %#x belongs elsewhere", s.Name, end-1)
			}
		}
	}
	checked := 0
	for pc := textLo; pc < textHi; pc += 997 {
		f := runtime.FuncForPC(pc)
		name, off, ok := tab.Lookup(pc)
		if f == nil || runtime.FuncForPC(f.Entry()).Name() == "" {
			if ok {
				t.Errorf("Lookup(%#x) = %q, ok; runtime knows no named function", pc, name)
			}
			continue
		}
		want := runtime.FuncForPC(f.Entry()).Name()
		if !ok || name != want || off != pc-f.Entry() {
			t.Fatalf("Lookup(%#x) = %q+%#x %v; want %q+%#x", pc, name, off, ok, want, pc-f.Entry())
		}
		checked++
	}
	if checked < 100 {
		t.Errorf("only %d sample addresses checked", checked)
	}
	if _, _, ok := tab.Lookup(0x1000); ok {
		t.Errorf("Lookup(0x1000) succeeded")
	}
}

func TestLookupDoesNotAllocate(t *testing.T) {
	tab := testTable(t)
	pc := reflect.ValueOf(testTarget).Pointer() + 5
	var n int
	allocs := testing.AllocsPerRun(1000, func() {
		name, off, ok := tab.Lookup(pc)
		if ok {
			n += len(name) + int(off)
		}
		tab.Lookup(0)
	})
	if allocs != 0 {
		t.Errorf("Lookup allocates %v times per call", allocs)
	}
	if n == 0 {
		t.Errorf("Lookup found nothing")
	}
}

func TestBoundary(t *testing.T) {
	for _, tc := range []struct{ lo, hi, edge, want uintptr }{
		{0, 100, 37, 37},
		{0, 100, 1, 1},
		{0, 100, 100, 100},  // same everywhere below hi
		{0, 100, 1000, 100}, // edge beyond hi
		{10, 11, 11, 11},
		{5, 1 << 40, 1<<40 - 3, 1<<40 - 3},
	} {
		calls := 0
		got := boundary(tc.lo, tc.hi, func(q uintptr) bool { calls++; return q < tc.edge })
		if got != tc.want {
			t.Errorf("boundary(%d, %d) with edge %d = %d, want %d", tc.lo, tc.hi, tc.edge, got, tc.want)
		}
		if calls > 100 {
			t.Errorf("boundary(%d, %d) made %d probes", tc.lo, tc.hi, calls)
		}
	}
}

// TestFtabMatchesProbing checks the fast path (the runtime's function
// table) against the slow one (FuncForPC probing) over the test binary:
// the same functions, entries and ends.
func TestFtabMatchesProbing(t *testing.T) {
	testTable(t)
	syms, ends, ok := ftabFuncs(textLo, textHi)
	if !ok {
		t.Fatal("ftabFuncs did not find the runtime's function table")
	}
	fast := &Table{syms: syms, ends: ends}
	slow := probe(textLo, textHi)
	if len(slow.syms) > 0 && slow.syms[0].Addr < textLo {
		// A PIE test binary: textLo is a guess, inside a function
		// that probing finds and the table, rightly, leaves out.
		slow.syms, slow.ends = slow.syms[1:], slow.ends[1:]
	}
	if len(fast.syms) != len(slow.syms) {
		t.Fatalf("fast path: %d functions, probing: %d", len(fast.syms), len(slow.syms))
	}
	for i := range slow.syms {
		if fast.syms[i] != slow.syms[i] || fast.ends[i] != slow.ends[i] {
			t.Fatalf("function %d: fast %v..%#x, probing %v..%#x", i, fast.syms[i], fast.ends[i], slow.syms[i], slow.ends[i])
		}
	}
}
