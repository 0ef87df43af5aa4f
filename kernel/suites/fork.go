// fork.go: the fork suite — copying an address space (mm.Fork, Linux's
// dup_mmap and copy_page_range) and copy on write: what the child sees
// and what it may not see, anonymous, file, shared and huge mappings,
// MADV_DONTFORK and MADV_WIPEONFORK, running out of memory at every point
// of a fork, the accounting, copy on write racing on every CPU, and forks
// while the parent's threads fault and while khugepaged and file collapses
// run (fork_race.go). Every case ends with its frames back (withMM, fileSetup).

package suites

import (
	"errors"
	"time"

	"retract/arch/amd64"
	"retract/kernel/ktest"
	"retract/mm"
	"retract/mm/phys"
)

func init() {
	ktest.Register(ktest.Suite{
		Name: "fork",
		Doc:  "fork and copy on write: anon, file, shared, huge; DONTFORK/WIPEONFORK; ENOMEM at every point; races with faults and collapse",
		Cases: []ktest.Case{
			{Name: "cow_anon", Fn: testForkCOWAnon},
			{Name: "cow_private_file_shared_file", Fn: testForkFiles},
			{Name: "shared_anon", Fn: testForkSharedAnon},
			{Name: "cow_huge_pmd", Fn: testForkHuge},
			{Name: "dontfork_wipeonfork", Fn: testForkAdvice},
			{Name: "enomem_at_every_point", Fn: testForkENOMEM, Timeout: 5 * time.Minute},
			{Name: "accounting", Fn: testForkAccounting},
			{Name: "cow_on_every_cpu", Fn: testCOWAllCPUs, Timeout: 5 * time.Minute},
			{Name: "fork_while_threads_fault", Fn: testForkDuringFaults, Timeout: 5 * time.Minute},
			{Name: "fork_while_collapsing", Fn: testForkDuringCollapse, Timeout: 5 * time.Minute},
			{Name: "access_remote_vm", Fn: testAccessRemote},
		},
	})
}

const rw = mm.ProtRead | mm.ProtWrite

// pteOf returns the PTE that maps va in m (0 if none; a huge PMD if one
// maps it).
func pteOf(m *mm.MM, va uintptr) amd64.PTE {
	e, _ := m.Walk(va)
	if e[2].Present() && e[2].Huge() {
		return e[2]
	}
	return e[3]
}

// load reads the word at va of m (through uaccess, on m's tables).
func load(m *mm.MM, va uintptr) (uint64, error) {
	m.Use()
	defer m.Unuse()
	return m.Load64(va)
}

// store writes the word at va of m.
func store(m *mm.MM, va uintptr, v uint64) error {
	m.Use()
	defer m.Unuse()
	return m.Store64(va, v)
}

// mapAnon maps private anonymous memory where mmap chooses.
func mapAnon(t *ktest.T, m *mm.MM, pages int) uintptr {
	a, err := m.DoMmap(0, uintptr(pages)*phys.PageSize, rw, mm.MapPrivate|mm.MapAnonymous, nil, 0)
	if err != nil {
		t.Fatalf("DoMmap of %d pages: %v", pages, err)
	}
	return a
}

// fork forks m or fails the case.
func fork(t *ktest.T, m *mm.MM) *mm.MM {
	c, err := m.Fork()
	if err != nil {
		t.Fatalf("Fork: %v", err)
	}
	return c
}

func testForkCOWAnon(t *ktest.T) {
	withMM(t, 0, mm.ProtNone, func(p *mm.MM, _ uintptr) {
		const n = 64
		base := mapAnon(t, p, n)
		va := func(i int) uintptr { return base + uintptr(i)*phys.PageSize }
		fill(t, p, base, 56, 1) // pages 0-55 written, 56-59 read (zero page), 60-63 untouched
		for i := 56; i < 60; i++ {
			load(p, va(i))
		}
		c := fork(t, p)
		defer func() {
			if c != nil {
				c.Destroy()
			}
		}()
		for i := 0; i < n; i++ {
			pe, ce := pteOf(p, va(i)), pteOf(c, va(i))
			switch {
			case i >= 60:
				if pe != 0 || ce != 0 {
					t.Errorf("page %d was never touched, yet maps %#x in the parent, %#x in the child", i, uint64(pe), uint64(ce))
				}
			case mm.PtePFN(pe) != mm.PtePFN(ce) || !mm.PtePresent(ce) || mm.PteWrite(pe) || mm.PteWrite(ce):
				t.Errorf("page %d: parent %#x, child %#x; want one frame, read-only in both", i, uint64(pe), uint64(ce))
			case i >= 56 && mm.PtePFN(ce) != mm.ZeroPFN():
				t.Errorf("page %d: the child should map the zero page, it maps %#x", i, mm.PtePFN(ce))
			}
		}
		check(t, c, base, 56, 1, "the child sees the parent's data")
		copies0, reuse0 := c.Stats.CowCopy.Load(), p.Stats.CowReuse.Load()
		fill(t, c, base, 10, 2) // the child writes pages 0-9
		if got := c.Stats.CowCopy.Load() - copies0; got != 10 {
			t.Errorf("the child's writes to 10 shared pages made %d copies, want 10", got)
		}
		check(t, p, base, 56, 1, "the parent after the child's writes")
		for i := 0; i < 10; i++ {
			if v, _ := load(p, va(i)+2*8); v != 0 {
				t.Errorf("the parent sees the child's write to page %d: %#x", i, v)
			}
		}
		fill(t, p, base+10*phys.PageSize, 10, 3) // the parent writes pages 10-19: still shared, copied
		for i := 10; i < 20; i++ {
			if v, _ := load(c, va(i)+3*8); v != 0 {
				t.Errorf("the child sees the parent's later write to page %d: %#x", i, v)
			}
		}
		if err := store(c, va(57), 7); err != nil {
			t.Errorf("the child's write over the zero page: %v", err)
		}
		if !mm.ZeroPageIsZero() {
			t.Errorf("the zero page was written")
		}
		c.Destroy()
		c = nil
		// The child is gone: every page is the parent's alone again and
		// its first write reuses it, copying nothing.
		pc0 := p.Stats.CowCopy.Load()
		fill(t, p, base+20*phys.PageSize, 10, 4)
		fill(t, p, base, 10, 5) // pages the child had copied away from
		if p.Stats.CowCopy.Load() != pc0 || p.Stats.CowReuse.Load()-reuse0 != 20 {
			t.Errorf("after the child exited: %d copies, %d reuses; want 0 and 20",
				p.Stats.CowCopy.Load()-pc0, p.Stats.CowReuse.Load()-reuse0)
		}
		check(t, p, base, 56, 1, "the parent at the end")
	})
}

func testForkFiles(t *ktest.T) {
	fileSetup(t, 8, func(file *mm.File) {
		withMM(t, 0, mm.ProtNone, func(p *mm.MM, _ uintptr) {
			priv, err := p.DoMmap(0, 8*phys.PageSize, rw, mm.MapPrivate, file, 0)
			if err != nil {
				t.Fatalf("DoMmap private: %v", err)
			}
			shr, err := p.DoMmap(0, 8*phys.PageSize, rw, mm.MapShared, file, 0)
			if err != nil {
				t.Fatalf("DoMmap shared: %v", err)
			}
			fill(t, p, shr, 8, 1)    // the file: i<<8|1 in word 1 of page i
			for i := 0; i < 8; i++ { // the private mapping reads pages 0-7 of the file
				load(p, priv+uintptr(i)*phys.PageSize)
			}
			store(p, priv+2*phys.PageSize+8, 0xbad) // the parent's private copy of page 2
			c := fork(t, p)
			defer func() {
				if c != nil {
					c.Destroy()
				}
			}()
			if n := len(file.Mappers()); n != 2 {
				t.Errorf("i_mmap lists %d address spaces after fork, want 2", n)
			}
			if e := pteOf(c, shr); e != 0 {
				t.Errorf("the shared mapping's PTE was copied (%#x); Linux lets the child fault it in", uint64(e))
			}
			pe, ce := pteOf(p, priv+3*phys.PageSize), pteOf(c, priv+3*phys.PageSize)
			cached, _ := file.Cached(3)
			if mm.PtePFN(pe) != cached || mm.PtePFN(ce) != cached || mm.PteWrite(ce) {
				t.Errorf("a private mapping's file page: parent %#x, child %#x, cache %#x; want the cache page, read-only", uint64(pe), uint64(ce), cached)
			}
			if v, _ := load(c, priv+2*phys.PageSize+8); v != 0xbad {
				t.Errorf("the child's private page 2 reads %#x, want the parent's copy 0xbad", v)
			}
			check(t, c, shr, 8, 1, "the child's shared mapping")
			store(c, priv+5*phys.PageSize+8, 0xc5)  // the child's own copy
			store(c, priv+2*phys.PageSize+8, 0xc2)  // copy of the parent's copy
			store(c, shr+6*phys.PageSize+8, 0x5006) // into the file
			if v, _ := load(p, shr+6*phys.PageSize+8); v != 0x5006 {
				t.Errorf("the parent's shared mapping does not see the child's write: %#x", v)
			}
			if v, _ := load(p, priv+5*phys.PageSize+8); v != 5<<8|1 {
				t.Errorf("the parent's private page 5 reads %#x, want the file's %#x", v, 5<<8|1)
			}
			if v, _ := load(p, priv+2*phys.PageSize+8); v != 0xbad {
				t.Errorf("the parent's private page 2 reads %#x, want 0xbad", v)
			}
			var b [8]byte
			file.ReadAt(b[:], 5*phys.PageSize+8)
			if b[0] != 1 || b[1] != 5 {
				t.Errorf("a private write reached the file: % x", b)
			}
			c.Destroy()
			c = nil
			if n := len(file.Mappers()); n != 1 {
				t.Errorf("i_mmap lists %d address spaces after the child's exit, want 1", n)
			}
		})
	})
}

// testForkSharedAnon: MAP_SHARED|MAP_ANONYMOUS is shared across fork,
// and its pages go back when the last mapping does.
func testForkSharedAnon(t *ktest.T) {
	pc0 := phys.Frames.Stats().ByKind[phys.KindPageCache]
	withMM(t, 0, mm.ProtNone, func(p *mm.MM, _ uintptr) {
		a, err := p.DoMmap(0, 4*phys.PageSize, rw, mm.MapShared|mm.MapAnonymous, nil, 0)
		if err != nil {
			t.Fatalf("DoMmap: %v", err)
		}
		store(p, a, 1)
		c := fork(t, p)
		if err := store(c, a, 2); err != nil {
			t.Errorf("the child's write: %v", err)
		}
		store(c, a+3*phys.PageSize, 3)
		if v, _ := load(p, a); v != 2 {
			t.Errorf("the parent reads %d, want the child's 2", v)
		}
		if v, _ := load(p, a+3*phys.PageSize); v != 3 {
			t.Errorf("the parent reads %d from the page only the child touched, want 3", v)
		}
		cnt := c.Counters()
		if cnt.ShmemPages != 2 || cnt.AnonPages != 0 {
			t.Errorf("the child's RSS: shmem %d, anon %d; want 2 and 0", cnt.ShmemPages, cnt.AnonPages)
		}
		p.Munmap(a, 4*phys.PageSize) // the child still maps it
		if v, _ := load(c, a+3*phys.PageSize); v != 3 {
			t.Errorf("after the parent's munmap the child reads %d, want 3", v)
		}
		c.Destroy() // the last mapping: the pages go
	})
	if pc := phys.Frames.Stats().ByKind[phys.KindPageCache]; pc != pc0 {
		t.Errorf("page-cache frames: %d before, %d after the last mapping of shared anonymous memory went", pc0, pc)
	}
}

func testForkHuge(t *ktest.T) {
	withMM(t, 0, mm.ProtNone, func(p *mm.MM, _ uintptr) {
		base, err := p.DoMmap(hugeBase, 2*mm.HPageSize, rw, mm.MapPrivate|mm.MapAnonymous|mm.MapFixed, nil, 0)
		if err != nil {
			t.Fatalf("DoMmap: %v", err)
		}
		p.Madvise(base, 2*mm.HPageSize, mm.VMHugepage, 0)
		fill(t, p, base, 2*mm.HPageNr, 1)
		if _, huge, _ := pmdOf(p, base); !huge {
			t.Fatalf("no huge PMD before fork")
		}
		tables0 := mm.UserTables.Load()
		c := fork(t, p)
		defer func() {
			if c != nil {
				c.Destroy()
			}
		}()
		for _, h := range []uintptr{base, base + mm.HPageSize} {
			pp, ph, _ := pmdOf(p, h)
			cp, ch, _ := pmdOf(c, h)
			if !ph || !ch || mm.PmdPFN(amd64.PTE(pp)) != mm.PmdPFN(amd64.PTE(cp)) || pp&uint64(amd64.PTEWrite) != 0 || cp&uint64(amd64.PTEWrite) != 0 {
				t.Errorf("at %#x: parent PMD %#x, child PMD %#x; want one huge page, read-only in both", h, pp, cp)
			}
		}
		// The child's tables: PML4, PDPT, PD and a deposited table for
		// each huge PMD.
		if n := mm.UserTables.Load() - tables0; n != 5 {
			t.Errorf("fork added %d page tables, want 5 (PML4, PDPT, PD, 2 deposits)", n)
		}
		check(t, c, base, 2*mm.HPageNr, 1, "the child's huge pages")
		split0 := mm.ThpStat.WPSplit.Load()
		store(c, base+5*phys.PageSize+16, 0xc) // splits the child's PMD, copies 4 KiB
		if _, _, table := pmdOf(c, base); !table || mm.ThpStat.WPSplit.Load() != split0+1 {
			t.Errorf("a write to a shared huge PMD should split the writer's PMD")
		}
		if _, huge, _ := pmdOf(p, base); !huge {
			t.Errorf("the parent's PMD should stay huge when the child writes")
		}
		if v, _ := load(p, base+5*phys.PageSize+16); v != 0 {
			t.Errorf("the parent sees the child's write: %#x", v)
		}
		check(t, c, base, 2*mm.HPageNr, 1, "the child after its split")
		store(p, base+mm.HPageSize+8*phys.PageSize+16, 0xd) // the parent's second huge page
		if v, _ := load(c, base+mm.HPageSize+8*phys.PageSize+16); v != 0 {
			t.Errorf("the child sees the parent's write: %#x", v)
		}
		check(t, p, base, 2*mm.HPageNr, 1, "the parent")
		// The child exits: the parent's first huge PMD maps a page only
		// it uses again, and a write reuses it whole.
		c.Destroy()
		c = nil
		r0 := mm.ThpStat.WPReuse.Load()
		store(p, base+16, 0xe)
		if _, huge, _ := pmdOf(p, base); !huge || mm.ThpStat.WPReuse.Load() != r0+1 {
			t.Errorf("after the child's exit a write should reuse the huge page in place")
		}
	})
}

func testForkAdvice(t *ktest.T) {
	fileSetup(t, 4, func(file *mm.File) {
		withMM(t, 0, mm.ProtNone, func(p *mm.MM, _ uintptr) {
			keep := mapAnon(t, p, 4)
			dont := mapAnon(t, p, 4)
			wipe := mapAnon(t, p, 4)
			back := mapAnon(t, p, 4)
			fmap, _ := p.DoMmap(0, 4*phys.PageSize, rw, mm.MapPrivate, file, 0)
			for _, a := range []uintptr{keep, dont, wipe, back} {
				fill(t, p, a, 4, 1)
			}
			for _, c := range []struct {
				addr   uintptr
				pages  uintptr
				advice int
			}{{dont, 4, mm.MadvDontfork}, {wipe, 4, mm.MadvWipeonfork}, {back, 4, mm.MadvDontfork}, {back, 4, mm.MadvDofork},
				{back + phys.PageSize, 2, mm.MadvWipeonfork}, {back + phys.PageSize, 2, mm.MadvKeeponfork}} {
				if err := p.DoMadvise(c.addr, c.pages*phys.PageSize, c.advice); err != nil {
					t.Errorf("madvise(%#x, %d pages, %d): %v", c.addr, c.pages, c.advice, err)
				}
			}
			if err := p.DoMadvise(fmap, 4*phys.PageSize, mm.MadvWipeonfork); mm.Errno(err) != mm.EINVAL {
				t.Errorf("MADV_WIPEONFORK of a file mapping: %v, want EINVAL", err)
			}
			c := fork(t, p)
			defer c.Destroy()
			check(t, c, keep, 4, 1, "an ordinary mapping in the child")
			check(t, c, back, 4, 1, "a DOFORK/KEEPONFORK mapping in the child")
			if _, err := load(c, dont); !errors.Is(err, mm.ErrFault) || errors.Is(err, mm.ErrAccErr) {
				t.Errorf("a DONTFORK range in the child: %v, want no mapping (SEGV_MAPERR)", err)
			}
			for i := uintptr(0); i < 4; i++ {
				if v, err := load(c, wipe+i*phys.PageSize+8); err != nil || v != 0 {
					t.Errorf("a WIPEONFORK page in the child reads %#x, %v; want 0", v, err)
				}
			}
			check(t, p, wipe, 4, 1, "the parent's WIPEONFORK range")
			var wipeFlags mm.VMAFlags
			if v := vmasOf(c, wipe, wipe+1, false); len(v) == 1 {
				wipeFlags = v[0].Flags
			}
			if wipeFlags&mm.VMWipeOnFork == 0 {
				t.Errorf("the child's WIPEONFORK VMA lost the flag (%v): its own children must get zeroes too", wipeFlags)
			}
		})
	})
}

// testForkENOMEM makes the fork's allocations fail at every point in
// turn: each time Fork must return ENOMEM, free every frame the child had
// and leave the parent whole; then the parent's writes reuse its pages.
func testForkENOMEM(t *ktest.T) {
	fileSetup(t, 8, func(file *mm.File) {
		withMM(t, 0, mm.ProtNone, func(p *mm.MM, _ uintptr) {
			huge, _ := p.DoMmap(hugeBase, mm.HPageSize, rw, mm.MapPrivate|mm.MapAnonymous|mm.MapFixed, nil, 0)
			p.Madvise(huge, mm.HPageSize, mm.VMHugepage, 0)
			fill(t, p, huge, 4, 1)
			small := mapAnon(t, p, 600) // more than one page table
			fill(t, p, small, 600, 2)
			priv, _ := p.DoMmap(0, 8*phys.PageSize, rw, mm.MapPrivate, file, 0)
			fill(t, p, priv, 4, 3)
			load(p, priv+6*phys.PageSize)
			shr, _ := p.DoMmap(0, 8*phys.PageSize, rw, mm.MapShared, file, 0)
			load(p, shr)
			anon0 := phys.Frames.Stats().ByKind[phys.KindAnon]
			tables0, mappers0 := mm.UserTables.Load(), len(file.Mappers())
			fails := 0
			for k := 0; ; k++ {
				if k > 10000 {
					t.Fatalf("fork keeps failing after %d allocations", k)
				}
				mm.FailPageAlloc(k)
				c, err := p.Fork()
				mm.FailPageAlloc(-1)
				if err == nil {
					c.Destroy()
					t.Logf("a fork makes %d allocations; it failed cleanly after each of the first %d", k, fails)
					break
				}
				fails++
				if !errors.Is(err, mm.ErrNoMemory) || mm.Errno(err) != mm.ENOMEM {
					t.Fatalf("fork with %d allocations allowed: %v, want ENOMEM", k, err)
				}
				if a, n := phys.Frames.Stats().ByKind[phys.KindAnon], mm.UserTables.Load(); a != anon0 || n != tables0 {
					t.Fatalf("after a failed fork (%d allocations allowed): %d anonymous frames (was %d), %d page tables (was %d)", k, a, anon0, n, tables0)
				}
				if n := len(file.Mappers()); n != mappers0 {
					t.Fatalf("after a failed fork i_mmap lists %d address spaces, want %d", n, mappers0)
				}
			}
			if fails < 5 {
				t.Errorf("only %d failure points: the injection does not reach the fork", fails)
			}
			check(t, p, huge, 4, 1, "the parent's huge page")
			check(t, p, small, 600, 2, "the parent's small pages")
			check(t, p, priv, 4, 3, "the parent's private file pages")
			// Nothing is shared any more: writes reuse, never copy.
			c0 := p.Stats.CowCopy.Load()
			fill(t, p, small, 600, 4)
			fill(t, p, priv, 4, 5)
			if n := p.Stats.CowCopy.Load() - c0; n != 0 {
				t.Errorf("%d copies after the failed forks: pages still look shared", n)
			}
		})
	})
}

func testForkAccounting(t *ktest.T) {
	fileSetup(t, 16, func(file *mm.File) {
		withMM(t, 0, mm.ProtNone, func(p *mm.MM, _ uintptr) {
			a := mapAnon(t, p, 100)
			fill(t, p, a, 100, 1)
			for i := uintptr(0); i < 10; i++ {
				load(p, a+(200+i)*phys.PageSize) // beyond the mapping: EFAULT, nothing mapped
			}
			z := mapAnon(t, p, 10)
			for i := uintptr(0); i < 10; i++ {
				load(p, z+i*phys.PageSize) // the zero page: not counted
			}
			f, _ := p.DoMmap(0, 16*phys.PageSize, rw, mm.MapShared, file, 0)
			fill(t, p, f, 16, 1)
			h, _ := p.DoMmap(hugeBase, mm.HPageSize, rw, mm.MapPrivate|mm.MapAnonymous|mm.MapFixed, nil, 0)
			p.Madvise(h, mm.HPageSize, mm.VMHugepage, 0)
			fill(t, p, h, 1, 1)
			pc := p.Counters()
			if pc.AnonPages != 100+mm.HPageNr || pc.FilePages != 16 || pc.ShmemPages != 0 || pc.RSS != pc.AnonPages+16 {
				t.Errorf("parent: anon %d, file %d, shmem %d, rss %d; want %d, 16, 0, %d", pc.AnonPages, pc.FilePages, pc.ShmemPages, pc.RSS,
					100+mm.HPageNr, 100+mm.HPageNr+16)
			}
			if pc.TotalVM != 100+10+16+mm.HPageNr || pc.PageTables == 0 {
				t.Errorf("parent: total_vm %d pages, %d page tables; want %d and some", pc.TotalVM, pc.PageTables, 100+10+16+mm.HPageNr)
			}
			c := fork(t, p)
			cc := c.Counters()
			if cc.AnonPages != pc.AnonPages || cc.FilePages != 0 || cc.TotalVM != pc.TotalVM {
				t.Errorf("child: anon %d, file %d, total_vm %d; want %d (copied), 0 (shared mappings refault), %d",
					cc.AnonPages, cc.FilePages, cc.TotalVM, pc.AnonPages, pc.TotalVM)
			}
			check(t, c, f, 16, 1, "the child's shared file mapping")
			fill(t, c, a, 100, 2)
			if cc = c.Counters(); cc.FilePages != 16 || cc.AnonPages != pc.AnonPages {
				t.Errorf("child after faults and copies: file %d, anon %d; want 16 and %d", cc.FilePages, cc.AnonPages, pc.AnonPages)
			}
			c.Munmap(a, 100*phys.PageSize)
			if cc = c.Counters(); cc.AnonPages != mm.HPageNr || cc.HiwaterRSS != uint64(100+mm.HPageNr+16) || cc.HiwaterVM != pc.TotalVM {
				t.Errorf("child after munmap: anon %d, hiwater rss %d, hiwater vm %d; want %d, %d, %d",
					cc.AnonPages, cc.HiwaterRSS, cc.HiwaterVM, mm.HPageNr, 100+mm.HPageNr+16, pc.TotalVM)
			}
			c.Destroy()
			if p.Counters() != pc {
				t.Errorf("the parent's counters changed: %+v, were %+v", p.Counters(), pc)
			}
			p.Munmap(f, 16*phys.PageSize)
		})
	})
}

// testAccessRemote: the parent writes into its child's memory and reads it
// back without running on the child's tables (CLONE_CHILD_SETTID, ptrace):
// the write breaks copy on write in the child only, across pages, into a
// huge page, and stops with the fault path's error where the child has no
// mapping or no write access.
func testAccessRemote(t *ktest.T) {
	withMM(t, 0, mm.ProtNone, func(p *mm.MM, _ uintptr) {
		a := mapAnon(t, p, 4)
		fill(t, p, a, 4, 1)
		h, _ := p.DoMmap(hugeBase, mm.HPageSize, rw, mm.MapPrivate|mm.MapAnonymous|mm.MapFixed, nil, 0)
		p.Madvise(h, mm.HPageSize, mm.VMHugepage, 0)
		fill(t, p, h, 2, 1)
		ro, _ := p.DoMmap(0, pg, mm.ProtRead, mm.MapPrivate|mm.MapAnonymous, nil, 0)
		c := fork(t, p)
		defer c.Destroy()
		msg := []byte("written by the parent, across a page boundary")
		at := a + pg - 20
		if n, err := c.AccessRemoteVM(at, msg, true); n != len(msg) || err != nil {
			t.Fatalf("AccessRemoteVM write: %d, %v", n, err)
		}
		back := make([]byte, len(msg))
		if n, err := c.AccessRemoteVM(at, back, false); n != len(msg) || err != nil || string(back) != string(msg) {
			t.Errorf("AccessRemoteVM read back %q (%d, %v)", back, n, err)
		}
		if v, _ := load(p, a+pg-16); v != 0 {
			t.Errorf("the parent's page reads %#x where the child was written", v)
		}
		check(t, p, a, 4, 1, "the parent after a remote write into its child")
		var w [8]byte
		c.AccessRemoteVM(a+2*pg+8, w[:], false)
		if got := uint64(w[0]) | uint64(w[1])<<8; got != 2<<8|1 {
			t.Errorf("the child's page 2 word 1 reads %#x via AccessRemoteVM, want %#x", got, 2<<8|1)
		}
		if n, err := c.AccessRemoteVM(h+pg+100, []byte("huge"), true); n != 4 || err != nil {
			t.Errorf("a remote write into a shared huge page: %d, %v", n, err)
		}
		if v, _ := load(p, h+pg+96); v != 0 {
			t.Errorf("the parent's huge page sees the child's remote write: %#x", v)
		}
		n, err := c.AccessRemoteVM(a+4*pg-2, []byte("past the end"), true)
		if n != 2 || !errors.Is(err, mm.ErrFault) || errors.Is(err, mm.ErrAccErr) {
			t.Errorf("a remote write past the mapping: %d, %v; want 2 bytes, then no mapping", n, err)
		}
		if n, err := c.AccessRemoteVM(ro, []byte("x"), true); n != 0 || !errors.Is(err, mm.ErrAccErr) {
			t.Errorf("a remote write into a read-only mapping: %d, %v; want SEGV_ACCERR", n, err)
		}
	})
}
