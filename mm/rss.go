// rss.go: per-mm accounting (Linux's mm_struct rss_stat, pgtables_bytes,
// hiwater_rss, hiwater_vm) and the VMA iterator that /proc/PID/maps and
// smaps are made from (ForEachVMA).
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

	"retract/arch/amd64"
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

// VMASummary is one VMA with its name and, if asked for, its smaps
// counts, for the mm suites (procfs reads VMAInfo through ForEachVMA). The page counts
// are filled only when ForEachVMA is asked for them (smaps); all are in
// 4 KiB pages except PssBytes.
type VMASummary struct {
	Start, End uintptr
	Prot       Prot
	Flags      VMAFlags
	Shared     bool   // 's' rather than 'p' in maps
	File       *File  // nil for anonymous memory (shared anonymous memory has its internal file)
	Offset     uint64 // in bytes (maps' offset column); 0 for anonymous memory
	// Name is what maps shows last: the file's name, "[heap]",
	// "[stack]", or "" (anonymous memory).
	Name string

	Rss, Anon, AnonHuge, FilePmdMapped, ShmemPmdMapped   uint64
	SharedClean, SharedDirty, PrivateClean, PrivateDirty uint64
	Referenced                                           uint64
	PssBytes                                             uint64
}

// VMASummaries calls fn for every VMA of m that overlaps [start, end), in
// address order, until fn returns false; with counts it also walks the
// page tables for smaps' per-VMA figures. The VMAs are collected under
// MmapLock for reading and fn is called after it is released, so fn may
// copy to user memory (which may fault).
func (m *MM) VMASummaries(start, end uintptr, counts bool, fn func(*VMASummary) bool) {
	var out []VMASummary
	m.MmapLock.RLock()
	for i := m.VMAs.search(start); i < len(m.VMAs.v) && m.VMAs.v[i].Start < end; i++ {
		v := &m.VMAs.v[i]
		info := VMASummary{Start: v.Start, End: v.End, Prot: v.Prot, Flags: v.Flags, Shared: v.Flags&VMShared != 0}
		if f, ok := v.File.(*File); ok && f != nil {
			info.File, info.Offset, info.Name = f, v.Pgoff*phys.PageSize, f.Name
		}
		switch {
		case info.File != nil:
		case m.brk > m.startBrk && v.Start < m.brk && v.End > m.startBrk:
			info.Name = "[heap]"
		case v.Flags&VMStack != 0 || m.StartStack != 0 && v.Start <= m.StartStack && m.StartStack < v.End:
			info.Name = "[stack]"
		}
		if counts {
			m.smapsCount(v, &info)
		}
		out = append(out, info)
	}
	m.MmapLock.RUnlock()
	for i := range out {
		if !fn(&out[i]) {
			return
		}
	}
}

// smapsCount walks the page tables of v for VMASummaries (smaps_pte_range,
// smaps_pmd_entry). Preconditions: MmapLock held.
func (m *MM) smapsCount(v *VMA, info *VMASummary) {
	file, _ := v.File.(*File)
	// account counts n pages mapped at pfn. A 4 KiB piece of a huge page
	// mapped by PTEs (after a split of a shared one) counts as private:
	// the head's counts cover all 512 pieces, not this one.
	account := func(pfn uint64, n uint64, dirty, young bool) {
		mapcount := uint64(1)
		if head, order := phys.Frames.Head(pfn); order == 0 || n == HPageNr {
			mapcount = uint64(max(phys.Frames.Meta(head).Mapcount.Load(), 1))
		}
		info.Rss += n
		if young {
			info.Referenced += n
		}
		switch shared := mapcount > 1; {
		case shared && dirty:
			info.SharedDirty += n
		case shared:
			info.SharedClean += n
		case dirty:
			info.PrivateDirty += n
		default:
			info.PrivateClean += n
		}
		info.PssBytes += n * phys.PageSize / mapcount
		if phys.Frames.KindOf(pfn) == phys.KindAnon {
			info.Anon += n
		}
	}
	for va := v.Start; va < v.End; {
		pmd, next := m.pmdWalk(va)
		if next <= va || next > v.End {
			next = v.End
		}
		if pmd == nil {
			va = next
			continue
		}
		// Faults run meanwhile (MmapLock for reading): the entries are
		// read under their locks, so that the pages they map stay.
		m.pmdLock()
		if pv := phys.LoadPTE(pmd); PmdHuge(pv) {
			head := PmdPFN(pv)
			account(head, HPageNr, PteDirty(pv), PteYoung(pv))
			switch {
			case phys.Frames.KindOf(head) == phys.KindAnon:
				info.AnonHuge += HPageNr
			case file != nil && file.Shmem:
				info.ShmemPmdMapped += HPageNr
			default:
				info.FilePmdMapped += HPageNr
			}
			m.pmdUnlock()
			va = next
			continue
		}
		m.pmdUnlock()
		if pm, ok := PteOffsetMapLock(pmd, va); ok {
			t := phys.Table(pm.Table)
			for a := va; a < next; a += phys.PageSize {
				e := phys.LoadPTE(&t[amd64.Index(a, 1)])
				if !PtePresent(e) || PtePFN(e) == zeroPFN {
					continue
				}
				account(PtePFN(e), 1, PteDirty(e), PteYoung(e))
			}
			pm.PTL.Unlock()
			PteUnmap(pm)
		}
		va = next
	}
}
