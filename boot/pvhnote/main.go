// Command pvhnote stamps a Xen PVH entry note into a kernel ELF built by
// the stock Go toolchain, so that QEMU can boot it with -kernel.
//
// Usage:
//
//	pvhnote [-entry SYM] FILE
//
// The kernel is linked as an ordinary static linux/amd64 executable, at
// the top of the address space like Linux (GOOS=linux GOARCH=amd64
// CGO_ENABLED=0 go build -ldflags "-T -0x7fdff000": text at
// 0xffffffff80201000; the linker takes the address as a signed number).
// QEMU's -kernel loader accepts such an ELF only through the PVH boot
// protocol, which needs an XEN_ELFNOTE_PHYS32_ENTRY note (type 18, name
// "Xen") holding the 32-bit physical entry address. pvhnote looks up SYM
// (default retract/boot.pvhEntry; SYM.abi0, the name Go gives assembly
// functions, is accepted too) in .symtab and writes that note.
//
// Why a program header, and why repurpose one: QEMU reads notes only from
// PT_NOTE program headers; a .note section alone is ignored. The Go linker
// puts the section header table right after the program headers, so there
// is no room to add a program header. pvhnote therefore turns the
// PT_GNU_STACK header, which means nothing on bare metal, into a PT_NOTE
// that points at a 24-byte note appended to the end of the file. Go's own
// build-ID PT_NOTE is left alone (go tool buildid still works), and ours
// comes later in the table, so QEMU parses it last. The header gets
// p_align = 4: QEMU rounds namesz and descsz up to p_align rather than to
// 4, so any other alignment makes it read the address from the wrong place.
// vaddr and paddr are 0 because the note is not loaded into memory.
//
// Before and after (6 program headers as emitted by Go 1.26):
//
//	before                                  after
//	+-----------------------+ 0             +-----------------------+ 0
//	| ELF header            |               | ELF header            |
//	| phdr 0 PHDR           |               | phdr 0 PHDR           |
//	| phdr 1 NOTE (buildid) |               | phdr 1 NOTE (buildid) |
//	| phdr 2 LOAD  R E      |               | phdr 2 LOAD  R E      |
//	| phdr 3 LOAD  R        |               | phdr 3 LOAD  R        |
//	| phdr 4 LOAD  RW       |               | phdr 4 LOAD  RW       |
//	| phdr 5 GNU_STACK      |               | phdr 5 NOTE  R  ------------+
//	| section headers       |               | section headers       |     |
//	| .text .rodata .data   |               | .text .rodata .data   |     |
//	| ... .symtab .strtab   |               | ... .symtab .strtab   |     |
//	+-----------------------+ EOF           | zero pad to 4 bytes   |     |
//	                                        | 04 00 00 00 namesz    | <---+
//	                                        | 08 00 00 00 descsz    |
//	                                        | 12 00 00 00 type 18   |
//	                                        | "Xen\0"               |
//	                                        | entry (u64 LE)        |
//	                                        +-----------------------+ EOF
//
// Go's linker sets every p_paddr to p_vaddr, and QEMU loads segments at
// p_paddr. For a PT_LOAD linked in the upper-half kernel map (vaddr at or
// above 0xffffffff80000000, which maps physical 0) pvhnote therefore sets
// p_paddr = p_vaddr - 0xffffffff80000000, as Linux's linker script does
// with AT(); the note holds the physical address of the entry. A kernel
// linked low (-T 0x201000) runs at its physical addresses and keeps them.
// Nothing else in the PT_LOAD headers changes, and nothing they load
// does, except the one repurposed program header entry (Go's first
// PT_LOAD maps the file from offset 0, headers included). Running pvhnote again finds
// its own note and rewrites it in place, so the result is identical; if
// nothing changes the file is not rewritten at all. Otherwise FILE is
// replaced atomically (temporary file in the same directory, then rename).
//
// pvhnote refuses, with one line naming FILE and the reason, anything QEMU
// could not boot this way or that would overwrite firmware: non-ELF,
// ELFCLASS32, machines other than EM_X86_64, types other than ET_EXEC,
// dynamically linked images, images without PT_LOAD, PT_LOAD segments
// overlapping the BIOS window 0xA0000-0xFFFFF (e.g. -T 0x100000) or reaching
// 4 GiB, a missing entry symbol (binaries stripped with -s cannot be
// stamped), an entry outside executable PT_LOADs or above 4 GiB, and images
// without a PT_GNU_STACK header.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
)

const defaultEntry = "retract/boot.pvhEntry"

func main() {
	entry := flag.String("entry", defaultEntry, "`symbol` of the 32-bit PVH entry point (NAME or NAME.abi0)")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: pvhnote [-entry SYM] FILE\n\n"+
			"Stamps a Xen PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY) into the kernel ELF FILE, in place.\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	file := flag.Arg(0)

	info, err := run(file, *entry)
	if err != nil {
		fmt.Fprintf(os.Stderr, "pvhnote: %s: %v\n", file, err)
		os.Exit(1)
	}
	how := "was " + progTypeName(info.WasType)
	if info.Restamped {
		how = "existing Xen note re-stamped"
	}
	fmt.Printf("%s: PVH entry %s = %#x, note in phdr %d (%s) at file offset %#x\n",
		file, info.Symbol, info.Entry, info.Phdr, how, info.NoteOffset)
}

// run stamps file in place.
func run(file, entry string) (Info, error) {
	// Follow a symlink so that the rename replaces its target, not the link.
	path, err := filepath.EvalSymlinks(file)
	if err != nil {
		return Info{}, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return Info{}, err
	}
	out, info, err := Stamp(data, entry)
	if err != nil {
		return Info{}, err
	}
	if bytes.Equal(out, data) {
		return info, nil
	}
	return info, replaceFile(path, out)
}

// replaceFile atomically replaces path with data, keeping its permissions.
func replaceFile(path string, data []byte) (err error) {
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".pvhnote-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(data); err != nil {
		return err
	}
	if err = tmp.Chmod(st.Mode().Perm()); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
