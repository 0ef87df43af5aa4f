// sys_file.go: the file system calls — decoding arguments, copying user
// buffers, and calling package fs (docs/vfs.md lists what each supports).

// trapctx: process context only

package proc

import (
	"encoding/binary"
	"time"

	"retract/kernel/abi"
	"retract/kernel/fs"
)

func init() {
	reg(0, sysRead)
	reg(1, sysWrite)
	reg(17, sysPread64)
	reg(40, sysSendfile)
	reg(18, sysPwrite64)
	reg(19, func(t *Task, a *[6]uint64) (uint64, error) { return t.vectorIO(a, false, false) })
	reg(20, func(t *Task, a *[6]uint64) (uint64, error) { return t.vectorIO(a, true, false) })
	reg(295, func(t *Task, a *[6]uint64) (uint64, error) { return t.vectorIO(a, false, true) })
	reg(296, func(t *Task, a *[6]uint64) (uint64, error) { return t.vectorIO(a, true, true) })
	reg(2, func(t *Task, a *[6]uint64) (uint64, error) {
		return t.openat(abi.AT_FDCWD, a[0], uint32(a[1]), uint32(a[2]))
	})
	reg(85, func(t *Task, a *[6]uint64) (uint64, error) { // creat
		return t.openat(abi.AT_FDCWD, a[0], abi.O_CREAT|abi.O_WRONLY|abi.O_TRUNC, uint32(a[1]))
	})
	reg(257, func(t *Task, a *[6]uint64) (uint64, error) {
		return t.openat(int(int32(a[0])), a[1], uint32(a[2]), uint32(a[3]))
	})
	reg(3, func(t *Task, a *[6]uint64) (uint64, error) { return 0, fs.Close(&t.FS, int(int32(a[0]))) })
	reg(436, func(t *Task, a *[6]uint64) (uint64, error) {
		return 0, fs.CloseRange(&t.FS, uint(uint32(a[0])), uint(uint32(a[1])), uint32(a[2]))
	})
	reg(8, func(t *Task, a *[6]uint64) (uint64, error) {
		off, err := fs.Lseek(&t.FS, int(int32(a[0])), int64(a[1]), int(int32(a[2])))
		return uint64(off), err
	})
	reg(32, func(t *Task, a *[6]uint64) (uint64, error) {
		n, err := fs.Dup(&t.FS, int(int32(a[0])))
		return uint64(n), err
	})
	reg(33, func(t *Task, a *[6]uint64) (uint64, error) {
		n, err := fs.Dup2(&t.FS, int(int32(a[0])), int(int32(a[1])))
		return uint64(n), err
	})
	reg(292, func(t *Task, a *[6]uint64) (uint64, error) {
		n, err := fs.Dup3(&t.FS, int(int32(a[0])), int(int32(a[1])), uint32(a[2]))
		return uint64(n), err
	})
	reg(72, func(t *Task, a *[6]uint64) (uint64, error) {
		return fs.Fcntl(&t.FS, int(int32(a[0])), int(int32(a[1])), a[2])
	})
	reg(16, func(t *Task, a *[6]uint64) (uint64, error) {
		return fs.Ioctl(&t.FS, int(int32(a[0])), uint32(a[1]), ioctlArg{t, a[2]})
	})
	reg(74, func(t *Task, a *[6]uint64) (uint64, error) { return 0, fs.Fsync(&t.FS, int(int32(a[0]))) })
	reg(75, func(t *Task, a *[6]uint64) (uint64, error) { return 0, fs.Fsync(&t.FS, int(int32(a[0]))) })
	reg(162, func(t *Task, a *[6]uint64) (uint64, error) { return 0, nil }) // sync
	reg(77, func(t *Task, a *[6]uint64) (uint64, error) {
		return 0, fs.Ftruncate(&t.FS, int(int32(a[0])), int64(a[1]))
	})
	reg(285, func(t *Task, a *[6]uint64) (uint64, error) {
		return 0, fs.Fallocate(&t.FS, int(int32(a[0])), uint32(a[1]), int64(a[2]), int64(a[3]))
	})
	reg(76, func(t *Task, a *[6]uint64) (uint64, error) {
		p, err := t.readPath(a[0])
		if err != nil {
			return 0, err
		}
		return 0, fs.Truncate(&t.FS, p, int64(a[1]))
	})
	reg(4, func(t *Task, a *[6]uint64) (uint64, error) { return t.stat(abi.AT_FDCWD, a[0], a[1], 0) })
	reg(6, func(t *Task, a *[6]uint64) (uint64, error) {
		return t.stat(abi.AT_FDCWD, a[0], a[1], abi.AT_SYMLINK_NOFOLLOW)
	})
	reg(262, func(t *Task, a *[6]uint64) (uint64, error) { return t.stat(int(int32(a[0])), a[1], a[2], uint32(a[3])) })
	reg(5, func(t *Task, a *[6]uint64) (uint64, error) {
		st, err := fs.Fstat(&t.FS, int(int32(a[0])))
		if err != nil {
			return 0, err
		}
		return 0, t.copyOut(a[1], st.Encode())
	})
	reg(332, sysStatx)
	reg(137, func(t *Task, a *[6]uint64) (uint64, error) {
		p, err := t.readPath(a[0])
		if err != nil {
			return 0, err
		}
		st, err := fs.Statfs(&t.FS, p)
		if err != nil {
			return 0, err
		}
		return 0, t.copyOut(a[1], st.Encode())
	})
	reg(138, func(t *Task, a *[6]uint64) (uint64, error) {
		st, err := fs.Fstatfs(&t.FS, int(int32(a[0])))
		if err != nil {
			return 0, err
		}
		return 0, t.copyOut(a[1], st.Encode())
	})
	reg(217, sysGetdents64)
	reg(79, func(t *Task, a *[6]uint64) (uint64, error) {
		b, err := fs.Getcwd(&t.FS, int(min(a[1], 1<<16)))
		if err != nil {
			return 0, err
		}
		return uint64(len(b)), t.copyOut(a[0], b)
	})
	reg(80, t1path(func(t *Task, p string, a *[6]uint64) error { return fs.Chdir(&t.FS, p) }))
	reg(81, func(t *Task, a *[6]uint64) (uint64, error) { return 0, fs.Fchdir(&t.FS, int(int32(a[0]))) })
	reg(161, t1path(func(t *Task, p string, a *[6]uint64) error { return fs.Chroot(&t.FS, p) }))
	reg(95, func(t *Task, a *[6]uint64) (uint64, error) { return uint64(fs.Umask(&t.FS, uint32(a[0]))), nil })
	reg(83, t1path(func(t *Task, p string, a *[6]uint64) error { return fs.Mkdirat(&t.FS, abi.AT_FDCWD, p, uint32(a[1])) }))
	reg(258, atPath(func(t *Task, d int, p string, a *[6]uint64) error { return fs.Mkdirat(&t.FS, d, p, uint32(a[2])) }))
	reg(133, t1path(func(t *Task, p string, a *[6]uint64) error {
		return fs.Mknodat(&t.FS, abi.AT_FDCWD, p, uint32(a[1]), a[2])
	}))
	reg(259, atPath(func(t *Task, d int, p string, a *[6]uint64) error { return fs.Mknodat(&t.FS, d, p, uint32(a[2]), a[3]) }))
	reg(84, t1path(func(t *Task, p string, a *[6]uint64) error {
		return fs.Unlinkat(&t.FS, abi.AT_FDCWD, p, abi.AT_REMOVEDIR)
	}))
	reg(87, t1path(func(t *Task, p string, a *[6]uint64) error { return fs.Unlinkat(&t.FS, abi.AT_FDCWD, p, 0) }))
	reg(263, atPath(func(t *Task, d int, p string, a *[6]uint64) error { return fs.Unlinkat(&t.FS, d, p, uint32(a[2])) }))
	reg(82, func(t *Task, a *[6]uint64) (uint64, error) {
		return t.rename(abi.AT_FDCWD, a[0], abi.AT_FDCWD, a[1], 0)
	})
	reg(264, func(t *Task, a *[6]uint64) (uint64, error) {
		return t.rename(int(int32(a[0])), a[1], int(int32(a[2])), a[3], 0)
	})
	reg(316, func(t *Task, a *[6]uint64) (uint64, error) {
		return t.rename(int(int32(a[0])), a[1], int(int32(a[2])), a[3], uint32(a[4]))
	})
	reg(86, func(t *Task, a *[6]uint64) (uint64, error) { return t.link(abi.AT_FDCWD, a[0], abi.AT_FDCWD, a[1], 0) })
	reg(265, func(t *Task, a *[6]uint64) (uint64, error) {
		return t.link(int(int32(a[0])), a[1], int(int32(a[2])), a[3], uint32(a[4]))
	})
	reg(88, func(t *Task, a *[6]uint64) (uint64, error) { return t.symlink(a[0], abi.AT_FDCWD, a[1]) })
	reg(266, func(t *Task, a *[6]uint64) (uint64, error) { return t.symlink(a[0], int(int32(a[1])), a[2]) })
	reg(89, func(t *Task, a *[6]uint64) (uint64, error) { return t.readlink(abi.AT_FDCWD, a[0], a[1], a[2]) })
	reg(267, func(t *Task, a *[6]uint64) (uint64, error) { return t.readlink(int(int32(a[0])), a[1], a[2], a[3]) })
	reg(21, t1path(func(t *Task, p string, a *[6]uint64) error {
		return fs.Faccessat2(&t.FS, abi.AT_FDCWD, p, uint32(a[1]), 0)
	}))
	reg(269, atPath(func(t *Task, d int, p string, a *[6]uint64) error { return fs.Faccessat2(&t.FS, d, p, uint32(a[2]), 0) }))
	reg(439, atPath(func(t *Task, d int, p string, a *[6]uint64) error {
		return fs.Faccessat2(&t.FS, d, p, uint32(a[2]), uint32(a[3]))
	}))
	reg(90, t1path(func(t *Task, p string, a *[6]uint64) error { return fs.Fchmodat(&t.FS, abi.AT_FDCWD, p, uint32(a[1])) }))
	reg(91, func(t *Task, a *[6]uint64) (uint64, error) {
		return 0, fs.Fchmod(&t.FS, int(int32(a[0])), uint32(a[1]))
	})
	reg(268, atPath(func(t *Task, d int, p string, a *[6]uint64) error { return fs.Fchmodat(&t.FS, d, p, uint32(a[2])) }))
	reg(92, t1path(func(t *Task, p string, a *[6]uint64) error {
		return fs.Fchownat(&t.FS, abi.AT_FDCWD, p, uint32(a[1]), uint32(a[2]), 0)
	}))
	reg(94, t1path(func(t *Task, p string, a *[6]uint64) error {
		return fs.Fchownat(&t.FS, abi.AT_FDCWD, p, uint32(a[1]), uint32(a[2]), abi.AT_SYMLINK_NOFOLLOW)
	}))
	reg(93, func(t *Task, a *[6]uint64) (uint64, error) {
		return 0, fs.Fchown(&t.FS, int(int32(a[0])), uint32(a[1]), uint32(a[2]))
	})
	reg(260, atPath(func(t *Task, d int, p string, a *[6]uint64) error {
		return fs.Fchownat(&t.FS, d, p, uint32(a[2]), uint32(a[3]), uint32(a[4]))
	}))
	reg(280, sysUtimensat)
	reg(22, func(t *Task, a *[6]uint64) (uint64, error) { return t.pipe(a[0], 0) })
	reg(293, func(t *Task, a *[6]uint64) (uint64, error) { return t.pipe(a[0], uint32(a[1])) })
	reg(319, func(t *Task, a *[6]uint64) (uint64, error) {
		name, err := t.readString(a[0], 249)
		if err != nil {
			if err == abi.ENAMETOOLONG {
				return 0, abi.EINVAL
			}
			return 0, err
		}
		fd, err := fs.MemfdCreate(&t.FS, name, uint32(a[1]))
		return uint64(fd), err
	})
	reg(7, func(t *Task, a *[6]uint64) (uint64, error) { // poll(fds, n, timeout ms)
		d := time.Duration(-1)
		if ms := int32(a[2]); ms >= 0 {
			d = time.Duration(ms) * time.Millisecond
		}
		return t.poll(a[0], a[1], d)
	})
	reg(271, func(t *Task, a *[6]uint64) (uint64, error) { // ppoll(fds, n, tsp, sigmask, size)
		d := time.Duration(-1)
		if a[2] != 0 {
			var err error
			if d, err = t.readTimespec(a[2]); err != nil {
				return 0, err
			}
		}
		restore, err := t.tempMask(a[3], a[4])
		if err != nil {
			return 0, err
		}
		n, err := t.poll(a[0], a[1], d)
		restore(err)
		return n, err
	})
	reg(213, func(t *Task, a *[6]uint64) (uint64, error) {
		if int32(a[0]) <= 0 {
			return 0, abi.EINVAL
		}
		fd, err := fs.EpollCreate1(&t.FS, 0)
		return uint64(fd), err
	})
	reg(291, func(t *Task, a *[6]uint64) (uint64, error) {
		fd, err := fs.EpollCreate1(&t.FS, uint32(a[0]))
		return uint64(fd), err
	})
	reg(233, sysEpollCtl)
	reg(232, func(t *Task, a *[6]uint64) (uint64, error) { return t.epollWait(a[0], a[1], a[2], a[3], 0, 0) })
	reg(281, func(t *Task, a *[6]uint64) (uint64, error) { return t.epollWait(a[0], a[1], a[2], a[3], a[4], a[5]) })
	reg(290, sysEventfd2)
	reg(284, func(t *Task, a *[6]uint64) (uint64, error) { return sysEventfd2(t, &[6]uint64{a[0], 0}) })
}

// t1path wraps a call whose first argument is a path.
func t1path(f func(t *Task, p string, a *[6]uint64) error) sysFn {
	return func(t *Task, a *[6]uint64) (uint64, error) {
		p, err := t.readPath(a[0])
		if err != nil {
			return 0, err
		}
		return 0, f(t, p, a)
	}
}

// atPath wraps a call whose first arguments are dirfd and a path.
func atPath(f func(t *Task, dirfd int, p string, a *[6]uint64) error) sysFn {
	return func(t *Task, a *[6]uint64) (uint64, error) {
		p, err := t.readPath(a[1])
		if err != nil {
			return 0, err
		}
		return 0, f(t, int(int32(a[0])), p, a)
	}
}

// readPathEmpty reads a path that may be empty (AT_EMPTY_PATH calls).
func (t *Task) readPathEmpty(addr uint64) (string, error) {
	if addr == 0 {
		return "", abi.EFAULT
	}
	return t.readString(addr, abi.PATH_MAX-1)
}

// ioBuf is the most one piece of a read or write copies through the
// kernel. A larger count goes in pieces of ioBuf, one after the other for
// as long as each piece is done whole — so a write(2) of many MiB to a
// file writes them all, as Linux's does (up to MAX_RW_COUNT), which
// programs rely on: Linux's khugepaged selftest writes its 8 MiB test
// file with one write and does not check the count. A read goes on only
// on a file with a position (a pipe or a terminal returns what it has).
const ioBuf = 1 << 20

// chunkedIO runs one piece at a time of a transfer of n bytes at addr:
// piece(off, len) returns how much of it was done. It stops at the first
// piece that is short or fails and returns the total (an error only when
// nothing was done).
func chunkedIO(n uint64, piece func(off, l uint64) (int, error)) (uint64, error) {
	n = min(n, abi.MAX_RW_COUNT)
	var done uint64
	for {
		l := min(n-done, ioBuf)
		got, err := piece(done, l)
		if got > 0 {
			done += uint64(got)
		}
		if err != nil || uint64(got) < l || done == n {
			if done > 0 {
				return done, nil
			}
			return 0, err
		}
	}
}

// seekable reports whether fd is open on a file with a position (not a
// pipe, a terminal or another stream): reads of it may go on piece after
// piece.
func (t *Task) seekable(fd int) bool {
	_, err := fs.Lseek(&t.FS, fd, 0, abi.SEEK_CUR)
	return err == nil
}

func sysRead(t *Task, a *[6]uint64) (uint64, error) {
	fd := int(int32(a[0]))
	n := a[2]
	if n > ioBuf && !t.seekable(fd) {
		n = ioBuf
	}
	if err := t.checkWritable(fd, a[1], min(n, ioBuf)); err != nil {
		return 0, err
	}
	buf := make([]byte, min(n, ioBuf))
	return chunkedIO(n, func(off, l uint64) (int, error) {
		got, err := fs.Read(&t.FS, fd, buf[:l])
		if got > 0 {
			if cerr := t.copyOut(a[1]+off, buf[:got]); cerr != nil {
				return 0, cerr
			}
		}
		return got, err
	})
}

func sysWrite(t *Task, a *[6]uint64) (uint64, error) {
	fd := int(int32(a[0]))
	var sigpipe bool
	n, err := chunkedIO(a[2], func(off, l uint64) (int, error) {
		buf, err := t.copyIn(a[1]+off, int(l))
		if err != nil {
			return 0, err
		}
		got, err := fs.Write(&t.FS, fd, buf)
		sigpipe = err == abi.EPIPE
		return got, err
	})
	if sigpipe {
		err = abi.EPIPE
	}
	return t.afterWrite(int(n), err)
}

// afterWrite raises SIGPIPE for EPIPE (a write with a count returns the
// count, and the signal still comes).
func (t *Task) afterWrite(got int, err error) (uint64, error) {
	if err == abi.EPIPE {
		t.P.sendSignal(SigInfo{Signo: SIGPIPE, Code: SI_USER, Pid: int32(t.P.PID)}, t)
	}
	if got > 0 {
		return uint64(got), nil
	}
	return 0, err
}

func sysPread64(t *Task, a *[6]uint64) (uint64, error) {
	if int64(a[3]) < 0 {
		return 0, abi.EINVAL
	}
	fd := int(int32(a[0]))
	if err := t.checkWritable(fd, a[1], min(a[2], ioBuf)); err != nil {
		return 0, err
	}
	buf := make([]byte, min(a[2], ioBuf))
	return chunkedIO(a[2], func(off, l uint64) (int, error) {
		got, err := fs.Pread64(&t.FS, fd, buf[:l], int64(a[3]+off))
		if got > 0 {
			if cerr := t.copyOut(a[1]+off, buf[:got]); cerr != nil {
				return 0, cerr
			}
		}
		return got, err
	})
}

// sendfile(out_fd, in_fd, offset, count): copies up to count bytes from
// in_fd (at *offset, which is then advanced, or at its file position) to
// out_fd, through a kernel buffer — what busybox's cat and many copy
// loops use. Like Linux, a short write ends the call with what was
// written, and an error before anything was written is returned.
func sysSendfile(t *Task, a *[6]uint64) (uint64, error) {
	out, in, offp, count := int(int32(a[0])), int(int32(a[1])), a[2], a[3]
	var off int64
	if offp != 0 {
		v, err := t.readU64(offp)
		if err != nil {
			return 0, err
		}
		if off = int64(v); off < 0 {
			return 0, abi.EINVAL
		}
	}
	if int64(count) < 0 {
		return 0, abi.EINVAL
	}
	buf := make([]byte, min(count, 64<<10))
	var done uint64
	for done < count {
		chunk := buf[:min(count-done, uint64(len(buf)))]
		var n int
		var err error
		if offp != 0 {
			n, err = fs.Pread64(&t.FS, in, chunk, off)
		} else {
			n, err = fs.Read(&t.FS, in, chunk)
		}
		if n <= 0 {
			if done == 0 && err != nil {
				return 0, err
			}
			break
		}
		w, werr := fs.Write(&t.FS, out, chunk[:n])
		if w > 0 {
			done += uint64(w)
			off += int64(w)
		}
		if werr != nil || w < n {
			if done == 0 {
				_, e := t.afterWrite(w, werr)
				return 0, e
			}
			break
		}
		if n < len(chunk) {
			break // the end of the input, or all a pipe had
		}
	}
	if offp != 0 {
		if err := t.writeU64(offp, uint64(off)); err != nil {
			return 0, err
		}
	}
	return done, nil
}

func sysPwrite64(t *Task, a *[6]uint64) (uint64, error) {
	if int64(a[3]) < 0 {
		return 0, abi.EINVAL
	}
	fd := int(int32(a[0]))
	var sigpipe bool
	n, err := chunkedIO(a[2], func(off, l uint64) (int, error) {
		buf, err := t.copyIn(a[1]+off, int(l))
		if err != nil {
			return 0, err
		}
		got, err := fs.Pwrite64(&t.FS, fd, buf, int64(a[3]+off))
		sigpipe = err == abi.EPIPE
		return got, err
	})
	if sigpipe {
		err = abi.EPIPE
	}
	return t.afterWrite(int(n), err)
}

// vectorIO is readv/writev/preadv/pwritev(fd, iov, n[, off]).
func (t *Task) vectorIO(a *[6]uint64, write, positioned bool) (uint64, error) {
	iov, err := t.readIovec(a[1], int(int32(a[2])))
	if err != nil {
		return 0, err
	}
	bufs := make([][]byte, len(iov))
	total := uint64(0)
	for i, v := range iov {
		n := min(v[1], ioBuf-total)
		total += n
		if write {
			if bufs[i], err = t.copyIn(v[0], int(n)); err != nil {
				return 0, err
			}
		} else {
			bufs[i] = make([]byte, n)
		}
	}
	fd := int(int32(a[0]))
	var got int
	switch {
	case write && positioned:
		got, err = fs.Pwritev(&t.FS, fd, bufs, int64(a[3]))
	case write:
		got, err = fs.Writev(&t.FS, fd, bufs)
	case positioned:
		got, err = fs.Preadv(&t.FS, fd, bufs, int64(a[3]))
	default:
		got, err = fs.Readv(&t.FS, fd, bufs)
	}
	if write {
		return t.afterWrite(got, err)
	}
	left := got
	for i, v := range iov {
		if left == 0 {
			break
		}
		n := min(left, len(bufs[i]))
		if cerr := t.copyOut(v[0], bufs[i][:n]); cerr != nil {
			return 0, cerr
		}
		left -= n
	}
	if got > 0 {
		return uint64(got), nil
	}
	return 0, err
}

func (t *Task) openat(dirfd int, pathp uint64, flags, mode uint32) (uint64, error) {
	p, err := t.readPath(pathp)
	if err != nil {
		return 0, err
	}
	fd, err := fs.Openat(&t.FS, dirfd, p, flags, mode)
	return uint64(fd), err
}

func (t *Task) stat(dirfd int, pathp, buf uint64, flags uint32) (uint64, error) {
	p, err := t.readPathEmpty(pathp)
	if err != nil {
		return 0, err
	}
	st, err := fs.Newfstatat(&t.FS, dirfd, p, flags)
	if err != nil {
		return 0, err
	}
	return 0, t.copyOut(buf, st.Encode())
}

// statx(dirfd, path, flags, mask, buf)
func sysStatx(t *Task, a *[6]uint64) (uint64, error) {
	p, err := t.readPathEmpty(a[1])
	if err != nil {
		return 0, err
	}
	st, err := fs.Statx(&t.FS, int(int32(a[0])), p, uint32(a[2]), uint32(a[3]))
	if err != nil {
		return 0, err
	}
	return 0, t.copyOut(a[4], st.Encode())
}

func sysGetdents64(t *Task, a *[6]uint64) (uint64, error) {
	buf := make([]byte, min(a[2], 1<<20))
	n, err := fs.Getdents64(&t.FS, int(int32(a[0])), buf)
	if err != nil {
		return 0, err
	}
	return uint64(n), t.copyOut(a[1], buf[:n])
}

func (t *Task) rename(od int, op uint64, nd int, np uint64, flags uint32) (uint64, error) {
	o, err := t.readPath(op)
	if err != nil {
		return 0, err
	}
	n, err := t.readPath(np)
	if err != nil {
		return 0, err
	}
	return 0, fs.Renameat2(&t.FS, od, o, nd, n, flags)
}

func (t *Task) link(od int, op uint64, nd int, np uint64, flags uint32) (uint64, error) {
	o, err := t.readPathEmpty(op)
	if err != nil {
		return 0, err
	}
	n, err := t.readPath(np)
	if err != nil {
		return 0, err
	}
	return 0, fs.Linkat(&t.FS, od, o, nd, n, flags)
}

func (t *Task) symlink(tp uint64, nd int, lp uint64) (uint64, error) {
	target, err := t.readPath(tp)
	if err != nil {
		return 0, err
	}
	l, err := t.readPath(lp)
	if err != nil {
		return 0, err
	}
	return 0, fs.Symlinkat(&t.FS, target, nd, l)
}

func (t *Task) readlink(dirfd int, pathp, buf, size uint64) (uint64, error) {
	if int64(size) <= 0 {
		return 0, abi.EINVAL
	}
	p, err := t.readPathEmpty(pathp)
	if err != nil {
		return 0, err
	}
	b, err := fs.Readlinkat(&t.FS, dirfd, p, int(min(size, abi.PATH_MAX)))
	if err != nil {
		return 0, err
	}
	return uint64(len(b)), t.copyOut(buf, b)
}

// utimensat(dirfd, path, times[2], flags)
func sysUtimensat(t *Task, a *[6]uint64) (uint64, error) {
	var times *[2]abi.Timespec
	if a[2] != 0 {
		b, err := t.copyIn(a[2], 32)
		if err != nil {
			return 0, err
		}
		var ts [2]abi.Timespec
		for i := range ts {
			if ts[i], err = abi.DecodeTimespecUtime(b[i*16:]); err != nil {
				return 0, err
			}
		}
		times = &ts
	}
	if a[1] == 0 {
		return 0, fs.Futimens(&t.FS, int(int32(a[0])), times)
	}
	p, err := t.readPathEmpty(a[1])
	if err != nil {
		return 0, err
	}
	return 0, fs.Utimensat(&t.FS, int(int32(a[0])), p, times, uint32(a[3]))
}

func (t *Task) pipe(fdsp uint64, flags uint32) (uint64, error) {
	r, w, err := fs.Pipe2(&t.FS, flags)
	if err != nil {
		return 0, err
	}
	b := make([]byte, 8)
	binary.LittleEndian.PutUint32(b, uint32(r))
	binary.LittleEndian.PutUint32(b[4:], uint32(w))
	if err := t.copyOut(fdsp, b); err != nil {
		fs.Close(&t.FS, r)
		fs.Close(&t.FS, w)
		return 0, err
	}
	return 0, nil
}

func (t *Task) poll(fdsp, n uint64, d time.Duration) (uint64, error) {
	if n > 1<<20 {
		return 0, abi.EINVAL
	}
	b, err := t.copyIn(fdsp, int(n)*8)
	if err != nil {
		return 0, err
	}
	fds, err := abi.DecodePollFds(b)
	if err != nil {
		return 0, err
	}
	got, err := fs.Poll(&t.FS, fds, d)
	if err != nil {
		return 0, err
	}
	return uint64(got), t.copyOut(fdsp, abi.EncodePollFds(fds))
}

// tempMask installs a temporary signal mask (ppoll, epoll_pwait) and
// returns the function that puts the old one back — after the handler of
// a signal that interrupted the call, as Linux does (the saved mask).
func (t *Task) tempMask(maskp, size uint64) (func(error), error) {
	if maskp == 0 {
		return func(error) {}, nil
	}
	if size != 8 {
		return nil, abi.EINVAL
	}
	v, err := t.readU64(maskp)
	if err != nil {
		return nil, err
	}
	p := t.P
	p.sig.Lock()
	old := t.blocked
	t.blocked = SigSet(v) &^ unblockable
	if t.signalPendingLocked() {
		t.interruptLocked()
	}
	t.FS.Intr = t.intr
	p.sig.Unlock()
	return func(err error) {
		p.sig.Lock()
		if abi.Interrupted(err) {
			t.saved, t.hasSaved = old, true
		} else {
			t.blocked = old
		}
		p.sig.Unlock()
	}, nil
}

// epoll_ctl(epfd, op, fd, event)
func sysEpollCtl(t *Task, a *[6]uint64) (uint64, error) {
	var ev abi.EpollEvent
	if a[1] != 2 /* EPOLL_CTL_DEL */ || a[3] != 0 {
		b, err := t.copyIn(a[3], 12)
		if err != nil {
			return 0, err
		}
		if ev, err = abi.DecodeEpollEvent(b); err != nil {
			return 0, err
		}
	}
	return 0, fs.EpollCtl(&t.FS, int(int32(a[0])), int(int32(a[1])), int(int32(a[2])), ev)
}

// epoll_wait(epfd, events, max, timeout) and epoll_pwait(..., sigmask, size).
func (t *Task) epollWait(epfd, evp, maxEv, timeout, maskp, size uint64) (uint64, error) {
	if int32(maxEv) <= 0 || maxEv > 1<<16 {
		return 0, abi.EINVAL
	}
	d := time.Duration(-1)
	if ms := int32(timeout); ms >= 0 {
		d = time.Duration(ms) * time.Millisecond
	}
	restore, err := t.tempMask(maskp, size)
	if err != nil {
		return 0, err
	}
	evs, err := fs.EpollPwait(&t.FS, int(int32(epfd)), int(maxEv), d)
	restore(err)
	if err != nil {
		return 0, err
	}
	if len(evs) > 0 {
		if err := t.copyOut(evp, abi.EncodeEpollEvents(evs)); err != nil {
			return 0, err
		}
	}
	return uint64(len(evs)), nil
}

// ioctlArg gives fs's ioctls access to the user buffer at addr.
type ioctlArg struct {
	t    *Task
	addr uint64
}

func (a ioctlArg) Value() uint64 { return a.addr }

func (a ioctlArg) CopyIn(p []byte) error {
	if err := a.t.P.MM().CopyFromUser(p, uintptr(a.addr)); err != nil {
		return abi.EFAULT
	}
	return nil
}

func (a ioctlArg) CopyOut(p []byte) error { return a.t.copyOut(a.addr, p) }
