// munmap.go: the cost of munmap of one page, in the kernel.

package bench

import (
	"io"
	"time"

	"retract/mm"
	"retract/mm/phys"
)

func init() {
	Register(Bench{Name: "munmap_page_us", Doc: "munmap of one touched 4 KiB page of an anonymous mapping, in the kernel (no IPI: the mm runs on one CPU)", Run: munmapPage})
}

// munmapPage times mm.Munmap of one page at a time over 512 touched
// pages: the VMA surgery, the zap, the TLB flush and the freeing, without
// the trip from ring 3.
func munmapPage(w io.Writer) error {
	return withOwnMM(func(m *mm.MM) error {
		const base, n = 0x10000000, 512
		best, err := bestOf(3, func() (float64, error) {
			if _, err := m.Mmap(base, n*phys.PageSize, mm.ProtRead|mm.ProtWrite, 0); err != nil {
				return 0, err
			}
			if err := touchAll(m, base, n); err != nil {
				return 0, err
			}
			start := time.Now()
			for i := uintptr(0); i < n; i++ {
				if err := m.Munmap(base+i*phys.PageSize, phys.PageSize); err != nil {
					return 0, err
				}
			}
			return float64(time.Since(start).Nanoseconds()) / 1e3 / n, nil
		})
		if err != nil {
			return err
		}
		Line(w, "munmap_page_us", best, "us")
		return nil
	})
}
