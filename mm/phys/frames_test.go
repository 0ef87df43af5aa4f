package phys

import (
	"math/rand/v2"
	"testing"
	"unsafe"
)

// fakeMemory is a frame allocator over a Go byte slice standing in for RAM
// (PFN p lives at mem[p*PageSize]).
func fakeMemory(t *testing.T, frames uint64) (*Allocator, []byte) {
	t.Helper()
	mem := make([]byte, frames*PageSize)
	meta := make([]byte, MetaSize(frames))
	a := &Allocator{}
	a.Init(unsafe.Pointer(&meta[0]), frames, func(pfn uint64) unsafe.Pointer {
		return unsafe.Pointer(&mem[pfn*PageSize])
	})
	return a, mem
}

func TestAddRangeAndMerge(t *testing.T) {
	a, _ := fakeMemory(t, 4096)
	// Two ranges with a hole, like RAM below and above a firmware window.
	a.AddRange(PageSize, 1000*PageSize)
	a.AddRange(1100*PageSize+123, 4096*PageSize)
	st := a.Stats()
	want := uint64(999 + (4096 - 1101))
	if st.Total != want || st.Free != want {
		t.Fatalf("total %d free %d, want %d", st.Total, st.Free, want)
	}
	if msg := a.Check(); msg != "" {
		t.Fatal(msg)
	}
	// Take every frame one at a time, then give them all back: the lists
	// must merge back to exactly what AddRange built.
	blocks := st.FreeBlocks
	var pfns []uint64
	for {
		p, ok := a.Alloc(0, KindAnon)
		if !ok {
			break
		}
		if (p >= 1000 && p < 1101) || p == 0 || p >= 4096 {
			t.Fatalf("allocated PFN %d outside RAM", p)
		}
		pfns = append(pfns, p)
	}
	if uint64(len(pfns)) != want || a.Stats().Free != 0 || a.Stats().ByKind[KindAnon] != want {
		t.Fatalf("allocated %d frames of %d; stats %+v", len(pfns), want, a.Stats())
	}
	seen := map[uint64]bool{}
	for _, p := range pfns {
		if seen[p] {
			t.Fatalf("PFN %d handed out twice", p)
		}
		seen[p] = true
	}
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(pfns), func(i, j int) { pfns[i], pfns[j] = pfns[j], pfns[i] })
	for _, p := range pfns {
		a.Free(p, 0)
	}
	if got := a.Stats(); got.Free != want || got.FreeBlocks != blocks || got.ByKind[KindAnon] != 0 {
		t.Fatalf("after freeing everything: free %d blocks %v, want %d %v", got.Free, got.FreeBlocks, want, blocks)
	}
	if msg := a.Check(); msg != "" {
		t.Fatal(msg)
	}
}

func TestRandomOrders(t *testing.T) {
	for seed := uint64(1); seed <= 5; seed++ {
		a, mem := fakeMemory(t, 8192)
		a.AddRange(0, 8192*PageSize)
		a.Poison = true
		r := rand.New(rand.NewPCG(seed, 99))
		type block struct{ pfn, order uint64 }
		var live []block
		owner := make([]int32, 8192)
		for i := range owner {
			owner[i] = -1
		}
		for step := 0; step < 5000; step++ {
			if len(live) > 0 && r.IntN(2) == 0 {
				i := r.IntN(len(live))
				b := live[i]
				live[i] = live[len(live)-1]
				live = live[:len(live)-1]
				for p := b.pfn; p < b.pfn+1<<b.order; p++ {
					owner[p] = -1
				}
				a.Free(b.pfn, int(b.order))
				if mem[b.pfn*PageSize] != PoisonByte || mem[(b.pfn+1<<b.order)*PageSize-1] != PoisonByte {
					t.Fatalf("seed %d: freed block not poisoned", seed)
				}
				continue
			}
			order := uint64(r.IntN(MaxOrder + 1))
			p, ok := a.Alloc(int(order), KindKernel)
			if !ok {
				continue
			}
			if p&(1<<order-1) != 0 {
				t.Fatalf("seed %d: order %d block at %d not aligned", seed, order, p)
			}
			for q := p; q < p+1<<order; q++ {
				if owner[q] != -1 {
					t.Fatalf("seed %d: frame %d given to two blocks", seed, q)
				}
				owner[q] = int32(step)
			}
			live = append(live, block{p, order})
		}
		if msg := a.Check(); msg != "" {
			t.Fatalf("seed %d: %s", seed, msg)
		}
		for _, b := range live {
			a.Free(b.pfn, int(b.order))
		}
		// PFN 0 is never added, so only the first max-order block stays split.
		if st := a.Stats(); st.Free != st.Total || st.FreeBlocks[MaxOrder] != 8192>>MaxOrder-1 {
			t.Fatalf("seed %d: after freeing all: free %d of %d, %d max-order blocks", seed, st.Free, st.Total, st.FreeBlocks[MaxOrder])
		}
	}
}

func TestExhaustionAndFragmentation(t *testing.T) {
	a, _ := fakeMemory(t, 1024)
	a.AddRange(512*PageSize, 1024*PageSize) // one aligned 2 MiB block
	p, ok := a.Alloc(9, KindAnon)
	if !ok || p != 512 {
		t.Fatalf("Alloc(9) = %d, %v; want 512", p, ok)
	}
	if _, ok := a.Alloc(0, KindAnon); ok {
		t.Fatal("allocated from an empty allocator")
	}
	a.Free(p, 9)
	// Pin one frame in the middle: no 2 MiB block is left.
	var small []uint64
	for i := 0; i < 300; i++ {
		q, _ := a.Alloc(0, KindAnon)
		small = append(small, q)
	}
	for _, q := range small[:299] {
		a.Free(q, 0)
	}
	if _, ok := a.Alloc(9, KindAnon); ok {
		t.Fatal("got a 2 MiB block although one frame of the only one is in use")
	}
	if _, ok := a.Alloc(8, KindAnon); !ok {
		t.Fatal("no 1 MiB block although half the memory is free")
	}
}

func TestFreeMisuse(t *testing.T) {
	a, _ := fakeMemory(t, 64)
	a.AddRange(0, 64*PageSize)
	p, _ := a.Alloc(2, KindAnon)
	for _, tc := range []struct {
		name  string
		pfn   uint64
		order int
	}{{"wrong order", p, 1}, {"not a head", p + 1, 0}, {"beyond memory", 1000, 0}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: Free did not panic", tc.name)
				}
			}()
			a.Free(tc.pfn, tc.order)
		}()
	}
	a.Free(p, 2)
	if msg := a.Check(); msg != "" {
		t.Fatal(msg)
	}
}

// TestPerCPUCaches runs random single-frame traffic through the per-CPU
// caches of four simulated CPUs, mixed with larger blocks from the buddy
// lists, and checks the accounting (cached frames count as free) after
// every batch and that everything merges back at the end.
func TestPerCPUCaches(t *testing.T) {
	for seed := uint64(1); seed <= 3; seed++ {
		a, _ := fakeMemory(t, 4096)
		a.AddRange(0, 4096*PageSize)
		a.Poison = true
		cpu := 0
		a.PerCPU, a.CPU = true, func() int { return cpu }
		r := rand.New(rand.NewPCG(seed, 7))
		type block struct{ pfn, order uint64 }
		var live []block
		seen := map[uint64]bool{}
		for step := 0; step < 20000; step++ {
			cpu = r.IntN(4)
			if len(live) > 0 && r.IntN(2) == 0 {
				i := r.IntN(len(live))
				b := live[i]
				live[i] = live[len(live)-1]
				live = live[:len(live)-1]
				delete(seen, b.pfn)
				a.Free(b.pfn, int(b.order))
			} else {
				order := uint64(0)
				if r.IntN(8) == 0 {
					order = uint64(r.IntN(4))
				}
				if p, ok := a.Alloc(int(order), KindAnon); ok {
					if seen[p] {
						t.Fatalf("seed %d: PFN %d handed out twice", seed, p)
					}
					seen[p] = true
					live = append(live, block{p, order})
				}
			}
			if step%1000 == 0 {
				if msg := a.Check(); msg != "" {
					t.Fatalf("seed %d step %d: %s", seed, step, msg)
				}
			}
		}
		for _, b := range live {
			a.Free(b.pfn, int(b.order))
		}
		if msg := a.Check(); msg != "" {
			t.Fatal(msg)
		}
		if st := a.Stats(); st.Free != st.Total || st.ByKind[KindAnon] != 0 {
			t.Fatalf("seed %d: after freeing everything: %+v", seed, st)
		}
	}
}

// TestAllocUserKeepsReserve: user allocations stop at the reserve, kernel
// allocations may take it, and the refusals are counted.
func TestAllocUserKeepsReserve(t *testing.T) {
	const n = 8192 // 32 MiB
	a, _ := fakeMemory(t, n)
	a.AddRange(PageSize, n*PageSize)
	a.SetReserve()
	if a.Reserve != 8<<20/PageSize {
		t.Fatalf("reserve of 32 MiB of RAM: %d frames, want the 8 MiB floor (%d)", a.Reserve, 8<<20/PageSize)
	}
	users := 0
	for {
		if _, ok := a.AllocUser(0, KindAnon); !ok {
			break
		}
		users++
	}
	if free := a.Stats().Free; free != a.Reserve {
		t.Fatalf("user allocations stopped with %d frames free, want exactly the reserve %d (%d allocated)", free, a.Reserve, users)
	}
	if _, ok := a.AllocUser(9, KindAnon); ok {
		t.Fatalf("a huge user page was taken out of the reserve")
	}
	if a.UserFailed() != 2 {
		t.Fatalf("UserFailed = %d, want 2", a.UserFailed())
	}
	kernel := 0
	for {
		if _, ok := a.Alloc(0, KindGoHeap); !ok {
			break
		}
		kernel++
	}
	if uint64(kernel) != a.Reserve {
		t.Fatalf("the kernel got %d frames of the reserve, want all %d", kernel, a.Reserve)
	}
	if msg := a.Check(); msg != "" {
		t.Fatal(msg)
	}
}

// TestSetReserveBounds: 1/16 of RAM between 8 MiB and 64 MiB, never more
// than half of a tiny machine.
func TestSetReserveBounds(t *testing.T) {
	for _, c := range []struct{ frames, want uint64 }{
		{2048, 1024},                   // 8 MiB of RAM: half
		{32768, 8 << 20 / PageSize},    // 128 MiB: the 8 MiB floor
		{131072, 32 << 20 / PageSize},  // 512 MiB: 1/16
		{1 << 19, 64 << 20 / PageSize}, // 2 GiB: the 64 MiB ceiling
	} {
		a, _ := fakeMemory(t, c.frames+1)
		a.AddRange(PageSize, (c.frames+1)*PageSize)
		a.SetReserve()
		if a.Reserve != c.want {
			t.Errorf("%d frames of RAM: reserve %d, want %d", c.frames, a.Reserve, c.want)
		}
	}
}

func TestHeadAndSplit(t *testing.T) {
	a, _ := fakeMemory(t, 4096)
	a.AddRange(PageSize, 4096*PageSize)
	free0 := a.Stats().Free
	small, ok := a.Alloc(0, KindAnon)
	if !ok {
		t.Fatal("Alloc(0)")
	}
	if h, order := a.Head(small); h != small || order != 0 {
		t.Errorf("Head of a 4 KiB page = %d/%d, want %d/0", h, order, small)
	}
	huge, ok := a.Alloc(9, KindPageCache)
	if !ok || huge%512 != 0 {
		t.Fatalf("Alloc(9) = %d, %v", huge, ok)
	}
	for _, i := range []uint64{0, 1, 255, 511} {
		if h, order := a.Head(huge + i); h != huge || order != 9 {
			t.Errorf("Head(%d+%d) = %d/%d, want %d/%d", huge, i, h, order, huge, 9)
		}
	}
	a.Split(huge, 9)
	for i := uint64(0); i < 512; i++ {
		if h, order := a.Head(huge + i); h != huge+i || order != 0 {
			t.Fatalf("after Split, Head(%d) = %d/%d", huge+i, h, order)
		}
	}
	if a.Stats().ByKind[KindPageCache] != 512 {
		t.Errorf("Split changed the accounting: %d page-cache frames", a.Stats().ByKind[KindPageCache])
	}
	for i := uint64(512); i > 0; i-- {
		a.Free(huge+i-1, 0)
	}
	a.Free(small, 0)
	if msg := a.Check(); msg != "" {
		t.Fatal(msg)
	}
	if a.Stats().Free != free0 {
		t.Errorf("free %d, want %d", a.Stats().Free, free0)
	}
	// The 512 frames merged: the same 2 MiB block can be had again.
	var got []uint64
	for {
		p, ok := a.Alloc(9, KindAnon)
		if !ok {
			break
		}
		got = append(got, p)
	}
	found := false
	for _, p := range got {
		found = found || p == huge
	}
	if !found {
		t.Errorf("the split block did not merge back into a 2 MiB block")
	}
}

// TestSplitRefusesNonHead: Split of a frame that heads no block of that
// order panics instead of corrupting the lists.
func TestSplitRefusesNonHead(t *testing.T) {
	a, _ := fakeMemory(t, 2048)
	a.AddRange(PageSize, 2048*PageSize)
	huge, _ := a.Alloc(9, KindAnon)
	defer func() {
		if recover() == nil {
			t.Errorf("Split of a tail frame did not panic")
		}
	}()
	a.Split(huge+1, 9)
}

// TestHugeByKindAndScanHeads: frames in 2 MiB blocks are counted by kind
// until the block is freed or split, and ScanHeads finds exactly the
// heads of allocated blocks of the kind asked for.
func TestHugeByKindAndScanHeads(t *testing.T) {
	a, _ := fakeMemory(t, 4096)
	a.AddRange(PageSize, 4096*PageSize)
	h1, ok1 := a.Alloc(HugeOrder, KindAnon)
	h2, ok2 := a.Alloc(HugeOrder, KindPageCache)
	small, ok3 := a.Alloc(0, KindPageCache)
	if !ok1 || !ok2 || !ok3 {
		t.Fatal("allocation failed")
	}
	st := a.Stats()
	if st.HugeByKind[KindAnon] != 512 || st.HugeByKind[KindPageCache] != 512 || st.ByKind[KindPageCache] != 513 {
		t.Errorf("huge by kind %v, by kind %v; want 512 anon and 512 page-cache frames in huge blocks, 513 page-cache frames", st.HugeByKind, st.ByKind)
	}
	var heads []uint64
	a.ScanHeads(KindPageCache, func(pfn uint64, order int, f *Frame) {
		heads = append(heads, pfn)
		if pfn == h2 && order != HugeOrder || pfn == small && order != 0 {
			t.Errorf("block %d seen with order %d", pfn, order)
		}
	})
	want := []uint64{min(h2, small), max(h2, small)}
	if len(heads) != 2 || heads[0] != want[0] || heads[1] != want[1] {
		t.Errorf("ScanHeads found %v, want %v", heads, want)
	}
	a.Split(h2, HugeOrder)
	if n := a.Stats().HugeByKind[KindPageCache]; n != 0 {
		t.Errorf("after a split, %d page-cache frames still counted in huge blocks", n)
	}
	n := 0
	a.ScanHeads(KindPageCache, func(uint64, int, *Frame) { n++ })
	if n != 513 {
		t.Errorf("after the split ScanHeads sees %d page-cache blocks, want 513", n)
	}
	a.Free(h1, HugeOrder)
	if st := a.Stats(); st.HugeByKind[KindAnon] != 0 {
		t.Errorf("after Free, %d anonymous frames counted in huge blocks", st.HugeByKind[KindAnon])
	}
	for i := uint64(0); i < 512; i++ {
		a.Free(h2+i, 0)
	}
	a.Free(small, 0)
	if msg := a.Check(); msg != "" {
		t.Fatal(msg)
	}
}
