package fs

import (
	"encoding/binary"
	"sync"
	"testing"
	"time"

	"retract/kernel/abi"
)

// term is a TTY with its output and signals recorded.
type term struct {
	*TTY
	mu   sync.Mutex
	out  []byte
	sigs []abi.Signal
}

func newTerm() *term {
	tm := &term{}
	tm.TTY = NewTTY(TTYHooks{
		Output: func(p []byte) { tm.mu.Lock(); tm.out = append(tm.out, p...); tm.mu.Unlock() },
		Interrupt: func(s abi.Signal, pgrp int) {
			tm.mu.Lock()
			tm.sigs = append(tm.sigs, s)
			tm.mu.Unlock()
		},
	})
	tm.SetForeground(7)
	return tm
}

func (tm *term) output() string {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	s := string(tm.out)
	tm.out = nil
	return s
}

func (tm *term) read(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	k, err := tm.Read(b, true, nil)
	if err != nil {
		return "err:" + err.Error()
	}
	return string(b[:k])
}

func TestCanonical(t *testing.T) {
	tm := newTerm()
	tm.Input([]byte("ab"))
	if got := tm.read(t, 10); got != "err:"+abi.EAGAIN.Error() {
		t.Errorf("partial line readable: %q", got)
	}
	tm.Input([]byte("c\r")) // ICRNL
	if got := tm.read(t, 10); got != "abc\n" {
		t.Errorf("line %q", got)
	}
	if got := tm.output(); got != "abc\r\n" {
		t.Errorf("echo %q", got)
	}
	// Erase: DEL and BS, "\b \b" each; a control character takes two.
	tm.Input([]byte("xy\x7f\x01\x08z\n"))
	if got := tm.read(t, 10); got != "xz\n" {
		t.Errorf("after erase %q", got)
	}
	if got := tm.output(); got != "xy\b \b^A\b \b\b \bz\r\n" {
		t.Errorf("erase echo %q", got)
	}
	// ^U kills the line; ^W a word.
	tm.Input([]byte("one two\x17three\x15four\n"))
	if got := tm.read(t, 20); got != "four\n" {
		t.Errorf("after kill %q", got)
	}
	tm.Input([]byte("one two\x17three\n"))
	if got := tm.read(t, 20); got != "one three\n" {
		t.Errorf("after word erase %q", got)
	}
	tm.output()
	// A tab erased backs up to where it started.
	tm.Input([]byte("ab\t\x7f\n"))
	if got := tm.output(); got != "ab\t\b\b\b\b\b\b\r\n" {
		t.Errorf("tab erase %q", got)
	}
	tm.read(t, 10)
	// ^D: end of file at the start of a line, else ends the line.
	tm.Input([]byte("\x04"))
	if got := tm.read(t, 10); got != "" {
		t.Errorf("EOF read %q", got)
	}
	tm.Input([]byte("abc\x04"))
	if got := tm.read(t, 10); got != "abc" {
		t.Errorf("^D mid-line %q", got)
	}
	// One line per read; a short buffer leaves the rest.
	tm.Input([]byte("l1\nl2\n"))
	if got := tm.read(t, 2); got != "l1" {
		t.Errorf("short read %q", got)
	}
	if got := tm.read(t, 10); got != "\n" {
		t.Errorf("rest of the line %q", got)
	}
	if got := tm.read(t, 10); got != "l2\n" {
		t.Errorf("second line %q", got)
	}
	// ^C: SIGINT, the line discarded, "^C" echoed; ^\ SIGQUIT; ^Z SIGTSTP.
	tm.output()
	tm.Input([]byte("junk\x03"))
	tm.Input([]byte("\x1c\x1a"))
	if got := tm.read(t, 10); got != "err:"+abi.EAGAIN.Error() {
		t.Errorf("after ^C %q", got)
	}
	if got := tm.output(); got != "junk^C^\\^Z" {
		t.Errorf("signal echo %q", got)
	}
	if len(tm.sigs) != 3 || tm.sigs[0] != abi.SIGINT || tm.sigs[1] != abi.SIGQUIT || tm.sigs[2] != abi.SIGTSTP {
		t.Errorf("signals %v", tm.sigs)
	}
	// Output processing: "\n" becomes "\r\n".
	tm.Write([]byte("a\nb"))
	if got := tm.output(); got != "a\r\nb" {
		t.Errorf("ONLCR %q", got)
	}
	// ^V makes the next byte literal.
	tm.Input([]byte("\x16\x03\n"))
	if got := tm.read(t, 10); got != "\x03\n" {
		t.Errorf("^V ^C: %q", got)
	}
}

func setTermios(t *testing.T, tm *term, fn func(*abi.Termios)) {
	t.Helper()
	arg := &memArg{buf: make([]byte, 36)}
	if _, err := tm.Ioctl(abi.TCGETS, arg); err != nil {
		t.Fatal(err)
	}
	tr, _ := abi.DecodeTermios(arg.buf)
	fn(&tr)
	arg.buf = tr.Encode()
	if _, err := tm.Ioctl(abi.TCSETS, arg); err != nil {
		t.Fatal(err)
	}
}

func TestNonCanonical(t *testing.T) {
	tm := newTerm()
	tm.Input([]byte("pending"))
	// Leaving canonical mode makes the edited line readable.
	setTermios(t, tm, func(tr *abi.Termios) { tr.Lflag &^= abi.ICANON | abi.ECHO })
	if got := tm.read(t, 3); got != "pen" {
		t.Errorf("edited line after -icanon: %q", got)
	}
	tm.read(t, 10)
	tm.output()
	tm.Input([]byte("x\x7f")) // DEL is data now, no echo
	if got := tm.read(t, 10); got != "x\x7f" || tm.output() != "" {
		t.Errorf("raw %q", got)
	}
	// VMIN=1, VTIME=0: a blocking read waits for one byte.
	got := make(chan string)
	go func() {
		b := make([]byte, 10)
		n, _ := tm.Read(b, false, nil)
		got <- string(b[:n])
	}()
	time.Sleep(10 * time.Millisecond)
	tm.Input([]byte("k"))
	if s := <-got; s != "k" {
		t.Errorf("VMIN=1: %q", s)
	}
	// VMIN=0, VTIME=0: returns at once, maybe with nothing.
	setTermios(t, tm, func(tr *abi.Termios) { tr.Cc[abi.VMIN], tr.Cc[abi.VTIME] = 0, 0 })
	if n, err := tm.Read(make([]byte, 4), false, nil); n != 0 || err != nil {
		t.Errorf("VMIN=0 VTIME=0: %d %v", n, err)
	}
	// VMIN=0, VTIME=1: a tenth of a second, then 0.
	setTermios(t, tm, func(tr *abi.Termios) { tr.Cc[abi.VTIME] = 1 })
	start := time.Now()
	if n, err := tm.Read(make([]byte, 4), false, nil); n != 0 || err != nil || time.Since(start) < 90*time.Millisecond {
		t.Errorf("VTIME timeout: %d %v after %v", n, err, time.Since(start))
	}
	// VMIN=3: waits for three bytes.
	setTermios(t, tm, func(tr *abi.Termios) { tr.Cc[abi.VMIN], tr.Cc[abi.VTIME] = 3, 0 })
	go func() {
		b := make([]byte, 10)
		n, _ := tm.Read(b, false, nil)
		got <- string(b[:n])
	}()
	tm.Input([]byte("ab"))
	time.Sleep(10 * time.Millisecond)
	tm.Input([]byte("cd"))
	if s := <-got; s != "abcd" {
		t.Errorf("VMIN=3: %q", s)
	}
	// ISIG works without ICANON; an interrupt wakes a blocked reader.
	tm.Input([]byte("\x03"))
	if tm.sigs[len(tm.sigs)-1] != abi.SIGINT {
		t.Errorf("ISIG in raw mode")
	}
	intr := make(chan struct{})
	errc := make(chan error)
	go func() { _, err := tm.Read(make([]byte, 4), false, intr); errc <- err }()
	time.Sleep(10 * time.Millisecond)
	close(intr)
	want(t, "interrupted tty read", <-errc, abi.ERESTARTSYS)
	// Back to canonical: what is waiting becomes a line.
	tm.Input([]byte("zz"))
	setTermios(t, tm, func(tr *abi.Termios) { tr.Lflag |= abi.ICANON })
	if got := tm.read(t, 10); got != "zz" {
		t.Errorf("raw bytes after icanon: %q", got)
	}
}

func TestTTYIoctls(t *testing.T) {
	tm := newTerm()
	arg := &memArg{buf: make([]byte, 36)}
	if _, err := tm.Ioctl(abi.TCGETS, arg); err != nil || binary.LittleEndian.Uint32(arg.buf[12:]) != abi.DefaultTermios().Lflag {
		t.Errorf("TCGETS %v", err)
	}
	_, err := tm.Ioctl(abi.TCGETS, &memArg{buf: make([]byte, 3)})
	want(t, "TCGETS to a bad address", err, abi.EFAULT)
	ws := &memArg{buf: make([]byte, 8)}
	tm.Ioctl(abi.TIOCGWINSZ, ws)
	if binary.LittleEndian.Uint16(ws.buf) != 24 || binary.LittleEndian.Uint16(ws.buf[2:]) != 80 {
		t.Errorf("default window % x", ws.buf)
	}
	nw := abi.Winsize{Row: 50, Col: 132}
	tm.Ioctl(abi.TIOCSWINSZ, &memArg{buf: nw.Encode()})
	tm.Ioctl(abi.TIOCSWINSZ, &memArg{buf: nw.Encode()}) // same size: no signal
	if len(tm.sigs) != 1 || tm.sigs[0] != abi.SIGWINCH {
		t.Errorf("SIGWINCH: %v", tm.sigs)
	}
	pg := &memArg{buf: make([]byte, 4)}
	tm.Ioctl(abi.TIOCGPGRP, pg)
	if binary.LittleEndian.Uint32(pg.buf) != 7 {
		t.Errorf("TIOCGPGRP %v", pg.buf)
	}
	binary.LittleEndian.PutUint32(pg.buf, 42)
	tm.Ioctl(abi.TIOCSPGRP, pg)
	if tm.Foreground() != 42 {
		t.Errorf("TIOCSPGRP")
	}
	binary.LittleEndian.PutUint32(pg.buf, 0xffffffff)
	_, err = tm.Ioctl(abi.TIOCSPGRP, pg)
	want(t, "negative pgrp", err, abi.EINVAL)
	tm.Input([]byte("ab\ncd"))
	nr := &memArg{buf: make([]byte, 4)}
	tm.Ioctl(abi.FIONREAD, nr)
	if nr.buf[0] != 3 {
		t.Errorf("FIONREAD counts complete lines: %d", nr.buf[0])
	}
	_, err = tm.Ioctl(abi.TCFLSH, &memArg{val: 9})
	want(t, "TCFLSH bad", err, abi.EINVAL)
	tm.Ioctl(abi.TCFLSH, &memArg{val: abi.TCIFLUSH})
	if got := tm.read(t, 10); got != "err:"+abi.EAGAIN.Error() {
		t.Errorf("after TCIFLUSH %q", got)
	}
	for _, cmd := range []uint32{abi.TCGETS2, 0x1234, abi.TIOCGSID, abi.TIOCSTI} {
		_, err := tm.Ioctl(cmd, &memArg{buf: make([]byte, 64)})
		want(t, "unknown tty ioctl", err, abi.ENOTTY)
	}
	// Through the file system: /dev/console, isatty, poll.
	v, err := NewVFS(Config{Console: tm.TTY})
	ok(t, err)
	tk := v.NewTask()
	fd, err := Openat(tk, abi.AT_FDCWD, "/dev/console", abi.O_RDWR, 0)
	ok(t, err)
	if _, err := Ioctl(tk, fd, abi.TCGETS, &memArg{buf: make([]byte, 36)}); err != nil {
		t.Errorf("isatty(console): %v", err)
	}
	tm.output()
	Write(tk, fd, []byte("hi\n"))
	if got := tm.output(); got != "hi\r\n" {
		t.Errorf("console write %q", got)
	}
	fds := []abi.PollFd{{Fd: int32(fd), Events: abi.POLLIN | abi.POLLOUT}}
	if n, _ := Poll(tk, fds, 0); n != 1 || fds[0].Revents != abi.POLLOUT {
		t.Errorf("poll idle console %+v", fds)
	}
	tm.Input([]byte("line\n"))
	Poll(tk, fds, 0)
	if fds[0].Revents != abi.POLLIN|abi.POLLOUT {
		t.Errorf("poll with a line %+v", fds)
	}
	_, err = Lseek(tk, fd, 0, abi.SEEK_SET)
	want(t, "lseek a tty", err, abi.ESPIPE)
	Fcntl(tk, fd, abi.F_SETFL, abi.O_NONBLOCK)
	b := make([]byte, 10)
	if n, _ := Read(tk, fd, b); string(b[:n]) != "line\n" {
		t.Errorf("console read %q", b[:n])
	}
	_, err = Read(tk, fd, b)
	want(t, "nonblocking empty console", err, abi.EAGAIN)
	tfd, err := Openat(tk, abi.AT_FDCWD, "/dev/tty", abi.O_RDWR, 0)
	ok(t, err)
	if _, err := Ioctl(tk, tfd, abi.TIOCGWINSZ, ws); err != nil {
		t.Errorf("/dev/tty: %v", err)
	}
}

// FuzzLineDiscipline types arbitrary bytes in every mode: never a panic,
// reads return what the buffer holds, the input never exceeds 4096 bytes.
func FuzzLineDiscipline(f *testing.F) {
	for _, s := range []string{"abc\r", "x\x7f\x7f\x7f\x15\x17", "\x03\x04\x1c", "\x16\x16\x16", "\t\t\x7f\x7f", "é\x7f\n"} {
		f.Add([]byte(s), uint8(0))
	}
	f.Fuzz(func(t *testing.T, in []byte, mode uint8) {
		tm := newTerm()
		setTermios(t, tm, func(tr *abi.Termios) {
			if mode&1 != 0 {
				tr.Lflag &^= abi.ICANON
			}
			if mode&2 != 0 {
				tr.Lflag &^= abi.ECHO
			}
			if mode&4 != 0 {
				tr.Iflag |= abi.IUTF8
			}
			if mode&8 != 0 {
				tr.Oflag &^= abi.OPOST
			}
			tr.Cc[abi.VMIN] = 0
		})
		for len(in) > 0 {
			k := min(len(in), 7)
			tm.Input(in[:k])
			in = in[k:]
			if n := tm.buffered(); n > ttyBufSize {
				t.Fatalf("%d bytes buffered", n)
			}
			b := make([]byte, 5)
			if n, err := tm.Read(b, true, nil); n > 5 || err != nil && err != abi.EAGAIN {
				t.Fatalf("read %d %v", n, err)
			}
		}
		if tm.column < 0 {
			t.Fatalf("column %d", tm.column)
		}
	})
}
