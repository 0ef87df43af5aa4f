// fork_race.go: the fork suite's concurrent cases — copy on write on
// every CPU at once, fork while the parent's threads fault, and fork
// while khugepaged-style collapses run on the same memory.

package suites

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"retract/kernel/ktest"
	"retract/kernel/smp"
	"retract/mm"
	"retract/mm/phys"
	"retract/rcu"
)

// testCOWAllCPUs: 2 children per CPU and the parent write every page of a
// region they all share, at once. Each must read back its own values and
// the parent's data; every first write of a page by an mm is a copy or a
// reuse, and each page can be reused at most once.
func testCOWAllCPUs(t *ktest.T) {
	withMM(t, 0, mm.ProtNone, func(p *mm.MM, _ uintptr) {
		const pages = 256
		base := mapAnon(t, p, pages)
		fill(t, p, base, pages, 1)
		n := 2 * smp.Count()
		kids := make([]*mm.MM, n)
		for i := range kids {
			kids[i] = fork(t, p)
		}
		var copies0, reuse0 uint64
		all := append([]*mm.MM{p}, kids...)
		for _, m := range all {
			copies0 += m.Stats.CowCopy.Load()
			reuse0 += m.Stats.CowReuse.Load()
		}
		var wg sync.WaitGroup
		start := make(chan struct{})
		for g, m := range all {
			wg.Add(1)
			go func() {
				defer wg.Done()
				m.Use()
				defer m.Unuse()
				rng := rand.New(rand.NewPCG(t.Seed(), uint64(g)))
				order := rng.Perm(pages)
				<-start
				for r := 0; r < 3; r++ {
					for _, i := range order {
						va := base + uintptr(i)*phys.PageSize
						if err := m.Store64(va+16, uint64(g)<<32|uint64(r)<<16|uint64(i)); err != nil {
							t.Errorf("mm %d: store to page %d: %v", g, i, err)
							return
						}
					}
				}
				for i := 0; i < pages; i++ {
					va := base + uintptr(i)*phys.PageSize
					if v, _ := m.Load64(va + 16); v != uint64(g)<<32|2<<16|uint64(i) {
						t.Errorf("mm %d: page %d reads %#x, want its own last write", g, i, v)
						return
					}
					if v, _ := m.Load64(va + 8); v != uint64(i)<<8|1 {
						t.Errorf("mm %d: page %d reads %#x where the parent wrote before the forks", g, i, v)
						return
					}
				}
			}()
		}
		close(start)
		wg.Wait()
		var copies, reuse uint64
		for _, m := range all {
			copies += m.Stats.CowCopy.Load()
			reuse += m.Stats.CowReuse.Load()
		}
		copies, reuse = copies-copies0, reuse-reuse0
		t.Logf("%d address spaces × %d pages: %d copies, %d reuses", len(all), pages, copies, reuse)
		if copies+reuse != uint64(len(all)*pages) || reuse > pages {
			t.Errorf("%d copies + %d reuses for %d first writes (at most %d reuses)", copies, reuse, len(all)*pages, pages)
		}
		for _, k := range kids {
			k.Destroy()
		}
	})
}

// testForkDuringFaults: threads of the parent (goroutines on every CPU)
// keep incrementing and checking counters in their own pages while the
// main goroutine forks, again and again. Each child must see, for every
// counter, a value the thread had written by the time the fork returned
// and not before it began — and must keep seeing it while the parent
// goes on (copy on write isolates them); the parent's threads never lose
// a write.
func testForkDuringFaults(t *ktest.T) {
	withMM(t, 0, mm.ProtNone, func(p *mm.MM, _ uintptr) {
		threads := 2 * smp.Count()
		const pagesPer = 16
		base := mapAnon(t, p, threads*pagesPer)
		slot := func(g, i int) uintptr { return base + uintptr(g*pagesPer+i)*phys.PageSize + 8 }
		started := make([]atomic.Uint64, threads) // the value a thread is about to write
		done := make([]atomic.Uint64, threads)    // the last value it wrote and read back
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for g := 0; g < threads; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				p.Use()
				defer p.Unuse()
				for v := uint64(1); ; v++ {
					select {
					case <-stop:
						return
					default:
					}
					started[g].Store(v)
					for i := 0; i < pagesPer; i++ {
						if err := p.Store64(slot(g, i), v); err != nil {
							t.Errorf("thread %d: store: %v", g, err)
							return
						}
					}
					for i := 0; i < pagesPer; i++ {
						if got, _ := p.Load64(slot(g, i)); got != v {
							t.Errorf("thread %d: page %d reads %d right after writing %d: a write was lost", g, i, got, v)
							return
						}
					}
					done[g].Store(v)
				}
			}()
		}
		forks := 0
		for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline) && !t.Failed(); forks++ {
			before := make([]uint64, threads)
			for g := range before {
				before[g] = done[g].Load()
			}
			c, err := p.Fork()
			if err != nil {
				t.Errorf("Fork: %v", err)
				break
			}
			after := make([]uint64, threads)
			for g := range after {
				after[g] = started[g].Load()
			}
			seen := make([]uint64, threads*pagesPer)
			c.Use()
			for g := 0; g < threads; g++ {
				for i := 0; i < pagesPer; i++ {
					v, err := c.Load64(slot(g, i))
					seen[g*pagesPer+i] = v
					if err != nil || v < before[g] || v > after[g] {
						t.Errorf("fork %d: the child reads %d (%v) for thread %d page %d; the thread had written %d before the fork and began %d after it",
							forks, v, err, g, i, before[g], after[g])
					}
				}
			}
			c.Unuse()
			time.Sleep(time.Millisecond) // the parent's threads go on writing
			c.Use()
			for g := 0; g < threads; g++ {
				for i := 0; i < pagesPer; i++ {
					if v, _ := c.Load64(slot(g, i)); v != seen[g*pagesPer+i] {
						t.Errorf("fork %d: thread %d page %d changed in the child from %d to %d: the parent's write leaked", forks, g, i, seen[g*pagesPer+i], v)
					}
				}
			}
			c.Unuse()
			c.Destroy()
		}
		close(stop)
		wg.Wait()
		var writes uint64
		for g := range done {
			writes += done[g].Load()
		}
		t.Logf("%d forks while %d threads made %d rounds of writes", forks, threads, writes)
		if forks == 0 || writes == 0 {
			t.Errorf("%d forks, %d write rounds: the race did not run", forks, writes)
		}
	})
}

// testForkDuringCollapse forks a parent again and again while its huge
// ranges are collapsed — anonymous ones by khugepaged's own rounds, a
// private file mapping's by File.Collapse, which retracts tables through
// i_mmap without any mmap_lock — and split again, while a thread of the
// parent writes. Every child must see the parent's data exactly.
func testForkDuringCollapse(t *ktest.T) {
	fileSetup(t, 2*mm.HPageNr, func(file *mm.File) {
		withMM(t, 0, mm.ProtNone, func(p *mm.MM, _ uintptr) {
			anon, err := p.DoMmap(hugeBase, 2*mm.HPageSize, rw, mm.MapPrivate|mm.MapAnonymous|mm.MapFixed, nil, 0)
			if err != nil {
				t.Fatalf("DoMmap: %v", err)
			}
			shr, _ := p.DoMmap(hugeBase+4*mm.HPageSize, 2*mm.HPageSize, rw, mm.MapShared|mm.MapFixed, file, 0)
			priv, _ := p.DoMmap(hugeBase+8*mm.HPageSize, 2*mm.HPageSize, mm.ProtRead, mm.MapPrivate|mm.MapFixed, file, 0)
			fill(t, p, anon, 2*mm.HPageNr, 1) // small pages first, then advice
			fill(t, p, shr, 2*mm.HPageNr, 2)
			check(t, p, priv, 2*mm.HPageNr, 2, "the private file mapping")
			p.Madvise(anon, 2*mm.HPageSize, mm.VMHugepage, 0)
			k := &mm.Khugepaged
			shared0 := k.MaxPtesShared.Load()
			k.MaxPtesShared.Store(mm.HPageNr - 1) // children share everything: collapse anyway
			defer k.MaxPtesShared.Store(shared0)
			a0, f0 := mm.CollapseStat.Anon.Load(), mm.CollapseStat.File.Load()
			stop := make(chan struct{})
			var wg sync.WaitGroup
			wg.Add(3)
			go func() { // khugepaged's rounds, synchronously
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					mm.KhugepagedScan(4 * mm.HPageNr)
					// Split the second huge page again (a VMA boundary in it).
					p.Mprotect(anon+mm.HPageSize+7*phys.PageSize, phys.PageSize, mm.ProtRead)
					p.Mprotect(anon+mm.HPageSize+7*phys.PageSize, phys.PageSize, rw)
					time.Sleep(time.Millisecond)
				}
			}()
			go func() { // file collapse and split
				defer wg.Done()
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					idx := uint64(i%2) * mm.HPageNr
					if file.IsHuge(idx) {
						file.SplitHugePage(idx)
					} else {
						file.Collapse(idx, 0)
					}
					time.Sleep(time.Millisecond)
				}
			}()
			go func() { // a thread of the parent
				defer wg.Done()
				p.Use()
				defer p.Unuse()
				for r := uint64(0); ; r++ {
					select {
					case <-stop:
						return
					default:
					}
					for i := 0; i < 2*mm.HPageNr; i += 37 {
						p.Store64(anon+uintptr(i)*phys.PageSize+16, r)
						p.Load64(priv + uintptr(i)*phys.PageSize)
					}
				}
			}()
			// 4 s of forks, longer (up to 60 s) until both collapsers have
			// done at least one: on one CPU under a loaded host the
			// khugepaged goroutine can go 4 s without finishing a round.
			forks := 0
			start := time.Now()
			raced := func() bool {
				return mm.CollapseStat.Anon.Load() != a0 && mm.CollapseStat.File.Load() != f0
			}
			for ; (time.Since(start) < 4*time.Second || !raced()) && time.Since(start) < time.Minute && !t.Failed(); forks++ {
				c, err := p.Fork()
				if err != nil {
					t.Errorf("Fork: %v", err)
					break
				}
				check(t, c, anon, 2*mm.HPageNr, 1, "the child's anonymous memory")
				check(t, c, priv, 2*mm.HPageNr, 2, "the child's private file mapping")
				check(t, c, shr, 2*mm.HPageNr, 2, "the child's shared file mapping")
				c.Destroy()
			}
			close(stop)
			wg.Wait()
			check(t, p, anon, 2*mm.HPageNr, 1, "the parent's anonymous memory")
			check(t, p, priv, 2*mm.HPageNr, 2, "the parent's private file mapping")
			anonC, fileC := mm.CollapseStat.Anon.Load()-a0, mm.CollapseStat.File.Load()-f0
			t.Logf("%d forks; %d anonymous and %d file collapses meanwhile", forks, anonC, fileC)
			if forks == 0 || anonC == 0 || fileC == 0 {
				t.Errorf("%d forks, %d anonymous and %d file collapses: the race did not run", forks, anonC, fileC)
			}
			p.Munmap(shr, 2*mm.HPageSize)
			p.Munmap(priv, 2*mm.HPageSize)
			rcu.Barrier() // retracted tables wait for a grace period
		})
	})
}
