package fs

import (
	"testing"

	"retract/kernel/abi"
)

// relData counts releases of a MemData.
type relData struct {
	*MemData
	released *int
}

func (d relData) Release() { *d.released++ }

func TestReadWriteSeek(t *testing.T) {
	_, tk := newEnv(t)
	fd, err := Openat(tk, abi.AT_FDCWD, "/f", abi.O_CREAT|abi.O_RDWR, 0o644)
	ok(t, err)
	if n, err := Write(tk, fd, []byte("0123456789")); n != 10 || err != nil {
		t.Fatal(n, err)
	}
	if pos, _ := Lseek(tk, fd, 0, abi.SEEK_CUR); pos != 10 {
		t.Errorf("position after write: %d", pos)
	}
	b := make([]byte, 4)
	if n, _ := Pread64(tk, fd, b, 3); n != 4 || string(b) != "3456" {
		t.Errorf("pread %q", b)
	}
	if n, _ := Pread64(tk, fd, b, 8); n != 2 || string(b[:2]) != "89" {
		t.Errorf("short pread %d", n)
	}
	if n, _ := Pread64(tk, fd, b, 100); n != 0 {
		t.Errorf("pread past the end %d", n)
	}
	if pos, _ := Lseek(tk, fd, 0, abi.SEEK_CUR); pos != 10 {
		t.Errorf("pread moved the position: %d", pos)
	}
	_, err = Pread64(tk, fd, b, -1)
	want(t, "negative pread", err, abi.EINVAL)
	_, err = Pwrite64(tk, fd, b, -1)
	want(t, "negative pwrite", err, abi.EINVAL)
	if n, _ := Pwrite64(tk, fd, []byte("AB"), 20); n != 2 {
		t.Errorf("pwrite past the end")
	}
	st, _ := Fstat(tk, fd)
	if st.Size != 22 || st.Blksize != 4096 || st.Blocks != 8 {
		t.Errorf("stat after a hole: %+v", st)
	}
	all := make([]byte, 30)
	if n, _ := Pread64(tk, fd, all, 0); n != 22 || string(all[:22]) != "0123456789\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00AB" {
		t.Errorf("hole reads as zeros: %q", all[:n])
	}
	for _, c := range []struct {
		off    int64
		whence int
		pos    int64
		err    abi.Errno
	}{
		{5, abi.SEEK_SET, 5, 0}, {2, abi.SEEK_CUR, 7, 0}, {-2, abi.SEEK_END, 20, 0},
		{-30, abi.SEEK_CUR, 0, abi.EINVAL}, {0, 7, 0, abi.EINVAL}, {100, abi.SEEK_SET, 100, 0},
		{3, abi.SEEK_DATA, 3, 0}, {3, abi.SEEK_HOLE, 22, 0}, {22, abi.SEEK_DATA, 0, abi.ENXIO},
		{-1, abi.SEEK_SET, 0, abi.EINVAL}, {1 << 62, abi.SEEK_SET, 1 << 62, 0}, {1 << 62, abi.SEEK_CUR, 0, abi.EOVERFLOW},
	} {
		pos, err := Lseek(tk, fd, c.off, c.whence)
		if c.err != 0 {
			want(t, "lseek", err, c.err)
		} else if pos != c.pos || err != nil {
			t.Errorf("lseek(%d, %d) = %d %v, want %d", c.off, c.whence, pos, err, c.pos)
		}
	}
	// readv/writev.
	Lseek(tk, fd, 0, abi.SEEK_SET)
	v1, v2 := make([]byte, 3), make([]byte, 4)
	if n, _ := Readv(tk, fd, [][]byte{v1, v2}); n != 7 || string(v1) != "012" || string(v2) != "3456" {
		t.Errorf("readv %q %q", v1, v2)
	}
	if n, _ := Writev(tk, fd, [][]byte{[]byte("ab"), nil, []byte("c")}); n != 3 {
		t.Errorf("writev %d", n)
	}
	if n, _ := Preadv(tk, fd, [][]byte{v1}, 6); n != 3 || string(v1) != "6ab" {
		t.Errorf("preadv %q", v1)
	}
	if n, _ := Pwritev(tk, fd, [][]byte{[]byte("Z")}, 0); n != 1 {
		t.Errorf("pwritev")
	}
	_, err = Readv(tk, fd, make([][]byte, abi.IOV_MAX+1))
	want(t, "readv too many", err, abi.EINVAL)
	// O_APPEND writes at the end, also pwrite.
	afd, _ := Openat(tk, abi.AT_FDCWD, "/f", abi.O_WRONLY|abi.O_APPEND, 0)
	Write(tk, afd, []byte("!"))
	Pwrite64(tk, afd, []byte("?"), 0)
	if got := readFile(t, tk, "/f"); got[len(got)-2:] != "!?" || got[0] != 'Z' {
		t.Errorf("append: %q", got)
	}
	// Access modes.
	rfd, _ := Openat(tk, abi.AT_FDCWD, "/f", abi.O_RDONLY, 0)
	_, err = Write(tk, rfd, []byte("x"))
	want(t, "write on O_RDONLY", err, abi.EBADF)
	_, err = Read(tk, afd, b)
	want(t, "read on O_WRONLY", err, abi.EBADF)
	want(t, "ftruncate O_RDONLY", Ftruncate(tk, rfd, 0), abi.EINVAL)
	want(t, "ftruncate negative", Ftruncate(tk, afd, -1), abi.EINVAL)
	ok(t, Ftruncate(tk, afd, 3))
	if got := readFile(t, tk, "/f"); got != "Z12" {
		t.Errorf("ftruncate: %q", got)
	}
	ok(t, Truncate(tk, "/f", 5))
	if got := readFile(t, tk, "/f"); got != "Z12\x00\x00" {
		t.Errorf("truncate grow: %q", got)
	}
	want(t, "truncate a directory", Truncate(tk, "/tmp", 0), abi.EISDIR)
	want(t, "truncate a device", Truncate(tk, "/dev/null", 0), abi.EINVAL)
	ok(t, Fsync(tk, fd))
	_, err = Read(tk, 77, b)
	want(t, "read a closed fd", err, abi.EBADF)
	// Directories.
	dfd, _ := Openat(tk, abi.AT_FDCWD, "/tmp", abi.O_RDONLY, 0)
	_, err = Read(tk, dfd, b)
	want(t, "read a directory", err, abi.EISDIR)
	_, err = Pread64(tk, dfd, b, 0)
	want(t, "pread a directory", err, abi.EISDIR)
	_, err = Lseek(tk, dfd, 0, abi.SEEK_END)
	want(t, "SEEK_END on a directory", err, abi.EINVAL)
	ok(t, Fsync(tk, dfd))
	want(t, "ftruncate a directory", Ftruncate(tk, dfd, 0), abi.EINVAL)
	// FIONREAD on a regular file: bytes left after the position.
	Lseek(tk, rfd, 1, abi.SEEK_SET)
	arg := &memArg{buf: make([]byte, 4)}
	if _, err := Ioctl(tk, rfd, abi.FIONREAD, arg); err != nil || arg.buf[0] != 4 {
		t.Errorf("FIONREAD %v %v", arg.buf, err)
	}
	_, err = Ioctl(tk, rfd, abi.TCGETS, &memArg{buf: make([]byte, 36)})
	want(t, "TCGETS on a file (isatty)", err, abi.ENOTTY)
}

func TestTimes(t *testing.T) {
	_, tk := newEnv(t)
	writeFile(t, tk, "/f", "x")
	st := stat(t, tk, "/f")
	fd, _ := Openat(tk, abi.AT_FDCWD, "/f", abi.O_RDWR, 0)
	Write(tk, fd, []byte("y"))
	st2 := stat(t, tk, "/f")
	if !tsAfter(st2.Mtime, st.Mtime) || !tsAfter(st2.Ctime, st.Ctime) {
		t.Errorf("write did not update mtime/ctime")
	}
	Pread64(tk, fd, make([]byte, 1), 0)
	st3 := stat(t, tk, "/f")
	if !tsAfter(st3.Atime, st2.Atime) || st3.Mtime != st2.Mtime {
		t.Errorf("read: atime %v mtime %v", st3.Atime, st3.Mtime)
	}
	Pread64(tk, fd, make([]byte, 1), 0)
	if st4 := stat(t, tk, "/f"); st4.Atime != st3.Atime {
		t.Errorf("relatime: a second read moved atime")
	}
	sx, err := Statx(tk, abi.AT_FDCWD, "/f", 0, abi.STATX_SIZE)
	ok(t, err)
	if sx.Mask != abi.STATX_BASIC_STATS|abi.STATX_BTIME|abi.STATX_MNT_ID || sx.Size != 1 || sx.Btime != st.Ctime && sx.Btime.Sec > st.Ctime.Sec {
		t.Errorf("statx %+v", sx)
	}
	_, err = Statx(tk, abi.AT_FDCWD, "/f", 0, abi.STATX__RESERVED)
	want(t, "statx reserved", err, abi.EINVAL)
	_, err = Statx(tk, abi.AT_FDCWD, "/f", abi.AT_STATX_SYNC_TYPE, 0)
	want(t, "statx both syncs", err, abi.EINVAL)
}

func TestStatfsAndDevices(t *testing.T) {
	_, tk := newEnv(t)
	for path, magic := range map[string]int64{"/": abi.RAMFS_MAGIC, "/tmp": abi.TMPFS_MAGIC, "/dev": abi.TMPFS_MAGIC, "/dev/null": abi.TMPFS_MAGIC} {
		sf, err := Statfs(tk, path)
		if err != nil || sf.Type != magic || sf.Namelen != 255 || sf.Bsize != 4096 || sf.Flags&abi.ST_VALID == 0 {
			t.Errorf("statfs %s: %+v %v", path, sf, err)
		}
	}
	if stat(t, tk, "/").Dev == stat(t, tk, "/tmp").Dev || stat(t, tk, "/tmp").Dev == stat(t, tk, "/dev").Dev {
		t.Errorf("mounts share st_dev")
	}
	if st := stat(t, tk, "/dev/null"); st.Rdev != abi.Mkdev(1, 3) || st.Mode != abi.S_IFCHR|0o666 {
		t.Errorf("/dev/null %+v", st)
	}
	null, _ := Openat(tk, abi.AT_FDCWD, "/dev/null", abi.O_RDWR, 0)
	b := []byte("xyz")
	if n, err := Read(tk, null, b); n != 0 || err != nil {
		t.Errorf("read null %d %v", n, err)
	}
	if n, _ := Write(tk, null, b); n != 3 {
		t.Errorf("write null")
	}
	if pos, err := Lseek(tk, null, 100, abi.SEEK_SET); pos != 0 || err != nil {
		t.Errorf("lseek null %d %v", pos, err)
	}
	want(t, "fsync /dev/null", Fsync(tk, null), abi.EINVAL)
	zero, _ := Openat(tk, abi.AT_FDCWD, "/dev/zero", abi.O_RDONLY, 0)
	if n, _ := Read(tk, zero, b); n != 3 || string(b) != "\x00\x00\x00" {
		t.Errorf("zero")
	}
	full, _ := Openat(tk, abi.AT_FDCWD, "/dev/full", abi.O_RDWR, 0)
	_, err := Write(tk, full, b)
	want(t, "write full", err, abi.ENOSPC)
	ur, _ := Openat(tk, abi.AT_FDCWD, "/dev/urandom", abi.O_RDONLY, 0)
	if n, _ := Read(tk, ur, b); n != 3 || string(b) != "\x01\x08\x0f" {
		t.Errorf("urandom from the injected source: % x", b)
	}
	_, err = Openat(tk, abi.AT_FDCWD, "/dev/console", abi.O_RDWR, 0)
	want(t, "console without a TTY", err, abi.ENXIO)
	if got := names(t, tk, "/dev"); len(got) != 9 {
		t.Errorf("/dev lists %v", got)
	}
	// A VFS without a random source.
	v2 := New(nil)
	v2.RegisterMemoryDevices(nil)
	t2 := v2.NewTask()
	ok(t, v2.mkdirAll("/dev"))
	devfs := v2.NewDevfs()
	ok(t, v2.Mount("/dev", devfs))
	rfd, _ := Openat(t2, abi.AT_FDCWD, "/dev/random", abi.O_RDONLY, 0)
	_, err = Read(t2, rfd, b)
	want(t, "random without a source", err, abi.EIO)
	want(t, "mount a file system twice", v2.Mount("/tmp2", devfs), abi.ENOENT)
	ok(t, v2.mkdirAll("/tmp2"))
	want(t, "mount a file system twice", v2.Mount("/tmp2", devfs), abi.EBUSY)
	want(t, "mount the root", v2.Mount("/tmp2", v2.RootFS()), abi.EBUSY)
	want(t, "mount on a file", v2.Mount("/dev/null", v2.NewTmpfs()), abi.ENOTDIR)
	// Mounts stack, as on Linux: the newest hides the one below.
	ok(t, v2.Mount("/dev", v2.NewTmpfs()))
	if got := names(t, t2, "/dev"); len(got) != 2 {
		t.Errorf("stacked mount lists %v", got)
	}
}

func TestDataRelease(t *testing.T) {
	released := 0
	old := NewData
	NewData = func(string) Data { return relData{NewMemData(), &released} }
	defer func() { NewData = old }()
	_, tk := newEnv(t)
	writeFile(t, tk, "/f", "x")
	ok(t, Linkat(tk, abi.AT_FDCWD, "/f", abi.AT_FDCWD, "/g", 0))
	fd, _ := Openat(tk, abi.AT_FDCWD, "/f", abi.O_RDONLY, 0)
	fd2, _ := Dup(tk, fd)
	ok(t, Unlinkat(tk, abi.AT_FDCWD, "/f", 0))
	ok(t, Unlinkat(tk, abi.AT_FDCWD, "/g", 0))
	if released != 0 {
		t.Fatalf("released while open")
	}
	f, _ := tk.Files.Get(fd)
	if p := f.Path(); p != "/f (deleted)" {
		t.Errorf("Path of an unlinked file: %q", p)
	}
	ok(t, Close(tk, fd))
	if released != 0 {
		t.Fatalf("released with a dup open")
	}
	ok(t, Close(tk, fd2))
	if released != 0 {
		t.Fatalf("released with a reference held")
	}
	f.Put()
	if released != 1 {
		t.Fatalf("released %d times after the last close", released)
	}
	// A rename over a file releases the victim.
	writeFile(t, tk, "/a", "a")
	writeFile(t, tk, "/b", "b")
	ok(t, Renameat2(tk, abi.AT_FDCWD, "/a", abi.AT_FDCWD, "/b", 0))
	if released != 2 {
		t.Errorf("rename victim: released %d", released)
	}
}
