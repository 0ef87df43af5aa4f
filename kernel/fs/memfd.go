// memfd.go: memfd_create(2) — a tmpfs file with no name.

// trapctx: process context only

package fs

import (
	"retract/kernel/abi"
)

// memfdNameMax is the longest name (NAME_MAX less "memfd:").
const memfdNameMax = abi.NAME_MAX - len("memfd:")

// MemfdCreate is memfd_create(2): a read-write regular file of mode 0777
// in an internal tmpfs, linked nowhere; MFD_CLOEXEC, MFD_ALLOW_SEALING
// (else the file is sealed with F_SEAL_SEAL), MFD_NOEXEC_SEAL and
// MFD_EXEC accepted; EINVAL for MFD_HUGETLB (no hugetlbfs), unknown flags
// or a name longer than 249 bytes. /proc shows it as "/memfd:NAME
// (deleted)".
func MemfdCreate(t *Task, name string, flags uint32) (int, error) {
	if flags&^(abi.MFD_CLOEXEC|abi.MFD_ALLOW_SEALING|abi.MFD_HUGETLB|abi.MFD_NOEXEC_SEAL|abi.MFD_EXEC) != 0 ||
		flags&abi.MFD_HUGETLB != 0 || flags&abi.MFD_EXEC != 0 && flags&abi.MFD_NOEXEC_SEAL != 0 {
		return -1, abi.EINVAL
	}
	if len(name) > memfdNameMax {
		return -1, abi.EINVAL
	}
	f := NewMemfd(t.vfs(), name, flags)
	fd, err := t.Files.Install(f, flags&abi.MFD_CLOEXEC != 0)
	if err != nil {
		f.Put()
		return -1, err
	}
	return fd, nil
}

// NewMemfd makes a memfd's file (with one reference).
func NewMemfd(v *VFS, name string, flags uint32) *File {
	fs := v.memfs()
	mode := uint32(0o777)
	if flags&abi.MFD_NOEXEC_SEAL != 0 {
		mode = 0o666
	}
	n := fs.newInode(abi.S_IFREG | mode)
	n.nlink = 0
	n.data = NewData("memfd:" + name)
	if flags&abi.MFD_ALLOW_SEALING == 0 && flags&abi.MFD_NOEXEC_SEAL == 0 {
		n.seals = sealSeal
	}
	f := newFile(regularOps{}, n, abi.O_RDWR|abi.O_LARGEFILE)
	f.memfd = true
	f.kind = "/memfd:" + name + " (deleted)"
	n.openRef()
	return f
}

// memfs returns the internal tmpfs of memfds (made on first use).
func (v *VFS) memfs() *FS {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.shm == nil {
		v.shm = v.NewTmpfs()
	}
	return v.shm
}
