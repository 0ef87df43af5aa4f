package fs

import (
	"testing"

	"retract/kernel/abi"
)

func TestOpenFlags(t *testing.T) {
	_, tk := newEnv(t)
	mkdir(t, tk, "/d")
	writeFile(t, tk, "/f", "hello")
	ok(t, Symlinkat(tk, "f", abi.AT_FDCWD, "/lf"))
	ok(t, Symlinkat(tk, "newtarget", abi.AT_FDCWD, "/dangle"))
	o := func(path string, flags uint32) error {
		fd, err := Openat(tk, abi.AT_FDCWD, path, flags, 0o644)
		if err == nil {
			Close(tk, fd)
		}
		return err
	}
	for _, c := range []struct {
		what  string
		path  string
		flags uint32
		want  abi.Errno
	}{
		{"missing", "/none", abi.O_RDONLY, abi.ENOENT},
		{"O_EXCL existing", "/f", abi.O_CREAT | abi.O_EXCL | abi.O_WRONLY, abi.EEXIST},
		{"O_EXCL on a symlink", "/dangle", abi.O_CREAT | abi.O_EXCL | abi.O_WRONLY, abi.EEXIST},
		{"O_EXCL without O_CREAT", "/f", abi.O_EXCL | abi.O_RDONLY, 0},
		{"write a directory", "/d", abi.O_WRONLY, abi.EISDIR},
		{"rdwr a directory", "/d", abi.O_RDWR, abi.EISDIR},
		{"O_CREAT a directory", "/d", abi.O_CREAT | abi.O_RDONLY, abi.EISDIR},
		{"O_CREAT /", "/", abi.O_CREAT | abi.O_RDONLY, abi.EISDIR},
		{"O_CREAT with trailing slash", "/new/", abi.O_CREAT | abi.O_WRONLY, abi.EISDIR},
		{"O_DIRECTORY on a file", "/f", abi.O_DIRECTORY, abi.ENOTDIR},
		{"O_DIRECTORY on a dir", "/d", abi.O_DIRECTORY, 0},
		{"O_NOFOLLOW on a link", "/lf", abi.O_NOFOLLOW | abi.O_RDONLY, abi.ELOOP},
		{"O_NOFOLLOW|O_CREAT on a link", "/lf", abi.O_NOFOLLOW | abi.O_CREAT | abi.O_RDONLY, abi.ELOOP},
		{"O_PATH|O_NOFOLLOW on a link", "/lf", abi.O_PATH | abi.O_NOFOLLOW, 0},
		{"trailing slash on a file", "/f/", abi.O_RDONLY, abi.ENOTDIR},
		{"O_DIRECTORY|O_CREAT on a dir", "/d", abi.O_DIRECTORY | abi.O_CREAT, abi.EISDIR},
		{"O_DIRECTORY|O_CREAT on a file", "/f", abi.O_DIRECTORY | abi.O_CREAT, abi.ENOTDIR},
		{"O_TMPFILE read-only", "/d", abi.O_TMPFILE | abi.O_RDONLY, abi.EINVAL},
		{"O_TMPFILE with O_CREAT", "/d", abi.O_TMPFILE | abi.O_CREAT | abi.O_RDWR, abi.EINVAL},
		{"O_TMPFILE on a file", "/f", abi.O_TMPFILE | abi.O_RDWR, abi.ENOTDIR},
		{"__O_TMPFILE alone", "/d", abi.OTmpfileBit | abi.O_RDWR, abi.EINVAL},
	} {
		want(t, c.what, o(c.path, c.flags), c.want)
	}
	// Linux 5.7-6.3: O_DIRECTORY|O_CREAT of a missing name creates a
	// regular file and fails with ENOTDIR.
	want(t, "O_DIRECTORY|O_CREAT missing", o("/odc", abi.O_DIRECTORY|abi.O_CREAT|abi.O_RDONLY), abi.ENOTDIR)
	if st := stat(t, tk, "/odc"); st.Mode&abi.S_IFMT != abi.S_IFREG {
		t.Errorf("O_DIRECTORY|O_CREAT did not leave a regular file")
	}
	// O_CREAT through a dangling symlink creates its target.
	ok(t, o("/dangle", abi.O_CREAT|abi.O_WRONLY))
	if st := stat(t, tk, "/newtarget"); st.Mode != abi.S_IFREG|0o644 {
		t.Errorf("target of the dangling link: %+v", st)
	}
	// The umask and O_TRUNC.
	Umask(tk, 0o077)
	ok(t, o("/masked", abi.O_CREAT|abi.O_WRONLY))
	if st := stat(t, tk, "/masked"); st.Mode != abi.S_IFREG|0o600 {
		t.Errorf("umask: %#o", st.Mode)
	}
	ok(t, o("/f", abi.O_RDONLY|abi.O_TRUNC))
	if stat(t, tk, "/f").Size != 0 {
		t.Errorf("O_TRUNC with O_RDONLY truncates on Linux")
	}
	// F_GETFL: O_LARGEFILE added, O_CREAT/O_TRUNC/O_EXCL/O_CLOEXEC gone.
	fd, err := Openat(tk, abi.AT_FDCWD, "/f", abi.O_RDWR|abi.O_APPEND|abi.O_CREAT|abi.O_TRUNC|abi.O_CLOEXEC|abi.O_NONBLOCK, 0)
	ok(t, err)
	fl, _ := Fcntl(tk, fd, abi.F_GETFL, 0)
	if fl != abi.O_RDWR|abi.O_APPEND|abi.O_NONBLOCK|abi.O_LARGEFILE {
		t.Errorf("F_GETFL %#o", fl)
	}
	if fdfl, _ := Fcntl(tk, fd, abi.F_GETFD, 0); fdfl != abi.FD_CLOEXEC {
		t.Errorf("O_CLOEXEC: F_GETFD %d", fdfl)
	}
	pfd, err := Openat(tk, abi.AT_FDCWD, "/d", abi.O_PATH|abi.O_RDWR|abi.O_APPEND, 0)
	ok(t, err)
	if fl, _ := Fcntl(tk, pfd, abi.F_GETFL, 0); fl != abi.O_PATH {
		t.Errorf("O_PATH F_GETFL %#o", fl)
	}
	_, err = Read(tk, pfd, make([]byte, 1))
	want(t, "read O_PATH", err, abi.EBADF)
	_, err = Getdents64(tk, pfd, make([]byte, 100))
	want(t, "getdents O_PATH", err, abi.EBADF)
	if _, err := Fstat(tk, pfd); err != nil {
		t.Errorf("fstat O_PATH: %v", err)
	}
	ok(t, Fchdir(tk, pfd))
}

func TestTmpfile(t *testing.T) {
	_, tk := newEnv(t)
	fd, err := Openat(tk, abi.AT_FDCWD, "/tmp", abi.O_TMPFILE|abi.O_RDWR, 0o600)
	ok(t, err)
	if n, err := Write(tk, fd, []byte("tmp")); n != 3 || err != nil {
		t.Fatal(n, err)
	}
	st, _ := Fstat(tk, fd)
	if st.Nlink != 0 || st.Mode != abi.S_IFREG|0o600 || len(names(t, tk, "/tmp")) != 2 {
		t.Errorf("O_TMPFILE: %+v %v", st, names(t, tk, "/tmp"))
	}
	ok(t, Linkat(tk, fd, "", abi.AT_FDCWD, "/tmp/named", abi.AT_EMPTY_PATH))
	if readFile(t, tk, "/tmp/named") != "tmp" || stat(t, tk, "/tmp/named").Nlink != 1 {
		t.Errorf("linked O_TMPFILE")
	}
	xfd, err := Openat(tk, abi.AT_FDCWD, "/tmp", abi.O_TMPFILE|abi.O_WRONLY|abi.O_EXCL, 0o600)
	ok(t, err)
	want(t, "link O_TMPFILE|O_EXCL", Linkat(tk, xfd, "", abi.AT_FDCWD, "/tmp/x", abi.AT_EMPTY_PATH), abi.ENOENT)
	// An unlinked, still open file cannot be linked again.
	writeFile(t, tk, "/gone", "g")
	gfd, _ := Openat(tk, abi.AT_FDCWD, "/gone", abi.O_RDONLY, 0)
	ok(t, Unlinkat(tk, abi.AT_FDCWD, "/gone", 0))
	want(t, "link an unlinked file", Linkat(tk, gfd, "", abi.AT_FDCWD, "/back", abi.AT_EMPTY_PATH), abi.ENOENT)
}

func TestEMFILE(t *testing.T) {
	_, tk := newEnv(t)
	writeFile(t, tk, "/f", "")
	ok(t, tk.Files.SetLimit(10))
	for i := 0; i < 10; i++ {
		if fd, err := Openat(tk, abi.AT_FDCWD, "/f", abi.O_RDONLY, 0); fd != i || err != nil {
			t.Fatalf("open %d: %d %v", i, fd, err)
		}
	}
	_, err := Openat(tk, abi.AT_FDCWD, "/f", abi.O_RDONLY, 0)
	want(t, "11th open", err, abi.EMFILE)
	_, _, err = Pipe2(tk, 0)
	want(t, "pipe at the limit", err, abi.EMFILE)
	ok(t, Close(tk, 3))
	if fd, _ := Openat(tk, abi.AT_FDCWD, "/f", abi.O_RDONLY, 0); fd != 3 {
		t.Errorf("lowest free: %d", fd)
	}
	want(t, "limit above NR_OPEN", tk.Files.SetLimit(abi.NR_OPEN+1), abi.EPERM)
}

func TestOpenExec(t *testing.T) {
	_, tk := newEnv(t)
	writeFile(t, tk, "/prog", "\x7fELF")
	_, err := OpenExec(tk, abi.AT_FDCWD, "/prog", 0)
	want(t, "exec without x bits", err, abi.EACCES)
	ok(t, Fchmodat(tk, abi.AT_FDCWD, "/prog", 0o755))
	f, err := OpenExec(tk, abi.AT_FDCWD, "/prog", 0)
	ok(t, err)
	b := make([]byte, 8)
	if n, err := f.ReadAt(b, 0); n != 4 || err == nil || string(b[:4]) != "\x7fELF" {
		t.Errorf("ReadAt: %d %v %q", n, err, b)
	}
	if f.Path() != "/prog" {
		t.Errorf("Path %q", f.Path())
	}
	f.Put()
	_, err = OpenExec(tk, abi.AT_FDCWD, "/tmp", 0)
	want(t, "exec a directory", err, abi.EACCES)
	ok(t, Symlinkat(tk, "prog", abi.AT_FDCWD, "/lp"))
	_, err = OpenExec(tk, abi.AT_FDCWD, "/lp", abi.AT_SYMLINK_NOFOLLOW)
	want(t, "exec a link with AT_SYMLINK_NOFOLLOW", err, abi.ELOOP)
	_, err = OpenExec(tk, abi.AT_FDCWD, "/lp", 1)
	want(t, "exec bad flags", err, abi.EINVAL)
}
