package oops

import (
	"runtime"
	"strings"
	"unsafe"
)

// The fast way to list the kernel's functions: read the Go runtime's own
// function table, the sorted array of (entry offset, _func offset) pairs
// that runtime.findfunc searches (moduledata.ftab, written by the linker
// at the start of the pclntab's function data). Go offers no API for it,
// and a pull linkname to runtime.firstmoduledata is refused by the linker
// (Go ≥ 1.23), so it is found from what FuncForPC does expose: for a
// function that is not inlined, *runtime.Func points at that function's
// _func record, inside the same table, whose first word is its entry
// offset from the start of the text.
//
// That is a layout of the runtime's, not a promise, so every step is
// checked (the table must be sorted, end with the text's end and give
// back the anchor's own record) and Build falls back to probing with
// FuncForPC, which needs nothing but the API, when a check fails. The
// probing costs ~20 FuncForPC calls per function, each decoding the
// function's inline table up to the probed address: over 200 ms for the
// kernel's ~5000 functions under QEMU's TCG, against a few ms here.

// functab is one entry of the runtime's function table.
type functab struct {
	entryoff uint32 // entry, as offset from the text's start
	funcoff  uint32 // the _func record, as offset from the table's start
}

// maxFtabScan bounds the backward search for the table's start, in bytes
// before the anchor's record (the records of the functions before it).
const maxFtabScan = 64 << 20

// ftabFuncs returns the functions in the runtime's table whose code lies
// in [textStart, textEnd), in order, each ending where the next starts (the
// last at the text's end); ok is false if the table was not found or
// failed a check. Names come straight from the runtime's name table (what
// FuncForPC(entry).Name() returns, without its lookups).
func ftabFuncs(textStart, textEnd uintptr) (syms []Sym, ends []uintptr, ok bool) {
	pc, _, _, _ := runtime.Caller(0) // in this function: surely in the table
	f := runtime.FuncForPC(pc)
	if f == nil {
		return nil, nil, false
	}
	rec := unsafe.Pointer(f)
	entry := f.Entry()
	off := *(*uint32)(rec)
	if off == ^uint32(0) || uintptr(off) > entry {
		return nil, nil, false // an inlined-frame record, or not a _func
	}
	text := entry - uintptr(off) // moduledata.text
	tab, base, ok := findFtab(rec, off)
	if !ok {
		return nil, nil, false
	}
	// tab[len-1] is the sentinel: its entryoff is the text's end.
	for i := 1; i < len(tab); i++ {
		if tab[i].entryoff <= tab[i-1].entryoff {
			return nil, nil, false
		}
	}
	names, ok := nameTable(tab, base, text)
	if !ok {
		return nil, nil, false
	}
	n := len(tab) - 1
	syms = make([]Sym, 0, n)
	ends = make([]uintptr, 0, n)
	for i, e := range tab[:n] {
		pc = text + uintptr(e.entryoff)
		if pc < textStart || pc >= textEnd {
			continue
		}
		nameOff := *(*int32)(unsafe.Add(base, int(e.funcoff)+4))
		if nameOff == 0 {
			continue // the runtime reads offset 0 as "no name" (see add)
		}
		name, ok := cString(names, nameOff)
		if !ok {
			return nil, nil, false
		}
		if strings.IndexByte(name, '[') >= 0 {
			name = funcName(pc) // generic code and type helpers: the runtime writes [...]
		}
		syms = append(syms, Sym{Addr: pc, Name: name})
		ends = append(ends, min(text+uintptr(tab[i+1].entryoff), textEnd))
	}
	// Spot checks against the API: the first, middle and last functions.
	for _, i := range []int{0, len(syms) / 2, len(syms) - 1} {
		if i < 0 || i >= len(syms) || entryAt(syms[i].Addr) != syms[i].Addr || funcName(syms[i].Addr) != syms[i].Name {
			return nil, nil, false
		}
	}
	return syms, ends, len(syms) > 0
}

// nameTable returns the start of the runtime's function-name table
// (moduledata.funcnametab), from the name FuncForPC gives a function of
// the table and its record's name offset.
func nameTable(tab []functab, base unsafe.Pointer, text uintptr) (unsafe.Pointer, bool) {
	for _, e := range tab[1 : len(tab)-1] { // the first has no name
		name := funcName(text + uintptr(e.entryoff))
		nameOff := *(*int32)(unsafe.Add(base, int(e.funcoff)+4))
		if name == "" || nameOff <= 0 || strings.IndexByte(name, '[') >= 0 {
			continue
		}
		names := unsafe.Add(unsafe.Pointer(unsafe.StringData(name)), -int(nameOff))
		got, ok := cString(names, nameOff)
		return names, ok && got == name
	}
	return nil, false
}

// maxName bounds a function name's length (a corrupt offset does not
// read far).
const maxName = 4096

// cString returns the NUL-terminated string at names+off.
func cString(names unsafe.Pointer, off int32) (string, bool) {
	if off < 0 {
		return "", false
	}
	p := unsafe.Add(names, int(off))
	for n := 0; n < maxName; n++ {
		if *(*byte)(unsafe.Add(p, n)) == 0 {
			return unsafe.String((*byte)(p), n), true
		}
	}
	return "", false
}

// findFtab looks back from rec, the _func record of the function at entry
// offset off, for the table's first entry {E, X}: the first record at X
// with entry offset E too, the table's length X/8 (the linker puts the
// records right after the entries and the sentinel's 4 bytes, rounded up
// to 8), and the binary search for off landing on rec.
func findFtab(rec unsafe.Pointer, off uint32) (tab []functab, base unsafe.Pointer, ok bool) {
	// Offsets from rec, which the linker aligns to 8 like the table.
	word := func(o int) uint32 { return *(*uint32)(unsafe.Add(rec, o)) }
	if uintptr(rec)%8 != 0 {
		return nil, nil, false
	}
	for b := -8; b > -maxFtabScan && uintptr(-b) < uintptr(rec); b -= 8 {
		x := int(word(b + 4))
		if x < 16 || x%8 != 0 || b+x > 0 || word(b+x) != word(b) {
			continue
		}
		n := x / 8 // entries + sentinel (records follow at once)
		tab := unsafe.Slice((*functab)(unsafe.Add(rec, b)), n)
		i, found := searchFtab(tab, off)
		if found && b+int(tab[i].funcoff) == 0 {
			return tab, unsafe.Add(rec, b), true
		}
	}
	return nil, nil, false
}

// searchFtab finds the entry whose entryoff is off.
func searchFtab(tab []functab, off uint32) (int, bool) {
	lo, hi := 0, len(tab)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if tab[mid].entryoff < off {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo, lo < len(tab) && tab[lo].entryoff == off
}
