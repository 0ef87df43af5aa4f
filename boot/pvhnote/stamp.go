package main

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
)

// Xen ELF note constants (xen/include/public/elfnote.h).
const (
	xenNoteName           = "Xen\x00"
	xenElfnotePhys32Entry = 18 // XEN_ELFNOTE_PHYS32_ENTRY

	noteNameSize = 4                                // len("Xen\0")
	noteDescSize = 8                                // little-endian u64 entry address
	noteSize     = 12 + noteNameSize + noteDescSize // 24: namesz, descsz, type, name, desc

	// noteAlign is the p_align of the PT_NOTE header. It must be 4: QEMU
	// rounds namesz and descsz up to p_align (not to 4), so 8 would make it
	// read the descriptor 4 bytes too late.
	noteAlign = 4
)

// Physical address limits (checked against every PT_LOAD and the entry)
// and ELF64 sizes.
const (
	biosWindowStart = 0xA0000  // VGA memory, option ROMs, system BIOS ...
	biosWindowEnd   = 0x100000 // ... up to 1 MiB (exclusive)
	limit4G         = 1 << 32  // PVH enters in 32-bit mode with paging off
	phdrSize64      = 56       // sizeof(Elf64_Phdr)
	ehdrSize64      = 64       // sizeof(Elf64_Ehdr)
	abi0Suffix      = ".abi0"  // suffix of Go assembly (ABI0) text symbols

	// kernelBase is where a kernel linked for the upper half maps physical
	// address 0 (retract's and Linux's __START_KERNEL_map). A PT_LOAD
	// linked at or above it is loaded at vaddr - kernelBase.
	kernelBase = 0xffffffff80000000
)

// Info describes what Stamp did.
type Info struct {
	// Symbol is the .symtab name the entry was taken from: the requested
	// name or the name with ".abi0" appended.
	Symbol string
	// Entry is the physical entry address written into the note.
	Entry uint64
	// Phdr is the index of the program header that now describes the note.
	Phdr int
	// WasType is the type of that program header before Stamp ran:
	// PT_GNU_STACK on a first run, PT_NOTE when an earlier note was found.
	WasType elf.ProgType
	// NoteOffset is the file offset of the 24-byte note.
	NoteOffset uint64
	// Restamped reports that an existing Xen note (from an earlier run) was
	// rewritten in place instead of a new one being appended.
	Restamped bool
}

// Stamp returns a copy of the ELF image data with a Xen PVH entry note
// (XEN_ELFNOTE_PHYS32_ENTRY) whose address is that of the symbol entrySym
// (or entrySym+".abi0") from .symtab.
//
// On a first run the PT_GNU_STACK program header is turned into a PT_NOTE
// that points at a 24-byte note appended to the end of the file (after
// padding the file to a 4-byte boundary). If the image already carries a
// note made by Stamp, that note and its header are rewritten in place, so
// stamping twice yields identical bytes. data itself is never modified.
//
// Stamp refuses images that QEMU could not boot through PVH or that would
// be loaded over firmware: anything but a static little-endian ELF64
// x86-64 ET_EXEC, PT_LOAD segments touching 0xA0000-0xFFFFF or reaching
// past 4 GiB, and entries that are not in an executable PT_LOAD.
func Stamp(data []byte, entrySym string) (out []byte, info Info, err error) {
	if err := checkIdent(data); err != nil {
		return nil, Info{}, err
	}
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		return nil, Info{}, fmt.Errorf("malformed ELF: %v", err)
	}
	defer f.Close()

	if f.Machine != elf.EM_X86_64 {
		return nil, Info{}, fmt.Errorf("machine is %v, want EM_X86_64", f.Machine)
	}
	if f.Type != elf.ET_EXEC {
		return nil, Info{}, fmt.Errorf("file type is %v, want ET_EXEC (a statically linked executable)", f.Type)
	}
	relocated := setLoadAddresses(f.Progs)
	if err := checkSegments(f.Progs); err != nil {
		return nil, Info{}, err
	}

	sym, err := findEntry(f, entrySym)
	if err != nil {
		return nil, Info{}, err
	}
	entry, err := entryPhys(f.Progs, sym)
	if err != nil {
		return nil, Info{}, err
	}

	// Raw program header table, for patching.
	phoff := binary.LittleEndian.Uint64(data[0x20:])
	phentsize := uint64(binary.LittleEndian.Uint16(data[0x36:]))
	if phentsize < phdrSize64 {
		return nil, Info{}, fmt.Errorf("e_phentsize is %d, want at least %d", phentsize, phdrSize64)
	}
	if phoff > uint64(len(data)) || uint64(len(f.Progs))*phentsize > uint64(len(data))-phoff {
		return nil, Info{}, fmt.Errorf("program header table at 0x%x runs past end of file", phoff)
	}

	slot, restamp := -1, false
	for i, p := range f.Progs {
		if isOurNote(data, p) {
			slot, restamp = i, true
			break
		}
	}
	if slot < 0 {
		for i, p := range f.Progs {
			if p.Type == elf.PT_GNU_STACK {
				slot = i
				break
			}
		}
	}
	if slot < 0 {
		return nil, Info{}, errors.New("no PT_GNU_STACK program header to repurpose as PT_NOTE (and no earlier Xen note)")
	}

	var noteOff uint64
	if restamp {
		noteOff = f.Progs[slot].Off
		out = bytes.Clone(data)
	} else {
		noteOff = alignUp(uint64(len(data)), noteAlign)
		out = make([]byte, noteOff+noteSize)
		copy(out, data) // padding between the old end and the note stays zero
	}

	// The note: namesz, descsz, type, "Xen\0", desc.
	n := out[noteOff : noteOff+noteSize]
	binary.LittleEndian.PutUint32(n[0:], noteNameSize)
	binary.LittleEndian.PutUint32(n[4:], noteDescSize)
	binary.LittleEndian.PutUint32(n[8:], xenElfnotePhys32Entry)
	copy(n[12:16], xenNoteName)
	binary.LittleEndian.PutUint64(n[16:], entry)

	// The physical load addresses of an upper-half kernel (p_paddr is at
	// offset 24 of an Elf64_Phdr).
	for _, i := range relocated {
		binary.LittleEndian.PutUint64(out[phoff+uint64(i)*phentsize+24:], f.Progs[i].Paddr)
	}

	// The program header: Elf64_Phdr {type, flags, offset, vaddr, paddr,
	// filesz, memsz, align}.
	ph := out[phoff+uint64(slot)*phentsize:][:phdrSize64]
	binary.LittleEndian.PutUint32(ph[0:], uint32(elf.PT_NOTE))
	binary.LittleEndian.PutUint32(ph[4:], uint32(elf.PF_R))
	binary.LittleEndian.PutUint64(ph[8:], noteOff)
	binary.LittleEndian.PutUint64(ph[16:], 0)
	binary.LittleEndian.PutUint64(ph[24:], 0)
	binary.LittleEndian.PutUint64(ph[32:], noteSize)
	binary.LittleEndian.PutUint64(ph[40:], noteSize)
	binary.LittleEndian.PutUint64(ph[48:], noteAlign)

	// Belt and braces: the result must still parse, and the header must
	// lead to the note we wrote.
	if err := verify(out, slot, entry); err != nil {
		return nil, Info{}, fmt.Errorf("internal error: stamped image does not verify: %v", err)
	}

	return out, Info{
		Symbol:     sym.Name,
		Entry:      entry,
		Phdr:       slot,
		WasType:    f.Progs[slot].Type,
		NoteOffset: noteOff,
		Restamped:  restamp,
	}, nil
}

// checkIdent checks e_ident before handing the bytes to debug/elf, so that
// the common mistakes get a precise message.
func checkIdent(data []byte) error {
	if len(data) < 4 || string(data[:4]) != elf.ELFMAG {
		return errors.New("not an ELF file (bad magic)")
	}
	if len(data) < ehdrSize64 {
		return fmt.Errorf("truncated ELF header (%d bytes)", len(data))
	}
	if c := elf.Class(data[elf.EI_CLASS]); c != elf.ELFCLASS64 {
		return fmt.Errorf("ELF class is %v, want ELFCLASS64", c)
	}
	if d := elf.Data(data[elf.EI_DATA]); d != elf.ELFDATA2LSB {
		return fmt.Errorf("ELF data encoding is %v, want ELFDATA2LSB", d)
	}
	return nil
}

// setLoadAddresses gives every PT_LOAD linked in the upper-half kernel map
// (vaddr >= kernelBase) the physical address it is loaded at, vaddr -
// kernelBase: the Go linker sets p_paddr = p_vaddr, and QEMU loads each
// segment at p_paddr. It returns the indexes of the headers it changed
// (an image stamped before keeps its addresses: the result is the same).
func setLoadAddresses(progs []*elf.Prog) (changed []int) {
	for i, p := range progs {
		if p.Type != elf.PT_LOAD || p.Vaddr < kernelBase {
			continue
		}
		if pa := p.Vaddr - kernelBase; p.Paddr != pa {
			p.Paddr = pa
			changed = append(changed, i)
		}
	}
	return changed
}

// checkSegments refuses dynamically linked images and PT_LOAD segments
// whose physical range QEMU would copy over the BIOS window or that a
// 32-bit, paging-off entry could not reach.
func checkSegments(progs []*elf.Prog) error {
	loads := 0
	for i, p := range progs {
		switch p.Type {
		case elf.PT_INTERP, elf.PT_DYNAMIC:
			return fmt.Errorf("dynamically linked (phdr %d is %v); build with CGO_ENABLED=0", i, p.Type)
		case elf.PT_LOAD:
			loads++
		default:
			continue
		}
		if p.Memsz == 0 {
			continue
		}
		start := p.Paddr
		end := start + p.Memsz // exclusive
		if end < start || end > limit4G {
			return fmt.Errorf("PT_LOAD phdr %d at paddr 0x%x, memsz 0x%x reaches at or above 4 GiB", i, p.Paddr, p.Memsz)
		}
		if start < biosWindowEnd && end > biosWindowStart {
			return fmt.Errorf("PT_LOAD phdr %d [0x%x, 0x%x) overlaps the BIOS window [0x%x, 0x%x); link with -ldflags \"-T -0x7fdff000\" (or \"-T 0x201000\" for a kernel that runs at its physical address)",
				i, start, end, biosWindowStart, biosWindowEnd)
		}
	}
	if loads == 0 {
		return errors.New("no PT_LOAD segments")
	}
	return nil
}

// findEntry looks up name, or name+".abi0", in .symtab. When both exist
// the ".abi0" one is preferred: it is the assembly body, whereas the plain
// name is then the compiler's ABIInternal wrapper, which uses 64-bit-only
// instructions and cannot run in the 32-bit PVH entry state.
func findEntry(f *elf.File, name string) (elf.Symbol, error) {
	if name == "" {
		return elf.Symbol{}, errors.New("empty entry symbol name")
	}
	syms, err := f.Symbols()
	if err != nil {
		if errors.Is(err, elf.ErrNoSymbols) {
			return elf.Symbol{}, fmt.Errorf("no .symtab, so entry symbol %q cannot be found; binaries stripped (-ldflags -s, strip) cannot be stamped", name)
		}
		return elf.Symbol{}, fmt.Errorf("reading .symtab: %v", err)
	}
	var plain, abi0 []elf.Symbol
	for _, s := range syms {
		switch {
		case s.Name == name:
			plain = append(plain, s)
		case !strings.HasSuffix(name, abi0Suffix) && s.Name == name+abi0Suffix:
			abi0 = append(abi0, s)
		}
	}
	cands := abi0
	if len(cands) == 0 {
		cands = plain
	}
	if len(cands) == 0 {
		tried := fmt.Sprintf("%q", name)
		if !strings.HasSuffix(name, abi0Suffix) {
			tried += fmt.Sprintf(" or %q", name+abi0Suffix)
		}
		return elf.Symbol{}, fmt.Errorf("entry symbol %s not found in .symtab; is it referenced so the linker keeps it? (stripped -s binaries cannot be stamped)", tried)
	}
	for _, s := range cands[1:] {
		if s.Value != cands[0].Value {
			return elf.Symbol{}, fmt.Errorf("entry symbol %q is ambiguous: 0x%x and 0x%x", cands[0].Name, cands[0].Value, s.Value)
		}
	}
	if cands[0].Section == elf.SHN_UNDEF {
		return elf.Symbol{}, fmt.Errorf("entry symbol %q is undefined", cands[0].Name)
	}
	return cands[0], nil
}

// entryPhys translates the symbol's (virtual) address into the physical
// address QEMU will jump to, checking that it lies in the file-backed part
// of an executable PT_LOAD below 4 GiB.
func entryPhys(progs []*elf.Prog, sym elf.Symbol) (uint64, error) {
	for _, p := range progs {
		if p.Type != elf.PT_LOAD || p.Flags&elf.PF_X == 0 {
			continue
		}
		if sym.Value >= p.Vaddr && sym.Value-p.Vaddr < p.Filesz {
			phys := sym.Value - p.Vaddr + p.Paddr
			if phys >= limit4G {
				return 0, fmt.Errorf("entry %s = 0x%x has physical address 0x%x at or above 4 GiB", sym.Name, sym.Value, phys)
			}
			return phys, nil
		}
	}
	return 0, fmt.Errorf("entry %s = 0x%x is not inside an executable PT_LOAD segment", sym.Name, sym.Value)
}

// isOurNote reports whether p is a PT_NOTE with exactly the shape Stamp
// writes and starts with a Xen PHYS32_ENTRY note.
func isOurNote(data []byte, p *elf.Prog) bool {
	if p.Type != elf.PT_NOTE || p.Flags != elf.PF_R || p.Vaddr != 0 || p.Paddr != 0 ||
		p.Filesz != noteSize || p.Memsz != noteSize || p.Align != noteAlign {
		return false
	}
	if p.Off > uint64(len(data)) || uint64(len(data))-p.Off < noteSize {
		return false
	}
	n := data[p.Off : p.Off+noteSize]
	return binary.LittleEndian.Uint32(n[0:]) == noteNameSize &&
		binary.LittleEndian.Uint32(n[4:]) == noteDescSize &&
		binary.LittleEndian.Uint32(n[8:]) == xenElfnotePhys32Entry &&
		string(n[12:16]) == xenNoteName
}

// verify re-parses out and checks that program header slot describes a
// Xen note carrying entry.
func verify(out []byte, slot int, entry uint64) error {
	f, err := elf.NewFile(bytes.NewReader(out))
	if err != nil {
		return err
	}
	defer f.Close()
	if slot >= len(f.Progs) || !isOurNote(out, f.Progs[slot]) {
		return fmt.Errorf("phdr %d is not the Xen note", slot)
	}
	if got := binary.LittleEndian.Uint64(out[f.Progs[slot].Off+16:]); got != entry {
		return fmt.Errorf("note holds 0x%x, want 0x%x", got, entry)
	}
	return nil
}

func alignUp(x, a uint64) uint64 { return (x + a - 1) &^ (a - 1) }

// progTypeName returns t without the "PT_" prefix, e.g. "GNU_STACK".
func progTypeName(t elf.ProgType) string {
	return strings.TrimPrefix(t.String(), "PT_")
}
