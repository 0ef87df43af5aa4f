package fs

import (
	"bytes"
	"sync"
	"testing"
	"time"

	"retract/kernel/abi"
)

func TestPipeBasics(t *testing.T) {
	_, tk := newEnv(t)
	r, w, err := Pipe2(tk, 0)
	ok(t, err)
	if n, _ := Write(tk, w, []byte("hello")); n != 5 {
		t.Fatal(n)
	}
	arg := &memArg{buf: make([]byte, 4)}
	if _, err := Ioctl(tk, r, abi.FIONREAD, arg); err != nil || arg.buf[0] != 5 {
		t.Errorf("FIONREAD %v %v", arg.buf, err)
	}
	b := make([]byte, 3)
	if n, _ := Read(tk, r, b); n != 3 || string(b) != "hel" {
		t.Errorf("read %q", b)
	}
	_, err = Read(tk, w, b)
	want(t, "read the write end", err, abi.EBADF)
	_, err = Write(tk, r, b)
	want(t, "write the read end", err, abi.EBADF)
	_, err = Lseek(tk, r, 0, abi.SEEK_CUR)
	want(t, "lseek a pipe", err, abi.ESPIPE)
	_, err = Pread64(tk, r, b, 0)
	want(t, "pread a pipe", err, abi.ESPIPE)
	want(t, "fsync a pipe", Fsync(tk, r), abi.EINVAL)
	_, err = Ioctl(tk, r, abi.TCGETS, &memArg{buf: make([]byte, 36)})
	want(t, "isatty on a pipe", err, abi.ENOTTY)
	st, _ := Fstat(tk, r)
	if st.Mode != abi.S_IFIFO|0o600 || st.Nlink != 1 {
		t.Errorf("fstat %+v", st)
	}
	if fl, _ := Fcntl(tk, w, abi.F_GETFL, 0); fl != abi.O_WRONLY {
		t.Errorf("F_GETFL of the write end %#o", fl)
	}
	f, _ := tk.Files.Get(r)
	if p := f.Path(); p != "pipe:["+itoa(st.Ino)+"]" {
		t.Errorf("Path %q", p)
	}
	f.Put()
	ok(t, Close(tk, w))
	if n, _ := Read(tk, r, b); n != 2 || string(b[:2]) != "lo" {
		t.Errorf("data before EOF")
	}
	if n, err := Read(tk, r, b); n != 0 || err != nil {
		t.Errorf("EOF: %d %v", n, err)
	}
	r2, w2, _ := Pipe2(tk, abi.O_NONBLOCK|abi.O_CLOEXEC)
	_, err = Read(tk, r2, b)
	want(t, "empty nonblocking", err, abi.EAGAIN)
	if fl, _ := Fcntl(tk, r2, abi.F_GETFD, 0); fl != abi.FD_CLOEXEC {
		t.Errorf("O_CLOEXEC")
	}
	ok(t, Close(tk, r2))
	n, err := Write(tk, w2, []byte("x"))
	if n != 0 {
		t.Errorf("write without readers wrote %d", n)
	}
	want(t, "write without readers", err, abi.EPIPE)
	for _, fl := range []uint32{abi.O_DIRECT, abi.O_NOTIFICATION_PIPE, abi.O_RDWR, 1 << 30} {
		_, _, err := Pipe2(tk, fl)
		want(t, "pipe2 flag", err, abi.EINVAL)
	}
}

func TestPipeCapacityAndNonblock(t *testing.T) {
	_, tk := newEnv(t)
	r, w, _ := Pipe2(tk, abi.O_NONBLOCK)
	if sz, _ := Fcntl(tk, w, abi.F_GETPIPE_SZ, 0); sz != 65536 {
		t.Errorf("F_GETPIPE_SZ %d", sz)
	}
	total := 0
	chunk := bytes.Repeat([]byte{'x'}, 4096)
	for {
		n, err := Write(tk, w, chunk)
		total += n
		if err == abi.EAGAIN {
			break
		}
		ok(t, err)
	}
	if total != 65536 {
		t.Errorf("capacity %d", total)
	}
	// Room for 100 bytes: a 4096-byte (atomic) write fails whole, a
	// larger one writes what fits.
	Read(tk, r, make([]byte, 100))
	_, err := Write(tk, w, make([]byte, 4096))
	want(t, "atomic write without room", err, abi.EAGAIN)
	if n, err := Write(tk, w, make([]byte, 5000)); n != 100 || err != nil {
		t.Errorf("partial nonblocking write: %d %v", n, err)
	}
	_, err = Fcntl(tk, w, abi.F_SETPIPE_SZ, 4096)
	want(t, "shrink below the data", err, abi.EBUSY)
	_, err = Fcntl(tk, w, abi.F_SETPIPE_SZ, 1<<21)
	want(t, "beyond the maximum", err, abi.EPERM)
	if sz, err := Fcntl(tk, w, abi.F_SETPIPE_SZ, 70000); sz != 131072 || err != nil {
		t.Errorf("F_SETPIPE_SZ rounds to a power of two pages: %d %v", sz, err)
	}
	if n, _ := Write(tk, w, make([]byte, 70000)); n != 65536 {
		t.Errorf("after growing: %d", n)
	}
}

func TestPipeBlockingAndInterrupt(t *testing.T) {
	_, tk := newEnv(t)
	r, w, _ := Pipe2(tk, 0)
	got := make(chan string)
	go func() {
		b := make([]byte, 10)
		n, _ := Read(tk, r, b)
		got <- string(b[:n])
	}()
	time.Sleep(10 * time.Millisecond)
	Write(tk, w, []byte("wake"))
	if s := <-got; s != "wake" {
		t.Errorf("blocked read got %q", s)
	}
	// A signal interrupts a blocked read: ERESTARTSYS, nothing consumed.
	intr := make(chan struct{})
	reader := &Task{Files: tk.Files, FS: tk.FS, Intr: intr}
	errc := make(chan error)
	go func() {
		_, err := Read(reader, r, make([]byte, 10))
		errc <- err
	}()
	time.Sleep(10 * time.Millisecond)
	close(intr)
	select {
	case err := <-errc:
		want(t, "interrupted read", err, abi.ERESTARTSYS)
	case <-time.After(5 * time.Second):
		t.Fatal("interrupt did not wake the reader")
	}
	// A blocked writer is interrupted too; what it wrote is returned.
	Fcntl(tk, w, abi.F_SETFL, 0)
	go func() {
		n, err := Write(reader, w, make([]byte, 100000))
		if n != 65536 || err != nil {
			errc <- err
			return
		}
		errc <- nil
	}()
	if err := <-errc; err != nil {
		t.Errorf("interrupted big write: %v", err)
	}
	// Readers gone while a writer blocks: EPIPE with the count.
	go func() {
		n, err := Write(tk, w, make([]byte, 10))
		if n != 0 || err != abi.EPIPE {
			t.Errorf("writer when the reader closes: %d %v", n, err)
		}
		errc <- nil
	}()
	time.Sleep(10 * time.Millisecond)
	Close(tk, r)
	<-errc
}

// Writes of at most PIPE_BUF bytes from many writers never interleave.
func TestPipeAtomicity(t *testing.T) {
	_, tk := newEnv(t)
	r, w, _ := Pipe2(tk, 0)
	const writers, writes, size = 8, 40, 4096
	var wg sync.WaitGroup
	for i := 0; i < writers; i++ {
		wg.Add(1)
		go func(c byte) {
			defer wg.Done()
			b := bytes.Repeat([]byte{c}, size)
			for j := 0; j < writes; j++ {
				if n, err := Write(tk, w, b); n != size || err != nil {
					t.Errorf("write %d %v", n, err)
					return
				}
			}
		}('a' + byte(i))
	}
	go func() { wg.Wait(); Close(tk, w) }()
	var all []byte
	b := make([]byte, 3000)
	for {
		n, err := Read(tk, r, b)
		ok(t, err)
		if n == 0 {
			break
		}
		all = append(all, b[:n]...)
	}
	if len(all) != writers*writes*size {
		t.Fatalf("read %d bytes", len(all))
	}
	for i := 0; i < len(all); i += size {
		if bytes.Count(all[i:i+size], all[i:i+1]) != size {
			t.Fatalf("interleaved write at %d", i)
		}
	}
}

func TestFIFO(t *testing.T) {
	_, tk := newEnv(t)
	ok(t, Mknodat(tk, abi.AT_FDCWD, "/fifo", abi.S_IFIFO|0o644, 0))
	_, err := Openat(tk, abi.AT_FDCWD, "/fifo", abi.O_WRONLY|abi.O_NONBLOCK, 0)
	want(t, "nonblocking writer without reader", err, abi.ENXIO)
	rfd, err := Openat(tk, abi.AT_FDCWD, "/fifo", abi.O_RDONLY|abi.O_NONBLOCK, 0)
	ok(t, err)
	// A reader that never saw a writer: no hang-up.
	fds := []abi.PollFd{{Fd: int32(rfd), Events: abi.POLLIN}}
	if n, _ := Poll(tk, fds, 0); n != 0 {
		t.Errorf("poll of a FIFO without writers: %+v", fds)
	}
	done := make(chan int)
	go func() {
		fd, err := Openat(tk, abi.AT_FDCWD, "/fifo", abi.O_WRONLY, 0)
		ok(t, err)
		done <- fd
	}()
	wfd := <-done
	Write(tk, wfd, []byte("via fifo"))
	b := make([]byte, 20)
	if n, _ := Read(tk, rfd, b); string(b[:n]) != "via fifo" {
		t.Errorf("fifo read %q", b[:n])
	}
	Close(tk, wfd)
	if n, _ := Poll(tk, fds, 0); n != 1 || fds[0].Revents&abi.POLLHUP == 0 {
		t.Errorf("after the writer left: %+v", fds)
	}
	// A blocking reader waits for a writer and can be interrupted.
	intr := make(chan struct{})
	t2 := &Task{Files: tk.Files, FS: tk.FS, Intr: intr}
	errc := make(chan error)
	Close(tk, rfd)
	go func() {
		_, err := Openat(t2, abi.AT_FDCWD, "/fifo", abi.O_RDONLY, 0)
		errc <- err
	}()
	time.Sleep(10 * time.Millisecond)
	close(intr)
	want(t, "interrupted FIFO open", <-errc, abi.ERESTARTSYS)
	// O_RDWR never blocks.
	fd, err := Openat(tk, abi.AT_FDCWD, "/fifo", abi.O_RDWR, 0)
	ok(t, err)
	Write(tk, fd, []byte("self"))
	if n, _ := Read(tk, fd, b); string(b[:n]) != "self" {
		t.Errorf("O_RDWR FIFO")
	}
	_, err = Lseek(tk, fd, 0, abi.SEEK_SET)
	want(t, "lseek a FIFO", err, abi.ESPIPE)
}
