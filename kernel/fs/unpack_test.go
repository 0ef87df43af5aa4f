package fs

import (
	"bytes"
	"compress/gzip"
	"errors"
	"strings"
	"testing"

	"retract/kernel/abi"
	"retract/kernel/fs/cpio"
)

func archive(t testing.TB, fn func(w *cpio.Writer)) []byte {
	var b bytes.Buffer
	w := cpio.NewWriter(&b)
	fn(w)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestUnpack(t *testing.T) {
	a := archive(t, func(w *cpio.Writer) {
		w.Dir("bin", 0o755)
		w.File("bin/hello", 0o755, []byte("#!/bin/sh\necho hi\n"))
		w.File("deep/er/file", 0o600, []byte("x")) // parents made as needed
		w.Symlink("init", "/bin/hello")
		w.Add(cpio.Header{Name: "dev/null", Mode: cpio.TypeChar | 0o666, RdevMajor: 1, RdevMinor: 3}, nil)
		w.Add(cpio.Header{Name: "fifo", Mode: cpio.TypeFIFO | 0o644}, nil)
		w.Add(cpio.Header{Name: "./etc/motd", Mode: cpio.TypeRegular | 0o644, Mtime: 12345, UID: 3, GID: 4}, []byte("old"))
		w.Add(cpio.Header{Name: "/etc/motd", Mode: cpio.TypeRegular | 0o640}, []byte("new")) // later wins
		w.File("gone", 0o644, []byte("file"))
		w.Dir("gone", 0o700) // a directory replaces the file
		w.Add(cpio.Header{Name: "h1", Mode: cpio.TypeRegular | 0o644, Nlink: 2, Ino: 77}, nil)
		w.Add(cpio.Header{Name: "h2", Mode: cpio.TypeRegular | 0o644, Nlink: 2, Ino: 77}, []byte("linked"))
		w.Add(cpio.Header{Name: ".", Mode: cpio.TypeDir | 0o700}, nil)
	})
	// A second archive after NUL padding, as initramfs images are built.
	a = append(a, make([]byte, 512)...)
	a = append(a, archive(t, func(w *cpio.Writer) { w.File("second", 0o644, []byte("2")) })...)
	v := New(nil)
	ok(t, Unpack(v.Root(), a))
	tk := v.NewTask()
	if got := readFile(t, tk, "/init"); got != "#!/bin/sh\necho hi\n" {
		t.Errorf("through the symlink: %q", got)
	}
	for path, mode := range map[string]uint32{
		"/bin/hello": abi.S_IFREG | 0o755, "/deep/er": abi.S_IFDIR | 0o755, "/deep/er/file": abi.S_IFREG | 0o600,
		"/init": abi.S_IFLNK | 0o777, "/dev/null": abi.S_IFCHR | 0o666, "/fifo": abi.S_IFIFO | 0o644,
		"/etc/motd": abi.S_IFREG | 0o640, "/gone": abi.S_IFDIR | 0o700, "/": abi.S_IFDIR | 0o700,
	} {
		if st := stat(t, tk, path); st.Mode != mode {
			t.Errorf("%s: mode %#o, want %#o", path, st.Mode, mode)
		}
	}
	if readFile(t, tk, "/etc/motd") != "new" || readFile(t, tk, "/second") != "2" {
		t.Errorf("later entries and the second archive")
	}
	if st := stat(t, tk, "/dev/null"); st.Rdev != abi.Mkdev(1, 3) {
		t.Errorf("rdev %#x", st.Rdev)
	}
	if st := stat(t, tk, "/h1"); st.Nlink != 2 || st.Ino != stat(t, tk, "/h2").Ino || readFile(t, tk, "/h1") != "linked" {
		t.Errorf("hard link: %+v", st)
	}
	b := archive(t, func(w *cpio.Writer) {
		w.Add(cpio.Header{Name: "m", Mode: cpio.TypeRegular | 0o644, Mtime: 12345, UID: 3, GID: 4}, nil)
		w.Dir("d", 0o755)
		w.File("d/x", 0o644, nil)
		w.Add(cpio.Header{Name: "d", Mode: cpio.TypeDir | 0o755, Mtime: 999}, nil)
	})
	ok(t, Unpack(v.Root(), b))
	if st := stat(t, tk, "/m"); st.Mtime.Sec != 12345 || st.UID != 3 || st.GID != 4 {
		t.Errorf("owner and mtime: %+v", st)
	}
	if st := stat(t, tk, "/d"); st.Mtime.Sec != 999 {
		t.Errorf("a directory's mtime is set after its contents: %+v", st.Mtime)
	}
}

func TestUnpackErrors(t *testing.T) {
	v := New(nil)
	good := archive(t, func(w *cpio.Writer) { w.File("a", 0o644, []byte("x")) })
	// A bad byte in the second entry's magic.
	bad := append(append([]byte{}, good[:len(good)-124]...), []byte("0707X1")...)
	bad = append(bad, good[len(good)-118:]...)
	err := Unpack(v.Root(), bad)
	var ue *UnpackError
	if !errors.As(err, &ue) || ue.Offset != len(good)-124 || !strings.Contains(err.Error(), "bad magic") {
		t.Errorf("bad magic: %v", err)
	}
	err = Unpack(v.Root(), good[:len(good)-10])
	if !errors.As(err, &ue) {
		t.Errorf("truncated: %v", err)
	}
	// A non-empty directory in the way of a file names the entry.
	blocked := archive(t, func(w *cpio.Writer) {
		w.Dir("d", 0o755)
		w.File("d/f", 0o644, nil)
		w.File("d", 0o644, []byte("x"))
	})
	err = Unpack(v.Root(), blocked)
	if !errors.As(err, &ue) || ue.Name != "d" || !errors.Is(err, abi.ENOTEMPTY) || !strings.Contains(err.Error(), `entry "d" at offset`) {
		t.Errorf("blocked: %v", err)
	}
	dot := archive(t, func(w *cpio.Writer) { w.File(".", 0o644, nil) })
	if err := Unpack(v.Root(), dot); !errors.Is(err, abi.EEXIST) {
		t.Errorf("a file named '.': %v", err)
	}
}

func TestMaybeGunzip(t *testing.T) {
	a := archive(t, func(w *cpio.Writer) { w.File("z", 0o644, []byte("zipped")) })
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(a)
	zw.Close()
	out, err := MaybeGunzip(gz.Bytes(), 1<<20)
	if err != nil || !bytes.Equal(out, a) {
		t.Fatalf("gunzip: %v", err)
	}
	if out, _ := MaybeGunzip(a, 10); !bytes.Equal(out, a) {
		t.Errorf("plain archive changed")
	}
	if _, err := MaybeGunzip(gz.Bytes(), 100); err == nil {
		t.Errorf("limit not enforced")
	}
	if _, err := MaybeGunzip([]byte{0x1f, 0x8b, 1, 2}, 100); err == nil {
		t.Errorf("corrupt gzip accepted")
	}
}

// FuzzUnpack: any archive is unpacked or refused with an *UnpackError;
// never a panic.
func FuzzUnpack(f *testing.F) {
	f.Add(archive(f, func(w *cpio.Writer) {
		w.Dir("a", 0o755)
		w.File("a/b", 0o644, []byte("x"))
		w.Symlink("a/l", "../a")
		w.File("a/l/c", 0o644, nil)
	}))
	f.Add(archive(f, func(w *cpio.Writer) { w.File("x/../../y", 0o644, nil); w.Dir("x", 0) }))
	f.Add([]byte("070701"))
	f.Fuzz(func(t *testing.T, a []byte) {
		v := New(nil)
		err := Unpack(v.Root(), a)
		var ue *UnpackError
		if err != nil && !errors.As(err, &ue) {
			t.Fatalf("%T %v", err, err)
		}
	})
}
