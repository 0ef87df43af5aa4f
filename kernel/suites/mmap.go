// mmap.go: the mmap suite — the mm side of the memory system calls, with
// Linux's semantics and errnos: mmap's placement and flags, munmap,
// mprotect, madvise (POPULATE included), mremap (mremap.go), brk,
// mincore, msync, and the VMA iterator and counters /proc is made from.
// Every case ends with its frames back (withMM, fileSetup).

package suites

import (
	"errors"
	"time"

	"retract/kernel/ktest"
	"retract/mm"
	"retract/mm/phys"
)

func init() {
	ktest.Register(ktest.Suite{
		Name: "mmap",
		Doc:  "mmap placement and flags, munmap, mprotect, madvise, mremap (and its races), brk, mincore, msync, /proc's VMA iterator and counters",
		Cases: []ktest.Case{
			{Name: "placement", Fn: testMmapPlacement},
			{Name: "flags_and_errors", Fn: testMmapErrors},
			{Name: "populate_and_mincore", Fn: testPopulateMincore},
			{Name: "munmap_partial_and_holes", Fn: testMunmapHoles},
			{Name: "mprotect_holes_eacces_cow", Fn: testMprotectLinux},
			{Name: "madvise", Fn: testMadviseLinux},
			{Name: "madvise_populate", Fn: testMadvisePopulate},
			{Name: "mremap", Fn: testMremap},
			{Name: "mremap_huge_pmd", Fn: testMremapHuge},
			{Name: "mremap_enomem_moves_back", Fn: testMremapENOMEM, Timeout: 5 * time.Minute},
			{Name: "mremap_during_faults", Fn: testMremapDuringFaults, Timeout: 5 * time.Minute},
			{Name: "brk", Fn: testBrk},
			{Name: "msync", Fn: testMsync},
			{Name: "vma_iterator_and_counters", Fn: testForEachVMA},
		},
	})
}

const pg = phys.PageSize

// wantErrno fails the case unless err is Linux's errno want (0: nil).
func wantErrno(t *ktest.T, what string, err error, want int) {
	if got := mm.Errno(err); got != want {
		t.Errorf("%s: %v (errno %d), want errno %d", what, err, got, want)
	}
}

func anonFlags() mm.MapFlags { return mm.MapPrivate | mm.MapAnonymous }

func testMmapPlacement(t *ktest.T) {
	withMM(t, 0, mm.ProtNone, func(m *mm.MM, _ uintptr) {
		a1, err := m.DoMmap(0, 4*pg, rw, anonFlags(), nil, 0)
		a2, err2 := m.DoMmap(0, 4*pg, rw, anonFlags(), nil, 0)
		if err != nil || err2 != nil || a1 != mm.DefaultMmapBase-4*pg || a2 != a1-4*pg {
			t.Errorf("two mmaps: %#x (%v), %#x (%v); want %#x and the 4 pages below (top-down from mmap_base)",
				a1, err, a2, err2, mm.DefaultMmapBase-4*pg)
		}
		h, _ := m.DoMmap(0, 2*mm.HPageSize, rw, anonFlags(), nil, 0)
		if h%mm.HPageSize != 0 || h+2*mm.HPageSize > a2 {
			t.Errorf("4 MiB of anonymous memory at %#x: want 2 MiB aligned, below %#x", h, a2)
		}
		const hint = 0x7e0000000000
		if a, err := m.DoMmap(hint, pg, mm.ProtRead, anonFlags(), nil, 0); a != hint || err != nil {
			t.Errorf("a free hint: %#x, %v; want %#x", a, err, uintptr(hint))
		}
		if a, err := m.DoMmap(hint, pg, mm.ProtRead, anonFlags(), nil, 0); a == hint || err != nil {
			t.Errorf("an occupied hint: %#x, %v; want another address", a, err)
		}
		if a, err := m.DoMmap(0x1000, pg, mm.ProtRead, anonFlags(), nil, 0); a != mm.UserBase || err != nil {
			t.Errorf("a hint below mmap_min_addr: %#x, %v; want %#x", a, err, mm.UserBase)
		}
		m.MmapLock.Lock()
		m.MmapBase = 0x40000000 // what exec may set
		m.MmapLock.Unlock()
		if a, _ := m.DoMmap(0, pg, mm.ProtRead, anonFlags(), nil, 0); a != 0x40000000-pg {
			t.Errorf("with mmap_base 0x40000000: %#x, want 0x3ffff000", a)
		}
		m.MmapLock.Lock()
		m.MmapBase = mm.UserBase + 4*pg // no room below: bottom-up from a third of user space
		m.MmapLock.Unlock()
		if a, _ := m.DoMmap(0, 8*pg, mm.ProtRead, anonFlags(), nil, 0); a != (mm.UserEnd/3)&^(pg-1) {
			t.Errorf("with no room below mmap_base: %#x, want %#x (TASK_UNMAPPED_BASE)", a, (mm.UserEnd/3)&^(pg-1))
		}
	})
}

func testMmapErrors(t *ktest.T) {
	fileSetup(t, 4, func(file *mm.File) {
		withMM(t, 0, mm.ProtNone, func(m *mm.MM, _ uintptr) {
			for _, c := range []struct {
				what   string
				addr   uintptr
				length uintptr
				flags  mm.MapFlags
				file   *mm.File
				off    uint64
				errno  int
			}{
				{"length 0", 0, 0, anonFlags(), nil, 0, mm.EINVAL},
				{"no mapping type", 0, pg, mm.MapAnonymous, nil, 0, mm.EINVAL},
				{"MAP_FIXED unaligned", 0x10001001, pg, anonFlags() | mm.MapFixed, nil, 0, mm.EINVAL},
				{"MAP_FIXED below mmap_min_addr", 0x1000, pg, anonFlags() | mm.MapFixed, nil, 0, mm.EPERM},
				{"MAP_FIXED past user space", mm.UserEnd - pg, 2 * pg, anonFlags() | mm.MapFixed, nil, 0, mm.ENOMEM},
				{"unaligned offset", 0, pg, mm.MapPrivate, file, 100, mm.EINVAL},
				{"offset beyond the largest file", 0, 2 * pg, mm.MapPrivate, file, 1 << 63, mm.EOVERFLOW},
				{"longer than user space", 0, mm.UserEnd, anonFlags(), nil, 0, mm.ENOMEM},
				{"MAP_SHARED_VALIDATE with an unknown flag", 0, pg, mm.MapSharedValidate | mm.MapAnonymous | 0x200, nil, 0, mm.EOPNOTSUPP},
				{"MAP_HUGETLB without a pool", 0, mm.HPageSize, anonFlags() | mm.MapHugetlb, nil, 0, mm.ENOMEM},
			} {
				a, err := m.DoMmap(c.addr, c.length, rw, c.flags, c.file, c.off)
				wantErrno(t, c.what, err, c.errno)
				if err == nil {
					m.Munmap(a, c.length)
				}
			}
			if _, err := mm.LinuxProt(0x100); mm.Errno(err) != mm.EINVAL {
				t.Errorf("prot 0x100: %v, want EINVAL", err)
			}
			if p, err := mm.LinuxProt(0xf); p != mm.ProtRead|mm.ProtWrite|mm.ProtExec || err != nil {
				t.Errorf("prot READ|WRITE|EXEC|SEM: %v, %v", p, err)
			}
			// MAP_FIXED replaces the middle page; MAP_FIXED_NOREPLACE refuses.
			f, _ := m.DoMmap(0, 3*pg, rw, anonFlags()|mm.MapNoreserve, nil, 0)
			fill(t, m, f, 3, 1)
			if a, err := m.DoMmap(f+pg, pg, rw, anonFlags()|mm.MapFixed, nil, 0); a != f+pg || err != nil {
				t.Errorf("MAP_FIXED: %#x, %v", a, err)
			}
			if v, _ := load(m, f+pg+8); v != 0 {
				t.Errorf("the replaced page reads %#x, want 0", v)
			}
			check(t, m, f, 1, 1, "below the replaced page")
			if v, _ := load(m, f+2*pg+8); v != 2<<8|1 {
				t.Errorf("above the replaced page: %#x", v)
			}
			_, err := m.DoMmap(f+pg, pg, mm.ProtRead, anonFlags()|mm.MapFixedNoreplace, nil, 0)
			wantErrno(t, "MAP_FIXED_NOREPLACE over a mapping", err, mm.EEXIST)
			m.Munmap(f, 3*pg)
			if a, err := m.DoMmap(f, pg, mm.ProtRead, anonFlags()|mm.MapFixedNoreplace, nil, 0); a != f || err != nil {
				t.Errorf("MAP_FIXED_NOREPLACE of a free range: %#x, %v", a, err)
			}
			s, _ := m.DoMmap(0, mm.HPageSize, rw, anonFlags()|mm.MapStack|mm.MapGrowsdown, nil, 0)
			if v := vmasOf(m, s, s+1, false); len(v) != 1 || v[0].Flags&mm.VMNoHugepage == 0 || v[0].Flags&mm.VMStack == 0 {
				t.Errorf("MAP_STACK|MAP_GROWSDOWN: VMAs %+v; want one, nohugepage and stack", v)
			}
		})
	})
}

// mincore returns m's mincore vector of [a, a+n) (or the error), gathered
// from its chunks.
func mincore(m *mm.MM, a, n uintptr) ([]byte, int, error) {
	var out []byte
	calls := 0
	err := m.Mincore(a, n, func(v []byte) error {
		calls++
		out = append(out, v...)
		return nil
	})
	return out, calls, err
}

func resident(vec []byte) (n int) {
	for _, b := range vec {
		n += int(b & 1)
	}
	return n
}

func testPopulateMincore(t *ktest.T) {
	fileSetup(t, 8, func(file *mm.File) {
		withMM(t, 0, mm.ProtNone, func(m *mm.MM, _ uintptr) {
			p, _ := m.DoMmap(0, 8*pg, rw, anonFlags()|mm.MapPopulate, nil, 0)
			if v, _, err := mincore(m, p, 8*pg); resident(v) != 8 || err != nil {
				t.Errorf("MAP_POPULATE: %d of 8 pages resident (%v)", resident(v), err)
			}
			if c := m.Counters(); c.AnonPages != 8 {
				t.Errorf("MAP_POPULATE of a writable private mapping: %d anonymous pages, want 8 (written, not the zero page)", c.AnonPages)
			}
			big, _ := m.DoMmap(0, 1<<30, rw, anonFlags()|mm.MapNoreserve, nil, 0)
			store(m, big+123*pg, 5)
			load(m, big+124*pg) // the zero page: resident too
			v, calls, err := mincore(m, big, 1<<30)
			if err != nil || len(v) != 1<<18 || resident(v) != 2 || v[123] != 1 || v[124] != 1 || calls != 64 {
				t.Errorf("mincore of 1 GiB with 2 pages touched: %d bytes in %d calls, %d resident (%v)", len(v), calls, resident(v), err)
			}
			// A file mapping: a page another mapping brought into the page
			// cache is resident here too.
			fp, _ := m.DoMmap(0, 8*pg, mm.ProtRead, mm.MapShared, file, 0)
			other, _ := mm.New()
			o, _ := other.DoMmap(0, 8*pg, rw, mm.MapShared, file, 0)
			store(other, o+3*pg, 1)
			if v, _, _ := mincore(m, fp, 8*pg); v[3] != 1 || resident(v) != 1 {
				t.Errorf("mincore of a file mapping: %v; want only page 3 (cached by another mm)", v)
			}
			other.Destroy()
			m.Munmap(fp, 8*pg)
			// A hole: the pages before it are reported, then ENOMEM.
			m.Munmap(p+4*pg, pg)
			v, _, err = mincore(m, p, 8*pg)
			wantErrno(t, "mincore over a hole", err, mm.ENOMEM)
			if len(v) != 4 || resident(v) != 4 {
				t.Errorf("mincore before the hole reported %v", v)
			}
			_, _, err = mincore(m, p+1, pg)
			wantErrno(t, "mincore unaligned", err, mm.EINVAL)
			_, _, err = mincore(m, mm.UserEnd-pg, 2*pg)
			wantErrno(t, "mincore past user space", err, mm.ENOMEM)
			if v, calls, err := mincore(m, p, 0); len(v) != 0 || calls != 0 || err != nil {
				t.Errorf("mincore of 0 bytes: %v, %d calls, %v", v, calls, err)
			}
		})
	})
}

func testMunmapHoles(t *ktest.T) {
	withMM(t, 0, mm.ProtNone, func(m *mm.MM, _ uintptr) {
		a := mapAnon(t, m, 3)
		fill(t, m, a, 3, 1)
		wantErrno(t, "munmap of the middle page", m.Munmap(a+pg, pg), 0)
		if _, err := load(m, a+pg); !errors.Is(err, mm.ErrFault) || errors.Is(err, mm.ErrAccErr) {
			t.Errorf("the unmapped page: %v, want no mapping", err)
		}
		check(t, m, a, 1, 1, "below the hole")
		if v, _ := load(m, a+2*pg+8); v != 2<<8|1 {
			t.Errorf("above the hole: %#x", v)
		}
		wantErrno(t, "munmap of a hole", m.Munmap(a+pg, pg), 0)
		wantErrno(t, "munmap of nothing at all", m.Munmap(0x10000000, 1<<30), 0)
		wantErrno(t, "munmap below mmap_min_addr", m.Munmap(0x1000, pg), 0)
		wantErrno(t, "munmap unaligned", m.Munmap(a+1, pg), mm.EINVAL)
		wantErrno(t, "munmap of length 0", m.Munmap(a, 0), mm.EINVAL)
		wantErrno(t, "munmap past user space", m.Munmap(mm.UserEnd-pg, 2*pg), mm.EINVAL)
		wantErrno(t, "munmap across the hole", m.Munmap(a, 3*pg), 0)
		if m.VMAs.Len() != 0 || m.Counters().RSS != 0 {
			t.Errorf("after unmapping everything: %d VMAs, RSS %d", m.VMAs.Len(), m.Counters().RSS)
		}
	})
}

func testMprotectLinux(t *ktest.T) {
	fileSetup(t, 4, func(file *mm.File) {
		withMM(t, 0, mm.ProtNone, func(m *mm.MM, _ uintptr) {
			a := mapAnon(t, m, 3)
			fill(t, m, a, 3, 1)
			m.Munmap(a+pg, pg)
			wantErrno(t, "mprotect across a hole", m.Mprotect(a, 3*pg, mm.ProtRead), mm.ENOMEM)
			if err := store(m, a, 1); !errors.Is(err, mm.ErrAccErr) {
				t.Errorf("the page before the hole: write %v; want SEGV_ACCERR (Linux changes it)", err)
			}
			if err := store(m, a+2*pg, 1); err != nil {
				t.Errorf("the page after the hole: write %v; want it unchanged (read-write)", err)
			}
			wantErrno(t, "mprotect from a hole", m.Mprotect(a+pg, 2*pg, mm.ProtRead), mm.ENOMEM)
			if err := store(m, a+2*pg, 2); err != nil {
				t.Errorf("mprotect starting in a hole changed the page after it: %v", err)
			}
			wantErrno(t, "mprotect of length 0", m.Mprotect(a+pg, 0, mm.ProtRead), 0)
			wantErrno(t, "mprotect unaligned", m.Mprotect(a+1, pg, mm.ProtRead), mm.EINVAL)
			wantErrno(t, "mprotect wrapping", m.Mprotect(a, ^uintptr(0)-a, mm.ProtRead), mm.ENOMEM)
			wantErrno(t, "PROT_NONE", m.Mprotect(a, pg, mm.ProtNone), 0)
			if _, err := load(m, a); !errors.Is(err, mm.ErrAccErr) {
				t.Errorf("reading PROT_NONE: %v, want SEGV_ACCERR", err)
			}
			// A shared mapping of a file opened read-only never becomes writable.
			ro, err := m.DoMmap(0, 4*pg, mm.ProtRead, mm.MapShared|mm.MapReadOnlyFile, file, 0)
			if err != nil {
				t.Fatalf("DoMmap: %v", err)
			}
			wantErrno(t, "PROT_WRITE on a read-only file's shared mapping", m.Mprotect(ro, 4*pg, rw), mm.EACCES)
			wantErrno(t, "PROT_EXEC on it", m.Mprotect(ro, 4*pg, mm.ProtRead|mm.ProtExec), 0)
			m.Munmap(ro, 4*pg)
			// Pages shared copy on write stay read-only through mprotect.
			c0 := mapAnon(t, m, 4)
			fill(t, m, c0, 4, 3)
			child := fork(t, m)
			m.Mprotect(c0, 4*pg, mm.ProtRead)
			m.Mprotect(c0, 4*pg, rw)
			if e := pteOf(m, c0); mm.PteWrite(e) {
				t.Errorf("mprotect made a page shared with a child writable: %#x", uint64(e))
			}
			store(m, c0+5*8, 0xdead)
			check(t, child, c0, 4, 3, "the child after the parent's mprotect and write")
			if v, _ := load(child, c0+5*8); v != 0 {
				t.Errorf("the child sees the parent's write: %#x", v)
			}
			child.Destroy()
			m.Mprotect(c0, 4*pg, mm.ProtRead)
			m.Mprotect(c0, 4*pg, rw) // now the parent's alone: writable again
			if e := pteOf(m, c0+pg); !mm.PteWrite(e) {
				t.Errorf("mprotect back to read-write left a page only this mm uses read-only: %#x", uint64(e))
			}
		})
	})
}

func testMadviseLinux(t *ktest.T) {
	fileSetup(t, 4, func(file *mm.File) {
		withMM(t, 0, mm.ProtNone, func(m *mm.MM, _ uintptr) {
			a := mapAnon(t, m, 4)
			fill(t, m, a, 4, 1)
			wantErrno(t, "DONTNEED", m.DoMadvise(a, 2*pg, mm.MadvDontneed), 0)
			if v, _ := load(m, a+8); v != 0 {
				t.Errorf("after DONTNEED: %#x, want 0", v)
			}
			if v, _ := load(m, a+2*pg+8); v != 2<<8|1 {
				t.Errorf("the page beside DONTNEED reads %#x, want %#x", v, 2<<8|1)
			}
			wantErrno(t, "FREE", m.DoMadvise(a+2*pg, 2*pg, mm.MadvFree), 0)
			if v, _ := load(m, a+2*pg+8); v != 0 && v != 2<<8|1 {
				t.Errorf("after FREE: %#x, want the data or 0", v)
			}
			for _, adv := range []int{mm.MadvNormal, mm.MadvRandom, mm.MadvSequential, mm.MadvWillneed, mm.MadvCold,
				mm.MadvPageout, mm.MadvDontdump, mm.MadvDodump, mm.MadvDontneedLocked} {
				wantErrno(t, "a hint", m.DoMadvise(a, 4*pg, adv), 0)
			}
			wantErrno(t, "unknown advice", m.DoMadvise(a, pg, 9999), mm.EINVAL)
			wantErrno(t, "MADV_MERGEABLE without KSM", m.DoMadvise(a, pg, mm.MadvMergeable), mm.EINVAL)
			wantErrno(t, "unaligned", m.DoMadvise(a+1, pg, mm.MadvDontneed), mm.EINVAL)
			wantErrno(t, "length 0", m.DoMadvise(a, 0, mm.MadvDontneed), 0)
			wantErrno(t, "length wrapping", m.DoMadvise(a, ^uintptr(0)-10, mm.MadvDontneed), mm.EINVAL)
			b := mapAnon(t, m, 4) // just below a
			m.Munmap(b+2*pg, 2*pg)
			wantErrno(t, "HUGEPAGE over a hole", m.DoMadvise(b, 8*pg, mm.MadvHugepage), mm.ENOMEM)
			n := 0
			for _, v := range vmasOf(m, b, a+4*pg, false) {
				if v.Flags&mm.VMHugepage != 0 {
					n++
				}
			}
			if n != 2 {
				t.Errorf("HUGEPAGE over a hole reached %d of the 2 VMAs around it", n)
			}
			m.Munmap(b, 8*pg)
			wantErrno(t, "unmapped", m.DoMadvise(b, pg, mm.MadvDontneed), mm.ENOMEM)
			f, _ := m.DoMmap(0, 4*pg, rw, mm.MapPrivate, file, 0)
			s, _ := m.DoMmap(0, 4*pg, rw, mm.MapShared, file, 0)
			sa, _ := m.DoMmap(0, 4*pg, rw, mm.MapShared|mm.MapAnonymous, nil, 0)
			wantErrno(t, "FREE of a file mapping", m.DoMadvise(f, pg, mm.MadvFree), mm.EINVAL)
			wantErrno(t, "WIPEONFORK of shared anonymous memory", m.DoMadvise(sa, pg, mm.MadvWipeonfork), mm.EINVAL)
			x := mapAnon(t, m, 1)
			wantErrno(t, "REMOVE of anonymous memory", m.DoMadvise(x, pg, mm.MadvRemove), mm.EINVAL)
			wantErrno(t, "REMOVE of a private file mapping", m.DoMadvise(f, pg, mm.MadvRemove), mm.EACCES)
			store(m, s+8, 0x66)
			wantErrno(t, "REMOVE of a shared file mapping", m.DoMadvise(s, pg, mm.MadvRemove), 0)
			if v, _ := load(m, s+8); v != 0 {
				t.Errorf("after REMOVE a shared file mapping reads %#x, want 0 (a hole)", v)
			}
			store(m, s+8, 0x77)
			wantErrno(t, "DONTNEED of a shared file mapping", m.DoMadvise(s, pg, mm.MadvDontneed), 0)
			if v, _ := load(m, s+8); v != 0x77 {
				t.Errorf("after DONTNEED a shared file mapping reads %#x, want the file's 0x77", v)
			}
			m.Munmap(f, 4*pg)
			m.Munmap(s, 4*pg)
			m.Munmap(sa, 4*pg)
			// COLLAPSE through DoMadvise.
			h, _ := m.DoMmap(hugeBase, mm.HPageSize, rw, anonFlags()|mm.MapFixed, nil, 0)
			fill(t, m, h, 8, 2)
			wantErrno(t, "COLLAPSE", m.DoMadvise(h, mm.HPageSize, mm.MadvCollapse), 0)
			if _, huge, _ := pmdOf(m, h); !huge {
				t.Errorf("MADV_COLLAPSE did not leave a huge PMD")
			}
			check(t, m, h, 8, 2, "after MADV_COLLAPSE")
		})
	})
}

func testMadvisePopulate(t *ktest.T) {
	fileSetup(t, 2, func(file *mm.File) {
		withMM(t, 0, mm.ProtNone, func(m *mm.MM, _ uintptr) {
			a := mapAnon(t, m, 8)
			wantErrno(t, "POPULATE_READ", m.DoMadvise(a, 4*pg, mm.MadvPopulateRead), 0)
			wantErrno(t, "POPULATE_WRITE", m.DoMadvise(a+4*pg, 4*pg, mm.MadvPopulateWrite), 0)
			v, _, _ := mincore(m, a, 8*pg)
			if resident(v) != 8 {
				t.Errorf("after POPULATE: %d of 8 pages resident", resident(v))
			}
			if e := pteOf(m, a); mm.PtePFN(e) != mm.ZeroPFN() {
				t.Errorf("POPULATE_READ of anonymous memory should map the zero page: %#x", uint64(e))
			}
			if e := pteOf(m, a+5*pg); !mm.PteWrite(e) {
				t.Errorf("POPULATE_WRITE should leave writable pages: %#x", uint64(e))
			}
			ro, _ := m.DoMmap(0, pg, mm.ProtRead, anonFlags(), nil, 0)
			none, _ := m.DoMmap(0, pg, mm.ProtNone, anonFlags(), nil, 0)
			wantErrno(t, "POPULATE_WRITE of a read-only mapping", m.DoMadvise(ro, pg, mm.MadvPopulateWrite), mm.EINVAL)
			wantErrno(t, "POPULATE_READ of PROT_NONE", m.DoMadvise(none, pg, mm.MadvPopulateRead), mm.EINVAL)
			wantErrno(t, "POPULATE_READ of a read-only mapping", m.DoMadvise(ro, pg, mm.MadvPopulateRead), 0)
			m.Munmap(a+2*pg, pg)
			wantErrno(t, "POPULATE over a hole", m.DoMadvise(a, 4*pg, mm.MadvPopulateRead), mm.ENOMEM)
			f, _ := m.DoMmap(0, 4*pg, mm.ProtRead, mm.MapShared, file, 0) // 2 pages of file, 4 of mapping
			wantErrno(t, "POPULATE past the end of the file", m.DoMadvise(f, 4*pg, mm.MadvPopulateRead), mm.EFAULT)
			if _, err := load(m, f+3*pg); !errors.Is(err, mm.ErrSigbus) {
				t.Errorf("reading past the end of the file: %v, want SIGBUS", err)
			}
			m.Munmap(f, 4*pg)
		})
	})
}

func testBrk(t *ktest.T) {
	withMM(t, 0, mm.ProtNone, func(m *mm.MM, _ uintptr) {
		const start = 0x1000000
		m.SetBrk(start + 123) // the end of a program's bss
		cur := uintptr(start + pg)
		if b := m.Brk(0); b != cur {
			t.Errorf("brk(0) = %#x, want %#x", b, cur)
		}
		if b := m.Brk(cur + 64<<10); b != cur+64<<10 {
			t.Errorf("brk(+64 KiB) = %#x", b)
		}
		if err := store(m, cur+64<<10-8, 1); err != nil {
			t.Errorf("writing the new heap's last word: %v", err)
		}
		if err := store(m, cur, 2); err != nil {
			t.Errorf("writing the heap's first word: %v", err)
		}
		if !inHeap(m, vmasOf(m, cur, cur+1, false)) {
			t.Errorf("the VMA at the break %#x is not the heap (between brk's start and end)", cur)
		}
		if b := m.Brk(cur + 5); b != cur+5 {
			t.Errorf("shrinking brk to %#x returned %#x", cur+5, b)
		}
		if _, err := load(m, cur+pg); !errors.Is(err, mm.ErrFault) {
			t.Errorf("above the shrunk break: %v, want no mapping", err)
		}
		if v, _ := load(m, cur); v != 2 {
			t.Errorf("the heap's first page lost its data: %#x", v)
		}
		if b := m.Brk(4096); b != cur+5 {
			t.Errorf("brk below the start = %#x, want the break unchanged", b)
		}
		m.DoMmap(cur+1<<20, pg, mm.ProtRead, anonFlags()|mm.MapFixed, nil, 0)
		if b := m.Brk(cur + 1<<20); b != cur+5 {
			t.Errorf("brk onto a mapping = %#x, want the old break", b)
		}
		if b := m.Brk(cur + 1<<20 - pg + 1); b != cur+5 {
			t.Errorf("brk into the mapping's first page = %#x, want the old break", b)
		}
		if b := m.Brk(cur + 1<<20 - pg); b != cur+1<<20-pg {
			t.Errorf("brk right up to a mapping = %#x", b)
		}
		if v, _ := load(m, cur+3*pg); v != 0 {
			t.Errorf("memory the break gave back and took again reads %#x, want 0", v)
		}
	})
}

func testMsync(t *ktest.T) {
	fileSetup(t, 4, func(file *mm.File) {
		withMM(t, 0, mm.ProtNone, func(m *mm.MM, _ uintptr) {
			f, _ := m.DoMmap(0, 4*pg, rw, mm.MapShared, file, 0)
			for _, c := range []struct {
				what   string
				addr   uintptr
				length uintptr
				flags  int
				errno  int
			}{
				{"MS_SYNC", f, 4 * pg, mm.MsSync, 0},
				{"MS_ASYNC|MS_INVALIDATE", f, 4 * pg, mm.MsAsync | mm.MsInvalidate, 0},
				{"no flags", f, pg, 0, 0},
				{"length 0", f, 0, mm.MsSync, 0},
				{"MS_SYNC|MS_ASYNC", f, pg, mm.MsSync | mm.MsAsync, mm.EINVAL},
				{"an unknown flag", f, pg, 8, mm.EINVAL},
				{"unaligned", f + 1, pg, mm.MsSync, mm.EINVAL},
				{"past the mapping", f, 5 * pg, mm.MsSync, mm.ENOMEM},
				{"wrapping", f, ^uintptr(0) - f, mm.MsSync, mm.ENOMEM},
			} {
				wantErrno(t, "msync "+c.what, m.Msync(c.addr, c.length, c.flags), c.errno)
			}
			m.Munmap(f, 4*pg)
		})
	})
}

func testForEachVMA(t *ktest.T) {
	fileSetup(t, 8, func(file *mm.File) {
		withMM(t, 0, mm.ProtNone, func(m *mm.MM, _ uintptr) {
			h, _ := m.DoMmap(hugeBase, mm.HPageSize, rw, anonFlags()|mm.MapFixed, nil, 0)
			m.Madvise(h, mm.HPageSize, mm.VMHugepage, 0)
			fill(t, m, h, 1, 1)
			a := mapAnon(t, m, 16)
			fill(t, m, a, 10, 1)
			f, _ := m.DoMmap(0, 8*pg, mm.ProtRead, mm.MapPrivate, file, 2*pg)
			for i := uintptr(0); i < 3; i++ {
				load(m, f+i*pg)
			}
			m.SetBrk(0x2000000)
			m.Brk(0x2000000 + 4*pg)
			got := map[uintptr]mm.VMAInfo{}
			prev := uintptr(0)
			m.ForEachVMA(true, func(v *mm.VMAInfo) bool {
				if v.Start < prev {
					t.Errorf("VMAs out of order: %#x after %#x", v.Start, prev)
				}
				prev = v.Start
				got[v.Start] = *v
				return true
			})
			if len(got) != 4 {
				t.Errorf("%d VMAs, want 4", len(got))
			}
			if v := got[h]; v.Rss != mm.HPageSize || v.AnonHuge != mm.HPageSize || v.Anonymous != mm.HPageSize || v.PrivateDirty != mm.HPageSize || v.Pss != mm.HPageSize || v.File != nil {
				t.Errorf("the huge page's VMA: %+v", v)
			}
			if v := got[a]; v.Rss != 10*pg || v.Anonymous != 10*pg || v.AnonHuge != 0 || v.End-v.Start != 16*pg {
				t.Errorf("the anonymous VMA: %+v", v)
			}
			if v := got[f]; v.Rss != 3*pg || v.Anonymous != 0 || v.File != any(file) || v.Pgoff != 2 || v.Flags&mm.VMShared != 0 || v.Prot != mm.ProtRead {
				t.Errorf("the file VMA: %+v", v)
			}
			if v := got[0x2000000]; !inHeap(m, []mm.VMAInfo{v}) || v.Rss != 0 {
				t.Errorf("the heap VMA: %+v", v)
			}
			// After fork every anonymous page is mapped twice: shared, and
			// its proportional share is half.
			c := fork(t, m)
			if v := vmasOf(m, a, a+1, true); len(v) != 1 || v[0].SharedDirty+v[0].SharedClean != 10*pg || v[0].Pss != 10*pg/2 {
				t.Errorf("after fork: %+v; want 10 pages shared and a Pss of %d bytes", v, 10*pg/2)
			}
			c.Destroy()
			n := 0
			m.ForEachVMA(false, func(v *mm.VMAInfo) bool { n++; return n < 2 })
			if n != 2 {
				t.Errorf("ForEachVMA went on after fn returned false (%d calls)", n)
			}
			cnt := m.Counters()
			if cnt.AnonPages != mm.HPageNr+10 || cnt.FilePages != 3 || cnt.DataVM != 16+4+mm.HPageNr || cnt.PageTables < 3 {
				t.Errorf("counters: %+v", cnt)
			}
			m.Munmap(f, 8*pg)
		})
	})
}

// vmasOf returns m's VMAs that overlap [start, end), with their smaps
// counts if usage is set: what mm.ForEachVMA gives /proc/PID/maps and
// smaps.
func vmasOf(m *mm.MM, start, end uintptr, usage bool) []mm.VMAInfo {
	var out []mm.VMAInfo
	m.ForEachVMA(usage, func(v *mm.VMAInfo) bool {
		if v.Start < end && v.End > start {
			out = append(out, *v)
		}
		return v.Start < end
	})
	return out
}

// inHeap says whether vmas is one VMA inside the program break's range,
// which /proc/PID/maps names [heap].
func inHeap(m *mm.MM, vmas []mm.VMAInfo) bool {
	start, brk := m.BrkRange()
	top := (brk + pg - 1) &^ (pg - 1)
	return len(vmas) == 1 && vmas[0].Start >= start && vmas[0].End <= top && top > start
}
