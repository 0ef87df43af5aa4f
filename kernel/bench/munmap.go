// munmap.go: the cost of munmap of one page, in the kernel.

package bench

import (
	"io"
	"runtime"
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
	errc := make(chan error)
	go func() { errc <- munmapPageOn(w) }()
	return <-errc
}

func munmapPageOn(w io.Writer) error {
	const base, n = 0x10000000, 512
	m, err := mm.New()
	if err != nil {
		return err
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	m.Use()
	defer func() {
		m.Unuse()
		m.Destroy()
	}()
	var best float64
	for rep := 0; rep < 3; rep++ {
		if _, err := m.Mmap(base, n*phys.PageSize, mm.ProtRead|mm.ProtWrite, 0); err != nil {
			return err
		}
		for i := uintptr(0); i < n; i++ {
			if err := m.Store64(base+i*phys.PageSize, 1); err != nil {
				return err
			}
		}
		start := time.Now()
		for i := uintptr(0); i < n; i++ {
			if err := m.Munmap(base+i*phys.PageSize, phys.PageSize); err != nil {
				return err
			}
		}
		us := float64(time.Since(start).Nanoseconds()) / 1e3 / n
		if rep == 0 || us < best {
			best = us
		}
	}
	Line(w, "munmap_page_us", best, "us")
	return nil
}
