// initramfs.go: the initramfs suite, run by TestInitramfs on a kernel
// booted with QEMU's -initrd: the archive's files were unpacked at boot
// into page-cache pages (and the initrd's memory given back), read as
// written, and can be mapped and collapsed like any file. The pagecache
// suite's unpack_archive_into_page_cache checks the same on an archive
// made in the kernel, without -initrd.

package suites

import (
	"bytes"
	"compress/gzip"

	"retract/kernel/abi"
	"retract/kernel/fs"
	"retract/kernel/fs/cpio"
	"retract/kernel/ktest"
	"retract/kernel/pagecache"
	"retract/kernel/rootfs"
	"retract/mm"
	"retract/mm/phys"
)

func init() {
	ktest.Register(ktest.Suite{
		Name: "initramfs",
		Doc:  "the boot's initramfs (QEMU -initrd, made by TestInitramfs) unpacked into the page cache",
		Cases: []ktest.Case{
			{Name: "unpacked_into_page_cache", Fn: testInitramfsUnpacked},
		},
	})
}

// The test archive: a directory with a file of 3 pages and a bit, a file
// of 2 MiB and a page (to collapse), and a link. TestInitramfs builds the
// same one on the host (tests/initramfs_test.go); the bytes are
// pattern(n, seed).
const (
	archiveDir        = "initramfs-test"
	archiveSmallSize  = 3*phys.PageSize + 123
	archiveSmallSeed  = 0x11
	archiveBigSize    = mm.HPageSize + phys.PageSize
	archiveBigSeed    = 0x22
	archiveLinkTarget = "small"
)

// testArchive is the test archive, gzipped.
func testArchive() ([]byte, error) {
	var raw bytes.Buffer
	w := cpio.NewWriter(&raw)
	w.Dir(archiveDir, 0o755)
	w.File(archiveDir+"/small", 0o644, pattern(archiveSmallSize, archiveSmallSeed))
	w.File(archiveDir+"/big", 0o755, pattern(archiveBigSize, archiveBigSeed))
	w.Symlink(archiveDir+"/link", archiveLinkTarget)
	if err := w.Close(); err != nil {
		return nil, err
	}
	var gz bytes.Buffer
	z := gzip.NewWriter(&gz)
	z.Write(raw.Bytes())
	if err := z.Close(); err != nil {
		return nil, err
	}
	return gz.Bytes(), nil
}

// checkUnpacked checks the test archive's files under dir: their bytes,
// that they are page-cache files with one frame per page, the link; and
// that the big one maps and collapses into a huge page.
func checkUnpacked(t *ktest.T, dir string) {
	tk := vfsTask(t)
	for _, c := range []struct {
		name string
		size int
		seed byte
		perm uint32
	}{{"small", archiveSmallSize, archiveSmallSeed, 0o644}, {"big", archiveBigSize, archiveBigSeed, 0o755}} {
		path := dir + "/" + c.name
		f, err := fs.OpenFile(tk, abi.AT_FDCWD, path, abi.O_RDONLY, 0)
		if err != nil {
			t.Fatalf("open %s: %v", path, err)
		}
		mf, ok := pagecache.FileOf(f)
		st := f.Stat()
		got := make([]byte, c.size+10)
		n, _ := f.ReadAt(got, 0)
		f.Put()
		if !ok {
			t.Fatalf("%s is not in the page cache", path)
		}
		if n != c.size || !bytes.Equal(got[:n], pattern(c.size, c.seed)) {
			t.Errorf("%s: %d bytes read, want the %d written", path, n, c.size)
		}
		if pages := uint64(c.size+phys.PageSize-1) / phys.PageSize; mf.CachedPages() != pages || mf.Pages() != pages {
			t.Errorf("%s: %d pages cached, %d in the file; want %d", path, mf.CachedPages(), mf.Pages(), pages)
		}
		if st.Mode&0o777 != c.perm || st.Size != int64(c.size) {
			t.Errorf("%s: mode %#o, size %d", path, st.Mode, st.Size)
		}
	}
	if l, err := fs.Readlinkat(tk, abi.AT_FDCWD, dir+"/link", 100); err != nil || string(l) != archiveLinkTarget {
		t.Errorf("readlink %s/link: %q, %v", dir, l, err)
	}
	// The big file, like an executable, maps and collapses.
	f, err := fs.OpenFile(tk, abi.AT_FDCWD, dir+"/big", abi.O_RDONLY, 0)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer f.Put() // after the address space is gone: a mapping keeps its file
	mf, _ := pagecache.FileOf(f)
	m, err := mm.New()
	if err != nil {
		t.Fatalf("mm.New: %v", err)
	}
	defer m.Destroy()
	if _, err := m.MmapFile(hugeBase, archiveBigSize, mm.ProtRead|mm.ProtExec, false, mf, 0); err != nil {
		t.Fatalf("MmapFile: %v", err)
	}
	if out, err := m.MadviseCollapse(hugeBase, mm.HPageSize); err != nil || !mf.IsHuge(0) {
		t.Errorf("MADV_COLLAPSE of the mapped file: %v %+v", err, out)
	}
	want := pattern(archiveBigSize, archiveBigSeed)
	for _, off := range []int{0, 4096 + 8, mm.HPageSize - 8, mm.HPageSize + 64} {
		if v, err := load(m, hugeBase+uintptr(off)); err != nil || v != word(want, off) {
			t.Errorf("the mapping reads %#x, %v at %d; want %#x", v, err, off, word(want, off))
		}
	}
}

func testInitramfsUnpacked(t *ktest.T) {
	if rootfs.InitramfsBytes == 0 {
		t.Fatalf("the kernel was booted without an initramfs (QEMU -initrd): TestInitramfs boots with one")
	}
	if rootfs.InitrdFreedBytes == 0 {
		t.Errorf("the initrd's memory was not given back after unpacking")
	}
	base := takeBaseline()
	checkUnpacked(t, "/"+archiveDir)
	base.verify(t)
}

// testUnpackArchive: an archive made here, gzipped, unpacked into a
// directory of /tmp: every file is page-cache backed; removing them gives
// every frame back.
func testUnpackArchive(t *ktest.T) {
	base := takeBaseline()
	gz, err := testArchive()
	if err != nil {
		t.Fatalf("making the archive: %v", err)
	}
	archive, err := fs.MaybeGunzip(gz, 16<<20)
	if err != nil {
		t.Fatalf("gunzip: %v", err)
	}
	tk := vfsTask(t)
	const dir = "/tmp/pc-unpack"
	if err := fs.Mkdirat(tk, abi.AT_FDCWD, dir, 0o755); err != nil {
		t.Fatalf("mkdir: %v", err)
	}
	d, err := fs.OpenFile(tk, abi.AT_FDCWD, dir, abi.O_RDONLY|abi.O_DIRECTORY, 0)
	if err != nil {
		t.Fatalf("open %s: %v", dir, err)
	}
	err = fs.Unpack(d.Inode(), archive)
	d.Put()
	if err != nil {
		t.Fatalf("Unpack: %v", err)
	}
	checkUnpacked(t, dir+"/"+archiveDir)
	for _, n := range []string{"small", "big", "link"} {
		if err := fs.Unlinkat(tk, abi.AT_FDCWD, dir+"/"+archiveDir+"/"+n, 0); err != nil {
			t.Errorf("unlink %s: %v", n, err)
		}
	}
	fs.Unlinkat(tk, abi.AT_FDCWD, dir+"/"+archiveDir, abi.AT_REMOVEDIR)
	fs.Unlinkat(tk, abi.AT_FDCWD, dir, abi.AT_REMOVEDIR)
	base.verify(t)
}
