// punch.go: the pagecache suite's hole-punching cases — fallocate
// (PUNCH_HOLE|KEEP_SIZE, and preallocation) and MADV_REMOVE on files that
// address spaces map: the pages in the hole leave the cache and every
// mapping, the edges are zeroed, a private mapping's copies stay, huge
// pages are split or dropped whole, and faults racing with punches never
// keep a page that left the cache.

package suites

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"retract/kernel/fs"
	"retract/kernel/ktest"
	"retract/kernel/smp"
	"retract/mm"
	"retract/mm/phys"
)

// punch is fallocate(PUNCH_HOLE|KEEP_SIZE) of [off, off+n).
func (p *pcFile) punch(t *ktest.T, off, n int64) {
	if err := fs.Fallocate(p.tk, p.fd, fs.FALLOC_FL_PUNCH_HOLE|fs.FALLOC_FL_KEEP_SIZE, off, n); err != nil {
		t.Fatalf("fallocate(PUNCH_HOLE) of %d bytes at %d: %v", n, off, err)
	}
}

// testPunchHoleMapped: an 8-page file mapped shared by two address
// spaces and privately by a third (with its own copy of page 3) gets a
// hole from the middle of page 1 to 100 bytes into page 5. Pages 2-4
// leave the cache and both shared mappings (three frames freed; the
// private copy stays, as Linux's hole keeps COW copies), the covered
// parts of pages 1 and 5 read zeros, the rest is intact, the size is the
// same, and the hole reads zeros through read() and every mapping.
// Preallocating it again makes its pages without touching the bytes
// around it.
func testPunchHoleMapped(t *ktest.T) {
	base := takeBaseline()
	p := createFile(t, "pc-punch")
	const pages = 8
	data := pattern(pages*phys.PageSize, 6)
	p.pwrite(t, data, 0)
	a, b, c := mapFile(t, p.mf, pages, true), mapFile(t, p.mf, pages, true), mapFile(t, p.mf, pages, false)
	for i := 0; i < pages; i++ {
		va := hugeBase + uintptr(i)*phys.PageSize
		for _, m := range []*mm.MM{a, b, c} {
			if v, err := load(m, va); err != nil || v != word(data, i*phys.PageSize) {
				t.Fatalf("page %d reads %#x, %v before the hole", i, v, err)
			}
		}
	}
	if err := store(c, hugeBase+3*phys.PageSize, 42); err != nil { // a private copy of page 3
		t.Fatalf("store: %v", err)
	}
	st0 := phys.Frames.Stats()
	lo, hi := int64(phys.PageSize+phys.PageSize/2), int64(5*phys.PageSize+100)
	p.punch(t, lo, hi-lo)
	st1 := phys.Frames.Stats()
	if d := st0.ByKind[phys.KindPageCache] - st1.ByKind[phys.KindPageCache]; d != 3 {
		t.Errorf("the hole freed %d page-cache frames, want 3 (pages 2-4)", d)
	}
	if d := st0.ByKind[phys.KindAnon] - st1.ByKind[phys.KindAnon]; d != 0 {
		t.Errorf("the hole freed %d anonymous frames, want 0 (the private copy stays)", d)
	}
	if p.mf.Size() != pages*phys.PageSize {
		t.Errorf("the hole changed the size to %d", p.mf.Size())
	}
	for _, m := range []*mm.MM{a, b} {
		for i := 2; i <= 4; i++ {
			va := hugeBase + uintptr(i)*phys.PageSize
			if mp := m.Dump(va, va+phys.PageSize, 1); len(mp) != 0 {
				t.Errorf("mm %d still maps page %d of the hole: %#x", m.ID, i, uint64(mp[0].PTE))
			}
		}
	}
	if v, err := load(c, hugeBase+3*phys.PageSize); err != nil || v != 42 {
		t.Errorf("the private copy of page 3 reads %#x, %v after the hole; want 42", v, err)
	}
	want := append([]byte{}, data...)
	clear(want[lo:hi])
	if got := p.pread(t, len(want), 0); string(got) != string(want) {
		t.Errorf("read() after the hole differs from the file with the range zeroed")
	}
	for _, off := range []int{0, phys.PageSize + 8, int(lo) - 8, int(lo), 2*phys.PageSize + 64, 4*phys.PageSize + 4088, 5*phys.PageSize + 96, int(hi), 7*phys.PageSize + 8} {
		for _, m := range []*mm.MM{a, b, c} {
			exp := word(want, off)
			if m == c && off/phys.PageSize == 3 {
				continue // its own copy
			}
			if v, err := load(m, hugeBase+uintptr(off)); err != nil || v != exp {
				t.Errorf("mm %d reads %#x, %v at %d after the hole; want %#x", m.ID, v, err, off, exp)
			}
		}
	}
	// Preallocate the file again: every page exists, the bytes stay.
	if err := fs.Fallocate(p.tk, p.fd, fs.FALLOC_FL_KEEP_SIZE, 0, pages*phys.PageSize); err != nil {
		t.Errorf("fallocate(KEEP_SIZE): %v", err)
	}
	if n := p.mf.CachedPages(); n != pages {
		t.Errorf("after preallocating, %d pages cached; want %d", n, pages)
	}
	if got := p.pread(t, len(want), 0); string(got) != string(want) {
		t.Errorf("preallocating changed the file's bytes")
	}
	for _, m := range []*mm.MM{a, b, c} {
		m.Destroy()
	}
	p.remove(t)
	base.verify(t)
}

// testPunchHoleHuge: a 4 MiB file collapsed into two huge pages mapped by
// PMDs gets a hole from 1 MiB to its end: the first huge page is split
// (its first 256 pages stay), the second leaves whole without a split;
// 768 frames are freed, the PMD of the second is cleared, and the hole
// reads zeros while the head reads its data.
func testPunchHoleHuge(t *ktest.T) {
	base := takeBaseline()
	p, data, m := hugeFile(t, "pc-punch-huge", 7)
	split0, pc0 := mm.ThpStat.SplitPage.Load(), phys.Frames.Stats().ByKind[phys.KindPageCache]
	p.punch(t, mm.HPageSize/2, 3*mm.HPageSize/2)
	if n := mm.ThpStat.SplitPage.Load() - split0; n != 1 {
		t.Errorf("%d huge pages split, want 1 (the one the hole begins in)", n)
	}
	if n := pc0 - phys.Frames.Stats().ByKind[phys.KindPageCache]; n != mm.HPageNr+mm.HPageNr/2 {
		t.Errorf("%d page-cache frames freed, want %d", n, mm.HPageNr+mm.HPageNr/2)
	}
	if pmd, _, _ := pmdOf(m, hugeBase+mm.HPageSize); pmd != 0 {
		t.Errorf("the second huge page's PMD is %#x after the hole, want none", pmd)
	}
	if n := p.mf.CachedPages(); n != mm.HPageNr/2 {
		t.Errorf("%d pages cached after the hole, want %d", n, mm.HPageNr/2)
	}
	for _, off := range []int{0, 100 * phys.PageSize, mm.HPageSize/2 - 8} {
		if v, err := load(m, hugeBase+uintptr(off)); err != nil || v != word(data, off) {
			t.Errorf("offset %#x below the hole: %#x, %v; want %#x", off, v, err, word(data, off))
		}
	}
	for _, off := range []uintptr{mm.HPageSize / 2, mm.HPageSize - 8, mm.HPageSize, 2*mm.HPageSize - 8} {
		if v, err := load(m, hugeBase+off); err != nil || v != 0 {
			t.Errorf("offset %#x in the hole: %#x, %v; want 0", off, v, err)
		}
	}
	m.Destroy()
	p.remove(t)
	base.verify(t)
}

// testMadvRemove: MADV_REMOVE through one shared mapping punches the hole
// in the file behind it, for every mapping: the other address space's
// pages go too and both read zeros. A read-only shared mapping is
// EACCES (Linux wants VM_SHARED|VM_WRITE).
func testMadvRemove(t *ktest.T) {
	base := takeBaseline()
	p := createFile(t, "pc-madv-remove")
	const pages = 16
	data := pattern(pages*phys.PageSize, 8)
	p.pwrite(t, data, 0)
	a, b := mapFile(t, p.mf, pages, true), mapFile(t, p.mf, pages, true)
	for i := 0; i < pages; i++ {
		if _, err := load(b, hugeBase+uintptr(i)*phys.PageSize); err != nil {
			t.Fatalf("load: %v", err)
		}
	}
	pc0 := phys.Frames.Stats().ByKind[phys.KindPageCache]
	if err := a.DoMadvise(hugeBase+4*phys.PageSize, 8*phys.PageSize, mm.MadvRemove); err != nil {
		t.Fatalf("MADV_REMOVE: %v", err)
	}
	if n := pc0 - phys.Frames.Stats().ByKind[phys.KindPageCache]; n != 8 {
		t.Errorf("MADV_REMOVE freed %d page-cache frames, want 8", n)
	}
	if mp := b.Dump(hugeBase+4*phys.PageSize, hugeBase+12*phys.PageSize, 1); len(mp) != 0 {
		t.Errorf("the other address space still maps %#x of the hole", mp[0].VA)
	}
	for i := 0; i < pages; i++ {
		exp := word(data, i*phys.PageSize+16)
		if i >= 4 && i < 12 {
			exp = 0
		}
		for _, m := range []*mm.MM{a, b} {
			if v, err := load(m, hugeBase+uintptr(i)*phys.PageSize+16); err != nil || v != exp {
				t.Errorf("mm %d page %d: %#x, %v; want %#x", m.ID, i, v, err, exp)
			}
		}
	}
	if err := a.Mprotect(hugeBase, pages*phys.PageSize, mm.ProtRead); err != nil {
		t.Fatalf("mprotect: %v", err)
	}
	wantErrno(t, "REMOVE through a read-only shared mapping", a.DoMadvise(hugeBase, phys.PageSize, mm.MadvRemove), mm.EACCES)
	a.Destroy()
	b.Destroy()
	p.remove(t)
	base.verify(t)
}

// testPunchDuringFaults: goroutines on every CPU read and write a 4 MiB
// file through shared mappings while another punches random holes in it
// (one in four spanning a whole 2 MiB chunk); faults sleep between
// finding their page and mapping it (delay point fault.after_find_page). Every access succeeds (a
// hole is not the end of the file). At the end one hole covers the whole
// file: no mapping of it survives, the cache is empty and every frame
// is back — a fault that found a page before a punch took it never maps
// it after.
func testPunchDuringFaults(t *ktest.T) {
	base := takeBaseline()
	p := createFile(t, "pc-punch-race")
	const pages = 2 * mm.HPageNr
	p.pwrite(t, pattern(pages*phys.PageSize, 9), 0)
	workers := 2 * smp.Count()
	mms := make([]*mm.MM, workers)
	for i := range mms {
		mms[i] = mapFile(t, p.mf, pages, true)
	}
	// Faults sleep between finding their page and mapping it, so that
	// punches meet faults in that window all the time.
	if err := mm.SetDelay("fault.after_find_page", 200); err != nil {
		t.Fatalf("%v", err)
	}
	defer mm.SetDelay("fault.after_find_page", 0)
	stop := time.Now().Add(3 * time.Second)
	var wg sync.WaitGroup
	var accesses, other atomic.Uint64
	var firstErr atomic.Value
	for g := 0; g < workers; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m := mms[g]
			rng := rand.New(rand.NewPCG(t.Seed(), uint64(g)))
			m.Use()
			defer m.Unuse()
			for time.Now().Before(stop) {
				va := hugeBase + uintptr(rng.IntN(pages))*phys.PageSize + uintptr(rng.IntN(phys.PageSize/8))*8
				var err error
				if rng.IntN(2) == 0 {
					_, err = m.Load64(va)
				} else {
					err = m.Store64(va, uint64(g)+1)
				}
				accesses.Add(1)
				if err != nil {
					other.Add(1)
					firstErr.CompareAndSwap(nil, fmt.Errorf("access at %#x: %w", va, err))
				}
			}
		}()
	}
	rng := rand.New(rand.NewPCG(t.Seed(), 77))
	punches := 0
	for time.Now().Before(stop) {
		var off, n int64
		if rng.IntN(4) == 0 {
			off, n = int64(rng.IntN(2))*mm.HPageSize, mm.HPageSize
		} else {
			off = int64(rng.IntN(pages * phys.PageSize))
			n = 1 + int64(rng.IntN(64*phys.PageSize))
		}
		p.punch(t, off, n)
		punches++
		time.Sleep(time.Millisecond)
	}
	wg.Wait()
	if err, _ := firstErr.Load().(error); err != nil {
		t.Errorf("%d of %d accesses failed; the first: %v", other.Load(), accesses.Load(), err)
	}
	t.Logf("%d accesses, %d holes punched", accesses.Load(), punches)
	if accesses.Load() == 0 || punches == 0 {
		t.Errorf("the race did not happen: %d accesses, %d holes", accesses.Load(), punches)
	}
	p.punch(t, 0, pages*phys.PageSize)
	for _, m := range mms {
		if mp := m.Dump(hugeBase, hugeBase+pages*phys.PageSize, 1); len(mp) != 0 {
			t.Errorf("mm %d maps %#x (PTE %#x) after the whole file was punched out", m.ID, mp[0].VA, uint64(mp[0].PTE))
		}
	}
	if n := p.mf.CachedPages(); n != 0 {
		t.Errorf("%d pages cached after the whole file was punched out", n)
	}
	for _, m := range mms {
		m.Destroy()
	}
	if b := p.pread(t, 8, 0); word(b, 0) != 0 {
		t.Errorf("the punched-out file reads %#x", word(b, 0))
	}
	p.remove(t)
	base.verify(t)
}
