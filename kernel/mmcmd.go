// mmcmd.go: the shell's view of user address spaces: mm, pt walk, fault.

package main

import (
	"fmt"
	"strings"

	"retract/arch/amd64"
	"retract/kernel/cmdargs"
	"retract/kernel/shell"
	"retract/mm"
	"retract/mm/phys"
)

func mmCommands() []shell.Command {
	return []shell.Command{
		{Name: "mm", Usage: cmdargs.MMUsage,
			Help: "list address spaces (mm_struct) and their VMAs, or make (mm_alloc) and change one: mmap of anonymous memory or of the shared demo file, madvise HUGEPAGE, destroy (mmput)", Run: cmdMM},
		{Name: "pt", Usage: cmdargs.PTUsage, Help: "walk the page tables of ADDR level by level (pgd, pud, pmd, pte_offset_map), or list the mapped pages", Run: cmdPT},
		{Name: "fault", Usage: cmdargs.FaultUsage, Help: "touch the 8 bytes at ADDR in address space ID through uaccess (copy_to_user/get_user), faulting it in through handle_mm_fault", Run: cmdFault},
	}
}

// shellMMs are the address spaces the shell made (mm new): the only ones
// mm map, mapfile, advise and destroy change. A process's address space
// is the process's: the shell shows it, walks it, faults and collapses in
// it (as khugepaged would), but never maps into it or destroys it.
// Only the shell's goroutine touches the map.
var shellMMs = map[*mm.MM]bool{}

// maxShellMMs bounds the shell's own address spaces.
const maxShellMMs = 255

// ownMM is findMM for the commands that change an address space.
func ownMM(id uint32) (*mm.MM, error) {
	m, err := findMM(id)
	if err != nil {
		return nil, err
	}
	if !shellMMs[m] {
		return nil, fmt.Errorf("mm %d belongs to a process (see ps): the shell may read it, fault and collapse in it, not change its mappings", id)
	}
	return m, nil
}

func findMM(id uint32) (*mm.MM, error) {
	for _, m := range mm.All() {
		if m.ID == id {
			return m, nil
		}
	}
	return nil, fmt.Errorf("no address space %d (see mm)", id)
}

// vmaString describes a VMA like mm.VMA.String, naming its file once
// (a File's String already starts with "file").
func vmaString(v mm.VMA) string {
	file := "anon"
	if v.File != nil {
		file = fmt.Sprint(v.File)
	}
	return fmt.Sprintf("%#x-%#x %v %v pgoff %#x %s", v.Start, v.End, v.Prot, v.Flags, v.Pgoff, file)
}

// checkFree refuses a range that overlaps a mapping of m: mm map and mm
// mapfile never replace one. The caller holds m.MmapLock.
func checkFree(m *mm.MM, start, end uintptr) error {
	for _, v := range m.VMAs.All() {
		if v.Start < end && start < v.End {
			return fmt.Errorf("[%#x, %#x) overlaps the mapping [%#x, %#x) of mm %d (see mm): not mapped", start, end, v.Start, v.End, m.ID)
		}
	}
	return nil
}

func cmdMM(sh *shell.Shell, args []string) error {
	r, err := cmdargs.ParseMM(args, DemoFilePages)
	if err != nil {
		return err
	}
	var m *mm.MM
	if r.Op != cmdargs.MMList && r.Op != cmdargs.MMNew {
		if m, err = ownMM(r.ID); err != nil {
			return err
		}
	}
	start, end := r.Addr, r.Addr+r.Size()
	switch r.Op {
	case cmdargs.MMList:
		all := mm.All()
		if len(all) == 0 {
			sh.Printf("no address spaces (mm new makes one)\n")
		}
		for _, m := range all {
			s := &m.Stats
			sh.Printf("mm %d: PML4 %#x, loaded on CPUs %#x; faults %d (zero page %d, new %d, wp %d, spurious %d, retries %d, EFAULT %d); retries on a retracted table %d\n",
				m.ID, m.PML4, m.CPUMask.Load(), s.Faults.Load(), s.ZeroPage.Load(), s.AnonNew.Load(), s.WriteProtect.Load(),
				s.Spurious.Load(), s.Retries.Load(), s.EFAULT.Load(), s.RetractedRetries.Load())
			c := m.Counters()
			sh.Printf("  rss %d pages (anon %d, file %d, shmem %d, peak %d), %d page tables, %d pages mapped\n",
				c.RSS, c.AnonPages, c.FilePages, c.ShmemPages, c.HiwaterRSS, c.PageTables, c.TotalVM)
			m.MmapLock.RLock()
			for _, v := range m.VMAs.All() {
				sh.Printf("  %s\n", vmaString(v))
			}
			m.MmapLock.RUnlock()
		}
	case cmdargs.MMNew:
		if len(shellMMs) >= maxShellMMs {
			return fmt.Errorf("mm: too many address spaces (the shell keeps at most %d; mm destroy ID frees one)", maxShellMMs)
		}
		m, err := mm.New()
		if err != nil {
			return err
		}
		shellMMs[m] = true
		sh.Printf("mm %d: PML4 (pgd) at %#x\n", m.ID, m.PML4)
	case cmdargs.MMMap:
		prot := mm.ProtRead
		if r.Write {
			prot |= mm.ProtWrite
		}
		m.MmapLock.Lock()
		defer m.MmapLock.Unlock()
		if err := checkFree(m, start, end); err != nil {
			return err
		}
		return m.VMAs.Insert(mm.VMA{Start: start, End: end, Prot: prot, Flags: mm.VMAnon})
	case cmdargs.MMMapFile:
		// MmapFile replaces what is there (MAP_FIXED) and takes MmapLock
		// itself: check first. Only the shell maps into its address
		// spaces, so nothing can map there in between.
		m.MmapLock.RLock()
		err := checkFree(m, start, end)
		m.MmapLock.RUnlock()
		if err != nil {
			return err
		}
		_, err = m.MmapFile(start, end-start, mm.ProtRead|mm.ProtWrite, true, theDemoFile(), 0)
		return err
	case cmdargs.MMAdvise:
		if r.Huge {
			return m.Madvise(start, end-start, mm.VMHugepage, mm.VMNoHugepage)
		}
		return m.Madvise(start, end-start, mm.VMNoHugepage, mm.VMHugepage)
	case cmdargs.MMDestroy:
		m.Destroy()
		delete(shellMMs, m)
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
	r, err := cmdargs.ParsePT(args)
	if err != nil {
		return err
	}
	m, err := findMM(r.ID)
	if err != nil {
		return err
	}
	if r.Dump {
		return ptDump(sh, m, r.Start, r.End)
	}
	ptWalk(sh, m, r.Addr)
	return nil
}

// ptWalk prints the page-table entries that translate va, level by level.
func ptWalk(sh *shell.Shell, m *mm.MM, va uintptr) {
	entries, tables := m.Walk(va)
	names := [4]string{"PML4 (pgd)", "PDPT (pud)", "PD (pmd)  ", "PT (pte)  "}
	for i := 0; i < 4; i++ {
		if tables[i] == 0 {
			break
		}
		f := phys.Frames.Meta(tables[i] >> phys.PageShift)
		e := entries[i]
		sh.Printf("%s table %#x (owner mm %d, level %d, gen %d) [%3d] = %#018x %s\n", names[i], tables[i], f.Owner, f.Level, f.Gen,
			amd64.Index(va, 4-i), uint64(e), pteFlags(e))
		if !e.Present() {
			sh.Printf("     not present: %#x is not mapped\n", va)
			return
		}
		if i == 2 && e.Huge() {
			head := mm.PmdPFN(e) << phys.PageShift
			sh.Printf("     -> huge PMD: one 2 MiB page at %#x (%s), byte at %#x\n", head,
				phys.Frames.KindOf(mm.PmdPFN(e)), head|uint64(va)&(mm.HPageSize-1))
			return
		}
	}
	e := entries[3]
	what := "anonymous page"
	if phys.Frames.KindOf(mm.PtePFN(e)) == phys.KindPageCache {
		what = "page-cache page"
	}
	if mm.PtePFN(e) == mm.ZeroPFN() {
		what = "the shared zero page"
	}
	sh.Printf("     -> frame %#x (%s), byte at %#x\n", e.Addr(), what, e.Addr()|uint64(va)&(phys.PageSize-1))
}

func cmdFault(sh *shell.Shell, args []string) error {
	r, err := cmdargs.ParseFault(args)
	if err != nil {
		return err
	}
	m, err := findMM(r.ID)
	if err != nil {
		return err
	}
	if r.Pages > 1 {
		return faultRun(sh, m, r)
	}
	faults0, retries0 := m.Stats.Faults.Load(), m.Stats.Retries.Load()
	m.Stats.LastPath.Store(uint32(mm.PathNone))
	m.Use()
	var v uint64
	if r.Write {
		err = m.Store64(r.Addr, 0x5a5a5a5a)
	} else {
		v, err = m.Load64(r.Addr)
	}
	m.Unuse()
	access := "read"
	if r.Write {
		access = "write"
	}
	switch faults := m.Stats.Faults.Load() - faults0; {
	case faults == 0:
		sh.Printf("fault: mm %d %s at %#x: no page fault (the entry allowed the access)\n", m.ID, access, r.Addr)
	case err != nil:
		sh.Printf("fault: mm %d %s at %#x: HandleMMFault (handle_mm_fault) failed\n", m.ID, access, r.Addr)
	default:
		sh.Printf("fault: mm %d %s at %#x: HandleMMFault (handle_mm_fault) → %v; %d retries\n", m.ID, access, r.Addr,
			mm.FaultPath(m.Stats.LastPath.Load()), m.Stats.Retries.Load()-retries0)
	}
	if err != nil {
		return err
	}
	if !r.Write {
		sh.Printf("read %#x\n", v)
	}
	ptWalk(sh, m, r.Addr)
	return nil
}

// faultRun touches the same offset of r.Pages pages from r.Addr on and
// stops at the first failure, saying how far it got and why.
func faultRun(sh *shell.Shell, m *mm.MM, r cmdargs.Fault) error {
	m.Use()
	defer m.Unuse()
	for i := 0; i < r.Pages; i++ {
		va := r.Addr + uintptr(i)*phys.PageSize
		var err error
		if r.Write {
			err = m.Store64(va, 0x5a5a5a5a)
		} else {
			_, err = m.Load64(va)
		}
		if err != nil {
			sh.Printf("faulted %d of %d pages; at %#x: %v\n", i, r.Pages, va, err)
			return err
		}
	}
	sh.Printf("faulted %d pages from %#x\n", r.Pages, r.Addr)
	return nil
}

// ptDump lists the pages mapped in [start, end) of m.
func ptDump(sh *shell.Shell, m *mm.MM, start, end uintptr) error {
	const max = 256
	maps := m.Dump(start, end, max)
	for _, x := range maps {
		what := ""
		if mm.PtePFN(x.PTE) == mm.ZeroPFN() {
			what = "  (zero page)"
		} else {
			what = "  (" + phys.Frames.KindOf(mm.PtePFN(x.PTE)).String() + ")"
		}
		sh.Printf("%#014x -> %#010x %-16s%s\n", x.VA, x.PTE.Addr(), pteFlags(x.PTE), what)
	}
	if len(maps) == max {
		sh.Printf("(first %d mappings only)\n", max)
	}
	sh.Printf("%d pages mapped\n", len(maps))
	return nil
}
