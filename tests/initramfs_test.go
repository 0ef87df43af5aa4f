//go:build linux

package tests

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"testing"

	"retract/kernel/fs/cpio"
	"retract/qemu"
)

// pattern is kernel/suites' pattern: n bytes that differ from page to
// page and within each.
func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7+i/4096) ^ seed
	}
	return b
}

// TestInitramfs boots with an initramfs (QEMU -initrd) holding the
// archive the initramfs suite expects (kernel/suites/initramfs.go: a
// directory with a file of 3 pages and 123 bytes, one of 2 MiB and a
// page, and a link), gzipped as initramfs images are, and runs the suite:
// the files were unpacked at boot into the page cache, read as written,
// map and collapse, and the initrd's memory was given back.
func TestInitramfs(t *testing.T) {
	var raw bytes.Buffer
	w := cpio.NewWriter(&raw)
	w.Dir("initramfs-test", 0o755)
	w.File("initramfs-test/small", 0o644, pattern(3*4096+123, 0x11))
	w.File("initramfs-test/big", 0o755, pattern(2<<20+4096, 0x22))
	w.Symlink("initramfs-test/link", "small")
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	z := gzip.NewWriter(&gz)
	z.Write(raw.Bytes())
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	img := filepath.Join(t.TempDir(), "initramfs.cpio.gz")
	if err := os.WriteFile(img, gz.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	v := bootConfig(t, qemu.Config{Machine: envOr("MACHINE", "microvm"), CPUs: 2, MemMB: defaultMemMB,
		Append: "test=initramfs", Initrd: img})
	v.runSuites("initramfs")
}
