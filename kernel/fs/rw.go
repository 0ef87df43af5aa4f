// rw.go: read, write, pread64, pwrite64, readv, writev, preadv, pwritev,
// lseek, ftruncate, truncate, fsync, fdatasync.

// trapctx: process context only

package fs

import (
	"retract/kernel/abi"
)

// getFile returns fd's file for an operation other than the few an O_PATH
// descriptor allows (EBADF for those).
func (t *Task) getFile(fd int) (*File, error) {
	f, err := t.Files.Get(fd)
	if err != nil {
		return nil, err
	}
	if f.path {
		f.Put()
		return nil, abi.EBADF
	}
	return f, nil
}

// clampRW limits one transfer to MAX_RW_COUNT bytes.
func clampRW(p []byte) []byte {
	if len(p) > abi.MAX_RW_COUNT {
		return p[:abi.MAX_RW_COUNT]
	}
	return p
}

// Read is read(2). A count above zero comes with a nil error; an
// interrupted blocking read returns ERESTARTSYS.
func Read(t *Task, fd int, p []byte) (int, error) {
	f, err := t.getFile(fd)
	if err != nil {
		return 0, err
	}
	defer f.Put()
	return f.Read(p, t.Intr)
}

// Read reads at the file's position, moving it.
func (f *File) Read(p []byte, intr <-chan struct{}) (int, error) {
	if !f.readable {
		return 0, abi.EBADF
	}
	p = clampRW(p)
	if f.stream {
		var pos int64
		return f.ops.Read(f, p, &pos, intr)
	}
	f.posMu.Lock()
	defer f.posMu.Unlock()
	return f.ops.Read(f, p, &f.pos, intr)
}

// Write is write(2). With EPIPE the caller raises SIGPIPE (also when
// some bytes were written: the count is then returned with the error).
func Write(t *Task, fd int, p []byte) (int, error) {
	f, err := t.getFile(fd)
	if err != nil {
		return 0, err
	}
	defer f.Put()
	return f.Write(p, t.Intr)
}

// Write writes at the file's position (at the end with O_APPEND), moving
// it.
func (f *File) Write(p []byte, intr <-chan struct{}) (int, error) {
	if !f.writable {
		return 0, abi.EBADF
	}
	p = clampRW(p)
	if f.stream {
		var pos int64
		return f.ops.Write(f, p, &pos, intr)
	}
	f.posMu.Lock()
	defer f.posMu.Unlock()
	return f.ops.Write(f, p, &f.pos, intr)
}

// positional checks pread/pwrite's file and offset.
func positional(f *File, off int64) error {
	if f.stream {
		return abi.ESPIPE
	}
	if off < 0 {
		return abi.EINVAL
	}
	return nil
}

// Pread64 is pread64(2): ESPIPE on pipes and terminals, EINVAL for a
// negative offset, EISDIR on a directory.
func Pread64(t *Task, fd int, p []byte, off int64) (int, error) {
	f, err := t.getFile(fd)
	if err != nil {
		return 0, err
	}
	defer f.Put()
	if !f.readable {
		return 0, abi.EBADF
	}
	if err := positional(f, off); err != nil {
		return 0, err
	}
	return f.ops.Read(f, clampRW(p), &off, t.Intr)
}

// Pwrite64 is pwrite64(2) (with O_APPEND it appends, as Linux does).
func Pwrite64(t *Task, fd int, p []byte, off int64) (int, error) {
	f, err := t.getFile(fd)
	if err != nil {
		return 0, err
	}
	defer f.Put()
	if !f.writable {
		return 0, abi.EBADF
	}
	if err := positional(f, off); err != nil {
		return 0, err
	}
	return f.ops.Write(f, clampRW(p), &off, t.Intr)
}

// iovTotal checks an iovec array: EINVAL above IOV_MAX entries; the
// total is clamped to MAX_RW_COUNT.
func iovTotal(iov [][]byte) (int, error) {
	if len(iov) > abi.IOV_MAX {
		return 0, abi.EINVAL
	}
	n := 0
	for _, b := range iov {
		n += len(b)
	}
	return min(n, abi.MAX_RW_COUNT), nil
}

// scatter copies b into the buffers in order.
func scatter(iov [][]byte, b []byte) {
	for _, v := range iov {
		if len(b) == 0 {
			return
		}
		b = b[copy(v, b):]
	}
}

func gather(iov [][]byte, n int) []byte {
	b := make([]byte, 0, n)
	for _, v := range iov {
		b = append(b, v[:min(len(v), n-len(b))]...)
	}
	return b
}

// Readv is readv(2): one read into the buffers in turn.
func Readv(t *Task, fd int, iov [][]byte) (int, error) {
	return Preadv(t, fd, iov, -1)
}

// Writev is writev(2): one write of the buffers' bytes (so a total up to
// PIPE_BUF stays atomic on a pipe).
func Writev(t *Task, fd int, iov [][]byte) (int, error) {
	return Pwritev(t, fd, iov, -1)
}

// Preadv is preadv(2); an offset of -1 uses and moves the position
// (readv, and preadv2's convention).
func Preadv(t *Task, fd int, iov [][]byte, off int64) (int, error) {
	total, err := iovTotal(iov)
	if err != nil {
		return 0, err
	}
	buf := make([]byte, total)
	var n int
	if off == -1 {
		n, err = Read(t, fd, buf)
	} else {
		n, err = Pread64(t, fd, buf, off)
	}
	scatter(iov, buf[:n])
	return n, err
}

// Pwritev is pwritev(2); an offset of -1 uses the position.
func Pwritev(t *Task, fd int, iov [][]byte, off int64) (int, error) {
	total, err := iovTotal(iov)
	if err != nil {
		return 0, err
	}
	buf := gather(iov, total)
	if off == -1 {
		return Write(t, fd, buf)
	}
	return Pwrite64(t, fd, buf, off)
}

// Lseek is lseek(2): SEEK_SET, SEEK_CUR, SEEK_END, and SEEK_DATA /
// SEEK_HOLE treating a file as all data (ENXIO at or past the end).
// ESPIPE on pipes and terminals; EINVAL for a bad whence or a negative
// result; directories take SEEK_SET and SEEK_CUR only.
func Lseek(t *Task, fd int, off int64, whence int) (int64, error) {
	f, err := t.getFile(fd)
	if err != nil {
		return 0, err
	}
	defer f.Put()
	return f.Seek(off, whence)
}

// Seek moves the file's position (lseek).
func (f *File) Seek(off int64, whence int) (int64, error) {
	if s, ok := f.ops.(Seeker); ok {
		return s.Seek(f, off, whence)
	}
	if f.stream || f.inode == nil {
		return 0, abi.ESPIPE
	}
	f.posMu.Lock()
	defer f.posMu.Unlock()
	var size int64
	n := f.inode
	isDir := n.IsDir()
	synth := n.synth != nil
	if !isDir {
		n.mu.RLock()
		size = n.size()
		n.mu.RUnlock()
		if synth {
			size = int64(len(f.synthBuf))
		}
	}
	var pos int64
	switch whence {
	case abi.SEEK_SET:
		pos = off
	case abi.SEEK_CUR:
		if off > 0 && f.pos > abi.MAX_LFS_FILESIZE-off {
			return 0, abi.EOVERFLOW
		}
		pos = f.pos + off
	case abi.SEEK_END:
		if isDir || synth {
			return 0, abi.EINVAL
		}
		if off > 0 && size > abi.MAX_LFS_FILESIZE-off {
			return 0, abi.EOVERFLOW
		}
		pos = size + off
	case abi.SEEK_DATA, abi.SEEK_HOLE:
		if isDir || synth {
			return 0, abi.EINVAL
		}
		if off < 0 || off >= size {
			return 0, abi.ENXIO
		}
		pos = off
		if whence == abi.SEEK_HOLE {
			pos = size
		}
	default:
		return 0, abi.EINVAL
	}
	if pos < 0 {
		return 0, abi.EINVAL
	}
	f.pos = pos
	return pos, nil
}

// Ftruncate is ftruncate(2): EINVAL for a negative length, a file that is
// not regular or not open for writing; EPERM against memfd seals.
func Ftruncate(t *Task, fd int, length int64) error {
	if length < 0 {
		return abi.EINVAL
	}
	f, err := t.getFile(fd)
	if err != nil {
		return err
	}
	defer f.Put()
	n := f.inode
	if n == nil || !n.IsRegular() || n.synth != nil || !f.writable {
		return abi.EINVAL
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.truncateLocked(length)
}

// Truncate is truncate(2): EISDIR for a directory, EINVAL for other
// non-regular files or a negative length.
func Truncate(t *Task, path string, length int64) error {
	if length < 0 {
		return abi.EINVAL
	}
	n, err := t.lookup(abi.AT_FDCWD, path, true, false)
	if err != nil {
		return err
	}
	if n.IsDir() {
		return abi.EISDIR
	}
	if !n.IsRegular() {
		return abi.EINVAL
	}
	if n.synth != nil {
		return abi.EACCES
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.truncateLocked(length)
}

// Fsync is fsync(2) and fdatasync(2): nothing to write back, so success
// on files and directories; EINVAL on pipes, terminals and devices
// (which have no fsync).
func Fsync(t *Task, fd int) error {
	f, err := t.getFile(fd)
	if err != nil {
		return err
	}
	defer f.Put()
	if f.inode == nil || !(f.inode.IsRegular() || f.inode.IsDir()) || f.inode.fs == f.inode.fs.vfs.pipefs {
		return abi.EINVAL
	}
	return nil
}
