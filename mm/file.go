// file.go: in-memory files (like shmem/tmpfs): a page cache indexed by page
// offset, and the set of address spaces that map the file (like i_mmap).
// Pages are created zeroed on first touch and stay in the cache (which
// holds one reference) until the file is released.

// trapctx: process context only

package mm

import (
	"fmt"
	"sync"
)

// File is an in-memory file.
type File struct {
	Name  string
	Pages uint64 // size in pages; fixed

	mu    sync.Mutex        // the page cache (like i_pages' lock)
	cache map[uint64]uint64 // page offset -> PFN

	immapMu sync.Mutex // like i_mmap_rwsem: who maps the file
	immap   map[*MM]int
}

// NewFile makes an empty file of the given size.
func NewFile(name string, pages uint64) *File {
	return &File{Name: name, Pages: pages, cache: map[uint64]uint64{}, immap: map[*MM]int{}}
}

func (f *File) String() string { return fmt.Sprintf("file %q (%d pages)", f.Name, f.Pages) }

// FindPage returns the page-cache frame of page pgoff, creating a zeroed
// one on first use (like shmem_get_folio). The cache keeps a reference.
func (f *File) FindPage(pgoff uint64) (uint64, error) {
	if pgoff >= f.Pages {
		return 0, ErrFault // beyond the end of the file: SIGBUS in Linux
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if pfn, ok := f.cache[pgoff]; ok {
		return pfn, nil
	}
	pfn, ok := Frames.Alloc(0, KindPageCache)
	if !ok {
		return 0, ErrNoMemory
	}
	clear((*[PageSize]byte)(PhysPage(pfn))[:])
	Frames.Meta(pfn).Refcount.Store(1) // the cache's reference
	Frames.Meta(pfn).Mapcount.Store(0)
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

// ReadAt copies from the file's pages (creating them) into p.
func (f *File) ReadAt(p []byte, off uint64) error {
	for len(p) > 0 {
		pfn, err := f.FindPage(off / PageSize)
		if err != nil {
			return err
		}
		n := copy(p, (*[PageSize]byte)(PhysPage(pfn))[off%PageSize:])
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
		return fmt.Errorf("mm: %v is still mapped by %d address spaces", f, n)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for off, pfn := range f.cache {
		fr := Frames.Meta(pfn)
		if fr.Mapcount.Load() != 0 {
			return fmt.Errorf("mm: page %d of %v is still mapped", off, f)
		}
		fr.Refcount.Store(0)
		Frames.Free(pfn, 0)
		delete(f.cache, off)
	}
	return nil
}

// Mappers returns the address spaces that map f (i_mmap).
func (f *File) Mappers() []*MM {
	f.immapMu.Lock()
	defer f.immapMu.Unlock()
	var out []*MM
	for m := range f.immap {
		out = append(out, m)
	}
	return out
}

func (f *File) addMapper(m *MM, delta int) {
	f.immapMu.Lock()
	defer f.immapMu.Unlock()
	f.immap[m] += delta
	if f.immap[m] <= 0 {
		delete(f.immap, m)
	}
}
