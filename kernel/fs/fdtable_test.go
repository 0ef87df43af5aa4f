package fs

import (
	"testing"

	"retract/kernel/abi"
)

func TestDupAndFcntl(t *testing.T) {
	_, tk := newEnv(t)
	writeFile(t, tk, "/f", "abcdef")
	fd, _ := Openat(tk, abi.AT_FDCWD, "/f", abi.O_RDONLY, 0) // 0
	d, err := Dup(tk, fd)
	if d != 1 || err != nil {
		t.Fatalf("dup %d %v", d, err)
	}
	// A dup shares the offset.
	Read(tk, fd, make([]byte, 2))
	if pos, _ := Lseek(tk, d, 0, abi.SEEK_CUR); pos != 2 {
		t.Errorf("dup does not share the offset: %d", pos)
	}
	if n, err := Dup2(tk, fd, fd); n != fd || err != nil {
		t.Errorf("dup2 same: %d %v", n, err)
	}
	_, err = Dup2(tk, 9, 9)
	want(t, "dup2 same closed", err, abi.EBADF)
	_, err = Dup3(tk, fd, fd, 0)
	want(t, "dup3 same", err, abi.EINVAL)
	_, err = Dup3(tk, fd, 5, abi.O_NONBLOCK)
	want(t, "dup3 bad flags", err, abi.EINVAL)
	_, err = Dup3(tk, fd, 1024, 0)
	want(t, "dup3 at the limit", err, abi.EBADF)
	_, err = Dup3(tk, 50, 5, 0)
	want(t, "dup3 closed old", err, abi.EBADF)
	if n, err := Dup3(tk, fd, 7, abi.O_CLOEXEC); n != 7 || err != nil {
		t.Errorf("dup3: %d %v", n, err)
	}
	if fl, _ := Fcntl(tk, 7, abi.F_GETFD, 0); fl != abi.FD_CLOEXEC {
		t.Errorf("dup3 O_CLOEXEC")
	}
	if fl, _ := Fcntl(tk, d, abi.F_GETFD, 0); fl != 0 {
		t.Errorf("dup gets no cloexec")
	}
	// dup2 over an open descriptor closes it.
	p0, p1, _ := Pipe2(tk, 0)
	if n, _ := Dup2(tk, fd, p1); n != p1 {
		t.Errorf("dup2 over a pipe")
	}
	if n, _ := Read(tk, p0, make([]byte, 1)); n != 0 {
		t.Errorf("the pipe's writer survived dup2")
	}
	n, err := Fcntl(tk, fd, abi.F_DUPFD, 5)
	if n != 5 || err != nil {
		t.Errorf("F_DUPFD 5: %d %v", n, err)
	}
	if n, _ := Fcntl(tk, fd, abi.F_DUPFD, 5); n != 6 {
		t.Errorf("F_DUPFD lowest >= 5: %d", n)
	}
	if n, _ := Fcntl(tk, fd, abi.F_DUPFD_CLOEXEC, 0); n != 4 {
		t.Errorf("F_DUPFD_CLOEXEC lowest: %d", n)
	} else if fl, _ := Fcntl(tk, 4, abi.F_GETFD, 0); fl != abi.FD_CLOEXEC {
		t.Errorf("F_DUPFD_CLOEXEC flag")
	}
	_, err = Fcntl(tk, fd, abi.F_DUPFD, 1024)
	want(t, "F_DUPFD at the limit", err, abi.EINVAL)
	ok(t, tk.Files.SetLimit(8))
	_, err = Fcntl(tk, fd, abi.F_DUPFD, 0)
	want(t, "F_DUPFD none free", err, abi.EMFILE)
	ok(t, tk.Files.SetLimit(1024))
	_, err = Fcntl(tk, fd, 9999, 0)
	want(t, "unknown fcntl", err, abi.EINVAL)
	_, err = Fcntl(tk, 99, abi.F_GETFD, 0)
	want(t, "fcntl closed", err, abi.EBADF)
	// F_SETFL changes only its flags; it is shared by dups.
	_, err = Fcntl(tk, fd, abi.F_SETFL, abi.O_NONBLOCK|abi.O_APPEND|abi.O_WRONLY|abi.O_TRUNC)
	ok(t, err)
	if fl, _ := Fcntl(tk, d, abi.F_GETFL, 0); fl != abi.O_RDONLY|abi.O_NONBLOCK|abi.O_APPEND|abi.O_LARGEFILE {
		t.Errorf("F_SETFL: %#o", fl)
	}
	ok(t, tk.Files.SetCloexec(d, true))
	if _, err := Ioctl(tk, d, abi.FIONCLEX, nil); err != nil {
		t.Errorf("FIONCLEX %v", err)
	}
	if fl, _ := Fcntl(tk, d, abi.F_GETFD, 0); fl != 0 {
		t.Errorf("FIONCLEX did not clear")
	}
	if _, err := Ioctl(tk, d, abi.FIONBIO, &memArg{buf: []byte{0, 0, 0, 0}}); err != nil {
		t.Errorf("FIONBIO %v", err)
	}
	if fl, _ := Fcntl(tk, d, abi.F_GETFL, 0); fl&abi.O_NONBLOCK != 0 {
		t.Errorf("FIONBIO 0 did not clear O_NONBLOCK")
	}
	_, err = Fcntl(tk, fd, abi.F_GETPIPE_SZ, 0)
	want(t, "F_GETPIPE_SZ on a file", err, abi.EBADF)
	_, err = Fcntl(tk, fd, abi.F_GET_SEALS, 0)
	want(t, "F_GET_SEALS on a file", err, abi.EINVAL)
	if _, err := Fcntl(tk, fd, abi.F_SETLK, 0); err != nil {
		t.Errorf("F_SETLK: %v", err)
	}
	ok(t, Close(tk, d))
	want(t, "close twice", Close(tk, d), abi.EBADF)
	want(t, "close negative", Close(tk, -1), abi.EBADF)
}

func TestCloseRangeCloneExec(t *testing.T) {
	_, tk := newEnv(t)
	writeFile(t, tk, "/f", "")
	for i := 0; i < 6; i++ {
		Openat(tk, abi.AT_FDCWD, "/f", abi.O_RDONLY|uint32(i%2)*abi.O_CLOEXEC, 0)
	}
	want(t, "close_range first > last", CloseRange(tk, 3, 2, 0), abi.EINVAL)
	want(t, "close_range bad flags", CloseRange(tk, 0, 1, 1), abi.EINVAL)
	ok(t, CloseRange(tk, 4, ^uint(0), abi.CLOSE_RANGE_CLOEXEC))
	if fl, _ := Fcntl(tk, 4, abi.F_GETFD, 0); fl != abi.FD_CLOEXEC {
		t.Errorf("CLOSE_RANGE_CLOEXEC")
	}
	child := tk.Files.Clone()
	ok(t, CloseRange(tk, 5, 5, 0))
	if got := tk.Files.Open(); len(got) != 5 {
		t.Errorf("after close_range: %v", got)
	}
	if got := child.Open(); len(got) != 6 {
		t.Errorf("the fork's copy changed: %v", got)
	}
	child.CloseOnExec()
	if got := child.Open(); len(got) != 2 || got[0] != 0 || got[1] != 2 {
		t.Errorf("after exec: %v", got)
	}
	// Sharing: a thread with CLONE_FILES sees the same table; UNSHARE
	// gives the caller its own.
	shared := tk.Files.Share()
	t2 := &Task{Files: shared, FS: tk.FS}
	ok(t, CloseRange(t2, 0, 0, abi.CLOSE_RANGE_UNSHARE))
	if t2.Files == tk.Files {
		t.Fatalf("CLOSE_RANGE_UNSHARE kept the shared table")
	}
	if _, err := tk.Files.Get(0); err != nil {
		t.Errorf("unshare closed the other thread's fd 0")
	}
	// The last user closes everything: a pipe's reader sees EOF.
	r, w, _ := Pipe2(tk, 0)
	holder := &Task{Files: NewFDTable(), FS: tk.FS}
	wf, _ := tk.Files.Get(w)
	holder.Files.Install(wf, false)
	ok(t, Close(tk, w))
	holder.Files.Share()
	holder.Files.Release()
	Fcntl(tk, r, abi.F_SETFL, abi.O_NONBLOCK)
	_, err := Read(tk, r, make([]byte, 1))
	want(t, "read while a user still holds the writer", err, abi.EAGAIN)
	holder.Files.Release()
	if n, err := Read(tk, r, make([]byte, 1)); n != 0 || err != nil {
		t.Errorf("after the last user: %d %v, want EOF", n, err)
	}
}
