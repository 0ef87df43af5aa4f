package mm

import "testing"

// TestRangeAllows: every page mapped, without a hole, by VMAs that all
// allow the access.
func TestRangeAllows(t *testing.T) {
	var m MM
	const pg = 0x1000
	for _, v := range []VMA{
		{Start: 0x10000, End: 0x12000, Prot: ProtRead | ProtWrite, Flags: VMAnon},
		{Start: 0x12000, End: 0x13000, Prot: ProtRead, Flags: VMAnon},
		{Start: 0x14000, End: 0x15000, Prot: ProtRead | ProtWrite, Flags: VMAnon},
	} {
		if err := m.VMAs.Insert(v); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		start, n uintptr
		p        Prot
		want     bool
	}{
		{0x10000, 2 * pg, ProtWrite, true},
		{0x10800, pg, ProtWrite, true},      // inside one VMA, unaligned
		{0x11000, 2 * pg, ProtWrite, false}, // reaches the read-only VMA
		{0x11000, 2 * pg, ProtRead, true},   // two VMAs, both readable
		{0x12000, 3 * pg, ProtRead, false},  // a hole at 0x13000
		{0x13000, pg, ProtRead, false},      // nothing there
		{0x14000, pg, ProtRead | ProtWrite, true},
		{^uintptr(0) - 10, 100, ProtRead, false}, // wraps
	} {
		if got := m.RangeAllows(c.start, c.n, c.p); got != c.want {
			t.Errorf("RangeAllows(%#x, %#x, %v) = %v, want %v", c.start, c.n, c.p, got, c.want)
		}
	}
}
