// pagecache.go: the pagecache suite — every regular file of the VFS is an
// mm.File: bytes written through fs are what a mapping reads and the
// other way round, holes cost nothing, truncating a mapped file unmaps
// the pages past the end from every address space (the next access is
// SIGBUS, the frames go), a huge page that straddles the new end is
// split, a file written with write() is collapsed by khugepaged and by
// MADV_COLLAPSE with its tables retracted, and faults, writes and
// truncates race on every CPU without a mapping past the end surviving a
// truncate; holes punched with fallocate and MADV_REMOVE (punch.go).
// Every case ends with every frame back.

package suites

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"retract/kernel/abi"
	"retract/kernel/fs"
	"retract/kernel/ktest"
	"retract/kernel/pagecache"
	"retract/kernel/rootfs"
	"retract/kernel/smp"
	"retract/mm"
	"retract/mm/phys"
	"retract/rcu"
)

func init() {
	ktest.Register(ktest.Suite{
		Name: "pagecache",
		Doc:  "regular files in the page cache: write then map, holes, truncate of mapped files (SIGBUS), huge pages, collapse of written files, punched holes (fallocate, MADV_REMOVE), races",
		Cases: []ktest.Case{
			{Name: "write_then_map", Fn: testWriteThenMap},
			{Name: "holes_cost_nothing", Fn: testHoles},
			{Name: "unpack_archive_into_page_cache", Fn: testUnpackArchive},
			{Name: "truncate_mapped_sigbus", Fn: testTruncateMapped},
			{Name: "truncate_splits_huge_page", Fn: testTruncateHuge},
			{Name: "collapse_written_file", Fn: testCollapseWrittenFile, Timeout: 5 * time.Minute},
			{Name: "truncate_during_faults", Fn: testTruncateDuringFaults, Timeout: 5 * time.Minute},
			{Name: "punch_hole_mapped", Fn: testPunchHoleMapped},
			{Name: "punch_hole_huge", Fn: testPunchHoleHuge},
			{Name: "madv_remove", Fn: testMadvRemove},
			{Name: "punch_during_faults", Fn: testPunchDuringFaults, Timeout: 5 * time.Minute},
		},
	})
}

// leakBaseline is what must come back at the end of a case.
type leakBaseline struct {
	pagecache, anon uint64
	tables          int64
	violations      uint64
}

func takeBaseline() leakBaseline {
	rcu.Barrier()
	st := phys.Frames.Stats()
	return leakBaseline{st.ByKind[phys.KindPageCache], st.ByKind[phys.KindAnon], mm.UserTables.Load(), mm.Violations.Load()}
}

// verify checks, after deferred frees ran, that every page-cache page,
// anonymous page and page table is back, no debug check fired, and the
// allocator is consistent.
func (b leakBaseline) verify(t *ktest.T) {
	rcu.Barrier()
	st := phys.Frames.Stats()
	if pc := st.ByKind[phys.KindPageCache]; pc != b.pagecache {
		t.Errorf("page-cache frames: %d before, %d after", b.pagecache, pc)
	}
	if a := st.ByKind[phys.KindAnon]; a != b.anon {
		t.Errorf("anonymous frames: %d before, %d after", b.anon, a)
	}
	if n := mm.UserTables.Load(); n != b.tables {
		t.Errorf("user page tables: %d before, %d after", b.tables, n)
	}
	if v := mm.Violations.Load() - b.violations; v != 0 {
		t.Errorf("%d page-table debug check violations", v)
	}
	if msg := phys.Frames.Check(); msg != "" {
		t.Errorf("frame allocator: %s", msg)
	}
}

// vfsTask returns a task at the root of the kernel's namespace.
func vfsTask(t *ktest.T) *fs.Task {
	if rootfs.VFS == nil {
		t.Fatalf("no namespace: rootfs.Init did not run")
	}
	return rootfs.VFS.NewTask()
}

// pcFile is a file of /tmp opened read-write, with its page cache.
type pcFile struct {
	tk   *fs.Task
	fd   int
	path string
	f    *fs.File // a reference, as a mapping keeps one
	mf   *mm.File
}

// createFile creates /tmp/NAME (removing what was there) and opens it.
func createFile(t *ktest.T, name string) *pcFile {
	tk := vfsTask(t)
	path := "/tmp/" + name
	fs.Unlinkat(tk, abi.AT_FDCWD, path, 0)
	fd, err := fs.Openat(tk, abi.AT_FDCWD, path, abi.O_CREAT|abi.O_EXCL|abi.O_RDWR, 0o644)
	if err != nil {
		t.Fatalf("creating %s: %v", path, err)
	}
	f, err := tk.Files.Get(fd)
	if err != nil {
		t.Fatalf("%v", err)
	}
	mf, ok := pagecache.FileOf(f)
	if !ok {
		t.Fatalf("%s is not in the page cache (fs.NewData was not set at boot)", path)
	}
	return &pcFile{tk: tk, fd: fd, path: path, f: f, mf: mf}
}

// remove closes and unlinks the file: with no name, no descriptor and
// no reference left its page cache is released.
func (p *pcFile) remove(t *ktest.T) {
	p.f.Put()
	if err := fs.Close(p.tk, p.fd); err != nil {
		t.Errorf("close: %v", err)
	}
	if err := fs.Unlinkat(p.tk, abi.AT_FDCWD, p.path, 0); err != nil {
		t.Errorf("unlink: %v", err)
	}
}

func (p *pcFile) pwrite(t *ktest.T, b []byte, off int64) {
	if n, err := fs.Pwrite64(p.tk, p.fd, b, off); n != len(b) || err != nil {
		t.Fatalf("pwrite of %d bytes at %d: %d, %v", len(b), off, n, err)
	}
}

func (p *pcFile) pread(t *ktest.T, n int, off int64) []byte {
	b := make([]byte, n)
	k, err := fs.Pread64(p.tk, p.fd, b, off)
	if err != nil {
		t.Fatalf("pread at %d: %v", off, err)
	}
	return b[:k]
}

func (p *pcFile) truncate(t *ktest.T, size int64) {
	if err := fs.Ftruncate(p.tk, p.fd, size); err != nil {
		t.Fatalf("ftruncate to %d: %v", size, err)
	}
}

// pattern is n bytes that differ from page to page and within each.
func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7+i/4096) ^ seed
	}
	return b
}

// word is the little-endian word of b at off.
func word(b []byte, off int) uint64 {
	var v uint64
	for i := 7; i >= 0; i-- {
		v = v<<8 | uint64(b[off+i])
	}
	return v
}

// mapFile maps n pages of f in a new address space (shared or private)
// at hugeBase.
func mapFile(t *ktest.T, mf *mm.File, pages int, shared bool) *mm.MM {
	m, err := mm.New()
	if err != nil {
		t.Fatalf("mm.New: %v", err)
	}
	if _, err := m.MmapFile(hugeBase, uintptr(pages)*phys.PageSize, mm.ProtRead|mm.ProtWrite, shared, mf, 0); err != nil {
		m.Destroy()
		t.Fatalf("MmapFile: %v", err)
	}
	return m
}

// testWriteThenMap: what write() put in a file is what a mapping of it
// reads, a store through the mapping is what pread() returns, the PTEs
// map the page-cache frames themselves, the partial last page reads
// zeros past the end, and the page past it is SIGBUS.
func testWriteThenMap(t *ktest.T) {
	base := takeBaseline()
	p := createFile(t, "pc-map")
	data := pattern(3*phys.PageSize+100, 1)
	p.pwrite(t, data, 0)
	if p.mf.Size() != int64(len(data)) || p.mf.Pages() != 4 {
		t.Errorf("after the write the file has %d bytes, %d pages; want %d, 4", p.mf.Size(), p.mf.Pages(), len(data))
	}
	m := mapFile(t, p.mf, 5, true)
	for _, off := range []int{0, 8, phys.PageSize + 16, 2*phys.PageSize + 4000, 3*phys.PageSize + 88} {
		if v, err := load(m, hugeBase+uintptr(off)); err != nil || v != word(data, off) {
			t.Errorf("the mapping reads %#x, %v at %d; write() put %#x there", v, err, off, word(data, off))
		}
	}
	if v, err := load(m, hugeBase+3*phys.PageSize+200); err != nil || v != 0 {
		t.Errorf("past the end in the last page: %#x, %v; want 0", v, err)
	}
	if _, err := load(m, hugeBase+4*phys.PageSize); !errors.Is(err, mm.ErrSigbus) {
		t.Errorf("the page past the end of the file: %v, want SIGBUS", err)
	}
	if err := store(m, hugeBase+phys.PageSize+24, 0x1122334455667788); err != nil {
		t.Fatalf("store through the mapping: %v", err)
	}
	if got := word(p.pread(t, 8, phys.PageSize+24), 0); got != 0x1122334455667788 {
		t.Errorf("pread after a store through the mapping: %#x", got)
	}
	e, _ := m.Walk(hugeBase + phys.PageSize)
	if pfn, ok := p.mf.Cached(1); !ok || mm.PtePFN(e[3]) != pfn {
		t.Errorf("the PTE maps frame %#x, the page cache holds %#x (%v)", mm.PtePFN(e[3]), pfn, ok)
	}
	if m.Stats.SIGBUS.Load() != 1 {
		t.Errorf("%d SIGBUS faults counted, want 1", m.Stats.SIGBUS.Load())
	}
	m.Destroy()
	p.remove(t)
	base.verify(t)
}

// testHoles: a write far into a file makes one page; reading the hole
// returns zeros and makes none; stat counts the one page.
func testHoles(t *ktest.T) {
	base := takeBaseline()
	p := createFile(t, "pc-holes")
	p.pwrite(t, []byte{0x5a}, 1<<20)
	if p.mf.Size() != 1<<20+1 || p.mf.CachedPages() != 1 {
		t.Errorf("size %d, %d pages cached; want %d, 1", p.mf.Size(), p.mf.CachedPages(), 1<<20+1)
	}
	if b := p.pread(t, 3*phys.PageSize, 4096); !bytes.Equal(b, make([]byte, 3*phys.PageSize)) {
		t.Errorf("the hole does not read as zeros")
	}
	if n := p.mf.CachedPages(); n != 1 {
		t.Errorf("reading the hole cached %d pages", n-1)
	}
	if b := p.pread(t, 10, 1<<20); len(b) != 1 || b[0] != 0x5a {
		t.Errorf("reading across the end: % x, want 5a", b)
	}
	st, err := fs.Fstat(p.tk, p.fd)
	if err != nil || st.Blocks != 8 || st.Size != 1<<20+1 {
		t.Errorf("fstat: %d blocks, size %d, %v; want 8 blocks (one page)", st.Blocks, st.Size, err)
	}
	p.remove(t)
	base.verify(t)
}

// testTruncateMapped: a file mapped shared by two address spaces and
// privately (with a private copy of one page) by a third shrinks to 3.5
// pages: in every one the pages past the end are SIGBUS — the private
// copy included — while the partial last page reads its head and zeros
// past the end; the frames of the dropped pages and the copy are freed.
// Grown again, the file reads zeros there.
func testTruncateMapped(t *ktest.T) {
	base := takeBaseline()
	p := createFile(t, "pc-trunc")
	const pages = 8
	data := pattern(pages*phys.PageSize, 2)
	p.pwrite(t, data, 0)
	a, b, c := mapFile(t, p.mf, pages, true), mapFile(t, p.mf, pages, true), mapFile(t, p.mf, pages, false)
	for i := 0; i < pages; i++ {
		va := hugeBase + uintptr(i)*phys.PageSize
		for _, m := range []*mm.MM{a, b, c} {
			if v, err := load(m, va); err != nil || v != word(data, i*phys.PageSize) {
				t.Fatalf("page %d reads %#x, %v before the truncate", i, v, err)
			}
		}
	}
	if err := store(c, hugeBase+6*phys.PageSize, 42); err != nil { // a private copy of page 6
		t.Fatalf("store: %v", err)
	}
	st0 := phys.Frames.Stats()
	const size = 3*phys.PageSize + phys.PageSize/2
	p.truncate(t, size)
	st1 := phys.Frames.Stats()
	if d := st0.ByKind[phys.KindPageCache] - st1.ByKind[phys.KindPageCache]; d != 4 {
		t.Errorf("the truncate freed %d page-cache frames, want 4 (pages 4-7)", d)
	}
	if d := st0.ByKind[phys.KindAnon] - st1.ByKind[phys.KindAnon]; d != 1 {
		t.Errorf("the truncate freed %d anonymous frames, want 1 (the private copy of page 6)", d)
	}
	for name, m := range map[string]*mm.MM{"a": a, "b": b, "c (private)": c} {
		for i := 4; i < pages; i++ {
			va := hugeBase + uintptr(i)*phys.PageSize
			if mp := m.Dump(va, va+phys.PageSize, 1); len(mp) != 0 {
				t.Errorf("mm %s still maps page %d past the end: %#x", name, i, uint64(mp[0].PTE))
			}
			if _, err := load(m, va); !errors.Is(err, mm.ErrSigbus) {
				t.Errorf("mm %s, page %d past the end: %v, want SIGBUS", name, i, err)
			}
			if err := store(m, va, 1); !errors.Is(err, mm.ErrSigbus) {
				t.Errorf("mm %s, store to page %d past the end: %v, want SIGBUS", name, i, err)
			}
		}
		last := uintptr(hugeBase + 3*phys.PageSize)
		if v, err := load(m, last+8); err != nil || v != word(data, 3*phys.PageSize+8) {
			t.Errorf("mm %s: the last page's head reads %#x, %v", name, v, err)
		}
		if v, err := load(m, last+phys.PageSize/2+8); err != nil || v != 0 {
			t.Errorf("mm %s: the last page past the end reads %#x, %v; want 0", name, v, err)
		}
	}
	p.truncate(t, pages*phys.PageSize)
	for i := 4; i < pages; i++ {
		if v, err := load(a, hugeBase+uintptr(i)*phys.PageSize+16); err != nil || v != 0 {
			t.Errorf("page %d after growing again: %#x, %v; want 0", i, v, err)
		}
	}
	if b := p.pread(t, phys.PageSize/2, size); !bytes.Equal(b, make([]byte, phys.PageSize/2)) {
		t.Errorf("the old tail of the last page came back after growing")
	}
	for _, m := range []*mm.MM{a, b, c} {
		m.Destroy()
	}
	p.remove(t)
	base.verify(t)
}

// hugeFile makes /tmp/NAME of 4 MiB (pattern seed), maps it shared in a
// new address space at hugeBase and collapses it into two huge pages
// mapped by PMDs (MADV_COLLAPSE), checking each.
func hugeFile(t *ktest.T, name string, seed byte) (*pcFile, []byte, *mm.MM) {
	p := createFile(t, name)
	data := pattern(2*mm.HPageSize, seed)
	p.pwrite(t, data, 0)
	m := mapFile(t, p.mf, 2*mm.HPageNr, true)
	for _, h := range []uintptr{0, mm.HPageSize} {
		if out, err := m.MadviseCollapse(hugeBase+h, mm.HPageSize); err != nil {
			t.Fatalf("MADV_COLLAPSE at +%#x: %v %+v", h, err, out)
		}
		if v, err := load(m, hugeBase+h+8); err != nil || v != word(data, int(h)+8) {
			t.Fatalf("after collapse: %#x, %v", v, err)
		}
		if _, huge, _ := pmdOf(m, hugeBase+h); !huge {
			t.Fatalf("the 2 MiB at +%#x is not mapped by a PMD after collapse", h)
		}
	}
	return p, data, m
}

// testTruncateHuge: a 4 MiB file collapsed into two huge pages, mapped by
// PMDs; a truncate that ends inside the first splits it (the head stays,
// mapped again by PTEs) and drops the second whole; the pages past the
// end are SIGBUS.
func testTruncateHuge(t *ktest.T) {
	base := takeBaseline()
	p, data, m := hugeFile(t, "pc-trunc-huge", 3)
	split0, pc0 := mm.ThpStat.SplitPage.Load(), phys.Frames.Stats().ByKind[phys.KindPageCache]
	const size = mm.HPageSize/2 + 100 // inside the first huge page: 257 pages stay
	p.truncate(t, size)
	if n := mm.ThpStat.SplitPage.Load() - split0; n != 1 {
		t.Errorf("%d huge pages split, want 1 (the one the end falls in)", n)
	}
	if p.mf.IsHuge(0) || p.mf.IsHuge(mm.HPageNr) {
		t.Errorf("a huge page is left in the cache after the truncate")
	}
	if n := pc0 - phys.Frames.Stats().ByKind[phys.KindPageCache]; n != 2*mm.HPageNr-257 {
		t.Errorf("%d page-cache frames freed, want %d", n, 2*mm.HPageNr-257)
	}
	for _, off := range []int{0, 100 * phys.PageSize, 256*phys.PageSize + 88} {
		if v, err := load(m, hugeBase+uintptr(off)); err != nil || v != word(data, off) {
			t.Errorf("offset %d below the end: %#x, %v; want %#x", off, v, err, word(data, off))
		}
	}
	for _, off := range []uintptr{257 * phys.PageSize, mm.HPageSize - 8, mm.HPageSize, 2*mm.HPageSize - 8} {
		if _, err := load(m, hugeBase+off); !errors.Is(err, mm.ErrSigbus) {
			t.Errorf("offset %#x past the end: %v, want SIGBUS", off, err)
		}
	}
	m.Destroy()
	p.remove(t)
	base.verify(t)
}

// testCollapseWrittenFile: a tmpfs file filled by write() and mapped by
// two address spaces is collapsed by khugepaged (one mapping advised
// HUGEPAGE), retracting both tables; a second range is collapsed by
// MADV_COLLAPSE; read() returns the same bytes afterwards and the
// mappings map the huge page with one PMD.
func testCollapseWrittenFile(t *ktest.T) {
	base := takeBaseline()
	p := createFile(t, "pc-collapse")
	data := pattern(2*mm.HPageSize, 4)
	p.pwrite(t, data, 0)
	a, b := mapFile(t, p.mf, 2*mm.HPageNr, true), mapFile(t, p.mf, 2*mm.HPageNr, true)
	for i := 0; i < 2*mm.HPageNr; i += 7 {
		for _, m := range []*mm.MM{a, b} {
			if _, err := load(m, hugeBase+uintptr(i)*phys.PageSize); err != nil {
				t.Fatalf("fault: %v", err)
			}
		}
	}
	f0, r0, c0 := mm.CollapseStat.File.Load(), mm.CollapseStat.Retracted.Load(), mm.KhugepagedStat.Collapsed.Load()
	restore := runKhugepaged()
	if err := a.Madvise(hugeBase, mm.HPageSize, mm.VMHugepage, 0); err != nil {
		t.Fatalf("Madvise: %v", err)
	}
	// khugepaged counts its collapse (pages_collapsed) after the collapse
	// itself returns: wait for the count too, not only for the huge page.
	if !waitFor(func() bool {
		return p.mf.IsHuge(0) && mm.CollapseStat.File.Load() != f0 && mm.KhugepagedStat.Collapsed.Load() != c0
	}) {
		t.Fatalf("khugepaged did not collapse the written file (and count it) in 2 minutes")
	}
	restore()
	if n := mm.CollapseStat.Retracted.Load() - r0; n != 2 {
		t.Errorf("%d tables retracted, want 2 (both mappings)", n)
	}
	if mm.KhugepagedStat.Collapsed.Load() == c0 {
		t.Errorf("khugepaged's own collapse count (pages_collapsed) did not move")
	}
	if out, err := b.MadviseCollapse(hugeBase+mm.HPageSize, mm.HPageSize); err != nil || !p.mf.IsHuge(mm.HPageNr) {
		t.Errorf("MADV_COLLAPSE of the second range: %v %+v", err, out)
	}
	if got := p.pread(t, len(data), 0); !bytes.Equal(got, data) {
		t.Errorf("read() after the collapses differs from what was written")
	}
	for _, m := range []*mm.MM{a, b} {
		if v, err := load(m, hugeBase+mm.HPageSize+24); err != nil || v != word(data, mm.HPageSize+24) {
			t.Errorf("through a mapping after the collapses: %#x, %v", v, err)
		}
		if _, huge, _ := pmdOf(m, hugeBase+mm.HPageSize); !huge {
			t.Errorf("the second 2 MiB is not mapped by one PMD after the collapse and a fault")
		}
	}
	a.Destroy()
	b.Destroy()
	p.remove(t)
	base.verify(t)
}

// testTruncateDuringFaults: goroutines on every CPU fault a file through
// shared and private mappings and write it with pwrite(), while another
// shrinks and grows it with ftruncate(). Every access succeeds or is
// SIGBUS (pwrite never fails), and right after each shrink no address
// space maps a page past the end — the fault path's size check under the
// PT lock does the page lock's job. At the end every frame is back.
func testTruncateDuringFaults(t *ktest.T) {
	base := takeBaseline()
	p := createFile(t, "pc-race")
	const pages = 2 * mm.HPageNr
	p.pwrite(t, pattern(pages*phys.PageSize, 5), 0)
	workers := 2 * smp.Count()
	mms := make([]*mm.MM, workers)
	for i := range mms {
		mms[i] = mapFile(t, p.mf, pages, i%3 != 2) // every third one private
	}
	stop := time.Now().Add(3 * time.Second)
	var wg sync.WaitGroup
	var ok, sigbus, other, writes atomic.Uint64
	var firstErr atomic.Value
	for g := 0; g < workers; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m := mms[g]
			rng := rand.New(rand.NewPCG(t.Seed(), uint64(g)))
			tk := vfsTask(t)
			fd, err := fs.Openat(tk, abi.AT_FDCWD, p.path, abi.O_RDWR, 0)
			if err != nil {
				firstErr.CompareAndSwap(nil, err)
				return
			}
			defer fs.Close(tk, fd)
			m.Use()
			defer m.Unuse()
			buf := []byte("0123456789abcdef")
			for time.Now().Before(stop) {
				pg := rng.IntN(pages)
				va := hugeBase + uintptr(pg)*phys.PageSize + uintptr(rng.IntN(phys.PageSize/8))*8
				var err error
				switch rng.IntN(4) {
				case 0:
					_, err = m.Load64(va)
				case 1:
					err = m.Store64(va, uint64(g))
				case 2:
					_, err = m.Load64(va)
				default:
					if n, werr := fs.Pwrite64(tk, fd, buf, int64(pg)*phys.PageSize); n != len(buf) || werr != nil {
						firstErr.CompareAndSwap(nil, fmt.Errorf("pwrite: %d, %v", n, werr))
					}
					writes.Add(1)
					continue
				}
				switch {
				case err == nil:
					ok.Add(1)
				case errors.Is(err, mm.ErrSigbus):
					sigbus.Add(1)
				default:
					other.Add(1)
					firstErr.CompareAndSwap(nil, err)
				}
			}
		}()
	}
	rng := rand.New(rand.NewPCG(t.Seed(), 99))
	truncates, stale := 0, 0
	for time.Now().Before(stop) {
		size := int64(rng.IntN(pages * phys.PageSize))
		p.truncate(t, size)
		truncates++
		// Workers' pwrite()s may grow it again at once; the pages past
		// the size seen here under the inode lock's successors may be
		// mapped only after such a write. Check what the truncate left:
		// nothing past min(size, current size) is mapped by anyone.
		end := min(size, p.mf.Size())
		from := hugeBase + uintptr((end+phys.PageSize-1)/phys.PageSize)*phys.PageSize
		for _, m := range mms {
			if end != p.mf.Size() {
				break // grown meanwhile: a later check will do
			}
			if mp := m.Dump(from, hugeBase+pages*phys.PageSize, 1); len(mp) != 0 && p.mf.Size() == end {
				stale++
				if stale <= 3 {
					t.Errorf("after a truncate to %d bytes mm %d maps %#x past the end", end, m.ID, mp[0].VA)
				}
			}
		}
		time.Sleep(time.Millisecond)
	}
	wg.Wait()
	if err, _ := firstErr.Load().(error); err != nil {
		t.Errorf("an access failed with neither success nor SIGBUS: %v", err)
	}
	t.Logf("%d accesses ok, %d SIGBUS, %d pwrites, %d truncates, %d other", ok.Load(), sigbus.Load(), writes.Load(), truncates, other.Load())
	if ok.Load() == 0 || sigbus.Load() == 0 || truncates == 0 {
		t.Errorf("the race did not happen: %d ok, %d SIGBUS, %d truncates", ok.Load(), sigbus.Load(), truncates)
	}
	// Quiet now: shrink once more and check exactly.
	p.truncate(t, 5*phys.PageSize+1)
	for _, m := range mms {
		if mp := m.Dump(hugeBase+6*phys.PageSize, hugeBase+pages*phys.PageSize, 1); len(mp) != 0 {
			t.Errorf("mm %d maps %#x past the end after the last truncate", m.ID, mp[0].VA)
		}
	}
	for _, m := range mms {
		m.Destroy()
	}
	p.remove(t)
	base.verify(t)
}
