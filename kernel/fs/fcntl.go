// fcntl.go: close, dup, dup2, dup3, close_range, fcntl and ioctl.

// trapctx: process context only

package fs

import (
	"retract/kernel/abi"
)

// Close is close(2).
func Close(t *Task, fd int) error { return t.Files.Close(fd) }

// Dup is dup(2).
func Dup(t *Task, fd int) (int, error) { return t.Files.Dup(fd) }

// Dup2 is dup2(2).
func Dup2(t *Task, oldfd, newfd int) (int, error) { return t.Files.Dup2(oldfd, newfd) }

// Dup3 is dup3(2).
func Dup3(t *Task, oldfd, newfd int, flags uint32) (int, error) {
	return t.Files.Dup3(oldfd, newfd, flags)
}

// CloseRange is close_range(2); with CLOSE_RANGE_UNSHARE the task first
// gets a table of its own (t.Files changes).
func CloseRange(t *Task, first, last uint, flags uint32) error {
	if flags&^(abi.CLOSE_RANGE_UNSHARE|abi.CLOSE_RANGE_CLOEXEC) != 0 || first > last {
		return abi.EINVAL
	}
	if flags&abi.CLOSE_RANGE_UNSHARE != 0 {
		t.Files = t.Files.Unshare()
	}
	return t.Files.CloseRange(first, last, flags)
}

// Fcntl is fcntl(2): F_DUPFD, F_DUPFD_CLOEXEC (EINVAL for an arg at or
// above the limit, EMFILE if none is free), F_GETFD, F_SETFD, F_GETFL,
// F_SETFL (O_APPEND, O_NONBLOCK, O_ASYNC, O_DIRECT, O_NOATIME; the rest
// ignored), F_GETPIPE_SZ/F_SETPIPE_SZ (pipes; EBADF elsewhere, like
// Linux), F_ADD_SEALS/F_GET_SEALS (memfd; EINVAL elsewhere). Record
// locks (F_GETLK, F_SETLK, F_SETLKW, F_OFD_*) succeed without locking:
// F_GETLK reports the range unlocked. Others: EINVAL.
func Fcntl(t *Task, fd int, cmd int, arg uint64) (uint64, error) {
	f, err := t.Files.Get(fd)
	if err != nil {
		return 0, err
	}
	defer f.Put()
	switch cmd {
	case abi.F_DUPFD, abi.F_DUPFD_CLOEXEC:
		if arg >= uint64(t.Files.Limit()) {
			return 0, abi.EINVAL
		}
		nfd, err := t.Files.dupFrom(fd, int(arg), cmd == abi.F_DUPFD_CLOEXEC)
		return uint64(nfd), err
	case abi.F_GETFD:
		on, err := t.Files.GetCloexec(fd)
		if on {
			return abi.FD_CLOEXEC, err
		}
		return 0, err
	case abi.F_SETFD:
		return 0, t.Files.SetCloexec(fd, arg&abi.FD_CLOEXEC != 0)
	case abi.F_GETFL:
		return uint64(f.Flags()), nil
	}
	if f.path {
		return 0, abi.EBADF
	}
	switch cmd {
	case abi.F_SETFL:
		for {
			old := f.flags.Load()
			nf := old&^abi.SetflMask | uint32(arg)&abi.SetflMask
			if f.flags.CompareAndSwap(old, nf) {
				break
			}
		}
		return 0, nil
	case abi.F_GETPIPE_SZ, abi.F_SETPIPE_SZ:
		if f.pipe == nil {
			return 0, abi.EBADF
		}
		if cmd == abi.F_GETPIPE_SZ {
			f.pipe.mu.Lock()
			defer f.pipe.mu.Unlock()
			return uint64(f.pipe.capacity()), nil
		}
		size, err := f.pipe.setSize(int64(arg))
		return uint64(size), err
	case abi.F_ADD_SEALS, abi.F_GET_SEALS:
		return seals(f, cmd, uint32(arg))
	case abi.F_GETLK, abi.F_SETLK, abi.F_SETLKW, abi.F_OFD_GETLK, abi.F_OFD_SETLK, abi.F_OFD_SETLKW:
		return 0, nil
	case abi.F_GETOWN, abi.F_SETOWN, abi.F_GETSIG, abi.F_SETSIG:
		return 0, nil
	}
	return 0, abi.EINVAL
}

// Ioctl is ioctl(2): FIOCLEX, FIONCLEX, FIONBIO and FIOASYNC for every
// file, then the file's own (the terminal's, FIONREAD on pipes and
// regular files); ENOTTY for anything else — which is how isatty fails on
// files that are not terminals.
func Ioctl(t *Task, fd int, cmd uint32, arg IoctlArg) (uint64, error) {
	f, err := t.getFile(fd)
	if err != nil {
		return 0, err
	}
	defer f.Put()
	switch cmd {
	case abi.FIOCLEX, abi.FIONCLEX:
		return 0, t.Files.SetCloexec(fd, cmd == abi.FIOCLEX)
	case abi.FIONBIO, abi.FIOASYNC:
		var b [4]byte
		if err := arg.CopyIn(b[:]); err != nil {
			return 0, err
		}
		bit := uint32(abi.O_NONBLOCK)
		if cmd == abi.FIOASYNC {
			bit = abi.O_ASYNC
		}
		on := b[0]|b[1]|b[2]|b[3] != 0
		for {
			old := f.flags.Load()
			nf := old &^ bit
			if on {
				nf |= bit
			}
			if f.flags.CompareAndSwap(old, nf) {
				return 0, nil
			}
		}
	}
	return f.ops.Ioctl(f, cmd, arg)
}

// seals is F_ADD_SEALS and F_GET_SEALS on a memfd (EINVAL on other
// files; EPERM once F_SEAL_SEAL is set or without write access).
// F_SEAL_WRITE does not check for writable shared mappings (Linux:
// EBUSY): fs cannot see them; the kernel's mmap must refuse a writable
// shared mapping of a write-sealed file.
func seals(f *File, cmd int, arg uint32) (uint64, error) {
	n := f.inode
	if n == nil || !n.IsRegular() || !f.memfd {
		return 0, abi.EINVAL
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if cmd == abi.F_GET_SEALS {
		return uint64(n.seals & sealsAll), nil
	}
	if arg&^sealsAll != 0 {
		return 0, abi.EINVAL
	}
	if !f.writable {
		return 0, abi.EPERM
	}
	if n.seals&sealSeal != 0 {
		return 0, abi.EPERM
	}
	n.seals |= arg
	return 0, nil
}
