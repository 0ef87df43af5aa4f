package fs

import (
	"testing"
	"time"

	"retract/kernel/abi"
)

func TestPoll(t *testing.T) {
	_, tk := newEnv(t)
	r, w, _ := Pipe2(tk, 0)
	writeFile(t, tk, "/f", "")
	f, _ := Openat(tk, abi.AT_FDCWD, "/f", abi.O_RDONLY, 0)
	fds := []abi.PollFd{{Fd: int32(r), Events: abi.POLLIN}, {Fd: int32(w), Events: abi.POLLOUT}, {Fd: 99, Events: abi.POLLIN}, {Fd: -1, Events: abi.POLLIN}, {Fd: int32(f), Events: abi.POLLIN}}
	n, err := Poll(tk, fds, 0)
	if n != 3 || err != nil || fds[0].Revents != 0 || fds[1].Revents != abi.POLLOUT || fds[2].Revents != abi.POLLNVAL || fds[3].Revents != 0 || fds[4].Revents != abi.POLLIN {
		t.Errorf("poll: %d %v %+v", n, err, fds)
	}
	// A blocked poll wakes on a write.
	go func() { time.Sleep(10 * time.Millisecond); Write(tk, w, []byte("x")) }()
	one := []abi.PollFd{{Fd: int32(r), Events: abi.POLLIN}}
	if n, _ := Poll(tk, one, -1); n != 1 || one[0].Revents != abi.POLLIN {
		t.Errorf("woken poll %+v", one)
	}
	// Timeout.
	Read(tk, r, make([]byte, 1))
	start := time.Now()
	if n, _ := Poll(tk, one, 30*time.Millisecond); n != 0 || time.Since(start) < 25*time.Millisecond {
		t.Errorf("timeout: %d after %v", n, time.Since(start))
	}
	// Hang-up and error.
	Close(tk, w)
	Poll(tk, one, 0)
	if one[0].Revents != abi.POLLHUP {
		t.Errorf("after the writer closed: %+v", one)
	}
	r2, w2, _ := Pipe2(tk, 0)
	Close(tk, r2)
	wf := []abi.PollFd{{Fd: int32(w2), Events: abi.POLLOUT}}
	Poll(tk, wf, 0)
	if wf[0].Revents != abi.POLLOUT|abi.POLLERR {
		t.Errorf("writer without readers: %+v", wf)
	}
	// Interrupted.
	r3, _, _ := Pipe2(tk, 0)
	intr := make(chan struct{})
	close(intr)
	_, err = Poll(&Task{Files: tk.Files, FS: tk.FS, Intr: intr}, []abi.PollFd{{Fd: int32(r3), Events: abi.POLLIN}}, -1)
	want(t, "interrupted poll", err, abi.ERESTARTNOHAND)
}

func TestEpoll(t *testing.T) {
	_, tk := newEnv(t)
	ep, err := EpollCreate1(tk, abi.EPOLL_CLOEXEC)
	ok(t, err)
	_, err = EpollCreate1(tk, 1)
	want(t, "epoll_create1 flags", err, abi.EINVAL)
	r, w, _ := Pipe2(tk, 0)
	writeFile(t, tk, "/f", "")
	f, _ := Openat(tk, abi.AT_FDCWD, "/f", abi.O_RDONLY, 0)
	ev := func(e uint32, d uint64) abi.EpollEvent { return abi.EpollEvent{Events: e, Data: d} }
	want(t, "regular file", EpollCtl(tk, ep, abi.EPOLL_CTL_ADD, f, ev(abi.EPOLLIN, 0)), abi.EPERM)
	want(t, "epfd not epoll", EpollCtl(tk, r, abi.EPOLL_CTL_ADD, w, ev(abi.EPOLLIN, 0)), abi.EINVAL)
	want(t, "itself", EpollCtl(tk, ep, abi.EPOLL_CTL_ADD, ep, ev(abi.EPOLLIN, 0)), abi.EINVAL)
	want(t, "bad fd", EpollCtl(tk, ep, abi.EPOLL_CTL_ADD, 77, ev(abi.EPOLLIN, 0)), abi.EBADF)
	want(t, "MOD missing", EpollCtl(tk, ep, abi.EPOLL_CTL_MOD, r, ev(abi.EPOLLIN, 0)), abi.ENOENT)
	want(t, "DEL missing", EpollCtl(tk, ep, abi.EPOLL_CTL_DEL, r, ev(0, 0)), abi.ENOENT)
	ok(t, EpollCtl(tk, ep, abi.EPOLL_CTL_ADD, r, ev(abi.EPOLLIN, 11)))
	want(t, "ADD twice", EpollCtl(tk, ep, abi.EPOLL_CTL_ADD, r, ev(abi.EPOLLIN, 11)), abi.EEXIST)
	want(t, "bad op", EpollCtl(tk, ep, 9, r, ev(abi.EPOLLIN, 0)), abi.EINVAL)
	ok(t, EpollCtl(tk, ep, abi.EPOLL_CTL_ADD, w, ev(abi.EPOLLOUT|abi.EPOLLET, 22)))
	evs, err := EpollPwait(tk, ep, 10, 0)
	if err != nil || len(evs) != 1 || evs[0] != ev(abi.EPOLLOUT, 22) {
		t.Errorf("writable pipe: %+v %v", evs, err)
	}
	// Edge-triggered: not again until something changes.
	if evs, _ := EpollPwait(tk, ep, 10, 0); len(evs) != 0 {
		t.Errorf("ET reported twice: %+v", evs)
	}
	// Level-triggered: readable while data waits, every time; the
	// edge-triggered writer once, for the change the write made.
	Write(tk, w, []byte("x"))
	for i, n := range []int{2, 1, 1} {
		evs, _ := EpollPwait(tk, ep, 10, 0)
		if len(evs) != n {
			t.Errorf("round %d: %+v, want %d events", i, evs, n)
		}
	}
	_, err = EpollPwait(tk, ep, 0, 0)
	want(t, "maxevents 0", err, abi.EINVAL)
	_, err = EpollPwait(tk, r, 1, 0)
	want(t, "wait on a pipe", err, abi.EINVAL)
	// One-shot: once, until MOD re-arms it.
	ok(t, EpollCtl(tk, ep, abi.EPOLL_CTL_MOD, r, ev(abi.EPOLLIN|abi.EPOLLONESHOT, 33)))
	ok(t, EpollCtl(tk, ep, abi.EPOLL_CTL_DEL, w, ev(0, 0)))
	if evs, _ := EpollPwait(tk, ep, 10, 0); len(evs) != 1 || evs[0].Data != 33 {
		t.Errorf("oneshot first: %+v", evs)
	}
	if evs, _ := EpollPwait(tk, ep, 10, 0); len(evs) != 0 {
		t.Errorf("oneshot fired twice: %+v", evs)
	}
	ok(t, EpollCtl(tk, ep, abi.EPOLL_CTL_MOD, r, ev(abi.EPOLLIN, 44)))
	Read(tk, r, make([]byte, 1))
	// A blocked wait wakes on a write; a timeout returns nothing.
	go func() { time.Sleep(10 * time.Millisecond); Write(tk, w, []byte("y")) }()
	if evs, _ := EpollPwait(tk, ep, 10, -1); len(evs) != 1 || evs[0].Data != 44 {
		t.Errorf("woken wait: %+v", evs)
	}
	Read(tk, r, make([]byte, 1))
	if evs, err := EpollPwait(tk, ep, 10, 20*time.Millisecond); len(evs) != 0 || err != nil {
		t.Errorf("timeout: %+v %v", evs, err)
	}
	intr := make(chan struct{})
	close(intr)
	_, err = EpollPwait(&Task{Files: tk.Files, FS: tk.FS, Intr: intr}, ep, 1, -1)
	want(t, "interrupted epoll_wait", err, abi.EINTR)
	// Hang-up is always reported.
	Close(tk, w)
	if evs, _ := EpollPwait(tk, ep, 10, 0); len(evs) != 1 || evs[0].Events != abi.EPOLLHUP {
		t.Errorf("hang-up: %+v", evs)
	}
	// Closing the last descriptor of a file removes its interest.
	Close(tk, r)
	e, _ := tk.Files.Get(ep)
	if n := len(epollOf(e).items); n != 0 {
		t.Errorf("%d interests after close", n)
	}
	e.Put()
	// Nested epolls: readiness propagates; loops are ELOOP.
	inner, _ := EpollCreate1(tk, 0)
	r2, w2, _ := Pipe2(tk, 0)
	ok(t, EpollCtl(tk, inner, abi.EPOLL_CTL_ADD, r2, ev(abi.EPOLLIN, 1)))
	ok(t, EpollCtl(tk, ep, abi.EPOLL_CTL_ADD, inner, ev(abi.EPOLLIN, 2)))
	want(t, "loop", EpollCtl(tk, inner, abi.EPOLL_CTL_ADD, ep, ev(abi.EPOLLIN, 3)), abi.ELOOP)
	want(t, "EPOLLEXCLUSIVE on an epoll", EpollCtl(tk, ep, abi.EPOLL_CTL_ADD, inner, ev(abi.EPOLLIN|abi.EPOLLEXCLUSIVE, 3)), abi.EINVAL)
	go func() { time.Sleep(10 * time.Millisecond); Write(tk, w2, []byte("z")) }()
	if evs, _ := EpollPwait(tk, ep, 10, time.Second); len(evs) != 1 || evs[0].Data != 2 {
		t.Errorf("nested: %+v", evs)
	}
	// Too deep: a chain of five epolls.
	chain := []int{}
	for i := 0; i < 6; i++ {
		fd, _ := EpollCreate1(tk, 0)
		if i > 0 {
			err := EpollCtl(tk, fd, abi.EPOLL_CTL_ADD, chain[i-1], ev(abi.EPOLLIN, 0))
			if i < 5 && err != nil || i == 5 && err != abi.ELOOP {
				t.Errorf("chain depth %d: %v", i, err)
			}
		}
		chain = append(chain, fd)
	}
	st, _ := Fstat(tk, ep)
	if st.Mode != 0o600 {
		t.Errorf("epoll fstat mode %#o", st.Mode)
	}
}
