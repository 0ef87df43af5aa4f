// meminfo.go: /proc/meminfo and /proc/vmstat (fs/proc/meminfo.c,
// mm/vmstat.c).

// trapctx: process context only

package procfs

import (
	"fmt"
	"strings"

	"retract/mm"
	"retract/mm/phys"
)

// MemInputs is what /proc/meminfo is made of besides mm's counters.
type MemInputs struct {
	Mem         mm.MemCounts
	KernelStack uint64 // bytes of kernel stacks
	Committed   uint64 // pages of private writable mappings (Committed_AS)
	HeapWindow  uint64 // bytes of the Go heap window (VmallocTotal)
	DirectMap   uint64 // bytes the direct map covers with 2 MiB pages
}

// meminfo prints /proc/meminfo the way Linux 6.1 does on x86-64 (with
// CONFIG_ZSWAP, CONFIG_MEMORY_FAILURE and THP, without CMA and 1 GiB
// direct-map pages). docs/procfs.md says where each figure comes from.
func meminfo(in MemInputs) []byte {
	c := in.Mem
	const pg = phys.PageSize / 1024 // kB per page
	var b strings.Builder
	kb := func(label string, v uint64) { fmt.Fprintf(&b, "%-16s%8d kB\n", label+":", v) }
	avail := uint64(0)
	if c.Free > c.Reserve {
		avail = c.Free - c.Reserve
	}
	active := c.Anon + c.PageCache // no LRU aging here: all of it is "active"; shmem is on the anon lists, as in Linux
	kb("MemTotal", c.Total*pg)
	kb("MemFree", c.Free*pg)
	kb("MemAvailable", avail*pg)
	kb("Buffers", 0)
	kb("Cached", c.PageCache*pg)
	kb("SwapCached", 0)
	kb("Active", active*pg)
	kb("Inactive", 0)
	kb("Active(anon)", active*pg)
	kb("Inactive(anon)", 0)
	kb("Active(file)", 0)
	kb("Inactive(file)", 0)
	kb("Unevictable", 0)
	kb("Mlocked", 0)
	kb("SwapTotal", 0)
	kb("SwapFree", 0)
	kb("Zswap", 0)
	kb("Zswapped", 0)
	kb("Dirty", 0)
	kb("Writeback", 0)
	kb("AnonPages", c.Anon*pg)
	kb("Mapped", c.FileMapped*pg)
	kb("Shmem", c.PageCache*pg)
	kb("KReclaimable", 0)
	kb("Slab", 0)
	kb("SReclaimable", 0)
	kb("SUnreclaim", 0)
	kb("KernelStack", in.KernelStack/1024)
	kb("PageTables", c.PageTables*pg)
	kb("SecPageTables", 0)
	kb("NFS_Unstable", 0)
	kb("Bounce", 0)
	kb("WritebackTmp", 0)
	kb("CommitLimit", c.Total/2*pg) // overcommit_ratio 50, no swap
	kb("Committed_AS", in.Committed*pg)
	kb("VmallocTotal", in.HeapWindow/1024)
	kb("VmallocUsed", c.GoHeap*pg)
	kb("VmallocChunk", 0)
	kb("Percpu", 0)
	fmt.Fprintf(&b, "HardwareCorrupted: %5d kB\n", 0)
	kb("AnonHugePages", c.AnonHuge*pg)
	kb("ShmemHugePages", c.FileHuge*pg)
	kb("ShmemPmdMapped", c.FilePmdMapped*pg)
	kb("FileHugePages", 0)
	kb("FilePmdMapped", 0)
	fmt.Fprintf(&b, "HugePages_Total:   %5d\nHugePages_Free:    %5d\nHugePages_Rsvd:    %5d\nHugePages_Surp:    %5d\n", 0, 0, 0, 0)
	kb("Hugepagesize", mm.HPageSize/1024)
	kb("Hugetlb", 0)
	kb("DirectMap4k", 0)
	kb("DirectMap2M", in.DirectMap/1024)
	return []byte(b.String())
}

// VMStat is the event counters /proc/vmstat prints, gathered from mm.
type VMStat struct {
	Mem mm.MemCounts

	ThpFaultAlloc, ThpFaultFallback               uint64
	ThpCollapseAlloc, ThpCollapseAllocFailed      uint64
	ThpFileMapped                                 uint64
	ThpSplitPage, ThpSplitPageFailed, ThpSplitPMD uint64
	ThpScanExceedNone                             uint64

	PtRetracted, PtRetractSkipped, PtFreedRCU, PtFreedUnsafe uint64
	PtFreePending, PtRetractRetries, PtUAFCaught             uint64
}

// readVMStat gathers VMStat from the kernel's counters.
func readVMStat() VMStat {
	t, c := &mm.ThpStat, &mm.CollapseStat
	return VMStat{
		Mem:                    src.Mem(),
		ThpFaultAlloc:          t.FaultAlloc.Load(),
		ThpFaultFallback:       t.FaultFallback.Load(),
		ThpCollapseAlloc:       t.CollapseAlloc.Load(),
		ThpCollapseAllocFailed: t.CollapseAllocFailed.Load(),
		ThpFileMapped:          t.FileMapped.Load(),
		ThpSplitPage:           t.SplitPage.Load(),
		ThpSplitPageFailed:     t.SplitPageFailed.Load(),
		ThpSplitPMD:            t.Split.Load(),
		ThpScanExceedNone:      t.ScanExceedNone.Load(),
		PtRetracted:            c.Retracted.Load(),
		PtRetractSkipped:       c.RetractSkipped.Load(),
		PtFreedRCU:             c.FreedRCU.Load(),
		PtFreedUnsafe:          c.FreedUnsafe.Load(),
		PtFreePending:          uint64(max(c.PendingFree.Load(), 0)),
		PtRetractRetries:       mm.RetractedRetries.Load(),
		PtUAFCaught:            mm.Violations.Load(),
	}
}

// vmstat prints /proc/vmstat: "name value" lines, the memory counters
// and the thp_* events in Linux 6.1's order (the lines this kernel has
// nothing for are left out, except the thp_* ones, which print 0), then
// retract's own pt_* counters (docs/retract.md defines them).
func vmstat(s VMStat) []byte {
	c := s.Mem
	var b strings.Builder
	line := func(name string, v uint64) { fmt.Fprintf(&b, "%s %d\n", name, v) }
	line("nr_free_pages", c.Free)
	line("nr_anon_pages", c.Anon)
	line("nr_mapped", c.FileMapped)
	line("nr_file_pages", c.PageCache)
	line("nr_shmem", c.PageCache)
	line("nr_shmem_hugepages", c.FileHuge/mm.HPageNr)
	line("nr_shmem_pmdmapped", c.FilePmdMapped/mm.HPageNr)
	line("nr_file_hugepages", 0)
	line("nr_file_pmdmapped", 0)
	line("nr_anon_transparent_hugepages", c.AnonHuge/mm.HPageNr)
	line("nr_page_table_pages", c.PageTables)
	line("thp_fault_alloc", s.ThpFaultAlloc)
	line("thp_fault_fallback", s.ThpFaultFallback)
	line("thp_fault_fallback_charge", 0)
	line("thp_collapse_alloc", s.ThpCollapseAlloc)
	line("thp_collapse_alloc_failed", s.ThpCollapseAllocFailed)
	line("thp_file_alloc", 0)
	line("thp_file_fallback", 0)
	line("thp_file_fallback_charge", 0)
	line("thp_file_mapped", s.ThpFileMapped)
	line("thp_split_page", s.ThpSplitPage)
	line("thp_split_page_failed", s.ThpSplitPageFailed)
	line("thp_deferred_split_page", 0)
	line("thp_split_pmd", s.ThpSplitPMD)
	line("thp_scan_exceed_none_pte", s.ThpScanExceedNone)
	line("thp_scan_exceed_swap_pte", 0)
	line("thp_scan_exceed_share_pte", 0)
	line("thp_split_pud", 0)
	line("thp_zero_page_alloc", 0)
	line("thp_zero_page_alloc_failed", 0)
	line("thp_swpout", 0)
	line("thp_swpout_fallback", 0)
	line("pt_retracted", s.PtRetracted)
	line("pt_retract_skipped", s.PtRetractSkipped)
	line("pt_freed_rcu", s.PtFreedRCU)
	line("pt_freed_unsafe", s.PtFreedUnsafe)
	line("pt_free_pending", s.PtFreePending)
	line("pt_retract_retries", s.PtRetractRetries)
	line("pt_uaf_caught", s.PtUAFCaught)
	return []byte(b.String())
}
