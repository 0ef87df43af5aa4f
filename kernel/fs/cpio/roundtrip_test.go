package cpio

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

// sample writes a small archive with every kind of entry the Writer makes.
func sample(t testing.TB) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := NewWriter(&buf)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(w.Dir("bin", 0o755))
	must(w.File("bin/hello", 0o755, []byte("#!/bin/sh\necho hi\n")))
	must(w.File("empty", 0o644, nil))
	must(w.File("odd", 0o600, []byte("x")))
	must(w.Symlink("init", "/bin/hello"))
	must(w.Add(Header{Name: "dev/console", Mode: TypeChar | 0o600, RdevMajor: 5, RdevMinor: 1}, nil))
	must(w.Add(Header{Name: "setuid", Mode: TypeRegular | 0o4755, UID: 1000, GID: 100, Mtime: 1700000000}, []byte("abc")))
	must(w.Close())
	return buf.Bytes()
}

func TestRoundTrip(t *testing.T) {
	a := sample(t)
	if len(a)%4 != 0 {
		t.Errorf("archive length %d is not a multiple of 4", len(a))
	}
	type want struct {
		name       string
		mode       uint32
		data       string
		uid, mtime uint32
		ino, nlink uint32
	}
	wants := []want{
		{"bin", TypeDir | 0o755, "", 0, 0, 1, 2},
		{"bin/hello", TypeRegular | 0o755, "#!/bin/sh\necho hi\n", 0, 0, 2, 1},
		{"empty", TypeRegular | 0o644, "", 0, 0, 3, 1},
		{"odd", TypeRegular | 0o600, "x", 0, 0, 4, 1},
		{"init", TypeSymlink | 0o777, "/bin/hello", 0, 0, 5, 1},
		{"dev/console", TypeChar | 0o600, "", 0, 0, 6, 1},
		{"setuid", TypeRegular | 0o4755, "abc", 1000, 1700000000, 7, 1},
	}
	r := NewReader(a)
	for i, w := range wants {
		e, err := r.Next()
		if err != nil {
			t.Fatalf("entry %d: %v", i, err)
		}
		if e.Name != w.name || e.Mode != w.mode || string(e.Data) != w.data || e.Size != len(w.data) ||
			e.UID != w.uid || e.Mtime != w.mtime || e.Ino != w.ino || e.Nlink != w.nlink {
			t.Errorf("entry %d = %+v data %q; want %+v", i, e.Header, e.Data, w)
		}
		if e.Offset%4 != 0 {
			t.Errorf("entry %d at offset %d", i, e.Offset)
		}
		// Data is a sub-slice of the archive, not a copy.
		if len(e.Data) > 0 && &e.Data[0] != &a[e.Offset+align4(headerSize+len(e.Name)+1)] {
			t.Errorf("entry %d: data is not a sub-slice of the archive", i)
		}
	}
	e, err := r.Next()
	if err != io.EOF {
		t.Fatalf("after the last entry: %+v, %v; want io.EOF", e, err)
	}
	if _, err := r.Next(); err != io.EOF {
		t.Errorf("second Next after the trailer: %v", err)
	}
	if r.Offset() != len(a) {
		t.Errorf("Offset after trailer %d, want %d", r.Offset(), len(a))
	}
	c := wants[5]
	r = NewReader(a)
	var dev Entry
	r.All(func(e *Entry) error {
		if e.Name == c.name {
			dev = *e
		}
		return nil
	})
	if dev.RdevMajor != 5 || dev.RdevMinor != 1 || dev.Type() != TypeChar || dev.Perm() != 0o600 {
		t.Errorf("char device: %+v", dev.Header)
	}
}

func TestTypePredicates(t *testing.T) {
	d, f, l := Header{Mode: TypeDir | 0o755}, Header{Mode: TypeRegular | 0o644}, Header{Mode: TypeSymlink | 0o777}
	if !d.IsDir() || d.IsRegular() || !f.IsRegular() || f.IsSymlink() || !l.IsSymlink() || l.IsDir() {
		t.Error("type predicates disagree with the mode")
	}
}

func TestConcatenatedArchives(t *testing.T) {
	a := sample(t)
	both := append(append(append([]byte{}, a...), make([]byte, 512)...), a...)
	r := NewReader(both)
	n := 0
	if err := r.All(func(*Entry) error { n++; return nil }); err != nil || n != 7 {
		t.Fatalf("first archive: %d entries, %v", n, err)
	}
	rest := both[r.Offset():]
	rest = bytes.TrimLeft(rest, "\x00")
	r2 := NewReader(rest)
	n = 0
	if err := r2.All(func(*Entry) error { n++; return nil }); err != nil || n != 7 {
		t.Fatalf("second archive: %d entries, %v", n, err)
	}
}

func TestAllStopsOnCallbackError(t *testing.T) {
	stop := errors.New("stop")
	n := 0
	err := NewReader(sample(t)).All(func(*Entry) error { n++; return stop })
	if err != stop || n != 1 {
		t.Errorf("All: %v after %d calls", err, n)
	}
}

func TestWriterRejects(t *testing.T) {
	cases := []struct {
		name string
		h    Header
		data string
		says string
	}{
		{"empty name", Header{Mode: TypeRegular}, "", "empty name"},
		{"trailer", Header{Name: Trailer, Mode: TypeRegular}, "", "reserved"},
		{"nul", Header{Name: "a\x00b", Mode: TypeRegular}, "", "NUL"},
		{"long", Header{Name: strings.Repeat("a", MaxNameSize), Mode: TypeRegular}, "", "too long"},
		{"type", Header{Name: "x", Mode: 0o644}, "", "unknown file type"},
		{"mode bits", Header{Name: "x", Mode: TypeRegular | 0o1000000}, "", "outside"},
		{"dir data", Header{Name: "d", Mode: TypeDir | 0o755}, "x", "no data"},
		{"empty symlink", Header{Name: "l", Mode: TypeSymlink | 0o777}, "", "symlink target"},
	}
	for _, c := range cases {
		var buf bytes.Buffer
		w := NewWriter(&buf)
		err := w.Add(c.h, []byte(c.data))
		if err == nil || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%s: %v, want an error saying %q", c.name, err, c.says)
		}
		if buf.Len() != 0 {
			t.Errorf("%s: wrote %d bytes anyway", c.name, buf.Len())
		}
		// A rejected entry does not spoil the archive.
		if err := w.File("ok", 0o644, nil); err != nil {
			t.Errorf("%s: next entry: %v", c.name, err)
		}
	}
	var buf bytes.Buffer
	w := NewWriter(&buf)
	w.Close()
	if err := w.File("late", 0o644, nil); err != ErrClosed {
		t.Errorf("File after Close: %v", err)
	}
	if err := w.Close(); err != ErrClosed {
		t.Errorf("second Close: %v", err)
	}
}

type failWriter struct{ left int }

func (f *failWriter) Write(p []byte) (int, error) {
	if len(p) > f.left {
		n := f.left
		f.left = 0
		return n, errors.New("disk full")
	}
	f.left -= len(p)
	return len(p), nil
}

func TestWriterStickyError(t *testing.T) {
	w := NewWriter(&failWriter{left: 200})
	w.File("a", 0o644, make([]byte, 50))
	err := w.File("b", 0o644, make([]byte, 50))
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("second file: %v", err)
	}
	if err2 := w.Close(); err2 != err {
		t.Errorf("Close after an error: %v", err2)
	}
}

func TestWriterDeterministic(t *testing.T) {
	if a, b := sample(t), sample(t); !bytes.Equal(a, b) {
		t.Error("the same calls gave different archives")
	}
}
