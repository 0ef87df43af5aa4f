package main

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"testing"
)

// tinyELF returns the smallest image Stamp accepts: an ELF64 x86-64
// ET_EXEC with one executable PT_LOAD at 2 MiB, a PT_GNU_STACK, and a
// .symtab naming the entry symbol main.pvhEntry. It is the fuzzer's seed
// (a real kernel is megabytes: too big to mutate usefully).
func tinyELF() []byte {
	const (
		base     = 0x200000
		textOff  = 0xb0
		strOff   = 0x100
		symOff   = 0x120
		shstrOff = 0x150
		shOff    = 0x180
	)
	var b bytes.Buffer
	w := func(v any) { _ = binary.Write(&b, binary.LittleEndian, v) }
	pad := func(off int) {
		for b.Len() < off {
			b.WriteByte(0)
		}
	}
	hdr := elf.Header64{
		Type: uint16(elf.ET_EXEC), Machine: uint16(elf.EM_X86_64), Version: uint32(elf.EV_CURRENT),
		Entry: base + textOff, Phoff: 0x40, Shoff: shOff, Ehsize: 64, Phentsize: 56, Phnum: 2,
		Shentsize: 64, Shnum: 5, Shstrndx: 4,
	}
	copy(hdr.Ident[:], "\x7fELF")
	hdr.Ident[elf.EI_CLASS], hdr.Ident[elf.EI_DATA], hdr.Ident[elf.EI_VERSION] = byte(elf.ELFCLASS64), byte(elf.ELFDATA2LSB), byte(elf.EV_CURRENT)
	w(hdr)
	w(elf.Prog64{Type: uint32(elf.PT_LOAD), Flags: uint32(elf.PF_R | elf.PF_X), Off: 0, Vaddr: base, Paddr: base,
		Filesz: shOff, Memsz: shOff, Align: 0x1000})
	w(elf.Prog64{Type: uint32(elf.PT_GNU_STACK), Flags: uint32(elf.PF_R | elf.PF_W), Align: 8})
	pad(textOff)
	b.Write([]byte{0xfa, 0xf4, 0xeb, 0xfd}) // CLI; HLT; JMP .-1
	pad(strOff)
	b.WriteString("\x00main.pvhEntry\x00")
	pad(symOff)
	w(elf.Sym64{})
	w(elf.Sym64{Name: 1, Info: elf.ST_INFO(elf.STB_GLOBAL, elf.STT_FUNC), Shndx: 1, Value: base + textOff, Size: 4})
	pad(shstrOff)
	b.WriteString("\x00.text\x00.symtab\x00.strtab\x00.shstrtab\x00")
	pad(shOff)
	w(elf.Section64{})
	w(elf.Section64{Name: 1, Type: uint32(elf.SHT_PROGBITS), Flags: uint64(elf.SHF_ALLOC | elf.SHF_EXECINSTR), Addr: base + textOff, Off: textOff, Size: 4, Addralign: 1})
	w(elf.Section64{Name: 7, Type: uint32(elf.SHT_SYMTAB), Off: symOff, Size: 48, Link: 3, Info: 1, Addralign: 8, Entsize: 24})
	w(elf.Section64{Name: 15, Type: uint32(elf.SHT_STRTAB), Off: strOff, Size: 15, Addralign: 1})
	w(elf.Section64{Name: 23, Type: uint32(elf.SHT_STRTAB), Off: shstrOff, Size: 33, Addralign: 1})
	return b.Bytes()
}

func TestTinyELF(t *testing.T) {
	out, info, err := Stamp(tinyELF(), testEntry)
	if err != nil {
		t.Fatalf("Stamp(tinyELF): %v", err)
	}
	if info.Entry != 0x2000b0 {
		t.Errorf("entry %#x, want 0x2000b0", info.Entry)
	}
	if entry, ok := qemuPVHEntry(out); !ok || entry != info.Entry {
		t.Errorf("QEMU would read entry %#x, %v", entry, ok)
	}
}

// FuzzStamp mutates an image Stamp accepts. The properties: Stamp never
// panics and never modifies its input; what it accepts it stamps so that
// QEMU's note reader finds the entry, and stamping the result again
// changes nothing.
func FuzzStamp(f *testing.F) {
	tiny := tinyELF()
	f.Add(tiny)
	stamped, _, err := Stamp(tiny, testEntry)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(stamped)
	f.Add(elf32())
	f.Add([]byte("\x7fELF"))
	f.Fuzz(func(t *testing.T, data []byte) {
		in := bytes.Clone(data)
		out, info, err := Stamp(data, testEntry)
		if !bytes.Equal(in, data) {
			t.Fatal("Stamp modified its input")
		}
		if err != nil {
			return
		}
		if entry, ok := qemuPVHEntry(out); !ok || entry != info.Entry {
			t.Fatalf("stamped image: QEMU would read entry %#x, %v; Stamp said %#x", entry, ok, info.Entry)
		}
		again, info2, err := Stamp(out, testEntry)
		if err != nil {
			t.Fatalf("stamping a stamped image failed: %v", err)
		}
		if !bytes.Equal(again, out) || info2.Entry != info.Entry {
			t.Fatalf("stamping twice changed the image (entry %#x, then %#x)", info.Entry, info2.Entry)
		}
	})
}
