// page.go: references and mappings of pages. A page's head frame (the
// first of a huge page) counts its references (Refcount: the page cache,
// each mapping, a fault holding it) and its mappings (Mapcount: each PTE
// or PMD). Linux keeps the same two counts in struct page / folio.

// trapctx: process context only

package mm

import (
	"runtime"

	"retract/mm/phys"
)

// dropMapping drops one mapping of a page (any 4 KiB frame of a huge page
// counts on its head), freeing it with its last reference (a page-cache
// page keeps the cache's reference).
func dropMapping(pfn uint64) {
	if pfn == zeroPFN {
		return
	}
	head, order := phys.Frames.Head(pfn)
	f := phys.Frames.Meta(head)
	f.Mapcount.Add(-1)
	if f.Refcount.Add(-1) == 0 {
		phys.Frames.Free(head, order)
	}
}

// putPage drops a reference that is not a mapping (the cache's, or one
// FindPage took), freeing the page with its last reference.
func putPage(pfn uint64) {
	head, order := phys.Frames.Head(pfn)
	if phys.Frames.Meta(head).Refcount.Add(-1) == 0 {
		phys.Frames.Free(head, order)
	}
}

// waitCacheOnly waits until the page-cache page at head has no reference
// but the cache's and no mapping — faults that found it before its range
// was marked (beginRange) drop theirs when they see the mark, readers
// theirs after a copy — and reports whether that came within the bound
// (a million yields). Split and hole punching wait so before the page
// leaves its place in the cache.
func waitCacheOnly(head uint64) bool {
	fr := phys.Frames.Meta(head)
	for i := 0; fr.Refcount.Load() != 1 || fr.Mapcount.Load() != 0; i++ {
		if i > 1000000 {
			return false
		}
		runtime.Gosched()
	}
	return true
}
