// select.go: select(2) and pselect6(2), on top of fs.Poll (fs/select.c
// does the same with the poll machinery).

// trapctx: process context only

package proc

import (
	"encoding/binary"
	"time"

	"retract/kernel/abi"
	"retract/kernel/fs"
)

func init() {
	reg(23, func(t *Task, a *[6]uint64) (uint64, error) { // select(n, r, w, e, timeval)
		d := time.Duration(-1)
		if a[4] != 0 {
			b, err := t.copyIn(a[4], 16)
			if err != nil {
				return 0, err
			}
			sec, usec := int64(binary.LittleEndian.Uint64(b)), int64(binary.LittleEndian.Uint64(b[8:]))
			if sec < 0 || usec < 0 || usec >= 1e6 {
				return 0, abi.EINVAL
			}
			d = time.Duration(min(sec, 1<<33))*time.Second + time.Duration(usec)*time.Microsecond
		}
		return t.doSelect(int(int32(a[0])), a[1], a[2], a[3], d)
	})
	reg(270, func(t *Task, a *[6]uint64) (uint64, error) { // pselect6(n, r, w, e, timespec, {sigmask, size})
		d := time.Duration(-1)
		if a[4] != 0 {
			var err error
			if d, err = t.readTimespec(a[4]); err != nil {
				return 0, err
			}
		}
		restore := func(error) {}
		if a[5] != 0 {
			b, err := t.copyIn(a[5], 16)
			if err != nil {
				return 0, err
			}
			if restore, err = t.tempMask(binary.LittleEndian.Uint64(b), binary.LittleEndian.Uint64(b[8:])); err != nil {
				return 0, err
			}
		}
		n, err := t.doSelect(int(int32(a[0])), a[1], a[2], a[3], d)
		restore(err)
		return n, err
	})
}

func (t *Task) doSelect(nfds int, rp, wp, ep uint64, d time.Duration) (uint64, error) {
	if nfds < 0 || nfds > t.FS.Files.Limit() {
		return 0, abi.EINVAL
	}
	words := (nfds + 63) / 64
	read := func(p uint64) ([]uint64, error) {
		if p == 0 {
			return make([]uint64, words), nil
		}
		b, err := t.copyIn(p, words*8)
		if err != nil {
			return nil, err
		}
		out := make([]uint64, words)
		for i := range out {
			out[i] = binary.LittleEndian.Uint64(b[i*8:])
		}
		return out, nil
	}
	sets := [3][]uint64{}
	for i, p := range []uint64{rp, wp, ep} {
		var err error
		if sets[i], err = read(p); err != nil {
			return 0, err
		}
	}
	var fds []abi.PollFd
	for fd := 0; fd < nfds; fd++ {
		var ev int16
		w, bit := fd/64, uint64(1)<<(fd%64)
		if sets[0][w]&bit != 0 {
			ev |= abi.POLLIN
		}
		if sets[1][w]&bit != 0 {
			ev |= abi.POLLOUT
		}
		if sets[2][w]&bit != 0 {
			ev |= abi.POLLPRI
		}
		if ev != 0 {
			fds = append(fds, abi.PollFd{Fd: int32(fd), Events: ev})
		}
	}
	if _, err := fs.Poll(&t.FS, fds, d); err != nil {
		return 0, err
	}
	var out [3][]uint64
	for i := range out {
		out[i] = make([]uint64, words)
	}
	n := 0
	for _, p := range fds {
		if p.Revents&abi.POLLNVAL != 0 {
			return 0, abi.EBADF
		}
		w, bit := int(p.Fd)/64, uint64(1)<<(p.Fd%64)
		if p.Events&abi.POLLIN != 0 && p.Revents&(abi.POLLIN|abi.POLLHUP|abi.POLLERR) != 0 {
			out[0][w] |= bit
			n++
		}
		if p.Events&abi.POLLOUT != 0 && p.Revents&(abi.POLLOUT|abi.POLLERR) != 0 {
			out[1][w] |= bit
			n++
		}
		if p.Events&abi.POLLPRI != 0 && p.Revents&abi.POLLPRI != 0 {
			out[2][w] |= bit
			n++
		}
	}
	for i, p := range []uint64{rp, wp, ep} {
		if p == 0 {
			continue
		}
		b := make([]byte, words*8)
		for j, v := range out[i] {
			binary.LittleEndian.PutUint64(b[j*8:], v)
		}
		if err := t.copyOut(p, b); err != nil {
			return 0, err
		}
	}
	return uint64(n), nil
}
