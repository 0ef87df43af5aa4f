// regular.go: the operations of regular files (through their Data),
// directories and O_PATH files.

// trapctx: process context only

package fs

import (
	"encoding/binary"

	"retract/kernel/abi"
)

// defaultPollMask is what poll reports for files that are always ready
// (DEFAULT_POLLMASK).
const defaultPollMask = abi.POLLIN | abi.POLLOUT | abi.POLLRDNORM | abi.POLLWRNORM

// memfd seals (F_ADD_SEALS).
const (
	sealSeal        = 0x1
	sealShrink      = 0x2
	sealGrow        = 0x4
	sealWrite       = 0x8
	sealFutureWrite = 0x10
	sealsAll        = sealSeal | sealShrink | sealGrow | sealWrite | sealFutureWrite
)

type regularOps struct{}

func (regularOps) Read(f *File, p []byte, pos *int64, _ <-chan struct{}) (int, error) {
	n := f.inode
	n.mu.RLock()
	size := n.data.Size()
	if *pos >= size || len(p) == 0 {
		n.mu.RUnlock()
		return 0, nil
	}
	if int64(len(p)) > size-*pos {
		p = p[:size-*pos]
	}
	k, err := n.data.ReadAt(p, *pos)
	n.mu.RUnlock()
	*pos += int64(k)
	if k > 0 && f.flags.Load()&abi.O_NOATIME == 0 {
		n.touchAtime()
	}
	if err != nil {
		return k, abi.ToErrno(err)
	}
	return k, nil
}

func (regularOps) Write(f *File, p []byte, pos *int64, _ <-chan struct{}) (int, error) {
	n := f.inode
	n.mu.Lock()
	defer n.mu.Unlock()
	size := n.data.Size()
	if f.flags.Load()&abi.O_APPEND != 0 {
		*pos = size
	}
	if len(p) == 0 {
		return 0, nil
	}
	if n.seals&(sealWrite|sealFutureWrite) != 0 {
		return 0, abi.EPERM
	}
	if *pos >= abi.MAX_LFS_FILESIZE {
		return 0, abi.EFBIG
	}
	if int64(len(p)) > abi.MAX_LFS_FILESIZE-*pos {
		p = p[:abi.MAX_LFS_FILESIZE-*pos]
	}
	if n.seals&sealGrow != 0 && *pos+int64(len(p)) > size {
		return 0, abi.EPERM
	}
	k, err := n.data.WriteAt(p, *pos)
	if k > 0 {
		*pos += int64(k)
		n.touchMtime()
	}
	if err != nil {
		return k, abi.ToErrno(err)
	}
	return k, nil
}

func (regularOps) Poll(*File) uint32 { return defaultPollMask }

func (regularOps) Ioctl(f *File, cmd uint32, arg IoctlArg) (uint64, error) {
	if cmd == abi.FIONREAD {
		f.inode.mu.RLock()
		size := f.inode.data.Size()
		f.inode.mu.RUnlock()
		f.posMu.Lock()
		left := size - f.pos
		f.posMu.Unlock()
		return 0, putInt32(arg, int32(max(0, min(left, 1<<31-1))))
	}
	return 0, abi.ENOTTY
}

func (regularOps) Release(*File) {}

// putInt32 copies an int out to an ioctl's argument.
func putInt32(arg IoctlArg, v int32) error {
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], uint32(v))
	return arg.CopyOut(b[:])
}

// truncateLocked sets a regular file's size (ftruncate, O_TRUNC).
// Preconditions: n.mu held for writing.
func (n *Inode) truncateLocked(size int64) error {
	old := n.data.Size()
	if size < old && n.seals&sealShrink != 0 || size > old && n.seals&sealGrow != 0 {
		return abi.EPERM
	}
	if err := n.data.Truncate(size); err != nil {
		return abi.ToErrno(err)
	}
	n.touchMtime()
	return nil
}

// dirOps: a directory's reads are getdents64's; read(2) is EISDIR.
type dirOps struct{}

func (dirOps) Read(*File, []byte, *int64, <-chan struct{}) (int, error)  { return 0, abi.EISDIR }
func (dirOps) Write(*File, []byte, *int64, <-chan struct{}) (int, error) { return 0, abi.EISDIR }
func (dirOps) Poll(*File) uint32                                         { return defaultPollMask }
func (dirOps) Ioctl(*File, uint32, IoctlArg) (uint64, error)             { return 0, abi.ENOTTY }
func (dirOps) Release(*File)                                             {}

// pathOps: O_PATH files do nothing but name an inode.
type pathOps struct{}

func (pathOps) Read(*File, []byte, *int64, <-chan struct{}) (int, error)  { return 0, abi.EBADF }
func (pathOps) Write(*File, []byte, *int64, <-chan struct{}) (int, error) { return 0, abi.EBADF }
func (pathOps) Poll(*File) uint32                                         { return abi.POLLNVAL }
func (pathOps) Ioctl(*File, uint32, IoctlArg) (uint64, error)             { return 0, abi.EBADF }
func (pathOps) Release(*File)                                             {}
