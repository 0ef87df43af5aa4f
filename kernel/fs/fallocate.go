package fs

import "retract/kernel/abi"

// fallocate(2)'s modes, Linux's FALLOC_FL_*. Only the first two are
// implemented (they are all tmpfs and memfd have in Linux: shmem_fallocate
// supports exactly these); the others are EOPNOTSUPP there as here.
const (
	FALLOC_FL_KEEP_SIZE      = 0x01
	FALLOC_FL_PUNCH_HOLE     = 0x02
	FALLOC_FL_NO_HIDE_STALE  = 0x04
	FALLOC_FL_COLLAPSE_RANGE = 0x08
	FALLOC_FL_ZERO_RANGE     = 0x10
	FALLOC_FL_INSERT_RANGE   = 0x20
	FALLOC_FL_UNSHARE_RANGE  = 0x40

	fallocSupportedMask = FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE | FALLOC_FL_NO_HIDE_STALE |
		FALLOC_FL_COLLAPSE_RANGE | FALLOC_FL_ZERO_RANGE | FALLOC_FL_INSERT_RANGE | FALLOC_FL_UNSHARE_RANGE
)

// Allocator is implemented by Data that can preallocate and punch holes
// (MemData and the kernel's page cache), for fallocate.
type Allocator interface {
	// Allocate makes the pages of [off, off+length) exist, so that
	// later writes and faults there need no memory; the size does not
	// change (Fallocate grows the file first when asked to). Bytes
	// already there stay as they are; pages past the end of the file
	// are made too (KEEP_SIZE preallocates there; st_blocks counts
	// them). If memory runs out, the pages it made go again.
	Allocate(off, length int64) error
	// PunchHole frees the data of [off, off+length) (whole pages;
	// partial ones are zeroed there) without changing the size: the
	// range reads as zeros afterwards and costs no memory.
	PunchHole(off, length int64) error
}

// Fallocate is fallocate(2) on a regular file whose Data is an Allocator,
// checked in the order Linux's vfs_fallocate and shmem_fallocate check:
//
//   - EINVAL: offset < 0 or length <= 0;
//   - EOPNOTSUPP: an unknown mode bit, PUNCH_HOLE without KEEP_SIZE, or
//     a mode the file cannot do (ZERO_RANGE, COLLAPSE_RANGE, ...: tmpfs
//     has none of them; /proc files have no fallocate at all);
//   - EBADF: the file is not open for writing;
//   - ESPIPE: a pipe; EISDIR: a directory; ENODEV: anything else that is
//     not a regular file;
//   - EFBIG: offset+length past MAX_LFS_FILESIZE;
//   - EPERM: a memfd sealed against writing (a hole) or growing (any
//     range past the end, even with KEEP_SIZE, as Linux checks it);
//   - ENOMEM: no memory for the pages (nothing already in the file is
//     lost; a growth is undone).
//
// Mode 0 allocates and grows the file to offset+length; KEEP_SIZE
// allocates without growing; PUNCH_HOLE|KEEP_SIZE frees the range's
// pages (every mapping of them goes first, as unmap_mapping_range does).
func Fallocate(t *Task, fd int, mode uint32, off, length int64) error {
	if off < 0 || length <= 0 {
		return abi.EINVAL
	}
	if mode&^fallocSupportedMask != 0 {
		return abi.EOPNOTSUPP
	}
	punch := mode&FALLOC_FL_PUNCH_HOLE != 0
	if punch && mode&FALLOC_FL_KEEP_SIZE == 0 {
		return abi.EOPNOTSUPP
	}
	f, err := t.getFile(fd)
	if err != nil {
		return err
	}
	defer f.Put()
	if !f.writable {
		return abi.EBADF
	}
	n := f.inode
	switch {
	case n == nil:
		return abi.ENODEV
	case n.Type() == abi.S_IFIFO:
		return abi.ESPIPE
	case n.IsDir():
		return abi.EISDIR
	case !n.IsRegular():
		return abi.ENODEV
	}
	if off > abi.MAX_LFS_FILESIZE-length {
		return abi.EFBIG
	}
	a, ok := n.data.(Allocator)
	if n.synth != nil || !ok || mode&^(FALLOC_FL_KEEP_SIZE|FALLOC_FL_PUNCH_HOLE) != 0 {
		return abi.EOPNOTSUPP
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	end := off + length
	if punch {
		if n.seals&(sealWrite|sealFutureWrite) != 0 {
			return abi.EPERM
		}
		if err := a.PunchHole(off, length); err != nil {
			return err
		}
		n.touchMtime()
		return nil
	}
	old := n.data.Size()
	if end > old && n.seals&sealGrow != 0 {
		return abi.EPERM
	}
	grow := mode&FALLOC_FL_KEEP_SIZE == 0 && end > old
	if grow {
		if err := n.data.Truncate(end); err != nil {
			return err
		}
	}
	if err := a.Allocate(off, length); err != nil {
		if grow {
			n.data.Truncate(old) // the pages past the old end go with it
		}
		return err
	}
	if grow {
		n.touchMtime()
	}
	return nil
}
