// superblock.go: file systems (Linux's super_block): ramfs, tmpfs, devfs,
// the pseudo file systems of pipes and epoll, and synthetic ones.

// trapctx: process context only

package fs

import (
	"sync/atomic"

	"retract/kernel/abi"
	"retract/lockdep"
)

// FS is one file system: its root, its device number and its statfs.
type FS struct {
	vfs     *VFS
	Name    string // "rootfs", "tmpfs", "devtmpfs", "proc", ...
	magic   int64
	dev     uint64 // st_dev of its inodes
	mountID uint64
	root    *Inode
	nextIno atomic.Uint64

	// renameMu (fs.FS.renameMu, like s_vfs_rename_mutex) serializes
	// renames: the shape of the tree (which directory is an ancestor of
	// which) only changes under it.
	renameMu lockdep.Mutex

	// mountpoint is the directory it is mounted on (nil for the root and
	// for unmounted ones); set once, under VFS.mu.
	mountpoint *Inode

	// synthetic: the nodes' inodes, made on first lookup (under synthMu).
	synthMu     lockdep.Mutex
	synthInodes map[*Synthetic]*Inode

	// Usage, when set, gives statfs's block and file counts.
	Usage func() (blocks, bfree, files, ffree uint64)
}

// newFS makes an empty file system with a root directory of the given
// mode.
func (v *VFS) newFS(name string, magic int64, rootMode uint32) *FS {
	fs := &FS{vfs: v, Name: name, magic: magic}
	fs.renameMu.Class = classRename
	fs.synthMu.Class = classSynth
	fs.dev = abi.Mkdev(0, v.nextMinor.Add(1))
	fs.mountID = v.nextMount.Add(1)
	fs.root = fs.newInode(abi.S_IFDIR | rootMode)
	return fs
}

// NewRamfs makes an empty ramfs (the root file system's type).
func (v *VFS) NewRamfs() *FS { return v.newFS("rootfs", abi.RAMFS_MAGIC, 0o755) }

// NewTmpfs makes an empty tmpfs (statfs says TMPFS_MAGIC); /tmp's root
// is sticky and world-writable.
func (v *VFS) NewTmpfs() *FS { return v.newFS("tmpfs", abi.TMPFS_MAGIC, 0o1777) }

// Root returns the file system's root directory.
func (fs *FS) Root() *Inode { return fs.root }

// Dev returns the file system's device number (st_dev).
func (fs *FS) Dev() uint64 { return fs.dev }

// statfs fills struct statfs.
func (fs *FS) statfs() abi.Statfs {
	sf := abi.Statfs{Type: fs.magic, Bsize: pageSize, Namelen: abi.NAME_MAX, Frsize: pageSize, Flags: abi.ST_VALID | abi.ST_RELATIME}
	sf.Fsid = [2]int32{int32(abi.Major(fs.dev)), int32(abi.Minor(fs.dev))}
	if fs.magic == abi.RAMFS_MAGIC || fs.magic == abi.PROC_SUPER_MAGIC || fs.magic == abi.SYSFS_MAGIC {
		sf.Fsid = [2]int32{}
	}
	if fs.Usage != nil {
		sf.Blocks, sf.Bfree, sf.Files, sf.Ffree = fs.Usage()
		sf.Bavail = sf.Bfree
	}
	return sf
}
