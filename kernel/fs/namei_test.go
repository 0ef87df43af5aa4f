package fs

import (
	"testing"

	"retract/kernel/abi"
)

func TestMkdirUnlink(t *testing.T) {
	_, tk := newEnv(t)
	mkdir(t, tk, "/d")
	writeFile(t, tk, "/d/f", "x")
	rootLinks := stat(t, tk, "/").Nlink
	for _, c := range []struct {
		what string
		err  error
		want abi.Errno
	}{
		{"mkdir existing", Mkdirat(tk, abi.AT_FDCWD, "/d", 0o755), abi.EEXIST},
		{"mkdir over a file", Mkdirat(tk, abi.AT_FDCWD, "/d/f", 0o755), abi.EEXIST},
		{"mkdir /", Mkdirat(tk, abi.AT_FDCWD, "/", 0o755), abi.EEXIST},
		{"mkdir .", Mkdirat(tk, abi.AT_FDCWD, "/d/.", 0o755), abi.EEXIST},
		{"mkdir no parent", Mkdirat(tk, abi.AT_FDCWD, "/nope/x", 0o755), abi.ENOENT},
		{"mkdir under a file", Mkdirat(tk, abi.AT_FDCWD, "/d/f/x", 0o755), abi.ENOTDIR},
		{"mkdir trailing slash", Mkdirat(tk, abi.AT_FDCWD, "/d/sub/", 0o755), 0},
		{"unlink a directory", Unlinkat(tk, abi.AT_FDCWD, "/d/sub", 0), abi.EISDIR},
		{"rmdir a file", Unlinkat(tk, abi.AT_FDCWD, "/d/f", abi.AT_REMOVEDIR), abi.ENOTDIR},
		{"rmdir non-empty", Unlinkat(tk, abi.AT_FDCWD, "/d", abi.AT_REMOVEDIR), abi.ENOTEMPTY},
		{"rmdir .", Unlinkat(tk, abi.AT_FDCWD, "/d/.", abi.AT_REMOVEDIR), abi.EINVAL},
		{"rmdir ..", Unlinkat(tk, abi.AT_FDCWD, "/d/..", abi.AT_REMOVEDIR), abi.ENOTEMPTY},
		{"rmdir /", Unlinkat(tk, abi.AT_FDCWD, "/", abi.AT_REMOVEDIR), abi.EBUSY},
		{"rmdir a mount point", Unlinkat(tk, abi.AT_FDCWD, "/tmp", abi.AT_REMOVEDIR), abi.EBUSY},
		{"unlink .", Unlinkat(tk, abi.AT_FDCWD, "/d/.", 0), abi.EISDIR},
		{"unlink file/", Unlinkat(tk, abi.AT_FDCWD, "/d/f/", 0), abi.ENOTDIR},
		{"unlink missing", Unlinkat(tk, abi.AT_FDCWD, "/d/none", 0), abi.ENOENT},
		{"unlinkat bad flag", Unlinkat(tk, abi.AT_FDCWD, "/d/f", 1), abi.EINVAL},
	} {
		want(t, c.what, c.err, c.want)
	}
	if st := stat(t, tk, "/d"); st.Nlink != 3 || st.Mode != abi.S_IFDIR|0o755 {
		t.Errorf("/d with one subdirectory: nlink %d mode %#o", st.Nlink, st.Mode)
	}
	if stat(t, tk, "/").Nlink != rootLinks {
		t.Errorf("root's nlink moved")
	}
	before := stat(t, tk, "/d").Mtime
	ok(t, Unlinkat(tk, abi.AT_FDCWD, "/d/sub", abi.AT_REMOVEDIR))
	ok(t, Unlinkat(tk, abi.AT_FDCWD, "/d/f", 0))
	st := stat(t, tk, "/d")
	if st.Nlink != 2 || st.Size != 40 || !tsAfter(st.Mtime, before) {
		t.Errorf("/d emptied: %+v", st)
	}
	ok(t, Unlinkat(tk, abi.AT_FDCWD, "/d", abi.AT_REMOVEDIR))
	// umask applies to mkdir.
	Umask(tk, 0o027)
	ok(t, Mkdirat(tk, abi.AT_FDCWD, "/m", 0o1777))
	if st := stat(t, tk, "/m"); st.Mode != abi.S_IFDIR|0o1750 {
		t.Errorf("mode %#o", st.Mode)
	}
}

func TestRename(t *testing.T) {
	_, tk := newEnv(t)
	mkdir(t, tk, "/a")
	mkdir(t, tk, "/a/sub")
	mkdir(t, tk, "/b")
	mkdir(t, tk, "/full")
	writeFile(t, tk, "/full/x", "x")
	writeFile(t, tk, "/a/f", "F")
	writeFile(t, tk, "/b/g", "G")
	r := func(o, n string, flags uint32) error {
		return Renameat2(tk, abi.AT_FDCWD, o, abi.AT_FDCWD, n, flags)
	}
	for _, c := range []struct {
		what string
		err  error
		want abi.Errno
	}{
		{"missing source", r("/a/none", "/b/x", 0), abi.ENOENT},
		{"across mounts", r("/a/f", "/tmp/f", 0), abi.EXDEV},
		{"dir into itself", r("/a", "/a/sub/a", 0), abi.EINVAL},
		{"dir onto itself's child", r("/a", "/a/sub", 0), abi.EINVAL},
		{"onto an ancestor", r("/a/sub", "/a", 0), abi.ENOTEMPTY},
		{"dir over file", r("/a/sub", "/b/g", 0), abi.ENOTDIR},
		{"file over dir", r("/a/f", "/b", 0), abi.EISDIR},
		{"dir over non-empty dir", r("/a/sub", "/full", 0), abi.ENOTEMPTY},
		{"noreplace", r("/a/f", "/b/g", abi.RENAME_NOREPLACE), abi.EEXIST},
		{"exchange with missing", r("/a/f", "/b/none", abi.RENAME_EXCHANGE), abi.ENOENT},
		{"noreplace|exchange", r("/a/f", "/b/g", abi.RENAME_NOREPLACE|abi.RENAME_EXCHANGE), abi.EINVAL},
		{"whiteout", r("/a/f", "/b/x", abi.RENAME_WHITEOUT), abi.EINVAL},
		{"unknown flag", r("/a/f", "/b/x", 8), abi.EINVAL},
		{"source .", r("/a/.", "/b/x", 0), abi.EBUSY},
		{"target ..", r("/a/f", "/b/..", 0), abi.EBUSY},
		{"target .. noreplace", r("/a/f", "/b/..", abi.RENAME_NOREPLACE), abi.EEXIST},
		{"file with trailing slash", r("/a/f/", "/b/x", 0), abi.ENOTDIR},
		{"to trailing slash", r("/a/f", "/b/x/", 0), abi.ENOTDIR},
		{"mount point", r("/tmp", "/tmp2", 0), abi.EBUSY},
		{"root", r("/", "/x", 0), abi.EBUSY},
	} {
		want(t, c.what, c.err, c.want)
	}
	// A file moves, replacing another.
	gIno := stat(t, tk, "/b/g").Ino
	ok(t, r("/a/f", "/b/g", 0))
	if readFile(t, tk, "/b/g") != "F" || stat(t, tk, "/b/g").Ino == gIno {
		t.Errorf("replace")
	}
	_, err := Newfstatat(tk, abi.AT_FDCWD, "/a/f", 0)
	want(t, "old name", err, abi.ENOENT)
	// A directory moves: link counts and "..".
	ok(t, r("/a/sub", "/b/moved", 0))
	if stat(t, tk, "/a").Nlink != 2 || stat(t, tk, "/b").Nlink != 3 {
		t.Errorf("nlink after a directory move: a %d b %d", stat(t, tk, "/a").Nlink, stat(t, tk, "/b").Nlink)
	}
	if st, _ := Newfstatat(tk, abi.AT_FDCWD, "/b/moved/..", 0); st.Ino != stat(t, tk, "/b").Ino {
		t.Errorf(".. of a moved directory")
	}
	ok(t, Chdir(tk, "/b/moved"))
	if b, _ := Getcwd(tk, 100); string(b) != "/b/moved\x00" {
		t.Errorf("cwd after the move: %q", b)
	}
	// A directory over an empty one; with a trailing slash.
	mkdir(t, tk, "/empty")
	ok(t, r("/b/moved/", "/empty/", 0))
	if b, _ := Getcwd(tk, 100); string(b) != "/empty\x00" {
		t.Errorf("cwd after replacing: %q", b)
	}
	// Exchange a file and a directory.
	writeFile(t, tk, "/a/file", "1")
	ok(t, r("/a/file", "/empty", abi.RENAME_EXCHANGE))
	if !isDir(stat(t, tk, "/a/file")) || stat(t, tk, "/empty").Mode&abi.S_IFMT != abi.S_IFREG {
		t.Errorf("exchange")
	}
	if b, _ := Getcwd(tk, 100); string(b) != "/a/file\x00" {
		t.Errorf("cwd after exchange: %q", b)
	}
	// Same inode: nothing happens.
	writeFile(t, tk, "/h1", "h")
	ok(t, Linkat(tk, abi.AT_FDCWD, "/h1", abi.AT_FDCWD, "/h2", 0))
	ok(t, r("/h1", "/h2", 0))
	if stat(t, tk, "/h1").Nlink != 2 {
		t.Errorf("rename of a hard link onto itself changed something")
	}
	// Within a directory, the entry keeps a single listing.
	ok(t, r("/h1", "/h3", 0))
	n := 0
	for _, s := range names(t, tk, "/") {
		if s == "h1" || s == "h3" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("after rename / lists h1/h3 %d times", n)
	}
}

func isDir(st abi.Stat) bool { return st.Mode&abi.S_IFMT == abi.S_IFDIR }

func TestLinkSymlinkReadlink(t *testing.T) {
	_, tk := newEnv(t)
	writeFile(t, tk, "/f", "data")
	mkdir(t, tk, "/d")
	ok(t, Linkat(tk, abi.AT_FDCWD, "/f", abi.AT_FDCWD, "/d/g", 0))
	if st := stat(t, tk, "/f"); st.Nlink != 2 || stat(t, tk, "/d/g").Ino != st.Ino {
		t.Errorf("hard link: %+v", st)
	}
	for _, c := range []struct {
		what string
		err  error
		want abi.Errno
	}{
		{"link a directory", Linkat(tk, abi.AT_FDCWD, "/d", abi.AT_FDCWD, "/d2", 0), abi.EPERM},
		{"link across mounts", Linkat(tk, abi.AT_FDCWD, "/f", abi.AT_FDCWD, "/tmp/f", 0), abi.EXDEV},
		{"link onto existing", Linkat(tk, abi.AT_FDCWD, "/f", abi.AT_FDCWD, "/d/g", 0), abi.EEXIST},
		{"link missing", Linkat(tk, abi.AT_FDCWD, "/none", abi.AT_FDCWD, "/x", 0), abi.ENOENT},
		{"link bad flags", Linkat(tk, abi.AT_FDCWD, "/f", abi.AT_FDCWD, "/x", 1), abi.EINVAL},
		{"link to trailing slash", Linkat(tk, abi.AT_FDCWD, "/f", abi.AT_FDCWD, "/x/", 0), abi.ENOENT},
		{"symlink empty target", Symlinkat(tk, "", abi.AT_FDCWD, "/l"), abi.ENOENT},
		{"symlink onto existing", Symlinkat(tk, "f", abi.AT_FDCWD, "/f"), abi.EEXIST},
		{"symlink trailing slash", Symlinkat(tk, "f", abi.AT_FDCWD, "/l/"), abi.ENOENT},
		{"mknod dir", Mknodat(tk, abi.AT_FDCWD, "/n", abi.S_IFDIR|0o755, 0), abi.EPERM},
		{"mknod bad type", Mknodat(tk, abi.AT_FDCWD, "/n", 0o170000, 0), abi.EINVAL},
	} {
		want(t, c.what, c.err, c.want)
	}
	ok(t, Symlinkat(tk, "f", abi.AT_FDCWD, "/l"))
	// linkat without AT_SYMLINK_FOLLOW links the symlink itself.
	ok(t, Linkat(tk, abi.AT_FDCWD, "/l", abi.AT_FDCWD, "/l2", 0))
	if stat(t, tk, "/l2").Mode&abi.S_IFMT != abi.S_IFLNK {
		t.Errorf("linkat followed the link")
	}
	ok(t, Linkat(tk, abi.AT_FDCWD, "/l", abi.AT_FDCWD, "/l3", abi.AT_SYMLINK_FOLLOW))
	if stat(t, tk, "/l3").Ino != stat(t, tk, "/f").Ino {
		t.Errorf("AT_SYMLINK_FOLLOW did not follow")
	}
	if b, err := Readlinkat(tk, abi.AT_FDCWD, "/l", 100); err != nil || string(b) != "f" {
		t.Errorf("readlink %q %v", b, err)
	}
	ok(t, Symlinkat(tk, "a-longer-target", abi.AT_FDCWD, "/long"))
	if b, _ := Readlinkat(tk, abi.AT_FDCWD, "/long", 4); string(b) != "a-lo" {
		t.Errorf("readlink truncates: %q", b)
	}
	_, err := Readlinkat(tk, abi.AT_FDCWD, "/f", 100)
	want(t, "readlink of a file", err, abi.EINVAL)
	_, err = Readlinkat(tk, abi.AT_FDCWD, "/l", 0)
	want(t, "readlink size 0", err, abi.EINVAL)
	fd, err := Openat(tk, abi.AT_FDCWD, "/l", abi.O_PATH|abi.O_NOFOLLOW, 0)
	ok(t, err)
	if b, err := Readlinkat(tk, fd, "", 100); err != nil || string(b) != "f" {
		t.Errorf("readlink of an O_PATH link: %q %v", b, err)
	}
	_, err = Readlinkat(tk, abi.AT_FDCWD, "", 100)
	want(t, "readlink of the cwd", err, abi.ENOENT)
	// A FIFO, a socket node and an unknown device.
	ok(t, Mknodat(tk, abi.AT_FDCWD, "/fifo", abi.S_IFIFO|0o644, 0))
	ok(t, Mknodat(tk, abi.AT_FDCWD, "/sock", abi.S_IFSOCK|0o644, 0))
	ok(t, Mknodat(tk, abi.AT_FDCWD, "/chr", abi.S_IFCHR|0o644, abi.Mkdev(42, 7)))
	ok(t, Mknodat(tk, abi.AT_FDCWD, "/reg", 0o644, 0))
	if st := stat(t, tk, "/chr"); st.Rdev != abi.Mkdev(42, 7) || st.Mode != abi.S_IFCHR|0o644 {
		t.Errorf("char node %+v", st)
	}
	if st := stat(t, tk, "/reg"); st.Mode != abi.S_IFREG|0o644 {
		t.Errorf("mknod type 0: %#o", st.Mode)
	}
	_, err = Openat(tk, abi.AT_FDCWD, "/sock", abi.O_RDONLY, 0)
	want(t, "open a socket node", err, abi.ENXIO)
	_, err = Openat(tk, abi.AT_FDCWD, "/chr", abi.O_RDONLY, 0)
	want(t, "open a device without a driver", err, abi.ENXIO)
}

func TestAccessAndAttributes(t *testing.T) {
	_, tk := newEnv(t)
	writeFile(t, tk, "/f", "x")
	mkdir(t, tk, "/d")
	ok(t, Faccessat2(tk, abi.AT_FDCWD, "/f", abi.R_OK|abi.W_OK, 0))
	want(t, "X on 0644", Faccessat2(tk, abi.AT_FDCWD, "/f", abi.X_OK, 0), abi.EACCES)
	ok(t, Faccessat2(tk, abi.AT_FDCWD, "/d", abi.X_OK, 0))
	want(t, "bad mode", Faccessat2(tk, abi.AT_FDCWD, "/f", 8, 0), abi.EINVAL)
	want(t, "bad flags", Faccessat2(tk, abi.AT_FDCWD, "/f", 0, 1), abi.EINVAL)
	want(t, "missing", Faccessat2(tk, abi.AT_FDCWD, "/none", 0, 0), abi.ENOENT)
	ok(t, Fchmodat(tk, abi.AT_FDCWD, "/f", 0o4755))
	ok(t, Faccessat2(tk, abi.AT_FDCWD, "/f", abi.X_OK, 0))
	if st := stat(t, tk, "/f"); st.Mode != abi.S_IFREG|0o4755 {
		t.Errorf("chmod: %#o", st.Mode)
	}
	ctime := stat(t, tk, "/f").Ctime
	ok(t, Fchownat(tk, abi.AT_FDCWD, "/f", 5, ^uint32(0), 0))
	st := stat(t, tk, "/f")
	if st.UID != 5 || st.GID != 0 || st.Mode != abi.S_IFREG|0o755 || !tsAfter(st.Ctime, ctime) {
		t.Errorf("chown (setuid cleared): %+v", st)
	}
	want(t, "chown bad flags", Fchownat(tk, abi.AT_FDCWD, "/f", 0, 0, 1), abi.EINVAL)
	ok(t, Utimensat(tk, abi.AT_FDCWD, "/f", &[2]abi.Timespec{{Sec: 7, Nsec: 8}, {Sec: 9, Nsec: abi.UTIME_OMIT}}, 0))
	st2 := stat(t, tk, "/f")
	if st2.Atime != (abi.Timespec{Sec: 7, Nsec: 8}) || st2.Mtime != st.Mtime {
		t.Errorf("utimensat: %+v", st2)
	}
	want(t, "utimensat bad nsec", Utimensat(tk, abi.AT_FDCWD, "/f", &[2]abi.Timespec{{Nsec: 1e9}, {}}, 0), abi.EINVAL)
	want(t, "utimensat bad flags", Utimensat(tk, abi.AT_FDCWD, "/f", nil, 2), abi.EINVAL)
	ok(t, Utimensat(tk, abi.AT_FDCWD, "/f", nil, 0))
	if st3 := stat(t, tk, "/f"); !tsAfter(st3.Mtime, st2.Mtime) {
		t.Errorf("utimensat(NULL) did not set now")
	}
	fd, _ := Openat(tk, abi.AT_FDCWD, "/f", abi.O_RDONLY, 0)
	ok(t, Fchmod(tk, fd, 0o600))
	ok(t, Fchown(tk, fd, 1, 2))
	ok(t, Futimens(tk, fd, nil))
	if st := stat(t, tk, "/f"); st.Mode != abi.S_IFREG|0o600 || st.UID != 1 || st.GID != 2 {
		t.Errorf("f-variants: %+v", st)
	}
	pfd, _ := Openat(tk, abi.AT_FDCWD, "/f", abi.O_PATH, 0)
	want(t, "fchmod on O_PATH", Fchmod(tk, pfd, 0o644), abi.EBADF)
}
