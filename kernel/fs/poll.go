// poll.go: poll(2) and ppoll(2) over any files — the readiness loop that
// watches each file's Queue.

// trapctx: process context only

package fs

import (
	"time"

	"retract/kernel/abi"
)

// Poll is poll(2)/ppoll(2) (the signal mask is the caller's): it fills
// each entry's Revents and returns how many are non-zero, waiting at most
// timeout (< 0: forever). A negative fd is skipped, a closed one gets
// POLLNVAL. EINVAL for more entries than the descriptor limit;
// ERESTARTNOHAND when intr fires.
func Poll(t *Task, fds []abi.PollFd, timeout time.Duration) (int, error) {
	if len(fds) > t.Files.Limit() && len(fds) > abi.RLIMIT_NOFILE_DEFAULT {
		return 0, abi.EINVAL
	}
	files := make([]*File, len(fds))
	defer func() {
		for _, f := range files {
			if f != nil {
				f.Put()
			}
		}
	}()
	wake := make(chan struct{}, 1)
	for i, p := range fds {
		if p.Fd < 0 {
			continue
		}
		f, err := t.Files.Get(int(p.Fd))
		if err != nil {
			continue
		}
		files[i] = f
		if w, ok := f.ops.(Waitable); ok {
			cancel := w.Queue(f).Watch(func() {
				select {
				case wake <- struct{}{}:
				default:
				}
			})
			defer cancel()
		}
	}
	var tc <-chan time.Time
	if timeout > 0 {
		tm := time.NewTimer(timeout)
		defer tm.Stop()
		tc = tm.C
	}
	for {
		n := 0
		for i := range fds {
			fds[i].Revents = 0
			if fds[i].Fd < 0 {
				continue
			}
			f := files[i]
			var ev uint32
			if f == nil {
				ev = abi.POLLNVAL
			} else if f.path {
				ev = abi.POLLNVAL
			} else {
				ev = f.ops.Poll(f) & (uint32(uint16(fds[i].Events)) | abi.POLLERR | abi.POLLHUP)
			}
			if ev != 0 {
				fds[i].Revents = int16(ev)
				n++
			}
		}
		if n > 0 || timeout == 0 {
			return n, nil
		}
		select {
		case <-wake:
		case <-tc:
			return 0, nil
		case <-t.Intr:
			return 0, abi.ERESTARTNOHAND
		}
	}
}
