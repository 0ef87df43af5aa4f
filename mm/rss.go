// rss.go: per-mm accounting (Linux's mm_struct rss_stat, pgtables_bytes,
// hiwater_rss, hiwater_vm). The VMA iterator that /proc/PID/maps and
// smaps are made from is ForEachVMA (vmaiter.go).
//
// The counters are atomics updated where a mapping is made or removed:
// the fault paths, the zaps, collapse, retract (from another mm's
// context: an rmap walk), fork, split. Like Linux, the high-water marks
// are brought up to date just before a counter goes down (a maximum is
// always reached right before a decrease) and when they are read.

// trapctx: process context only

package mm

import (
	"sync/atomic"

	"retract/mm/phys"
)

// The classes of resident pages (Linux's MM_ANONPAGES, MM_FILEPAGES,
// MM_SHMEMPAGES).
const (
	rssAnon = iota
	rssFile
	rssShmem
	numRSS
	rssNone = -1 // the zero page: not counted, as in Linux
)

// accounting is an mm's counters.
type accounting struct {
	rss        [numRSS]Counter // pages mapped, by class (a huge PMD counts 512); per CPU: faults bump them
	hiwaterRSS atomic.Int64    // the highest RSS before a decrease
	ptPages    atomic.Int64    // page tables: PTs, PDs, PDPTs and deposited tables
	hiwaterVM  uint64          // the highest total_vm before a decrease; MmapLock
}

// rssClass returns the class of the page at pfn mapped through a VMA of
// file f (nil: anonymous memory), or rssNone for the zero page.
func rssClass(pfn uint64, f *File) int {
	switch {
	case pfn == zeroPFN:
		return rssNone
	case phys.Frames.KindOf(pfn) == phys.KindAnon:
		return rssAnon
	case f != nil && f.Shmem:
		return rssShmem
	}
	return rssFile
}

// addRSS adds n pages to class cls (rssNone: nothing).
func (m *MM) addRSS(cls int, n int64) {
	if cls == rssNone || n == 0 {
		return
	}
	if n < 0 {
		m.updateHiwaterRSS()
	}
	m.acct.rss[cls].Add(n)
}

func (m *MM) rssTotal() int64 {
	return m.acct.rss[rssAnon].Load() + m.acct.rss[rssFile].Load() + m.acct.rss[rssShmem].Load()
}

// updateHiwaterRSS raises the high-water mark to the current RSS.
func (m *MM) updateHiwaterRSS() {
	cur := m.rssTotal()
	for {
		hw := m.acct.hiwaterRSS.Load()
		if cur <= hw || m.acct.hiwaterRSS.CompareAndSwap(hw, cur) {
			return
		}
	}
}

// updateHiwaterVM raises the total_vm high-water mark (VmPeak) to the
// current size. Preconditions: MmapLock held for writing.
func (m *MM) updateHiwaterVM() {
	m.acct.hiwaterVM = max(m.acct.hiwaterVM, m.VMAs.TotalPages())
}

// Counters is what /proc/PID/status and statm report about an mm, in
// pages (the /proc layer multiplies by 4 for kB).
type Counters struct {
	RSS, HiwaterRSS                   uint64 // VmRSS, VmHWM
	AnonPages, FilePages, ShmemPages  uint64 // RssAnon, RssFile, RssShmem
	PageTables                        uint64 // VmPTE: page-table pages (not the PML4)
	TotalVM, HiwaterVM                uint64 // VmSize, VmPeak
	DataVM, StackVM, ExecVM, SharedVM uint64 // VmData, VmStk, VmExe; shared mappings
}

// Counters returns m's counters. The RSS figures are read without a lock
// (each is exact, their sum a moment's snapshot); the VM sizes walk the
// VMAs under MmapLock for reading, classifying them as Linux's
// vm_stat_account does.
func (m *MM) Counters() Counters {
	var c Counters
	c.AnonPages = uint64(max(m.acct.rss[rssAnon].Load(), 0))
	c.FilePages = uint64(max(m.acct.rss[rssFile].Load(), 0))
	c.ShmemPages = uint64(max(m.acct.rss[rssShmem].Load(), 0))
	c.RSS = c.AnonPages + c.FilePages + c.ShmemPages
	c.HiwaterRSS = max(uint64(max(m.acct.hiwaterRSS.Load(), 0)), c.RSS)
	c.PageTables = uint64(max(m.acct.ptPages.Load(), 0))
	m.MmapLock.RLock()
	defer m.MmapLock.RUnlock()
	c.TotalVM = m.VMAs.TotalPages()
	c.HiwaterVM = max(m.acct.hiwaterVM, c.TotalVM)
	for i := range m.VMAs.v {
		v := &m.VMAs.v[i]
		switch {
		case v.Flags&VMStack != 0:
			c.StackVM += v.Pages()
		case v.Prot&ProtWrite != 0 && v.Flags&VMShared == 0:
			c.DataVM += v.Pages()
		case v.Prot&ProtExec != 0 && v.Prot&ProtWrite == 0:
			c.ExecVM += v.Pages()
		}
		if v.Flags&VMShared != 0 {
			c.SharedVM += v.Pages()
		}
	}
	return c
}
