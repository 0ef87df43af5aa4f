// boot.go: the boot suite — what the boot path set up, checked in place.

package suites

import (
	"unsafe"

	"retract/arch/amd64"
	"retract/boot"
	"retract/kernel/ktest"
	"retract/kernel/trap"
	"retract/mm/phys"
)

func init() {
	ktest.Register(ktest.Suite{
		Name: "boot",
		Doc:  "memory map, identity map, page 0, frame allocator",
		Cases: []ktest.Case{
			{Name: "memmap_sane", Fn: testMemmap},
			{Name: "identity_map", Fn: testIdentityMap},
			{Name: "page0_faults", Fn: testPage0},
			{Name: "frames_accounting", Fn: testFrames},
			{Name: "frames_poison", Fn: testPoison},
			{Name: "frames_huge_aligned", Fn: testHugeAligned},
		},
	})
}

func testMemmap(t *ktest.T) {
	b := &boot.Boot
	if b.NMem == 0 {
		t.Fatalf("no memory map entries")
	}
	var ram uint64
	for i := 0; i < b.NMem; i++ {
		r := b.Mem[i]
		t.Logf("memmap %#012x-%#012x type %d", r.Addr, r.Addr+r.Size, r.Type)
		if r.Size == 0 {
			t.Errorf("entry %d has size 0 (should have been dropped)", i)
		}
		if r.Type == boot.E820RAM {
			ram += r.Size
		}
		for j := 0; j < i; j++ {
			o := b.Mem[j]
			if r.Addr < o.Addr+o.Size && o.Addr < r.Addr+r.Size {
				t.Errorf("entries %d and %d overlap", j, i)
			}
		}
	}
	if ram < 64<<20 {
		t.Errorf("only %d MiB of RAM", ram>>20)
	}
	img := boot.Image
	inRAM := false
	for i := 0; i < b.NMem; i++ {
		r := b.Mem[i]
		if r.Type == boot.E820RAM && img.Start >= r.Addr && img.End <= r.Addr+r.Size {
			inRAM = true
		}
	}
	// The first segment starts with the ELF header at 2 MiB; .text at 0x201000 (-T).
	if !inRAM || img.Start != 0x200000 || img.TextStart > 0x201000 || img.TextEnd <= 0x201000 {
		t.Errorf("kernel image [%#x, %#x) text [%#x, %#x): want it in RAM at 2 MiB with 0x201000 in the text", img.Start, img.End, img.TextStart, img.TextEnd)
	}
	st := phys.Frames.Stats()
	if st.Total*phys.PageSize > ram || st.Total*phys.PageSize < ram-(16<<20)-(img.End-img.Start)-(boot.MetaEnd-boot.MetaStart) {
		t.Errorf("allocator manages %d MiB of %d MiB RAM", st.Total*phys.PageSize>>20, ram>>20)
	}
}

func testIdentityMap(t *ktest.T) {
	// Every 2 MiB of RAM translates to itself.
	checked := 0
	for a := uint64(2 << 20); a < phys.RAMTop; a += 2 << 20 {
		pa, _, ok := phys.KernelTranslate(uintptr(a + 0x123))
		if !ok || pa != a+0x123 {
			t.Fatalf("%#x translates to %#x (ok=%v), want itself", a+0x123, pa, ok)
		}
		checked++
	}
	// And memory written through the identity map reads back, in frames
	// taken from the allocator, seen through the MMU.
	for i := 0; i < 64; i++ {
		pfn, ok := phys.Frames.Alloc(0, phys.KindKernel)
		if !ok {
			t.Fatalf("out of frames")
		}
		p := (*[512]uint64)(phys.Page(pfn))
		for j := range p {
			p[j] = pfn<<32 | uint64(j)
		}
		v, ok := amd64.ProbeLoad(uintptr(pfn<<phys.PageShift) + 8*77)
		phys.Frames.Free(pfn, 0)
		if !ok || v != pfn<<32|77 {
			t.Fatalf("frame %#x: read back %#x (ok=%v)", pfn, v, ok)
		}
	}
	t.Logf("identity map: %d MiB checked", checked*2)
}

func testPage0(t *ktest.T) {
	if _, _, ok := phys.KernelTranslate(0); ok {
		t.Errorf("page 0 is mapped")
	}
	if _, _, ok := phys.KernelTranslate(4096); !ok {
		t.Errorf("page 1 is not mapped")
	}
	before := trap.Fixups
	for _, a := range []uintptr{0, 8, 4088} {
		v, ok := amd64.ProbeLoad(a)
		if ok {
			t.Errorf("reading %#x did not fault (read %#x)", a, v)
		}
		if trap.LastFixupCR2 != uint64(a) {
			t.Errorf("fault at %#x reported CR2 %#x", a, trap.LastFixupCR2)
		}
	}
	if trap.Fixups != before+3 {
		t.Errorf("%d faults were handled, want 3", trap.Fixups-before)
	}
	if _, ok := amd64.ProbeLoad(4096); !ok {
		t.Errorf("reading page 1 faulted")
	}
}

// testFrames checks alloc/free accounting exactly on a private allocator
// over 4 MiB of real memory (other CPUs allocate from the global one while
// the test runs), and the global allocator's lists against its counters.
func testFrames(t *ktest.T) {
	if msg := phys.Frames.Check(); msg != "" {
		t.Errorf("global allocator: %s", msg)
	}
	const n = 1 << phys.MaxOrder
	region, ok1 := phys.Frames.Alloc(phys.MaxOrder, phys.KindKernel)
	meta, ok2 := phys.Frames.Alloc(2, phys.KindKernel)
	if !ok1 || !ok2 {
		t.Fatalf("no memory for the test allocator")
	}
	defer phys.Frames.Free(region, phys.MaxOrder)
	defer phys.Frames.Free(meta, 2)
	var a phys.Allocator
	a.Init(phys.Page(meta), n, func(pfn uint64) unsafe.Pointer { return phys.Page(region + pfn) })
	a.Poison = true
	a.AddRange(0, n*phys.PageSize) // PFN 0 is never added
	before := a.Stats()
	if before.Total != n-1 || before.Free != n-1 {
		t.Fatalf("test allocator has %d/%d frames, want %d", before.Free, before.Total, n-1)
	}
	var got [][2]uint64
	for order := 0; order <= 8; order++ {
		for i := 0; i < 2; i++ {
			pfn, ok := a.Alloc(order, phys.KindKernel)
			if !ok {
				t.Fatalf("Alloc(order %d) failed with %d frames free", order, a.Stats().Free)
			}
			if pfn&(1<<order-1) != 0 {
				t.Errorf("order-%d block at PFN %#x is not aligned", order, pfn)
			}
			got = append(got, [2]uint64{pfn, uint64(order)})
		}
	}
	mid := a.Stats()
	var want uint64
	for _, g := range got {
		want += 1 << g[1]
	}
	if before.Free-mid.Free != want || mid.ByKind[phys.KindKernel] != want {
		t.Errorf("allocating %d frames moved free by %d and kernel by %d", want, before.Free-mid.Free, mid.ByKind[phys.KindKernel])
	}
	if msg := a.Check(); msg != "" {
		t.Errorf("after allocating: %s", msg)
	}
	for _, g := range got {
		a.Free(g[0], int(g[1]))
	}
	after := a.Stats()
	if after.Free != before.Free || after.ByKind != before.ByKind || after.FreeBlocks != before.FreeBlocks {
		t.Errorf("frames leaked or lists not merged: free %d -> %d, blocks %v -> %v", before.Free, after.Free, before.FreeBlocks, after.FreeBlocks)
	}
	if msg := a.Check(); msg != "" {
		t.Errorf("after freeing: %s", msg)
	}
}

func testPoison(t *ktest.T) {
	pfn, ok := phys.Frames.Alloc(0, phys.KindKernel)
	if !ok {
		t.Fatalf("out of frames")
	}
	p := (*[phys.PageSize]byte)(phys.Page(pfn))
	for i := range p {
		p[i] = 0
	}
	phys.Frames.Free(pfn, 0)
	for i, b := range p {
		if b != phys.PoisonByte {
			t.Fatalf("freed frame byte %d is %#x, want poison %#x", i, b, phys.PoisonByte)
		}
	}
}

func testHugeAligned(t *ktest.T) {
	pfn, ok := phys.Frames.Alloc(9, phys.KindKernel)
	if !ok {
		t.Fatalf("no 2 MiB block free")
	}
	defer phys.Frames.Free(pfn, 9)
	if addr := pfn << phys.PageShift; addr&(2<<20-1) != 0 {
		t.Errorf("2 MiB block at %#x is not 2 MiB aligned", addr)
	}
}
