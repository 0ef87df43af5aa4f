package abi

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func u64(b []byte, off int) uint64 { return binary.LittleEndian.Uint64(b[off:]) }
func u32(b []byte, off int) uint32 { return binary.LittleEndian.Uint32(b[off:]) }
func u16(b []byte, off int) uint16 { return binary.LittleEndian.Uint16(b[off:]) }

func TestErrno(t *testing.T) {
	for _, c := range []struct {
		e    Errno
		n    uint64
		want string
	}{
		{ENOENT, 2, "ENOENT (no such file or directory)"},
		{EBADF, 9, "EBADF (bad file descriptor)"},
		{EAGAIN, 11, "EAGAIN (resource temporarily unavailable)"},
		{ENOTTY, 25, "ENOTTY (inappropriate ioctl for device)"},
		{ESPIPE, 29, "ESPIPE (illegal seek)"},
		{EPIPE, 32, "EPIPE (broken pipe)"},
		{ENAMETOOLONG, 36, "ENAMETOOLONG (file name too long)"},
		{ENOSYS, 38, "ENOSYS (function not implemented)"},
		{ENOTEMPTY, 39, "ENOTEMPTY (directory not empty)"},
		{ELOOP, 40, "ELOOP (too many levels of symbolic links)"},
		{EOVERFLOW, 75, "EOVERFLOW (value too large for defined data type)"},
		{EOPNOTSUPP, 95, "EOPNOTSUPP (operation not supported)"},
		{ERESTARTSYS, 512, "ERESTARTSYS (interrupted; restart if SA_RESTART)"},
		{Errno(999), 999, "errno 999"},
	} {
		if uint64(c.e) != c.n || c.e.Error() != c.want {
			t.Errorf("%d: %q, want %d %q", c.e, c.e.Error(), c.n, c.want)
		}
	}
	var err error = EEXIST
	if !errors.Is(err, EEXIST) || errors.Is(err, ENOENT) {
		t.Errorf("errors.Is on Errno")
	}
	if ToErrno(nil) != 0 || ToErrno(EXDEV) != EXDEV || ToErrno(fmt.Errorf("x")) != EIO {
		t.Errorf("ToErrno")
	}
	if !Interrupted(EINTR) || !Interrupted(ERESTARTSYS) || Interrupted(EAGAIN) || Interrupted(nil) {
		t.Errorf("Interrupted")
	}
	if EWOULDBLOCK != EAGAIN || ENOTSUP != EOPNOTSUPP || EDEADLOCK != EDEADLK {
		t.Errorf("aliases")
	}
	// Every named errno has a distinct name and a lower-case description.
	seen := map[string]bool{}
	for e, n := range errnoNames {
		if seen[n[0]] || !strings.HasPrefix(n[0], "E") || n[1] == "" || strings.ToLower(n[1][:1]) != n[1][:1] {
			t.Errorf("%d: %q", e, n)
		}
		seen[n[0]] = true
	}
}

func TestFlagValues(t *testing.T) {
	// Octal values from asm-generic/fcntl.h, as hex to cross-check.
	for _, c := range []struct {
		name      string
		got, want int
	}{
		{"O_CREAT", O_CREAT, 0x40}, {"O_EXCL", O_EXCL, 0x80}, {"O_TRUNC", O_TRUNC, 0x200},
		{"O_APPEND", O_APPEND, 0x400}, {"O_NONBLOCK", O_NONBLOCK, 0x800}, {"O_DIRECTORY", O_DIRECTORY, 0x10000},
		{"O_NOFOLLOW", O_NOFOLLOW, 0x20000}, {"O_CLOEXEC", O_CLOEXEC, 0x80000}, {"O_PATH", O_PATH, 0x200000},
		{"O_TMPFILE", O_TMPFILE, 0x410000}, {"O_LARGEFILE", O_LARGEFILE, 0x8000}, {"O_SYNC", O_SYNC, 0x101000},
		{"S_IFDIR", S_IFDIR, 0x4000}, {"S_IFLNK", S_IFLNK, 0xa000}, {"AT_FDCWD", AT_FDCWD, -100},
		{"F_DUPFD_CLOEXEC", F_DUPFD_CLOEXEC, 1030}, {"TCGETS", TCGETS, 0x5401}, {"FIONREAD", FIONREAD, 0x541b},
		{"EPOLLRDHUP", EPOLLRDHUP, 0x2000}, {"STATX_BASIC_STATS", STATX_BASIC_STATS, 0x7ff},
	} {
		if c.got != c.want {
			t.Errorf("%s = %#x, want %#x", c.name, c.got, c.want)
		}
	}
	if EPOLLET != 0x80000000 || EPOLLONESHOT != 0x40000000 {
		t.Errorf("EPOLLET %#x EPOLLONESHOT %#x", uint32(EPOLLET), EPOLLONESHOT)
	}
	for mode, dt := range map[uint32]uint8{S_IFREG | 0o644: DT_REG, S_IFDIR: DT_DIR, S_IFLNK: DT_LNK, S_IFCHR: DT_CHR, S_IFIFO: DT_FIFO, S_IFSOCK: DT_SOCK, S_IFBLK: DT_BLK} {
		if DirentType(mode) != dt {
			t.Errorf("DirentType(%#o) = %d, want %d", mode, DirentType(mode), dt)
		}
	}
}

func TestMkdev(t *testing.T) {
	for _, c := range []struct {
		maj, min uint32
		want     uint64
	}{
		{1, 3, 0x103}, {5, 1, 0x501}, {0, 0, 0}, {136, 0x12345, 0x12308845}, {0xfff, 0xff, 0xfffff},
	} {
		got := Mkdev(c.maj, c.min)
		if got != c.want || Major(got) != c.maj || Minor(got) != c.min {
			t.Errorf("Mkdev(%d, %#x) = %#x (%d, %#x), want %#x", c.maj, c.min, got, Major(got), Minor(got), c.want)
		}
	}
}

func TestStatLayout(t *testing.T) {
	st := Stat{Dev: 0x0102030405060708, Ino: 11, Nlink: 12, Mode: S_IFREG | 0o644, UID: 13, GID: 14, Rdev: 15,
		Size: 16, Blksize: 4096, Blocks: 18, Atime: Timespec{19, 20}, Mtime: Timespec{21, 22}, Ctime: Timespec{23, 24}}
	b := st.Encode()
	if len(b) != 144 {
		t.Fatalf("len %d", len(b))
	}
	want64 := map[int]uint64{0: 0x0102030405060708, 8: 11, 16: 12, 40: 15, 48: 16, 56: 4096, 64: 18, 72: 19, 80: 20, 88: 21, 96: 22, 104: 23, 112: 24, 120: 0, 128: 0, 136: 0}
	for off, w := range want64 {
		if u64(b, off) != w {
			t.Errorf("offset %d: %#x, want %#x", off, u64(b, off), w)
		}
	}
	if u32(b, 24) != S_IFREG|0o644 || u32(b, 28) != 13 || u32(b, 32) != 14 || u32(b, 36) != 0 {
		t.Errorf("mode/uid/gid/pad: % x", b[24:40])
	}
	if b[0] != 0x08 || b[7] != 0x01 {
		t.Errorf("not little endian: % x", b[:8])
	}
}

func TestStatxLayout(t *testing.T) {
	sx := Statx{Mask: STATX_BASIC_STATS | STATX_MNT_ID, Blksize: 4096, Attributes: 0x33, Nlink: 2, UID: 5, GID: 6,
		Mode: S_IFDIR | 0o755, Ino: 77, Size: 88, Blocks: 99, AttributesMask: 0x44,
		Atime: Timespec{1, 2}, Btime: Timespec{3, 4}, Ctime: Timespec{5, 6}, Mtime: Timespec{7, 8},
		RdevMajor: 9, RdevMinor: 10, DevMajor: 11, DevMinor: 12, MntID: 13}
	b := sx.Encode()
	if len(b) != 256 {
		t.Fatalf("len %d", len(b))
	}
	checks := []struct {
		off  int
		size int
		want uint64
	}{
		{0, 4, 0x17ff}, {4, 4, 4096}, {8, 8, 0x33}, {16, 4, 2}, {20, 4, 5}, {24, 4, 6}, {28, 2, S_IFDIR | 0o755},
		{30, 2, 0}, {32, 8, 77}, {40, 8, 88}, {48, 8, 99}, {56, 8, 0x44},
		{64, 8, 1}, {72, 4, 2}, {76, 4, 0}, {80, 8, 3}, {88, 4, 4}, {96, 8, 5}, {104, 4, 6}, {112, 8, 7}, {120, 4, 8},
		{128, 4, 9}, {132, 4, 10}, {136, 4, 11}, {140, 4, 12}, {144, 8, 13}, {152, 8, 0},
	}
	for _, c := range checks {
		var got uint64
		switch c.size {
		case 2:
			got = uint64(u16(b, c.off))
		case 4:
			got = uint64(u32(b, c.off))
		default:
			got = u64(b, c.off)
		}
		if got != c.want {
			t.Errorf("offset %d: %d, want %d", c.off, got, c.want)
		}
	}
	for i := 160; i < 256; i++ {
		if b[i] != 0 {
			t.Fatalf("spare byte %d = %#x", i, b[i])
		}
	}
}

func TestStatfsLayout(t *testing.T) {
	sf := Statfs{Type: TMPFS_MAGIC, Bsize: 4096, Blocks: 3, Bfree: 4, Bavail: 5, Files: 6, Ffree: 7, Fsid: [2]int32{8, -1}, Namelen: 255, Frsize: 4096, Flags: ST_VALID | ST_NOSUID}
	b := sf.Encode()
	if len(b) != 120 {
		t.Fatalf("len %d", len(b))
	}
	for off, w := range map[int]uint64{0: 0x01021994, 8: 4096, 16: 3, 24: 4, 32: 5, 40: 6, 48: 7, 64: 255, 72: 4096, 80: 0x22, 88: 0, 112: 0} {
		if u64(b, off) != w {
			t.Errorf("offset %d: %#x, want %#x", off, u64(b, off), w)
		}
	}
	if u32(b, 56) != 8 || u32(b, 60) != 0xffffffff {
		t.Errorf("fsid % x", b[56:64])
	}
	if RAMFS_MAGIC != 0x858458f6 || PROC_SUPER_MAGIC != 0x9fa0 || DEVPTS_SUPER_MAGIC != 0x1cd1 {
		t.Errorf("magics")
	}
}

func TestDirent64(t *testing.T) {
	// 19 + len + 1 rounded up to 8.
	for name, n := range map[string]int{"": 24, "a": 24, "abcd": 24, "abcde": 32, "0123456789ab": 32, "0123456789abc": 40} {
		if Dirent64Len(name) != n {
			t.Errorf("Dirent64Len(%q) = %d, want %d", name, Dirent64Len(name), n)
		}
	}
	b := AppendDirent64(nil, Dirent64{Ino: 0x1122, Off: 3, Type: DT_DIR, Name: "."})
	b = AppendDirent64(b, Dirent64{Ino: 7, Off: 1 << 40, Type: DT_REG, Name: "hello.txt"})
	if len(b) != 24+32 {
		t.Fatalf("len %d", len(b))
	}
	if u64(b, 0) != 0x1122 || u64(b, 8) != 3 || u16(b, 16) != 24 || b[18] != DT_DIR || b[19] != '.' || b[20] != 0 {
		t.Errorf("first record % x", b[:24])
	}
	r := b[24:]
	if u64(r, 0) != 7 || u64(r, 8) != 1<<40 || u16(r, 16) != 32 || r[18] != DT_REG || string(r[19:28]) != "hello.txt" || r[28] != 0 {
		t.Errorf("second record % x", r)
	}
	ds, err := ParseDirents64(b)
	if err != nil || len(ds) != 2 || ds[1].Name != "hello.txt" || ds[0].Off != 3 {
		t.Errorf("parse: %+v %v", ds, err)
	}
	for _, bad := range [][]byte{b[:10], b[:20], append(append([]byte{}, b[:16]...), 25, 0, 0, 'x', 0, 0, 0, 0, 0)} {
		if _, err := ParseDirents64(bad); err != EINVAL {
			t.Errorf("bad buffer % x: %v", bad, err)
		}
	}
	noNUL := AppendDirent64(nil, Dirent64{Name: "abcd"})
	copy(noNUL[19:], "abcdX")
	if _, err := ParseDirents64(noNUL); err != EINVAL {
		t.Errorf("name without NUL: %v", err)
	}
}

func TestTermios(t *testing.T) {
	d := DefaultTermios()
	b := d.Encode()
	if len(b) != 36 {
		t.Fatalf("len %d", len(b))
	}
	// Linux's tty_std_termios: iflag 0x500, oflag 0x5, cflag 0x4bf, lflag 0x8a3b.
	if u32(b, 0) != 0x500 || u32(b, 4) != 0x5 || u32(b, 8) != 0x4bf || u32(b, 12) != 0x8a3b || b[16] != 0 {
		t.Errorf("flags % x", b[:17])
	}
	wantCC := []byte{3, 0x1c, 0x7f, 0x15, 4, 0, 1, 0, 0x11, 0x13, 0x1a, 0, 0x12, 0x0f, 0x17, 0x16, 0, 0, 0}
	if string(b[17:]) != string(wantCC) {
		t.Errorf("c_cc % x, want % x", b[17:], wantCC)
	}
	d.Lflag &^= ICANON | ECHO
	d.Cc[VMIN], d.Cc[VTIME] = 0, 5
	back, err := DecodeTermios(d.Encode())
	if err != nil || back != d {
		t.Errorf("round trip: %+v %v", back, err)
	}
	if _, err := DecodeTermios(b[:35]); err != EFAULT {
		t.Errorf("short termios: %v", err)
	}
	w := Winsize{Row: 24, Col: 80, Xpixel: 1, Ypixel: 2}
	wb := w.Encode()
	if string(wb) != "\x18\x00\x50\x00\x01\x00\x02\x00" {
		t.Errorf("winsize % x", wb)
	}
	if w2, err := DecodeWinsize(wb); err != nil || w2 != w {
		t.Errorf("winsize round trip %+v %v", w2, err)
	}
	if _, err := DecodeWinsize(wb[:7]); err != EFAULT {
		t.Errorf("short winsize: %v", err)
	}
}

func TestTime(t *testing.T) {
	ts := Timespec{Sec: 0x11223344, Nsec: 999999999}
	b := ts.Encode()
	if len(b) != 16 || u64(b, 0) != 0x11223344 || u64(b, 8) != 999999999 {
		t.Errorf("timespec % x", b)
	}
	if got, err := DecodeTimespec(b); err != nil || got != ts {
		t.Errorf("decode %v %v", got, err)
	}
	for _, bad := range []Timespec{{0, 1e9}, {0, -1}, {-1, 0}} {
		if _, err := DecodeTimespec(bad.Encode()); err != EINVAL {
			t.Errorf("%+v: %v", bad, err)
		}
	}
	if _, err := DecodeTimespec(b[:15]); err != EFAULT {
		t.Errorf("short: %v", err)
	}
	for _, ok := range []Timespec{{5, UTIME_NOW}, {-3, UTIME_OMIT}, {1, 5}} {
		if _, err := DecodeTimespecUtime(ok.Encode()); err != nil {
			t.Errorf("utime %+v: %v", ok, err)
		}
	}
	if _, err := DecodeTimespecUtime(Timespec{0, 1e9}.Encode()); err != EINVAL {
		t.Errorf("utime 1e9 accepted")
	}
	tv := Timeval{Sec: 7, Usec: 999999}
	if got, err := DecodeTimeval(tv.Encode()); err != nil || got != tv || u64(tv.Encode(), 8) != 999999 {
		t.Errorf("timeval %v %v", got, err)
	}
	if _, err := DecodeTimeval(Timeval{0, 1e6}.Encode()); err != EINVAL {
		t.Errorf("usec 1e6 accepted")
	}
}

func TestPollStructs(t *testing.T) {
	fds := []PollFd{{Fd: 3, Events: POLLIN, Revents: 0}, {Fd: -1, Events: POLLOUT | POLLIN, Revents: POLLHUP}}
	b := EncodePollFds(fds)
	if len(b) != 16 || u32(b, 0) != 3 || u16(b, 4) != 1 || u32(b, 8) != 0xffffffff || u16(b, 12) != 5 || u16(b, 14) != 0x10 {
		t.Errorf("pollfd % x", b)
	}
	back, err := DecodePollFds(b)
	if err != nil || len(back) != 2 || back[1] != fds[1] {
		t.Errorf("decode %v %v", back, err)
	}
	if _, err := DecodePollFds(b[:7]); err != EFAULT {
		t.Errorf("short pollfds: %v", err)
	}
	e := EpollEvent{Events: EPOLLIN | EPOLLET, Data: 0x0102030405060708}
	eb := e.Encode()
	if len(eb) != 12 || u32(eb, 0) != 0x80000001 || u64(eb, 4) != 0x0102030405060708 {
		t.Errorf("epoll_event % x", eb)
	}
	if got, err := DecodeEpollEvent(eb); err != nil || got != e {
		t.Errorf("decode %v %v", got, err)
	}
	if _, err := DecodeEpollEvent(eb[:11]); err != EFAULT {
		t.Errorf("short event: %v", err)
	}
	if all := EncodeEpollEvents([]EpollEvent{e, {Events: 4, Data: 9}}); len(all) != 24 || u32(all, 12) != 4 || u64(all, 16) != 9 {
		t.Errorf("packed array % x", all)
	}
}
