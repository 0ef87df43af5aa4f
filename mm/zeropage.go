// zeropage.go: the shared zero page (Linux's ZERO_PAGE): anonymous read
// faults map it read-only; the first write replaces it with a private page.

// trapctx: process context only

package mm

import (
	"sync"

	"retract/mm/phys"
)

var (
	zeroOnce sync.Once
	zeroPFN  uint64
)

// ZeroPFN returns the zero page's frame, allocating it on first use.
func ZeroPFN() uint64 {
	zeroOnce.Do(func() {
		pfn, ok := phys.Frames.Alloc(0, phys.KindKernel)
		if !ok {
			panic("mm: no memory for the zero page")
		}
		clear((*[phys.PageSize]byte)(phys.Page(pfn))[:])
		zeroPFN = pfn
	})
	return zeroPFN
}

// ZeroPageIsZero checks that nobody wrote the zero page (a test hook).
func ZeroPageIsZero() bool {
	for _, b := range (*[phys.PageSize]byte)(phys.Page(ZeroPFN())) {
		if b != 0 {
			return false
		}
	}
	return true
}
