package main

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

func listArchive(t *testing.T, path string) map[string]string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		if raw, err = io.ReadAll(zr); err != nil {
			t.Fatal(err)
		}
	} else if !bytes.HasPrefix(raw, []byte("070701")) {
		t.Fatalf("%s: not an uncompressed newc archive (starts %q)", path, raw[:min(len(raw), 8)])
	}
	m := map[string]string{}
	err = cpio.NewReader(raw).All(func(e *cpio.Entry) error {
		kind := "file"
		switch {
		case e.IsDir():
			kind = "dir"
		case e.IsSymlink():
			kind = "link"
		}
		m[e.Name] = kind + ":" + string(e.Data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestMkinitramfs builds the same image gzip'd (.gz) and uncompressed
// (any other name) and reads both back.
func TestMkinitramfs(t *testing.T) {
	for _, name := range []string{"initramfs.cpio.gz", "initramfs.cpio"} {
		t.Run(name, func(t *testing.T) { testMkinitramfs(t, name) })
	}
}

func testMkinitramfs(t *testing.T, name string) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "prog")
	os.WriteFile(bin, []byte("PROG"), 0o755)
	overlay := filepath.Join(dir, "overlay")
	os.MkdirAll(filepath.Join(overlay, "etc"), 0o755)
	os.WriteFile(filepath.Join(overlay, "etc/hostname"), []byte("vm\n"), 0o644)
	out := filepath.Join(dir, "out", name)
	args := []string{"-o", out, "-add", "/bin/prog=" + bin, "-dir", overlay, "-mkdir", "/tmp", "-mkdir", "/proc",
		"-symlink", "/bin/sh=/bin/prog", "-init", "/bin/prog", "-cmd", "prog -x"}
	var stderr bytes.Buffer
	if code := run(args, io.Discard, &stderr); code != 0 {
		t.Fatalf("status %d: %s", code, stderr.String())
	}
	m := listArchive(t, out)
	want := map[string]string{
		"bin": "dir:", "bin/prog": "file:PROG", "bin/sh": "link:/bin/prog", "etc": "dir:",
		"etc/hostname": "file:vm\n", "etc/init.cmd": "file:prog -x\n", "init": "link:/bin/prog",
		"proc": "dir:", "tmp": "dir:",
	}
	if len(m) != len(want) {
		t.Errorf("entries %v, want %v", m, want)
	}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %q, want %q", k, m[k], v)
		}
	}
	first, _ := os.ReadFile(out)
	if code := run(args, io.Discard, &stderr); code != 0 {
		t.Fatal(stderr.String())
	}
	if second, _ := os.ReadFile(out); !bytes.Equal(first, second) {
		t.Error("two runs with the same inputs gave different bytes")
	}
}

func TestMkinitramfsErrors(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "x.gz")
	cases := []struct {
		args []string
		code int
		says string
	}{
		{[]string{"-add", "/bin/x"}, 1, "want /image/path=host/path"},
		{[]string{"-add", "/bin/x=" + filepath.Join(dir, "missing")}, 1, "no such file"},
		{[]string{"-add", "bin/x=/etc/hostname"}, 1, "not absolute"},
		{[]string{"-symlink", "/a"}, 1, "want /path=target"},
		{[]string{"-init", "bin/init"}, 1, "-init"},
		{[]string{"-mkdir", "/a", "-symlink", "/a=/b"}, 1, "added twice"},
		{[]string{"stray"}, 2, "unexpected argument"},
		{[]string{"-bogus"}, 2, "bogus"},
	}
	for _, c := range cases {
		var stderr bytes.Buffer
		code := run(append([]string{"-o", out}, c.args...), io.Discard, &stderr)
		if code != c.code || !strings.Contains(stderr.String(), c.says) {
			t.Errorf("%q: status %d, stderr %q; want %d and %q", c.args, code, stderr.String(), c.code, c.says)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%q: wrote %s anyway", c.args, out)
		}
	}
}
