package initramfs

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"retract/kernel/fs/cpio"
)

// read decodes an uncompressed archive into "name mode data" lines.
func read(t *testing.T, a []byte) []string {
	t.Helper()
	var out []string
	err := cpio.NewReader(a).All(func(e *cpio.Entry) error {
		if e.Mtime != 0 || e.UID != 0 || e.GID != 0 {
			t.Errorf("%s: mtime %d uid %d gid %d", e.Name, e.Mtime, e.UID, e.GID)
		}
		out = append(out, e.Name+" "+strings.TrimPrefix(modeString(e.Mode), "0")+" "+string(e.Data))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func modeString(m uint32) string {
	b := []byte("0000000")
	for i := len(b) - 1; i >= 0; i-- {
		b[i] = byte('0' + m&7)
		m >>= 3
	}
	return string(b)
}

func TestTreeOrderAndParents(t *testing.T) {
	var tr Tree
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(tr.File("/usr/bin/b", []byte("B"), true, "test"))
	must(tr.File("/bin-old", []byte("x"), false, "test"))
	must(tr.Symlink("/init", "/bin/init"))
	must(tr.File("/bin/init", []byte("I"), true, "test"))
	must(tr.Dir("/tmp"))
	must(tr.Dir("/usr")) // already there as a parent: fine
	var buf bytes.Buffer
	must(tr.WriteCPIO(&buf))
	got := read(t, buf.Bytes())
	want := []string{
		"bin 040755 ",
		"bin-old 100644 x",
		"bin/init 100755 I",
		"init 120777 /bin/init",
		"tmp 040755 ",
		"usr 040755 ",
		"usr/bin 040755 ",
		"usr/bin/b 100755 B",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("entries:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if p := tr.Paths(); len(p) != 8 || p[0] != "/bin" {
		t.Errorf("Paths: %q", p)
	}
}

func TestTreeErrors(t *testing.T) {
	var tr Tree
	tr.File("/bin/x", []byte("x"), true, "first")
	cases := []struct {
		err  error
		says string
	}{
		{tr.File("/bin/x", []byte("y"), true, "second"), "added twice"},
		{tr.Dir("/bin/x"), "added twice"},
		{tr.File("/bin/x/y", nil, false, "child"), "needs /bin/x to be a directory"},
		{tr.File("bin/rel", nil, false, "rel"), "not absolute"},
		{tr.Dir("/"), "root directory"},
		{tr.Dir("/a//b"), "bad element"},
		{tr.Dir("/a/../b"), "bad element"},
		{tr.Dir("/a/."), "bad element"},
		{tr.Symlink("/l", ""), "bad target"},
	}
	for i, c := range cases {
		if c.err == nil || !strings.Contains(c.err.Error(), c.says) {
			t.Errorf("case %d: %v, want %q", i, c.err, c.says)
		}
	}
}

func TestHostTreeAndDeterminism(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "etc"), 0o700)
	os.WriteFile(filepath.Join(dir, "etc/motd"), []byte("hi\n"), 0o600)
	os.MkdirAll(filepath.Join(dir, "bin"), 0o755)
	os.WriteFile(filepath.Join(dir, "bin/tool"), []byte("ELF"), 0o700)
	os.Symlink("tool", filepath.Join(dir, "bin/alias"))

	build := func() []byte {
		var tr Tree
		if err := tr.HostTree("/", dir); err != nil {
			t.Fatal(err)
		}
		if err := tr.HostFile("/opt/motd", filepath.Join(dir, "etc/motd")); err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := tr.WriteGzip(&buf); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	gz := build()
	// Different host mtimes must not change the bytes.
	os.Chtimes(filepath.Join(dir, "etc/motd"), time0, time0)
	if gz2 := build(); !bytes.Equal(gz, gz2) {
		t.Error("same inputs, different archives")
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(zr)
	got := strings.Join(read(t, raw), "\n")
	want := strings.Join([]string{
		"bin 040755 ",
		"bin/alias 120777 tool",
		"bin/tool 100755 ELF",
		"etc 040755 ",
		"etc/motd 100644 hi\n",
		"opt 040755 ",
		"opt/motd 100644 hi\n",
	}, "\n")
	if got != want {
		t.Errorf("entries:\n%s\nwant:\n%s", got, want)
	}
}
