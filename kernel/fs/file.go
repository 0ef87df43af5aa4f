// file.go: open file descriptions (Linux's struct file): what an open
// returns and descriptors refer to — access mode, status flags, offset,
// a reference count — and the per-type operations behind them.

// trapctx: process context only

package fs

import (
	"io"
	"sync/atomic"

	"retract/kernel/abi"
	"retract/lockdep"
)

// FileOps is the per-type half of an open file: regular files,
// directories, pipes, the terminal, devices, epoll instances. Reads and
// writes get the position to use and advance (*pos; stream files ignore
// it) and the task's interruption channel.
type FileOps interface {
	Read(f *File, p []byte, pos *int64, intr <-chan struct{}) (int, error)
	Write(f *File, p []byte, pos *int64, intr <-chan struct{}) (int, error)
	// Poll returns the file's readiness: EPOLLIN, EPOLLOUT, EPOLLHUP,
	// EPOLLERR, EPOLLRDHUP bits (with their RDNORM/WRNORM twins).
	Poll(f *File) uint32
	// Ioctl handles a request; ENOTTY for one it does not know.
	Ioctl(f *File, cmd uint32, arg IoctlArg) (uint64, error)
	// Release is called once, when the last reference goes.
	Release(f *File)
}

// Waitable is implemented by files whose readiness changes (pipes, the
// terminal, epoll): their Queue is notified on every change. Files
// without it are always ready (poll) and cannot be watched (epoll: EPERM).
type Waitable interface {
	Queue(f *File) *Queue
}

// Seeker is implemented by files with their own lseek (devices); others
// are seekable if regular, a directory or synthetic, else ESPIPE.
type Seeker interface {
	Seek(f *File, off int64, whence int) (int64, error)
}

// IoctlArg is ioctl(2)'s third argument: a number, or the address of a
// buffer the syscall layer copies from and to.
type IoctlArg interface {
	Value() uint64
	CopyIn(p []byte) error  // fill p from the argument's address (EFAULT)
	CopyOut(p []byte) error // write p to the argument's address (EFAULT)
}

// File is an open file description.
type File struct {
	ops   FileOps
	inode *Inode // nil only for files made by a driver without one

	// where it was opened: the directory and the name (for Path).
	dir  *Inode
	name string
	kind string // for Path of nameless files: "pipe", "anon_inode:[eventpoll]"

	readable, writable, path bool
	stream                   bool // no position: pread and lseek are ESPIPE

	flags atomic.Uint32 // status flags, as F_GETFL returns them

	// posMu (fs.File.posMu, like f_pos_lock) serializes the calls that
	// use and move pos on files that have one.
	posMu lockdep.Mutex
	pos   int64

	refs atomic.Int64

	// Per-type state.
	synthBuf []byte // a synthetic file's contents, made at the first read
	epItems  map[*epItem]struct{}
	pipe     *Pipe  // pipes and FIFOs: which pipe (for F_GETPIPE_SZ)
	pipeSeen uint64 // a FIFO reader: the writer generation it last saw
	memfd    bool   // made by memfd_create (seals apply)
	owner    any    // the opener's Task.Proc (synthetic files' callbacks)
}

// newFile makes a File with one reference.
func newFile(ops FileOps, n *Inode, flags uint32) *File {
	f := &File{ops: ops, inode: n}
	f.posMu.Class = classPos
	acc := flags & abi.O_ACCMODE
	switch {
	case flags&abi.O_PATH != 0:
		f.path = true
		flags &= abi.O_PATH | abi.O_DIRECTORY | abi.O_NOFOLLOW | abi.O_CLOEXEC
	case acc == abi.O_RDONLY:
		f.readable = true
	case acc == abi.O_WRONLY:
		f.writable = true
	case acc == abi.O_RDWR:
		f.readable, f.writable = true, true
	}
	f.flags.Store(flags &^ (abi.O_CREAT | abi.O_EXCL | abi.O_NOCTTY | abi.O_TRUNC | abi.O_CLOEXEC))
	f.refs.Store(1)
	return f
}

// NewFile makes an open file from a driver's operations (for the kernel's
// own devices and tests); flags are open(2)'s.
func NewFile(ops FileOps, n *Inode, flags uint32) *File { return newFile(ops, n, flags) }

// Get takes another reference (a dup, a fork, an mmap keeping the file).
func (f *File) Get() *File {
	f.refs.Add(1)
	return f
}

// Put drops a reference; the last one releases the file: its epoll
// registrations, the pipe end or device it holds, and its inode's open
// count (an unlinked file's Data goes with the last one).
func (f *File) Put() {
	n := f.refs.Add(-1)
	if n > 0 {
		return
	}
	if n < 0 {
		panic("fs: File.Put without a reference")
	}
	epollRelease(f)
	if f.ops != nil {
		f.ops.Release(f)
	}
	if f.inode != nil && !f.path {
		f.inode.closeRef()
	}
}

// Inode returns the file's inode.
func (f *File) Inode() *Inode { return f.inode }

// Flags returns the status flags and access mode (F_GETFL).
func (f *File) Flags() uint32 { return f.flags.Load() }

// Nonblock reports whether O_NONBLOCK is set.
func (f *File) Nonblock() bool { return f.flags.Load()&abi.O_NONBLOCK != 0 }

// Readable and Writable report the access mode (O_PATH files are neither).
func (f *File) Readable() bool { return f.readable }
func (f *File) Writable() bool { return f.writable }

// Data returns a regular file's contents, for mmap (nil otherwise).
func (f *File) Data() Data {
	if f.inode == nil || f.path {
		return nil
	}
	return f.inode.data
}

// Path returns the name /proc/PID/fd shows: the path the file was opened
// by (with " (deleted)" once that name is gone), "pipe:[INO]",
// "anon_inode:[eventpoll]", "/memfd:NAME (deleted)".
func (f *File) Path() string {
	if f.kind != "" {
		return f.kind
	}
	if f.inode == nil {
		return ""
	}
	if f.inode.IsDir() {
		p, ok := pathOf(f.inode.fs.vfs.root.root, f.inode)
		if !ok {
			return p + " (deleted)"
		}
		return p
	}
	if f.dir == nil {
		return "/" + f.name + " (deleted)"
	}
	dp, ok := pathOf(f.inode.fs.vfs.root.root, f.dir)
	if dp != "/" {
		dp += "/"
	}
	p := dp + f.name
	if c, err := f.dir.lookupChild(nil, f.name); !ok || err != nil || c != f.inode {
		p += " (deleted)"
	}
	return p
}

// seekable reports whether the file has a position.
func (f *File) seekable() bool { return !f.stream }

// ReadAt reads at off without moving the position (pread): io.ReaderAt,
// for the ELF loader (io.EOF when the file ends first).
func (f *File) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, abi.EINVAL
	}
	if !f.readable {
		return 0, abi.EBADF
	}
	if f.stream {
		return 0, abi.ESPIPE
	}
	total := 0
	for total < len(p) {
		n, err := f.ops.Read(f, p[total:], &off, nil)
		total += n
		if err != nil {
			return total, err
		}
		if n == 0 {
			return total, io.EOF
		}
	}
	return total, nil
}

// Stat returns fstat's view of the file.
func (f *File) Stat() abi.Stat {
	if f.inode == nil {
		return abi.Stat{}
	}
	return f.inode.getStat()
}
