package elf

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"retract/kernel/abi"
)

// build makes a minimal ELF64 executable: a header, the program headers
// given, and the file padded to size.
func build(typ, machine uint16, entry uint64, progs []Prog, size int) []byte {
	b := make([]byte, max(size, ehdrSize+phdrSize*len(progs)))
	copy(b, "\x7fELF\x02\x01\x01")
	le := binary.LittleEndian
	le.PutUint16(b[16:], typ)
	le.PutUint16(b[18:], machine)
	le.PutUint32(b[20:], 1)
	le.PutUint64(b[24:], entry)
	le.PutUint64(b[32:], ehdrSize)
	le.PutUint16(b[52:], ehdrSize)
	le.PutUint16(b[54:], phdrSize)
	le.PutUint16(b[56:], uint16(len(progs)))
	for i, p := range progs {
		o := ehdrSize + i*phdrSize
		le.PutUint32(b[o:], p.Type)
		le.PutUint32(b[o+4:], p.Flags)
		le.PutUint64(b[o+8:], p.Offset)
		le.PutUint64(b[o+16:], p.Vaddr)
		le.PutUint64(b[o+24:], p.Vaddr)
		le.PutUint64(b[o+32:], p.Filesz)
		le.PutUint64(b[o+40:], p.Memsz)
		le.PutUint64(b[o+48:], p.Align)
	}
	return b
}

var (
	text = Prog{Type: PT_LOAD, Flags: PF_R | PF_X, Offset: 0, Vaddr: 0x400000, Filesz: 0x1234, Memsz: 0x1234, Align: 0x1000}
	data = Prog{Type: PT_LOAD, Flags: PF_R | PF_W, Offset: 0x1800, Vaddr: 0x402800, Filesz: 0x100, Memsz: 0x3000, Align: 0x1000}
)

func TestParsePlan(t *testing.T) {
	b := build(ET_EXEC, EM_X86_64, 0x400100, []Prog{text, data, {Type: PT_GNU_STACK, Flags: PF_R | PF_W}, {Type: PT_TLS, Offset: 0x1800, Vaddr: 0x402800, Filesz: 8, Memsz: 16, Align: 8}}, 0x2000)
	img, err := Parse(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	if len(img.Segments) != 2 || img.Entry != 0x400100 || img.ExecStack || img.TLS == nil || img.TLS.Memsz != 16 {
		t.Fatalf("%+v", img)
	}
	// The program headers are in the first segment's file data.
	if img.Phdr != 0x400040 {
		t.Errorf("Phdr %#x", img.Phdr)
	}
	s0, s1 := img.Segments[0], img.Segments[1]
	if s0.MapStart != 0x400000 || s0.MapEnd != 0x402000 || s0.MapOffset != 0 || s0.ZeroEnd != s0.ZeroStart || s0.AnonEnd != s0.AnonStart || s0.Prot != PF_R|PF_X {
		t.Errorf("text plan %+v", s0)
	}
	// data: file [0x402800, 0x402900) in page 0x402000 from offset 0x1000;
	// zero [0x402900, 0x403000); anonymous [0x403000, 0x406000).
	if s1.MapStart != 0x402000 || s1.MapEnd != 0x403000 || s1.MapOffset != 0x1000 ||
		s1.ZeroStart != 0x402900 || s1.ZeroEnd != 0x403000 || s1.AnonStart != 0x403000 || s1.AnonEnd != 0x406000 {
		t.Errorf("data plan %+v", s1)
	}
	if img.Start != 0x400000 || img.End != 0x406000 || img.Brk != 0x406000 {
		t.Errorf("bounds %#x %#x brk %#x", img.Start, img.End, img.Brk)
	}
	if _, err := img.Layout(0x1000); err == nil {
		t.Errorf("ET_EXEC moved")
	}
}

func TestParseErrors(t *testing.T) {
	good := func() []byte { return build(ET_EXEC, EM_X86_64, 0x400100, []Prog{text}, 0x2000) }
	set := func(b []byte, off int, v ...byte) []byte { copy(b[off:], v); return b }
	phdr := func(field int, v uint64) []byte {
		b := good()
		binary.LittleEndian.PutUint64(b[ehdrSize+field:], v)
		return b
	}
	cases := []struct {
		name  string
		b     []byte
		errno abi.Errno
		says  string
	}{
		{"short", good()[:63], abi.ENOEXEC, "too short"},
		{"magic", set(good(), 0, 'M', 'Z'), abi.ENOEXEC, "not an ELF"},
		{"32-bit", set(good(), 4, 1), abi.ENOEXEC, "32-bit ELF"},
		{"big-endian", set(good(), 5, 2), abi.ENOEXEC, "big-endian"},
		{"ident version", set(good(), 6, 0), abi.ENOEXEC, "version"},
		{"ET_REL", build(1, EM_X86_64, 0x400100, []Prog{text}, 0x2000), abi.ENOEXEC, "ET_REL"},
		{"ET_CORE", build(4, EM_X86_64, 0x400100, []Prog{text}, 0x2000), abi.ENOEXEC, "ET_CORE"},
		{"aarch64", build(ET_EXEC, 183, 0x400100, []Prog{text}, 0x2000), abi.ENOEXEC, "not x86-64"},
		{"phentsize", set(good(), 54, 32), abi.ENOEXEC, "program header size"},
		{"no phdrs", set(good(), 56, 0, 0), abi.ENOEXEC, "0 program headers"},
		{"too many phdrs", set(good(), 56, 65), abi.ENOEXEC, "65 program headers"},
		{"phdrs past end", set(good(), 32, 0xf0, 0x1f), abi.ENOEXEC, "past the end"},
		{"filesz > memsz", phdr(40, 0x10), abi.EINVAL, "filesz"},
		{"data past end", phdr(8, 0x10000), abi.ENOEXEC, "past the end"},
		{"misaligned offset", phdr(8, 0x10), abi.EINVAL, "modulo the page size"},
		{"below mmap_min_addr", build(ET_EXEC, EM_X86_64, 0x1100, []Prog{{Type: PT_LOAD, Flags: PF_X, Vaddr: 0x1000, Filesz: 0x100, Memsz: 0x100}}, 0x2000), abi.EINVAL, "outside user space"},
		{"above user space", build(ET_EXEC, EM_X86_64, 0x7ffffffff000, []Prog{{Type: PT_LOAD, Flags: PF_X, Vaddr: 0x7ffffffff000, Filesz: 0x10, Memsz: 0x10}}, 0x2000), abi.EINVAL, "outside user space"},
		{"entry outside", build(ET_EXEC, EM_X86_64, 0x500000, []Prog{text}, 0x2000), abi.EINVAL, "entry point"},
		{"entry in data", build(ET_EXEC, EM_X86_64, 0x402900, []Prog{text, data}, 0x2000), abi.EINVAL, "entry point"},
		{"overlap", build(ET_EXEC, EM_X86_64, 0x400100, []Prog{text, {Type: PT_LOAD, Flags: PF_R, Offset: 0x1000, Vaddr: 0x401000, Filesz: 0x10, Memsz: 0x10}}, 0x2000), abi.EINVAL, "overlaps"},
		{"descending", build(ET_EXEC, EM_X86_64, 0x400100, []Prog{data, text}, 0x2000), abi.ENOEXEC, "ascending"},
		{"no PT_LOAD", build(ET_EXEC, EM_X86_64, 0x400100, []Prog{{Type: PT_GNU_STACK}}, 0x2000), abi.ENOEXEC, "no PT_LOAD"},
		{"bad align", phdr(48, 0x1001), abi.ENOEXEC, "power of two"},
	}
	interp := build(ET_DYN, EM_X86_64, 0x100, []Prog{{Type: PT_INTERP, Offset: 0x200, Filesz: 28}, {Type: PT_LOAD, Flags: PF_X, Filesz: 0x400, Memsz: 0x400}}, 0x1000)
	copy(interp[0x200:], "/lib64/ld-linux-x86-64.so.2\x00")
	cases = append(cases, struct {
		name  string
		b     []byte
		errno abi.Errno
		says  string
	}{"interpreter", interp, abi.ENOEXEC, `needs the interpreter "/lib64/ld-linux-x86-64.so.2"`})
	// A PT_DYNAMIC with DT_NEEDED, its string table in the segment.
	dyn := build(ET_DYN, EM_X86_64, 0x100, []Prog{{Type: PT_LOAD, Flags: PF_X | PF_R, Filesz: 0x800, Memsz: 0x800}, {Type: PT_DYNAMIC, Offset: 0x400, Vaddr: 0x400, Filesz: 48}}, 0x800)
	le := binary.LittleEndian
	le.PutUint64(dyn[0x400:], DT_NEEDED)
	le.PutUint64(dyn[0x408:], 0)
	le.PutUint64(dyn[0x410:], DT_STRTAB)
	le.PutUint64(dyn[0x418:], 0x600)
	copy(dyn[0x600:], "libc.so.6\x00")
	cases = append(cases, struct {
		name  string
		b     []byte
		errno abi.Errno
		says  string
	}{"DT_NEEDED", dyn, abi.ENOEXEC, `needs "libc.so.6"`})
	for _, c := range cases {
		_, err := Parse(bytes.NewReader(c.b), int64(len(c.b)))
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("%s: %v, want an *elf.Error", c.name, err)
			continue
		}
		if e.Errno != c.errno || !strings.Contains(e.Error(), c.says) || !strings.HasPrefix(e.Error(), c.errno.Name()+": ") {
			t.Errorf("%s: %q, want %s and %q", c.name, e.Error(), c.errno.Name(), c.says)
		}
	}
}

func TestStaticPIE(t *testing.T) {
	pie := build(ET_DYN, EM_X86_64, 0x1100, []Prog{
		{Type: PT_PHDR, Vaddr: 0x40, Offset: 0x40, Filesz: 3 * phdrSize, Memsz: 3 * phdrSize},
		{Type: PT_LOAD, Flags: PF_R | PF_X, Filesz: 0x1200, Memsz: 0x1200, Align: 0x1000},
		{Type: PT_DYNAMIC, Offset: 0x1000, Vaddr: 0x1000, Filesz: 16},
	}, 0x2000)
	img, err := Parse(bytes.NewReader(pie), int64(len(pie)))
	if err != nil {
		t.Fatal(err)
	}
	if img.Start != 0 || img.Phdr != 0x40 {
		t.Errorf("pie %+v", img)
	}
	l, err := img.Layout(0x555555554000)
	if err != nil {
		t.Fatal(err)
	}
	if l.Entry != 0x555555555100 || l.Phdr != 0x555555554040 || l.Segments[0].MapStart != 0x555555554000 || img.Entry != 0x1100 {
		t.Errorf("layout %+v", l)
	}
	if _, err := img.Layout(0x800); err == nil {
		t.Errorf("unaligned bias accepted")
	}
	if _, err := img.Layout(0); err == nil {
		t.Errorf("bias 0 (below mmap_min_addr) accepted")
	}
	if _, err := img.Layout(0x7ffffffff000); err == nil {
		t.Errorf("bias past user space accepted")
	}
}

// compare checks Parse against debug/elf on a real binary.
func compare(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	img, err := Parse(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	ef, err := elf.NewFile(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if img.Entry != ef.Entry || img.Phnum != len(ef.Progs) {
		t.Errorf("entry %#x/%#x phnum %d/%d", img.Entry, ef.Entry, img.Phnum, len(ef.Progs))
	}
	i := 0
	for _, p := range ef.Progs {
		if p.Type != elf.PT_LOAD || p.Memsz == 0 {
			continue
		}
		s := img.Segments[i]
		i++
		if s.Vaddr != p.Vaddr || s.Offset != p.Off || s.Filesz != p.Filesz || s.Memsz != p.Memsz || s.Prot != uint32(p.Flags)&7 {
			t.Errorf("segment %d: %+v vs %+v", i, s.Prog, p.ProgHeader)
		}
		if s.MapStart%PageSize != 0 || s.AnonEnd%PageSize != 0 || s.MapEnd < s.Vaddr+s.Filesz || max(s.MapEnd, s.AnonEnd) < s.Vaddr+s.Memsz {
			t.Errorf("segment %d plan %+v", i, s)
		}
	}
	if i != len(img.Segments) {
		t.Errorf("%d PT_LOADs, parsed %d", i, len(img.Segments))
	}
	if img.Phdr == 0 {
		t.Errorf("no AT_PHDR")
	}
	if img.ExecStack {
		t.Errorf("executable stack")
	}
	// The program headers at Phdr are the file's.
	if off, ok := img.fileOffset(img.Phdr); !ok || off != img.Phoff {
		t.Errorf("Phdr %#x maps to %#x, want e_phoff %#x", img.Phdr, off, img.Phoff)
	}
	if img.Type == ET_DYN {
		if _, err := img.Layout(0x7f0000000000); err != nil {
			t.Errorf("layout: %v", err)
		}
	}
}

func TestRealGoBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a Go program")
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "main.go")
	os.WriteFile(src, []byte("package main\nfunc main() { println(\"hi\") }\n"), 0o644)
	out := filepath.Join(dir, "hello")
	cmd := exec.Command("go", "build", "-o", out, src)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64", "GOFLAGS=")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	compare(t, out)
}

func TestRealCBinaries(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "hello.c")
	os.WriteFile(src, []byte("#include <stdio.h>\nint main(void) { puts(\"hi\"); return 0; }\n"), 0o644)
	ran := 0
	for _, c := range []struct {
		name string
		cc   string
		args []string
	}{
		{"gcc-static", "gcc", []string{"-static", "-O1"}},
		{"gcc-static-pie", "gcc", []string{"-static-pie", "-fPIE", "-O1"}},
		{"musl-gcc-static", "musl-gcc", []string{"-static", "-O1"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := exec.LookPath(c.cc); err != nil {
				t.Skipf("%s not installed (apt-get install gcc musl-tools)", c.cc)
			}
			out := filepath.Join(dir, c.name)
			args := append(append([]string{}, c.args...), "-o", out, src)
			if b, err := exec.Command(c.cc, args...).CombinedOutput(); err != nil {
				t.Skipf("%s cannot link statically here: %v\n%s", c.cc, err, b)
			}
			compare(t, out)
			ran++
		})
	}
	// A dynamic binary is refused with its interpreter named.
	out := filepath.Join(dir, "dynamic")
	if _, err := exec.LookPath("gcc"); err == nil {
		if exec.Command("gcc", "-o", out, src).Run() == nil {
			b, _ := os.ReadFile(out)
			_, err := Parse(bytes.NewReader(b), int64(len(b)))
			if err == nil || !strings.Contains(err.Error(), "needs the interpreter") {
				t.Errorf("dynamic binary: %v", err)
			}
		}
	}
}

// FuzzParse: arbitrary bytes never panic; an accepted image is sane.
func FuzzParse(f *testing.F) {
	f.Add(build(ET_EXEC, EM_X86_64, 0x400100, []Prog{text, data}, 0x2000))
	f.Add(build(ET_DYN, EM_X86_64, 0x100, []Prog{{Type: PT_LOAD, Flags: PF_X, Filesz: 0x200, Memsz: 0x200}, {Type: PT_DYNAMIC, Offset: 0x100, Filesz: 32}}, 0x200))
	f.Add([]byte("\x7fELF\x02\x01\x01"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		img, err := Parse(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("%T %v", err, err)
			}
			return
		}
		if len(img.Segments) == 0 || !img.executable(img.Entry) || img.End < img.Start {
			t.Fatalf("accepted %+v", img)
		}
		for _, s := range img.Segments {
			if s.Filesz > s.Memsz || s.MapStart%PageSize != 0 || s.AnonEnd%PageSize != 0 {
				t.Fatalf("segment %+v", s)
			}
		}
		if img.Type == ET_DYN {
			img.Layout(img.Align * 16)
		}
	})
}

func TestShebang(t *testing.T) {
	for _, c := range []struct {
		head       string
		interp     string
		arg        string
		ok, hasErr bool
	}{
		{"#!/bin/sh\necho", "/bin/sh", "", true, false},
		{"#! /bin/busybox  sh -x \nx", "/bin/busybox", "sh -x", true, false},
		{"#!\t/usr/bin/env\tpython3\n", "/usr/bin/env", "python3", true, false},
		{"#!\n", "", "", true, true},
		{"#!/x" + strings.Repeat("y", 300), "", "", true, true},
		{"#!/bin/sh " + strings.Repeat("a", 300), "/bin/sh", strings.Repeat("a", 256-len("#!/bin/sh ")), true, false},
		{"\x7fELF", "", "", false, false},
		{"#", "", "", false, false},
	} {
		interp, arg, ok, err := ParseShebang([]byte(c.head))
		if interp != c.interp || arg != c.arg || ok != c.ok || (err != nil) != c.hasErr {
			t.Errorf("%.20q: %q %q %v %v", c.head, interp, arg, ok, err)
		}
	}
}
