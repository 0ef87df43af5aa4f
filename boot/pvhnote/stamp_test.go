package main

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// The test kernel: a stock Go program with an assembly entry, as in the
// real kernel. Taking pvhEntry as a func value makes the compiler emit an
// ABIInternal wrapper "main.pvhEntry" next to the assembly body
// "main.pvhEntry.abi0", so lookup preference can be tested.
const (
	testGoMod = "module pvhtest\n\ngo 1.22\n"
	testMain  = `package main

import "os"

func pvhEntry()

var entryFn = pvhEntry

func main() {
	if len(os.Args) > 1000 {
		pvhEntry()
		entryFn()
	}
	println("running under Linux")
}
`
	testAsm = `#include "textflag.h"

TEXT ·pvhEntry(SB), NOSPLIT|NOFRAME, $0
	MOVL $0x3f8, DX
	MOVL $0x47, AX
	OUTB
	CLI
halt:
	HLT
	JMP halt
`
	testEntry = "main.pvhEntry"
)

var buildRoot string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "pvhnote-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	buildRoot = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type buildResult struct {
	data []byte
	err  error
}

var (
	buildMu    sync.Mutex
	buildCache = map[string]*buildResult{}
)

// kernel returns a fresh copy of the test kernel linked with -T textAddr.
// Each address is built at most once per test run.
func kernel(t *testing.T, textAddr string) []byte {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	r, ok := buildCache[textAddr]
	if !ok {
		r = &buildResult{}
		r.data, r.err = buildKernel(textAddr)
		buildCache[textAddr] = r
	}
	if r.err != nil {
		t.Fatalf("building test kernel with -T %s: %v", textAddr, r.err)
	}
	return bytes.Clone(r.data)
}

func buildKernel(textAddr string) ([]byte, error) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(buildRoot, "src-"+textAddr)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	for name, text := range map[string]string{
		"go.mod":        testGoMod,
		"main.go":       testMain,
		"entry_amd64.s": testAsm,
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			return nil, err
		}
	}
	outFile := filepath.Join(buildRoot, "kernel-"+textAddr+".elf")
	cmd := exec.Command(gobin, "build", "-ldflags=-T "+textAddr, "-o", outFile, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"GOOS=linux", "GOARCH=amd64", "CGO_ENABLED=0",
		"GOFLAGS=-buildvcs=false", "GOWORK=off", "GOTOOLCHAIN=local")
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("%v\n%s", err, out)
	}
	return os.ReadFile(outFile)
}

// --- raw ELF helpers (deliberately not using debug/elf) ---

type rawPhdr struct {
	Type, Flags                             uint32
	Off, Vaddr, Paddr, Filesz, Memsz, Align uint64
}

var le = binary.LittleEndian

func phdrBytes(data []byte, i int) []byte {
	phoff := le.Uint64(data[0x20:])
	phentsize := uint64(le.Uint16(data[0x36:]))
	return data[phoff+uint64(i)*phentsize:][:56]
}

func phnum(data []byte) int { return int(le.Uint16(data[0x38:])) }

func readPhdr(data []byte, i int) rawPhdr {
	b := phdrBytes(data, i)
	return rawPhdr{
		Type: le.Uint32(b[0:]), Flags: le.Uint32(b[4:]),
		Off: le.Uint64(b[8:]), Vaddr: le.Uint64(b[16:]), Paddr: le.Uint64(b[24:]),
		Filesz: le.Uint64(b[32:]), Memsz: le.Uint64(b[40:]), Align: le.Uint64(b[48:]),
	}
}

func writePhdr(data []byte, i int, p rawPhdr) {
	b := phdrBytes(data, i)
	le.PutUint32(b[0:], p.Type)
	le.PutUint32(b[4:], p.Flags)
	le.PutUint64(b[8:], p.Off)
	le.PutUint64(b[16:], p.Vaddr)
	le.PutUint64(b[24:], p.Paddr)
	le.PutUint64(b[32:], p.Filesz)
	le.PutUint64(b[40:], p.Memsz)
	le.PutUint64(b[48:], p.Align)
}

// phdrIndex returns the index of the n-th (0-based) header of type typ.
func phdrIndex(t *testing.T, data []byte, typ elf.ProgType, n int) int {
	t.Helper()
	for i := 0; i < phnum(data); i++ {
		if readPhdr(data, i).Type == uint32(typ) {
			if n == 0 {
				return i
			}
			n--
		}
	}
	t.Fatalf("no %v program header #%d", typ, n)
	return -1
}

func parse(t *testing.T, data []byte) *elf.File {
	t.Helper()
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("debug/elf: %v", err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// symbol returns a symbol's value and its index in .symtab.
func symbol(t *testing.T, data []byte, name string) (value uint64, index int) {
	t.Helper()
	syms, err := parse(t, data).Symbols()
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range syms {
		if s.Name == name {
			return s.Value, i + 1 // Symbols() skips the null symbol 0
		}
	}
	t.Fatalf("test kernel has no symbol %q", name)
	return 0, 0
}

// expectedNote is the 24-byte note written by hand, independently of Stamp.
func expectedNote(entry uint64) []byte {
	n := []byte{
		4, 0, 0, 0, // namesz
		8, 0, 0, 0, // descsz
		18, 0, 0, 0, // type XEN_ELFNOTE_PHYS32_ENTRY
		'X', 'e', 'n', 0,
	}
	return le.AppendUint64(n, entry)
}

// qemuPVHEntry mimics QEMU 7.2's load_elf PT_NOTE handling
// (get_elf_note_type + read_pvh_start_addr): it looks only at PT_NOTE
// program headers, pads namesz and descsz to p_align, and the last PT_NOTE
// holding a type-18 note wins. Unlike QEMU it stays inside each segment.
func qemuPVHEntry(data []byte) (uint64, bool) {
	alignUp := func(x, a uint64) uint64 {
		if a == 0 {
			return x
		}
		return (x + a - 1) / a * a
	}
	var entry uint64
	found := false
	for i := 0; i < phnum(data); i++ {
		p := readPhdr(data, i)
		if p.Type != uint32(elf.PT_NOTE) || p.Off+p.Filesz > uint64(len(data)) {
			continue
		}
		seg := data[p.Off : p.Off+p.Filesz]
		for off := uint64(0); off+12 <= uint64(len(seg)); {
			namesz := uint64(le.Uint32(seg[off:]))
			descsz := uint64(le.Uint32(seg[off+4:]))
			typ := le.Uint32(seg[off+8:])
			if typ == 18 {
				d := off + 12 + alignUp(namesz, p.Align)
				if d+8 <= uint64(len(seg)) {
					entry, found = le.Uint64(seg[d:]), true
				}
				break
			}
			off += 12 + alignUp(namesz, p.Align) + alignUp(descsz, p.Align)
		}
	}
	return entry, found
}

// --- tests ---

func TestStampGoKernel(t *testing.T) {
	in := kernel(t, "0x201000")
	orig := bytes.Clone(in)
	entry, _ := symbol(t, in, "main.pvhEntry.abi0")
	wrapper, _ := symbol(t, in, "main.pvhEntry")
	if entry == wrapper {
		t.Fatalf("test kernel: expected distinct ABI0 body and ABIInternal wrapper, both at %#x", entry)
	}
	if entry < 0x201000 || entry >= 0x201000+0x100000 {
		t.Fatalf("test kernel: entry %#x not in .text as linked with -T 0x201000", entry)
	}
	stack := phdrIndex(t, in, elf.PT_GNU_STACK, 0)
	goNote := phdrIndex(t, in, elf.PT_NOTE, 0)

	out, info, err := Stamp(in, testEntry)
	if err != nil {
		t.Fatalf("Stamp: %v", err)
	}
	if !bytes.Equal(in, orig) {
		t.Fatal("Stamp modified its input slice")
	}

	// Info.
	wantOff := (uint64(len(in)) + 3) &^ 3
	want := Info{Symbol: "main.pvhEntry.abi0", Entry: entry, Phdr: stack,
		WasType: elf.PT_GNU_STACK, NoteOffset: wantOff, Restamped: false}
	if info != want {
		t.Fatalf("Info = %+v, want %+v", info, want)
	}

	// File layout: old bytes, zero padding, 24-byte note.
	if got, w := len(out), int(wantOff)+24; got != w {
		t.Fatalf("output is %d bytes, want %d", got, w)
	}
	for i := len(in); i < int(wantOff); i++ {
		if out[i] != 0 {
			t.Fatalf("padding byte at %#x is %#x, want 0", i, out[i])
		}
	}
	if got, w := out[wantOff:], expectedNote(entry); !bytes.Equal(got, w) {
		t.Fatalf("note bytes\n got % x\nwant % x", got, w)
	}

	// The repurposed header, decoded by hand.
	wantPh := rawPhdr{Type: 4 /* PT_NOTE */, Flags: 4 /* PF_R */, Off: wantOff,
		Vaddr: 0, Paddr: 0, Filesz: 24, Memsz: 24, Align: 4}
	if got := readPhdr(out, stack); got != wantPh {
		t.Fatalf("phdr %d = %+v, want %+v", stack, got, wantPh)
	}

	// Every byte of the original file other than that header is unchanged:
	// PT_LOAD contents, other headers, sections, symbols.
	ph := phdrBytes(in, stack)
	phStart := int(le.Uint64(in[0x20:])) + stack*int(le.Uint16(in[0x36:]))
	for i := range in {
		if i >= phStart && i < phStart+len(ph) {
			continue
		}
		if out[i] != in[i] {
			t.Fatalf("byte %#x changed from %#x to %#x", i, in[i], out[i])
		}
	}

	// debug/elf: PT_LOAD headers identical, the note readable through the
	// program header, Go's build-ID note intact.
	fin, fout := parse(t, in), parse(t, out)
	if len(fin.Progs) != len(fout.Progs) {
		t.Fatalf("program header count %d -> %d", len(fin.Progs), len(fout.Progs))
	}
	loads := 0
	for i := range fin.Progs {
		if fin.Progs[i].Type != elf.PT_LOAD {
			continue
		}
		loads++
		if fin.Progs[i].ProgHeader != fout.Progs[i].ProgHeader {
			t.Errorf("PT_LOAD phdr %d changed: %+v -> %+v", i, fin.Progs[i].ProgHeader, fout.Progs[i].ProgHeader)
		}
		// The first PT_LOAD maps the file from offset 0, so it contains the
		// program header table; the repurposed entry is the only change
		// allowed there.
		a, _ := io.ReadAll(fin.Progs[i].Open())
		b, _ := io.ReadAll(fout.Progs[i].Open())
		if len(a) != len(b) {
			t.Fatalf("PT_LOAD phdr %d: %d bytes -> %d", i, len(a), len(b))
		}
		diffs := 0
		for j := range a {
			if a[j] == b[j] {
				continue
			}
			if off := int(fin.Progs[i].Off) + j; off < phStart || off >= phStart+len(ph) {
				t.Fatalf("PT_LOAD phdr %d: byte %#x (file offset %#x) changed", i, j, off)
			}
			diffs++
		}
		if diffs > 0 && fin.Progs[i].Off != 0 {
			t.Errorf("PT_LOAD phdr %d at offset %#x changed although it does not map the headers", i, fin.Progs[i].Off)
		}
	}
	if loads != 3 {
		t.Errorf("test kernel has %d PT_LOADs, want 3", loads)
	}
	p := fout.Progs[stack]
	if p.Type != elf.PT_NOTE || p.Flags != elf.PF_R || p.Off != wantOff || p.Filesz != 24 || p.Align != 4 {
		t.Fatalf("debug/elf sees phdr %d as %+v", stack, p.ProgHeader)
	}
	note, err := io.ReadAll(p.Open())
	if err != nil || !bytes.Equal(note, expectedNote(entry)) {
		t.Fatalf("note through debug/elf: % x, %v", note, err)
	}
	if fout.Progs[goNote].ProgHeader != fin.Progs[goNote].ProgHeader {
		t.Error("Go's build-ID PT_NOTE header changed")
	}
	if s := fout.Section(".note.go.buildid"); s == nil || s.Type != elf.SHT_NOTE {
		t.Error(".note.go.buildid section missing after stamping")
	}
	if v, _ := symbol(t, out, "main.pvhEntry.abi0"); v != entry {
		t.Errorf("symbol after stamping = %#x, want %#x", v, entry)
	}

	// And QEMU's way of reading it.
	if got, ok := qemuPVHEntry(out); !ok || got != entry {
		t.Fatalf("QEMU-style note walk: got %#x, %v; want %#x", got, ok, entry)
	}
	if _, ok := qemuPVHEntry(in); ok {
		t.Fatal("QEMU-style note walk found a PVH entry in the unstamped kernel")
	}
}

// TestAlignQuirk shows why p_align must be 4: with 8, QEMU pads the 4-byte
// name to 8 and reads the address from the wrong place.
func TestAlignQuirk(t *testing.T) {
	out, info, err := Stamp(kernel(t, "0x201000"), testEntry)
	if err != nil {
		t.Fatal(err)
	}
	p := readPhdr(out, info.Phdr)
	p.Align = 8
	writePhdr(out, info.Phdr, p)
	if got, ok := qemuPVHEntry(out); ok && got == info.Entry {
		t.Fatalf("with p_align=8 the QEMU-style walk still found %#x; the emulation is not faithful", got)
	}
}

func TestStampIdempotent(t *testing.T) {
	in := kernel(t, "0x201000")
	out1, info1, err := Stamp(in, testEntry)
	if err != nil {
		t.Fatal(err)
	}
	out2, info2, err := Stamp(out1, testEntry)
	if err != nil {
		t.Fatalf("second Stamp: %v", err)
	}
	if !bytes.Equal(out1, out2) {
		t.Fatalf("second Stamp changed the file (%d -> %d bytes)", len(out1), len(out2))
	}
	want := info1
	want.WasType, want.Restamped = elf.PT_NOTE, true
	if info2 != want {
		t.Fatalf("second Info = %+v, want %+v", info2, want)
	}

	// Re-stamping with another symbol rewrites the same note in place.
	mainAddr, _ := symbol(t, in, "main.main")
	out3, info3, err := Stamp(out1, "main.main")
	if err != nil {
		t.Fatal(err)
	}
	if len(out3) != len(out1) || info3.NoteOffset != info1.NoteOffset || info3.Phdr != info1.Phdr {
		t.Fatalf("re-stamp moved the note: %+v (len %d), first %+v (len %d)", info3, len(out3), info1, len(out1))
	}
	if got := out3[info3.NoteOffset:]; !bytes.Equal(got, expectedNote(mainAddr)) {
		t.Fatalf("re-stamped note % x, want % x", got, expectedNote(mainAddr))
	}
	if n := bytes.Count(out3, []byte("Xen\x00")); n != 1 {
		t.Fatalf("%d \"Xen\\0\" strings in the re-stamped file, want 1", n)
	}
}

func TestEntrySymbolNames(t *testing.T) {
	in := kernel(t, "0x201000")
	abi0, _ := symbol(t, in, "main.pvhEntry.abi0")
	mainAddr, _ := symbol(t, in, "main.main")
	for _, tc := range []struct {
		sym, wantSym string
		want         uint64
	}{
		// NAME finds NAME.abi0, preferred over the ABIInternal wrapper.
		{"main.pvhEntry", "main.pvhEntry.abi0", abi0},
		{"main.pvhEntry.abi0", "main.pvhEntry.abi0", abi0},
		// A Go function has no .abi0 twin: the plain name is used.
		{"main.main", "main.main", mainAddr},
	} {
		_, info, err := Stamp(in, tc.sym)
		if err != nil {
			t.Errorf("Stamp(%q): %v", tc.sym, err)
			continue
		}
		if info.Symbol != tc.wantSym || info.Entry != tc.want {
			t.Errorf("Stamp(%q) = %s %#x, want %s %#x", tc.sym, info.Symbol, info.Entry, tc.wantSym, tc.want)
		}
	}
}

// PT_LOAD ranges are half-open: touching the BIOS window or 4 GiB from
// either side is fine, one byte of overlap is not.
func TestLoadBoundaries(t *testing.T) {
	base := kernel(t, "0x201000")
	rw := phdrIndex(t, base, elf.PT_LOAD, 2)
	memsz := readPhdr(base, rw).Memsz
	for _, tc := range []struct {
		paddr uint64
		want  string // "" = accepted
	}{
		{0xA0000 - memsz, ""},
		{0xA0000 - memsz + 1, "overlaps the BIOS window"},
		{0x100000, ""},
		{0xFFFFF, "overlaps the BIOS window"},
		{1<<32 - memsz, ""},
		{1<<32 - memsz + 1, "at or above 4 GiB"},
		{0xFFFF_FFFF_FFFF_F000, "at or above 4 GiB"}, // paddr+memsz wraps
	} {
		in := bytes.Clone(base)
		p := readPhdr(in, rw)
		p.Paddr = tc.paddr
		writePhdr(in, rw, p)
		_, _, err := Stamp(in, testEntry)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("PT_LOAD [%#x, %#x): %v", tc.paddr, tc.paddr+memsz, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("PT_LOAD [%#x, %#x): error %v, want %q", tc.paddr, tc.paddr+memsz, err, tc.want)
		}
	}
}

// elf32 synthesizes a minimal, valid 32-bit i386 executable.
func elf32() []byte {
	var b bytes.Buffer
	h := elf.Header32{
		Type: uint16(elf.ET_EXEC), Machine: uint16(elf.EM_386), Version: 1,
		Entry: 0x201000, Phoff: 52, Ehsize: 52, Phentsize: 32, Phnum: 1,
		Shentsize: 40,
	}
	copy(h.Ident[:], elf.ELFMAG)
	h.Ident[elf.EI_CLASS] = byte(elf.ELFCLASS32)
	h.Ident[elf.EI_DATA] = byte(elf.ELFDATA2LSB)
	h.Ident[elf.EI_VERSION] = byte(elf.EV_CURRENT)
	binary.Write(&b, le, h)
	binary.Write(&b, le, elf.Prog32{Type: uint32(elf.PT_LOAD), Flags: uint32(elf.PF_R | elf.PF_X),
		Vaddr: 0x200000, Paddr: 0x200000, Filesz: 0x100, Memsz: 0x100, Align: 0x1000})
	b.Write(make([]byte, 0x100-b.Len()))
	return b.Bytes()
}

func TestRefusals(t *testing.T) {
	setPhdrType := func(typ elf.ProgType, which elf.ProgType, n int) func(t *testing.T, d []byte) []byte {
		return func(t *testing.T, d []byte) []byte {
			i := phdrIndex(t, d, which, n)
			p := readPhdr(d, i)
			p.Type = uint32(typ)
			writePhdr(d, i, p)
			return d
		}
	}
	moveLoad := func(n int, paddr uint64) func(t *testing.T, d []byte) []byte {
		return func(t *testing.T, d []byte) []byte {
			i := phdrIndex(t, d, elf.PT_LOAD, n)
			p := readPhdr(d, i)
			p.Paddr = paddr
			writePhdr(d, i, p)
			return d
		}
	}
	tests := []struct {
		name   string
		input  func(t *testing.T) []byte // default: the -T 0x201000 kernel
		mutate func(t *testing.T, d []byte) []byte
		sym    string // default: testEntry
		want   []string
	}{
		{name: "not ELF", input: func(*testing.T) []byte { return []byte("#!/bin/sh\necho hello\n") },
			want: []string{"not an ELF file"}},
		{name: "empty", input: func(*testing.T) []byte { return nil },
			want: []string{"not an ELF file"}},
		{name: "truncated header", mutate: func(_ *testing.T, d []byte) []byte { return d[:40] },
			want: []string{"truncated ELF header"}},
		{name: "truncated file", mutate: func(_ *testing.T, d []byte) []byte { return d[:0x100] },
			want: []string{"malformed ELF"}},
		{name: "ELFCLASS32", input: func(*testing.T) []byte { return elf32() },
			want: []string{"ELFCLASS32", "want ELFCLASS64"}},
		{name: "big endian",
			mutate: func(_ *testing.T, d []byte) []byte { d[elf.EI_DATA] = byte(elf.ELFDATA2MSB); return d },
			want:   []string{"ELFDATA2MSB"}},
		{name: "wrong machine",
			mutate: func(_ *testing.T, d []byte) []byte { le.PutUint16(d[18:], uint16(elf.EM_AARCH64)); return d },
			want:   []string{"EM_AARCH64", "want EM_X86_64"}},
		{name: "ET_DYN",
			mutate: func(_ *testing.T, d []byte) []byte { le.PutUint16(d[16:], uint16(elf.ET_DYN)); return d },
			want:   []string{"ET_DYN", "want ET_EXEC"}},
		{name: "ET_REL",
			mutate: func(_ *testing.T, d []byte) []byte { le.PutUint16(d[16:], uint16(elf.ET_REL)); return d },
			want:   []string{"ET_REL", "want ET_EXEC"}},
		{name: "PT_INTERP", mutate: setPhdrType(elf.PT_INTERP, elf.PT_NOTE, 0),
			want: []string{"dynamically linked", "PT_INTERP"}},
		{name: "PT_DYNAMIC", mutate: setPhdrType(elf.PT_DYNAMIC, elf.PT_PHDR, 0),
			want: []string{"dynamically linked", "PT_DYNAMIC"}},
		{name: "no PT_LOAD",
			mutate: func(t *testing.T, d []byte) []byte {
				for n := 0; n < 3; n++ {
					d = setPhdrType(elf.PT_NULL, elf.PT_LOAD, 0)(t, d)
				}
				return d
			},
			want: []string{"no PT_LOAD segments"}},
		{name: "linked at -T 0x100000", input: func(t *testing.T) []byte { return kernel(t, "0x100000") },
			want: []string{"PT_LOAD phdr 2 [0xff000, ", "overlaps the BIOS window [0xa0000, 0x100000)"}},
		{name: "PT_LOAD inside BIOS window", mutate: moveLoad(2, 0xC0000),
			want: []string{"PT_LOAD phdr 4 [0xc0000, ", "overlaps the BIOS window"}},
		{name: "PT_LOAD straddling 4 GiB", mutate: moveLoad(2, 0xFFFFF000),
			want: []string{"PT_LOAD phdr 4 at paddr 0xfffff000", "at or above 4 GiB"}},
		{name: "PT_LOAD above 4 GiB", mutate: moveLoad(1, 1<<32),
			want: []string{"PT_LOAD phdr 3 at paddr 0x100000000", "at or above 4 GiB"}},
		{name: "missing symbol", sym: "retract/boot.pvhEntry",
			want: []string{`"retract/boot.pvhEntry" or "retract/boot.pvhEntry.abi0" not found in .symtab`, "-s"}},
		{name: "stripped",
			mutate: func(t *testing.T, d []byte) []byte {
				s := parse(t, d).Section(".symtab")
				if s == nil {
					t.Fatal("test kernel has no .symtab")
				}
				idx := -1
				for i, sec := range parse(t, d).Sections {
					if sec.Name == ".symtab" {
						idx = i
					}
				}
				shoff := le.Uint64(d[0x28:])
				shentsize := uint64(le.Uint16(d[0x3a:]))
				le.PutUint32(d[shoff+uint64(idx)*shentsize+4:], uint32(elf.SHT_PROGBITS))
				return d
			},
			want: []string{"no .symtab", "stripped", "-s"}},
		{name: "entry in data", sym: "runtime.firstmoduledata",
			want: []string{"runtime.firstmoduledata = 0x", "not inside an executable PT_LOAD"}},
		{name: "entry above 4 GiB",
			mutate: func(t *testing.T, d []byte) []byte {
				_, idx := symbol(t, d, "main.pvhEntry.abi0")
				symtab := parse(t, d).Section(".symtab")
				le.PutUint64(d[symtab.Offset+uint64(idx)*24+8:], 0x1_0028_9400)
				return d
			},
			want: []string{"main.pvhEntry.abi0 = 0x100289400 is not inside an executable PT_LOAD"}},
		{name: "no PT_GNU_STACK", mutate: setPhdrType(elf.PT_NULL, elf.PT_GNU_STACK, 0),
			want: []string{"no PT_GNU_STACK"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var in []byte
			if tc.input != nil {
				in = tc.input(t)
			} else {
				in = kernel(t, "0x201000")
			}
			if tc.mutate != nil {
				in = tc.mutate(t, in)
			}
			sym := tc.sym
			if sym == "" {
				sym = testEntry
			}
			out, _, err := Stamp(in, sym)
			if err == nil {
				t.Fatalf("Stamp succeeded (%d bytes), want error containing %q", len(out), tc.want)
			}
			msg := err.Error()
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not contain %q", msg, w)
				}
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("error is not one line: %q", msg)
			}
			if out != nil {
				t.Errorf("Stamp returned %d bytes along with an error", len(out))
			}
		})
	}
}

// TestStampHighKernel: a kernel linked in the upper half (as retract is)
// gets p_paddr = p_vaddr - kernelBase on every PT_LOAD and the entry's
// physical address in the note; stamping again changes nothing.
func TestStampHighKernel(t *testing.T) {
	in := kernel(t, "-0x7fdff000")
	entry, _ := symbol(t, in, "main.pvhEntry.abi0")
	if entry < kernelBase+0x201000 || entry >= kernelBase+0x201000+0x100000 {
		t.Fatalf("test kernel: entry %#x not in .text as linked with -T -0x7fdff000", entry)
	}
	out, info, err := Stamp(in, testEntry)
	if err != nil {
		t.Fatalf("Stamp: %v", err)
	}
	if want := entry - kernelBase; info.Entry != want {
		t.Errorf("Info.Entry = %#x, want %#x", info.Entry, want)
	}
	if got, ok := qemuPVHEntry(out); !ok || got != entry-kernelBase {
		t.Errorf("note entry = %#x (found %v), want %#x", got, ok, entry-kernelBase)
	}
	loads := 0
	for i, p := range parse(t, out).Progs {
		if p.Type != elf.PT_LOAD {
			continue
		}
		loads++
		if p.Paddr != p.Vaddr-kernelBase {
			t.Errorf("PT_LOAD %d: paddr %#x, want vaddr %#x - %#x", i, p.Paddr, p.Vaddr, uint64(kernelBase))
		}
		if p.Paddr < biosWindowEnd {
			t.Errorf("PT_LOAD %d at %#x: below 1 MiB", i, p.Paddr)
		}
	}
	if loads == 0 {
		t.Fatal("no PT_LOAD in the stamped kernel")
	}
	again, info2, err := Stamp(out, testEntry)
	if err != nil {
		t.Fatalf("second Stamp: %v", err)
	}
	if !info2.Restamped || !bytes.Equal(again, out) {
		t.Errorf("second Stamp: Restamped=%v, identical=%v; want true, true", info2.Restamped, bytes.Equal(again, out))
	}
}

// TestRunInPlace exercises the CLI path: in-place rewrite through a
// temporary file, permissions kept, no leftovers, second run a no-op.
func TestRunInPlace(t *testing.T) {
	in := kernel(t, "0x201000")
	dir := t.TempDir()
	file := filepath.Join(dir, "kernel.elf")
	if err := os.WriteFile(file, in, 0o751); err != nil {
		t.Fatal(err)
	}
	want, _, err := Stamp(in, testEntry)
	if err != nil {
		t.Fatal(err)
	}
	for round := 1; round <= 2; round++ {
		info, err := run(file, testEntry)
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if info.Restamped != (round == 2) {
			t.Errorf("round %d: Restamped = %v", round, info.Restamped)
		}
		got, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("round %d: file on disk differs from Stamp output", round)
		}
		st, err := os.Stat(file)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o751 {
			t.Errorf("round %d: mode %v, want 0751", round, st.Mode().Perm())
		}
		ents, _ := os.ReadDir(dir)
		if len(ents) != 1 {
			t.Errorf("round %d: %d entries in the directory, want only kernel.elf", round, len(ents))
		}
	}

	// A refused file is left alone.
	bad := filepath.Join(dir, "bad.elf")
	if err := os.WriteFile(bad, in, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := run(bad, "no.such.symbol"); err == nil {
		t.Fatal("run with a missing symbol succeeded")
	}
	if got, _ := os.ReadFile(bad); !bytes.Equal(got, in) {
		t.Fatal("refused file was modified")
	}
}
