// collapse.go: benchmarks of huge pages, collapse and retract.

package bench

import (
	"errors"
	"fmt"
	"io"
	"time"

	"retract/kernel/smp"
	"retract/kernel/stress"
	"retract/mm"
	"retract/mm/phys"
	"retract/rcu"
)

func init() {
	Register(Bench{Name: "collapse_anon_us_per_2m", Doc: "CollapseAnon of 512 populated 4 KiB pages", Run: benchCollapseAnon})
	Register(Bench{Name: "collapse_file_us_per_2m", Doc: "File.Collapse of 512 page-cache pages mapped by 8 mms, unmap+copy+retract", Run: benchCollapseFile})
	Register(Bench{Name: "fault_throughput", Doc: "file faults per second alone and during concurrent collapse (stress retract)", Run: benchFaultThroughput})
}

// benchBase is the 2 MiB-aligned address the benchmarks map at.
const benchBase uintptr = 0x8040000000 // 257 GiB: 2 MiB-aligned, far from where programs load

func touchAll(m *mm.MM, va uintptr, pages int) error {
	m.Use()
	defer m.Unuse()
	for i := 0; i < pages; i++ {
		if err := m.Store64(va+uintptr(i)*phys.PageSize, uint64(i)); err != nil {
			return err
		}
	}
	return nil
}

func benchCollapseAnon(w io.Writer) error {
	const rounds = 20
	m, err := mm.New()
	if err != nil {
		return err
	}
	defer m.Destroy()
	var total time.Duration
	for i := 0; i < rounds; i++ {
		if _, err := m.Mmap(benchBase, mm.HPageSize, mm.ProtRead|mm.ProtWrite, 0); err != nil {
			return err
		}
		if err := touchAll(m, benchBase, mm.HPageNr); err != nil {
			return err
		}
		start := time.Now()
		o := m.CollapseAnon(benchBase, 0)
		total += time.Since(start)
		if !o.OK() {
			return fmt.Errorf("CollapseAnon: %v", o)
		}
		m.Munmap(benchBase, mm.HPageSize)
	}
	Line(w, "collapse_anon_us_per_2m", float64(total.Microseconds())/rounds, "us")
	return nil
}

// mapFile appends n new address spaces to *mms, each mapping file's first
// 2 MiB shared at benchBase.
func mapFile(mms *[]*mm.MM, file *mm.File, n int) error {
	for i := 0; i < n; i++ {
		m, err := mm.New()
		if err != nil {
			return err
		}
		*mms = append(*mms, m)
		if _, err := m.MmapFile(benchBase, mm.HPageSize, mm.ProtRead|mm.ProtWrite, true, file, 0); err != nil {
			return err
		}
	}
	return nil
}

// benchCollapseFile collapses a file range that 8 address spaces map with
// every PTE present, then splits it back, 10 times; it reports the whole
// collapse and, from the collapse's own phase clocks, the retract of one
// table (PMD lock, ptl, check, clear, TLB flush, PteFreeDefer).
func benchCollapseFile(w io.Writer) error {
	const rounds, mappers = 10, 8
	file := mm.NewFile("bench", mm.HPageNr)
	var mms []*mm.MM
	defer func() {
		for _, m := range mms {
			m.Destroy()
		}
		rcu.Barrier()
		file.Release()
	}()
	if err := mapFile(&mms, file, mappers); err != nil {
		return err
	}
	var total time.Duration
	r0, rn0 := mm.CollapseStat.Retracted.Load(), mm.CollapseStat.RetractNs.Load()
	u0, c0 := mm.CollapseStat.UnmapNs.Load(), mm.CollapseStat.CopyNs.Load()
	for i := 0; i < rounds; i++ {
		for _, m := range mms {
			if err := touchAll(m, benchBase, mm.HPageNr); err != nil {
				return err
			}
		}
		start := time.Now()
		o := file.Collapse(0, 0)
		total += time.Since(start)
		if !o.OK() {
			return fmt.Errorf("Collapse: %v", o)
		}
		if err := file.SplitHugePage(0); err != nil {
			return err
		}
	}
	tables := mm.CollapseStat.Retracted.Load() - r0
	if tables != rounds*mappers {
		return fmt.Errorf("%d tables retracted, want %d", tables, rounds*mappers)
	}
	Line(w, "collapse_file_us_per_2m", float64(total.Microseconds())/rounds, "us")
	Line(w, "collapse_file_unmap_us", float64(mm.CollapseStat.UnmapNs.Load()-u0)/1e3/rounds, "us")
	Line(w, "collapse_file_copy_us", float64(mm.CollapseStat.CopyNs.Load()-c0)/1e3/rounds, "us")
	Line(w, "retract_us_per_table", float64(mm.CollapseStat.RetractNs.Load()-rn0)/1e3/float64(tables), "us")
	return nil
}

// benchFaultThroughput measures file faults per second on all CPUs but
// one: first with nothing else going on (touch 512 pages, DONTNEED,
// again), then during stress retract's collapse-and-split loop.
func benchFaultThroughput(w io.Writer) error {
	workers := stress.DefaultWorkers(smp.Count())
	file := mm.NewFile("bench", mm.HPageNr)
	var mms []*mm.MM
	if err := mapFile(&mms, file, workers); err != nil {
		for _, m := range mms {
			m.Destroy()
		}
		file.Release()
		return err
	}
	const d = 2 * time.Second
	stop := time.Now().Add(d)
	errs := make(chan error, workers)
	var faults uint64
	for _, m := range mms {
		go func() {
			for time.Now().Before(stop) {
				if err := touchAll(m, benchBase, mm.HPageNr); err != nil {
					errs <- err
					return
				}
				m.MadviseDontneed(benchBase, mm.HPageSize)
			}
			errs <- nil
		}()
	}
	var err error
	for range mms {
		err = errors.Join(err, <-errs)
	}
	for _, m := range mms {
		faults += m.Stats.Faults.Load()
		m.Destroy()
	}
	file.Release()
	if err != nil {
		return err
	}
	Line(w, "file_fault_per_s", float64(faults)/d.Seconds(), "/s")
	res, err := stress.Retract(stress.RetractConfig{Duration: d, Workers: workers, Seed: 1})
	if err != nil {
		return err
	}
	if res.Leak != "" || res.Violations != 0 || res.DataErrors != 0 {
		return fmt.Errorf("stress: %v; %s", res, res.Leak)
	}
	Line(w, "file_fault_during_collapse_per_s", float64(res.Faults)/res.Duration.Seconds(), "/s")
	Line(w, "collapse_during_faults_us_per_2m", float64(res.CollapseMicros()), "us")
	return nil
}
