package fs

import (
	"testing"

	"retract/kernel/abi"
)

func TestSmoke(t *testing.T) {
	v := New(nil)
	tk := v.NewTask()
	if err := Mkdirat(tk, abi.AT_FDCWD, "/a", 0o755); err != nil {
		t.Fatal(err)
	}
	fd, err := Openat(tk, abi.AT_FDCWD, "/a/f", abi.O_CREAT|abi.O_RDWR, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := Write(tk, fd, []byte("hello")); n != 5 || err != nil {
		t.Fatal(n, err)
	}
	Lseek(tk, fd, 0, abi.SEEK_SET)
	b := make([]byte, 10)
	n, err := Read(tk, fd, b)
	if string(b[:n]) != "hello" {
		t.Fatal(n, err)
	}
	buf := make([]byte, 4096)
	d, _ := Openat(tk, abi.AT_FDCWD, "/a", abi.O_RDONLY|abi.O_DIRECTORY, 0)
	n, err = Getdents64(tk, d, buf)
	ents, _ := abi.ParseDirents64(buf[:n])
	t.Log(ents, err)
}
