// mm.go: the mm suite — user address spaces, the fault path through
// uaccess, the zero page, mmap/munmap/mprotect/DONTNEED, shared and private
// file mappings, munmap racing faults on every CPU, and teardown accounting
// after every case.

package suites

import (
	"errors"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"retract/kernel/ktest"
	"retract/kernel/smp"
	"retract/mm"
	"retract/mm/phys"
)

func init() {
	ktest.Register(ktest.Suite{
		Name: "mm",
		Doc:  "address spaces, faults through uaccess, zero page, mmap/munmap/mprotect, files and COW, races with munmap",
		Cases: []ktest.Case{
			{Name: "anon_rw_roundtrip", Fn: testAnonRoundtrip},
			{Name: "zero_page_shared", Fn: testZeroPage},
			{Name: "efault", Fn: testEFAULT},
			{Name: "uaccess_cas_copy_touch", Fn: testUaccess},
			{Name: "munmap_frees_and_faults", Fn: testMunmap},
			{Name: "mprotect_readonly", Fn: testMMMprotect},
			{Name: "dontneed_zeroes", Fn: testDontneed},
			{Name: "munmap_during_faults", Fn: testMunmapDuringFaults, Timeout: 5 * time.Minute},
			{Name: "munmap_zaps_under_read_lock", Fn: testMunmapDowngrade, Timeout: 5 * time.Minute},
			{Name: "shared_file_rw", Fn: testSharedFile},
			{Name: "private_file_cow", Fn: testPrivateFile},
			{Name: "all_cpus_fault_one_file", Fn: testAllCPUsFile, Timeout: 5 * time.Minute},
			{Name: "oom_keeps_kernel_reserve", Fn: testOOM, Timeout: 5 * time.Minute},
		},
	})
}

// withMM runs f on a fresh address space with one anonymous VMA of pages
// pages at base, and checks afterwards that Destroy gave back every page
// and page table.
func withMM(t *ktest.T, pages int, prot mm.Prot, f func(m *mm.MM, base uintptr)) {
	anon0 := phys.Frames.Stats().ByKind[phys.KindAnon]
	tables0 := mm.UserTables.Load()
	violations0 := mm.Violations.Load()
	m, err := mm.New()
	if err != nil {
		t.Fatalf("mm.New: %v", err)
	}
	base := uintptr(0x8040000000) // 257 GiB: 2 MiB-aligned, far from where programs load
	if pages > 0 {
		if err := m.VMAs.Insert(mm.VMA{Start: base, End: base + uintptr(pages)*phys.PageSize, Prot: prot, Flags: mm.VMAnon}); err != nil {
			t.Fatalf("inserting the VMA: %v", err)
		}
	}
	m.Use()
	f(m, base)
	m.Unuse()
	m.Destroy()
	if a := phys.Frames.Stats().ByKind[phys.KindAnon]; a != anon0 {
		t.Errorf("anonymous frames: %d before, %d after Destroy", anon0, a)
	}
	if n := mm.UserTables.Load(); n != tables0 {
		t.Errorf("user page tables: %d before, %d after Destroy", tables0, n)
	}
	if v := mm.Violations.Load() - violations0; v != 0 {
		t.Errorf("%d page-table debug check violations", v)
	}
	if msg := phys.Frames.Check(); msg != "" {
		t.Errorf("frame allocator: %s", msg)
	}
}

func testAnonRoundtrip(t *ktest.T) {
	const pages = 64
	withMM(t, pages, mm.ProtRead|mm.ProtWrite, func(m *mm.MM, base uintptr) {
		for i := 0; i < pages; i++ {
			if err := m.Store64(base+uintptr(i)*phys.PageSize+8, uint64(i)*0x1111); err != nil {
				t.Fatalf("store to page %d: %v", i, err)
			}
		}
		for i := 0; i < pages; i++ {
			v, err := m.Load64(base + uintptr(i)*phys.PageSize + 8)
			if err != nil || v != uint64(i)*0x1111 {
				t.Fatalf("page %d reads %#x (%v), want %#x", i, v, err, uint64(i)*0x1111)
			}
		}
		// The MMU set Accessed and Dirty in the PTEs it used.
		e, _ := m.Walk(base)
		pte := e[3]
		if !mm.PtePresent(pte) || !mm.PteYoung(pte) || !mm.PteDirty(pte) || !mm.PteWrite(pte) {
			t.Errorf("PTE after a write: %#x, want present, writable, accessed and dirty", uint64(pte))
		}
		if n := m.Stats.AnonNew.Load(); n != pages {
			t.Errorf("%d new anonymous pages for %d first writes", n, pages)
		}
	})
}

func testZeroPage(t *ktest.T) {
	withMM(t, 4, mm.ProtRead|mm.ProtWrite, func(m *mm.MM, base uintptr) {
		for i := uintptr(0); i < 2; i++ {
			if v, err := m.Load64(base + i*phys.PageSize); err != nil || v != 0 {
				t.Fatalf("reading fresh page %d: %#x, %v", i, v, err)
			}
		}
		e0, _ := m.Walk(base)
		e1, _ := m.Walk(base + phys.PageSize)
		if mm.PtePFN(e0[3]) != mm.ZeroPFN() || mm.PtePFN(e1[3]) != mm.ZeroPFN() || mm.PteWrite(e0[3]) {
			t.Errorf("read faults mapped %#x and %#x, want the read-only zero page %#x", uint64(e0[3]), uint64(e1[3]), mm.ZeroPFN())
		}
		if err := m.Store64(base, 42); err != nil {
			t.Fatalf("write after read: %v", err)
		}
		e0, _ = m.Walk(base)
		if mm.PtePFN(e0[3]) == mm.ZeroPFN() || !mm.PteWrite(e0[3]) {
			t.Errorf("the write did not replace the zero page: PTE %#x", uint64(e0[3]))
		}
		if v, _ := m.Load64(base + phys.PageSize); v != 0 {
			t.Errorf("the other page reads %#x after a write to its neighbour", v)
		}
		if !mm.ZeroPageIsZero() {
			t.Errorf("the zero page was written")
		}
	})
}

func testEFAULT(t *ktest.T) {
	withMM(t, 2, mm.ProtRead, func(m *mm.MM, base uintptr) {
		for _, c := range []struct {
			va    uintptr
			write bool
		}{{base - phys.PageSize, false}, {base + 2*phys.PageSize, false}, {base, true}} {
			var err error
			if c.write {
				err = m.Store64(c.va, 1)
			} else {
				_, err = m.Load64(c.va)
			}
			if !errors.Is(err, mm.ErrFault) {
				t.Errorf("access %#x (write %v): %v, want EFAULT", c.va, c.write, err)
			}
		}
		if _, err := m.Load64(base); err != nil {
			t.Errorf("reading a read-only VMA: %v", err)
		}
	})
}

func testMunmap(t *ktest.T) {
	withMM(t, 0, mm.ProtNone, func(m *mm.MM, _ uintptr) {
		a, err := m.Mmap(0, 1024*phys.PageSize, mm.ProtRead|mm.ProtWrite, 0)
		if err != nil {
			t.Fatalf("Mmap: %v", err)
		}
		for i := uintptr(0); i < 1024; i++ {
			if err := m.Store64(a+i*phys.PageSize, uint64(i)); err != nil {
				t.Fatalf("store: %v", err)
			}
		}
		anon := phys.Frames.Stats().ByKind[phys.KindAnon]
		tables := mm.UserTables.Load()
		// Unmap the first 2 MiB: 512 pages and their (now unused) table go.
		if err := m.Munmap(a, 512*phys.PageSize); err != nil {
			t.Fatalf("Munmap: %v", err)
		}
		if got := anon - phys.Frames.Stats().ByKind[phys.KindAnon]; got != 512 {
			t.Errorf("munmap of 512 pages freed %d anonymous frames", got)
		}
		if mm.UserTables.Load() >= tables && a&(2<<20-1) == 0 {
			t.Errorf("the page table of the unmapped 2 MiB was not freed (%d -> %d)", tables, mm.UserTables.Load())
		}
		if _, err := m.Load64(a); !errors.Is(err, mm.ErrFault) {
			t.Errorf("reading unmapped memory: %v, want EFAULT", err)
		}
		if v, err := m.Load64(a + 600*phys.PageSize); err != nil || v != 600 {
			t.Errorf("the rest of the mapping reads %d, %v", v, err)
		}
		if err := m.Munmap(a+1, phys.PageSize); !errors.Is(err, mm.ErrInval) {
			t.Errorf("unaligned munmap: %v, want EINVAL", err)
		}
	})
}

func testMMMprotect(t *ktest.T) {
	withMM(t, 0, mm.ProtNone, func(m *mm.MM, _ uintptr) {
		a, _ := m.Mmap(0, 4*phys.PageSize, mm.ProtRead|mm.ProtWrite, 0)
		if err := m.Store64(a, 7); err != nil {
			t.Fatalf("store: %v", err)
		}
		if err := m.Mprotect(a, 4*phys.PageSize, mm.ProtRead); err != nil {
			t.Fatalf("Mprotect: %v", err)
		}
		if err := m.Store64(a, 8); !errors.Is(err, mm.ErrFault) {
			t.Errorf("writing a read-only page: %v, want EFAULT", err)
		}
		if v, err := m.Load64(a); err != nil || v != 7 {
			t.Errorf("read-only page reads %d, %v; want 7", v, err)
		}
		e, _ := m.Walk(a)
		if mm.PteWrite(e[3]) {
			t.Errorf("the PTE is still writable after mprotect: %#x", uint64(e[3]))
		}
		if err := m.Mprotect(a, 4*phys.PageSize, mm.ProtRead|mm.ProtWrite); err != nil || m.Store64(a, 9) != nil {
			t.Errorf("writing after mprotect back to rw failed")
		}
		if err := m.Mprotect(a+16*phys.PageSize, phys.PageSize, mm.ProtRead); err == nil {
			t.Errorf("mprotect of an unmapped range succeeded")
		}
	})
}

func testDontneed(t *ktest.T) {
	withMM(t, 0, mm.ProtNone, func(m *mm.MM, _ uintptr) {
		a, _ := m.Mmap(0, 2*phys.PageSize, mm.ProtRead|mm.ProtWrite, 0)
		m.Store64(a, 1)
		m.Store64(a+phys.PageSize, 2)
		if err := m.MadviseDontneed(a, phys.PageSize); err != nil {
			t.Fatalf("MadviseDontneed: %v", err)
		}
		if v, _ := m.Load64(a); v != 0 {
			t.Errorf("after DONTNEED the page reads %d, want 0", v)
		}
		if v, _ := m.Load64(a + phys.PageSize); v != 2 {
			t.Errorf("the neighbour reads %d, want 2", v)
		}
	})
}

// testMunmapDuringFaults: threads on every CPU read and write a range
// through uaccess while another unmaps and remaps it. Every access either
// succeeds or returns EFAULT; nothing oopses, the debug checks stay quiet,
// and Destroy gives every frame back.
func testMunmapDuringFaults(t *ktest.T) {
	const pages = 256
	violations := mm.Violations.Load()
	withMM(t, 0, mm.ProtNone, func(m *mm.MM, _ uintptr) {
		base, err := m.Mmap(0, pages*phys.PageSize, mm.ProtRead|mm.ProtWrite, 0)
		if err != nil {
			t.Fatalf("Mmap: %v", err)
		}
		stop := time.Now().Add(3 * time.Second)
		var wg sync.WaitGroup
		var ok, efault, other atomic.Uint64
		for g := 0; g < 2*smp.Count(); g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				m.Use()
				defer m.Unuse()
				rng := rand.New(rand.NewPCG(t.Seed(), uint64(g)))
				for time.Now().Before(stop) {
					va := base + uintptr(rng.IntN(pages))*phys.PageSize
					var err error
					if rng.IntN(2) == 0 {
						err = m.Store64(va, uint64(va))
					} else {
						_, err = m.Load64(va)
					}
					switch {
					case err == nil:
						ok.Add(1)
					case errors.Is(err, mm.ErrFault):
						efault.Add(1)
					default:
						other.Add(1)
					}
				}
			}()
		}
		for time.Now().Before(stop) {
			if err := m.Munmap(base, pages*phys.PageSize); err != nil {
				t.Errorf("Munmap: %v", err)
			}
			time.Sleep(time.Millisecond)
			if _, err := m.Mmap(base, pages*phys.PageSize, mm.ProtRead|mm.ProtWrite, 0); err != nil {
				t.Errorf("Mmap: %v", err)
			}
			time.Sleep(2 * time.Millisecond)
		}
		wg.Wait()
		t.Logf("accesses: %d ok, %d EFAULT, %d other; fault retries %d", ok.Load(), efault.Load(), other.Load(), m.Stats.Retries.Load())
		if other.Load() != 0 {
			t.Errorf("%d accesses failed with something other than EFAULT", other.Load())
		}
		if ok.Load() == 0 {
			t.Errorf("no access succeeded")
		}
	})
	if v := mm.Violations.Load() - violations; v != 0 {
		t.Errorf("%d page-table debug check violations", v)
	}
}

// testMunmapDowngrade: munmap holds MmapLock for writing only while it
// removes the VMAs, and zaps under the read lock (mmap_write_downgrade),
// so the mm's other faults go on meanwhile. The delay point
// munmap.after_downgrade holds a munmap of 3 MiB for 300 ms between the
// two: a fault in the unmapped range must fail (EFAULT) as soon as the
// VMAs are gone, and faults elsewhere — another VMA, and the rest of the
// same VMA in the page table the zap shares — must complete long before
// the munmap returns. Then the pages are gone, the rest kept its values,
// and withMM finds no frame left over.
func testMunmapDowngrade(t *ktest.T) {
	// Pages [0, probes) are written; [probes, unmapped) are left empty
	// for the probe below; [unmapped, pages) are written and stay.
	const pages, unmapped, probes = 1024, 768, 512
	withMM(t, 0, mm.ProtNone, func(m *mm.MM, _ uintptr) {
		a, err := m.Mmap(0, pages*phys.PageSize, mm.ProtRead|mm.ProtWrite, 0)
		if err != nil {
			t.Fatalf("Mmap: %v", err)
		}
		b, err := m.Mmap(0, 16*phys.PageSize, mm.ProtRead|mm.ProtWrite, 0)
		if err != nil {
			t.Fatalf("Mmap: %v", err)
		}
		for i := uintptr(0); i < pages; i++ {
			if i >= probes && i < unmapped {
				continue
			}
			if err := m.Store64(a+i*phys.PageSize, uint64(i)); err != nil {
				t.Fatalf("store: %v", err)
			}
		}
		if err := m.Store64(b, 1); err != nil {
			t.Fatalf("store: %v", err)
		}
		anon := phys.Frames.Stats().ByKind[phys.KindAnon]
		if err := mm.SetDelay("munmap.after_downgrade", 300000); err != nil {
			t.Fatalf("SetDelay: %v", err)
		}
		defer mm.SetDelay("munmap.after_downgrade", 0)
		ended := make(chan time.Time, 1)
		go func() {
			if err := m.Munmap(a, unmapped*phys.PageSize); err != nil {
				t.Errorf("Munmap: %v", err)
			}
			ended <- time.Now()
		}()
		// The probe reads a page never touched, a new one each time, so
		// that it faults: it maps the zero page before the munmap, blocks
		// while the munmap holds the write lock, and gets EFAULT once the
		// VMAs are gone. (A page that is present reads through the MMU,
		// without a fault, until the zap clears it.)
		probe := uintptr(probes)
		for {
			if _, err := m.Load64(a + probe*phys.PageSize); errors.Is(err, mm.ErrFault) {
				break
			}
			if probe++; probe == unmapped {
				t.Fatalf("the unmapped range still faults in after %d probes", unmapped-probes)
			}
			time.Sleep(time.Millisecond)
		}
		if err := m.Store64(b+phys.PageSize, 42); err != nil {
			t.Errorf("a fault in another VMA during the munmap: %v", err)
		}
		if err := m.Store64(a+(unmapped+10)*phys.PageSize, 0); err != nil {
			t.Errorf("a write in the kept part of the VMA during the munmap: %v", err)
		}
		faulted := time.Now()
		end := <-ended
		if gap := end.Sub(faulted); gap < 100*time.Millisecond {
			t.Errorf("the faults elsewhere finished only %v before the munmap returned (its zap waits 300 ms under the read lock): they waited for it", gap)
		}
		// probes pages freed; the one new page of b does not count.
		if got := anon + 1 - phys.Frames.Stats().ByKind[phys.KindAnon]; got != probes {
			t.Errorf("munmap of %d written pages freed %d anonymous frames", probes, got)
		}
		for i := uintptr(unmapped); i < pages; i++ {
			want := uint64(i)
			if i == unmapped+10 {
				want = 0
			}
			if v, err := m.Load64(a + i*phys.PageSize); err != nil || v != want {
				t.Fatalf("page %d after the munmap reads %d, %v; want %d", i, v, err, want)
			}
		}
		if v, err := m.Load64(b + phys.PageSize); err != nil || v != 42 {
			t.Errorf("the other VMA reads %d, %v; want 42", v, err)
		}
	})
}

// fileSetup makes a file, runs f, and checks that releasing it after every
// mapping is gone returns its page-cache frames.
func fileSetup(t *ktest.T, pages uint64, f func(file *mm.File)) {
	pc0 := phys.Frames.Stats().ByKind[phys.KindPageCache]
	file := mm.NewFile("test", pages)
	f(file)
	if err := file.Release(); err != nil {
		t.Errorf("Release: %v", err)
	}
	if pc := phys.Frames.Stats().ByKind[phys.KindPageCache]; pc != pc0 {
		t.Errorf("page-cache frames: %d before, %d after Release", pc0, pc)
	}
}

func testSharedFile(t *ktest.T) {
	fileSetup(t, 16, func(file *mm.File) {
		withMM(t, 0, mm.ProtNone, func(a *mm.MM, _ uintptr) {
			// The second address space lives inside the first's accounting.
			b, err := mm.New()
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			defer b.Destroy()
			func() {
				va, err := a.MmapFile(0, 16*phys.PageSize, mm.ProtRead|mm.ProtWrite, true, file, 0)
				if err != nil {
					t.Fatalf("MmapFile: %v", err)
				}
				vb, _ := b.MmapFile(0, 16*phys.PageSize, mm.ProtRead, true, file, 0)
				a.Use()
				err = a.Store64(va+3*phys.PageSize+16, 0xfeed)
				a.Unuse()
				if err != nil {
					t.Fatalf("store: %v", err)
				}
				b.Use()
				v, err := b.Load64(vb + 3*phys.PageSize + 16)
				b.Unuse()
				if err != nil || v != 0xfeed {
					t.Errorf("the other mapping reads %#x, %v; want 0xfeed", v, err)
				}
				ea, _ := a.Walk(va + 3*phys.PageSize)
				eb, _ := b.Walk(vb + 3*phys.PageSize)
				cached, _ := file.Cached(3)
				if mm.PtePFN(ea[3]) != cached || mm.PtePFN(eb[3]) != cached {
					t.Errorf("PTEs map %#x and %#x, want the page-cache frame %#x", mm.PtePFN(ea[3]), mm.PtePFN(eb[3]), cached)
				}
				if n := len(file.Mappers()); n != 2 {
					t.Errorf("i_mmap has %d address spaces, want 2", n)
				}
				a.Munmap(va, 16*phys.PageSize)
				b.Munmap(vb, 16*phys.PageSize)
			}()
		})
	})
}

func testPrivateFile(t *ktest.T) {
	fileSetup(t, 4, func(file *mm.File) {
		withMM(t, 0, mm.ProtNone, func(m *mm.MM, _ uintptr) {
			va, _ := m.MmapFile(0, 4*phys.PageSize, mm.ProtRead|mm.ProtWrite, false, file, 0)
			if v, err := m.Load64(va); err != nil || v != 0 {
				t.Fatalf("read: %#x, %v", v, err)
			}
			cached, _ := file.Cached(0)
			e, _ := m.Walk(va)
			if mm.PtePFN(e[3]) != cached || mm.PteWrite(e[3]) {
				t.Errorf("a read of a private mapping should map the file page read-only: PTE %#x, cache %#x", uint64(e[3]), cached)
			}
			if err := m.Store64(va, 0xc0ffee); err != nil {
				t.Fatalf("write: %v", err)
			}
			e, _ = m.Walk(va)
			if mm.PtePFN(e[3]) == cached || !mm.PteWrite(e[3]) {
				t.Errorf("the write did not copy the page: PTE %#x", uint64(e[3]))
			}
			var b [8]byte
			file.ReadAt(b[:], 0)
			if b != [8]byte{} {
				t.Errorf("a write through a private mapping changed the file: % x", b)
			}
			if v, _ := m.Load64(va); v != 0xc0ffee {
				t.Errorf("the private copy reads %#x", v)
			}
			// mprotect back and forth must not make the file page writable.
			m.Load64(va + phys.PageSize)
			m.Mprotect(va, 4*phys.PageSize, mm.ProtRead)
			m.Mprotect(va, 4*phys.PageSize, mm.ProtRead|mm.ProtWrite)
			e, _ = m.Walk(va + phys.PageSize)
			if mm.PteWrite(e[3]) {
				t.Errorf("mprotect made a private mapping's file page writable")
			}
			m.Munmap(va, 4*phys.PageSize)
		})
	})
}

// testAllCPUsFile: a goroutine per CPU, each in its own address space,
// faults the same shared file range at once; every address space must map
// the very same frames (read back from the page tables).
func testAllCPUsFile(t *ktest.T) {
	const pages = 64
	fileSetup(t, pages, func(file *mm.File) {
		n := 2 * smp.Count()
		pfns := make([][pages]uint64, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for g := 0; g < n; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				m, err := mm.New()
				if err != nil {
					t.Errorf("New: %v", err)
					return
				}
				va, _ := m.MmapFile(0, pages*phys.PageSize, mm.ProtRead|mm.ProtWrite, true, file, 0)
				m.Use()
				<-start
				for i := 0; i < pages; i++ {
					if g%2 == 0 {
						m.Load64(va + uintptr(i)*phys.PageSize)
					} else {
						m.Store64(va+uintptr(i)*phys.PageSize+uintptr(8*g), uint64(g))
					}
				}
				m.Unuse()
				for i := 0; i < pages; i++ {
					e, _ := m.Walk(va + uintptr(i)*phys.PageSize)
					pfns[g][i] = mm.PtePFN(e[3])
				}
				m.Munmap(va, pages*phys.PageSize)
				m.Destroy()
			}()
		}
		close(start)
		wg.Wait()
		for i := 0; i < pages; i++ {
			want, _ := file.Cached(uint64(i))
			for g := 0; g < n; g++ {
				if pfns[g][i] != want {
					t.Fatalf("address space %d maps page %d at %#x, the page cache has %#x", g, i, pfns[g][i], want)
				}
			}
		}
		// Every writer's value landed in the one shared page.
		var b [8]byte
		for g := 1; g < n; g += 2 {
			file.ReadAt(b[:], int64(8*g))
			if b[0] != byte(g) {
				t.Errorf("writer %d's value is not in the file (%d)", g, b[0])
			}
		}
	})
}

func testUaccess(t *ktest.T) {
	withMM(t, 4, mm.ProtRead|mm.ProtWrite, func(m *mm.MM, base uintptr) {
		if err := m.Touch(base, true); err != nil {
			t.Fatalf("Touch: %v", err)
		}
		if e, _ := m.Walk(base); !mm.PteWrite(e[3]) || !mm.PteDirty(e[3]) {
			t.Errorf("a write touch left PTE %#x, want writable and dirty", uint64(e[3]))
		}
		va := base + phys.PageSize + 64
		if ok, err := m.CAS32(va, 0, 5); !ok || err != nil {
			t.Errorf("CAS32(0 -> 5) on a fresh page: %v, %v", ok, err)
		}
		if ok, _ := m.CAS32(va, 0, 6); ok {
			t.Errorf("CAS32 succeeded with a stale old value")
		}
		if v, _ := m.Load64(va); uint32(v) != 5 {
			t.Errorf("after CAS the word is %d, want 5", uint32(v))
		}
		if _, err := m.CAS32(va+1, 0, 1); !errors.Is(err, mm.ErrInval) {
			t.Errorf("unaligned CAS32: %v, want EINVAL", err)
		}
		// A copy that crosses a page boundary.
		out := make([]byte, 64)
		for i := range out {
			out[i] = byte(i * 7)
		}
		at := base + 2*phys.PageSize - 32
		if err := m.CopyOut(at, out); err != nil {
			t.Fatalf("CopyOut: %v", err)
		}
		in := make([]byte, 64)
		if err := m.CopyIn(in, at); err != nil || string(in) != string(out) {
			t.Errorf("CopyIn after CopyOut: %v, equal %v", err, string(in) == string(out))
		}
		if err := m.CopyOut(base+4*phys.PageSize-8, make([]byte, 16)); !errors.Is(err, mm.ErrFault) {
			t.Errorf("CopyOut past the VMA: %v, want EFAULT", err)
		}
	})
}

// testOOM: user memory runs out before the kernel's does. An address space
// maps twice the RAM, advised HUGEPAGE, and writes a word to every page
// until the fault path says ENOMEM: 2 MiB pages first, then 4 KiB ones
// once no 2 MiB block is left. At that point the reserve is still free, the
// Go heap can still grow into it, and Destroy gives every frame back.
func testOOM(t *ktest.T) {
	st := phys.Frames.Stats()
	reserve := phys.Frames.Reserve
	if reserve == 0 {
		t.Fatalf("no kernel reserve is set")
	}
	refused0 := phys.Frames.UserFailed()
	pages := int(2 * st.Total)
	withMM(t, pages, mm.ProtRead|mm.ProtWrite, func(m *mm.MM, base uintptr) {
		if err := m.Madvise(base, uintptr(pages)*phys.PageSize, mm.VMHugepage, 0); err != nil {
			t.Fatalf("madvise HUGEPAGE: %v", err)
		}
		var err error
		touched := 0
		for ; touched < pages; touched++ {
			if err = m.Store64(base+uintptr(touched)*phys.PageSize, uint64(touched)); err != nil {
				break
			}
		}
		if !errors.Is(err, mm.ErrNoMemory) {
			t.Fatalf("after %d of %d pages the error is %v, want %v", touched, pages, err, mm.ErrNoMemory)
		}
		free := phys.Frames.Stats().Free
		t.Logf("%d pages (%d MiB) written before ENOMEM; %d frames free, reserve %d, %d huge faults fell back to 4 KiB",
			touched, touched*phys.PageSize>>20, free, reserve, mm.ThpStat.FaultFallback.Load())
		if free+64 < reserve {
			t.Errorf("only %d frames free at ENOMEM: user memory took the kernel's reserve of %d", free, reserve)
		}
		if touched < int(st.Free-reserve)/2 {
			t.Errorf("ENOMEM after %d pages although %d frames were free above the reserve", touched, st.Free-reserve)
		}
		if phys.Frames.UserFailed() == refused0 {
			t.Errorf("no user allocation was refused by the reserve")
		}
		// The kernel still works: its Go heap grows into the reserve.
		b := make([]byte, int(reserve/2)*phys.PageSize)
		for i := 0; i < len(b); i += phys.PageSize {
			b[i] = byte(i >> 12)
		}
		for i := 0; i < len(b); i += phys.PageSize {
			if b[i] != byte(i>>12) {
				t.Fatalf("the Go heap lost a write at %d", i)
			}
		}
		runtime.KeepAlive(b)
		// Data written before ENOMEM is all still there.
		for i := 0; i < touched; i += 97 {
			if v, err := m.Load64(base + uintptr(i)*phys.PageSize); err != nil || v != uint64(i) {
				t.Fatalf("page %d reads %#x (%v), want %#x", i, v, err, i)
			}
		}
	})
	runtime.GC()
}
