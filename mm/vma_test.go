// vma_test.go: host tests of VMASet — table-driven cases and a randomized comparison with a per-page model.

package mm

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"retract/mm/phys"
)

const pg = phys.PageSize

type fakeFile struct{ name string }

func (f *fakeFile) String() string { return f.name }

var (
	fileA = &fakeFile{"A"}
	fileB = &fakeFile{"B"}
)

const (
	rw  = ProtRead | ProtWrite
	ro  = ProtRead
	rx  = ProtRead | ProtExec
	rwx = ProtRead | ProtWrite | ProtExec
)

// anon returns an anonymous VMA over pages [a, b).
func anon(a, b uintptr, p Prot) VMA {
	return VMA{Start: a * pg, End: b * pg, Prot: p, Flags: VMAnon, Pgoff: uint64(a)}
}

// file returns a VMA of f over pages [a, b) starting at file page off.
func file(a, b uintptr, p Prot, f *fakeFile, off uint64) VMA {
	return VMA{Start: a * pg, End: b * pg, Prot: p, File: f, Pgoff: off}
}

// mustCheck fails the test if s breaks an invariant.
func mustCheck(t *testing.T, s *VMASet, after string) {
	t.Helper()
	if err := s.check(); err != nil {
		t.Fatalf("after %s: %v\n%s", after, err, dump(s))
	}
}

func dump(s *VMASet) string {
	out := ""
	for _, v := range s.All() {
		out += "\t" + v.String() + "\n"
	}
	return out
}

func equalVMAs(a, b []VMA) bool {
	return slices.EqualFunc(a, b, func(x, y VMA) bool { return x == y })
}

func build(t *testing.T, vs ...VMA) *VMASet {
	t.Helper()
	s := &VMASet{}
	for _, v := range vs {
		if err := s.Insert(v); err != nil {
			t.Fatalf("Insert(%v): %v", v, err)
		}
		mustCheck(t, s, "insert "+v.String())
	}
	return s
}

func TestVMAInsert(t *testing.T) {
	base := []VMA{anon(10, 20, rw), anon(30, 40, ro)}
	for _, c := range []struct {
		name string
		v    VMA
		err  error
		want []VMA
	}{
		{"empty", VMA{Start: 5 * pg, End: 5 * pg}, ErrBadRange, nil},
		{"reversed", VMA{Start: 6 * pg, End: 5 * pg}, ErrBadRange, nil},
		{"unaligned start", VMA{Start: 5*pg + 1, End: 6 * pg}, ErrBadRange, nil},
		{"unaligned end", VMA{Start: 5 * pg, End: 6*pg - 1}, ErrBadRange, nil},
		{"overlap start", anon(5, 11, rw), ErrOverlap, nil},
		{"overlap end", anon(19, 25, rw), ErrOverlap, nil},
		{"inside", anon(12, 13, ro), ErrOverlap, nil},
		{"covering", anon(0, 50, ro), ErrOverlap, nil},
		{"exact", anon(10, 20, rw), ErrOverlap, nil},
		{"below", anon(0, 5, ro), nil, []VMA{anon(0, 5, ro), anon(10, 20, rw), anon(30, 40, ro)}},
		{"gap, no merge", anon(22, 28, rx), nil, []VMA{anon(10, 20, rw), anon(22, 28, rx), anon(30, 40, ro)}},
		{"merge left", anon(20, 25, rw), nil, []VMA{anon(10, 25, rw), anon(30, 40, ro)}},
		{"merge right", anon(25, 30, ro), nil, []VMA{anon(10, 20, rw), anon(25, 40, ro)}},
		{"touch both, different prot", anon(20, 30, rx), nil, []VMA{anon(10, 20, rw), anon(20, 30, rx), anon(30, 40, ro)}},
		{"anon pgoff normalised", VMA{Start: 50 * pg, End: 51 * pg, Prot: ro, Flags: VMAnon, Pgoff: 999},
			nil, []VMA{anon(10, 20, rw), anon(30, 40, ro), anon(50, 51, ro)}},
		{"flags differ, no merge", VMA{Start: 20 * pg, End: 21 * pg, Prot: rw, Flags: VMAnon | VMHugepage, Pgoff: 20},
			nil, []VMA{anon(10, 20, rw), {Start: 20 * pg, End: 21 * pg, Prot: rw, Flags: VMAnon | VMHugepage, Pgoff: 20}, anon(30, 40, ro)}},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := build(t, base...)
			err := s.Insert(c.v)
			mustCheck(t, s, "insert")
			if c.err != nil {
				if !errors.Is(err, c.err) {
					t.Fatalf("Insert(%v) = %v, want %v", c.v, err, c.err)
				}
				c.want = base
			} else if err != nil {
				t.Fatalf("Insert(%v): %v", c.v, err)
			}
			if got := s.All(); !equalVMAs(got, c.want) {
				t.Fatalf("got\n%swant %v", dump(s), c.want)
			}
		})
	}
	// Filling the hole between two equal VMAs merges all three.
	s := build(t, anon(10, 20, rw), anon(30, 40, rw), anon(20, 30, rw))
	if got := s.All(); !equalVMAs(got, []VMA{anon(10, 40, rw)}) {
		t.Fatalf("fill hole: got\n%s", dump(s))
	}
}

func TestVMAFind(t *testing.T) {
	s := build(t, anon(10, 20, rw), anon(30, 40, ro))
	for _, c := range []struct {
		va    uintptr
		start uintptr // 0: nil
	}{
		{0, 0}, {10*pg - 1, 0}, {10 * pg, 10 * pg}, {15*pg + 7, 10 * pg}, {20*pg - 1, 10 * pg},
		{20 * pg, 0}, {30 * pg, 30 * pg}, {40*pg - 1, 30 * pg}, {40 * pg, 0}, {^uintptr(0), 0},
	} {
		v := s.Find(c.va)
		switch {
		case c.start == 0 && v != nil:
			t.Errorf("Find(%#x) = %v, want nil", c.va, *v)
		case c.start != 0 && (v == nil || v.Start != c.start):
			t.Errorf("Find(%#x) = %v, want the VMA at %#x", c.va, v, c.start)
		}
	}
	if (&VMASet{}).Find(0) != nil {
		t.Error("Find in an empty set")
	}
}

func TestVMAUnmap(t *testing.T) {
	base := []VMA{anon(10, 20, rw), anon(20, 30, ro), anon(40, 50, rw)}
	for _, c := range []struct {
		name       string
		start, end uintptr
		removed    []VMA
		want       []VMA
	}{
		{"middle splits in two", 12 * pg, 15 * pg, []VMA{anon(12, 15, rw)},
			[]VMA{anon(10, 12, rw), anon(15, 20, rw), anon(20, 30, ro), anon(40, 50, rw)}},
		{"left edge", 10 * pg, 12 * pg, []VMA{anon(10, 12, rw)},
			[]VMA{anon(12, 20, rw), anon(20, 30, ro), anon(40, 50, rw)}},
		{"right edge", 45 * pg, 50 * pg, []VMA{anon(45, 50, rw)},
			[]VMA{anon(10, 20, rw), anon(20, 30, ro), anon(40, 45, rw)}},
		{"whole VMA", 20 * pg, 30 * pg, []VMA{anon(20, 30, ro)},
			[]VMA{anon(10, 20, rw), anon(40, 50, rw)}},
		{"across several with a hole", 15 * pg, 45 * pg, []VMA{anon(15, 20, rw), anon(20, 30, ro), anon(40, 45, rw)},
			[]VMA{anon(10, 15, rw), anon(45, 50, rw)}},
		{"everything", 0, 100 * pg, base, nil},
		{"hole only", 32 * pg, 38 * pg, nil, base},
		{"empty", 12 * pg, 12 * pg, nil, base},
		{"unaligned rounds outwards", 12*pg + 5, 14*pg + 1, []VMA{anon(12, 15, rw)},
			[]VMA{anon(10, 12, rw), anon(15, 20, rw), anon(20, 30, ro), anon(40, 50, rw)}},
		{"to the top of the address space", 25 * pg, ^uintptr(0), []VMA{anon(25, 30, ro), anon(40, 50, rw)},
			[]VMA{anon(10, 20, rw), anon(20, 25, ro)}},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := build(t, base...)
			removed := s.Unmap(c.start, c.end)
			mustCheck(t, s, "unmap")
			if !equalVMAs(removed, c.removed) {
				t.Errorf("removed %v, want %v", removed, c.removed)
			}
			if got := s.All(); !equalVMAs(got, c.want) {
				t.Errorf("got\n%swant %v", dump(s), c.want)
			}
		})
	}
}

func TestVMAProtect(t *testing.T) {
	s := build(t, anon(10, 20, rw))
	if err := s.Protect(12*pg, 15*pg, ro); err != nil {
		t.Fatal(err)
	}
	mustCheck(t, s, "protect")
	if want := []VMA{anon(10, 12, rw), anon(12, 15, ro), anon(15, 20, rw)}; !equalVMAs(s.All(), want) {
		t.Fatalf("partial protect: got\n%s", dump(s))
	}
	if err := s.Protect(12*pg, 15*pg, rw); err != nil {
		t.Fatal(err)
	}
	mustCheck(t, s, "protect back")
	if want := []VMA{anon(10, 20, rw)}; !equalVMAs(s.All(), want) {
		t.Fatalf("protect back: got\n%s", dump(s))
	}

	// Errors change nothing.
	s = build(t, anon(10, 20, rw), anon(20, 30, ro), anon(40, 50, rw))
	before := s.All()
	for _, c := range []struct {
		start, end uintptr
		err        error
	}{
		{15 * pg, 45 * pg, ErrNotMapped}, // hole at 30-40
		{5 * pg, 15 * pg, ErrNotMapped},  // hole below
		{45 * pg, 55 * pg, ErrNotMapped}, // hole above
		{32 * pg, 33 * pg, ErrNotMapped}, // only hole
		{12 * pg, 12 * pg, ErrBadRange},
		{12*pg + 1, 14 * pg, ErrBadRange},
	} {
		if err := s.Protect(c.start, c.end, rx); !errors.Is(err, c.err) {
			t.Errorf("Protect(%#x, %#x) = %v, want %v", c.start, c.end, err, c.err)
		}
		mustCheck(t, s, "failed protect")
		if !equalVMAs(s.All(), before) {
			t.Fatalf("failed Protect(%#x, %#x) changed the set:\n%s", c.start, c.end, dump(s))
		}
	}

	// Across two VMAs with different prots: they become one.
	if err := s.Protect(15*pg, 25*pg, rx); err != nil {
		t.Fatal(err)
	}
	mustCheck(t, s, "protect across")
	if want := []VMA{anon(10, 15, rw), anon(15, 25, rx), anon(25, 30, ro), anon(40, 50, rw)}; !equalVMAs(s.All(), want) {
		t.Fatalf("protect across: got\n%s", dump(s))
	}
	if err := s.Protect(10*pg, 30*pg, rwx); err != nil {
		t.Fatal(err)
	}
	mustCheck(t, s, "protect all")
	if want := []VMA{anon(10, 30, rwx), anon(40, 50, rw)}; !equalVMAs(s.All(), want) {
		t.Fatalf("protect all: got\n%s", dump(s))
	}
}

func TestVMAAdvise(t *testing.T) {
	s := build(t, anon(0, 1024, rw))
	if err := s.Advise(512*pg, 1024*pg, VMHugepage, 0); err != nil {
		t.Fatal(err)
	}
	mustCheck(t, s, "advise")
	huge := anon(512, 1024, rw)
	huge.Flags |= VMHugepage
	if want := []VMA{anon(0, 512, rw), huge}; !equalVMAs(s.All(), want) {
		t.Fatalf("advise: got\n%s", dump(s))
	}
	if err := s.Advise(0, 1024*pg, VMNoHugepage, VMHugepage); err != nil {
		t.Fatal(err)
	}
	mustCheck(t, s, "advise nohuge")
	no := anon(0, 1024, rw)
	no.Flags |= VMNoHugepage
	if want := []VMA{no}; !equalVMAs(s.All(), want) {
		t.Fatalf("advise nohuge: got\n%s", dump(s))
	}
	if err := s.Advise(0, pg, VMHugepage, VMHugepage); !errors.Is(err, ErrBadFlags) {
		t.Errorf("set and clear the same flag: %v", err)
	}
	if err := s.Advise(0, 2000*pg, VMHugepage, 0); !errors.Is(err, ErrNotMapped) {
		t.Errorf("advise beyond the mapping: %v", err)
	}
	mustCheck(t, s, "failed advise")
}

func TestVMAFile(t *testing.T) {
	// Splitting a file VMA advances the right part's pgoff.
	s := build(t, file(10, 20, rw, fileA, 100))
	if err := s.Protect(13*pg, 15*pg, ro); err != nil {
		t.Fatal(err)
	}
	mustCheck(t, s, "file protect")
	if want := []VMA{file(10, 13, rw, fileA, 100), file(13, 15, ro, fileA, 103), file(15, 20, rw, fileA, 105)}; !equalVMAs(s.All(), want) {
		t.Fatalf("file split: got\n%s", dump(s))
	}
	// And undoing it merges back into the original.
	if err := s.Protect(13*pg, 15*pg, rw); err != nil {
		t.Fatal(err)
	}
	mustCheck(t, s, "file protect back")
	if want := []VMA{file(10, 20, rw, fileA, 100)}; !equalVMAs(s.All(), want) {
		t.Fatalf("file merge back: got\n%s", dump(s))
	}
	removed := s.Unmap(12*pg, 14*pg)
	mustCheck(t, s, "file unmap")
	if want := []VMA{file(12, 14, rw, fileA, 102)}; !equalVMAs(removed, want) {
		t.Fatalf("file unmap removed %v", removed)
	}
	if want := []VMA{file(10, 12, rw, fileA, 100), file(14, 20, rw, fileA, 104)}; !equalVMAs(s.All(), want) {
		t.Fatalf("file unmap: got\n%s", dump(s))
	}

	for _, c := range []struct {
		name  string
		a, b  VMA
		merge bool
	}{
		{"contiguous pgoff", file(0, 4, rw, fileA, 10), file(4, 6, rw, fileA, 14), true},
		{"contiguous pgoff, inserted in reverse", file(4, 6, rw, fileA, 14), file(0, 4, rw, fileA, 10), true},
		{"gap in pgoff", file(0, 4, rw, fileA, 10), file(4, 6, rw, fileA, 15), false},
		{"pgoff backwards", file(0, 4, rw, fileA, 10), file(4, 6, rw, fileA, 6), false},
		{"same pgoff", file(0, 4, rw, fileA, 10), file(4, 6, rw, fileA, 10), false},
		{"other file", file(0, 4, rw, fileA, 10), file(4, 6, rw, fileB, 14), false},
		{"file and anon", file(0, 4, rw, fileA, 10), anon(4, 6, rw), false},
		{"shared and private", file(0, 4, rw, fileA, 10), VMA{Start: 4 * pg, End: 6 * pg, Prot: rw, File: fileA, Pgoff: 14, Flags: VMShared}, false},
		{"other prot", file(0, 4, rw, fileA, 10), file(4, 6, ro, fileA, 14), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := build(t, c.a, c.b)
			if n := s.Len(); (n == 1) != c.merge {
				t.Fatalf("merge = %v, want %v:\n%s", n == 1, c.merge, dump(s))
			}
		})
	}
}

func TestVMAFreeRange(t *testing.T) {
	s := build(t, anon(10, 20, rw), anon(22, 30, ro), anon(40, 50, rw))
	for _, c := range []struct {
		length, lo, hi uintptr
		addr           uintptr
		ok             bool
	}{
		{pg, 0, 100 * pg, 0, true},
		{10 * pg, 0, 100 * pg, 0, true},
		{11 * pg, 0, 100 * pg, 50 * pg, true}, // 0-10 too small, 20-22 too small, 30-40 too small
		{2 * pg, 10 * pg, 100 * pg, 20 * pg, true},
		{3 * pg, 10 * pg, 100 * pg, 30 * pg, true},
		{10 * pg, 10 * pg, 100 * pg, 30 * pg, true}, // exactly fits the 30-40 hole
		{10 * pg, 31 * pg, 100 * pg, 50 * pg, true}, // lo inside the hole
		{pg, 15 * pg, 100 * pg, 20 * pg, true},      // lo inside a VMA
		{pg + 1, 15 * pg, 100 * pg, 20 * pg, true},  // length rounds up to 2 pages
		{pg, 20*pg + 1, 100 * pg, 21 * pg, true},    // lo rounds up
		{10 * pg, 31 * pg, 60 * pg, 50 * pg, true},  // exactly up to hi
		{10 * pg, 31 * pg, 59 * pg, 0, false},
		{5 * pg, 40 * pg, 50 * pg, 0, false}, // all mapped
		{0, 0, 100 * pg, 0, false},
		{pg, 60 * pg, 50 * pg, 0, false},              // lo above hi
		{^uintptr(0), 0, ^uintptr(0), 0, false},       // does not fit
		{pg, ^uintptr(0) - 10, ^uintptr(0), 0, false}, // no overflow
	} {
		addr, ok := s.FreeRange(c.length, c.lo, c.hi)
		if addr != c.addr || ok != c.ok {
			t.Errorf("FreeRange(%#x, %#x, %#x) = %#x, %v; want %#x, %v", c.length, c.lo, c.hi, addr, ok, c.addr, c.ok)
		}
	}
	if a, ok := (&VMASet{}).FreeRange(pg, 3*pg, 4*pg); a != 3*pg || !ok {
		t.Errorf("empty set: %#x, %v", a, ok)
	}
}

func TestVMAFreeRangeTopDown(t *testing.T) {
	s := build(t, anon(10, 20, rw), anon(22, 30, ro), anon(40, 50, rw))
	for _, c := range []struct {
		length, lo, hi, align uintptr
		addr                  uintptr
		ok                    bool
	}{
		{pg, 0, 100 * pg, pg, 99 * pg, true},              // just below the top
		{50 * pg, 0, 100 * pg, pg, 50 * pg, true},         // exactly the gap above 50
		{51 * pg, 0, 100 * pg, pg, 0, false},              // no gap that big
		{10 * pg, 0, 100 * pg, pg, 50*pg + 40*pg, true},   // the highest fit
		{pg, 0, 45 * pg, pg, 39 * pg, true},               // hi inside a VMA: the gap below it
		{10 * pg, 0, 45 * pg, pg, 30 * pg, true},          // 30-40 fits exactly
		{11 * pg, 0, 45 * pg, pg, 0, false},               // 0-10 and 20-22 too small, 30-40 too
		{3 * pg, 0, 30 * pg, pg, 7 * pg, true},            // 20-22 too small: 0-10
		{2 * pg, 0, 30 * pg, pg, 20 * pg, true},           // 20-22 fits
		{pg, 12 * pg, 21 * pg, pg, 20 * pg, true},         // lo inside a VMA
		{2 * pg, 12 * pg, 21 * pg, pg, 0, false},          // the gap is cut by hi
		{pg + 1, 0, 100 * pg, pg, 98 * pg, true},          // length rounds up
		{4 * pg, 0, 100 * pg, 8 * pg, 96 * pg, true},      // aligned: 96 is a multiple of 8 and ends at 100
		{16 * pg, 0, 100 * pg, 32 * pg, 64 * pg, true},    // 64-80 in the gap above 50
		{16 * pg, 0, 60 * pg, 32 * pg, 0, false},          // 32-48 is in a VMA, 0-16 too; nothing else aligned fits
		{12 * pg, 0, 60 * pg, 4 * pg, 0, false},           // 50-60 is too small, the gaps below too
		{pg, 0, 100 * pg, 3 * pg, 0, false},               // alignment not a power of two
		{0, 0, 100 * pg, pg, 0, false},                    // empty
		{pg, 0, pg - 1, pg, 0, false},                     // hi rounds down to 0
		{^uintptr(0), 0, ^uintptr(0), pg, 0, false},       // does not fit
		{pg, ^uintptr(0) - 10, ^uintptr(0), pg, 0, false}, // lo rounds up past hi
	} {
		addr, ok := s.FreeRangeTopDown(c.length, c.lo, c.hi, c.align)
		if addr != c.addr || ok != c.ok {
			t.Errorf("FreeRangeTopDown(%#x, %#x, %#x, %#x) = %#x, %v; want %#x, %v", c.length, c.lo, c.hi, c.align, addr, ok, c.addr, c.ok)
		}
		if ok && s.Overlaps(addr, addr+c.length) {
			t.Errorf("FreeRangeTopDown(%#x, ...) = %#x overlaps a VMA", c.length, addr)
		}
	}
	if a, ok := (&VMASet{}).FreeRangeTopDown(pg, 3*pg, 5*pg, pg); a != 4*pg || !ok {
		t.Errorf("empty set: %#x, %v", a, ok)
	}
}

func TestVMANextMappedUntil(t *testing.T) {
	s := build(t, anon(10, 20, rw), anon(20, 30, ro), anon(40, 50, rw))
	for _, c := range []struct{ va, start uintptr }{{0, 10 * pg}, {10 * pg, 10 * pg}, {11 * pg, 20 * pg}, {30 * pg, 40 * pg}} {
		if v := s.Next(c.va); v == nil || v.Start != c.start {
			t.Errorf("Next(%#x) = %v, want the VMA at %#x", c.va, v, c.start)
		}
	}
	if v := s.Next(41 * pg); v != nil {
		t.Errorf("Next past the last VMA: %v", v)
	}
	for _, c := range []struct{ start, end, want uintptr }{
		{10 * pg, 50 * pg, 30 * pg}, // across two VMAs up to the hole
		{15 * pg, 25 * pg, 25 * pg}, // inside
		{30 * pg, 50 * pg, 30 * pg}, // starts in the hole
		{40 * pg, 60 * pg, 50 * pg},
	} {
		if got := s.mappedUntil(c.start, c.end); got != c.want {
			t.Errorf("mappedUntil(%#x, %#x) = %#x, want %#x", c.start, c.end, got, c.want)
		}
	}
	if n := s.TotalPages(); n != 30 {
		t.Errorf("TotalPages = %d, want 30", n)
	}
	s.Unmap(15*pg, 45*pg)
	if n := s.TotalPages(); n != 10 {
		t.Errorf("TotalPages after an unmap = %d, want 10", n)
	}
}

func TestVMAFlagsString(t *testing.T) {
	if s := (VMAnon | VMDontCopy | VMWipeOnFork | VMStack | VMNoMayWrite | VMLocked | 1<<11).String(); s != "anon|dontcopy|wipeonfork|stack|nomaywrite|locked|0x800" {
		t.Errorf("flags: %q", s)
	}
}

// pageState is what the model knows about one page.
type pageState struct {
	prot  Prot
	flags VMAFlags
	file  *fakeFile // nil: anonymous
	pgoff uint64    // file page this page maps (va>>PageShift when anonymous)
}

// TestVMARandom applies random operations to a VMASet and to a per-page
// model and compares the two after every step.
func TestVMARandom(t *testing.T) {
	const (
		pages = 64
		base  = 0x400000 / pg // page number of the first page
		steps = 3000
	)
	prots := []Prot{ProtNone, ro, rw, rx}
	flagSets := []VMAFlags{VMAnon, VMAnon | VMHugepage, VMShared}
	files := []*fakeFile{nil, fileA, fileB}
	for seed := uint64(1); seed <= 8; seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 0x5eed))
			s := &VMASet{}
			model := map[uintptr]pageState{} // page number -> state
			randRange := func() (uintptr, uintptr) {
				a := uintptr(rng.IntN(pages))
				b := a + 1 + uintptr(rng.IntN(min(pages-int(a), 16)))
				return base + a, base + b
			}
			allMapped := func(a, b uintptr) bool {
				for p := a; p < b; p++ {
					if _, ok := model[p]; !ok {
						return false
					}
				}
				return true
			}
			for step := range steps {
				a, b := randRange()
				var what string
				switch op := rng.IntN(10); {
				case op < 4: // insert
					v := VMA{Start: a * pg, End: b * pg, Prot: prots[rng.IntN(len(prots))], Flags: flagSets[rng.IntN(len(flagSets))]}
					f := files[rng.IntN(len(files))]
					if f != nil {
						v.File = f
						v.Pgoff = uint64(rng.IntN(4)) * 8 // few offsets, so that merges happen
					}
					what = "insert " + v.String()
					free := true
					for p := a; p < b; p++ {
						if _, ok := model[p]; ok {
							free = false
						}
					}
					err := s.Insert(v)
					if free != (err == nil) {
						t.Fatalf("step %d: %s: err %v, model says free=%v\n%s", step, what, err, free, dump(s))
					}
					if err == nil {
						for p := a; p < b; p++ {
							st := pageState{v.Prot, v.Flags, f, uint64(p)}
							if f != nil {
								st.pgoff = v.Pgoff + uint64(p-a)
							}
							model[p] = st
						}
					}
				case op < 7: // unmap
					what = fmt.Sprintf("unmap pages [%#x, %#x)", a, b)
					removed := s.Unmap(a*pg, b*pg)
					// The removed pieces are exactly the model's pages in the range.
					var got []uintptr
					for _, r := range removed {
						if r.Start < a*pg || r.End > b*pg {
							t.Fatalf("step %d: %s: removed %v outside the range", step, what, r)
						}
						for p := r.Start / pg; p < r.End/pg; p++ {
							got = append(got, p)
							st := model[p]
							want := pieceState(r, p)
							if st != want {
								t.Fatalf("step %d: %s: removed page %#x as %+v, model %+v", step, what, p, want, st)
							}
						}
					}
					var want []uintptr
					for p := a; p < b; p++ {
						if _, ok := model[p]; ok {
							want = append(want, p)
							delete(model, p)
						}
					}
					if !slices.Equal(got, want) {
						t.Fatalf("step %d: %s: removed pages %v, want %v", step, what, got, want)
					}
				case op < 9: // protect
					prot := prots[rng.IntN(len(prots))]
					what = fmt.Sprintf("protect pages [%#x, %#x) %v", a, b, prot)
					ok := allMapped(a, b)
					err := s.Protect(a*pg, b*pg, prot)
					if ok != (err == nil) {
						t.Fatalf("step %d: %s: err %v, model says mapped=%v", step, what, err, ok)
					}
					if ok {
						for p := a; p < b; p++ {
							st := model[p]
							st.prot = prot
							model[p] = st
						}
					}
				default: // advise
					set, clear := VMHugepage, VMNoHugepage
					if rng.IntN(2) == 0 {
						set, clear = clear, set
					}
					what = fmt.Sprintf("advise pages [%#x, %#x) +%v -%v", a, b, set, clear)
					ok := allMapped(a, b)
					err := s.Advise(a*pg, b*pg, set, clear)
					if ok != (err == nil) {
						t.Fatalf("step %d: %s: err %v, model says mapped=%v", step, what, err, ok)
					}
					if ok {
						for p := a; p < b; p++ {
							st := model[p]
							st.flags = st.flags&^clear | set
							model[p] = st
						}
					}
				}
				mustCheck(t, s, fmt.Sprintf("step %d: %s", step, what))
				compareModel(t, s, model, base, pages, fmt.Sprintf("step %d: %s", step, what))
			}
		})
	}
}

// pieceState is the model state of page p inside VMA v.
func pieceState(v VMA, p uintptr) pageState {
	st := pageState{prot: v.Prot, flags: v.Flags, pgoff: v.Pgoff + uint64(p-v.Start/pg)}
	if v.File != nil {
		st.file = v.File.(*fakeFile)
	}
	return st
}

// compareModel checks that s maps exactly the model's pages, each with the
// model's state, with as few VMAs as the model's runs allow, and that Find
// agrees.
func compareModel(t *testing.T, s *VMASet, model map[uintptr]pageState, base uintptr, pages int, what string) {
	t.Helper()
	seen := 0
	for _, v := range s.All() {
		for p := v.Start / pg; p < v.End/pg; p++ {
			st, ok := model[p]
			if !ok || st != pieceState(v, p) {
				t.Fatalf("%s: page %#x in %v, model has %+v (%v)\n%s", what, p, v, st, ok, dump(s))
			}
			seen++
		}
	}
	if seen != len(model) {
		t.Fatalf("%s: set maps %d pages, model %d\n%s", what, seen, len(model), dump(s))
	}
	// Count maximal runs of pages that one VMA could cover.
	runs := 0
	for p := base; p < base+uintptr(pages); p++ {
		st, ok := model[p]
		if !ok {
			continue
		}
		prev, pok := model[p-1]
		if !pok || prev.prot != st.prot || prev.flags != st.flags || prev.file != st.file || prev.pgoff+1 != st.pgoff {
			runs++
		}
	}
	if s.Len() != runs {
		t.Fatalf("%s: %d VMAs, model has %d runs\n%s", what, s.Len(), runs, dump(s))
	}
	for p := base - 1; p <= base+uintptr(pages); p++ {
		va := p*pg + pg/2
		v := s.Find(va)
		_, ok := model[p]
		if ok != (v != nil) || v != nil && (va < v.Start || va >= v.End) {
			t.Fatalf("%s: Find(%#x) = %v, model mapped=%v", what, va, v, ok)
		}
	}
}
