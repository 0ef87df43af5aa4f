package oops

import (
	"runtime"
	"slices"
	"strings"
	"sync"
)

// modulePrefix is the import-path prefix of the kernel's own packages;
// Addr accepts names without it.
const modulePrefix = "retract/"

// Sym is a function of the kernel's text: its entry address and its Go
// symbol name, such as "retract/kernel/shell.(*Shell).Run".
type Sym struct {
	Addr uintptr
	Name string
}

// Table maps text addresses to functions. It is built once, while the Go
// allocator works, and then only read: Lookup is safe in crash handlers.
type Table struct {
	syms   []Sym              // sorted by Addr
	ends   []uintptr          // ends[i] is the end of syms[i]'s code
	byName map[string]uintptr // the first function of each name; made by Addr's first call

	byNameOnce sync.Once
}

// Build makes a Table of the functions in [textStart, textEnd) from the Go
// runtime's function table (see ftab.go); no ELF symbol table is needed.
// If that table cannot be found it probes with runtime.FuncForPC instead:
// slower, the same result.
func Build(textStart, textEnd uintptr) *Table {
	if syms, ends, ok := ftabFuncs(textStart, textEnd); ok {
		return &Table{syms: syms, ends: ends}
	}
	return probe(textStart, textEnd)
}

// BuildByProbing is Build without the fast path, for tests that check
// one against the other.
func BuildByProbing(textStart, textEnd uintptr) *Table { return probe(textStart, textEnd) }

// probe makes the Table with FuncForPC alone: it finds each function's
// extent by exponential and then binary search for the first address
// whose function entry differs, so its cost grows with the number of
// functions, not with the size of the text.
func probe(textStart, textEnd uintptr) *Table {
	t := &Table{}
	pc := textStart
	for pc < textEnd {
		entry := entryAt(pc)
		end := boundary(pc, textEnd, func(q uintptr) bool { return entryAt(q) == entry })
		if entry != 0 {
			t.add(entry, end)
		}
		pc = end
	}
	return t
}

// add appends the function at entry, whose code ends at end.
func (t *Table) add(entry, end uintptr) {
	// The runtime reports an empty name for the first function of the
	// text (its name is at offset 0 of the name table, which the runtime
	// reads as "no name"); such functions are left out.
	name := funcName(entry)
	if name == "" {
		return
	}
	t.syms = append(t.syms, Sym{Addr: entry, Name: name})
	t.ends = append(t.ends, end)
}

// entryAt returns the entry of the function containing pc, or 0.
func entryAt(pc uintptr) uintptr {
	f := runtime.FuncForPC(pc)
	if f == nil {
		return 0
	}
	return f.Entry()
}

// funcName names the function whose entry is entry. FuncForPC(pc).Name()
// at an arbitrary pc may name a function inlined there; at the entry it
// names the function itself (the compiler keeps the first instruction
// attributed to the function, with an inline-mark NOP if need be).
func funcName(entry uintptr) string {
	return runtime.FuncForPC(entry).Name()
}

// boundary returns the first address in (lo, hi] at which same is false,
// or hi, given that same(lo) holds and same holds on a prefix of the range.
func boundary(lo, hi uintptr, same func(uintptr) bool) uintptr {
	// Exponential search: find a step where same fails.
	good, step := lo, uintptr(1)
	bad := hi
	for {
		q := good + step
		if q >= hi || q < good {
			break
		}
		if !same(q) {
			bad = q
			break
		}
		good = q
		step *= 2
	}
	// Binary search in (good, bad]: same(good) holds, bad is the first
	// known failure (or hi).
	for bad-good > 1 {
		mid := good + (bad-good)/2
		if same(mid) {
			good = mid
		} else {
			bad = mid
		}
	}
	return bad
}

// Len returns the number of functions in the table.
func (t *Table) Len() int { return len(t.syms) }

// Syms returns the functions sorted by address. The slice is shared.
func (t *Table) Syms() []Sym { return t.syms }

// Lookup returns the function containing pc and pc's offset in it. It does
// not allocate, so crash handlers may call it.
func (t *Table) Lookup(pc uintptr) (name string, offset uintptr, ok bool) {
	// Find the last sym with Addr <= pc.
	lo, hi := 0, len(t.syms)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if t.syms[mid].Addr <= pc {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	i := lo - 1
	if i < 0 || pc >= t.ends[i] {
		return "", 0, false
	}
	return t.syms[i].Name, pc - t.syms[i].Addr, true
}

// Addr returns the entry address of the function named name. Besides the
// exact Go symbol name it accepts the name without the "retract/" module
// prefix ("kernel/shell.New") and the name qualified by the last element
// of the package path only ("shell.New"), if that is unambiguous.
func (t *Table) Addr(name string) (uintptr, bool) {
	t.byNameOnce.Do(func() {
		if t.byName != nil {
			return // made by hand (tests)
		}
		t.byName = make(map[string]uintptr, len(t.syms))
		for _, s := range t.syms {
			if _, dup := t.byName[s.Name]; !dup {
				t.byName[s.Name] = s.Addr
			}
		}
	})
	if a, ok := t.byName[name]; ok {
		return a, true
	}
	if a, ok := t.byName[modulePrefix+name]; ok {
		return a, true
	}
	if name == "" || strings.HasPrefix(name, "/") {
		return 0, false
	}
	var found []uintptr
	for _, s := range t.syms {
		if len(s.Name) > len(name) && strings.HasSuffix(s.Name, name) && s.Name[len(s.Name)-len(name)-1] == '/' {
			found = append(found, s.Addr)
		}
	}
	found = slices.Compact(found)
	if len(found) != 1 {
		return 0, false
	}
	return found[0], true
}
