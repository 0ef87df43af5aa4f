// mremap.go: the mmap suite's mremap cases — growing in place and moving
// (MREMAP_MAYMOVE, MREMAP_FIXED, MREMAP_DONTUNMAP) with Linux's errnos, a
// huge PMD moved whole, running out of memory half way (the pages move
// back), and moves racing faults on every CPU.

package suites

import (
	"errors"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"retract/kernel/ktest"
	"retract/kernel/smp"
	"retract/mm"
	"retract/mm/phys"
)

func testMremap(t *ktest.T) {
	fileSetup(t, 16, func(file *mm.File) {
		withMM(t, 0, mm.ProtNone, func(m *mm.MM, _ uintptr) {
			a := mapAnon(t, m, 4)
			m.Munmap(a+pg, 3*pg)
			store(m, a+8, 'g')
			g, err := m.Mremap(a, pg, 3*pg, 0, 0)
			if g != a || err != nil || store(m, a+2*pg, 1) != nil {
				t.Errorf("grow in place: %#x, %v", g, err)
			}
			block, _ := m.DoMmap(a+3*pg, pg, mm.ProtRead, anonFlags()|mm.MapFixedNoreplace, nil, 0)
			_, err = m.Mremap(a, 3*pg, 8*pg, 0, 0)
			wantErrno(t, "grow blocked without MAYMOVE", err, mm.ENOMEM)
			mv, err := m.Mremap(a, 3*pg, 8*pg, mm.MremapMaymove, 0)
			if err != nil || mv == a {
				t.Fatalf("MREMAP_MAYMOVE: %#x, %v", mv, err)
			}
			if v, _ := load(m, mv+8); v != 'g' {
				t.Errorf("the moved page reads %#x", v)
			}
			if err := store(m, mv+7*pg, 1); err != nil {
				t.Errorf("the grown tail: %v", err)
			}
			if _, err := load(m, a); !errors.Is(err, mm.ErrFault) {
				t.Errorf("the old address after a move: %v, want no mapping", err)
			}
			sh, err := m.Mremap(mv, 8*pg, 2*pg, 0, 0)
			if sh != mv || err != nil {
				t.Errorf("shrink: %#x, %v", sh, err)
			}
			if _, err := load(m, mv+3*pg); !errors.Is(err, mm.ErrFault) {
				t.Errorf("past a shrink: %v, want no mapping", err)
			}
			target := mapAnon(t, m, 2)
			fx, err := m.Mremap(sh, 2*pg, 2*pg, mm.MremapMaymove|mm.MremapFixed, target)
			if fx != target || err != nil {
				t.Errorf("MREMAP_FIXED: %#x, %v; want %#x", fx, err, target)
			}
			if v, _ := load(m, fx+8); v != 'g' {
				t.Errorf("after MREMAP_FIXED: %#x", v)
			}
			du, err := m.Mremap(fx, 2*pg, 2*pg, mm.MremapMaymove|mm.MremapDontunmap, 0)
			if err != nil || du == fx {
				t.Errorf("MREMAP_DONTUNMAP: %#x, %v", du, err)
			}
			if v, err := load(m, fx+8); v != 0 || err != nil {
				t.Errorf("the old range after MREMAP_DONTUNMAP reads %#x, %v; want 0 (mapped, empty)", v, err)
			}
			if v, _ := load(m, du+8); v != 'g' {
				t.Errorf("the new range after MREMAP_DONTUNMAP: %#x", v)
			}
			iso, _ := m.DoMmap(hugeBase+100*mm.HPageSize, 2*pg, rw, anonFlags()|mm.MapFixed, nil, 0) // no neighbour to merge with
			for _, c := range []struct {
				what             string
				addr, oldL, newL uintptr
				flags            int
				newAddr          uintptr
				errno            int
			}{
				{"unaligned", iso + 1, pg, 2 * pg, mm.MremapMaymove, 0, mm.EINVAL},
				{"unknown flags", iso, pg, 2 * pg, 0x80, 0, mm.EINVAL},
				{"FIXED without MAYMOVE", iso, pg, pg, mm.MremapFixed, target, mm.EINVAL},
				{"DONTUNMAP with another length", iso, pg, 2 * pg, mm.MremapMaymove | mm.MremapDontunmap, 0, mm.EINVAL},
				{"new length 0", iso, pg, 0, 0, 0, mm.EINVAL},
				{"overlapping FIXED", iso, 2 * pg, 2 * pg, mm.MremapMaymove | mm.MremapFixed, iso + pg, mm.EINVAL},
				{"not mapped", hugeBase + 200*mm.HPageSize, pg, 2 * pg, mm.MremapMaymove, 0, mm.EFAULT},
				{"across the VMA's end", iso, 4 * pg, 8 * pg, mm.MremapMaymove, 0, mm.EFAULT},
				{"old length 0 of a private mapping", iso, 0, pg, mm.MremapMaymove, 0, mm.EINVAL},
			} {
				_, err := m.Mremap(c.addr, c.oldL, c.newL, c.flags, c.newAddr)
				wantErrno(t, "mremap "+c.what, err, c.errno)
			}
			// A file mapping moves with its offset and its i_mmap entry.
			f, _ := m.DoMmap(0, 8*pg, rw, mm.MapShared, file, 4*pg)
			fill(t, m, f, 8, 5)
			nf, err := m.Mremap(f+2*pg, 4*pg, 6*pg, mm.MremapMaymove, 0)
			if err != nil {
				t.Fatalf("moving a file mapping: %v", err)
			}
			var off uint64
			if v := vmasOf(m, nf, nf+1, false); len(v) == 1 {
				off = v[0].Pgoff * pg
			}
			if off != 6*pg {
				t.Errorf("the moved file mapping's offset is %#x, want %#x", off, 6*pg)
			}
			for i := uintptr(0); i < 4; i++ {
				if v, _ := load(m, nf+i*pg+5*8); v != uint64(i+2)<<8|5 {
					t.Errorf("moved file page %d reads %#x", i, v)
				}
			}
			if v, _ := load(m, nf+5*pg); v != 0 {
				t.Errorf("the grown part of the file mapping reads %#x, want the file's 0", v)
			}
			// oldLen 0 of a shared mapping: a second mapping of the same pages.
			dup, err := m.Mremap(nf, 0, pg, mm.MremapMaymove, 0)
			if err != nil || dup == nf {
				t.Errorf("mremap(oldLen 0) of a shared mapping: %#x, %v", dup, err)
			} else if v, _ := load(m, dup+5*8); v != 2<<8|5 {
				t.Errorf("the duplicate mapping reads %#x", v)
			}
			m.Munmap(f, 8*pg)
			m.Munmap(nf, 6*pg)
			m.Munmap(dup, pg)
			m.Munmap(block, pg)
			if n := len(file.Mappers()); n != 0 {
				t.Errorf("i_mmap still lists %d address spaces", n)
			}
		})
	})
}

func testMremapHuge(t *ktest.T) {
	withMM(t, 0, mm.ProtNone, func(m *mm.MM, _ uintptr) {
		a, _ := m.DoMmap(hugeBase, 2*mm.HPageSize, rw, anonFlags()|mm.MapFixed, nil, 0)
		m.Madvise(a, 2*mm.HPageSize, mm.VMHugepage, 0)
		fill(t, m, a, 2*mm.HPageNr, 1)
		rss := m.Counters().RSS
		to := uintptr(hugeBase + 64*mm.HPageSize)
		p0 := mm.MremapStat.PMDsMoved.Load()
		if r, err := m.Mremap(a, 2*mm.HPageSize, 2*mm.HPageSize, mm.MremapMaymove|mm.MremapFixed, to); r != to || err != nil {
			t.Fatalf("mremap: %#x, %v", r, err)
		}
		if n := mm.MremapStat.PMDsMoved.Load() - p0; n != 2 {
			t.Errorf("%d huge PMDs moved whole, want 2", n)
		}
		if _, huge, _ := pmdOf(m, to); !huge {
			t.Errorf("the moved range is not mapped by a huge PMD")
		}
		check(t, m, to, 2*mm.HPageNr, 1, "after moving huge PMDs")
		// To an address 4 KiB off a 2 MiB boundary: split, PTEs moved.
		odd := uintptr(hugeBase + 128*mm.HPageSize + pg)
		if r, err := m.Mremap(to, 2*mm.HPageSize, 2*mm.HPageSize, mm.MremapMaymove|mm.MremapFixed, odd); r != odd || err != nil {
			t.Fatalf("mremap: %#x, %v", r, err)
		}
		check(t, m, odd, 2*mm.HPageNr, 1, "after moving 4 KiB off alignment")
		if c := m.Counters(); c.RSS != rss {
			t.Errorf("RSS %d after the moves, was %d", c.RSS, rss)
		}
		m.Munmap(odd, 2*mm.HPageSize)
	})
}

// testMremapENOMEM makes a move run out of page tables at every point:
// each time the entries moved so far must move back, the data stay
// where they were, the new range stay unmapped and nothing leak.
func testMremapENOMEM(t *ktest.T) {
	withMM(t, 0, mm.ProtNone, func(m *mm.MM, _ uintptr) {
		from := uintptr(hugeBase + 0x100000)
		to := uintptr(hugeBase + 0x10000000) // the same 1 GiB: only PTs to allocate
		a, _ := m.DoMmap(from, 1500*pg, rw, anonFlags()|mm.MapFixed, nil, 0)
		fill(t, m, a, 1500, 1)
		anon0, tables0 := phys.Frames.Stats().ByKind[phys.KindAnon], mm.UserTables.Load()
		fails := 0
		for k := 0; ; k++ {
			mm.FailPageAlloc(k)
			r, err := m.Mremap(from, 1500*pg, 1500*pg, mm.MremapMaymove|mm.MremapFixed, to)
			mm.FailPageAlloc(-1)
			if err == nil {
				if r != to {
					t.Errorf("mremap: %#x, want %#x", r, to)
				}
				break
			}
			fails++
			wantErrno(t, "mremap without page tables", err, mm.ENOMEM)
			if a, n := phys.Frames.Stats().ByKind[phys.KindAnon], mm.UserTables.Load(); a != anon0 || n != tables0 {
				t.Fatalf("after a failed mremap (%d allocations): %d anonymous frames (was %d), %d tables (was %d)", k, a, anon0, n, tables0)
			}
			if _, err := load(m, to); !errors.Is(err, mm.ErrFault) {
				t.Fatalf("after a failed mremap the new range is mapped: %v", err)
			}
			check(t, m, from, 1500, 1, "the old range after a failed mremap")
			if k > 100 {
				t.Fatalf("mremap keeps failing")
			}
		}
		if fails < 3 {
			t.Errorf("only %d failure points (1500 pages need 4 page tables)", fails)
		}
		check(t, m, to, 1500, 1, "after the move")
	})
}

// testMremapDuringFaults: threads on every CPU read and write a region
// while the main goroutine moves it back and forth, between 2 MiB-aligned
// places (huge PMDs move whole) and places off alignment (split, PTEs
// move). A read either finds no mapping or the page's own data: the data
// move with the mapping.
func testMremapDuringFaults(t *ktest.T) {
	withMM(t, 0, mm.ProtNone, func(m *mm.MM, _ uintptr) {
		const pages = 2 * mm.HPageNr
		places := []uintptr{hugeBase, hugeBase + 8*mm.HPageSize, hugeBase + 16*mm.HPageSize + 5*pg}
		at := places[0]
		m.DoMmap(at, pages*pg, rw, anonFlags()|mm.MapFixed, nil, 0)
		m.Madvise(at, pages*pg, mm.VMHugepage, 0)
		fill(t, m, at, pages, 1)
		var ok, efault atomic.Uint64
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for g := 0; g < 2*smp.Count(); g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				m.Use()
				defer m.Unuse()
				rng := rand.New(rand.NewPCG(t.Seed(), uint64(g)))
				for {
					select {
					case <-stop:
						return
					default:
					}
					i := rng.IntN(pages)
					base := places[rng.IntN(len(places))]
					va := base + uintptr(i)*pg
					if rng.IntN(2) == 0 {
						if err := m.Store64(va+16, uint64(i)); err == nil {
							ok.Add(1)
						} else if errors.Is(err, mm.ErrFault) {
							efault.Add(1)
						} else {
							t.Errorf("store: %v", err)
							return
						}
						continue
					}
					v, err := m.Load64(va + 8)
					switch {
					case errors.Is(err, mm.ErrFault):
						efault.Add(1)
					case err != nil:
						t.Errorf("load: %v", err)
						return
					case v != uint64(i)<<8|1:
						t.Errorf("page %d at %#x reads %#x: the data did not move with the mapping", i, base, v)
						return
					default:
						ok.Add(1)
					}
				}
			}()
		}
		moves := 0
		for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline) && !t.Failed(); moves++ {
			to := places[(moves+1)%len(places)]
			if r, err := m.Mremap(at, pages*pg, pages*pg, mm.MremapMaymove|mm.MremapFixed, to); r != to || err != nil {
				t.Errorf("mremap %#x -> %#x: %#x, %v", at, to, r, err)
				break
			}
			at = to
			if moves%4 == 0 {
				m.CollapseAnon(at&^(mm.HPageSize-1)+mm.HPageSize, mm.HPageNr-1)
			}
		}
		close(stop)
		wg.Wait()
		t.Logf("%d moves; %d accesses found the data, %d no mapping; %d PMDs and %d PTEs moved", moves, ok.Load(), efault.Load(),
			mm.MremapStat.PMDsMoved.Load(), mm.MremapStat.PTEsMoved.Load())
		if moves == 0 || ok.Load() == 0 {
			t.Errorf("%d moves, %d accesses: the race did not run", moves, ok.Load())
		}
		check(t, m, at, pages, 1, "at the end")
	})
}
