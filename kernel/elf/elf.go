// elf.go: parsing and checking a static ELF64 x86-64 executable.

// trapctx: process context only

package elf

import (
	"encoding/binary"
	"fmt"
	"io"

	"retract/kernel/abi"
)

// Error is why an executable cannot be run.
type Error struct {
	Errno  abi.Errno // what execve returns: ENOEXEC, EINVAL, EIO
	Reason string
}

func (e *Error) Error() string { return e.Errno.Name() + ": " + e.Reason }

func noexec(format string, args ...any) *Error {
	return &Error{Errno: abi.ENOEXEC, Reason: fmt.Sprintf(format, args...)}
}

func einval(format string, args ...any) *Error {
	return &Error{Errno: abi.EINVAL, Reason: fmt.Sprintf(format, args...)}
}

// ELF constants.
const (
	ET_EXEC   = 2
	ET_DYN    = 3
	EM_X86_64 = 62

	PT_LOAD      = 1
	PT_DYNAMIC   = 2
	PT_INTERP    = 3
	PT_PHDR      = 6
	PT_TLS       = 7
	PT_GNU_STACK = 0x6474e551

	PF_X = 1
	PF_W = 2
	PF_R = 4

	DT_NULL   = 0
	DT_NEEDED = 1
	DT_STRTAB = 5

	PageSize = 4096
	// UserMin and UserMax bound user mappings: mmap_min_addr (64 KiB) and
	// TASK_SIZE (the top of the lower half less a guard page).
	UserMin = 0x10000
	UserMax = 0x7ffffffff000

	ehdrSize  = 64
	phdrSize  = 56
	MaxPhnum  = 64
	maxInterp = abi.PATH_MAX
)

// Prog is one program header.
type Prog struct {
	Type   uint32
	Flags  uint32
	Offset uint64
	Vaddr  uint64
	Filesz uint64
	Memsz  uint64
	Align  uint64
}

// Segment is a PT_LOAD and how to map it (addresses before any load
// bias).
type Segment struct {
	Prog
	Prot uint32 // PF_R, PF_W, PF_X
	// File-backed pages: [MapStart, MapEnd) maps the file from MapOffset
	// (empty when Filesz is 0).
	MapStart, MapEnd, MapOffset uint64
	// [ZeroStart, ZeroEnd): the bytes after the file data in the last
	// file page, which must read as zeros (bss that shares a page with
	// data); empty when Memsz == Filesz or the data ends on a page.
	ZeroStart, ZeroEnd uint64
	// [AnonStart, AnonEnd): anonymous zero pages (the rest of the bss).
	AnonStart, AnonEnd uint64
}

// Image is a parsed executable.
type Image struct {
	Type     uint16 // ET_EXEC or ET_DYN (static PIE: the caller picks a load bias)
	Entry    uint64
	Phoff    uint64
	Phnum    int
	Phdr     uint64 // where the program headers are in memory (AT_PHDR), 0 if not mapped
	Progs    []Prog
	Segments []Segment
	TLS      *Prog // PT_TLS, if any
	// ExecStack is PT_GNU_STACK's PF_X (no PT_GNU_STACK: false, as on
	// x86-64).
	ExecStack bool
	// Start and End bound the page-rounded segments; Brk is where the
	// program break starts (the end of the bss, page-aligned).
	Start, End, Brk uint64
	// Align is the largest PT_LOAD alignment (a static PIE's bias must be
	// a multiple of it).
	Align uint64
}

// Parse reads and checks an executable of the given size.
func Parse(f io.ReaderAt, size int64) (*Image, error) {
	var eh [ehdrSize]byte
	if size < ehdrSize {
		return nil, noexec("file of %d bytes is too short for an ELF header", size)
	}
	if _, err := f.ReadAt(eh[:], 0); err != nil {
		return nil, &Error{Errno: abi.EIO, Reason: "reading the ELF header: " + err.Error()}
	}
	if string(eh[:4]) != "\x7fELF" {
		return nil, noexec("not an ELF file")
	}
	switch eh[4] {
	case 2:
	case 1:
		return nil, noexec("32-bit ELF")
	default:
		return nil, noexec("bad ELF class %d", eh[4])
	}
	if eh[5] != 1 {
		return nil, noexec("big-endian ELF")
	}
	if eh[6] != 1 {
		return nil, noexec("bad ELF version %d", eh[6])
	}
	le := binary.LittleEndian
	img := &Image{Type: le.Uint16(eh[16:])}
	machine := le.Uint16(eh[18:])
	img.Entry = le.Uint64(eh[24:])
	img.Phoff = le.Uint64(eh[32:])
	phentsize := le.Uint16(eh[54:])
	img.Phnum = int(le.Uint16(eh[56:]))
	switch img.Type {
	case ET_EXEC, ET_DYN:
	case 1:
		return nil, noexec("relocatable object (ET_REL), not an executable")
	case 4:
		return nil, noexec("core file (ET_CORE), not an executable")
	default:
		return nil, noexec("ELF type %d is not an executable", img.Type)
	}
	if machine != EM_X86_64 {
		return nil, noexec("machine %d is not x86-64 (%d)", machine, EM_X86_64)
	}
	if le.Uint32(eh[20:]) != 1 {
		return nil, noexec("bad ELF version %d", le.Uint32(eh[20:]))
	}
	if phentsize != phdrSize {
		return nil, noexec("program header size %d, want %d", phentsize, phdrSize)
	}
	if img.Phnum == 0 || img.Phnum > MaxPhnum {
		return nil, noexec("%d program headers (1 to %d)", img.Phnum, MaxPhnum)
	}
	if img.Phoff > uint64(size) || uint64(size)-img.Phoff < uint64(img.Phnum*phdrSize) {
		return nil, noexec("program headers at %#x run past the end of the file (%d bytes)", img.Phoff, size)
	}
	ph := make([]byte, img.Phnum*phdrSize)
	if _, err := f.ReadAt(ph, int64(img.Phoff)); err != nil {
		return nil, &Error{Errno: abi.EIO, Reason: "reading the program headers: " + err.Error()}
	}
	for i := 0; i < img.Phnum; i++ {
		b := ph[i*phdrSize:]
		img.Progs = append(img.Progs, Prog{
			Type: le.Uint32(b), Flags: le.Uint32(b[4:]), Offset: le.Uint64(b[8:]), Vaddr: le.Uint64(b[16:]),
			Filesz: le.Uint64(b[32:]), Memsz: le.Uint64(b[40:]), Align: le.Uint64(b[48:]),
		})
	}
	var dynamic *Prog
	var phdrProg *Prog
	for i := range img.Progs {
		p := &img.Progs[i]
		switch p.Type {
		case PT_INTERP:
			return nil, img.interpError(f, size, p)
		case PT_DYNAMIC:
			dynamic = p
		case PT_PHDR:
			phdrProg = p
		case PT_TLS:
			if p.Filesz > p.Memsz || p.Offset > uint64(size) || uint64(size)-p.Offset < p.Filesz {
				return nil, noexec("PT_TLS runs past the end of the file")
			}
			img.TLS = p
		case PT_GNU_STACK:
			img.ExecStack = p.Flags&PF_X != 0
		case PT_LOAD:
			if err := img.addSegment(*p, size); err != nil {
				return nil, err
			}
		}
	}
	if len(img.Segments) == 0 {
		return nil, noexec("no PT_LOAD segment")
	}
	img.Start = img.Segments[0].MapStart
	if img.Segments[0].Filesz == 0 {
		img.Start = img.Segments[0].AnonStart
	}
	if img.End-img.Start > UserMax-UserMin {
		return nil, einval("segments span %#x bytes, more than user space", img.End-img.Start)
	}
	if img.Type == ET_EXEC {
		if img.Start < UserMin || img.End > UserMax {
			return nil, einval("segments [%#x, %#x) are outside user space [%#x, %#x)", img.Start, img.End, UserMin, UserMax)
		}
	}
	if dynamic != nil {
		if err := img.checkDynamic(f, size, dynamic); err != nil {
			return nil, err
		}
	}
	if !img.executable(img.Entry) {
		return nil, einval("entry point %#x is not in an executable segment", img.Entry)
	}
	switch {
	case phdrProg != nil:
		img.Phdr = phdrProg.Vaddr
	default:
		for _, s := range img.Segments {
			if s.Offset <= img.Phoff && img.Phoff < s.Offset+s.Filesz {
				img.Phdr = s.Vaddr + (img.Phoff - s.Offset)
				break
			}
		}
	}
	return img, nil
}

// addSegment checks a PT_LOAD and plans its mapping.
func (img *Image) addSegment(p Prog, size int64) error {
	if p.Filesz > p.Memsz {
		return einval("PT_LOAD at %#x: filesz %#x > memsz %#x", p.Vaddr, p.Filesz, p.Memsz)
	}
	if p.Offset > uint64(size) || uint64(size)-p.Offset < p.Filesz {
		return noexec("PT_LOAD at %#x: file data [%#x, +%#x) runs past the end of the file (%d bytes)", p.Vaddr, p.Offset, p.Filesz, size)
	}
	if p.Align > 1 && p.Align&(p.Align-1) != 0 {
		return noexec("PT_LOAD at %#x: alignment %#x is not a power of two", p.Vaddr, p.Align)
	}
	if p.Offset%PageSize != p.Vaddr%PageSize {
		return einval("PT_LOAD at %#x: offset %#x and address differ modulo the page size", p.Vaddr, p.Offset)
	}
	if p.Memsz == 0 {
		return nil
	}
	if p.Vaddr > UserMax || p.Memsz > UserMax-p.Vaddr {
		return einval("PT_LOAD at %#x of %#x bytes is outside user space", p.Vaddr, p.Memsz)
	}
	s := Segment{Prog: p, Prot: p.Flags & (PF_R | PF_W | PF_X)}
	start := pageDown(p.Vaddr)
	fileEnd := p.Vaddr + p.Filesz
	memEnd := p.Vaddr + p.Memsz
	if p.Filesz > 0 {
		s.MapStart, s.MapEnd, s.MapOffset = start, pageUp(fileEnd), pageDown(p.Offset)
		if p.Memsz > p.Filesz && fileEnd%PageSize != 0 {
			s.ZeroStart, s.ZeroEnd = fileEnd, min(pageUp(fileEnd), memEnd)
		}
		s.AnonStart = pageUp(fileEnd)
	} else {
		s.AnonStart = start
	}
	s.AnonEnd = max(s.AnonStart, pageUp(memEnd))
	lo := start
	if n := len(img.Segments); n > 0 {
		prev := img.Segments[n-1]
		if p.Vaddr < prev.Vaddr {
			return noexec("PT_LOAD segments are not in ascending order (%#x after %#x)", p.Vaddr, prev.Vaddr)
		}
		if lo < img.End {
			return einval("PT_LOAD at %#x overlaps the previous segment (ending at %#x, page-rounded)", p.Vaddr, img.End)
		}
	}
	img.Segments = append(img.Segments, s)
	img.End = max(s.MapEnd, s.AnonEnd)
	img.Brk = pageUp(memEnd)
	img.Align = max(img.Align, p.Align, PageSize)
	return nil
}

// executable reports whether addr is inside an executable segment.
func (img *Image) executable(addr uint64) bool {
	for _, s := range img.Segments {
		if s.Prot&PF_X != 0 && addr >= s.Vaddr && addr-s.Vaddr < s.Memsz {
			return true
		}
	}
	return false
}

// interpError reads PT_INTERP's path for the error.
func (img *Image) interpError(f io.ReaderAt, size int64, p *Prog) error {
	if p.Filesz < 2 || p.Filesz > maxInterp || p.Offset > uint64(size) || uint64(size)-p.Offset < p.Filesz {
		return noexec("dynamically linked (a bad PT_INTERP); only static programs run here")
	}
	b := make([]byte, p.Filesz)
	if _, err := f.ReadAt(b, int64(p.Offset)); err != nil {
		return &Error{Errno: abi.EIO, Reason: "reading PT_INTERP: " + err.Error()}
	}
	if i := indexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return noexec("dynamically linked: needs the interpreter %q; only static programs run here", b)
}

// checkDynamic refuses a PT_DYNAMIC that names shared libraries
// (DT_NEEDED); a static PIE's own (relocations only) is fine.
func (img *Image) checkDynamic(f io.ReaderAt, size int64, p *Prog) error {
	if p.Offset > uint64(size) || uint64(size)-p.Offset < p.Filesz || p.Filesz > 1<<20 {
		return noexec("PT_DYNAMIC runs past the end of the file")
	}
	b := make([]byte, p.Filesz)
	if _, err := f.ReadAt(b, int64(p.Offset)); err != nil {
		return &Error{Errno: abi.EIO, Reason: "reading PT_DYNAMIC: " + err.Error()}
	}
	le := binary.LittleEndian
	var needed []uint64
	var strtab uint64
	for i := 0; i+16 <= len(b); i += 16 {
		tag, val := le.Uint64(b[i:]), le.Uint64(b[i+8:])
		if tag == DT_NULL {
			break
		}
		switch tag {
		case DT_NEEDED:
			needed = append(needed, val)
		case DT_STRTAB:
			strtab = val
		}
	}
	if len(needed) == 0 {
		return nil
	}
	name := "a shared library"
	if off, ok := img.fileOffset(strtab + needed[0]); ok && off < uint64(size) {
		nb := make([]byte, min(256, uint64(size)-off))
		if n, _ := f.ReadAt(nb, int64(off)); n > 0 {
			if i := indexByte(nb[:n], 0); i > 0 {
				name = fmt.Sprintf("%q", nb[:i])
			}
		}
	}
	return noexec("dynamically linked: needs %s (%d shared libraries); only static programs run here", name, len(needed))
}

// fileOffset maps a virtual address inside a segment's file data to its
// file offset.
func (img *Image) fileOffset(va uint64) (uint64, bool) {
	for _, s := range img.Segments {
		if va >= s.Vaddr && va-s.Vaddr < s.Filesz {
			return s.Offset + (va - s.Vaddr), true
		}
	}
	return 0, false
}

// Layout checks a load bias (0 for ET_EXEC; a multiple of Align for a
// static PIE) and returns the image moved by it: segments, entry,
// program headers, break.
func (img *Image) Layout(bias uint64) (*Image, error) {
	if img.Type == ET_EXEC && bias != 0 {
		return nil, einval("ET_EXEC cannot be moved (bias %#x)", bias)
	}
	if bias%img.Align != 0 {
		return nil, einval("load bias %#x is not aligned to %#x", bias, img.Align)
	}
	if img.Start+bias < img.Start || img.Start+bias < UserMin || img.End+bias > UserMax || img.End+bias < img.End {
		return nil, einval("segments [%#x, %#x) moved by %#x leave user space", img.Start, img.End, bias)
	}
	out := *img
	out.Segments = append([]Segment(nil), img.Segments...)
	for i := range out.Segments {
		s := &out.Segments[i]
		s.Vaddr += bias
		if s.MapEnd > s.MapStart {
			s.MapStart += bias
			s.MapEnd += bias
		}
		if s.ZeroEnd > s.ZeroStart {
			s.ZeroStart += bias
			s.ZeroEnd += bias
		}
		s.AnonStart += bias
		s.AnonEnd += bias
	}
	out.Entry += bias
	if out.Phdr != 0 {
		out.Phdr += bias
	}
	out.Start += bias
	out.End += bias
	out.Brk += bias
	if img.TLS != nil {
		tls := *img.TLS
		tls.Vaddr += bias
		out.TLS = &tls
	}
	return &out, nil
}

func pageDown(v uint64) uint64 { return v &^ (PageSize - 1) }
func pageUp(v uint64) uint64   { return (v + PageSize - 1) &^ (PageSize - 1) }

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}
