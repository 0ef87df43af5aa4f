// mmap.go: changing an address space, after Linux's mm/mmap.c and
// mm/mprotect.c: DoMmap (do_mmap, with get_unmapped_area's top-down
// placement below MmapBase), Munmap, Mprotect, Brk, Msync, and the
// simpler Mmap and MmapFile the kernel's own tests and shell use. Each
// takes MmapLock for writing (so no fault runs meanwhile; Munmap
// downgrades it to reading for the zap, zap.go).
//
// Validation and errors are Linux's, so that the system-call layer only
// decodes registers and copies memory: see each function's comment and
// Errno.

// trapctx: process context only

package mm

import (
	"errors"
	"fmt"

	"retract/arch/amd64"
	"retract/mm/phys"
)

// ErrInval is EINVAL: a bad range or flag.
var ErrInval = errors.New("mm: invalid argument (EINVAL)")

// ErrNotSupported is EOPNOTSUPP: MAP_SHARED_VALIDATE with a flag this
// kernel does not know.
var ErrNotSupported = errors.New("mm: operation not supported (EOPNOTSUPP)")

// EOPNOTSUPP is Linux's errno for ErrNotSupported.
const EOPNOTSUPP = 95

func pageRange(addr, length uintptr) (uintptr, uintptr, error) {
	end := (addr + length + phys.PageSize - 1) &^ (phys.PageSize - 1)
	if addr&(phys.PageSize-1) != 0 || length == 0 || end <= addr || addr < UserBase || end > UserEnd {
		return 0, 0, ErrInval
	}
	return addr, end, nil
}

// MapFlags are mmap's flags, with Linux's values (include/uapi/.../mman.h).
type MapFlags uint64

// The mmap flags DoMmap knows.
const (
	MapShared         MapFlags = 0x01
	MapPrivate        MapFlags = 0x02
	MapSharedValidate MapFlags = 0x03
	mapType           MapFlags = 0x0f
	MapFixed          MapFlags = 0x10
	MapAnonymous      MapFlags = 0x20
	MapGrowsdown      MapFlags = 0x100
	MapDenywrite      MapFlags = 0x800
	MapExecutable     MapFlags = 0x1000
	MapLocked         MapFlags = 0x2000
	MapNoreserve      MapFlags = 0x4000
	MapPopulate       MapFlags = 0x8000
	MapNonblock       MapFlags = 0x10000
	MapStack          MapFlags = 0x20000
	MapHugetlb        MapFlags = 0x40000
	MapSync           MapFlags = 0x80000
	MapFixedNoreplace MapFlags = 0x100000
	MapUninitialized  MapFlags = 0x4000000

	// MapReadOnlyFile is not a Linux flag: the system-call layer sets it
	// for a file opened without write access, so that a shared mapping of
	// it may never become writable (no VM_MAYWRITE: mprotect gives
	// EACCES). It checks PROT_WRITE against the file's mode itself
	// (mmap's EACCES).
	MapReadOnlyFile MapFlags = 1 << 62

	// legacyMapMask is what MAP_SHARED_VALIDATE accepts (LEGACY_MAP_MASK,
	// and MAP_FIXED_NOREPLACE).
	legacyMapMask = MapShared | MapPrivate | MapFixed | MapAnonymous | MapDenywrite | MapExecutable |
		MapUninitialized | MapGrowsdown | MapLocked | MapNoreserve | MapPopulate | MapNonblock |
		MapStack | MapHugetlb | MapFixedNoreplace | MapReadOnlyFile
)

// maxLFSFileSize is Linux's MAX_LFS_FILESIZE: no file offset lies beyond.
const maxLFSFileSize = 1<<63 - 1

// MaxMapCount is the most VMAs an mm may have (vm.max_map_count).
const MaxMapCount = 65530

// DoMmap maps length bytes at addr, like Linux's do_mmap: anonymous memory
// (file nil; MAP_ANONYMOUS), or file from byte offset off. The mapping
// type is MAP_PRIVATE (copy on write) or MAP_SHARED (writes reach the
// file; shared anonymous memory gets a file of its own, which fork
// shares); MAP_FIXED puts it at addr, replacing what was there;
// MAP_FIXED_NOREPLACE too, but fails with ErrExist if something is there;
// otherwise a free, page-aligned addr is a hint that is honoured, and
// anything else gets the highest free range below MmapBase (2 MiB aligned
// for anonymous memory whose length is a multiple of 2 MiB, so that it can
// have huge pages), or else the lowest one above a third of user space.
// MAP_POPULATE faults every page in before returning (writes for a
// writable private mapping, else reads; failures are ignored, as Linux
// does). MAP_STACK means no huge pages (Linux ≥ 6.7); MAP_GROWSDOWN marks
// a stack (it does not grow here); MAP_LOCKED locks (mlock.go);
// MAP_NORESERVE exempts the mapping from the overcommit check (a charged
// mapping larger than RAM is ErrNoMemory, as Linux's heuristic
// overcommit says); MAP_NONBLOCK, MAP_DENYWRITE, MAP_EXECUTABLE and
// MAP_UNINITIALIZED are accepted and change nothing; MAP_HUGETLB finds
// no huge-page pool (ErrNoMemory, as Linux with none reserved).
//
// Errors: ErrInval (length 0, no or a bad mapping type, MAP_FIXED with
// an unaligned addr, an unaligned off), ErrNoMemory (length beyond user
// space, more than RAM charged, no room, too many VMAs, a fixed range
// beyond user space),
// ErrPerm (a fixed addr below UserBase: mmap_min_addr), ErrExist,
// ErrOverflow (off plus length beyond the largest file), ErrNotSupported
// (MAP_SHARED_VALIDATE with an unknown flag).
//
// The system-call layer resolves the descriptor (EBADF; EACCES for a
// shared writable mapping of a file not opened for writing, or any
// mapping of one not opened for reading; ENODEV for files that cannot be
// mapped), checks that prot has no bits beyond PROT_READ|WRITE|EXEC (as
// LinuxProt does) and passes MapReadOnlyFile for a file opened read-only.
func (m *MM) DoMmap(addr, length uintptr, prot Prot, flags MapFlags, file *File, off uint64) (uintptr, error) {
	if length == 0 {
		return 0, ErrInval
	}
	switch flags & mapType {
	case MapShared, MapPrivate:
	case MapSharedValidate:
		if flags&^legacyMapMask != 0 {
			return 0, ErrNotSupported
		}
	default:
		return 0, ErrInval
	}
	shared := flags&MapShared != 0
	if flags&MapAnonymous != 0 {
		file, off = nil, 0
	} else if file == nil {
		return 0, ErrInval // the system-call layer gives EBADF for a bad descriptor
	}
	if off&(phys.PageSize-1) != 0 {
		return 0, ErrInval
	}
	const mask = phys.PageSize - 1
	if length > UserEnd-UserBase {
		return 0, ErrNoMemory
	}
	length = (length + mask) &^ mask
	pgoff := off / phys.PageSize
	if pgoff+uint64(length/phys.PageSize) < pgoff || file != nil && off > maxLFSFileSize-uint64(length) {
		return 0, ErrOverflow // file_mmap_ok: past the largest file offset
	}
	if flags&MapHugetlb != 0 {
		return 0, ErrNoMemory
	}
	// Linux's heuristic overcommit (vm.overcommit_memory 0): a mapping
	// that would be charged — private and writable, or shared anonymous
	// memory — and is larger than all of RAM is refused; MAP_NORESERVE
	// is not charged. (The pages themselves come on first touch, and
	// running out then is the fault's ErrNoMemory.)
	charged := prot&ProtWrite != 0 && !shared || shared && file == nil
	if charged && flags&MapNoreserve == 0 && !vmEnoughMemory(length) {
		return 0, ErrNoMemory
	}
	fixed := flags&(MapFixed|MapFixedNoreplace) != 0
	if fixed {
		if addr&mask != 0 {
			return 0, ErrInval
		}
		if addr > UserEnd-length && addr >= UserBase {
			return 0, ErrNoMemory
		}
		if addr < UserBase {
			return 0, ErrPerm
		}
	}
	var vf VMAFlags
	newShmem := false
	switch {
	case file == nil && shared:
		// Shared anonymous memory: a file of its own (shmem_zero_setup),
		// released with its last mapping.
		file = NewFile("/dev/zero (deleted)", uint64(length/phys.PageSize))
		file.Shmem = true
		file.orphan = true // nobody holds it but its mappings (not mapped yet)
		pgoff = 0
		vf = VMShared
		newShmem = true
	case file == nil:
		vf = VMAnon
	case shared:
		vf = VMShared
		if flags&MapReadOnlyFile != 0 {
			vf |= VMNoMayWrite
		}
	}
	if flags&MapStack != 0 {
		vf |= VMNoHugepage
	}
	if flags&MapGrowsdown != 0 {
		vf |= VMStack
	}
	if flags&MapLocked != 0 {
		vf |= VMLocked // MAP_LOCKED: mlock as it is mapped
	}
	var orphans []*File
	m.MmapLock.Lock()
	start, err := m.getUnmappedArea(addr, length, fixed, file == nil && !fixed && addr == 0)
	switch {
	case err != nil:
	case flags&MapFixedNoreplace != 0 && m.VMAs.Overlaps(start, start+length):
		err = ErrExist
	case m.VMAs.Len() >= MaxMapCount:
		err = ErrNoMemory
	}
	if err != nil {
		m.MmapLock.Unlock()
		if newShmem {
			file.releaseOrphan()
		}
		return 0, err
	}
	end := start + length
	orphans = m.unmapLocked(start, end)
	if vf&VMLocked == 0 {
		vf |= m.defFlags // mlockall(MCL_FUTURE)
	}
	v := VMA{Start: start, End: end, Prot: prot, Flags: vf, Pgoff: pgoff}
	if file != nil {
		v.File = file
	}
	if err := m.VMAs.Insert(v); err != nil {
		panic(fmt.Sprintf("mm: inserting %v into a range just cleared: %v", v, err))
	}
	if file != nil {
		file.addMapping(m, start, end, pgoff, shared)
	}
	m.MmapLock.Unlock()
	releaseOrphans(orphans)
	// A locked mapping is faulted in as MAP_POPULATE's (mm_populate after
	// mmap_region); errors are ignored, as Linux does.
	if vf&VMLocked != 0 && vf&VMLockOnFault == 0 || flags&MapPopulate != 0 && flags&MapNonblock == 0 {
		m.populate(start, end, prot&ProtWrite != 0 && !shared)
	}
	return start, nil
}

// vmEnoughMemory is __vm_enough_memory under OVERCOMMIT_GUESS, Linux's
// default: a charge of more pages than RAM has (there is no swap) fails.
func vmEnoughMemory(length uintptr) bool {
	return uint64(length/phys.PageSize) <= phys.Frames.Total()
}

// LinuxProt converts mmap's and mprotect's prot argument: PROT_READ,
// PROT_WRITE and PROT_EXEC (and PROT_SEM, which means nothing here); any
// other bit (PROT_GROWSDOWN and PROT_GROWSUP included: no VMA grows here)
// is ErrInval.
func LinuxProt(p uint64) (Prot, error) {
	const protSem = 0x8
	if p&^uint64(protAll|protSem) != 0 {
		return 0, ErrInval
	}
	return Prot(p) & protAll, nil
}

// getUnmappedArea picks where a mapping of length bytes (page aligned)
// goes, like get_unmapped_area with x86's top-down policy: a fixed addr
// as given; a hint if it is page aligned, fits in user space and is free;
// else the highest free range below MmapBase (2 MiB aligned with
// thpAlign), else the lowest above a third of user space.
// Preconditions: MmapLock held.
func (m *MM) getUnmappedArea(addr, length uintptr, fixed, thpAlign bool) (uintptr, error) {
	if length > UserEnd-UserBase {
		return 0, ErrNoMemory
	}
	if fixed {
		return addr, nil
	}
	if addr != 0 {
		addr = max(addr&^(phys.PageSize-1), UserBase)
		if addr <= UserEnd-length && !m.VMAs.Overlaps(addr, addr+length) {
			return addr, nil
		}
	}
	base := m.MmapBase
	if base == 0 || base > UserEnd {
		base = DefaultMmapBase
	}
	if thpAlign && length%HPageSize == 0 {
		if a, ok := m.VMAs.FreeRangeTopDown(length, UserBase, base, HPageSize); ok {
			return a, nil
		}
	}
	if a, ok := m.VMAs.FreeRangeTopDown(length, UserBase, base, phys.PageSize); ok {
		return a, nil
	}
	unmappedBase := (UserEnd / 3) &^ (phys.PageSize - 1) // TASK_UNMAPPED_BASE
	if a, ok := m.VMAs.FreeRange(length, unmappedBase, UserEnd); ok {
		return a, nil
	}
	return 0, ErrNoMemory
}

// populate faults in every page of [start, end), writing or reading, and
// stops at the first error (mm_populate, __mm_populate). It takes
// MmapLock for reading for each fault.
func (m *MM) populate(start, end uintptr, write bool) error {
	for va := start; va < end; va += phys.PageSize {
		if err := m.HandleMMFault(va, write); err != nil {
			return err
		}
	}
	return nil
}

// Mmap maps anonymous memory at addr (fixed: it replaces what was there)
// or, with addr 0, where DoMmap would put it, and returns where. Pages
// arrive on first touch. (The kernel's tests and shell use it; system
// calls use DoMmap.)
func (m *MM) Mmap(addr, length uintptr, prot Prot, flags VMAFlags) (uintptr, error) {
	m.MmapLock.Lock()
	start, end, orphans, err := m.placeLocked(addr, length, true)
	if err == nil {
		err = m.VMAs.Insert(VMA{Start: start, End: end, Prot: prot, Flags: flags | VMAnon})
	}
	m.MmapLock.Unlock()
	releaseOrphans(orphans)
	return start, err
}

// placeLocked picks the range of a new mapping — addr (MAP_FIXED) or, for
// addr 0, where getUnmappedArea puts it — and clears whatever was mapped
// there. It returns files to release once MmapLock is dropped.
// Preconditions: MmapLock held for writing.
func (m *MM) placeLocked(addr, length uintptr, anon bool) (start, end uintptr, orphans []*File, err error) {
	m.MmapLock.AssertWriteHeld()
	if addr == 0 {
		if length == 0 || length > UserEnd-UserBase {
			return 0, 0, nil, ErrInval
		}
		a, err := m.getUnmappedArea(0, (length+phys.PageSize-1)&^(phys.PageSize-1), false, anon)
		if err != nil {
			return 0, 0, nil, err
		}
		addr = a
	}
	if start, end, err = pageRange(addr, length); err != nil {
		return 0, 0, nil, err
	}
	// MAP_FIXED semantics: the new mapping replaces the old. Leave i_mmap
	// before freeing tables, so that no rmap walk can reach them.
	return start, end, m.unmapLocked(start, end), nil
}

// MmapFile maps length bytes of file f from page offset pgoff at addr (or,
// with addr 0, where DoMmap would put it). shared selects MAP_SHARED
// (writes go to the file's pages) or MAP_PRIVATE (the first write to a
// page copies it into an anonymous page: copy on write).
func (m *MM) MmapFile(addr, length uintptr, prot Prot, shared bool, f *File, pgoff uint64) (uintptr, error) {
	m.MmapLock.Lock()
	start, end, orphans, err := m.placeLocked(addr, length, false)
	if err == nil {
		var flags VMAFlags
		if shared {
			flags = VMShared
		}
		if err = m.VMAs.Insert(VMA{Start: start, End: end, Prot: prot, Flags: flags, File: f, Pgoff: pgoff}); err == nil {
			f.addMapping(m, start, end, pgoff, shared)
		}
	}
	m.MmapLock.Unlock()
	releaseOrphans(orphans)
	return start, err
}

// unmapLocked removes [start, end) from m: the VMAs (split at the
// edges), their ranges from their files' i_mmap, the PTEs and pages, and
// the page tables no VMA covers any more. It returns the files whose last
// mapping went and whose owner let go of them (ReleaseWhenUnmapped): the
// caller releases them (releaseOrphans) once MmapLock is dropped.
// Preconditions: MmapLock held for writing.
func (m *MM) unmapLocked(start, end uintptr) []*File {
	m.MmapLock.AssertWriteHeld()
	if !m.VMAs.Overlaps(start, end) {
		m.zapLocked(start, end, true, nil) // tables a collapse left, say
		return nil
	}
	orphans, removed := m.removeVMAsLocked(start, end)
	m.zapLocked(start, end, true, removed)
	return orphans
}

// removeVMAsLocked removes the VMAs of [start, end) and their ranges from
// their files' i_mmap, and returns the files to release once MmapLock is
// dropped and the VMAs removed (for zapLocked's accounting).
// Preconditions: MmapLock held for writing.
func (m *MM) removeVMAsLocked(start, end uintptr) (orphans []*File, removed []VMA) {
	m.MmapLock.AssertWriteHeld()
	m.updateHiwaterVM()
	return m.unmapFileVMAs(start, end)
}

// unmapFileVMAs removes the VMAs of [start, end) and their ranges from
// their files' i_mmap, and returns the files to release (see unmapLocked)
// and the VMAs removed. Destroy calls it directly: the tables go with the
// whole mm.
func (m *MM) unmapFileVMAs(start, end uintptr) (orphans []*File, removed []VMA) {
	removed = m.VMAs.Unmap(start, end)
	for _, v := range removed {
		if f, ok := v.File.(*File); ok && f != nil && f.removeMapping(m, v.Start, v.End) {
			orphans = append(orphans, f)
		}
	}
	return orphans, removed
}

// releaseOrphans releases files whose last mapping is gone.
func releaseOrphans(files []*File) {
	for _, f := range files {
		f.releaseOrphan()
	}
}

// Munmap removes [addr, addr+length): VMAs, PTEs, pages, and page tables
// that no longer map anything, like Linux's munmap: an unaligned addr, a
// length of 0 and a range beyond user space are ErrInval; holes (and a
// range with nothing mapped at all) are fine.
func (m *MM) Munmap(addr, length uintptr) error {
	if addr&(phys.PageSize-1) != 0 || length == 0 || addr > UserEnd || length > UserEnd-addr {
		return ErrInval
	}
	start, end := addr, (addr+length+phys.PageSize-1)&^(phys.PageSize-1)
	m.MmapLock.Lock()
	if !m.VMAs.Overlaps(start, end) {
		m.zapLocked(start, end, true, nil) // tables a collapse left, say
		m.MmapLock.Unlock()
		return nil
	}
	// Like Linux's munmap (do_vmi_munmap with downgrade): the VMAs go
	// under the write lock; zapping the PTEs, freeing the pages and the
	// empty tables, the long part, under the read lock, so that the
	// mm's other threads fault meanwhile. Nothing can reach the range
	// any more: no VMA leads a fault there, no i_mmap entry an rmap walk,
	// and no mmap can put a VMA back before the read lock goes.
	orphans, removed := m.removeVMAsLocked(start, end)
	m.MmapLock.Downgrade()
	delaySleep(DelayMunmapAfterDowngrade)
	m.zapLocked(start, end, true, removed)
	m.MmapLock.RUnlock()
	releaseOrphans(orphans)
	return nil
}

// MadviseDontneed drops the pages of [addr, addr+length); the VMAs stay and
// the next touch reads zeros (anonymous memory) or the file.
func (m *MM) MadviseDontneed(addr, length uintptr) error {
	start, end, err := pageRange(addr, length)
	if err != nil {
		return err
	}
	m.MmapLock.Lock()
	defer m.MmapLock.Unlock()
	m.zapLocked(start, end, false, m.VMAs.All())
	return nil
}

// Mprotect changes the protection of [addr, addr+length) and of the PTEs
// already there, like Linux's mprotect: an unaligned addr is ErrInval, a
// length of 0 changes nothing, a range that wraps or leaves user space is
// ErrNoMemory; it changes the VMAs from addr up to the first hole and
// then, if there was one (or addr itself is not mapped), returns
// ErrNoMemory — the part before the hole keeps its new protection, as in
// Linux. Asking for PROT_WRITE on a shared mapping of a file opened
// read-only is ErrAccess (nothing changes). PTEs of pages shared copy on
// write (after fork, or a private file mapping's page-cache pages) stay
// read-only: the next write copies them. The system-call layer checks
// prot's bits (LinuxProt).
func (m *MM) Mprotect(addr, length uintptr, prot Prot) error {
	if addr&(phys.PageSize-1) != 0 {
		return ErrInval
	}
	if length == 0 {
		return nil
	}
	end := (addr + length + phys.PageSize - 1) &^ (phys.PageSize - 1)
	if end <= addr || addr < UserBase || end > UserEnd {
		return ErrNoMemory
	}
	start := addr
	m.MmapLock.Lock()
	defer m.MmapLock.Unlock()
	upto := m.VMAs.mappedUntil(start, end)
	if upto == start {
		return ErrNoMemory
	}
	if prot&ProtWrite != 0 {
		for i := m.VMAs.search(start); i < len(m.VMAs.v) && m.VMAs.v[i].Start < upto; i++ {
			if m.VMAs.v[i].Flags&VMNoMayWrite != 0 {
				return ErrAccess
			}
		}
	}
	if err := m.VMAs.Protect(start, upto, prot); err != nil {
		return err
	}
	m.changeProtection(start, upto, prot)
	if upto < end {
		return ErrNoMemory
	}
	return nil
}

// changeProtection gives the PTEs and huge PMDs of [start, end) protection
// prot (change_protection). PROT_NONE keeps every page: a PTE becomes a
// PteProtNone entry (not present for the MMU, still holding the frame);
// an anonymous huge PMD is split first, so that its PTEs can; a huge PMD
// of a file is dropped (the page cache keeps the page; the next fault
// after mprotect maps it again).
// Preconditions: MmapLock held for writing; the VMAs of the range have
// their new protection.
func (m *MM) changeProtection(start, end uintptr, prot Prot) {
	m.MmapLock.AssertWriteHeld()
	var dropped, droppedHuge, deposits []uint64
	vmas := m.VMAs.All()
	if prot == ProtNone {
		for h := start &^ (HPageSize - 1); h < end; h += HPageSize {
			if pmd, _ := m.pmdWalk(h); pmd != nil {
				if pv := phys.LoadPTE(pmd); PmdHuge(pv) && phys.Frames.KindOf(PmdPFN(pv)) == phys.KindAnon {
					m.splitHugePMD(pmd, h, nil)
				}
			}
		}
	}
	whole := func(pmd *amd64.PTE, h uintptr, pv amd64.PTE) bool {
		nv := PfnPMD(PmdPFN(pv), m.mappedProt(PmdPFN(pv), pv, h, prot))
		if nv != 0 {
			nv |= pv & (amd64.PTEAccessed | amd64.PTEDirty)
		}
		m.pmdLock()
		phys.StorePTE(pmd, nv)
		if nv == 0 {
			deposits = append(deposits, m.withdrawIfAnon(pmd, pv))
		}
		m.pmdUnlock()
		if nv == 0 {
			m.addRSS(rssClass(PmdPFN(pv), fileAt(vmas, h)), -HPageNr)
			droppedHuge = append(droppedHuge, PmdPFN(pv))
		}
		return true
	}
	m.forEachPTE(start, end, vmas, whole, func(p *amd64.PTE, va uintptr) bool {
		old := phys.LoadPTE(p)
		if !PtePresent(old) {
			return false
		}
		nv := PfnPTE(PtePFN(old), m.mappedProt(PtePFN(old), old, va, prot)) | old&(amd64.PTEAccessed|amd64.PTEDirty)
		phys.StorePTE(p, nv)
		if nv == 0 {
			m.addRSS(rssClass(PtePFN(old), fileAt(vmas, va)), -1)
			dropped = append(dropped, PtePFN(old))
		}
		return true
	})
	// forEachPTE flushed the TLBs: only now may dropped pages be reused.
	for _, dep := range deposits {
		m.freeDeposit(dep)
	}
	putMappings(dropped, droppedHuge)
}

// mappedProt is the protection an existing mapping old of frame pfn at va
// gets from an mprotect to prot: never writable for the zero page, a file
// page in a private mapping (the first write must copy) or an anonymous
// page another mapping shares (copy on write after fork); writable only
// if it was, or if it is an anonymous page this mapping alone uses (like
// Linux's can_change_pte_writable).
func (m *MM) mappedProt(pfn uint64, old amd64.PTE, va uintptr, prot Prot) Prot {
	if prot&ProtWrite == 0 || PteWrite(old) {
		return prot
	}
	switch phys.Frames.KindOf(pfn) {
	case phys.KindAnon:
		if head, order := phys.Frames.Head(pfn); (order == 0 || old.Huge()) && exclusiveAnon(head) {
			return prot
		}
	case phys.KindPageCache:
		if v := m.VMAs.Find(va); v != nil && v.Flags&VMShared != 0 {
			return prot
		}
	}
	return prot.readOnly()
}

// Madvise sets or clears VMA hints (MADV_HUGEPAGE, MADV_NOHUGEPAGE,
// MADV_DONTFORK, ...) over [addr, addr+length), which must be mapped. A
// huge PMD that a new VMA boundary cuts is split (vma_adjust_trans_huge).
func (m *MM) Madvise(addr, length uintptr, set, clear VMAFlags) error {
	start, end, err := pageRange(addr, length)
	if err != nil {
		return err
	}
	m.MmapLock.Lock()
	if err = m.VMAs.Advise(start, end, set, clear); err == nil {
		m.splitHugeAt(start)
		m.splitHugeAt(end)
	}
	m.MmapLock.Unlock()
	if err == nil && set&VMHugepage != 0 {
		khugepagedEnter(m) // like khugepaged_enter_vma
	}
	return err
}

// splitHugeAt splits the huge PMD around addr if addr is not 2 MiB
// aligned (a VMA boundary there). Preconditions: MmapLock held for
// writing.
func (m *MM) splitHugeAt(addr uintptr) {
	if addr&(HPageSize-1) == 0 || addr >= UserEnd {
		return
	}
	if pmd := m.pmdIfPresent(addr); pmd != nil && PmdHuge(phys.LoadPTE(pmd)) {
		var f *File
		if v := m.VMAs.Find(addr); v != nil {
			f = vmaFile(v)
		}
		m.splitHugePMD(pmd, addr&^(HPageSize-1), f)
	}
}

// SetBrk sets the program break to start (rounded up to a page), where
// exec put the end of the program's data (mm->start_brk = mm->brk).
func (m *MM) SetBrk(start uintptr) {
	start = (start + phys.PageSize - 1) &^ (phys.PageSize - 1)
	m.MmapLock.Lock()
	m.startBrk, m.brk = start, start
	m.MmapLock.Unlock()
}

// BrkRange returns where the heap starts (start_brk) and the program
// break (brk).
func (m *MM) BrkRange() (start, brk uintptr) {
	m.MmapLock.RLock()
	defer m.MmapLock.RUnlock()
	return m.startBrk, m.brk
}

// Brk moves the program break to newBrk and returns the break, like
// Linux's brk: below StartBrk (brk(0) included) nothing changes; a
// shrink unmaps the pages above the new break; a growth maps anonymous
// read-write memory up to it, provided nothing is mapped there or in the
// page above it — else, or if memory runs out, the break stays and the
// old one is returned, as Linux does (no errno: the C library compares).
// The system-call layer checks RLIMIT_DATA itself, if it has one.
func (m *MM) Brk(newBrk uintptr) uintptr {
	m.MmapLock.Lock()
	old := m.brk
	if newBrk < m.startBrk || newBrk > UserEnd || m.startBrk == 0 {
		m.MmapLock.Unlock()
		return old
	}
	const mask = phys.PageSize - 1
	newTop, oldTop := (newBrk+mask)&^mask, (old+mask)&^mask
	var orphans []*File
	switch {
	case newTop == oldTop:
	case newBrk < old:
		orphans = m.unmapLocked(newTop, oldTop)
	default:
		if newTop+phys.PageSize > UserEnd || m.VMAs.Overlaps(oldTop, newTop+phys.PageSize) || m.VMAs.Len() >= MaxMapCount {
			m.MmapLock.Unlock()
			return old
		}
		if err := m.VMAs.Insert(VMA{Start: oldTop, End: newTop, Prot: ProtRead | ProtWrite, Flags: VMAnon | m.defFlags}); err != nil {
			m.MmapLock.Unlock()
			return old
		}
	}
	m.brk = newBrk
	m.MmapLock.Unlock()
	releaseOrphans(orphans)
	return newBrk
}

// The flags of msync.
const (
	MsAsync      = 1
	MsInvalidate = 2
	MsSync       = 4
)

// Msync writes [addr, addr+length) of shared file mappings back, like
// Linux's msync: flags other than MS_ASYNC, MS_INVALIDATE and MS_SYNC, or
// MS_ASYNC with MS_SYNC, or an unaligned addr are ErrInval; a range that
// wraps is ErrNoMemory; a length of 0 does nothing; a hole in the range is
// ErrNoMemory (after the mapped parts were done). Files here live in
// memory (the page cache is the file), so there is nothing to write.
func (m *MM) Msync(addr, length uintptr, flags int) error {
	if flags&^(MsAsync|MsInvalidate|MsSync) != 0 || addr&(phys.PageSize-1) != 0 || flags&MsAsync != 0 && flags&MsSync != 0 {
		return ErrInval
	}
	end := addr + (length+phys.PageSize-1)&^(phys.PageSize-1)
	if end < addr {
		return ErrNoMemory
	}
	if end == addr {
		return nil
	}
	m.MmapLock.RLock()
	defer m.MmapLock.RUnlock()
	if m.VMAs.mappedUntil(addr, end) < end {
		return ErrNoMemory
	}
	return nil
}
