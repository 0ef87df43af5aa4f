// khugepaged.go: the background collapser, after Linux's khugepaged
// (mm/khugepaged.c: khugepaged_scan_mm_slot, hpage_collapse_scan_pmd,
// hpage_collapse_scan_file). An mm enters its list of slots when a range
// is advised HUGEPAGE (khugepaged_enter_vma) and leaves it in Destroy.
// Each round scans up to PagesToScan pages, slot after slot, 2 MiB at a
// time, then sleeps ScanSleep: an anonymous 2 MiB mapped by a table with
// at most MaxPtesNone empty PTEs and at most MaxPtesShared PTEs whose
// page another mm maps too (after fork) is collapsed (CollapseAnon, which
// copies the shared pages: the other mms keep theirs); a file range
// whose cache holds small pages is collapsed in the cache and retracted
// from every mm (File.Collapse); a huge page-cache page still mapped by a
// table here has the table retracted (CollapsePteMappedTHP).
//
// The scan holds the mm's MmapLock for reading; it drops it before a
// collapse, which takes what it needs (CollapseAnon: for writing; the
// file paths: none, or for reading).

// trapctx: process context only

package mm

import (
	"sync/atomic"
	"time"

	"retract/arch/amd64"
	"retract/lockdep"
	"retract/mm/phys"
)

// KhugepagedConfig holds khugepaged's tunables (Linux's
// /sys/kernel/mm/transparent_hugepage/khugepaged/*).
type KhugepagedConfig struct {
	// Enabled runs the background loop (the shell's `khugepaged on`).
	// Linux has no such switch: its khugepaged runs unless
	// transparent_hugepage/enabled is never, which stops this one too.
	Enabled      atomic.Bool
	ScanSleepMs  atomic.Int64 // pause between rounds (scan_sleep_millisecs)
	AllocSleepMs atomic.Int64 // pause after a huge page could not be allocated (alloc_sleep_millisecs)
	PagesToScan  atomic.Int64 // pages per round (pages_to_scan)
	MaxPtesNone  atomic.Int64 // empty PTEs / holes a collapse may fill (max_ptes_none)
	// MaxPtesSwap is max_ptes_swap: there is no swap here, so no PTE is
	// ever swapped out; kept for programs that set and read it.
	MaxPtesSwap atomic.Int64
	// MaxPtesShared is max_ptes_shared: how many PTEs of a range may map
	// pages shared with another mm (after fork) for khugepaged's
	// anonymous collapse (SCAN_EXCEED_SHARED_PTE beyond it; default 256).
	// MADV_COLLAPSE ignores it, as Linux's does.
	MaxPtesShared atomic.Int64
	// Defrag is khugepaged/defrag: direct compaction for khugepaged's
	// allocations. There is no compaction here; kept, no effect.
	Defrag atomic.Bool
}

// KhugepagedStats counts what khugepaged did; collapse outcomes by reason
// are in CollapseStat.Results.
type KhugepagedStats struct {
	Rounds, FullScans, PagesScanned, Attempts atomic.Uint64
	// Collapsed counts khugepaged's own successful collapses (Linux's
	// pages_collapsed; MADV_COLLAPSE's are not in it).
	Collapsed atomic.Uint64
}

// Khugepaged is the collapser's configuration; KhugepagedStat its counts.
var (
	Khugepaged     KhugepagedConfig
	KhugepagedStat KhugepagedStats
)

func init() {
	Khugepaged.ScanSleepMs.Store(100)
	Khugepaged.AllocSleepMs.Store(60000) // Linux's default
	Khugepaged.PagesToScan.Store(4096)
	Khugepaged.MaxPtesNone.Store(HPageNr - 1)
	Khugepaged.MaxPtesSwap.Store(HPageNr / 8)   // Linux's default, 64
	Khugepaged.MaxPtesShared.Store(HPageNr / 2) // Linux's default, 256
	Khugepaged.Defrag.Store(true)
}

var khp struct {
	mu      lockdep.Mutex
	slots   []*MM
	slot    int     // the slot being scanned
	addr    uintptr // where in it
	wake    chan struct{}
	started bool
}

// StartKhugepaged starts the khugepaged goroutine (once); it scans only
// while Khugepaged.Enabled is set.
func StartKhugepaged() {
	khp.mu.Lock()
	defer khp.mu.Unlock()
	if khp.started {
		return
	}
	khp.started = true
	khp.wake = make(chan struct{}, 1)
	go khugepagedLoop()
}

// WakeKhugepaged makes khugepaged start its next round now.
func WakeKhugepaged() {
	khp.mu.Lock()
	w := khp.wake
	khp.mu.Unlock()
	if w != nil {
		select {
		case w <- struct{}{}:
		default:
		}
	}
}

// KhugepagedSlots returns how many mms are registered.
func KhugepagedSlots() int {
	khp.mu.Lock()
	defer khp.mu.Unlock()
	return len(khp.slots)
}

func khugepagedEnter(m *MM) {
	if khugepagedAdd(m) {
		WakeKhugepaged()
	}
}

// khugepagedAdd puts m in a slot unless it has one, and says whether it
// did.
func khugepagedAdd(m *MM) bool {
	khp.mu.Lock()
	defer khp.mu.Unlock()
	for _, s := range khp.slots {
		if s == m {
			return false
		}
	}
	khp.slots = append(khp.slots, m)
	return true
}

// khugepagedRegistered reports whether m has a khugepaged slot.
func khugepagedRegistered(m *MM) bool {
	khp.mu.Lock()
	defer khp.mu.Unlock()
	for _, s := range khp.slots {
		if s == m {
			return true
		}
	}
	return false
}

func khugepagedExit(m *MM) {
	khp.mu.Lock()
	defer khp.mu.Unlock()
	for i, s := range khp.slots {
		if s == m {
			khp.slots = append(khp.slots[:i], khp.slots[i+1:]...)
			if khp.slot > i {
				khp.slot--
			}
			if khp.slot >= len(khp.slots) {
				khp.slot, khp.addr = 0, 0
			}
			return
		}
	}
}

func khugepagedLoop() {
	for {
		sleep := Khugepaged.ScanSleepMs.Load()
		if Khugepaged.Enabled.Load() && THPEnabled() != THPNever {
			KhugepagedStat.Rounds.Add(1)
			failed := ThpStat.CollapseAllocFailed.Load()
			KhugepagedScan(int(Khugepaged.PagesToScan.Load()))
			if ThpStat.CollapseAllocFailed.Load() != failed {
				sleep = Khugepaged.AllocSleepMs.Load() // khugepaged_alloc_sleep
			}
		}
		t := time.NewTimer(time.Duration(sleep) * time.Millisecond)
		select {
		case <-khp.wake:
			t.Stop()
		case <-t.C:
		}
	}
}

// KhugepagedScan does one round of khugepaged's work synchronously: scan
// about budget pages, collapsing what qualifies. It returns the number of
// collapse attempts. With enabled or shmem_enabled set to always, every
// address space gets a slot first (Linux registers each at mmap time);
// an mm that died meanwhile leaves its slot when the scan reaches it
// (collect_mm_slot).
func KhugepagedScan(budget int) int {
	if khugepagedScansAll() {
		for _, m := range All() {
			khugepagedAdd(m)
		}
	}
	attempts := 0
	for budget > 0 {
		khp.mu.Lock()
		if len(khp.slots) == 0 {
			khp.mu.Unlock()
			return attempts
		}
		if khp.slot >= len(khp.slots) {
			khp.slot, khp.addr = 0, 0
		}
		m, from := khp.slots[khp.slot], khp.addr
		khp.mu.Unlock()

		next, used, act := m.scanForCollapse(from, budget)
		if next == 0 && m.isDead() {
			khugepagedExit(m)
			continue
		}
		budget -= used
		KhugepagedStat.PagesScanned.Add(uint64(used))
		if act != nil {
			attempts++
			KhugepagedStat.Attempts.Add(1)
			if act().Result == ScanSucceed {
				KhugepagedStat.Collapsed.Add(1)
			}
		}
		khp.mu.Lock()
		if khp.slot < len(khp.slots) && khp.slots[khp.slot] == m {
			if next == 0 { // this mm is done: the next slot
				khp.slot++
				khp.addr = 0
				if khp.slot >= len(khp.slots) {
					khp.slot = 0
					KhugepagedStat.FullScans.Add(1)
				}
			} else {
				khp.addr = next
			}
		}
		khp.mu.Unlock()
		if used == 0 && act == nil {
			break
		}
	}
	return attempts
}

// scanForCollapse scans m from address from for at most budget pages and
// returns where to go on (0 when the mm is done), the pages scanned, and
// the collapse to run (nil if none), like hpage_collapse_scan_pmd and
// hpage_collapse_scan_file.
func (m *MM) scanForCollapse(from uintptr, budget int) (next uintptr, used int, act func() CollapseOutcome) {
	maxNone := int(Khugepaged.MaxPtesNone.Load())
	maxShared := int(Khugepaged.MaxPtesShared.Load())
	m.MmapLock.RLock()
	defer m.MmapLock.RUnlock()
	if m.dead {
		return 0, 1, nil
	}
	for _, v := range m.VMAs.All() {
		if !thpAllowed(&v) || v.End <= from {
			continue
		}
		h := (max(v.Start, from) + HPageSize - 1) &^ (HPageSize - 1)
		for ; h >= v.Start && h+HPageSize <= v.End; h += HPageSize {
			if used >= budget {
				return h, used, nil
			}
			used += HPageNr
			pmd := m.pmdIfPresent(h)
			hasTable := false // a page table maps this 2 MiB (not nothing, not a huge PMD)
			if pmd != nil {
				pv := phys.LoadPTE(pmd)
				hasTable = pv.Present() && !pv.Huge()
			}
			file, _ := v.File.(*File)
			if file == nil {
				if !hasTable {
					continue
				}
				if none, shared := m.countNoneShared(pmd, h); none <= maxNone && shared <= maxShared {
					h := h
					return h + HPageSize, used, func() CollapseOutcome { return m.collapseAnon(h, maxNone, maxShared) }
				} else if none > maxNone {
					ThpStat.ScanExceedNone.Add(1)
				} else {
					CollapseStat.Results[ScanExceedSharedPte].Add(1) // the scan's SCAN_EXCEED_SHARED_PTE
				}
				continue
			}
			pgoff := v.Pgoff + uint64(h-v.Start)/phys.PageSize
			if pgoff%HPageNr != 0 || pgoff+HPageNr > file.Pages() {
				continue
			}
			n, huge := file.cachedIn(pgoff)
			switch {
			case huge && hasTable:
				h := h
				return h + HPageSize, used, func() CollapseOutcome { return m.CollapsePteMappedTHP(h, false) }
			case !huge && n > 0 && HPageNr-n <= maxNone:
				return h + HPageSize, used, func() CollapseOutcome { return file.Collapse(pgoff, maxNone) }
			case !huge && n > 0:
				ThpStat.ScanExceedNone.Add(1)
			}
		}
	}
	return 0, max(used, 1), nil
}

// countNoneShared counts the empty PTEs of the table under pmd (HPageNr
// if the table is gone) and the ones that map a page another mm maps too,
// under the table's lock (a mapped page cannot be freed meanwhile).
func (m *MM) countNoneShared(pmd *amd64.PTE, h uintptr) (none, shared int) {
	pm, ok := PteOffsetMapLock(pmd, h)
	if !ok {
		return HPageNr, 0
	}
	t := phys.Table(pm.Table)
	for i := range t {
		if PteNone(phys.LoadPTE(&t[i])) {
			none++
		}
	}
	shared = sharedPTEs(t)
	pm.PTL.Unlock()
	PteUnmap(pm)
	return none, shared
}

// cachedIn counts the cached pages of [index, index+512) and says whether
// they form a huge page.
func (f *File) cachedIn(index uint64) (n int, huge bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := index; i < index+HPageNr; i++ {
		if pfn, ok := f.cache[i]; ok {
			n++
			if i == index {
				_, order := phys.Frames.Head(pfn)
				huge = order == HPageOrder
			}
		}
	}
	return n, huge
}
