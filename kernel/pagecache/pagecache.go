// trapctx: process context only

// Package pagecache makes the kernel's page cache (mm.File) the contents
// of every regular file of the VFS: Install sets fs.NewData, so that
// initramfs files, tmpfs files and memfds all keep their bytes in
// page-cache frames that mmap maps, faults find, and collapse,
// khugepaged and retract work on — as Linux's shmem does for tmpfs and
// memfd (and READ_ONLY_THP_FOR_FS for other files).
//
// It is the seam between two packages that know nothing of each other:
// package mm keeps to memory (its errors are its own, it has no notion of
// inodes or errno), and package fs keeps to names and descriptors (it is
// pure Go and tests on the host with its MemData). Data translates
// between them; the system-call layer reaches the mm.File behind an open
// file with FileOf, to map it.
//
// Locking: fs calls Data with the file's fs.Inode.mu held (for reading in
// ReadAt and Size, for writing in WriteAt, Truncate, Allocate and PunchHole), so the mm.File's
// locks (collapseMu, immapMu, mu, and a truncate's PMD and PT locks) are
// taken below it, as docs/locking.md places them.
package pagecache

import (
	"errors"
	"io"

	"retract/kernel/abi"
	"retract/kernel/fs"
	"retract/mm"
)

// Data is fs.Data (and fs.Releaser) over an mm.File.
type Data struct {
	f *mm.File
}

var (
	_ fs.Data      = (*Data)(nil)
	_ fs.Releaser  = (*Data)(nil)
	_ fs.Allocator = (*Data)(nil)
)

// New returns the Data of a new, empty regular file; name is the file's
// first name ("memfd:NAME" for a memfd), which the mm.File keeps for
// messages.
func New(name string) *Data { return &Data{f: mm.NewFile(name, 0)} }

// Install makes every regular file created from now on page-cache backed
// (boot does it before the initramfs is unpacked).
func Install() {
	fs.NewData = func(name string) fs.Data { return New(name) }
}

// File returns the page cache behind d.
func (d *Data) File() *mm.File { return d.f }

// Of returns the mm.File behind a regular file's Data, if it is one of
// the page cache's.
func Of(d fs.Data) (*mm.File, bool) {
	if pd, ok := d.(*Data); ok && pd != nil {
		return pd.f, true
	}
	return nil, false
}

// FileOf returns the mm.File behind an open file, for mmap: false for a
// file that is not regular (a pipe, a device, a directory, O_PATH) or
// whose contents are not in the page cache. The caller keeps a reference
// on f (fs.File.Get) for as long as the mapping lives: that keeps the
// inode's Data from being released under the mapping.
func FileOf(f *fs.File) (*mm.File, bool) {
	if f == nil {
		return nil, false
	}
	return Of(f.Data())
}

// ReadAt reads at off; fs never asks past Size, and the end of the file
// (a truncate that raced in through another path) is a short count.
func (d *Data) ReadAt(p []byte, off int64) (int, error) {
	n, err := d.f.ReadAt(p, off)
	if errors.Is(err, io.EOF) {
		err = nil
	}
	return n, errno(err)
}

// WriteAt writes at off, growing the file as needed.
func (d *Data) WriteAt(p []byte, off int64) (int, error) {
	n, err := d.f.WriteAt(p, off)
	return n, errno(err)
}

// Size is the file's length.
func (d *Data) Size() int64 { return d.f.Size() }

// Truncate sets the length (and unmaps what lies past it: mm.File.Truncate).
func (d *Data) Truncate(size int64) error { return errno(d.f.Truncate(size)) }

// Allocate makes the pages of a range exist (fallocate: mm.File.Allocate).
func (d *Data) Allocate(off, length int64) error { return errno(d.f.Allocate(off, length)) }

// PunchHole frees a range's pages, unmapping them from every mm first
// (fallocate PUNCH_HOLE: mm.File.PunchHole).
func (d *Data) PunchHole(off, length int64) error { return errno(d.f.PunchHole(off, length)) }

// Pages is how many pages the file holds in memory (fs's st_blocks).
func (d *Data) Pages() int { return int(d.f.CachedPages()) }

// Release lets the page cache go once the file has no name and no open
// file: at once if nothing maps it, else when its last mapping goes
// (munmap, exit) — the reference Linux's VMAs hold through vm_file. A
// program that maps a memfd, closes it and munmaps it gets its memory
// back then, not when it exits.
func (d *Data) Release() {
	d.f.ReleaseWhenUnmapped()
}

// errno turns mm's errors into the errno fs passes on.
func errno(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, mm.ErrNoMemory):
		return abi.ENOMEM // no frame for a page, as shmem_get_folio fails
	case errors.Is(err, mm.ErrFileTooBig):
		return abi.EFBIG
	case errors.Is(err, mm.ErrInval):
		return abi.EINVAL
	}
	return abi.EIO
}
