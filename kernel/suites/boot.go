// boot.go: the boot suite — what the boot path set up, checked in place.

package suites

import (
	"unsafe"

	"retract/arch/amd64"
	"retract/boot"
	"retract/kernel/ktest"
	"retract/kernel/oops"
	"retract/kernel/trap"
	"retract/mm/phys"
)

func init() {
	ktest.Register(ktest.Suite{
		Name: "boot",
		Doc:  "memory map, the kernel's half of the address space (direct map, image map, empty lower half), page 0, frame allocator",
		Cases: []ktest.Case{
			{Name: "memmap_sane", Fn: testMemmap},
			{Name: "direct_map", Fn: testDirectMap},
			{Name: "image_map", Fn: testImageMap},
			{Name: "lower_half_empty", Fn: testLowerHalfEmpty},
			{Name: "page0_faults", Fn: testPage0},
			{Name: "frames_accounting", Fn: testFrames},
			{Name: "frames_poison", Fn: testPoison},
			{Name: "frames_huge_aligned", Fn: testHugeAligned},
			{Name: "symbols", Fn: testSymbols},
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
	// The first segment starts with the ELF header at physical 2 MiB;
	// .text is linked at KernelBase + 0x201000 (-T -0x7fdff000).
	text := uint64(amd64.KernelBase) + 0x201000
	if !inRAM || img.Start != 0x200000 || img.TextStart > text || img.TextEnd <= text {
		t.Errorf("kernel image [%#x, %#x) text [%#x, %#x): want it in RAM at 2 MiB with %#x in the text", img.Start, img.End, img.TextStart, img.TextEnd, text)
	}
	st := phys.Frames.Stats()
	if st.Total*phys.PageSize > ram || st.Total*phys.PageSize < ram-(16<<20)-(img.End-img.Start)-(boot.MetaEnd-boot.MetaStart) {
		t.Errorf("allocator manages %d MiB of %d MiB RAM", st.Total*phys.PageSize>>20, ram>>20)
	}
}

func testDirectMap(t *ktest.T) {
	// Every 2 MiB of RAM appears at DirectMap + its physical address.
	checked := 0
	for a := uint64(2 << 20); a < phys.RAMTop; a += 2 << 20 {
		va := phys.VA(a + 0x123)
		pa, _, ok := phys.KernelTranslate(va)
		if !ok || pa != a+0x123 {
			t.Fatalf("%#x translates to %#x (ok=%v), want %#x", va, pa, ok, a+0x123)
		}
		if back, ok := phys.PA(va); !ok || back != a+0x123 {
			t.Fatalf("phys.PA(%#x) = %#x, %v; want %#x", va, back, ok, a+0x123)
		}
		checked++
	}
	// And memory written through the direct map reads back, in frames
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
		v, ok := amd64.ProbeLoad(phys.VA(pfn<<phys.PageShift) + 8*77)
		phys.Frames.Free(pfn, 0)
		if !ok || v != pfn<<32|77 {
			t.Fatalf("frame %#x: read back %#x (ok=%v)", pfn, v, ok)
		}
	}
	t.Logf("direct map at %#x: %d MiB checked", phys.DirectMap, checked*2)
}

// testImageMap: the kernel runs at its link address, which maps to the
// physical address QEMU loaded it at; the same bytes are visible through
// the direct map.
func testImageMap(t *ktest.T) {
	img := boot.Image
	fn := uint64(ktestFuncAddr())
	if fn < img.TextStart || fn >= img.TextEnd {
		t.Fatalf("a kernel function at %#x is outside the text [%#x, %#x)", fn, img.TextStart, img.TextEnd)
	}
	for va := img.TextStart &^ (phys.PageSize - 1); va < img.TextEnd; va += 64 * phys.PageSize {
		pa, _, ok := phys.KernelTranslate(uintptr(va))
		if !ok || pa != va-uint64(phys.KernelBase) {
			t.Fatalf("text page %#x translates to %#x (ok=%v), want %#x", va, pa, ok, va-uint64(phys.KernelBase))
		}
		a, _ := amd64.ProbeLoad(uintptr(va))
		b, _ := amd64.ProbeLoad(phys.VA(pa))
		if a != b {
			t.Fatalf("text page %#x reads %#x, its direct-map alias %#x reads %#x", va, a, phys.VA(pa), b)
		}
	}
	if pa, ok := phys.PA(uintptr(fn)); !ok || pa < img.Start || pa >= img.End {
		t.Errorf("phys.PA(%#x) = %#x, %v: want inside the image [%#x, %#x)", fn, pa, ok, img.Start, img.End)
	}
}

func ktestFuncAddr() uintptr {
	f := testImageMap
	return **(**uintptr)(unsafe.Pointer(&f))
}

// testLowerHalfEmpty: once the boot path is done, the kernel's own PML4
// maps nothing below the upper half (the boot identity map is gone), and
// a new mm starts with the same kernel half and an empty user half.
func testLowerHalfEmpty(t *ktest.T) {
	l4 := phys.Table(phys.BootPML4)
	for i := 0; i < amd64.PML4KernelFirst; i++ {
		if e := phys.LoadPTE(&l4[i]); e != 0 {
			t.Errorf("kernel PML4 entry %d is %#x: the lower half should be empty", i, uint64(e))
		}
	}
	for _, i := range []int{amd64.PML4DirectMap, amd64.PML4Heap, amd64.PML4Kernel} {
		if !phys.LoadPTE(&l4[i]).Present() {
			t.Errorf("kernel PML4 entry %d is not present", i)
		}
	}
	for _, a := range []uintptr{0x200000, 0x201000, 0x400000, 1 << 30} {
		if _, ok := amd64.ProbeLoad(a); ok {
			t.Errorf("reading %#x (lower half) did not fault", a)
		}
	}
}

func testPage0(t *ktest.T) {
	for _, base := range []uintptr{0, phys.DirectMap, phys.KernelBase} {
		if _, _, ok := phys.KernelTranslate(base); ok {
			t.Errorf("page 0 is mapped at %#x", base)
		}
	}
	if _, _, ok := phys.KernelTranslate(phys.DirectMap + 4096); !ok {
		t.Errorf("page 1 is not mapped in the direct map")
	}
	before := trap.Fixups
	for _, a := range []uintptr{0, 8, 4088, phys.DirectMap, phys.DirectMap + 8} {
		v, ok := amd64.ProbeLoad(a)
		if ok {
			t.Errorf("reading %#x did not fault (read %#x)", a, v)
		}
		if trap.LastFixupCR2 != uint64(a) {
			t.Errorf("fault at %#x reported CR2 %#x", a, trap.LastFixupCR2)
		}
	}
	if trap.Fixups != before+5 {
		t.Errorf("%d faults were handled, want 5", trap.Fixups-before)
	}
	if _, ok := amd64.ProbeLoad(phys.DirectMap + 4096); !ok {
		t.Errorf("reading page 1 through the direct map faulted")
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
	// The metadata takes MetaSize(n) bytes: more than a few frames (an
	// earlier version took 4 frames for 1024 entries and overwrote
	// whatever followed them — the kernel image, once the allocator handed
	// out the frames just below it).
	metaOrder := 0
	for phys.PageSize<<metaOrder < uint64(phys.MetaSize(n)) {
		metaOrder++
	}
	region, ok1 := phys.Frames.Alloc(phys.MaxOrder, phys.KindKernel)
	meta, ok2 := phys.Frames.Alloc(metaOrder, phys.KindKernel)
	if !ok1 || !ok2 {
		t.Fatalf("no memory for the test allocator")
	}
	defer phys.Frames.Free(region, phys.MaxOrder)
	defer phys.Frames.Free(meta, metaOrder)
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
	if !phys.Frames.Poison {
		t.Skipf("poisoning is off (test= and debug=poison turn it on)")
	}
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

// testSymbols: the boot's symbol table (read from the runtime's function
// table) lists the same functions, names and extents as probing the text
// with runtime.FuncForPC, which uses the runtime's API alone.
func testSymbols(t *ktest.T) {
	fast := oops.Symbols()
	if fast == nil {
		t.Fatalf("no symbol table")
	}
	slow := oops.BuildByProbing(uintptr(boot.Image.TextStart), uintptr(boot.Image.TextEnd))
	a, b := fast.Syms(), slow.Syms()
	t.Logf("%d functions; probing finds %d", len(a), len(b))
	i, j, diffs := 0, 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j == len(b) || i < len(a) && a[i].Addr < b[j].Addr:
			t.Errorf("only in the table: %#x %s", a[i].Addr, a[i].Name)
			i++
		case i == len(a) || b[j].Addr < a[i].Addr:
			t.Errorf("only found by probing: %#x %s", b[j].Addr, b[j].Name)
			j++
		default:
			if a[i].Name != b[j].Name {
				t.Errorf("%#x: %q in the table, %q by probing", a[i].Addr, a[i].Name, b[j].Name)
			}
			i++
			j++
		}
		if diffs++; t.Failed() && diffs > 20 {
			t.Fatalf("too many differences")
		}
	}
}
