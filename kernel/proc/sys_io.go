// sys_io.go: moving bytes — read, write, pread64, pwrite64, sendfile and
// the vectored calls, in pieces of at most ioBuf through the kernel.

// trapctx: process context only

package proc

import (
	"retract/kernel/abi"
	"retract/kernel/fs"
)

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
