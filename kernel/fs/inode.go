// inode.go: inodes — directories, regular files, symbolic links, device
// nodes, FIFOs and synthetic nodes — with their attributes.

// trapctx: process context only

package fs

import (
	"sync/atomic"

	"retract/kernel/abi"
	"retract/lockdep"
)

// Inode is one file of a file system.
type Inode struct {
	fs  *FS
	ino uint64

	// mu (fs.Inode.mu, like i_rwsem) protects the attributes below, a
	// directory's entries and its place in the tree (parent, name), and
	// orders access to a regular file's Data (readers share it, writers
	// and truncate hold it). Order: a directory before its children;
	// two unrelated directories only under their file system's renameMu.
	mu lockdep.RWMutex

	ftype    uint32 // the S_IFMT bits; immutable (no lock)
	mode     uint32 // type and permissions
	nlink    uint32
	uid, gid uint32
	atime    abi.Timespec
	mtime    abi.Timespec
	ctime    abi.Timespec
	btime    abi.Timespec
	dead     bool  // a removed directory: nothing can be created in it
	opens    int32 // open files (Data is released when this and nlink are 0)
	released bool  // Data was released

	rdev   uint64     // device nodes; immutable
	target string     // symlinks; immutable
	data   Data       // regular files; immutable once set
	dir    *dirData   // directories
	pipe   *Pipe      // FIFOs (and pipe2's anonymous inodes); immutable
	synth  *Synthetic // synthetic nodes; immutable
	seals  uint32     // memfd seals (F_ADD_SEALS); under mu

	// parent and name place a directory in the tree (under mu). A
	// directory has one parent (no hard links to directories).
	parent *Inode
	name   string

	// mounted is the file system mounted on this directory, if any.
	mounted atomic.Pointer[FS]
}

// Type returns the S_IFMT bits of the inode's mode.
func (n *Inode) Type() uint32 { return n.ftype }

// IsDir and the other predicates test the file type (immutable: no lock).
func (n *Inode) IsDir() bool     { return n.Type() == abi.S_IFDIR }
func (n *Inode) IsRegular() bool { return n.Type() == abi.S_IFREG }
func (n *Inode) IsSymlink() bool { return n.Type() == abi.S_IFLNK }

// Ino returns the inode number.
func (n *Inode) Ino() uint64 { return n.ino }

// FS returns the file system the inode belongs to.
func (n *Inode) FS() *FS { return n.fs }

// Data returns a regular file's contents (nil for other types). It takes
// no lock: the kernel's mmap may call it with mm locks held.
func (n *Inode) Data() Data { return n.data }

// newInode makes an inode of the given mode in fs with times set to now.
func (fs *FS) newInode(mode uint32) *Inode {
	n := &Inode{fs: fs, ino: fs.nextIno.Add(1), ftype: mode & abi.S_IFMT, mode: mode, nlink: 1}
	n.mu.Class = classInode
	now := fs.vfs.now()
	n.atime, n.mtime, n.ctime, n.btime = now, now, now, now
	switch mode & abi.S_IFMT {
	case abi.S_IFDIR:
		n.nlink = 2
		n.dir = newDirData()
	case abi.S_IFIFO:
		n.pipe = newPipe(n, false)
	}
	return n
}

// touchMtime sets mtime and ctime to now. Preconditions: mu held for
// writing.
func (n *Inode) touchMtime() {
	now := n.fs.vfs.now()
	n.mtime, n.ctime = now, now
}

// touchCtime sets ctime to now. Preconditions: mu held for writing.
func (n *Inode) touchCtime() { n.ctime = n.fs.vfs.now() }

// touchAtime updates atime after a read the relatime way: only if it is
// not newer than mtime or ctime, or a day old.
func (n *Inode) touchAtime() {
	now := n.fs.vfs.now()
	n.mu.Lock()
	if !tsAfter(n.atime, n.mtime) || !tsAfter(n.atime, n.ctime) || now.Sec-n.atime.Sec >= 24*3600 {
		n.atime = now
	}
	n.mu.Unlock()
}

func tsAfter(a, b abi.Timespec) bool { return a.Sec > b.Sec || a.Sec == b.Sec && a.Nsec > b.Nsec }

// size returns the size stat reports. Preconditions: mu held.
func (n *Inode) size() int64 {
	switch {
	case n.data != nil:
		return n.data.Size()
	case n.IsSymlink():
		return int64(len(n.target))
	case n.dir != nil:
		return int64(bogoDirent * (2 + len(n.dir.order)))
	}
	return 0
}

// bogoDirent is what each entry adds to a directory's size (tmpfs's
// BOGO_DIRENT_SIZE).
const bogoDirent = 20

// getStat fills the attributes fstat reports.
func (n *Inode) getStat() abi.Stat {
	n.mu.RLock()
	defer n.mu.RUnlock()
	st := abi.Stat{
		Dev: n.fs.dev, Ino: n.ino, Nlink: uint64(n.nlink), Mode: n.mode, UID: n.uid, GID: n.gid,
		Rdev: n.rdev, Size: n.size(), Blksize: pageSize,
		Atime: n.atime, Mtime: n.mtime, Ctime: n.ctime,
	}
	if n.data != nil {
		st.Blocks = (st.Size + 511) / 512
		if pd, ok := n.data.(PageCounter); ok {
			st.Blocks = int64(pd.Pages()) * (pageSize / 512)
		}
	}
	return st
}

// getStatx fills struct statx: every basic field, btime and the mount id,
// whatever was asked (Linux fills what it has and says so in the mask).
func (n *Inode) getStatx() abi.Statx {
	st := n.getStat()
	n.mu.RLock()
	btime := n.btime
	n.mu.RUnlock()
	return abi.Statx{
		Mask:    abi.STATX_BASIC_STATS | abi.STATX_BTIME | abi.STATX_MNT_ID,
		Blksize: uint32(st.Blksize), Nlink: uint32(st.Nlink), UID: st.UID, GID: st.GID,
		Mode: uint16(st.Mode), Ino: st.Ino, Size: uint64(st.Size), Blocks: uint64(st.Blocks),
		Atime: st.Atime, Btime: btime, Ctime: st.Ctime, Mtime: st.Mtime,
		RdevMajor: abi.Major(st.Rdev), RdevMinor: abi.Minor(st.Rdev),
		DevMajor: abi.Major(st.Dev), DevMinor: abi.Minor(st.Dev), MntID: n.fs.mountID,
	}
}

// dropLink decrements nlink (an unlink, or a directory's removal) and
// returns whether the inode's Data should now be released. Preconditions:
// mu held for writing.
func (n *Inode) dropLink() bool {
	if n.nlink > 0 {
		n.nlink--
	}
	if n.IsDir() {
		n.nlink = 0
		n.dead = true
	}
	n.touchCtime()
	return n.releasableLocked()
}

// releasableLocked reports, once, that the inode has neither names nor
// open files and its Data can go. Preconditions: mu held for writing.
func (n *Inode) releasableLocked() bool {
	if n.nlink == 0 && n.opens == 0 && !n.released && n.data != nil {
		n.released = true
		return true
	}
	return false
}

// releaseData releases the Data (with no lock held).
func (n *Inode) releaseData() {
	if r, ok := n.data.(Releaser); ok {
		r.Release()
	}
}

// openRef counts an open file of the inode.
func (n *Inode) openRef() {
	n.mu.Lock()
	n.opens++
	n.mu.Unlock()
}

// closeRef drops what openRef counted, releasing the Data of a file with
// no name left.
func (n *Inode) closeRef() {
	n.mu.Lock()
	n.opens--
	rel := n.releasableLocked()
	n.mu.Unlock()
	if rel {
		n.releaseData()
	}
}
