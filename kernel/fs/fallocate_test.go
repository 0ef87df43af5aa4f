package fs

import (
	"bytes"
	"testing"

	"retract/kernel/abi"
)

// blocks is st_blocks of fd: 8 per page the file holds.
func blocks(t *testing.T, tk *Task, fd int) int64 {
	t.Helper()
	st, err := Fstat(tk, fd)
	ok(t, err)
	return st.Blocks
}

func TestFallocate(t *testing.T) {
	_, tk := newEnv(t)
	fd, err := Openat(tk, abi.AT_FDCWD, "/tmp/fa", abi.O_CREAT|abi.O_RDWR, 0o644)
	ok(t, err)
	// Mode 0 grows the file and makes its pages; KEEP_SIZE only makes
	// pages inside it.
	ok(t, Fallocate(tk, fd, 0, 0, 3*pageSize))
	if st, _ := Fstat(tk, fd); st.Size != 3*pageSize || st.Blocks != 3*8 {
		t.Errorf("after fallocate(0, 3 pages): size %d, blocks %d; want %d, 24", st.Size, st.Blocks, 3*pageSize)
	}
	// KEEP_SIZE makes pages past the end too (st_blocks counts them).
	ok(t, Fallocate(tk, fd, FALLOC_FL_KEEP_SIZE, 2*pageSize, 4*pageSize))
	if st, _ := Fstat(tk, fd); st.Size != 3*pageSize || st.Blocks != 6*8 {
		t.Errorf("after KEEP_SIZE to page 6: size %d, blocks %d; want %d, 48", st.Size, st.Blocks, 3*pageSize)
	}
	data := bytes.Repeat([]byte("abcdefgh"), 3*pageSize/8)
	if n, err := Pwrite64(tk, fd, data, 0); n != len(data) || err != nil {
		t.Fatalf("pwrite: %d %v", n, err)
	}
	ok(t, Fallocate(tk, fd, 0, 0, pageSize)) // allocating keeps the bytes
	if got := readFile(t, tk, "/tmp/fa"); got != string(data) {
		t.Errorf("fallocate over data changed it")
	}
	// A hole from the middle of page 0 to the middle of page 2: page 1
	// goes, the parts of pages 0 and 2 read zeros, the rest stays.
	lo, hi := int64(100), int64(2*pageSize+50)
	ok(t, Fallocate(tk, fd, FALLOC_FL_PUNCH_HOLE|FALLOC_FL_KEEP_SIZE, lo, hi-lo))
	exp := append([]byte{}, data...)
	clear(exp[lo:hi])
	if got := readFile(t, tk, "/tmp/fa"); got != string(exp) {
		t.Errorf("after the hole the file reads wrong (size %d, want %d)", len(got), len(exp))
	}
	if b := blocks(t, tk, fd); b != 5*8 {
		t.Errorf("after the hole %d blocks, want 40 (pages 0 and 2-5)", b)
	}
	// A hole to past the end frees the pages it covers whole, those
	// past the end included, and changes nothing else.
	ok(t, Fallocate(tk, fd, FALLOC_FL_PUNCH_HOLE|FALLOC_FL_KEEP_SIZE, 2*pageSize, 10*pageSize))
	if st, _ := Fstat(tk, fd); st.Size != 3*pageSize || st.Blocks != 8 {
		t.Errorf("after a hole to past the end: size %d, blocks %d", st.Size, st.Blocks)
	}

	// The errors, in Linux's order.
	bad := func(what string, fd int, mode uint32, off, n int64, e abi.Errno) {
		t.Helper()
		want(t, what, Fallocate(tk, fd, mode, off, n), e)
	}
	bad("negative offset", fd, 0, -1, 1, abi.EINVAL)
	bad("zero length", fd, 0, 0, 0, abi.EINVAL)
	bad("unknown mode bit", fd, 0x80, 0, 1, abi.EOPNOTSUPP)
	bad("PUNCH_HOLE without KEEP_SIZE", fd, FALLOC_FL_PUNCH_HOLE, 0, 1, abi.EOPNOTSUPP)
	bad("ZERO_RANGE (tmpfs has none)", fd, FALLOC_FL_ZERO_RANGE, 0, 1, abi.EOPNOTSUPP)
	bad("past MAX_LFS_FILESIZE", fd, 0, abi.MAX_LFS_FILESIZE, 1, abi.EFBIG)
	bad("a closed fd", 99, 0, 0, 1, abi.EBADF)
	rfd, _ := Openat(tk, abi.AT_FDCWD, "/tmp/fa", abi.O_RDONLY, 0)
	bad("O_RDONLY", rfd, 0, 0, 1, abi.EBADF)
	dfd, _ := Openat(tk, abi.AT_FDCWD, "/tmp", abi.O_RDONLY, 0)
	bad("a directory (not writable)", dfd, 0, 0, 1, abi.EBADF)
	r, w, err := Pipe2(tk, 0)
	ok(t, err)
	bad("a pipe", w, 0, 0, 1, abi.ESPIPE)
	bad("a pipe's read end", r, 0, 0, 1, abi.EBADF)
	nfd, _ := Openat(tk, abi.AT_FDCWD, "/dev/null", abi.O_RDWR, 0)
	bad("a device", nfd, 0, 0, 1, abi.ENODEV)

	// Seals: no hole in a write-sealed memfd, no growth (not even with
	// KEEP_SIZE) past the end of a grow-sealed one.
	mfd, err := MemfdCreate(tk, "fa", abi.MFD_ALLOW_SEALING)
	ok(t, err)
	ok(t, Fallocate(tk, mfd, 0, 0, 2*pageSize))
	_, err = Fcntl(tk, mfd, abi.F_ADD_SEALS, sealGrow)
	ok(t, err)
	bad("grow a grow-sealed memfd", mfd, 0, pageSize, 2*pageSize, abi.EPERM)
	bad("KEEP_SIZE past the end of a grow-sealed memfd", mfd, FALLOC_FL_KEEP_SIZE, pageSize, 2*pageSize, abi.EPERM)
	ok(t, Fallocate(tk, mfd, FALLOC_FL_KEEP_SIZE, 0, 2*pageSize))
	_, err = Fcntl(tk, mfd, abi.F_ADD_SEALS, sealWrite)
	ok(t, err)
	bad("a hole in a write-sealed memfd", mfd, FALLOC_FL_PUNCH_HOLE|FALLOC_FL_KEEP_SIZE, 0, 1, abi.EPERM)
	if b := blocks(t, tk, mfd); b != 2*8 {
		t.Errorf("the sealed memfd holds %d blocks, want 16", b)
	}
}
