// fallocate.go: preallocating a file's pages and punching holes in it
// (Linux's shmem_fallocate, and MADV_REMOVE, which is a hole punched
// through a mapping).

// trapctx: process context only

package mm

import "retract/mm/phys"

// Allocate makes the page-cache pages of the byte range [off,
// off+length) exist (fallocate without PUNCH_HOLE, like shmem_fallocate's
// allocation loop), so that faults and writes there find their pages.
// Pages already there keep their bytes. Pages past the end of the file
// are made too (fallocate with KEEP_SIZE preallocates there, and stat's
// st_blocks counts them, as in Linux); they are zero, nothing maps them
// (a fault there is SIGBUS) and a write or a growth past them finds them
// ready, a shrink drops them.
//
// If memory runs out it returns ErrNoMemory and, like Linux, gives back
// the pages it made (shmem_undo_range of the new pages): each one that
// is still zero, unmapped and unreferenced leaves the cache. A page that
// a fault or a write took meanwhile stays; nothing in the file changes.
func (f *File) Allocate(off, length int64) error {
	if off < 0 || length <= 0 || off > MaxFileSize-length {
		return ErrInval
	}
	f.collapseMu.Lock() // no write or truncate meanwhile
	defer f.collapseMu.Unlock()
	var made []uint64
	for pg := uint64(off) / phys.PageSize; int64(pg*phys.PageSize) < off+length; pg++ {
		_, had := f.Cached(pg)
		pfn, err := f.findPage(pg, true)
		if err != nil {
			f.undoAllocate(made)
			return err
		}
		putPage(pfn)
		if !had {
			made = append(made, pg)
		}
	}
	return nil
}

// undoAllocate takes the pages at offsets made out of the cache again,
// those still zero with only the cache's reference (Allocate).
func (f *File) undoAllocate(made []uint64) {
	f.mu.Lock()
	var put []uint64
	for _, pg := range made {
		pfn, ok := f.cache[pg]
		if !ok {
			continue
		}
		fr := phys.Frames.Meta(pfn)
		if _, order := phys.Frames.Head(pfn); order != 0 || fr.Refcount.Load() != 1 || fr.Mapcount.Load() != 0 {
			continue
		}
		if *(*[phys.PageSize]byte)(phys.Page(pfn)) != [phys.PageSize]byte{} {
			continue
		}
		delete(f.cache, pg)
		put = append(put, pfn)
	}
	f.mu.Unlock()
	for _, pfn := range put {
		putPage(pfn)
	}
}

// PunchHole frees the file's data in the byte range [off, off+length)
// without changing its size (fallocate PUNCH_HOLE|KEEP_SIZE, Linux's
// shmem_fallocate then shmem_truncate_range). Afterwards the range reads
// as zeros and the pages that lay wholly inside it are out of the cache,
// their frames freed with their last reference; the parts of partial
// pages at the edges are zeroed in place. Mappings of the removed pages
// are cleared in every mm first (unmap_mapping_range without even_cows:
// a private mapping's own copies stay, as in Linux), so the next access
// faults a fresh zero page in.
//
// It works one 2 MiB-aligned chunk at a time, with the protocol a
// collapse uses to take pages away from under faults: the chunk is
// marked (beginRange: faults on it wait in FindPage, or back out under
// the PT lock if they found a page before), the pages' mappings are
// cleared through i_mmap, the faults that hold a reference are waited
// out, and only then do the pages leave the cache. A huge page the hole
// covers only in part is split first (split_huge_page); if it cannot be
// split it stays whole and the covered part is zeroed, as Linux does
// with a folio it cannot split.
func (f *File) PunchHole(off, length int64) error {
	if off < 0 || length <= 0 {
		return ErrInval
	}
	f.collapseMu.Lock()
	defer f.collapseMu.Unlock()
	if f.released {
		return nil
	}
	end := off + length
	if end < 0 { // overflow: to the end of any file
		end = MaxFileSize
	}
	// Pages [lo, hi) go whole; the partial pages at the edges are
	// zeroed. A page that the hole covers past the end of the file goes
	// whole too (its bytes past the end are zero and not the file's).
	size := f.Size()
	lo := (uint64(off) + phys.PageSize - 1) / phys.PageSize
	hi := uint64(end) / phys.PageSize
	if end >= size {
		hi = max(hi, sizePages(size))
	}
	if hi <= lo {
		// Inside one page or across one page boundary: no whole page.
		f.zeroRange(off, min(end, size))
	} else {
		f.zeroRange(off, min(int64(lo*phys.PageSize), size))
		f.zeroRange(int64(hi*phys.PageSize), min(end, size))
	}
	hi = min(hi, f.cacheEnd()) // nothing to take out past the last page
	for c := lo &^ (HPageNr - 1); c < hi; c += HPageNr {
		f.punchChunk(c, max(lo, c), min(hi, c+HPageNr))
	}
	return nil
}

// cacheEnd is one past the highest offset the cache holds a page at.
func (f *File) cacheEnd() uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	var n uint64
	for pg := range f.cache {
		n = max(n, pg+1)
	}
	return n
}

// zeroRange zeroes the bytes [from, to) of the cached pages they lie in
// (the edges of a hole). Preconditions: collapseMu held (writes exclude).
func (f *File) zeroRange(from, to int64) {
	for from < to {
		pg := uint64(from) / phys.PageSize
		in := uint64(from) % phys.PageSize
		n := min(uint64(to-from), phys.PageSize-in)
		if pfn, ok := f.getPage(pg); ok {
			clear((*[phys.PageSize]byte)(phys.Page(pfn))[in : in+n])
			putPage(pfn)
		}
		from += int64(n)
	}
}

// punchChunk removes the cached pages [a, b) of the 2 MiB chunk that
// starts at page c (PunchHole says how). Preconditions: collapseMu held.
func (f *File) punchChunk(c, a, b uint64) {
	if pfn, ok := f.Cached(c); ok {
		if head, order := phys.Frames.Head(pfn); order == HPageOrder && (a != c || b != c+HPageNr) {
			if err := f.splitHugePageLocked(c); err != nil {
				ThpStat.SplitPageFailed.Add(1)
				for pg := a; pg < b; pg++ {
					clear((*[phys.PageSize]byte)(phys.Page(head + (pg - c)))[:])
				}
				return
			}
		}
	}
	f.beginRange(c)
	defer f.endRange()
	// The pages to take out (the cache's own: a private mapping's
	// copies are not in it). No fault adds one to the chunk now.
	f.mu.Lock()
	victims := map[uint64]bool{}
	for pg := a; pg < b; pg++ {
		if pfn, ok := f.cache[pg]; ok {
			head, _ := phys.Frames.Head(pfn)
			victims[pfn], victims[head] = true, true
		}
	}
	f.mu.Unlock()
	if len(victims) == 0 {
		return
	}
	f.unmapPages(a, b, func(pfn, _ uint64) bool { return victims[pfn] })
	// Wait, as a split does, so that no fault maps a page after it left
	// the cache. One that is still held after that is freed by its last
	// holder (as a truncated page is).
	for pfn := range victims {
		if head, _ := phys.Frames.Head(pfn); head == pfn {
			waitCacheOnly(head)
		}
	}
	f.mu.Lock()
	var put []uint64
	for pg := a; pg < b; pg++ {
		pfn, ok := f.cache[pg]
		if !ok {
			continue
		}
		delete(f.cache, pg)
		if head, _ := phys.Frames.Head(pfn); head == pfn {
			put = append(put, pfn)
		}
	}
	f.mu.Unlock()
	for _, pfn := range put {
		putPage(pfn)
	}
}
