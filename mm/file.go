// file.go: in-memory files (like shmem/tmpfs): a page cache indexed by page
// offset, the file's size, and the reverse map of who maps which range
// (like i_mmap). Pages are created zeroed on first touch (a fault, a write)
// and stay in the cache (which holds one reference) until the file shrinks
// past them (Truncate) or is released. A 2 MiB-aligned run of 512 offsets
// may be one huge page (after collapse_file; split back by SplitHugePage).
// Every regular file of the VFS is one of these (kernel/pagecache), so
// mmap, collapse, khugepaged and retract apply to all of them.
//
// Locking (docs/locking.md has the order): mu protects the cache and
// size changes; immapMu (like i_mmap_rwsem) protects the i_mmap list and
// is held across every rmap walk (unmapping a file range from every mm,
// retract): an mm removes its range from i_mmap before it frees the page
// tables of that range, so a walk holding immapMu never reaches a freed
// table. collapseMu serializes collapses, splits, truncates and writes
// (which copy into the frames directly: Linux holds the page locks for
// that); while a collapse or split runs, Collapsing reports its range and
// faults on it wait in FindPage or back out under the PT lock. Faults recheck the size where they install an entry (Truncate
// says why that replaces Linux's page lock).

// trapctx: process context only

package mm

import (
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	"retract/lockdep"
	"retract/mm/phys"
)

// File is an in-memory file: the page cache of a regular file (Linux's
// struct address_space of a shmem inode, with its i_size). Its size is in
// bytes and changes with WriteAt and Truncate; faults and FindPage beyond
// the end fail with ErrSigbus.
type File struct {
	Name string
	// Shmem says its pages count as shared memory (RssShmem: shmem,
	// tmpfs, memfd, shared anonymous memory) rather than file pages.
	Shmem bool

	// size is the file's length in bytes (i_size). It changes only under
	// mu and, when it shrinks, under collapseMu too; the fault path reads
	// it without a lock (i_size_read) and again under the PT lock or the
	// PMD lock before it maps a page (see Truncate).
	size atomic.Int64

	mu    lockdep.Mutex     // the page cache (like i_pages' lock) and size changes
	cache map[uint64]uint64 // page offset -> PFN (a huge page: its 512 frames)
	wait  sync.Cond         // on mu: a collapse or split of a range ended

	immapMu lockdep.Mutex // like i_mmap_rwsem: who maps the file
	immap   []Mapper
	// orphan (under immapMu): the owner let go (ReleaseWhenUnmapped); the
	// last mapping's removal releases the file. releasing: that removal
	// happened (or the file was unmapped already).
	orphan, releasing bool

	// collapseMu serializes the operations that replace, remove or write
	// cache pages behind the mappings' backs: collapse, split, truncate
	// and WriteAt (see there).
	collapseMu lockdep.Mutex
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

// MaxFileSize is the largest size a file may have (Linux's
// MAX_LFS_FILESIZE on 64-bit machines).
const MaxFileSize = 1<<63 - 1

// Errors of the page cache besides ErrNoMemory, ErrInval and ErrSigbus
// (errno.go).
var (
	// ErrFileTooBig is a write or truncate past MaxFileSize (EFBIG).
	ErrFileTooBig = errors.New("mm: file too large (EFBIG)")
)

// NewFile makes a file of pages pages (pages*4 KiB bytes) whose contents
// read as zeros; pages are made on first touch.
func NewFile(name string, pages uint64) *File {
	f := &File{Name: name, cache: map[uint64]uint64{}}
	f.size.Store(int64(pages * phys.PageSize))
	f.mu.Class, f.immapMu.Class, f.collapseMu.Class = classFileMu, classImmap, classCollapse
	f.wait.L = &f.mu
	return f
}

func (f *File) String() string { return fmt.Sprintf("file %q (%d pages)", f.Name, f.Pages()) }

// Size returns the file's length in bytes (i_size_read: no lock).
func (f *File) Size() int64 { return f.size.Load() }

// Pages returns the number of pages the file's bytes occupy: the last
// one may be partial.
func (f *File) Pages() uint64 { return sizePages(f.Size()) }

// sizePages is the number of pages that hold size bytes.
func sizePages(size int64) uint64 {
	return (uint64(size) + phys.PageSize - 1) / phys.PageSize
}

// beyondEOF reports whether page pgoff lies wholly past the end of the
// file: a fault there is SIGBUS.
func (f *File) beyondEOF(pgoff uint64) bool { return pgoff >= f.Pages() }

// setSizeLocked sets the size. Preconditions: mu held.
func (f *File) setSizeLocked(size int64) {
	f.mu.AssertHeld()
	f.size.Store(size)
}

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
// page). The cache keeps a reference of its own. A page beyond the end
// of the file is ErrSigbus.
func (f *File) FindPage(pgoff uint64) (uint64, error) { return f.findPage(pgoff, false) }

// findPage is FindPage; pastEOF allows a page past the end of the file
// (fallocate with KEEP_SIZE preallocates there, as Linux does).
func (f *File) findPage(pgoff uint64, pastEOF bool) (uint64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for {
		// Checked under mu, where the size changes: no fault or write
		// adds a page beyond the end (Truncate drops what is there);
		// only fallocate does, and that page stays zero until the
		// file grows over it.
		if !pastEOF && f.beyondEOF(pgoff) {
			return 0, ErrSigbus
		}
		if !f.Collapsing(pgoff) {
			break
		}
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

// getPage returns the cached frame of pgoff with a reference, or false for
// a hole, without creating or waiting (like filemap_get_folio). Readers use
// it: during a collapse the small pages stay valid until their last
// reference goes, and nobody writes them.
func (f *File) getPage(pgoff uint64) (uint64, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	pfn, ok := f.cache[pgoff]
	if ok {
		head, _ := phys.Frames.Head(pfn)
		phys.Frames.Meta(head).Refcount.Add(1)
	}
	return pfn, ok
}

// getPages fills pfns with the cached small pages of offsets first,
// first+1, ..., each with a reference for the caller, and 0 for a hole,
// a piece of a huge page, an offset beyond the end of the file or in a
// range being collapsed; it returns how many it found. It never creates
// or waits: fault-around's batch lookup (filemap_map_pages). It looks
// no further when offset must, the faulting page, is not cached: a
// fault that has to create its page (a first touch) mostly finds its
// neighbours missing too, and under TCG sixteen lookups in vain cost a
// first-touch fault half its speed.
func (f *File) getPages(first, must uint64, pfns []uint64) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.cache[must]; !ok {
		return 0
	}
	found := 0
	for i := range pfns {
		pgoff := first + uint64(i)
		pfns[i] = 0
		if f.beyondEOF(pgoff) {
			break
		}
		pfn, ok := f.cache[pgoff]
		if !ok || f.Collapsing(pgoff) {
			continue
		}
		if _, order := phys.Frames.Head(pfn); order != 0 {
			continue
		}
		phys.Frames.Meta(pfn).Refcount.Add(1)
		pfns[i] = pfn
		found++
	}
	return found
}

// Cached returns the frame of pgoff if it is in the cache.
func (f *File) Cached(pgoff uint64) (uint64, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	pfn, ok := f.cache[pgoff]
	return pfn, ok
}

// CachedPages returns how many pages the cache holds (a huge page counts
// 512): what the file costs in memory (st_blocks).
func (f *File) CachedPages() uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return uint64(len(f.cache))
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
// and takes a reference on it, if there is one, no split is under way and
// the file does not end inside it (a PMD must not map past the end).
func (f *File) hugePageAt(pgoff uint64) (uint64, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	pfn, ok := f.cache[pgoff]
	if !ok || f.Collapsing(pgoff) || f.beyondEOF(pgoff+HPageNr-1) {
		return 0, false
	}
	head, order := phys.Frames.Head(pfn)
	if order != HPageOrder || head != pfn {
		return 0, false
	}
	phys.Frames.Meta(head).Refcount.Add(1)
	return head, true
}

// ReadAt copies the file's bytes at off into p, like a read(2) of a
// shmem file: it stops at the end of the file (io.ReaderAt's contract:
// fewer bytes come with io.EOF) and reads holes as zeros without filling
// them.
func (f *File) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, ErrInval
	}
	size := f.Size()
	if off >= size {
		if len(p) == 0 {
			return 0, nil
		}
		return 0, io.EOF
	}
	want := len(p)
	if int64(len(p)) > size-off {
		p = p[:size-off]
	}
	n := 0
	for n < len(p) {
		o := uint64(off) + uint64(n)
		in := o % phys.PageSize
		c := min(len(p)-n, int(phys.PageSize-in))
		if pfn, ok := f.getPage(o / phys.PageSize); ok {
			copy(p[n:n+c], (*[phys.PageSize]byte)(phys.Page(pfn))[in:])
			putPage(pfn)
		} else {
			clear(p[n : n+c])
		}
		n += c
	}
	if n < want {
		return n, io.EOF
	}
	return n, nil
}

// WriteAt copies p into the file at off, making the pages it needs and
// growing the file if it ends past the end (like shmem_write_begin and
// write_end). A short count comes with the error: ErrNoMemory when no
// frame is left, ErrFileTooBig past MaxFileSize.
//
// It holds collapseMu, as Linux's write holds each page's lock while it
// copies: the copy goes straight into the frames, through the direct map,
// and a collapse copying the same small pages into a huge page meanwhile
// would lose it; a truncate would drop pages under it. So writes wait for
// a collapse, split or truncate of the file to end, and khugepaged skips
// a file being written (CollapseBusy). fs already serializes a file's
// writes with its inode lock, which is taken first.
func (f *File) WriteAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, ErrInval
	}
	if off > MaxFileSize-int64(len(p)) {
		return 0, ErrFileTooBig
	}
	if len(p) == 0 {
		return 0, nil
	}
	f.collapseMu.Lock()
	defer f.collapseMu.Unlock()
	end := off + int64(len(p))
	// Growing: the new size first, so that the pages can be made
	// (FindPage refuses pages past the end); a failure part way
	// truncates back.
	f.mu.Lock()
	old := f.Size()
	grow := end > old
	if grow {
		f.setSizeLocked(end)
	}
	f.mu.Unlock()
	if grow {
		f.zeroTail(old)
	}
	n := 0
	var err error
	for n < len(p) {
		o := uint64(off) + uint64(n)
		var pfn uint64
		if pfn, err = f.FindPage(o / phys.PageSize); err != nil {
			break
		}
		n += copy((*[phys.PageSize]byte)(phys.Page(pfn))[o%phys.PageSize:], p[n:])
		putPage(pfn)
	}
	if err != nil && grow {
		f.truncateLocked(max(old, off+int64(n)))
	}
	return n, err
}

// zeroTail zeroes the bytes of the page that holds offset size from size
// to the end of that page, if it is cached. Past the end of a file they
// are zero already unless a shared mapping wrote there (Linux allows
// that; they are not part of the file), and a file that grows must read
// zeros there.
func (f *File) zeroTail(size int64) {
	in := uint64(size) % phys.PageSize
	if in == 0 {
		return
	}
	if pfn, ok := f.getPage(uint64(size) / phys.PageSize); ok {
		clear((*[phys.PageSize]byte)(phys.Page(pfn))[in:])
		putPage(pfn)
	}
}

// Truncate sets the file's size, like truncate_setsize and
// truncate_pagecache on a shmem inode. Growing just sets it: the new
// bytes read as zeros. Shrinking, in this order:
//
//  1. the size: from here on FindPage and every fault past the new end
//     fail with ErrSigbus;
//  2. a huge page that straddles the new end is split (SplitHugePage;
//     if stray references keep it whole, it stays whole, zeroed past the
//     end, as Linux leaves a folio it cannot split);
//  3. unmapMappingRange: every PTE and huge PMD that maps a page past the
//     end is cleared in every mm (the rmap walk of i_mmap, like
//     unmap_mapping_range with even_cows: a private mapping's copies go
//     too, so that the next access there is SIGBUS), the TLBs flushed;
//  4. the last page, if partial, is zeroed past the end;
//  5. the pages past the end leave the cache (truncate_inode_pages); each
//     is freed with its last reference.
//
// Linux keeps a fault from mapping a page that truncate is removing with
// the page lock: truncate locks each folio before it unmaps and deletes
// it, and the fault maps the page while holding its lock, after
// checking it is still in the mapping; the second unmap_mapping_range of
// truncate_pagecache catches private copies made meanwhile. Here the
// fault path rechecks the size instead, where it installs the entry:
// under the PT lock (finishFault) or the PMD lock (a huge PMD). A fault
// that read the old size did so before step 1, so it holds that lock
// before step 3 takes it and step 3 sees and clears its entry; a fault
// that takes the lock after step 3 sees the new size and backs out. So
// one walk is enough, no mapping past the end survives Truncate, and a
// fault that still holds a reference to a dropped page frees it when it
// backs out.
func (f *File) Truncate(size int64) error {
	if size < 0 {
		return ErrInval
	}
	if size > MaxFileSize {
		return ErrFileTooBig
	}
	f.collapseMu.Lock()
	defer f.collapseMu.Unlock()
	f.truncateLocked(size)
	return nil
}

// truncateLocked is Truncate. Preconditions: collapseMu held.
func (f *File) truncateLocked(size int64) {
	f.collapseMu.AssertHeld()
	f.mu.Lock()
	old := f.Size()
	f.setSizeLocked(size)
	f.mu.Unlock()
	if size >= old {
		f.zeroTail(old)
		return
	}
	from := sizePages(size) // the first page wholly past the end
	if from%HPageNr != 0 {
		idx := from &^ (HPageNr - 1)
		if pfn, ok := f.Cached(idx); ok {
			if _, order := phys.Frames.Head(pfn); order == HPageOrder {
				if err := f.splitHugePageLocked(idx); err != nil {
					// It stays whole (truncate_inode_partial_folio):
					// zero its pages past the end, so that a file
					// that grows again reads zeros there.
					ThpStat.SplitPageFailed.Add(1)
					for pg := from; pg < idx+HPageNr; pg++ {
						if pfn, ok := f.getPage(pg); ok {
							clear((*[phys.PageSize]byte)(phys.Page(pfn))[:])
							putPage(pfn)
						}
					}
				}
			}
		}
	}
	f.unmapMappingRange(from)
	f.zeroTail(size)
	f.truncateInodePages(from)
}

// truncateInodePages removes the pages from offset from on from the cache
// and drops the cache's references (a page still referenced by a fault
// that is backing out, or a reader, is freed by its last holder). A huge
// page that starts before from stays whole (its split failed).
func (f *File) truncateInodePages(from uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var put []uint64
	for off, pfn := range f.cache {
		if off < from {
			continue
		}
		head, order := phys.Frames.Head(pfn)
		if order == HPageOrder && off-(pfn-head) < from {
			continue
		}
		delete(f.cache, off)
		if pfn == head {
			put = append(put, head)
		}
	}
	for _, head := range put {
		putPage(head)
	}
}

// unmapMappingRange removes every mapping of file pages from offset from
// on from every mm that maps them (unmap_mapping_range with even_cows):
// PTEs that map the file's pages or a private mapping's copies of them,
// and huge PMDs whose 2 MiB reach past from. Like Linux it takes no
// mmap_lock: i_mmap (immapMu) leads to the tables, the PMD lock and the PT
// locks guard the entries, and the page tables themselves stay.
func (f *File) unmapMappingRange(from uint64) {
	f.unmapPages(from, ^uint64(0), func(uint64, uint64) bool { return true })
}

// Release drops the page cache: the file has no name, no open file and no
// mapping left (the caller guarantees no new one comes).
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
