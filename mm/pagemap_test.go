package mm

import (
	"testing"

	"retract/mm/phys"
)

// TestPagemapEntry: the bits of Linux's pagemap words (fs/proc/task_mmu.c).
func TestPagemapEntry(t *testing.T) {
	for _, c := range []struct {
		name     string
		pfn      uint64
		kind     phys.Kind
		mapcount int32
		zero     bool
		want     uint64
	}{
		{"anonymous, mapped once", 0x1234, phys.KindAnon, 1, false, 1<<63 | 1<<56 | 0x1234},
		{"anonymous, shared after fork", 0x1234, phys.KindAnon, 2, false, 1<<63 | 0x1234},
		{"page cache, mapped once", 0x55, phys.KindPageCache, 1, false, 1<<63 | 1<<61 | 1<<56 | 0x55},
		{"page cache, mapped twice", 0x55, phys.KindPageCache, 2, false, 1<<63 | 1<<61 | 0x55},
		{"the zero page", 0x99, phys.KindAnon, 7, true, 1<<63 | 0x99},
		{"a frame number too wide is cut to 55 bits", 1<<60 | 3, phys.KindAnon, 1, false, 1<<63 | 1<<56 | 3},
	} {
		if got := PagemapEntry(c.pfn, c.kind, c.mapcount, c.zero); got != c.want {
			t.Errorf("%s: %#x, want %#x", c.name, got, c.want)
		}
	}
}
