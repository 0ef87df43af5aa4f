// stat.go: fstat, newfstatat, statx, statfs, fstatfs.

// trapctx: process context only

package fs

import (
	"retract/kernel/abi"
)

// Fstat is fstat(2) (O_PATH descriptors too).
func Fstat(t *Task, fd int) (abi.Stat, error) {
	f, err := t.Files.Get(fd)
	if err != nil {
		return abi.Stat{}, err
	}
	defer f.Put()
	return f.Stat(), nil
}

// Newfstatat is newfstatat(2) (stat and lstat too): AT_SYMLINK_NOFOLLOW,
// AT_EMPTY_PATH (the descriptor itself), AT_NO_AUTOMOUNT (ignored);
// EINVAL for other flags.
func Newfstatat(t *Task, dirfd int, path string, flags uint32) (abi.Stat, error) {
	if flags&^(abi.AT_SYMLINK_NOFOLLOW|abi.AT_EMPTY_PATH|abi.AT_NO_AUTOMOUNT) != 0 {
		return abi.Stat{}, abi.EINVAL
	}
	n, err := t.lookup(dirfd, path, flags&abi.AT_SYMLINK_NOFOLLOW == 0, flags&abi.AT_EMPTY_PATH != 0)
	if err != nil {
		return abi.Stat{}, err
	}
	return n.getStat(), nil
}

// Statx is statx(2): EINVAL for STATX__RESERVED in mask, both sync flags,
// or unknown flags. Every basic field is filled whatever mask asks (the
// result's mask says so, with STATX_BTIME and STATX_MNT_ID).
func Statx(t *Task, dirfd int, path string, flags, mask uint32) (abi.Statx, error) {
	if mask&abi.STATX__RESERVED != 0 ||
		flags&abi.AT_STATX_SYNC_TYPE == abi.AT_STATX_SYNC_TYPE ||
		flags&^(abi.AT_SYMLINK_NOFOLLOW|abi.AT_EMPTY_PATH|abi.AT_NO_AUTOMOUNT|abi.AT_STATX_SYNC_TYPE) != 0 {
		return abi.Statx{}, abi.EINVAL
	}
	n, err := t.lookup(dirfd, path, flags&abi.AT_SYMLINK_NOFOLLOW == 0, flags&abi.AT_EMPTY_PATH != 0)
	if err != nil {
		return abi.Statx{}, err
	}
	return n.getStatx(), nil
}

// Statfs is statfs(2).
func Statfs(t *Task, path string) (abi.Statfs, error) {
	n, err := t.lookup(abi.AT_FDCWD, path, true, false)
	if err != nil {
		return abi.Statfs{}, err
	}
	return n.fs.statfs(), nil
}

// Fstatfs is fstatfs(2).
func Fstatfs(t *Task, fd int) (abi.Statfs, error) {
	f, err := t.Files.Get(fd)
	if err != nil {
		return abi.Statfs{}, err
	}
	defer f.Put()
	if f.inode == nil {
		return abi.Statfs{}, abi.EBADF
	}
	return f.inode.fs.statfs(), nil
}
