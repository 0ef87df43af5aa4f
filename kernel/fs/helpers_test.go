package fs

import (
	"errors"
	"sync/atomic"
	"testing"

	"retract/kernel/abi"
)

// testClock ticks one second per reading, so that every change has a
// later time than the one before.
type testClock struct{ n atomic.Int64 }

func (c *testClock) now() abi.Timespec { return abi.Timespec{Sec: 1000 + c.n.Add(1)} }

// newEnv returns a namespace with /dev and /tmp mounted, and a task.
func newEnv(t *testing.T) (*VFS, *Task) {
	t.Helper()
	c := &testClock{}
	v, err := NewVFS(Config{Now: c.now, Random: func(p []byte) {
		for i := range p {
			p[i] = byte(i*7 + 1)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	return v, v.NewTask()
}

func ok(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

// want checks that err is the errno want (0: no error).
func want(t *testing.T, what string, err error, e abi.Errno) {
	t.Helper()
	if e == 0 {
		if err != nil {
			t.Errorf("%s: %v, want success", what, err)
		}
		return
	}
	if !errors.Is(err, e) {
		t.Errorf("%s: %v, want %v", what, err, e)
	}
}

func mkdir(t *testing.T, tk *Task, path string) {
	t.Helper()
	ok(t, Mkdirat(tk, abi.AT_FDCWD, path, 0o755))
}

// writeFile creates path with contents.
func writeFile(t *testing.T, tk *Task, path, contents string) {
	t.Helper()
	fd, err := Openat(tk, abi.AT_FDCWD, path, abi.O_CREAT|abi.O_WRONLY|abi.O_TRUNC, 0o644)
	ok(t, err)
	if n, err := Write(tk, fd, []byte(contents)); n != len(contents) || err != nil {
		t.Fatalf("write %s: %d %v", path, n, err)
	}
	ok(t, Close(tk, fd))
}

// readFile returns path's contents.
func readFile(t *testing.T, tk *Task, path string) string {
	t.Helper()
	fd, err := Openat(tk, abi.AT_FDCWD, path, abi.O_RDONLY, 0)
	ok(t, err)
	defer Close(tk, fd)
	var out []byte
	buf := make([]byte, 1000)
	for {
		n, err := Read(tk, fd, buf)
		ok(t, err)
		if n == 0 {
			return string(out)
		}
		out = append(out, buf[:n]...)
	}
}

func stat(t *testing.T, tk *Task, path string) abi.Stat {
	t.Helper()
	st, err := Newfstatat(tk, abi.AT_FDCWD, path, abi.AT_SYMLINK_NOFOLLOW)
	ok(t, err)
	return st
}

// names lists a directory through getdents64.
func names(t *testing.T, tk *Task, path string) []string {
	t.Helper()
	fd, err := Openat(tk, abi.AT_FDCWD, path, abi.O_RDONLY|abi.O_DIRECTORY, 0)
	ok(t, err)
	defer Close(tk, fd)
	var out []string
	buf := make([]byte, 256)
	for {
		n, err := Getdents64(tk, fd, buf)
		ok(t, err)
		if n == 0 {
			return out
		}
		ds, err := abi.ParseDirents64(buf[:n])
		ok(t, err)
		for _, d := range ds {
			out = append(out, d.Name)
		}
	}
}

// memArg is an ioctl argument in a byte buffer.
type memArg struct {
	val uint64
	buf []byte
}

func (a *memArg) Value() uint64 { return a.val }
func (a *memArg) CopyIn(p []byte) error {
	if len(a.buf) < len(p) {
		return abi.EFAULT
	}
	copy(p, a.buf)
	return nil
}
func (a *memArg) CopyOut(p []byte) error {
	if len(a.buf) < len(p) {
		return abi.EFAULT
	}
	copy(a.buf, p)
	return nil
}
