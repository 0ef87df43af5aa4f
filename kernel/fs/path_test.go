package fs

import (
	"strings"
	"testing"

	"retract/kernel/abi"
)

func TestResolve(t *testing.T) {
	_, tk := newEnv(t)
	mkdir(t, tk, "/a")
	mkdir(t, tk, "/a/b")
	writeFile(t, tk, "/a/b/f", "x")
	ok(t, Symlinkat(tk, "b", abi.AT_FDCWD, "/a/rel"))          // relative, to a directory
	ok(t, Symlinkat(tk, "/a/b/f", abi.AT_FDCWD, "/a/abs"))     // absolute, to a file
	ok(t, Symlinkat(tk, "nowhere", abi.AT_FDCWD, "/a/dangle")) // dangling
	ok(t, Symlinkat(tk, "loop", abi.AT_FDCWD, "/a/loop"))      // itself
	ok(t, Symlinkat(tk, "../..", abi.AT_FDCWD, "/a/b/up"))
	fileIno := stat(t, tk, "/a/b/f").Ino
	dirIno := stat(t, tk, "/a/b").Ino
	rootIno := stat(t, tk, "/").Ino
	tmpIno := stat(t, tk, "/tmp").Ino
	for _, c := range []struct {
		path   string
		follow bool
		ino    uint64
		err    abi.Errno
	}{
		{"/a/b/f", true, fileIno, 0},
		{"//a///b//f", true, fileIno, 0},
		{"/a/./b/../b/f", true, fileIno, 0},
		{"/../../a/b/f", true, fileIno, 0}, // ".." stops at the root
		{"/a/rel/f", true, fileIno, 0},
		{"/a/rel", true, dirIno, 0},
		{"/a/rel/", false, dirIno, 0}, // a trailing slash follows
		{"/a/abs", true, fileIno, 0},
		{"/a/b/up/a/b", true, dirIno, 0},
		{"/a/b/up", true, rootIno, 0},
		{"/tmp/..", true, rootIno, 0}, // up from a mount's root
		{"/tmp", true, tmpIno, 0},
		{"/a/b/f/", true, 0, abi.ENOTDIR},
		{"/a/b/f/x", true, 0, abi.ENOTDIR},
		{"/a/abs/", true, 0, abi.ENOTDIR},
		{"/a/missing", true, 0, abi.ENOENT},
		{"/a/missing/x", true, 0, abi.ENOENT},
		{"/a/dangle", true, 0, abi.ENOENT},
		{"/a/loop", true, 0, abi.ELOOP},
		{"/a/loop/x", false, 0, abi.ELOOP},
		{"", true, 0, abi.ENOENT},
		{"/a/" + strings.Repeat("n", 256), true, 0, abi.ENAMETOOLONG},
		{"/missing/" + strings.Repeat("n", 256), true, 0, abi.ENOENT},
		{"/" + strings.Repeat("a/", 2048), true, 0, abi.ENAMETOOLONG},
	} {
		n, err := tk.lookup(abi.AT_FDCWD, c.path, c.follow, false)
		if c.err != 0 {
			want(t, c.path, err, c.err)
			continue
		}
		if err != nil || n.ino != c.ino {
			t.Errorf("%q: %v %v, want ino %d", c.path, n, err, c.ino)
		}
	}
	// The symlink itself without following.
	if st := stat(t, tk, "/a/dangle"); st.Mode&abi.S_IFMT != abi.S_IFLNK || st.Size != 7 {
		t.Errorf("lstat of a link: %+v", st)
	}
	// A 255-byte name is fine.
	long := "/a/" + strings.Repeat("n", 255)
	writeFile(t, tk, long, "")
	if _, err := tk.lookup(abi.AT_FDCWD, long, true, false); err != nil {
		t.Errorf("255-byte name: %v", err)
	}
}

func TestSymlinkLimit(t *testing.T) {
	_, tk := newEnv(t)
	writeFile(t, tk, "/target", "t")
	prev := "target"
	for i := 1; i <= 41; i++ {
		name := "l" + itoa(uint64(i))
		ok(t, Symlinkat(tk, prev, abi.AT_FDCWD, "/"+name))
		prev = name
	}
	// l40 needs 40 links: allowed; l41 needs 41: ELOOP.
	if got := readFile(t, tk, "/l40"); got != "t" {
		t.Errorf("40 links: %q", got)
	}
	_, err := Openat(tk, abi.AT_FDCWD, "/l41", abi.O_RDONLY, 0)
	want(t, "41 links", err, abi.ELOOP)
}

func TestRelativeAndDirfd(t *testing.T) {
	_, tk := newEnv(t)
	mkdir(t, tk, "/d")
	mkdir(t, tk, "/d/e")
	writeFile(t, tk, "/d/e/f", "ef")
	ok(t, Chdir(tk, "/d"))
	if got := readFile(t, tk, "e/f"); got != "ef" {
		t.Errorf("relative to cwd: %q", got)
	}
	dfd, err := Openat(tk, abi.AT_FDCWD, "e", abi.O_RDONLY|abi.O_DIRECTORY, 0)
	ok(t, err)
	if fd, err := Openat(tk, dfd, "f", abi.O_RDONLY, 0); err != nil {
		t.Errorf("relative to dirfd: %v", err)
	} else {
		Close(tk, fd)
	}
	ffd, err := Openat(tk, dfd, "f", abi.O_RDONLY, 0)
	ok(t, err)
	_, err = Openat(tk, ffd, "x", abi.O_RDONLY, 0)
	want(t, "dirfd not a directory", err, abi.ENOTDIR)
	_, err = Openat(tk, 99, "x", abi.O_RDONLY, 0)
	want(t, "bad dirfd", err, abi.EBADF)
	if fd, err := Openat(tk, 99, "/d/e/f", abi.O_RDONLY, 0); err != nil {
		t.Errorf("absolute path ignores a bad dirfd: %v", err)
	} else {
		Close(tk, fd)
	}
	// AT_EMPTY_PATH: the descriptor's own file.
	st, err := Newfstatat(tk, ffd, "", abi.AT_EMPTY_PATH)
	ok(t, err)
	if st.Size != 2 {
		t.Errorf("AT_EMPTY_PATH stat: %+v", st)
	}
	_, err = Newfstatat(tk, ffd, "", 0)
	want(t, "empty path without AT_EMPTY_PATH", err, abi.ENOENT)
	_, err = Newfstatat(tk, ffd, "", 0x8000000)
	want(t, "unknown stat flag", err, abi.EINVAL)
	// getcwd follows.
	ok(t, Chdir(tk, "e"))
	if b, err := Getcwd(tk, 100); err != nil || string(b) != "/d/e\x00" {
		t.Errorf("getcwd %q %v", b, err)
	}
	_, err = Getcwd(tk, 4) // "/d/e" and its NUL need 5
	want(t, "getcwd too small", err, abi.ERANGE)
	ok(t, Chdir(tk, "/tmp"))
	if b, _ := Getcwd(tk, 100); string(b) != "/tmp\x00" {
		t.Errorf("getcwd in a mount: %q", b)
	}
	want(t, "chdir to a file", Chdir(tk, "/d/e/f"), abi.ENOTDIR)
	want(t, "fchdir to a file", Fchdir(tk, ffd), abi.ENOTDIR)
	ok(t, Fchdir(tk, dfd))
	if b, _ := Getcwd(tk, 100); string(b) != "/d/e\x00" {
		t.Errorf("getcwd after fchdir: %q", b)
	}
	// A removed cwd.
	ok(t, Unlinkat(tk, abi.AT_FDCWD, "/d/e/f", 0))
	ok(t, Unlinkat(tk, abi.AT_FDCWD, "/d/e", abi.AT_REMOVEDIR))
	_, err = Getcwd(tk, 100)
	want(t, "getcwd of a removed directory", err, abi.ENOENT)
	_, err = Openat(tk, abi.AT_FDCWD, "new", abi.O_CREAT|abi.O_WRONLY, 0o644)
	want(t, "create in a removed cwd", err, abi.ENOENT)
	want(t, "mkdir in a removed cwd", Mkdirat(tk, abi.AT_FDCWD, "x", 0o755), abi.ENOENT)
	if _, err := tk.lookup(abi.AT_FDCWD, "..", true, false); err != nil {
		t.Errorf(".. of a removed cwd: %v", err)
	}
	if old := Umask(tk, 0o077); old != 0o022 || Umask(tk, 0o7777) != 0o077 || Umask(tk, 0) != 0o777 {
		t.Errorf("umask")
	}
}

// FuzzResolve walks arbitrary paths through a small tree with links,
// loops and a mount: never a panic; every result is an Errno or an inode
// whose type agrees with a trailing slash.
func FuzzResolve(f *testing.F) {
	for _, s := range []string{"/a/b", "a/../../b/", "/l/l/l", "//tmp/../a/./c", "", "/", "x/" + strings.Repeat(".", 300), "/a/link/"} {
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, path string, follow bool) {
		_, tk := newEnv(t)
		mkdir(t, tk, "/a")
		mkdir(t, tk, "/a/b")
		writeFile(t, tk, "/a/c", "c")
		Symlinkat(tk, "/a", abi.AT_FDCWD, "/a/link")
		Symlinkat(tk, "l", abi.AT_FDCWD, "/l")
		Symlinkat(tk, "../tmp/x", abi.AT_FDCWD, "/a/b/t")
		ok(t, Chdir(tk, "/a/b"))
		n, err := tk.lookup(abi.AT_FDCWD, path, follow, false)
		if err != nil {
			if _, isErrno := err.(abi.Errno); !isErrno {
				t.Fatalf("%q: %T %v", path, err, err)
			}
			return
		}
		if strings.HasSuffix(path, "/") && !n.IsDir() {
			t.Fatalf("%q with a trailing slash resolved to a non-directory", path)
		}
		if follow && n.IsSymlink() {
			t.Fatalf("%q followed to a symlink", path)
		}
	})
}
