// open.go: openat(2) — lookup or creation, the checks Linux makes in its
// order, O_TRUNC, and the per-type open (FIFOs, devices, synthetic files)
// — O_TMPFILE, and the open exec uses.

// trapctx: process context only

package fs

import (
	"retract/kernel/abi"
)

// Openat is openat(2): it returns the new descriptor.
func Openat(t *Task, dirfd int, path string, flags, mode uint32) (int, error) {
	f, err := OpenFile(t, dirfd, path, flags, mode)
	if err != nil {
		return -1, err
	}
	fd, err := t.Files.Install(f, flags&abi.O_CLOEXEC != 0)
	if err != nil {
		f.Put()
		return -1, err
	}
	return fd, nil
}

// OpenFile opens like Openat but returns the File instead of installing
// it (the kernel's own opens: exec, the initial console).
func OpenFile(t *Task, dirfd int, path string, flags, mode uint32) (*File, error) {
	if flags&abi.O_PATH != 0 {
		flags &= abi.O_PATH | abi.O_DIRECTORY | abi.O_NOFOLLOW | abi.O_CLOEXEC
	} else {
		flags |= abi.O_LARGEFILE
	}
	acc := flags & abi.O_ACCMODE
	if flags&abi.OTmpfileBit != 0 {
		if flags&(abi.O_TMPFILE|abi.O_CREAT) != abi.O_TMPFILE || acc == abi.O_RDONLY {
			return nil, abi.EINVAL
		}
	}
	start, err := t.start(dirfd, path, false)
	if err != nil {
		return nil, err
	}
	nd := t.nd()
	umask := t.umask()
	var n *Inode
	created := false
	switch {
	case flags&abi.OTmpfileBit != 0:
		dir, err := nd.resolve(start, path, true)
		if err != nil {
			return nil, err
		}
		if !dir.IsDir() {
			return nil, abi.ENOTDIR
		}
		return openTmpfile(dir, flags, mode&^umask&abi.S_IALLUGO)
	case flags&abi.O_CREAT != 0:
		n, created, err = openCreate(nd, start, path, flags, mode&abi.S_IALLUGO&^umask)
	default:
		n, err = nd.resolve(start, path, flags&abi.O_NOFOLLOW == 0)
	}
	if err != nil {
		return nil, err
	}
	if created && flags&abi.O_DIRECTORY != 0 {
		return nil, abi.ENOTDIR // Linux 5.7-6.3: the file is created all the same
	}
	return openInode(nd, n, flags, t.Intr)
}

func (t *Task) umask() uint32 { _, _, m := t.FS.get(); return m }

// openCreate resolves path for O_CREAT: the existing file (following
// symbolic links, even dangling ones, whose target it then creates), or a
// new regular file of mode perm. EEXIST with O_EXCL, whatever is there.
func openCreate(nd *nameidata, start *Inode, path string, flags, perm uint32) (*Inode, bool, error) {
	dir, last, slash, err := nd.walkParent(start, path)
	if err != nil {
		return nil, false, err
	}
	for {
		if last == "" || last == "." || last == ".." {
			return nil, false, abi.EISDIR
		}
		if len(last) > abi.NAME_MAX {
			return nil, false, abi.ENAMETOOLONG
		}
		if dir.synth != nil {
			n, err := dir.lookupChild(nd.owner, last)
			if err == abi.ENOENT {
				return nil, false, abi.EACCES // no create operation
			}
			if err == nil && flags&abi.O_EXCL != 0 {
				return nil, false, abi.EEXIST
			}
			return n, false, err
		}
		dir.mu.Lock()
		n := dir.lookupLocked(last)
		if n == nil {
			if dir.dead {
				dir.mu.Unlock()
				return nil, false, abi.ENOENT
			}
			if slash {
				dir.mu.Unlock()
				return nil, false, abi.EISDIR
			}
			n = dir.fs.newInode(abi.S_IFREG | perm)
			n.data = NewData(last)
			dir.linkLocked(last, n)
			dir.mu.Unlock()
			nd.lastDir, nd.lastName = dir, last
			return n, true, nil
		}
		dir.mu.Unlock()
		if flags&abi.O_EXCL != 0 {
			return nil, false, abi.EEXIST
		}
		nd.lastDir, nd.lastName = dir, last
		n = crossMounts(n)
		if !n.IsSymlink() {
			if slash && !n.IsDir() {
				return nil, false, abi.ENOTDIR
			}
			return n, false, nil
		}
		if flags&abi.O_NOFOLLOW != 0 && !slash {
			return nil, false, abi.ELOOP
		}
		nd.links++
		if nd.links > abi.MAXSYMLINKS {
			return nil, false, abi.ELOOP
		}
		target, err := n.readlink(nd.owner)
		if err != nil {
			return nil, false, err
		}
		if target == "" {
			return nil, false, abi.ENOENT
		}
		tslash := slash
		if dir, last, slash, err = nd.walkParent(dir, target); err != nil {
			return nil, false, err
		}
		slash = slash || tslash
	}
}

// openInode makes the File for an inode found by a lookup, after the
// checks of Linux's may_open.
func openInode(nd *nameidata, n *Inode, flags uint32, intr <-chan struct{}) (*File, error) {
	acc := flags & abi.O_ACCMODE
	wantWrite := acc == abi.O_WRONLY || acc == abi.O_RDWR
	if flags&abi.O_PATH != 0 {
		if flags&abi.O_DIRECTORY != 0 && !n.IsDir() {
			return nil, abi.ENOTDIR
		}
		f := newFile(pathOps{}, n, flags)
		f.dir, f.name, f.stream = nd.lastDir, nd.lastName, true
		return f, nil
	}
	switch n.Type() {
	case abi.S_IFLNK:
		return nil, abi.ELOOP
	case abi.S_IFDIR:
		if wantWrite || flags&(abi.O_CREAT|abi.O_TRUNC) != 0 {
			return nil, abi.EISDIR
		}
	case abi.S_IFSOCK, abi.S_IFBLK:
		if flags&abi.O_DIRECTORY != 0 {
			return nil, abi.ENOTDIR
		}
		return nil, abi.ENXIO
	}
	if flags&abi.O_DIRECTORY != 0 && !n.IsDir() {
		return nil, abi.ENOTDIR
	}
	if n.synth != nil && wantWrite && n.synth.Write == nil {
		return nil, abi.EACCES
	}
	var ops FileOps
	switch {
	case n.synth != nil && n.IsDir():
		ops = dirOps{}
	case n.synth != nil:
		ops = synthOps{}
	case n.IsDir():
		ops = dirOps{}
	case n.IsRegular():
		ops = regularOps{}
	}
	if n.IsRegular() && n.synth == nil && flags&abi.O_TRUNC != 0 {
		n.mu.Lock()
		err := n.truncateLocked(0)
		n.mu.Unlock()
		if err != nil {
			return nil, err
		}
	}
	f := newFile(ops, n, flags)
	f.dir, f.name, f.owner = nd.lastDir, nd.lastName, nd.owner
	switch n.Type() {
	case abi.S_IFIFO:
		f.stream = true
		if err := openFIFO(f, n.pipe, intr); err != nil {
			return nil, err
		}
	case abi.S_IFCHR:
		d := n.fs.vfs.device(n.rdev)
		if d == nil {
			return nil, abi.ENXIO
		}
		ops, err := d.Open(f)
		if err != nil {
			return nil, err
		}
		f.ops = ops
	}
	n.openRef()
	return f, nil
}

// openTmpfile makes an unnamed regular file in dir's file system
// (O_TMPFILE); linkat with AT_EMPTY_PATH can give it a name unless
// O_EXCL was given.
func openTmpfile(dir *Inode, flags, perm uint32) (*File, error) {
	if dir.synth != nil || dir.fs == dir.fs.vfs.pipefs || dir.fs == dir.fs.vfs.anonfs {
		return nil, abi.EOPNOTSUPP
	}
	dir.mu.RLock()
	dead := dir.dead
	dir.mu.RUnlock()
	if dead {
		return nil, abi.ENOENT
	}
	n := dir.fs.newInode(abi.S_IFREG | perm)
	n.nlink = 0
	n.data = NewData("#tmpfile")
	if flags&abi.O_EXCL == 0 {
		n.seals = tmpfileLinkable
	}
	f := newFile(regularOps{}, n, flags)
	f.name = "#" + itoa(n.ino)
	n.openRef()
	return f, nil
}

// tmpfileLinkable marks an O_TMPFILE file (without O_EXCL) that linkat
// may give a name (Linux's I_LINKABLE; a bit above the memfd seals).
const tmpfileLinkable = 1 << 16

// OpenExec opens the file execve runs: symbolic links followed (ELOOP
// with AT_SYMLINK_NOFOLLOW on a link), AT_EMPTY_PATH allowed; EACCES
// unless a regular file with an execute bit; read-only.
func OpenExec(t *Task, dirfd int, path string, atFlags uint32) (*File, error) {
	if atFlags&^(abi.AT_EMPTY_PATH|abi.AT_SYMLINK_NOFOLLOW) != 0 {
		return nil, abi.EINVAL
	}
	start, err := t.start(dirfd, path, atFlags&abi.AT_EMPTY_PATH != 0)
	if err != nil {
		return nil, err
	}
	nd := t.nd()
	n := start
	if path != "" {
		if n, err = nd.resolve(start, path, atFlags&abi.AT_SYMLINK_NOFOLLOW == 0); err != nil {
			return nil, err
		}
	}
	if n.IsSymlink() {
		return nil, abi.ELOOP
	}
	n.mu.RLock()
	mode := n.mode
	n.mu.RUnlock()
	if !n.IsRegular() || mode&abi.S_IXUGO == 0 {
		return nil, abi.EACCES
	}
	return openInode(nd, n, abi.O_RDONLY|abi.O_LARGEFILE, t.Intr)
}

func itoa(v uint64) string {
	if v == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for v > 0 {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
	}
	return string(b[i:])
}
