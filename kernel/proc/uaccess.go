// uaccess.go: copying system-call arguments between user memory and the
// kernel. Every access goes through the address space's fault path
// (mm.CopyFromUser/CopyToUser), so a bad pointer is EFAULT, never a
// kernel fault.

// trapctx: process context only

package proc

import (
	"encoding/binary"

	"retract/kernel/abi"
	"retract/mm"
	"retract/mm/phys"
)

// maxCopy bounds one argument buffer the kernel copies in one piece (a
// read or write of more is done in pieces by the caller).
const maxCopy = 1 << 20

func (t *Task) copyIn(addr uint64, n int) ([]byte, error) {
	if n < 0 {
		return nil, abi.EINVAL
	}
	b := make([]byte, n)
	if err := t.P.MM().CopyFromUser(b, uintptr(addr)); err != nil {
		return nil, abi.EFAULT
	}
	return b, nil
}

func (t *Task) copyOut(addr uint64, b []byte) error {
	if err := t.P.MM().CopyToUser(uintptr(addr), b); err != nil {
		return abi.EFAULT
	}
	return nil
}

// checkWritable (for a read from descriptor fd) is EFAULT unless every page of [addr, addr+n) lies in a
// mapping that allows writes. A read checks its buffer before it takes
// data from a pipe, a terminal or a socket-like file, so that a bad
// buffer loses nothing (Linux's pipe_read leaves what it could not copy
// in the pipe); a mapping that changes meanwhile still gets EFAULT from
// copyOut.
func (t *Task) checkWritable(fd int, addr, n uint64) error {
	if f, err := t.FS.Files.Get(fd); err != nil {
		return nil // the read itself says EBADF, first, as in Linux
	} else {
		f.Put()
	}
	if n == 0 {
		return nil
	}
	end := addr + n
	if end < addr || addr < uint64(mm.UserBase) || end > uint64(mm.UserEnd) {
		return abi.EFAULT
	}
	if !t.P.MM().RangeAllows(uintptr(addr), uintptr(n), mm.ProtWrite) {
		return abi.EFAULT
	}
	return nil
}

func (t *Task) readU64(addr uint64) (uint64, error) {
	var b [8]byte
	if err := t.P.MM().CopyFromUser(b[:], uintptr(addr)); err != nil {
		return 0, abi.EFAULT
	}
	return binary.LittleEndian.Uint64(b[:]), nil
}

func (t *Task) writeU64(addr, v uint64) error {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], v)
	return t.copyOut(addr, b[:])
}

func (t *Task) writeU32(addr uint64, v uint32) error {
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], v)
	return t.copyOut(addr, b[:])
}

func (t *Task) readU32(addr uint64) (uint32, error) {
	var b [4]byte
	if err := t.P.MM().CopyFromUser(b[:], uintptr(addr)); err != nil {
		return 0, abi.EFAULT
	}
	return binary.LittleEndian.Uint32(b[:]), nil
}

// readString copies a NUL-terminated string of at most max bytes (the
// NUL excluded): ENAMETOOLONG past it (paths), EFAULT for a bad pointer.
// It reads page by page, so a string that ends just before an unmapped
// page is fine.
func (t *Task) readString(addr uint64, max int) (string, error) {
	var out []byte
	for len(out) <= max {
		n := int(phys.PageSize - addr%phys.PageSize)
		if n > max+1-len(out) {
			n = max + 1 - len(out)
		}
		chunk, err := t.copyIn(addr, n)
		if err != nil {
			return "", err
		}
		for i, c := range chunk {
			if c == 0 {
				return string(append(out, chunk[:i]...)), nil
			}
		}
		out = append(out, chunk...)
		addr += uint64(n)
	}
	return "", abi.ENAMETOOLONG
}

// readPath reads a path argument (PATH_MAX, including the NUL).
func (t *Task) readPath(addr uint64) (string, error) {
	if addr == 0 {
		return "", abi.EFAULT
	}
	return t.readString(addr, abi.PATH_MAX-1)
}

// readStringArray reads a NULL-terminated array of string pointers
// (execve's argv and envp), with limits on the count and total size
// (E2BIG).
func (t *Task) readStringArray(addr uint64, maxTotal int) ([]string, error) {
	if addr == 0 {
		return nil, nil
	}
	var out []string
	total := 0
	for i := 0; ; i++ {
		if i > 1<<16 {
			return nil, abi.E2BIG
		}
		p, err := t.readU64(addr + uint64(i)*8)
		if err != nil {
			return nil, err
		}
		if p == 0 {
			return out, nil
		}
		s, err := t.readString(p, 32*4096-1)
		if err == abi.ENAMETOOLONG {
			return nil, abi.E2BIG
		}
		if err != nil {
			return nil, err
		}
		total += len(s) + 1 + 8
		if total > maxTotal {
			return nil, abi.E2BIG
		}
		out = append(out, s)
	}
}

// readIovec reads an iovec array (readv, writev): at most IOV_MAX entries.
func (t *Task) readIovec(addr uint64, n int) ([][2]uint64, error) {
	if n < 0 || n > 1024 {
		return nil, abi.EINVAL
	}
	b, err := t.copyIn(addr, n*16)
	if err != nil {
		return nil, err
	}
	out := make([][2]uint64, n)
	var total uint64
	for i := range out {
		out[i] = [2]uint64{binary.LittleEndian.Uint64(b[i*16:]), binary.LittleEndian.Uint64(b[i*16+8:])}
		total += out[i][1]
		if int64(out[i][1]) < 0 || int64(total) < 0 {
			return nil, abi.EINVAL
		}
	}
	return out, nil
}
