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
