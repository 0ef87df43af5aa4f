package cpio

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// gnuCpio returns the path of GNU cpio or skips the test (apt-get install
// -y cpio).
func gnuCpio(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("cpio")
	if err != nil {
		t.Skip("GNU cpio is not installed (apt-get install -y cpio)")
	}
	return p
}

// A tree archived by GNU cpio -o in both newc flavours reads back exactly.
func TestReadGNUArchive(t *testing.T) {
	cpio := gnuCpio(t)
	dir := t.TempDir()
	files := map[string]string{
		"a.txt":          "alpha\n",
		"sub/b.bin":      string(bytes.Repeat([]byte{0, 1, 2, 255}, 1000)),
		"sub/deep/c":     "",
		"sub/deep/three": "xyz",
	}
	for name, data := range files {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(data), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("a.txt", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	names := []string{".", "a.txt", "link", "sub", "sub/b.bin", "sub/deep", "sub/deep/c", "sub/deep/three"}
	for _, format := range []string{"newc", "crc"} {
		t.Run(format, func(t *testing.T) {
			cmd := exec.Command(cpio, "--quiet", "-o", "-H", format)
			cmd.Dir = dir
			cmd.Stdin = strings.NewReader(strings.Join(names, "\n") + "\n")
			var out, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("cpio: %v: %s", err, stderr.String())
			}
			a := out.Bytes()
			r := NewReader(a)
			var got []string
			err := r.All(func(e *Entry) error {
				got = append(got, e.Name)
				switch {
				case e.Name == "link":
					if !e.IsSymlink() || string(e.Data) != "a.txt" {
						t.Errorf("link: %+v -> %q", e.Header, e.Data)
					}
				case e.Name == "." || e.Name == "sub" || e.Name == "sub/deep":
					if !e.IsDir() {
						t.Errorf("%s: mode %#o", e.Name, e.Mode)
					}
				default:
					if !e.IsRegular() || e.Perm() != 0o640 || string(e.Data) != files[e.Name] {
						t.Errorf("%s: mode %#o, %d bytes", e.Name, e.Mode, len(e.Data))
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, " ") != strings.Join(names, " ") {
				t.Errorf("entries %q, want %q", got, names)
			}
			// GNU cpio pads the archive to 512-byte blocks after the trailer.
			if rest := a[r.Offset():]; len(bytes.Trim(rest, "\x00")) != 0 {
				t.Errorf("non-NUL bytes after the trailer")
			}
		})
	}
}

// An archive from our Writer is listed and extracted by GNU cpio.
func TestGNUReadsOurArchive(t *testing.T) {
	cpio := gnuCpio(t)
	a := sample(t)
	cmd := exec.Command(cpio, "--quiet", "-t")
	cmd.Stdin = bytes.NewReader(a)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("cpio -t: %v", err)
	}
	got := strings.Fields(string(out))
	want := []string{"bin", "bin/hello", "dev/console", "empty", "init", "odd", "setuid"}
	sort.Strings(got)
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("cpio -t lists %q, want %q", got, want)
	}

	dir := t.TempDir()
	var noDev bytes.Buffer // extract everything but the device node (may need privileges)
	w := NewWriter(&noDev)
	NewReader(a).All(func(e *Entry) error {
		if e.Type() != TypeChar {
			return w.Add(e.Header, e.Data)
		}
		return nil
	})
	w.Close()
	cmd = exec.Command(cpio, "--quiet", "-i", "-d", "--no-absolute-filenames")
	cmd.Dir = dir
	cmd.Stdin = &noDev
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("cpio -i: %v: %s", err, out)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "bin/hello")); err != nil || string(b) != "#!/bin/sh\necho hi\n" {
		t.Errorf("bin/hello: %q, %v", b, err)
	}
	if l, err := os.Readlink(filepath.Join(dir, "init")); err != nil || l != "/bin/hello" {
		t.Errorf("init -> %q, %v", l, err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "odd")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("odd: %v, %v", fi, err)
	}
}
