// mmcmd.go: the shell's view of user address spaces: mm, pt walk, fault.

package main

import (
	"fmt"
	"strconv"
	"strings"

	"retract/arch/amd64"
	"retract/kernel/shell"
	"retract/mm"
)

func mmCommands() []shell.Command {
	return []shell.Command{
		{Name: "mm", Usage: "mm [new | map ID ADDR PAGES r|rw | mapfile ID ADDR PAGES | advise ID ADDR PAGES huge|nohuge | destroy ID]",
			Help: "list address spaces and their VMAs, or make and change one (mapfile: the shared demo file)", Run: cmdMM},
		{Name: "pt", Usage: "pt walk ID ADDR | pt dump ID [START END]", Help: "walk the page tables of ADDR level by level, or list the mapped pages", Run: cmdPT},
		{Name: "fault", Usage: "fault ID ADDR [r|w]", Help: "touch ADDR in address space ID through uaccess (faulting it in)", Run: cmdFault},
	}
}

func findMM(s string) (*mm.MM, error) {
	id, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("%q is not an address space id (see mm)", s)
	}
	for _, m := range mm.All() {
		if uint64(m.ID) == id {
			return m, nil
		}
	}
	return nil, fmt.Errorf("no address space %d (see mm)", id)
}

// mmRange parses "ID ADDR PAGES": the address space, the page-aligned
// address and the size in bytes (at most maxPages pages; why says why).
func mmRange(args []string, maxPages int, why string) (*mm.MM, uintptr, uintptr, error) {
	m, err := findMM(args[0])
	if err != nil {
		return nil, 0, 0, err
	}
	a, err := parseUserAddr(args[1])
	if err != nil {
		return nil, 0, 0, err
	}
	n, err := strconv.Atoi(args[2])
	if err != nil || n < 1 || n > maxPages {
		return nil, 0, 0, fmt.Errorf("PAGES must be 1 to %d%s", maxPages, why)
	}
	return m, a &^ (mm.PageSize - 1), uintptr(n) * mm.PageSize, nil
}

func parseUserAddr(s string) (uintptr, error) {
	v, err := strconv.ParseUint(strings.TrimPrefix(s, "0x"), 16, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a hex address", s)
	}
	if uintptr(v) < mm.UserBase || uintptr(v) >= mm.UserEnd {
		return 0, fmt.Errorf("%#x is not a user address: the user range is [%#x, %#x)", v, mm.UserBase, mm.UserEnd)
	}
	return uintptr(v), nil
}

func cmdMM(sh *shell.Shell, args []string) error {
	if len(args) == 0 {
		all := mm.All()
		if len(all) == 0 {
			sh.Printf("no address spaces (mm new makes one)\n")
		}
		for _, m := range all {
			s := &m.Stats
			sh.Printf("mm %d: PML4 %#x, CPUs %#x; faults %d (zero page %d, new %d, wp %d, spurious %d, retries %d, EFAULT %d); retries on a retracted table %d\n",
				m.ID, m.PML4, m.CPUMask.Load(), s.Faults.Load(), s.ZeroPage.Load(), s.AnonNew.Load(), s.WriteProtect.Load(),
				s.Spurious.Load(), s.Retries.Load(), s.EFAULT.Load(), s.Detached.Load())
			m.MmapLock.RLock()
			for _, v := range m.VMAs.All() {
				sh.Printf("  %v\n", v)
			}
			m.MmapLock.RUnlock()
		}
		return nil
	}
	switch args[0] {
	case "new":
		m, err := mm.New()
		if err != nil {
			return err
		}
		sh.Printf("mm %d: PML4 at %#x\n", m.ID, m.PML4)
	case "map":
		if len(args) != 5 {
			return fmt.Errorf("usage: mm map ID ADDR PAGES r|rw")
		}
		m, a, size, err := mmRange(args[1:4], 1<<20, "")
		if err != nil {
			return err
		}
		prot := mm.ProtRead
		switch args[4] {
		case "r":
		case "rw":
			prot |= mm.ProtWrite
		default:
			return fmt.Errorf("protection %q: want r or rw", args[4])
		}
		m.MmapLock.Lock()
		err = m.VMAs.Insert(mm.VMA{Start: a, End: a + size, Prot: prot, Flags: mm.VMAnon})
		m.MmapLock.Unlock()
		return err
	case "mapfile":
		if len(args) != 4 {
			return fmt.Errorf("usage: mm mapfile ID ADDR PAGES")
		}
		m, a, size, err := mmRange(args[1:4], DemoFilePages, " (the demo file's size)")
		if err != nil {
			return err
		}
		_, err = m.MmapFile(a, size, mm.ProtRead|mm.ProtWrite, true, theDemoFile(), 0)
		return err
	case "advise":
		if len(args) != 5 || args[4] != "huge" && args[4] != "nohuge" {
			return fmt.Errorf("usage: mm advise ID ADDR PAGES huge|nohuge")
		}
		m, a, size, err := mmRange(args[1:4], 1<<20, "")
		if err != nil {
			return err
		}
		if args[4] == "huge" {
			return m.Madvise(a, size, mm.VMHugepage, mm.VMNoHugepage)
		}
		return m.Madvise(a, size, mm.VMNoHugepage, mm.VMHugepage)
	case "destroy":
		if len(args) != 2 {
			return fmt.Errorf("usage: mm destroy ID")
		}
		m, err := findMM(args[1])
		if err != nil {
			return err
		}
		m.Destroy()
	default:
		return fmt.Errorf("unknown subcommand %q", args[0])
	}
	return nil
}

func pteFlags(e amd64.PTE) string {
	var b strings.Builder
	for _, f := range []struct {
		bit  amd64.PTE
		name string
	}{{amd64.PTEPresent, "P"}, {amd64.PTEWrite, "W"}, {amd64.PTEUser, "U"}, {amd64.PTEPWT, "PWT"}, {amd64.PTEPCD, "PCD"},
		{amd64.PTEAccessed, "A"}, {amd64.PTEDirty, "D"}, {amd64.PTEHuge, "PS"}, {amd64.PTEGlobal, "G"}, {amd64.PTENX, "NX"}} {
		if e&f.bit != 0 {
			b.WriteString(f.name + " ")
		}
	}
	return strings.TrimSpace(b.String())
}

func cmdPT(sh *shell.Shell, args []string) error {
	if len(args) >= 2 && args[0] == "dump" {
		return cmdPTDump(sh, args[1:])
	}
	if len(args) != 3 || args[0] != "walk" {
		return fmt.Errorf("usage: pt walk ID ADDR | pt dump ID [START END]")
	}
	m, err := findMM(args[1])
	if err != nil {
		return err
	}
	va, err := parseUserAddr(args[2])
	if err != nil {
		return err
	}
	entries, tables := m.Walk(va)
	names := [4]string{"PML4", "PDPT", "PD  ", "PT  "}
	for i := 0; i < 4; i++ {
		if tables[i] == 0 {
			break
		}
		f := mm.Frames.Meta(tables[i] >> mm.PageShift)
		e := entries[i]
		sh.Printf("%s table %#x (owner mm %d, level %d, gen %d) [%3d] = %#018x %s\n", names[i], tables[i], f.Owner, f.Level, f.Gen,
			amd64.Index(va, 4-i), uint64(e), pteFlags(e))
		if !e.Present() {
			sh.Printf("     not present: %#x is not mapped\n", va)
			return nil
		}
		if i == 2 && e.Huge() {
			head := mm.PmdPFN(e) << mm.PageShift
			sh.Printf("     -> huge PMD: one 2 MiB page at %#x (%s), byte at %#x\n", head,
				mm.Frames.KindOf(mm.PmdPFN(e)), head|uint64(va)&(mm.HPageSize-1))
			return nil
		}
	}
	e := entries[3]
	what := "anonymous page"
	if mm.Frames.KindOf(mm.PtePFN(e)) == mm.KindPageCache {
		what = "page-cache page"
	}
	if mm.PtePFN(e) == mm.ZeroPFN() {
		what = "the shared zero page"
	}
	sh.Printf("     -> frame %#x (%s), byte at %#x\n", e.Addr(), what, e.Addr()|uint64(va)&(mm.PageSize-1))
	return nil
}

func cmdFault(sh *shell.Shell, args []string) error {
	if len(args) < 2 || len(args) > 3 {
		return fmt.Errorf("usage: fault ID ADDR [r|w]")
	}
	m, err := findMM(args[0])
	if err != nil {
		return err
	}
	va, err := parseUserAddr(args[1])
	if err != nil {
		return err
	}
	write := len(args) == 3 && args[2] == "w"
	if len(args) == 3 && args[2] != "r" && args[2] != "w" {
		return fmt.Errorf("access %q: want r or w", args[2])
	}
	va &^= 7
	m.Use()
	if write {
		err = m.Store64(va, 0x5a5a5a5a)
	} else {
		var v uint64
		v, err = m.Load64(va)
		if err == nil {
			sh.Printf("read %#x\n", v)
		}
	}
	m.Unuse()
	if err != nil {
		return err
	}
	return cmdPT(sh, []string{"walk", args[0], args[1]})
}

func cmdPTDump(sh *shell.Shell, args []string) error {
	if len(args) != 1 && len(args) != 3 {
		return fmt.Errorf("usage: pt dump ID [START END]")
	}
	m, err := findMM(args[0])
	if err != nil {
		return err
	}
	start, end := mm.UserBase, mm.UserEnd
	if len(args) == 3 {
		if start, err = parseUserAddr(args[1]); err != nil {
			return err
		}
		if end, err = parseUserAddr(args[2]); err != nil {
			return err
		}
		if end <= start {
			return fmt.Errorf("END must be above START")
		}
	}
	const max = 256
	maps := m.Dump(start, end, max)
	for _, x := range maps {
		what := ""
		if mm.PtePFN(x.PTE) == mm.ZeroPFN() {
			what = "  (zero page)"
		} else {
			what = "  (" + mm.Frames.KindOf(mm.PtePFN(x.PTE)).String() + ")"
		}
		sh.Printf("%#014x -> %#010x %-16s%s\n", x.VA, x.PTE.Addr(), pteFlags(x.PTE), what)
	}
	if len(maps) == max {
		sh.Printf("(first %d mappings only)\n", max)
	}
	sh.Printf("%d pages mapped\n", len(maps))
	return nil
}
