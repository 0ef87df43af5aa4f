// mremap.go: mremap(2), after Linux's mm/mremap.c: shrink, grow in place
// (vma_expandable), or move (move_vma: a new VMA, move_page_tables, then
// the old range unmapped). Pages do not move: their PTEs do, entry by
// entry under both tables' locks, and a huge PMD whose 2 MiB lands on a
// 2 MiB boundary moves whole, its deposited table with it.
//
// File mappings can be reached without MmapLock, by collapse and retract
// through i_mmap (invariant I15 of docs/retract.md): the move holds the
// file's immapMu, so no rmap walk sees a PTE half moved, and the new
// range enters i_mmap before the lock is dropped.

// trapctx: process context only

package mm

import (
	"fmt"
	"sync/atomic"
	"unsafe"

	"retract/arch/amd64"
	"retract/mm/phys"
)

// The mremap flags (Linux's MREMAP_*).
const (
	MremapMaymove   = 1
	MremapFixed     = 2
	MremapDontunmap = 4
)

// MremapStats counts mremap's moves.
type MremapStats struct {
	Moves, PTEsMoved, PMDsMoved atomic.Uint64
}

// MremapStat is the kernel's mremap statistics.
var MremapStat MremapStats

// Mremap resizes or moves the mapping [addr, addr+oldLen), like Linux's
// mremap, and returns its new address:
//
//   - newLen ≤ oldLen and no MREMAP_FIXED: the pages past newLen are
//     unmapped; addr is returned.
//   - growing: in place if the range ends where its VMA ends and the pages
//     after it are free; else, with MREMAP_MAYMOVE, the mapping moves to
//     where mmap would put it; else ErrNoMemory.
//   - MREMAP_FIXED (with MREMAP_MAYMOVE): it moves to newAddr, replacing
//     whatever was there. MREMAP_DONTUNMAP (with MREMAP_MAYMOVE and equal
//     lengths): it moves and the old range stays mapped, empty (anonymous
//     memory reads zeroes there).
//   - oldLen 0 on a shared mapping, with MREMAP_MAYMOVE: a second mapping
//     of the same pages.
//
// Errors: ErrInval (unknown flags, FIXED or DONTUNMAP without MAYMOVE,
// DONTUNMAP with different lengths, an unaligned addr or newAddr, newLen
// 0, new and old ranges overlapping, a fixed range beyond user space,
// oldLen 0 on a private mapping), ErrFault (addr not mapped, or the old
// range not inside one VMA), ErrNoMemory (no room, or memory ran out).
func (m *MM) Mremap(addr, oldLen, newLen uintptr, flags int, newAddr uintptr) (uintptr, error) {
	const mask = phys.PageSize - 1
	if flags&^(MremapMaymove|MremapFixed|MremapDontunmap) != 0 ||
		flags&MremapFixed != 0 && flags&MremapMaymove == 0 ||
		flags&MremapDontunmap != 0 && (flags&MremapMaymove == 0 || oldLen != newLen) ||
		addr&mask != 0 {
		return 0, ErrInval
	}
	if oldLen > ^uintptr(0)-mask || newLen > ^uintptr(0)-mask {
		return 0, ErrInval
	}
	oldLen = (oldLen + mask) &^ mask
	newLen = (newLen + mask) &^ mask
	if newLen == 0 {
		return 0, ErrInval
	}
	m.MmapLock.Lock()
	ret, orphans, err := m.mremapLocked(addr, oldLen, newLen, flags, newAddr)
	m.MmapLock.Unlock()
	releaseOrphans(orphans)
	return ret, err
}

func (m *MM) mremapLocked(addr, oldLen, newLen uintptr, flags int, newAddr uintptr) (uintptr, []*File, error) {
	v := m.VMAs.Find(addr)
	if v == nil {
		return 0, nil, ErrFault
	}
	if oldLen == 0 {
		if v.Flags&VMShared == 0 {
			return 0, nil, ErrInval
		}
		if flags&MremapMaymove == 0 {
			return 0, nil, ErrNoMemory
		}
	}
	if flags&(MremapFixed|MremapDontunmap) != 0 {
		return m.mremapTo(addr, oldLen, newLen, flags, newAddr)
	}
	if oldLen >= newLen {
		return addr, m.unmapLocked(addr+newLen, addr+oldLen), nil
	}
	if oldLen > v.End-addr {
		return 0, nil, ErrFault // vma_to_resize: the range leaves its VMA
	}
	if v.Prot&ProtWrite != 0 && v.Flags&VMShared == 0 && !vmEnoughMemory(newLen-oldLen) {
		return 0, nil, ErrNoMemory // vma_to_resize's charge, as DoMmap's
	}
	// Grow in place (vma_expandable).
	delta := newLen - oldLen
	if oldLen > 0 && addr+oldLen == v.End && v.End+delta > v.End && v.End+delta <= UserEnd &&
		!m.VMAs.Overlaps(v.End, v.End+delta) {
		if m.VMAs.Len() >= MaxMapCount {
			return 0, nil, ErrNoMemory
		}
		ext := *v
		ext.Start, ext.End = v.End, v.End+delta
		ext.Pgoff = v.Pgoff + v.Pages()
		if f := vmaFile(v); f != nil {
			f.addMapping(m, ext.Start, ext.End, ext.Pgoff, ext.Flags&VMShared != 0)
		}
		if err := m.VMAs.Insert(ext); err != nil {
			panic(fmt.Sprintf("mm: growing %v in place: %v", *v, err))
		}
		return addr, nil, nil
	}
	if flags&MremapMaymove == 0 {
		return 0, nil, ErrNoMemory
	}
	to, err := m.getUnmappedArea(0, newLen, false, v.File == nil)
	if err != nil {
		return 0, nil, err
	}
	return m.moveVMA(addr, oldLen, to, newLen, false)
}

// mremapTo is mremap_to: MREMAP_FIXED or MREMAP_DONTUNMAP.
// Preconditions: MmapLock held for writing.
func (m *MM) mremapTo(addr, oldLen, newLen uintptr, flags int, newAddr uintptr) (uintptr, []*File, error) {
	if newAddr&(phys.PageSize-1) != 0 || newLen > UserEnd || newAddr > UserEnd-newLen {
		return 0, nil, ErrInval
	}
	if flags&MremapFixed != 0 && addr < newAddr+newLen && newAddr < addr+oldLen {
		return 0, nil, ErrInval // the ranges overlap
	}
	var orphans []*File
	if flags&MremapFixed != 0 {
		if newAddr < UserBase {
			return 0, nil, ErrPerm
		}
		orphans = m.unmapLocked(newAddr, newAddr+newLen)
	}
	if oldLen > newLen {
		orphans = append(orphans, m.unmapLocked(addr+newLen, addr+oldLen)...)
		oldLen = newLen
	}
	v := m.VMAs.Find(addr)
	if v == nil {
		return 0, orphans, ErrFault
	}
	if oldLen > v.End-addr {
		return 0, orphans, ErrFault
	}
	if flags&MremapFixed == 0 {
		to, err := m.getUnmappedArea(newAddr, newLen, false, false)
		if err != nil {
			return 0, orphans, err
		}
		newAddr = to
	}
	ret, more, err := m.moveVMA(addr, oldLen, newAddr, newLen, flags&MremapDontunmap != 0)
	return ret, append(orphans, more...), err
}

// moveVMA moves [from, from+oldLen), which lies in one VMA, to [to,
// to+newLen) (free), like move_vma: the new VMA is the old one's copy
// (its file offset carried along), the page tables' entries move, and the
// old range is unmapped — or, with dontunmap, stays mapped and empty. On
// ErrNoMemory half way, the entries moved so far move back.
// Preconditions: MmapLock held for writing.
func (m *MM) moveVMA(from, oldLen, to, newLen uintptr, dontunmap bool) (uintptr, []*File, error) {
	if m.VMAs.Len() >= MaxMapCount-1 {
		return 0, nil, ErrNoMemory
	}
	v := *m.VMAs.Find(from)
	nv := v
	nv.Start, nv.End = to, to+newLen
	nv.Pgoff = v.Pgoff + uint64(from-v.Start)/phys.PageSize
	f := vmaFile(&v)
	if f != nil {
		f.immapMu.Lock()
	}
	moved, err := m.movePageTables(from, to, oldLen, f)
	if err != nil {
		if back, err2 := m.movePageTables(to, from, moved, f); err2 != nil || back != moved {
			panic(fmt.Sprintf("mm: mremap could not move %#x bytes back: %v", moved, err2))
		}
	} else if f != nil {
		f.addMappingLocked(m, nv.Start, nv.End, nv.Pgoff, nv.Flags&VMShared != 0)
	}
	if f != nil {
		f.immapMu.Unlock()
	}
	if err != nil {
		m.freeEmptyTables(to, to+oldLen)
		return 0, nil, err
	}
	if err := m.VMAs.Insert(nv); err != nil {
		panic(fmt.Sprintf("mm: mremap inserting %v: %v", nv, err))
	}
	MremapStat.Moves.Add(1)
	if dontunmap {
		return to, nil, nil
	}
	return to, m.unmapLocked(from, from+oldLen), nil
}

// movePageTables moves the entries of [from, from+n) to [to, to+n)
// (move_page_tables) and flushes the old range. It returns how many bytes
// it moved: all of them, or, when a table for the new range cannot be
// allocated, the part before that with ErrNoMemory. f is the VMA's file
// (nil: anonymous). Preconditions: MmapLock held for writing; f's
// immapMu if f is not nil; nothing mapped at [to, to+n).
func (m *MM) movePageTables(from, to, n uintptr, f *File) (uintptr, error) {
	defer func() {
		if n > 0 {
			FlushUser(m, from, n)
		}
	}()
	for off := uintptr(0); off < n; {
		oa, na := from+off, to+off
		ext := min(HPageSize-oa&(HPageSize-1), HPageSize-na&(HPageSize-1), n-off)
		spmd := m.pmdIfPresent(oa)
		if spmd == nil || PmdNone(phys.LoadPTE(spmd)) {
			off += ext
			continue
		}
		dpmd, err := m.pmdAllocUpper(na)
		if err != nil {
			return off, err
		}
		if pv := phys.LoadPTE(spmd); PmdHuge(pv) {
			if ext == HPageSize && m.moveHugePMD(spmd, dpmd, oa, pv) {
				off += ext
				continue
			}
			m.splitHugePMD(spmd, oa&^(HPageSize-1), f)
		}
		if err := m.movePTEs(spmd, dpmd, oa, na, ext); err != nil {
			return off, err
		}
		off += ext
	}
	return n, nil
}

// moveHugePMD moves the huge PMD spmd (holding pv, at oa) to the empty
// dpmd, with its deposited table (move_huge_pmd); false if dpmd is not
// empty (a table is there: the caller splits and moves PTEs).
func (m *MM) moveHugePMD(spmd, dpmd *amd64.PTE, oa uintptr, pv amd64.PTE) bool {
	m.pmdLock()
	defer m.pmdUnlock()
	if phys.LoadPTE(spmd) != pv || !PmdNone(phys.LoadPTE(dpmd)) {
		return false
	}
	phys.StorePTE(spmd, 0)
	FlushUser(m, oa, HPageSize)
	if dep := m.withdrawIfAnon(spmd, pv); dep != 0 {
		m.pgtableDeposit(dpmd, dep)
	}
	phys.StorePTE(dpmd, pv)
	MremapStat.PMDsMoved.Add(1)
	return true
}

// movePTEs moves the n bytes of PTEs at oa under spmd to na under dpmd
// (move_ptes), both within one 2 MiB, holding both tables' locks (one if
// it is the same table).
func (m *MM) movePTEs(spmd, dpmd *amd64.PTE, oa, na, n uintptr) error {
	for {
		if PmdNone(phys.LoadPTE(dpmd)) {
			if err := m.install(dpmd, 1); err != nil {
				return err
			}
		}
		spm, ok := PteOffsetMapLock(spmd, oa)
		if !ok {
			return nil // the old table went: nothing to move
		}
		dpm, ok := PteOffsetMap(dpmd, na)
		if !ok {
			spm.PTL.Unlock()
			PteUnmap(spm)
			continue
		}
		if dpm.Table != spm.Table {
			dpm.PTL.Lock()
			if phys.LoadPTE(dpmd) != dpm.PMDVal {
				dpm.PTL.Unlock()
				PteUnmap(dpm)
				spm.PTL.Unlock()
				PteUnmap(spm)
				continue
			}
		}
		st, dt := phys.Table(spm.Table), phys.Table(dpm.Table)
		moved := uint64(0)
		for off := uintptr(0); off < n; off += phys.PageSize {
			sp := &st[amd64.Index(oa+off, 1)]
			if e := amd64.PTE(atomic.SwapUint64((*uint64)(unsafe.Pointer(sp)), 0)); !PteNone(e) {
				phys.StorePTE(&dt[amd64.Index(na+off, 1)], e)
				moved++
			}
		}
		if dpm.Table != spm.Table {
			dpm.PTL.Unlock()
		}
		PteUnmap(dpm)
		spm.PTL.Unlock()
		PteUnmap(spm)
		MremapStat.PTEsMoved.Add(moved)
		return nil
	}
}
