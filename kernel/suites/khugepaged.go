// khugepaged.go: the khugepaged suite — huge pages and collapse, one
// property at a time: anonymous collapse keeps contents and leaves one
// huge PMD (checked by walking the tables), a failed collapse puts the
// table back, huge faults and their fallback, a partial munmap splits, the
// khugepaged goroutine collapses on its own, file collapse retracts the
// tables of every mapping (and skips one with COW pages), a PTE-mapped
// huge page becomes PMD-mapped, and a fragmented memory fails cleanly;
// the randomized and racing cases are in khugepaged_race.go. Every case ends with its frames back (withMM, fileSetup).

package suites

import (
	"fmt"
	"strings"
	"time"

	"retract/kernel/ktest"
	"retract/mm"
	"retract/mm/phys"
	"retract/rcu"
)

func init() {
	ktest.Register(ktest.Suite{
		Name: "khugepaged",
		Doc:  "huge pages: anon and file collapse, retract, split, khugepaged, fragmentation",
		Cases: []ktest.Case{
			{Name: "anon_collapse", Fn: testAnonCollapse},
			{Name: "anon_exceed_none_restores", Fn: testAnonExceedNone},
			{Name: "anon_huge_fault_and_split", Fn: testAnonHugeFault},
			{Name: "khugepaged_collapses", Fn: testKhugepagedThread, Timeout: 5 * time.Minute},
			{Name: "khugepaged_collapses_file", Fn: testKhugepagedFile, Timeout: 5 * time.Minute},
			{Name: "file_collapse_retracts", Fn: testFileCollapse},
			{Name: "file_private_cow_skipped", Fn: testFilePrivateSkip},
			{Name: "pte_mapped_thp", Fn: testPteMappedTHP},
			{Name: "madvise_collapse_file_maps_pmd", Fn: testMadviseCollapseFile},
			{Name: "fragmented_fails_cleanly", Fn: testFragmented},
			{Name: "random_ops_against_a_model", Fn: testHugeModel, Timeout: 5 * time.Minute},
			{Name: "huge_fault_race", Fn: testHugeFaultRace, Timeout: 5 * time.Minute},
			{Name: "max_ptes_shared", Fn: testMaxPtesShared, Timeout: 5 * time.Minute},
			{Name: "collapse_fork", Fn: testCollapseFork, Timeout: 5 * time.Minute},
			{Name: "collapse_fork_compound", Fn: testCollapseForkCompound, Timeout: 5 * time.Minute},
		},
	})
}

// hugeBase is a 2 MiB-aligned user address.
const hugeBase uintptr = 0x8040000000 // 257 GiB: 2 MiB-aligned, far from where programs load

// fill writes a value derived from (page, tag) into word tag of n pages.
func fill(t *ktest.T, m *mm.MM, va uintptr, n int, tag uint64) {
	m.Use()
	defer m.Unuse()
	for i := 0; i < n; i++ {
		if err := m.Store64(va+uintptr(i)*phys.PageSize+uintptr(tag)*8, uint64(i)<<8|tag); err != nil {
			t.Fatalf("store to page %d: %v", i, err)
		}
	}
}

// check reads back what fill wrote and counts the mismatches.
func check(t *ktest.T, m *mm.MM, va uintptr, n int, tag uint64, what string) {
	m.Use()
	defer m.Unuse()
	bad := 0
	for i := 0; i < n; i++ {
		v, err := m.Load64(va + uintptr(i)*phys.PageSize + uintptr(tag)*8)
		if err != nil || v != uint64(i)<<8|tag {
			if bad++; bad <= 3 {
				t.Errorf("%s: page %d reads %#x, %v; want %#x", what, i, v, err, uint64(i)<<8|tag)
			}
		}
	}
}

// access reads or writes (a zero) one word at va in m through uaccess.
func access(m *mm.MM, va uintptr, write bool) error {
	m.Use()
	defer m.Unuse()
	if write {
		return m.Store64(va, 0)
	}
	_, err := m.Load64(va)
	return err
}

// pmdOf walks m's tables at va: the PMD entry, and whether a PT is there.
func pmdOf(m *mm.MM, va uintptr) (pmd uint64, huge, table bool) {
	e, _ := m.Walk(va)
	return uint64(e[2]), e[2].Present() && e[2].Huge(), e[2].Present() && !e[2].Huge()
}

func testAnonCollapse(t *ktest.T) {
	withMM(t, 0, mm.ProtNone, func(m *mm.MM, _ uintptr) {
		base, err := m.Mmap(hugeBase, 2*mm.HPageSize, mm.ProtRead|mm.ProtWrite, 0)
		if err != nil {
			t.Fatalf("Mmap: %v", err)
		}
		fill(t, m, base, mm.HPageNr, 1)
		if _, _, table := pmdOf(m, base); !table {
			t.Fatalf("before collapse the range should be mapped by a page table")
		}
		anon0 := phys.Frames.Stats().ByKind[phys.KindAnon]
		ok0 := mm.CollapseStat.Anon.Load()
		if r := m.CollapseAnon(base, 0); !r.OK() {
			t.Fatalf("CollapseAnon: %v", r)
		}
		pmd, huge, _ := pmdOf(m, base)
		if !huge {
			t.Fatalf("after collapse the PMD should map a 2 MiB page, it holds %#x", pmd)
		}
		if n := mm.CollapseStat.Anon.Load() - ok0; n != 1 {
			t.Errorf("anon collapses counted: %d, want 1", n)
		}
		if a := phys.Frames.Stats().ByKind[phys.KindAnon]; a != anon0 {
			t.Errorf("anonymous frames: %d before, %d after collapse (512 small pages for one 2 MiB page)", anon0, a)
		}
		check(t, m, base, mm.HPageNr, 1, "after collapse")
		// A second collapse finds a huge PMD.
		if r := m.CollapseAnon(base, 0); r.Result != mm.ScanPmdMapped {
			t.Errorf("second CollapseAnon: %v, want SCAN_PMD_MAPPED", r)
		}
		// munmap of the upper half splits the huge PMD with the deposited table.
		split0 := mm.ThpStat.Split.Load()
		if err := m.Munmap(base+mm.HPageSize/2, mm.HPageSize/2); err != nil {
			t.Fatalf("Munmap: %v", err)
		}
		if _, _, table := pmdOf(m, base); !table || mm.ThpStat.Split.Load() == split0 {
			t.Errorf("a partial munmap should split the huge PMD into a page table")
		}
		check(t, m, base, mm.HPageNr/2, 1, "after split")
		if access(m, base+mm.HPageSize/2, false) == nil {
			t.Errorf("the unmapped half is still readable")
		}
	})
}

func testAnonExceedNone(t *ktest.T) {
	withMM(t, 0, mm.ProtNone, func(m *mm.MM, _ uintptr) {
		base, _ := m.Mmap(hugeBase, mm.HPageSize, mm.ProtRead|mm.ProtWrite, 0)
		fill(t, m, base, 10, 2)
		pmd0, _, _ := pmdOf(m, base)
		n0 := mm.CollapseStat.Results[mm.ScanExceedNonePte].Load()
		r := m.CollapseAnon(base, 100)
		if r.Result != mm.ScanExceedNonePte {
			t.Fatalf("CollapseAnon with 502 empty PTEs and max_ptes_none 100: %v, want SCAN_EXCEED_NONE_PTE", r)
		}
		// The outcome in Linux's words, with the numbers.
		if want := "SCAN_EXCEED_NONE_PTE: 502 of 512 PTEs are none, max_ptes_none is 100"; r.String() != want || r.None != 502 || r.MaxNone != 100 {
			t.Errorf("outcome %q (none %d, max %d), want %q", r, r.None, r.MaxNone, want)
		}
		if mm.CollapseStat.Results[mm.ScanExceedNonePte].Load() != n0+1 {
			t.Errorf("the failure was not counted")
		}
		if pmd, _, _ := pmdOf(m, base); pmd != pmd0 {
			t.Errorf("the PMD was not restored: %#x, was %#x", pmd, pmd0)
		}
		check(t, m, base, 10, 2, "after the failed collapse")
		// With max_ptes_none 511 it goes through, filling zeroes.
		if r := m.CollapseAnon(base, mm.HPageNr-1); !r.OK() {
			t.Fatalf("CollapseAnon: %v", r)
		}
		check(t, m, base, 10, 2, "after collapse")
		m.Use()
		v, err := m.Load64(base + 100*phys.PageSize)
		m.Unuse()
		if err != nil || v != 0 {
			t.Errorf("an empty PTE's page reads %#x, %v after collapse; want 0", v, err)
		}
	})
}

func testAnonHugeFault(t *ktest.T) {
	withMM(t, 0, mm.ProtNone, func(m *mm.MM, _ uintptr) {
		base, _ := m.Mmap(hugeBase, mm.HPageSize, mm.ProtRead|mm.ProtWrite, 0)
		if err := m.Madvise(base, mm.HPageSize, mm.VMHugepage, 0); err != nil {
			t.Fatalf("Madvise: %v", err)
		}
		f0 := mm.ThpStat.FaultAlloc.Load()
		fill(t, m, base, mm.HPageNr, 3)
		if _, huge, _ := pmdOf(m, base); !huge || mm.ThpStat.FaultAlloc.Load() != f0+1 {
			t.Fatalf("the first touch of a HUGEPAGE range should map one 2 MiB page")
		}
		check(t, m, base, mm.HPageNr, 3, "huge page")
		// mprotect of one page splits; the rest keeps its data.
		if err := m.Mprotect(base, phys.PageSize, mm.ProtRead); err != nil {
			t.Fatalf("Mprotect: %v", err)
		}
		if _, _, table := pmdOf(m, base); !table {
			t.Errorf("a partial mprotect should split the huge PMD")
		}
		check(t, m, base, mm.HPageNr, 3, "after split")
		if access(m, base, true) == nil {
			t.Errorf("the read-only page took a write")
		}
	})
}

func testKhugepagedThread(t *ktest.T) {
	withMM(t, 0, mm.ProtNone, func(m *mm.MM, _ uintptr) {
		base, _ := m.Mmap(hugeBase, mm.HPageSize, mm.ProtRead|mm.ProtWrite, 0)
		fill(t, m, base, 300, 4)
		defer runKhugepaged()()
		a0 := mm.CollapseStat.Anon.Load()
		if err := m.Madvise(base, mm.HPageSize, mm.VMHugepage, 0); err != nil { // registers the mm
			t.Fatalf("Madvise: %v", err)
		}
		// The count follows the PMD store: wait for both.
		if !waitFor(func() bool { _, huge, _ := pmdOf(m, base); return huge && mm.CollapseStat.Anon.Load() != a0 }) {
			t.Fatalf("khugepaged did not collapse the range in 2 minutes (%d rounds, %d attempts)",
				mm.KhugepagedStat.Rounds.Load(), mm.KhugepagedStat.Attempts.Load())
		}
		mm.Khugepaged.Enabled.Store(false)
		check(t, m, base, 300, 4, "after khugepaged")
	})
}

// testKhugepagedFile: khugepaged collapses a file range that an advised
// mapping covers, retracting the tables of both mappings (the other one is
// not advised); the data survives.
func testKhugepagedFile(t *ktest.T) {
	fileSetup(t, mm.HPageNr, func(file *mm.File) {
		twoMappers(t, file, true, func(a, b *mm.MM) {
			fill(t, a, hugeBase, mm.HPageNr, 10)
			check(t, b, hugeBase, 16, 10, "mm b before")
			defer runKhugepaged()()
			f0, r0 := mm.CollapseStat.File.Load(), mm.CollapseStat.Retracted.Load()
			if err := a.Madvise(hugeBase, mm.HPageSize, mm.VMHugepage, 0); err != nil {
				t.Fatalf("Madvise: %v", err)
			}
			if !waitFor(func() bool { return file.IsHuge(0) && mm.CollapseStat.File.Load() != f0 }) {
				t.Fatalf("khugepaged did not collapse the file range in 2 minutes")
			}
			mm.Khugepaged.Enabled.Store(false)
			if n := mm.CollapseStat.Retracted.Load() - r0; n != 2 {
				t.Errorf("%d tables retracted, want 2 (both mappings)", n)
			}
			check(t, b, hugeBase, mm.HPageNr, 10, "mm b after khugepaged")
			if _, huge, _ := pmdOf(b, hugeBase); !huge {
				t.Errorf("mm b's next fault should map the huge page with one PMD")
			}
		})
	})
}

// runKhugepaged turns khugepaged on, scanning every 10 ms, and returns
// the function that puts its tunables back.
func runKhugepaged() (restore func()) {
	k := &mm.Khugepaged
	on, sleep := k.Enabled.Load(), k.ScanSleepMs.Load()
	k.ScanSleepMs.Store(10)
	k.Enabled.Store(true)
	return func() {
		k.Enabled.Store(on)
		k.ScanSleepMs.Store(sleep)
	}
}

// waitFor polls cond every 10 ms for up to 2 minutes and reports whether
// it came true.
func waitFor(cond func() bool) bool {
	for deadline := time.Now().Add(2 * time.Minute); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			return false
		}
	}
	return true
}

// twoMappers maps file shared in two new address spaces at hugeBase and
// runs f; then unmaps, destroys, waits for deferred frees.
func twoMappers(t *ktest.T, file *mm.File, sharedB bool, f func(a, b *mm.MM)) {
	withMM(t, 0, mm.ProtNone, func(a *mm.MM, _ uintptr) {
		b, err := mm.New()
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		size := uintptr(file.Pages()) * phys.PageSize
		if _, err := a.MmapFile(hugeBase, size, mm.ProtRead|mm.ProtWrite, true, file, 0); err != nil {
			t.Fatalf("MmapFile: %v", err)
		}
		if _, err := b.MmapFile(hugeBase, size, mm.ProtRead|mm.ProtWrite, sharedB, file, 0); err != nil {
			t.Fatalf("MmapFile: %v", err)
		}
		f(a, b)
		a.Munmap(hugeBase, size)
		b.Destroy()
		rcu.Barrier() // retracted tables wait for a grace period
	})
}

func testFileCollapse(t *ktest.T) {
	fileSetup(t, 2*mm.HPageNr, func(file *mm.File) {
		twoMappers(t, file, true, func(a, b *mm.MM) {
			fill(t, a, hugeBase, mm.HPageNr, 5)
			fill(t, b, hugeBase, mm.HPageNr, 6)
			r0, f0 := mm.CollapseStat.Retracted.Load(), mm.CollapseStat.File.Load()
			r := file.Collapse(0, 0)
			if !r.OK() {
				t.Fatalf("Collapse: %v", r)
			}
			if n := mm.CollapseStat.Retracted.Load() - r0; n != 2 || mm.CollapseStat.File.Load() != f0+1 || len(r.Retracts) != 2 {
				t.Errorf("%d tables retracted (%d in the outcome), want 2 (one per mapping)", n, len(r.Retracts))
			}
			// Each retract in Linux's words: the mm, the PMD, the grace
			// period that frees the table.
			for _, rt := range r.Retracts {
				want := fmt.Sprintf("retract: mm %d pmd %#x: retractTable → PteFreeDefer (retract_page_tables → pte_free_defer): table %#x freed after GP %d",
					rt.MM, hugeBase, rt.Table, rt.GP)
				if rt.Mode != mm.FreeAfterGP || rt.GP == 0 || rt.String() != want || rt.MM != a.ID && rt.MM != b.ID {
					t.Errorf("retract %q (mode %d, GP %d), want %q", rt, rt.Mode, rt.GP, want)
				}
			}
			for _, m := range []*mm.MM{a, b} {
				if pmd, _, _ := pmdOf(m, hugeBase); pmd != 0 {
					t.Errorf("mm %d: the PMD should be empty after retract, it holds %#x", m.ID, pmd)
				}
			}
			if !file.IsHuge(0) || file.IsHuge(mm.HPageNr) {
				t.Errorf("the page cache should hold one huge page at 0 and small pages after it")
			}
			check(t, a, hugeBase, mm.HPageNr, 5, "mm a after collapse")
			check(t, b, hugeBase, mm.HPageNr, 6, "mm b after collapse")
			check(t, a, hugeBase, mm.HPageNr, 6, "mm a sees b's writes")
			for _, m := range []*mm.MM{a, b} {
				if _, huge, _ := pmdOf(m, hugeBase); !huge {
					t.Errorf("mm %d: a fault after collapse should map the huge page with one PMD", m.ID)
				}
			}
			// A file collapse of a huge range finds it huge.
			if r := file.Collapse(0, 0); r.Result != mm.ScanPteMappedHugepage {
				t.Errorf("second Collapse: %v, want SCAN_PTE_MAPPED_HUGEPAGE", r)
			}
			if err := file.SplitHugePage(0); err != nil {
				t.Fatalf("SplitHugePage: %v", err)
			}
			if file.IsHuge(0) {
				t.Errorf("still huge after the split")
			}
			check(t, a, hugeBase, mm.HPageNr, 5, "mm a after split")
			if _, _, table := pmdOf(a, hugeBase); !table {
				t.Errorf("after the split, faults should map 4 KiB pages again")
			}
		})
	})
}

func testFilePrivateSkip(t *ktest.T) {
	fileSetup(t, mm.HPageNr, func(file *mm.File) {
		twoMappers(t, file, false, func(a, b *mm.MM) {
			fill(t, a, hugeBase, mm.HPageNr, 7)
			// b's write to page 5 makes an anonymous COW copy there.
			b.Use()
			b.Store64(hugeBase+5*phys.PageSize, 0xc0)
			b.Load64(hugeBase + 9*phys.PageSize)
			b.Unuse()
			r0, s0 := mm.CollapseStat.Retracted.Load(), mm.CollapseStat.RetractSkipped.Load()
			if r := file.Collapse(0, 0); !r.OK() {
				t.Fatalf("Collapse: %v", r)
			}
			if mm.CollapseStat.Retracted.Load()-r0 != 1 || mm.CollapseStat.RetractSkipped.Load()-s0 != 1 {
				t.Errorf("want the shared mapping's table retracted and the private one's skipped (it maps a COW page): %d retracted, %d skipped",
					mm.CollapseStat.Retracted.Load()-r0, mm.CollapseStat.RetractSkipped.Load()-s0)
			}
			b.Use()
			v, err := b.Load64(hugeBase + 5*phys.PageSize)
			w, _ := b.Load64(hugeBase + 9*phys.PageSize + 7*8)
			b.Unuse()
			if err != nil || v != 0xc0 {
				t.Errorf("the private copy reads %#x, %v; want 0xc0", v, err)
			}
			if w != 9<<8|7 {
				t.Errorf("the private mapping reads %#x from the file at page 9, want %#x", w, 9<<8|7)
			}
			if r := b.CollapsePteMappedTHP(hugeBase, true); r.Result != mm.ScanFail || !strings.HasPrefix(r.String(), "SCAN_FAIL: PTE 5 holds 0x") {
				t.Errorf("CollapsePteMappedTHP over a COW page: %v, want SCAN_FAIL: PTE 5 holds ...", r)
			}
		})
	})
}

// testMadviseCollapseFile: MADV_COLLAPSE of a file range maps the new
// huge page with a PMD in the caller's mm at once (Linux 6.1's
// set_huge_pmd for its own mm), while the other mapper's table is only
// retracted; MADV_COLLAPSE in that other mm, whose PMD is now none,
// installs the huge PMD too (collapse_pte_mapped_thp's SCAN_PMD_NONE
// case: the selftest's madvise_retracted_page_tables).
func testMadviseCollapseFile(t *ktest.T) {
	fileSetup(t, mm.HPageNr, func(file *mm.File) {
		twoMappers(t, file, true, func(a, b *mm.MM) {
			fill(t, a, hugeBase, mm.HPageNr, 9)
			check(t, b, hugeBase, 4, 9, "mm b before")
			if _, err := a.MadviseCollapse(hugeBase, mm.HPageSize); err != nil {
				t.Fatalf("MadviseCollapse in mm a: %v", err)
			}
			if _, huge, _ := pmdOf(a, hugeBase); !huge {
				t.Errorf("mm a: MADV_COLLAPSE should leave its range mapped by one huge PMD")
			}
			if pmd, _, _ := pmdOf(b, hugeBase); pmd != 0 {
				t.Errorf("mm b: the PMD should be empty after the retract, it holds %#x", pmd)
			}
			out, err := b.MadviseCollapse(hugeBase, mm.HPageSize)
			if err != nil || len(out) != 1 || !out[0].OK() {
				t.Fatalf("MadviseCollapse in mm b over a retracted table: %v, %v", out, err)
			}
			if _, huge, _ := pmdOf(b, hugeBase); !huge {
				t.Errorf("mm b: MADV_COLLAPSE over a none PMD should install the huge PMD")
			}
			check(t, a, hugeBase, mm.HPageNr, 9, "mm a after collapse")
			check(t, b, hugeBase, mm.HPageNr, 9, "mm b after collapse")
		})
	})
}

func testPteMappedTHP(t *ktest.T) {
	fileSetup(t, mm.HPageNr, func(file *mm.File) {
		twoMappers(t, file, true, func(a, b *mm.MM) {
			fill(t, a, hugeBase, mm.HPageNr, 8)
			if r := file.Collapse(0, 0); !r.OK() {
				t.Fatalf("Collapse: %v", r)
			}
			// Split b's VMA so that its faults map 4 KiB pieces of the huge page.
			b.Mprotect(hugeBase+mm.HPageSize/2, phys.PageSize, mm.ProtRead)
			check(t, b, hugeBase, 64, 8, "PTE-mapped")
			if _, _, table := pmdOf(b, hugeBase); !table {
				t.Fatalf("with a split VMA the huge page should be mapped by PTEs")
			}
			b.Mprotect(hugeBase+mm.HPageSize/2, phys.PageSize, mm.ProtRead|mm.ProtWrite) // the VMAs merge again
			p0 := mm.CollapseStat.PteMapped.Load()
			if r := b.CollapsePteMappedTHP(hugeBase, true); !r.OK() {
				t.Fatalf("CollapsePteMappedTHP: %v", r)
			}
			if _, huge, _ := pmdOf(b, hugeBase); !huge || mm.CollapseStat.PteMapped.Load() != p0+1 {
				t.Errorf("CollapsePteMappedTHP should install one huge PMD")
			}
			check(t, b, hugeBase, mm.HPageNr, 8, "PMD-mapped")
		})
	})
}

func testFragmented(t *ktest.T) {
	withMM(t, 0, mm.ProtNone, func(m *mm.MM, _ uintptr) {
		base, _ := m.Mmap(hugeBase, 2*mm.HPageSize, mm.ProtRead|mm.ProtWrite, 0)
		fill(t, m, base, 64, 9)
		// Take every free 2 MiB block: memory is now "fragmented".
		var held []uint64
		for {
			pfn, ok := phys.Frames.Alloc(mm.HPageOrder, phys.KindKernel)
			if !ok {
				break
			}
			held = append(held, pfn)
		}
		// Give back all but one 4 KiB of a few of them: small frames
		// above the kernel's reserve (user memory never takes it), and
		// still no free 2 MiB block (each keeps one frame allocated).
		var pins []uint64
		for k := 0; k < int(phys.Frames.Reserve/(mm.HPageNr-1))+2 && len(held) > 0; k++ {
			pfn := held[len(held)-1]
			held = held[:len(held)-1]
			phys.Frames.Split(pfn, mm.HPageOrder)
			for i := uint64(1); i < mm.HPageNr; i++ {
				phys.Frames.Free(pfn+i, 0)
			}
			pins = append(pins, pfn)
		}
		defer func() {
			for _, pfn := range pins {
				phys.Frames.Free(pfn, 0)
			}
		}()
		t.Logf("holding %d 2 MiB blocks; %d KiB free in smaller blocks", len(held), phys.Frames.Stats().Free*4)
		n0, fb0 := mm.CollapseStat.Results[mm.ScanAllocHugePageFail].Load(), mm.ThpStat.FaultFallback.Load()
		r := m.CollapseAnon(base, mm.HPageNr-1)
		m.Madvise(base+mm.HPageSize, mm.HPageSize, mm.VMHugepage, 0)
		m.Use()
		err := m.Store64(base+mm.HPageSize, 42)
		m.Unuse()
		_, _, table := pmdOf(m, base+mm.HPageSize)
		for _, pfn := range held {
			phys.Frames.Free(pfn, mm.HPageOrder)
		}
		if r.Result != mm.ScanAllocHugePageFail || mm.CollapseStat.Results[mm.ScanAllocHugePageFail].Load() != n0+1 {
			t.Errorf("CollapseAnon without a free 2 MiB block: %v, want SCAN_ALLOC_HUGE_PAGE_FAIL (counted)", r)
		}
		if err != nil || !table || mm.ThpStat.FaultFallback.Load() != fb0+1 {
			t.Errorf("a huge fault without a free 2 MiB block should fall back to 4 KiB pages (%v, table %v)", err, table)
		}
		check(t, m, base, 64, 9, "after the failed collapse")
	})
}

// scanUntil runs khugepaged's rounds (synchronously) until cond holds, at
// most rounds times, and reports whether it did.
func scanUntil(rounds int, cond func() bool) bool {
	for i := 0; i < rounds; i++ {
		if cond() {
			return true
		}
		mm.KhugepagedScan(16 * mm.HPageNr)
	}
	return cond()
}

// testMaxPtesShared is Linux's khugepaged selftest collapse_max_ptes_shared:
// a huge page shared over fork; the child writes to
// 512 - max_ptes_shared - 1 pages (its PMD splits and those pages are
// copied), so that more than max_ptes_shared of its PTEs map the shared
// page and khugepaged must leave the range alone; one write more and it
// collapses, copying the shared pieces — the parent keeps its huge page.
func testMaxPtesShared(t *ktest.T) {
	withMM(t, 0, mm.ProtNone, func(p *mm.MM, _ uintptr) {
		h, _ := p.DoMmap(hugeBase, mm.HPageSize, mm.ProtRead|mm.ProtWrite, mm.MapPrivate|mm.MapAnonymous|mm.MapFixed, nil, 0)
		p.Madvise(h, mm.HPageSize, mm.VMHugepage, 0)
		fill(t, p, h, mm.HPageNr, 1)
		if _, huge, _ := pmdOf(p, h); !huge {
			t.Fatalf("no huge page to share")
		}
		c, err := p.Fork()
		if err != nil {
			t.Fatalf("Fork: %v", err)
		}
		defer c.Destroy()
		maxShared := int(mm.Khugepaged.MaxPtesShared.Load())
		if maxShared != mm.HPageNr/2 {
			t.Errorf("max_ptes_shared is %d, want Linux's default %d", maxShared, mm.HPageNr/2)
		}
		cow := mm.HPageNr - maxShared - 1
		fill(t, c, h, cow, 2)
		if _, huge, _ := pmdOf(c, h); huge {
			t.Fatalf("the child's writes did not split its PMD")
		}
		e0 := mm.CollapseStat.Results[mm.ScanExceedSharedPte].Load()
		if scanUntil(20, func() bool { _, huge, _ := pmdOf(c, h); return huge }) {
			t.Errorf("khugepaged collapsed %d shared PTEs with max_ptes_shared %d", mm.HPageNr-cow, maxShared)
		}
		if mm.CollapseStat.Results[mm.ScanExceedSharedPte].Load() == e0 {
			t.Errorf("khugepaged did not count SCAN_EXCEED_SHARED_PTE")
		}
		c.Use()
		c.Store64(h+uintptr(cow)*phys.PageSize+2*8, uint64(cow)<<8|2) // now exactly max_ptes_shared are shared
		c.Unuse()
		if !scanUntil(50, func() bool { _, huge, _ := pmdOf(c, h); return huge }) {
			t.Errorf("khugepaged did not collapse %d shared PTEs with max_ptes_shared %d", maxShared, maxShared)
		}
		check(t, c, h, cow+1, 2, "the child after collapse (its writes)")
		check(t, c, h, mm.HPageNr, 1, "the child after collapse (the parent's data)")
		if _, huge, _ := pmdOf(p, h); !huge {
			t.Errorf("the parent lost its huge page")
		}
		check(t, p, h, mm.HPageNr, 1, "the parent")
		p.Use()
		v, _ := p.Load64(h + 2*8)
		p.Unuse()
		if v != 0 {
			t.Errorf("the parent sees the child's write: %#x", v)
		}
	})
}

// testCollapseFork is Linux's collapse_fork: a small page shared over
// fork, the child faults in one more and khugepaged collapses the child's
// range (one shared PTE, well under max_ptes_shared).
func testCollapseFork(t *ktest.T) {
	withMM(t, 0, mm.ProtNone, func(p *mm.MM, _ uintptr) {
		h, _ := p.DoMmap(hugeBase, mm.HPageSize, mm.ProtRead|mm.ProtWrite, mm.MapPrivate|mm.MapAnonymous|mm.MapFixed, nil, 0)
		fill(t, p, h, 1, 1) // one small page
		c, err := p.Fork()
		if err != nil {
			t.Fatalf("Fork: %v", err)
		}
		defer c.Destroy()
		if _, _, table := pmdOf(c, h); !table {
			t.Fatalf("the child has no page table after fork")
		}
		c.Use()
		c.Store64(h+phys.PageSize+8, 0x5e) // the child's own page
		c.Unuse()
		if err := c.Madvise(h, mm.HPageSize, mm.VMHugepage, 0); err != nil {
			t.Fatalf("Madvise: %v", err)
		}
		if !scanUntil(50, func() bool { _, huge, _ := pmdOf(c, h); return huge }) {
			t.Fatalf("khugepaged did not collapse the child's range")
		}
		check(t, c, h, 1, 1, "the child's page shared at fork")
		if v, _ := load(c, h+phys.PageSize+8); v != 0x5e {
			t.Errorf("the child's own page reads %#x after collapse", v)
		}
		if _, _, table := pmdOf(p, h); !table {
			t.Errorf("the parent's table went (it was not advised)")
		}
		check(t, p, h, 1, 1, "the parent")
	})
}

// testCollapseForkCompound is Linux's collapse_fork_compound: the child
// splits its mapping of a huge page shared over fork (a VMA boundary),
// writes one page, and with max_ptes_shared 511 khugepaged collapses the
// 511 PTEs that map pieces of the shared page; the parent keeps its huge
// page.
func testCollapseForkCompound(t *ktest.T) {
	withMM(t, 0, mm.ProtNone, func(p *mm.MM, _ uintptr) {
		h, _ := p.DoMmap(hugeBase, mm.HPageSize, mm.ProtRead|mm.ProtWrite, mm.MapPrivate|mm.MapAnonymous|mm.MapFixed, nil, 0)
		p.Madvise(h, mm.HPageSize, mm.VMHugepage, 0)
		fill(t, p, h, mm.HPageNr, 1)
		c, err := p.Fork()
		if err != nil {
			t.Fatalf("Fork: %v", err)
		}
		defer c.Destroy()
		s0 := mm.ThpStat.SplitShared.Load()
		c.Madvise(h, phys.PageSize, mm.VMNoHugepage, mm.VMHugepage)
		c.Madvise(h, mm.HPageSize, mm.VMNoHugepage, mm.VMHugepage)
		if _, _, table := pmdOf(c, h); !table || mm.ThpStat.SplitShared.Load() != s0+1 {
			t.Fatalf("a VMA boundary in the child should split its PMD, keeping the shared page whole")
		}
		fill(t, c, h, 1, 2)
		k := &mm.Khugepaged
		old := k.MaxPtesShared.Load()
		k.MaxPtesShared.Store(mm.HPageNr - 1)
		defer k.MaxPtesShared.Store(old)
		c.Madvise(h, mm.HPageSize, mm.VMHugepage, mm.VMNoHugepage)
		if !scanUntil(50, func() bool { _, huge, _ := pmdOf(c, h); return huge }) {
			t.Fatalf("khugepaged did not collapse a table full of pieces of a shared huge page")
		}
		check(t, c, h, mm.HPageNr, 1, "the child after collapse")
		check(t, c, h, 1, 2, "the child's own write")
		if _, huge, _ := pmdOf(p, h); !huge {
			t.Errorf("the parent lost its huge page")
		}
		check(t, p, h, mm.HPageNr, 1, "the parent")
	})
}
