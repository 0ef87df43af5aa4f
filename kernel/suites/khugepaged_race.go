// khugepaged_race.go: the khugepaged suite's randomized and concurrent
// cases — random stores, unmaps, mprotects, DONTNEEDs, huge faults and
// collapses checked against a model of what each page must hold, and
// huge-page faults of the same range racing on every CPU (one huge page
// wins).

package suites

import (
	"errors"
	"math/rand/v2"
	"sync"

	"retract/kernel/ktest"
	"retract/kernel/smp"
	"retract/mm"
	"retract/mm/phys"
)

// testHugeModel runs random operations on an anonymous 8 MiB region —
// stores, loads, munmap/mmap, mprotect, DONTNEED, HUGEPAGE advice (huge
// faults), collapse — against a model of what every page must hold, so
// that splits, zaps and collapses of huge PMDs are checked in every
// combination the seed reaches. The model is a value per page (0 for a
// fresh page) and whether the page is mapped and writable.
func testHugeModel(t *ktest.T) {
	const ranges = 4
	const pages = ranges * mm.HPageNr
	withMM(t, 0, mm.ProtNone, func(m *mm.MM, _ uintptr) {
		base, err := m.Mmap(hugeBase, pages*phys.PageSize, mm.ProtRead|mm.ProtWrite, 0)
		if err != nil {
			t.Fatalf("Mmap: %v", err)
		}
		type page struct {
			val        uint64
			mapped, ro bool
		}
		model := make([]page, pages)
		for i := range model {
			model[i].mapped = true
		}
		rng := rand.New(rand.NewPCG(t.Seed(), 7))
		// span picks a random run of pages, often 2 MiB-aligned.
		span := func() (int, int) {
			if rng.IntN(3) == 0 {
				r := rng.IntN(ranges)
				return r * mm.HPageNr, mm.HPageNr
			}
			first := rng.IntN(pages)
			return first, 1 + rng.IntN(min(pages-first, 700))
		}
		va := func(i int) uintptr { return base + uintptr(i)*phys.PageSize }
		counts := map[string]int{}
		m.Use()
		defer m.Unuse()
		for op := 0; op < 3000 && !t.Failed(); op++ {
			switch k := rng.IntN(20); {
			case k < 8: // store
				i := rng.IntN(pages)
				v := rng.Uint64() | 1
				err := m.Store64(va(i)+8, v)
				switch {
				case !model[i].mapped || model[i].ro:
					if err == nil {
						t.Errorf("op %d: store to page %d succeeded (mapped %v, read-only %v)", op, i, model[i].mapped, model[i].ro)
					}
				case err != nil:
					t.Errorf("op %d: store to page %d: %v", op, i, err)
				default:
					model[i].val = v
				}
				counts["store"]++
			case k < 14: // load
				i := rng.IntN(pages)
				v, err := m.Load64(va(i) + 8)
				switch {
				case !model[i].mapped:
					if err == nil {
						t.Errorf("op %d: load of unmapped page %d succeeded", op, i)
					}
				case err != nil:
					t.Errorf("op %d: load of page %d: %v", op, i, err)
				case v != model[i].val:
					t.Errorf("op %d: page %d reads %#x, model says %#x", op, i, v, model[i].val)
				}
				counts["load"]++
			case k == 14: // munmap, then maybe map again
				f, n := span()
				m.Munmap(va(f), uintptr(n)*phys.PageSize)
				remap := rng.IntN(2) == 0
				if remap {
					if _, err := m.Mmap(va(f), uintptr(n)*phys.PageSize, mm.ProtRead|mm.ProtWrite, 0); err != nil {
						t.Fatalf("op %d: Mmap: %v", op, err)
					}
				}
				for i := f; i < f+n; i++ {
					model[i] = page{mapped: remap}
				}
				counts["munmap"]++
			case k == 15: // mprotect
				f, n := span()
				ro := rng.IntN(2) == 0
				prot := mm.ProtRead | mm.ProtWrite
				if ro {
					prot = mm.ProtRead
				}
				err := m.Mprotect(va(f), uintptr(n)*phys.PageSize, prot)
				// Like Linux: the pages up to the first hole change, and a
				// hole makes it ENOMEM.
				hole := f
				for hole < f+n && model[hole].mapped {
					model[hole].ro = ro
					hole++
				}
				if hole == f+n && err != nil || hole < f+n && !errors.Is(err, mm.ErrNoMemory) {
					t.Errorf("op %d: Mprotect of %d pages, the first %d mapped: %v", op, n, hole-f, err)
				}
				counts["mprotect"]++
			case k == 16: // DONTNEED
				f, n := span()
				m.MadviseDontneed(va(f), uintptr(n)*phys.PageSize)
				for i := f; i < f+n; i++ {
					model[i].val = 0
				}
				counts["dontneed"]++
			case k == 17: // HUGEPAGE advice: later faults may map 2 MiB
				f, n := span()
				if m.Madvise(va(f), uintptr(n)*phys.PageSize, mm.VMHugepage, 0) == nil {
					counts["advise"]++
				}
			default: // collapse
				r := rng.IntN(ranges) * mm.HPageNr
				if res := m.CollapseAnon(va(r), mm.HPageNr-1); res.OK() {
					counts["collapsed"]++
				} else {
					counts["collapse_"+res.String()]++
				}
			}
		}
		// Every page reads what the model says, whatever maps it now.
		for i := 0; i < pages && !t.Failed(); i++ {
			v, err := m.Load64(va(i) + 8)
			if model[i].mapped && (err != nil || v != model[i].val) {
				t.Errorf("final: page %d reads %#x, %v; model %#x", i, v, err, model[i].val)
			}
		}
		t.Logf("ops: %v; huge faults %d, splits %d", counts, mm.ThpStat.FaultAlloc.Load(), mm.ThpStat.Split.Load())
	})
}

// testHugeFaultRace: goroutines on every CPU fault the same HUGEPAGE range
// at once; exactly one huge page must win (the others' pages are freed)
// and every goroutine's writes must land in it.
func testHugeFaultRace(t *ktest.T) {
	withMM(t, 0, mm.ProtNone, func(m *mm.MM, _ uintptr) {
		base, _ := m.Mmap(hugeBase, 4*mm.HPageSize, mm.ProtRead|mm.ProtWrite, 0)
		m.Madvise(base, 4*mm.HPageSize, mm.VMHugepage, 0)
		anon0 := phys.Frames.Stats().ByKind[phys.KindAnon]
		n := 2 * smp.Count()
		var wg sync.WaitGroup
		start := make(chan struct{})
		for g := 0; g < n; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				m.Use()
				defer m.Unuse()
				<-start
				for r := 0; r < 4; r++ {
					for p := 0; p < 8; p++ {
						va := base + uintptr(r)*mm.HPageSize + uintptr(p*61)*phys.PageSize + uintptr(g)*8
						if err := m.Store64(va, uint64(g<<16|r<<8|p)); err != nil {
							t.Errorf("goroutine %d: store: %v", g, err)
							return
						}
					}
				}
			}()
		}
		close(start)
		wg.Wait()
		if a := phys.Frames.Stats().ByKind[phys.KindAnon] - anon0; a != 4*mm.HPageNr {
			t.Errorf("%d anonymous frames in use, want %d (four 2 MiB pages, the losers' freed)", a, 4*mm.HPageNr)
		}
		m.Use()
		defer m.Unuse()
		for r := 0; r < 4; r++ {
			if _, huge, _ := pmdOf(m, base+uintptr(r)*mm.HPageSize); !huge {
				t.Errorf("range %d is not mapped by a huge PMD", r)
			}
			for g := 0; g < n; g++ {
				for p := 0; p < 8; p++ {
					va := base + uintptr(r)*mm.HPageSize + uintptr(p*61)*phys.PageSize + uintptr(g)*8
					if v, err := m.Load64(va); err != nil || v != uint64(g<<16|r<<8|p) {
						t.Errorf("range %d page %d slot %d reads %#x, %v", r, p*61, g, v, err)
					}
				}
			}
		}
	})
}
