// vmaiter.go: walking an address space's VMAs with what each one maps,
// for /proc/PID/maps and /proc/PID/smaps (Linux's show_map_vma and
// smap_gather_stats: walk_page_vma with smaps_pte_entry and
// smaps_pmd_entry).

// trapctx: process context only

package mm

import (
	"retract/arch/amd64"
	"retract/mm/phys"
)

// VMAInfo is one VMA and, if asked for, what it maps right now. Sizes are
// in bytes.
type VMAInfo struct {
	VMA // a copy: Start, End, Prot, Flags, File (nil or *File), Pgoff

	// Rss is what is mapped (Linux's Rss); Pss shares each page among
	// its mappings (Pss: a page mapped n times counts 1/n of its size);
	// PssDirty is the part of Pss mapped by dirty entries.
	Rss, Pss, PssDirty uint64
	// Shared* and Private* split Rss by whether the page is mapped more
	// than once, and by the dirty bit of the entry that maps it here.
	SharedClean, SharedDirty, PrivateClean, PrivateDirty uint64
	// Referenced: entries with the accessed bit set.
	Referenced uint64
	// Anonymous: anonymous pages (private copies included); AnonHuge:
	// anonymous huge pages mapped by a PMD (AnonHugePages); FilePmd:
	// page-cache huge pages mapped by a PMD (ShmemPmdMapped: every file
	// here is shmem-like).
	Anonymous, AnonHuge, FilePmd uint64
}

// ForEachVMA calls fn for every VMA of m in address order, with MmapLock
// held for reading (fn must not take it), until fn returns false. With
// usage it also counts what each VMA maps, like Linux's smaps: a huge PMD
// under the PMD lock, a table under its PT lock (PteOffsetMapLock): a
// page an entry maps cannot be freed while its entry is seen under the
// lock (truncate and collapse clear entries under it before they drop
// the pages). Faults run on meanwhile: the counts are a snapshot.
//
// Mappings of a huge page are counted on its head frame only, so for a
// 4 KiB piece of a huge page mapped by PTEs the count of its mappings is
// estimated as the head's count over 512 (at least 1); the zero page is
// not counted, as Linux's vm_normal_page leaves it out.
func (m *MM) ForEachVMA(usage bool, fn func(v *VMAInfo) bool) {
	m.MmapLock.RLock()
	defer m.MmapLock.RUnlock()
	if m.dead {
		return
	}
	for i := range m.VMAs.v {
		info := VMAInfo{VMA: m.VMAs.v[i]}
		if usage {
			m.vmaUsage(&info)
		}
		if !fn(&info) {
			return
		}
	}
}

// vmaUsage fills the counts of info. Preconditions: MmapLock held.
func (m *MM) vmaUsage(info *VMAInfo) {
	for va := info.Start; va < info.End; {
		next := min((va|(HPageSize-1))+1, info.End)
		pmd := m.pmdIfPresent(va)
		if pmd == nil {
			va = next
			continue
		}
		m.pmdLock()
		if pv := phys.LoadPTE(pmd); PmdHuge(pv) {
			head := PmdPFN(pv)
			n := max(int64(phys.Frames.Meta(head).Mapcount.Load()), 1)
			kind := phys.Frames.KindOf(head)
			m.pmdUnlock()
			info.account(HPageSize, n, kind == phys.KindAnon, PteYoung(pv), PteDirty(pv))
			if kind == phys.KindAnon {
				info.AnonHuge += HPageSize
			} else {
				info.FilePmd += HPageSize
			}
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
				head, order := phys.Frames.Head(PtePFN(e))
				n := int64(phys.Frames.Meta(head).Mapcount.Load())
				if order == HPageOrder {
					n = (n + HPageNr - 1) / HPageNr
				}
				info.account(phys.PageSize, max(n, 1), phys.Frames.KindOf(head) == phys.KindAnon, PteYoung(e), PteDirty(e))
			}
			pm.PTL.Unlock()
			PteUnmap(pm)
		}
		va = next
	}
}

// account adds size bytes mapped mapcount times (smaps_account).
func (info *VMAInfo) account(size uint64, mapcount int64, anon, young, dirty bool) {
	info.Rss += size
	info.Pss += size / uint64(mapcount)
	if dirty {
		info.PssDirty += size / uint64(mapcount)
	}
	if anon {
		info.Anonymous += size
	}
	if young {
		info.Referenced += size
	}
	switch {
	case mapcount > 1 && dirty:
		info.SharedDirty += size
	case mapcount > 1:
		info.SharedClean += size
	case dirty:
		info.PrivateDirty += size
	default:
		info.PrivateClean += size
	}
}

// TablePages counts the page-table pages of m's user half, the PML4
// included, and a deposited table under each anonymous huge PMD (Linux's
// mm_pgtables_bytes / 4 KiB: VmPTE). A snapshot: retract may detach a
// table meanwhile.
func (m *MM) TablePages() uint64 {
	m.MmapLock.RLock()
	defer m.MmapLock.RUnlock()
	if m.dead {
		return 0
	}
	n := uint64(1)
	l4 := phys.Table(m.PML4)
	for i := 0; i < amd64.PML4KernelFirst; i++ {
		e3 := phys.LoadPTE(&l4[i])
		if !e3.Present() {
			continue
		}
		n++
		l3 := phys.Table(e3.Addr())
		for j := range l3 {
			e2 := phys.LoadPTE(&l3[j])
			if !e2.Present() {
				continue
			}
			n++
			l2 := phys.Table(e2.Addr())
			for k := range l2 {
				e := phys.LoadPTE(&l2[k])
				switch {
				case !e.Present():
				case !e.Huge():
					n++
				case phys.Frames.Meta(PmdPFN(e)).Deposit != 0:
					n++
				}
			}
		}
	}
	return n
}
