// fork.go: benchmarks of fork and copy on write.

package bench

import (
	"fmt"
	"io"
	"time"

	"retract/mm"
	"retract/mm/phys"
)

func init() {
	Register(Bench{Name: "fork", Doc: "mm.Fork of 64 MiB of 4 KiB pages and of 64 MiB of huge pages (per MiB), and the write faults after it: a copy while the child shares the page, a reuse once it is gone", Run: benchFork})
}

func benchFork(w io.Writer) error {
	const mib = 64
	const rounds = 5
	m, err := mm.New()
	if err != nil {
		return err
	}
	defer m.Destroy()
	small, err := m.DoMmap(0, mib<<20, mm.ProtRead|mm.ProtWrite, mm.MapPrivate|mm.MapAnonymous|mm.MapNoreserve, nil, 0)
	if err != nil {
		return err
	}
	m.DoMadvise(small, mib<<20, mm.MadvNohugepage)
	huge, err := m.DoMmap(benchBase, mib<<20, mm.ProtRead|mm.ProtWrite, mm.MapPrivate|mm.MapAnonymous|mm.MapFixed, nil, 0)
	if err != nil {
		return err
	}
	m.DoMadvise(huge, mib<<20, mm.MadvHugepage)
	if err := touchAll(m, small, mib<<20/phys.PageSize); err != nil {
		return err
	}
	if err := touchAll(m, huge, mib<<20/phys.PageSize); err != nil {
		return err
	}
	// Fork with only one of the two regions: DONTFORK the other.
	timeFork := func(skip uintptr) (time.Duration, error) {
		m.DoMadvise(skip, mib<<20, mm.MadvDontfork)
		defer m.DoMadvise(skip, mib<<20, mm.MadvDofork)
		var total time.Duration
		for i := 0; i < rounds; i++ {
			start := time.Now()
			c, err := m.Fork()
			total += time.Since(start)
			if err != nil {
				return 0, err
			}
			c.Destroy()
		}
		return total / rounds, nil
	}
	d4k, err := timeFork(huge)
	if err != nil {
		return err
	}
	dHuge, err := timeFork(small)
	if err != nil {
		return err
	}
	Line(w, "fork_4k_us_per_mib", float64(d4k.Microseconds())/mib, "us")
	Line(w, "fork_huge_us_per_mib", float64(dHuge.Microseconds())/mib, "us")
	// Copy on write: the parent writes 1024 pages the child shares
	// (copies), then, after the child is gone, 1024 more (reuses).
	c, err := m.Fork()
	if err != nil {
		return err
	}
	const n = 1024
	c0, r0 := m.Stats.CowCopy.Load(), m.Stats.CowReuse.Load()
	start := time.Now()
	err = touchAll(m, small, n)
	copyTime := time.Since(start)
	c.Destroy()
	if err != nil {
		return err
	}
	start = time.Now()
	err = touchAll(m, small+n*phys.PageSize, n)
	reuseTime := time.Since(start)
	if err != nil {
		return err
	}
	if m.Stats.CowCopy.Load()-c0 != n || m.Stats.CowReuse.Load()-r0 != n {
		return fmt.Errorf("%d copies and %d reuses, want %d each", m.Stats.CowCopy.Load()-c0, m.Stats.CowReuse.Load()-r0, n)
	}
	Line(w, "cow_copy_fault_us", float64(copyTime.Microseconds())/n, "us")
	Line(w, "cow_reuse_fault_us", float64(reuseTime.Microseconds())/n, "us")
	return nil
}
