// collapse_result.go: how a collapse ended, in Linux's words. Every
// collapse returns a CollapseOutcome: the result code, named after Linux's
// enum scan_result (mm/khugepaged.c, 6.1 and later; the shell prints
// SCAN_EXCEED_NONE_PTE, not a private spelling), and the numbers behind
// it in one sentence:
//
//	SCAN_EXCEED_NONE_PTE: 512 of 512 PTEs are none, max_ptes_none is 511
//
// CollapseStat counts the results by code, like the counters Linux's
// trace points (mm_collapse_huge_page, mm_khugepaged_scan_file) feed.

// trapctx: process context only

package mm

import (
	"fmt"
	"strings"
	"sync/atomic"

	"retract/kernel/trace"
	"retract/mm/phys"
)

// CollapseResult is how a collapse ended: the subset of Linux's
// scan_result codes that retract's collapses can produce.
type CollapseResult int

// Collapse results, in the order of Linux's enum scan_result.
const (
	ScanFail              CollapseResult = iota // SCAN_FAIL: a PTE maps something else than the page the huge page holds there
	ScanSucceed                                 // SCAN_SUCCEED: collapsed
	ScanPmdNull                                 // SCAN_PMD_NULL: no page table above the PMD (nothing was ever mapped near)
	ScanPmdNone                                 // SCAN_PMD_NONE: the PMD is empty: no page table, nothing mapped
	ScanPmdMapped                               // SCAN_PMD_MAPPED: the PMD maps a huge page already
	ScanExceedNonePte                           // SCAN_EXCEED_NONE_PTE: more empty PTEs (or file holes) than max_ptes_none
	ScanExceedSharedPte                         // SCAN_EXCEED_SHARED_PTE: more pages shared with other mms (after fork) than max_ptes_shared
	ScanPteNonPresent                           // SCAN_PTE_NON_PRESENT: a PTE is neither none nor present
	ScanPteMappedHugepage                       // SCAN_PTE_MAPPED_HUGEPAGE: the page cache holds the huge page already
	ScanPageNull                                // SCAN_PAGE_NULL: the page cache has no page there
	ScanPageLock                                // SCAN_PAGE_LOCK: the range is being collapsed or split (Linux: its pages are locked)
	ScanPageAnon                                // SCAN_PAGE_ANON: an anonymous collapse found a page that is not anonymous
	ScanPageCompound                            // SCAN_PAGE_COMPOUND: the page cache holds small pages, not a huge page
	ScanVmaNull                                 // SCAN_VMA_NULL: no VMA (or the mm is gone)
	ScanVmaCheck                                // SCAN_VMA_CHECK: the VMA may not be collapsed (NOHUGEPAGE, PROT_NONE, wrong kind)
	ScanAddressRange                            // SCAN_ADDRESS_RANGE: the 2 MiB is not aligned or not inside the VMA or the file
	ScanAllocHugePageFail                       // SCAN_ALLOC_HUGE_PAGE_FAIL: no free 2 MiB block
	numCollapseResults
)

var collapseNames = [numCollapseResults]string{
	"SCAN_FAIL", "SCAN_SUCCEED", "SCAN_PMD_NULL", "SCAN_PMD_NONE", "SCAN_PMD_MAPPED", "SCAN_EXCEED_NONE_PTE", "SCAN_EXCEED_SHARED_PTE",
	"SCAN_PTE_NON_PRESENT", "SCAN_PTE_MAPPED_HUGEPAGE", "SCAN_PAGE_NULL", "SCAN_PAGE_LOCK", "SCAN_PAGE_ANON",
	"SCAN_PAGE_COMPOUND", "SCAN_VMA_NULL", "SCAN_VMA_CHECK", "SCAN_ADDRESS_RANGE", "SCAN_ALLOC_HUGE_PAGE_FAIL",
}

// String returns Linux's name of the code, e.g. "SCAN_EXCEED_NONE_PTE".
func (r CollapseResult) String() string {
	if r >= 0 && r < numCollapseResults {
		return collapseNames[r]
	}
	return fmt.Sprintf("SCAN_?%d", int(r))
}

// CollapseKind is which of the three collapses ran, by Linux's function.
type CollapseKind uint8

const (
	CollapseKindAnon      CollapseKind = iota // CollapseAnon: collapse_huge_page
	CollapseKindFile                          // File.Collapse: collapse_file
	CollapseKindPteMapped                     // CollapsePteMappedTHP: collapse_pte_mapped_thp
)

// Linux names Linux's function alone ("collapse_file"), for the trace.
func (k CollapseKind) Linux() string {
	switch k {
	case CollapseKindFile:
		return "collapse_file"
	case CollapseKindPteMapped:
		return "collapse_pte_mapped_thp"
	}
	return "collapse_huge_page"
}

// String names the collapse: ours, then Linux's.
func (k CollapseKind) String() string {
	switch k {
	case CollapseKindFile:
		return "File.Collapse (collapse_file)"
	case CollapseKindPteMapped:
		return "CollapsePteMappedTHP (collapse_pte_mapped_thp)"
	}
	return "CollapseAnon (collapse_huge_page)"
}

// CollapseOutcome is what one collapse did: its result, the numbers
// behind it, and the page tables it retracted.
type CollapseOutcome struct {
	Kind   CollapseKind
	Addr   uintptr // the 2 MiB in the mm (anonymous and PTE-mapped collapses, MadviseCollapse)
	Index  uint64  // the first file page (file collapses)
	Result CollapseResult
	// None counts the empty PTEs (anonymous) or the holes in the page
	// cache (file) that the check found; MaxNone is the limit it applied
	// (max_ptes_none). Both are -1 when the check did not run.
	None, MaxNone int
	// Detail says, with the numbers, why Result (empty for a success
	// that has nothing to add).
	Detail string
	// Retracts are the page tables this collapse retracted, in order.
	Retracts []Retract

	traceID uint32 // the collapse's slice in the trace (0: not traced)
}

// Retract is one page table detached by retract_page_tables and handed to
// pte_free_defer.
type Retract struct {
	MM    uint32
	VA    uintptr  // the 2 MiB the table mapped (the PMD's range)
	Table uint64   // the PT page's physical address
	Mode  FreeMode // how it is freed
	GP    uint64   // FreeAfterGP: the grace period after which it is freed
}

// String says what happened to the table, naming ours and Linux's
// functions: "retract: mm 3 pmd 0x8000000000: retractTable → PteFreeDefer
// (retract_page_tables → pte_free_defer): table 0x1a2000 freed after GP 12".
func (r Retract) String() string {
	when := fmt.Sprintf("after GP %d", r.GP)
	if r.Mode.Unsafe() {
		when = r.Mode.When()
	}
	return fmt.Sprintf("retract: mm %d pmd %#x: retractTable → PteFreeDefer (retract_page_tables → pte_free_defer): table %#x freed %s",
		r.MM, r.VA, r.Table, when)
}

// String is the outcome in one line: Linux's code, then the sentence,
// "SCAN_EXCEED_NONE_PTE: 512 of 512 PTEs are none, max_ptes_none is 511".
func (o CollapseOutcome) String() string {
	if o.Detail == "" {
		return o.Result.String()
	}
	return o.Result.String() + ": " + o.Detail
}

// OK reports whether the range ended mapped by a huge page (SCAN_SUCCEED).
func (o CollapseOutcome) OK() bool { return o.Result == ScanSucceed }

// outcome starts an outcome of kind k: SCAN_SUCCEED until a check says
// otherwise, the none check not run.
func outcome(k CollapseKind) CollapseOutcome {
	return CollapseOutcome{Kind: k, Result: ScanSucceed, None: -1, MaxNone: -1}
}

// begin starts a traced collapse of kind k at addr (an address of mm, or
// a file index when mm is 0).
func begin(k CollapseKind, addr uint64, mm uint32) CollapseOutcome {
	o := outcome(k)
	o.traceID = trace.NewID(trace.ClassCollapse)
	trace.CollapseBegin(o.traceID, uint8(k), addr, mm)
	return o
}

// phase records that the collapse enters phase p.
func (o *CollapseOutcome) phase(p trace.Phase) { trace.CollapsePhase(o.traceID, p) }

// set gives o its result and the sentence behind it, and returns *o.
func (o *CollapseOutcome) set(r CollapseResult, format string, args ...any) CollapseOutcome {
	o.Result = r
	o.Detail = fmt.Sprintf(format, args...)
	return *o
}

// counted counts o's result in CollapseStat.Results and returns o. Each
// collapse counts its outcome once, where it returns it.
func (o CollapseOutcome) counted() CollapseOutcome {
	CollapseStat.Results[o.Result].Add(1)
	trace.CollapseEnd(o.traceID, int(o.Result), len(o.Retracts))
	return o
}

// exceedNone is the SCAN_EXCEED_NONE_PTE sentence: what was none, of how
// many, and the limit.
func (o *CollapseOutcome) exceedNone(what string) CollapseOutcome {
	return o.set(ScanExceedNonePte, "%d of %d %s, max_ptes_none is %d", o.None, HPageNr, what, o.MaxNone)
}

// allocFailed is SCAN_ALLOC_HUGE_PAGE_FAIL with the free memory.
func (o *CollapseOutcome) allocFailed() CollapseOutcome {
	return o.set(ScanAllocHugePageFail, "no free 2 MiB block (order %d) among %d free frames: memory is fragmented or used up",
		HPageOrder, phys.Frames.Stats().Free)
}

// The results of find_pmd_or_thp_or_none for the 2 MiB at o.Addr.
func (o *CollapseOutcome) pmdNull() CollapseOutcome {
	return o.set(ScanPmdNull, "no PMD for %#x: the upper page tables are not there (nothing was mapped near)", o.Addr)
}

func (o *CollapseOutcome) pmdNone() CollapseOutcome {
	return o.set(ScanPmdNone, "the PMD for %#x is none: no page table, nothing mapped", o.Addr)
}

func (o *CollapseOutcome) pmdMapped() CollapseOutcome {
	return o.set(ScanPmdMapped, "the PMD for %#x maps a huge page already", o.Addr)
}

// CollapseStats counts collapses, retracts and table frees.
type CollapseStats struct {
	Anon, File, PteMapped, SplitFile atomic.Uint64 // successes
	Results                          [numCollapseResults]atomic.Uint64
	// Retracted counts tables detached without mmap_lock for writing;
	// RetractSkipped the ones left because they still mapped something.
	Retracted, RetractSkipped atomic.Uint64
	// Tables freed through PteFreeDefer: after a grace period, or at once
	// (RetractUnsafe); PendingFree are waiting for their grace period.
	FreedRCU, FreedUnsafe atomic.Uint64
	PendingFree           atomic.Int64
	// Time spent in successful file collapses, by phase, in ns: unmapping
	// the small pages from every mm, copying them, retracting the tables.
	UnmapNs, CopyNs, RetractNs atomic.Uint64
}

// CollapseStat is the kernel's collapse statistics.
var CollapseStat CollapseStats

// ResultCounts returns the name and count of every result code.
func (s *CollapseStats) ResultCounts() (names []string, counts []uint64) {
	for i := range s.Results {
		names = append(names, collapseNames[i])
		counts = append(counts, s.Results[i].Load())
	}
	return
}

// ResultSummary lists the codes that occurred with their counts,
// "SCAN_SUCCEED 3, SCAN_EXCEED_NONE_PTE 1" ("none yet" when none did).
func (s *CollapseStats) ResultSummary() string {
	var parts []string
	names, counts := s.ResultCounts()
	for i, n := range counts {
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", names[i], n))
		}
	}
	if len(parts) == 0 {
		return "none yet"
	}
	return strings.Join(parts, ", ")
}
