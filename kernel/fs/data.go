// data.go: the contents of regular files, behind an interface the kernel
// implements with its page cache (mm.File), and a plain in-memory
// implementation for tests.

// trapctx: process context only

package fs

import "retract/kernel/abi"

// Data holds a regular file's bytes. fs calls it with the file's
// fs.Inode.mu held (for reading in ReadAt and Size, for writing in WriteAt
// and Truncate), so an implementation sees either concurrent readers or
// one writer; it may block (allocate, wait for the page cache) and take
// locks of its own below fs.Inode.mu. Errors should be abi.Errno values
// (ENOSPC, ENOMEM, EFBIG, EIO); anything else reads as EIO.
type Data interface {
	// ReadAt reads len(p) bytes at off unless the file ends first (fs
	// never asks past Size); a hole reads as zeros.
	ReadAt(p []byte, off int64) (int, error)
	// WriteAt writes p at off, growing the file if needed; a short count
	// comes with an error.
	WriteAt(p []byte, off int64) (int, error)
	// Size is the file's length in bytes.
	Size() int64
	// Truncate sets the length; bytes past a shrink are gone (a later
	// growth reads zeros).
	Truncate(size int64) error
}

// Releaser is implemented by Data that holds resources (page-cache
// frames): Release is called once, with no fs lock held, when the file has
// no name and no open file left.
type Releaser interface {
	Release()
}

// PageCounter is implemented by Data that knows how many pages it holds
// (MemData, the kernel's page cache): stat's st_blocks counts them, so a
// sparse file's holes cost nothing there, as on tmpfs.
type PageCounter interface {
	Pages() int
}

// NewData makes the Data of a new regular file (name is its first name,
// or "memfd:NAME"). The kernel replaces it with one backed by mm.File, so
// that mmap, collapse and retract apply to every file; the default keeps
// the bytes in Go memory.
var NewData = func(name string) Data { return NewMemData() }

// MemData is Data in Go memory, by 4 KiB pages (a hole costs nothing). It
// has no lock of its own: fs's inode lock orders its callers.
type MemData struct {
	pages map[int64]*[pageSize]byte
	size  int64
}

const pageSize = 4096

// NewMemData returns an empty MemData.
func NewMemData() *MemData { return &MemData{pages: map[int64]*[pageSize]byte{}} }

func (d *MemData) Size() int64 { return d.size }

func (d *MemData) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, abi.EINVAL
	}
	if off >= d.size {
		return 0, nil
	}
	if int64(len(p)) > d.size-off {
		p = p[:d.size-off]
	}
	n := 0
	for n < len(p) {
		o := off + int64(n)
		pg, in := o/pageSize, o%pageSize
		c := min(len(p)-n, pageSize-int(in))
		if page := d.pages[pg]; page != nil {
			copy(p[n:n+c], page[in:])
		} else {
			clear(p[n : n+c])
		}
		n += c
	}
	return n, nil
}

func (d *MemData) WriteAt(p []byte, off int64) (int, error) {
	if off < 0 || off > abi.MAX_LFS_FILESIZE-int64(len(p)) {
		return 0, abi.EFBIG
	}
	n := 0
	for n < len(p) {
		o := off + int64(n)
		pg, in := o/pageSize, o%pageSize
		page := d.pages[pg]
		if page == nil {
			page = new([pageSize]byte)
			d.pages[pg] = page
		}
		n += copy(page[in:], p[n:])
	}
	if end := off + int64(n); end > d.size {
		d.size = end
	}
	return n, nil
}

func (d *MemData) Truncate(size int64) error {
	if size < 0 {
		return abi.EINVAL
	}
	if size < d.size {
		for pg := range d.pages {
			if pg*pageSize >= size {
				delete(d.pages, pg)
			}
		}
		if in := size % pageSize; in != 0 {
			if page := d.pages[size/pageSize]; page != nil {
				clear(page[in:])
			}
		}
	}
	d.size = size
	return nil
}

// Pages reports how many pages hold data (for tests and st_blocks).
func (d *MemData) Pages() int { return len(d.pages) }

var _ Allocator = (*MemData)(nil)

// Allocate makes the pages of [off, off+length), past the end too.
func (d *MemData) Allocate(off, length int64) error {
	for pg := off / pageSize; pg*pageSize < off+length; pg++ {
		if d.pages[pg] == nil {
			d.pages[pg] = new([pageSize]byte)
		}
	}
	return nil
}

// PunchHole drops the pages wholly inside [off, off+length) (or inside
// it up to the end of the file) and zeroes the parts of the others that it
// covers.
func (d *MemData) PunchHole(off, length int64) error {
	end := off + length
	for pg, page := range d.pages {
		lo, hi := max(off, pg*pageSize), min(end, (pg+1)*pageSize)
		switch {
		case lo >= hi:
		case lo == pg*pageSize && (hi == (pg+1)*pageSize || hi >= d.size):
			delete(d.pages, pg)
		default:
			clear(page[lo-pg*pageSize : hi-pg*pageSize])
		}
	}
	return nil
}
