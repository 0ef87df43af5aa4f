//go:build linux

// Package pvhtest makes tiny PVH-bootable kernels for tests that run the
// real QEMU: a few hand-assembled instructions in an ELF64 file carrying
// the Xen PHYS32_ENTRY note that QEMU's -kernel loader looks for.
package pvhtest

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
)

// EchoGuest is 32-bit x86 code for the PVH entry point (protected mode,
// paging off). It prints "hi\n" on COM1, then echoes every byte it
// receives on COM1 until it has echoed a 'q', and finally writes 0x21 to
// the isa-debug-exit port, so QEMU exits with status (0x21<<1)|1 = 67.
var EchoGuest = []byte{
	0x66, 0xba, 0xf8, 0x03, // mov dx, 0x3f8
	0xb0, 'h', 0xee, // mov al, 'h'; out dx, al
	0xb0, 'i', 0xee, // mov al, 'i'; out dx, al
	0xb0, '\n', 0xee, // mov al, '\n'; out dx, al
	// loop:
	0x66, 0xba, 0xfd, 0x03, // mov dx, 0x3fd (line status)
	0xec,       // wait: in al, dx
	0xa8, 0x01, // test al, 1 (data ready)
	0x74, 0xfb, // jz wait
	0x66, 0xba, 0xf8, 0x03, // mov dx, 0x3f8
	0xec,      // in al, dx
	0xee,      // out dx, al
	0x3c, 'q', // cmp al, 'q'
	0x75, 0xed, // jne loop
	0xb0, 0x21, // mov al, 0x21
	0xe6, 0xf4, // out 0xf4, al
	0xf4,       // hlt
	0xeb, 0xfd, // jmp hlt
}

// EchoGuestExit is QEMU's exit status after EchoGuest got its 'q'.
const EchoGuestExit = 0x21<<1 | 1

// WriteKernel writes a minimal ELF64 executable into a temporary
// directory of t and returns its path. Its single PT_LOAD segment puts code
// at 1 MiB, which is also the entry point; its PT_NOTE carries the Xen
// PHYS32_ENTRY note that QEMU's -kernel loader needs for a PVH boot.
func WriteKernel(t *testing.T, code []byte) string {
	t.Helper()
	const (
		ehdrSize  = 64
		phdrSize  = 56
		noteOff   = ehdrSize + 2*phdrSize
		codeOff   = 0x1000
		loadAddr  = 0x100000
		ptLoad    = 1
		ptNote    = 4
		xenPhys32 = 18 // XEN_ELFNOTE_PHYS32_ENTRY
	)
	var note bytes.Buffer
	le := binary.LittleEndian
	binary.Write(&note, le, []uint32{4, 8, xenPhys32}) // namesz, descsz, type
	note.WriteString("Xen\x00")
	binary.Write(&note, le, uint64(loadAddr))

	f := make([]byte, codeOff+len(code))
	copy(f, "\x7fELF")
	f[4], f[5], f[6] = 2, 1, 1 // ELFCLASS64, little-endian, version 1
	le.PutUint16(f[16:], 2)    // ET_EXEC
	le.PutUint16(f[18:], 62)   // EM_X86_64
	le.PutUint32(f[20:], 1)    // version
	le.PutUint64(f[24:], loadAddr)
	le.PutUint64(f[32:], ehdrSize) // phoff
	le.PutUint16(f[52:], ehdrSize)
	le.PutUint16(f[54:], phdrSize)
	le.PutUint16(f[56:], 2) // phnum

	ph := func(i int, typ, flags uint32, off, addr, size, align uint64) {
		p := f[ehdrSize+i*phdrSize:]
		le.PutUint32(p[0:], typ)
		le.PutUint32(p[4:], flags)
		le.PutUint64(p[8:], off)
		le.PutUint64(p[16:], addr)
		le.PutUint64(p[24:], addr)
		le.PutUint64(p[32:], size)
		le.PutUint64(p[40:], size)
		le.PutUint64(p[48:], align)
	}
	ph(0, ptLoad, 5 /* R+X */, codeOff, loadAddr, uint64(len(code)), 0x1000)
	ph(1, ptNote, 4 /* R */, noteOff, 0, uint64(note.Len()), 4)
	copy(f[noteOff:], note.Bytes())
	copy(f[codeOff:], code)

	path := filepath.Join(t.TempDir(), "guest.elf")
	if err := os.WriteFile(path, f, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// ExitGuest writes 0x21 to the isa-debug-exit port at once, so QEMU exits
// with status ExitGuestExit without touching the serial port.
var ExitGuest = []byte{
	0xb0, 0x21, // mov al, 0x21
	0xe6, 0xf4, // out 0xf4, al
	0xf4,       // hlt
	0xeb, 0xfd, // jmp hlt
}

// ExitGuestExit is QEMU's exit status after ExitGuest.
const ExitGuestExit = 0x21<<1 | 1
