package mm

import (
	"testing"

	"retract/kernel/clock"
	"retract/mm/phys"
)

// TestHeadAndSplit: Head finds the head of a 2 MiB block from any of its
// frames; Split turns the block into 512 frames that free one by one and
// merge back into the same 2 MiB block.
func TestPfnPMD(t *testing.T) {
	e := PfnPMD(HPageNr*3, ProtRead|ProtWrite)
	if !PmdHuge(e) || PmdPFN(e) != HPageNr*3 || !PteWrite(e) {
		t.Errorf("PfnPMD = %#x", uint64(e))
	}
	if PfnPMD(HPageNr, ProtNone) != 0 {
		t.Errorf("PfnPMD with ProtNone should be empty")
	}
}

// TestMappers: i_mmap entries are trimmed and split by removeMapping, and
// vaOf finds where a page is mapped.
func TestMappers(t *testing.T) {
	f := NewFile("t", 1024)
	a, b := &MM{ID: 1}, &MM{ID: 2}
	f.addMapping(a, UserBase, UserBase+100*phys.PageSize, 10, true)
	f.addMapping(b, UserBase, UserBase+50*phys.PageSize, 0, false)
	f.removeMapping(a, UserBase+20*phys.PageSize, UserBase+30*phys.PageSize) // a hole in a's range
	if n := len(f.immap); n != 3 {
		t.Fatalf("%d entries, want 3: %+v", n, f.immap)
	}
	var hits []uintptr
	for _, e := range f.immap {
		if e.MM != a {
			continue
		}
		for _, pg := range []uint64{10, 29, 35, 40, 109, 110} {
			if va, ok := e.vaOf(pg); ok {
				hits = append(hits, va)
			}
		}
	}
	// Pages 10 and 29 map in the first piece; 40 and 109 in the second;
	// 35 fell into the hole; 110 is beyond the end.
	want := []uintptr{UserBase, UserBase + 19*phys.PageSize, UserBase + 30*phys.PageSize, UserBase + 99*phys.PageSize}
	if len(hits) != len(want) {
		t.Fatalf("vaOf hits %#x, want %#x", hits, want)
	}
	for i := range want {
		if hits[i] != want[i] {
			t.Errorf("hit %d = %#x, want %#x", i, hits[i], want[i])
		}
	}
	if n := len(f.Mappers()); n != 2 {
		t.Errorf("Mappers = %d, want 2", n)
	}
	f.removeMapping(a, UserBase, UserEnd)
	f.removeMapping(b, UserBase, UserEnd)
	if len(f.immap) != 0 {
		t.Errorf("entries left: %+v", f.immap)
	}
}

func TestDelayPoints(t *testing.T) {
	defer SetDelay("fault.after_pte_offset_map", 0)
	if err := SetDelay("fault.after_pte_offset_map", 250); err != nil {
		t.Fatal(err)
	}
	names, us := DelayPoints()
	if names[DelayFaultAfterPteOffsetMap] != "fault.after_pte_offset_map" || us[DelayFaultAfterPteOffsetMap] != 250 {
		t.Errorf("DelayPoints = %v %v", names, us)
	}
	if err := SetDelay("nosuch", 1); err == nil {
		t.Errorf("unknown point accepted")
	}
	if err := SetDelay("retract.after_pmd_clear", MaxDelay+1); err == nil {
		t.Errorf("a delay above MaxDelay accepted")
	}
	var spun uint64
	spin = func(ns uint64) { spun += ns }
	defer func() { spin = clock.Spin }()
	delay(DelayFaultAfterPteOffsetMap)
	delay(DelayRetractAfterPmdClear)
	if spun != 250000 {
		t.Errorf("spun %d ns, want 250000", spun)
	}
}

func TestCollapseResultNames(t *testing.T) {
	names, counts := CollapseStat.ResultCounts()
	if len(names) != int(numCollapseResults) || len(counts) != len(names) {
		t.Fatalf("%d names, %d counts", len(names), len(counts))
	}
	for i, n := range names {
		if n == "" || CollapseResult(i).String() != n {
			t.Errorf("result %d has name %q", i, n)
		}
	}
}
