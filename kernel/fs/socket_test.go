package fs

import (
	"testing"
	"time"

	"retract/kernel/abi"
)

func TestSocketpairStream(t *testing.T) {
	_, tk := newEnv(t)
	a, b, err := Socketpair(tk, AF_UNIX, SOCK_STREAM, 0)
	ok(t, err)
	if st, _ := Fstat(tk, a); st.Mode&abi.S_IFMT != abi.S_IFSOCK {
		t.Errorf("fstat mode %#o, want a socket", st.Mode)
	}
	// Both directions; a stream merges writes.
	Write(tk, a, []byte("hel"))
	Write(tk, a, []byte("lo"))
	Write(tk, b, []byte("back"))
	buf := make([]byte, 16)
	if n, err := Read(tk, b, buf); n != 5 || err != nil || string(buf[:n]) != "hello" {
		t.Errorf("b reads %q, %v", buf[:n], err)
	}
	if n, err := Recv(tk, a, buf[:2], 0); n != 2 || err != nil || string(buf[:2]) != "ba" {
		t.Errorf("a recv %q, %v", buf[:n], err)
	}
	if n, err := Recv(tk, a, buf, 0); n != 2 || string(buf[:2]) != "ck" {
		t.Errorf("a recv the rest %q, %v", buf[:n], err)
	}
	// Empty: MSG_DONTWAIT says EAGAIN; poll says writable, not readable.
	if _, err := Recv(tk, a, buf, MSG_DONTWAIT); err != abi.EAGAIN {
		t.Errorf("recv on empty with MSG_DONTWAIT: %v, want EAGAIN", err)
	}
	fds := []abi.PollFd{{Fd: int32(a), Events: abi.POLLIN | abi.POLLOUT}}
	if n, _ := Poll(tk, fds, 0); n != 1 || fds[0].Revents != abi.POLLOUT {
		t.Errorf("poll of an empty end: %d, revents %#x; want POLLOUT", n, fds[0].Revents)
	}
	// Closing b: a reads EOF, a write is EPIPE, poll says hang-up.
	Write(tk, b, []byte("last"))
	ok(t, Close(tk, b))
	if n, _ := Read(tk, a, buf); string(buf[:n]) != "last" {
		t.Errorf("the data written before close: %q", buf[:n])
	}
	if n, err := Read(tk, a, buf); n != 0 || err != nil {
		t.Errorf("read after the peer closed: %d, %v; want EOF", n, err)
	}
	if _, err := Write(tk, a, []byte("x")); err != abi.EPIPE {
		t.Errorf("write to a closed peer: %v, want EPIPE", err)
	}
	fds[0].Events = abi.POLLIN
	if Poll(tk, fds, 0); fds[0].Revents&abi.POLLHUP == 0 {
		t.Errorf("poll after the peer closed: %#x, want POLLHUP", fds[0].Revents)
	}
	// Errors.
	for _, c := range []struct {
		dom, typ, proto int
		want            abi.Errno
	}{{AF_INET, SOCK_STREAM, 0, abi.EOPNOTSUPP}, {44, SOCK_STREAM, 0, abi.EAFNOSUPPORT}, {AF_UNIX, 3, 0, abi.ESOCKTNOSUPPORT}, {AF_UNIX, SOCK_STREAM, 6, abi.EPROTONOSUPPORT},
		{AF_UNIX, SOCK_STREAM | 0x100, 0, abi.EINVAL}} {
		_, _, err := Socketpair(tk, c.dom, c.typ, c.proto)
		want(t, "socketpair", err, c.want)
	}
	p, _, _ := Pipe2(tk, 0)
	_, err = Send(tk, p, []byte("x"), 0)
	want(t, "send on a pipe", err, abi.ENOTSOCK)
	_, err = Send(tk, 99, []byte("x"), 0)
	want(t, "send on a bad fd", err, abi.EBADF)
}

func TestSocketpairRecords(t *testing.T) {
	_, tk := newEnv(t)
	a, b, err := Socketpair(tk, AF_UNIX, SOCK_SEQPACKET|SOCK_NONBLOCK|SOCK_CLOEXEC, 0)
	ok(t, err)
	Write(tk, a, []byte("first"))
	Write(tk, a, []byte("second"))
	buf := make([]byte, 16)
	if n, _ := Read(tk, b, buf[:3]); string(buf[:n]) != "fir" {
		t.Errorf("a short read of a record: %q, want its head", buf[:n])
	}
	if n, _ := Read(tk, b, buf); string(buf[:n]) != "second" {
		t.Errorf("the next record: %q, want \"second\" (the rest of the first is dropped)", buf[:n])
	}
	if _, err := Read(tk, b, buf); err != abi.EAGAIN {
		t.Errorf("an empty non-blocking end: %v, want EAGAIN", err)
	}
	if _, err := Write(tk, a, make([]byte, sockBufSize+1)); err != abi.EMSGSIZE {
		t.Errorf("a record larger than the buffer: %v, want EMSGSIZE", err)
	}
	// A blocked reader wakes when the record comes.
	got := make(chan string)
	rfd, _, err := Socketpair(tk, AF_UNIX, SOCK_DGRAM, 0)
	ok(t, err)
	go func() {
		b := make([]byte, 8)
		n, _ := Recv(tk, rfd, b, 0)
		got <- string(b[:n])
	}()
	time.Sleep(10 * time.Millisecond)
	if _, err := Send(tk, rfd+1, []byte("wake"), 0); err != nil {
		t.Fatal(err)
	}
	select {
	case s := <-got:
		if s != "wake" {
			t.Errorf("the blocked reader got %q", s)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a blocked recv did not wake")
	}
}
