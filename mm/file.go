// file.go: in-memory files (like shmem/tmpfs): a page cache indexed by page
// offset, and the reverse map of who maps which range (like i_mmap).
// Pages are created zeroed on first touch and stay in the cache (which
// holds one reference) until the file is released. A 2 MiB-aligned run of
// 512 offsets may be one huge page (after collapse_file; split back by
// SplitHugePage).
//
// Locking (docs/locking.md has the order): mu protects the cache;
// immapMu (like i_mmap_rwsem) protects the i_mmap list and is held across
// every rmap walk (unmapping a file range from every mm, retract): an mm
// removes its range from i_mmap before it frees the page tables of that
// range, so a walk holding immapMu never reaches a freed table.
// collapseMu serializes collapses and splits of the file; while one runs,
// Collapsing reports its range and faults on it wait in FindPage or back
// out under the PT lock.

// trapctx: process context only

package mm

import (
	"fmt"
	"sync"
	"sync/atomic"

	"retract/lockdep"
	"retract/mm/phys"
)

// File is an in-memory file.
type File struct {
	Name  string
	Pages uint64 // size in pages; fixed
	// Shmem says its pages count as shared memory (RssShmem: shmem,
	// tmpfs, memfd, shared anonymous memory) rather than file pages.
	Shmem bool

	mu    lockdep.Mutex     // the page cache (like i_pages' lock)
	cache map[uint64]uint64 // page offset -> PFN (a huge page: its 512 frames)
	wait  sync.Cond         // on mu: a collapse or split of a range ended

	immapMu lockdep.Mutex // like i_mmap_rwsem: who maps the file
	immap   []Mapper
	// orphan (under immapMu): the owner let go (ReleaseWhenUnmapped); the
	// last mapping's removal releases the file. releasing: that removal
	// happened (or the file was unmapped already).
	orphan, releasing bool

	collapseMu lockdep.Mutex // one collapse or split at a time
	collapsing atomic.Uint64 // first offset+1 of the range being collapsed or split; 0: none
	released   bool          // under collapseMu: the cache is gone; nothing may collapse it
}

// Mapper is one range of an address space that maps the file (an i_mmap
// entry): [Start, End) maps the file from page offset Pgoff.
type Mapper struct {
	MM         *MM
	Start, End uintptr
	Pgoff      uint64
	Shared     bool
}

// NewFile makes an empty file of the given size.
func NewFile(name string, pages uint64) *File {
	f := &File{Name: name, Pages: pages, cache: map[uint64]uint64{}}
	f.mu.Class, f.immapMu.Class, f.collapseMu.Class = classFileMu, classImmap, classCollapse
	f.wait.L = &f.mu
	return f
}

func (f *File) String() string { return fmt.Sprintf("file %q (%d pages)", f.Name, f.Pages) }

// Collapsing reports whether page pgoff is in a range being collapsed or
// split right now. Faults read it under the PT lock (see handlePTEFault).
func (f *File) Collapsing(pgoff uint64) bool {
	c := f.collapsing.Load()
	return c != 0 && pgoff >= c-1 && pgoff < c-1+HPageNr
}

// FindPage returns the page-cache frame of page pgoff with a reference
// for the caller (putPage drops it; a new mapping keeps it), creating a
// zeroed page on first use (like shmem_get_folio), and waiting while its
// range is being collapsed or split (like a fault waiting on a locked
// page). The cache keeps a reference of its own.
func (f *File) FindPage(pgoff uint64) (uint64, error) {
	if pgoff >= f.Pages {
		return 0, ErrBus // beyond the end of the file: SIGBUS, as in Linux
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for f.Collapsing(pgoff) {
		f.wait.Wait()
	}
	if pfn, ok := f.cache[pgoff]; ok {
		head, _ := phys.Frames.Head(pfn)
		phys.Frames.Meta(head).Refcount.Add(1)
		return pfn, nil
	}
	pfn, ok := allocUserPage(0, phys.KindPageCache)
	if !ok {
		return 0, ErrNoMemory
	}
	clear((*[phys.PageSize]byte)(phys.Page(pfn))[:])
	phys.Frames.Meta(pfn).Refcount.Store(2) // the cache's reference and the caller's
	phys.Frames.Meta(pfn).Mapcount.Store(0)
	f.cache[pgoff] = pfn
	return pfn, nil
}

// Cached returns the frame of pgoff if it is in the cache.
func (f *File) Cached(pgoff uint64) (uint64, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	pfn, ok := f.cache[pgoff]
	return pfn, ok
}

// IsHuge reports whether page pgoff is part of a huge page in the cache.
func (f *File) IsHuge(pgoff uint64) bool {
	pfn, ok := f.Cached(pgoff)
	if !ok {
		return false
	}
	_, order := phys.Frames.Head(pfn)
	return order == HPageOrder
}

// hugePageAt returns the head of the huge page that holds pgoff (aligned)
// and takes a reference on it, if there is one and no split is under way.
func (f *File) hugePageAt(pgoff uint64) (uint64, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	pfn, ok := f.cache[pgoff]
	if !ok || f.Collapsing(pgoff) {
		return 0, false
	}
	head, order := phys.Frames.Head(pfn)
	if order != HPageOrder || head != pfn {
		return 0, false
	}
	phys.Frames.Meta(head).Refcount.Add(1)
	return head, true
}

// ReadAt copies from the file's pages (creating them) into p.
func (f *File) ReadAt(p []byte, off uint64) error {
	for len(p) > 0 {
		pfn, err := f.FindPage(off / phys.PageSize)
		if err != nil {
			return err
		}
		n := copy(p, (*[phys.PageSize]byte)(phys.Page(pfn))[off%phys.PageSize:])
		putPage(pfn)
		p, off = p[n:], off+uint64(n)
	}
	return nil
}

// Release drops the page cache. The file must no longer be mapped.
func (f *File) Release() error {
	f.immapMu.Lock()
	n := len(f.immap)
	f.immapMu.Unlock()
	if n != 0 {
		return fmt.Errorf("mm: %v is still mapped by %d ranges", f, n)
	}
	f.collapseMu.Lock()
	defer f.collapseMu.Unlock()
	return f.freeCache()
}

// ReleaseWhenUnmapped says that the file's owner is done with it (shared
// anonymous memory from the start; a file with no name and no open
// descriptor left): it is released now if nothing maps it, else when its
// last mapping goes (munmap, exit) — the reference a VMA's vm_file holds
// in Linux.
func (f *File) ReleaseWhenUnmapped() {
	f.immapMu.Lock()
	f.orphan = true
	now := len(f.immap) == 0 && !f.releasing
	f.releasing = f.releasing || now
	f.immapMu.Unlock()
	if now {
		f.releaseOrphan()
	}
}

// releaseOrphan releases a file whose owner let go once its last mapping
// went. It waits for a collapse or split of the file to end and keeps
// later ones out (released).
func (f *File) releaseOrphan() {
	f.collapseMu.Lock()
	defer f.collapseMu.Unlock()
	if err := f.freeCache(); err != nil {
		panic(err.Error())
	}
}

// freeCache frees the page cache, unless a page is still mapped.
// Preconditions: collapseMu held.
func (f *File) freeCache() error {
	f.collapseMu.AssertHeld()
	f.mu.Lock()
	defer f.mu.Unlock()
	// Check everything before freeing anything: a huge page's 512
	// entries all lead to its head.
	for off, pfn := range f.cache {
		head, _ := phys.Frames.Head(pfn)
		if phys.Frames.Meta(head).Mapcount.Load() != 0 {
			return fmt.Errorf("mm: page %d of %v is still mapped", off, f)
		}
	}
	for off, pfn := range f.cache {
		delete(f.cache, off)
		if fr := phys.Frames.Meta(pfn); fr.Refcount.Load() > 0 {
			head, order := phys.Frames.Head(pfn)
			if head == pfn {
				fr.Refcount.Store(0)
				phys.Frames.Free(head, order)
			}
		}
	}
	f.released = true
	return nil
}

// Mappers returns the address spaces that map f (i_mmap), each once.
func (f *File) Mappers() []*MM {
	f.immapMu.Lock()
	defer f.immapMu.Unlock()
	var out []*MM
	seen := map[*MM]bool{}
	for _, e := range f.immap {
		if !seen[e.MM] {
			seen[e.MM] = true
			out = append(out, e.MM)
		}
	}
	return out
}

// addMapping records that m maps the file at [start, end) from pgoff.
func (f *File) addMapping(m *MM, start, end uintptr, pgoff uint64, shared bool) {
	f.immapMu.Lock()
	defer f.immapMu.Unlock()
	f.immap = append(f.immap, Mapper{MM: m, Start: start, End: end, Pgoff: pgoff, Shared: shared})
}

// addMappingLocked is addMapping with immapMu held.
func (f *File) addMappingLocked(m *MM, start, end uintptr, pgoff uint64, shared bool) {
	f.immapMu.AssertHeld()
	f.immap = append(f.immap, Mapper{MM: m, Start: start, End: end, Pgoff: pgoff, Shared: shared})
}

// removeMapping removes [start, end) of m from i_mmap, trimming or
// splitting the entries it overlaps. It reports whether that was the
// file's last mapping and its owner let go of it (ReleaseWhenUnmapped):
// then the caller must releaseOrphan it once its PTEs are gone and
// MmapLock is dropped.
func (f *File) removeMapping(m *MM, start, end uintptr) bool {
	f.immapMu.Lock()
	defer f.immapMu.Unlock()
	f.removeMappingLocked(m, start, end)
	if f.orphan && len(f.immap) == 0 && !f.releasing {
		f.releasing = true
		return true
	}
	return false
}

// removeMappingLocked is removeMapping's i_mmap edit.
// Preconditions: immapMu held.
func (f *File) removeMappingLocked(m *MM, start, end uintptr) {
	f.immapMu.AssertHeld()
	var out []Mapper
	for _, e := range f.immap {
		if e.MM != m || e.End <= start || e.Start >= end {
			out = append(out, e)
			continue
		}
		if e.Start < start {
			out = append(out, Mapper{MM: m, Start: e.Start, End: start, Pgoff: e.Pgoff, Shared: e.Shared})
		}
		if e.End > end {
			out = append(out, Mapper{MM: m, Start: end, End: e.End, Pgoff: e.Pgoff + uint64(end-e.Start)/phys.PageSize, Shared: e.Shared})
		}
	}
	f.immap = out
}

// vaOf returns where e maps page pgoff, if it does.
func (e *Mapper) vaOf(pgoff uint64) (uintptr, bool) {
	if pgoff < e.Pgoff || pgoff-e.Pgoff >= uint64(e.End-e.Start)/phys.PageSize {
		return 0, false
	}
	return e.Start + uintptr(pgoff-e.Pgoff)*phys.PageSize, true
}

// beginRange marks [index, index+512) as being collapsed or split; faults
// on it wait from now on. Preconditions: collapseMu held.
func (f *File) beginRange(index uint64) {
	f.collapseMu.AssertHeld()
	f.mu.Lock()
	f.collapsing.Store(index + 1)
	f.mu.Unlock()
}

// endRange ends what beginRange began and wakes the waiting faults.
func (f *File) endRange() {
	f.mu.Lock()
	f.collapsing.Store(0)
	f.wait.Broadcast()
	f.mu.Unlock()
}
