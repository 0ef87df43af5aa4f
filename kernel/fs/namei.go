// namei.go: the calls that change names — mkdirat, mknodat, symlinkat,
// linkat, unlinkat, renameat2 — and the ones that read or change an
// inode's attributes by name: readlinkat, faccessat2, fchmodat,
// fchownat, utimensat.

// trapctx: process context only

package fs

import (
	"retract/kernel/abi"
)

// createParent resolves the parent of a name to create and returns it
// locked for writing, with the name absent: EEXIST if the name exists or
// is ".", ".." or "/"; with a trailing slash and !wantDir, ENOENT for an
// absent name; EPERM in a synthetic directory; ENOENT in a removed one.
func (t *Task) createParent(dirfd int, path string, wantDir bool) (*Inode, string, error) {
	start, err := t.start(dirfd, path, false)
	if err != nil {
		return nil, "", err
	}
	dir, last, slash, err := t.nd().walkParent(start, path)
	if err != nil {
		return nil, "", err
	}
	if last == "" || last == "." || last == ".." {
		return nil, "", abi.EEXIST
	}
	if len(last) > abi.NAME_MAX {
		return nil, "", abi.ENAMETOOLONG
	}
	if dir.synth != nil {
		if _, err := dir.lookupChild(t.Proc, last); err == nil {
			return nil, "", abi.EEXIST
		}
		return nil, "", abi.EPERM
	}
	dir.mu.Lock()
	if dir.lookupLocked(last) != nil {
		dir.mu.Unlock()
		return nil, "", abi.EEXIST
	}
	if dir.dead {
		dir.mu.Unlock()
		return nil, "", abi.ENOENT
	}
	if slash && !wantDir {
		dir.mu.Unlock()
		return nil, "", abi.ENOENT
	}
	return dir, last, nil
}

// Mkdirat is mkdirat(2): mode's permission and sticky bits less the umask.
func Mkdirat(t *Task, dirfd int, path string, mode uint32) error {
	umask := t.umask()
	dir, last, err := t.createParent(dirfd, path, true)
	if err != nil {
		return err
	}
	defer dir.mu.Unlock()
	n := dir.fs.newInode(abi.S_IFDIR | mode&(abi.S_IRWXUGO|abi.S_ISVTX)&^umask)
	dir.linkLocked(last, n)
	return nil
}

// Mknodat is mknodat(2): regular files (type 0 or S_IFREG), FIFOs,
// character and block devices and sockets (which cannot be opened:
// ENXIO); EPERM for S_IFDIR, EINVAL for an unknown type.
func Mknodat(t *Task, dirfd int, path string, mode uint32, dev uint64) error {
	typ := mode & abi.S_IFMT
	switch typ {
	case 0:
		typ = abi.S_IFREG
	case abi.S_IFREG, abi.S_IFCHR, abi.S_IFBLK, abi.S_IFIFO, abi.S_IFSOCK:
	case abi.S_IFDIR:
		return abi.EPERM
	default:
		return abi.EINVAL
	}
	umask := t.umask()
	dir, last, err := t.createParent(dirfd, path, false)
	if err != nil {
		return err
	}
	defer dir.mu.Unlock()
	n := dir.fs.newInode(typ | mode&abi.S_IALLUGO&^umask)
	switch typ {
	case abi.S_IFREG:
		n.data = NewData(last)
	case abi.S_IFCHR, abi.S_IFBLK:
		n.rdev = dev
	}
	dir.linkLocked(last, n)
	return nil
}

// Symlinkat is symlinkat(2): ENOENT for an empty target, ENAMETOOLONG for
// one of PATH_MAX bytes or more.
func Symlinkat(t *Task, target string, newdirfd int, linkpath string) error {
	if target == "" {
		return abi.ENOENT
	}
	if len(target) >= abi.PATH_MAX {
		return abi.ENAMETOOLONG
	}
	dir, last, err := t.createParent(newdirfd, linkpath, false)
	if err != nil {
		return err
	}
	defer dir.mu.Unlock()
	n := dir.fs.newInode(abi.S_IFLNK | 0o777)
	n.target = target
	dir.linkLocked(last, n)
	return nil
}

// Linkat is linkat(2): a new name for a file (not a directory: EPERM) in
// the same file system (EXDEV); AT_SYMLINK_FOLLOW follows a final link,
// AT_EMPTY_PATH links the descriptor's file (an O_TMPFILE file gets its
// name this way, unless opened with O_EXCL).
func Linkat(t *Task, olddirfd int, oldpath string, newdirfd int, newpath string, flags uint32) error {
	if flags&^(abi.AT_SYMLINK_FOLLOW|abi.AT_EMPTY_PATH) != 0 {
		return abi.EINVAL
	}
	old, err := t.lookup(olddirfd, oldpath, flags&abi.AT_SYMLINK_FOLLOW != 0, flags&abi.AT_EMPTY_PATH != 0)
	if err != nil {
		return err
	}
	dir, last, err := t.createParent(newdirfd, newpath, false)
	if err != nil {
		return err
	}
	defer dir.mu.Unlock()
	if dir.fs != old.fs {
		return abi.EXDEV
	}
	if old.IsDir() {
		return abi.EPERM
	}
	if old.synth != nil || old.fs == old.fs.vfs.pipefs || old.fs == old.fs.vfs.anonfs {
		return abi.EPERM
	}
	old.mu.Lock()
	defer old.mu.Unlock()
	if old.nlink == 0 && (old.seals&tmpfileLinkable == 0 || old.released) {
		return abi.ENOENT
	}
	old.seals &^= tmpfileLinkable
	old.nlink++
	old.touchCtime()
	dir.linkLocked(last, old)
	return nil
}

// Unlinkat is unlinkat(2): a name of anything but a directory (EISDIR),
// or with AT_REMOVEDIR an empty directory (ENOTDIR, ENOTEMPTY; EBUSY for
// a mount point or "/", EINVAL for ".", ENOTEMPTY for "..").
func Unlinkat(t *Task, dirfd int, path string, flags uint32) error {
	if flags&^abi.AT_REMOVEDIR != 0 {
		return abi.EINVAL
	}
	rmdir := flags&abi.AT_REMOVEDIR != 0
	start, err := t.start(dirfd, path, false)
	if err != nil {
		return err
	}
	dir, last, slash, err := t.nd().walkParent(start, path)
	if err != nil {
		return err
	}
	if rmdir {
		switch last {
		case "":
			return abi.EBUSY
		case ".":
			return abi.EINVAL
		case "..":
			return abi.ENOTEMPTY
		}
	} else if last == "" || last == "." || last == ".." {
		return abi.EISDIR
	}
	if len(last) > abi.NAME_MAX {
		return abi.ENAMETOOLONG
	}
	if dir.synth != nil {
		if _, err := dir.lookupChild(t.Proc, last); err != nil {
			return err
		}
		return abi.EPERM
	}
	dir.mu.Lock()
	n := dir.lookupLocked(last)
	if n == nil {
		dir.mu.Unlock()
		return abi.ENOENT
	}
	var release bool
	err = func() error {
		switch {
		case rmdir && !n.IsDir():
			return abi.ENOTDIR
		case !rmdir && n.IsDir():
			return abi.EISDIR
		case !rmdir && slash:
			return abi.ENOTDIR
		case n.mounted.Load() != nil:
			return abi.EBUSY
		}
		n.mu.Lock()
		defer n.mu.Unlock()
		if rmdir && !n.isEmptyLocked() {
			return abi.ENOTEMPTY
		}
		dir.unlinkLocked(last, n)
		release = n.dropLink()
		return nil
	}()
	dir.mu.Unlock()
	if release {
		n.releaseData()
	}
	return err
}

// ancestor reports whether a is b or one of its ancestors in their file
// system. Preconditions: the file system's renameMu held (parents of
// existing directories only change under it).
func ancestor(a, b *Inode) bool {
	for cur := b; cur != nil; cur = cur.parent {
		if cur == a {
			return true
		}
	}
	return false
}

// Renameat2 is renameat2(2) (rename and renameat too): RENAME_NOREPLACE
// (EEXIST), RENAME_EXCHANGE (ENOENT if the target is missing); EXDEV
// across file systems; EINVAL for a directory moved under itself,
// ENOTEMPTY for a target that is its ancestor or a non-empty directory;
// EISDIR/ENOTDIR for mismatched types; EBUSY for ".", "..", "/" and mount
// points. RENAME_WHITEOUT is not supported (EINVAL).
func Renameat2(t *Task, olddirfd int, oldpath string, newdirfd int, newpath string, flags uint32) error {
	if flags&^(abi.RENAME_NOREPLACE|abi.RENAME_EXCHANGE|abi.RENAME_WHITEOUT) != 0 ||
		flags&abi.RENAME_NOREPLACE != 0 && flags&abi.RENAME_EXCHANGE != 0 ||
		flags&abi.RENAME_WHITEOUT != 0 {
		return abi.EINVAL
	}
	exchange := flags&abi.RENAME_EXCHANGE != 0
	ostart, err := t.start(olddirfd, oldpath, false)
	if err != nil {
		return err
	}
	nstart, err := t.start(newdirfd, newpath, false)
	if err != nil {
		return err
	}
	odir, olast, oslash, err := t.nd().walkParent(ostart, oldpath)
	if err != nil {
		return err
	}
	ndir, nlast, nslash, err := t.nd().walkParent(nstart, newpath)
	if err != nil {
		return err
	}
	if odir.fs != ndir.fs {
		return abi.EXDEV
	}
	if olast == "" || olast == "." || olast == ".." {
		return abi.EBUSY
	}
	if nlast == "" || nlast == "." || nlast == ".." {
		if flags&abi.RENAME_NOREPLACE != 0 {
			return abi.EEXIST
		}
		return abi.EBUSY
	}
	if len(olast) > abi.NAME_MAX || len(nlast) > abi.NAME_MAX {
		return abi.ENAMETOOLONG
	}
	if odir.synth != nil || ndir.synth != nil {
		return abi.EPERM
	}
	fs := odir.fs
	fs.renameMu.Lock()
	defer fs.renameMu.Unlock()
	// The parents: an ancestor before its descendant, else old first
	// (renameMu makes any order of unrelated directories safe).
	first, second := odir, ndir
	if odir != ndir && ancestor(ndir, odir) {
		first, second = ndir, odir
	}
	first.mu.Lock()
	defer first.mu.Unlock()
	if second != first {
		second.mu.Lock()
		defer second.mu.Unlock()
	}
	old := odir.lookupLocked(olast)
	if old == nil {
		return abi.ENOENT
	}
	victim := ndir.lookupLocked(nlast)
	if exchange && victim == nil {
		return abi.ENOENT
	}
	if flags&abi.RENAME_NOREPLACE != 0 && victim != nil {
		return abi.EEXIST
	}
	if !old.IsDir() {
		if oslash || nslash && (!exchange || victim != nil && !victim.IsDir()) {
			return abi.ENOTDIR
		}
	} else if exchange && nslash && !victim.IsDir() {
		return abi.ENOTDIR
	}
	if old.IsDir() && ancestor(old, ndir) {
		return abi.EINVAL
	}
	if victim != nil && victim.IsDir() && ancestor(victim, odir) {
		if exchange {
			return abi.EINVAL
		}
		return abi.ENOTEMPTY
	}
	if old == victim {
		return nil
	}
	if odir.dead || ndir.dead {
		return abi.ENOENT
	}
	if old.mounted.Load() != nil || victim != nil && victim.mounted.Load() != nil {
		return abi.EBUSY
	}
	if exchange {
		renameExchange(odir, olast, old, ndir, nlast, victim)
		return nil
	}
	var release bool
	if victim != nil {
		switch {
		case old.IsDir() && !victim.IsDir():
			return abi.ENOTDIR
		case !old.IsDir() && victim.IsDir():
			return abi.EISDIR
		}
		victim.mu.Lock()
		if victim.IsDir() && !victim.isEmptyLocked() {
			victim.mu.Unlock()
			return abi.ENOTEMPTY
		}
		ndir.unlinkLocked(nlast, victim)
		release = victim.dropLink()
		victim.mu.Unlock()
	}
	odir.unlinkLocked(olast, old)
	old.mu.Lock()
	ndir.linkLocked(nlast, old)
	old.touchCtime()
	old.mu.Unlock()
	if release {
		victim.releaseData()
	}
	return nil
}

// renameExchange swaps two names (RENAME_EXCHANGE). Preconditions: both
// parents locked, renameMu held.
func renameExchange(odir *Inode, olast string, a *Inode, ndir *Inode, nlast string, b *Inode) {
	odir.unlinkLocked(olast, a)
	ndir.unlinkLocked(nlast, b)
	a.mu.Lock()
	b.mu.Lock()
	ndir.linkLocked(nlast, a)
	odir.linkLocked(olast, b)
	a.touchCtime()
	b.touchCtime()
	b.mu.Unlock()
	a.mu.Unlock()
}

// Readlinkat is readlinkat(2): the target, cut to size bytes (no NUL).
// EINVAL for size <= 0 or a file that is not a link (ENOENT when path is
// empty: the descriptor's own file, an O_PATH|O_NOFOLLOW link).
func Readlinkat(t *Task, dirfd int, path string, size int) ([]byte, error) {
	if size <= 0 {
		return nil, abi.EINVAL
	}
	n, err := t.lookup(dirfd, path, false, true)
	if err != nil {
		return nil, err
	}
	if !n.IsSymlink() {
		if path == "" {
			return nil, abi.ENOENT
		}
		return nil, abi.EINVAL
	}
	target, err := n.readlink(t.Proc)
	if err != nil {
		return nil, err
	}
	n.touchAtime()
	if len(target) > size {
		target = target[:size]
	}
	return []byte(target), nil
}

// Faccessat2 is faccessat2(2) (access and faccessat with flags 0): root
// may do everything but execute a file that has no execute bit (EACCES).
// EINVAL for unknown mode bits or flags.
func Faccessat2(t *Task, dirfd int, path string, mode, flags uint32) error {
	if mode&^(abi.R_OK|abi.W_OK|abi.X_OK) != 0 ||
		flags&^(abi.AT_EACCESS|abi.AT_SYMLINK_NOFOLLOW|abi.AT_EMPTY_PATH) != 0 {
		return abi.EINVAL
	}
	n, err := t.lookup(dirfd, path, flags&abi.AT_SYMLINK_NOFOLLOW == 0, flags&abi.AT_EMPTY_PATH != 0)
	if err != nil {
		return err
	}
	if mode&abi.X_OK != 0 && !n.IsDir() {
		n.mu.RLock()
		m := n.mode
		n.mu.RUnlock()
		if m&abi.S_IXUGO == 0 {
			return abi.EACCES
		}
	}
	return nil
}

// setattr changes an inode's attributes under its lock (EPERM on
// synthetic nodes and pipes).
func setattr(n *Inode, fn func()) error {
	if n.synth != nil {
		return abi.EPERM
	}
	n.mu.Lock()
	fn()
	n.touchCtime()
	n.mu.Unlock()
	return nil
}

func chmod(n *Inode, mode uint32) error {
	return setattr(n, func() { n.mode = n.ftype | mode&abi.S_IALLUGO })
}

// Fchmodat is fchmodat(2) (chmod): follows links.
func Fchmodat(t *Task, dirfd int, path string, mode uint32) error {
	n, err := t.lookup(dirfd, path, true, false)
	if err != nil {
		return err
	}
	return chmod(n, mode)
}

// Fchmod is fchmod(2) (EBADF on O_PATH descriptors).
func Fchmod(t *Task, fd int, mode uint32) error {
	f, err := t.getFile(fd)
	if err != nil {
		return err
	}
	defer f.Put()
	return chmod(f.inode, mode)
}

func chown(n *Inode, uid, gid uint32) error {
	return setattr(n, func() {
		if uid != ^uint32(0) {
			n.uid = uid
		}
		if gid != ^uint32(0) {
			n.gid = gid
		}
		if !n.IsDir() && (uid != ^uint32(0) || gid != ^uint32(0)) {
			n.mode &^= abi.S_ISUID
			if n.mode&0o010 != 0 {
				n.mode &^= abi.S_ISGID
			}
		}
	})
}

// Fchownat is fchownat(2) (chown, lchown): -1 leaves an id as it is;
// AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH.
func Fchownat(t *Task, dirfd int, path string, uid, gid uint32, flags uint32) error {
	if flags&^(abi.AT_SYMLINK_NOFOLLOW|abi.AT_EMPTY_PATH) != 0 {
		return abi.EINVAL
	}
	n, err := t.lookup(dirfd, path, flags&abi.AT_SYMLINK_NOFOLLOW == 0, flags&abi.AT_EMPTY_PATH != 0)
	if err != nil {
		return err
	}
	return chown(n, uid, gid)
}

// Fchown is fchown(2).
func Fchown(t *Task, fd int, uid, gid uint32) error {
	f, err := t.getFile(fd)
	if err != nil {
		return err
	}
	defer f.Put()
	return chown(f.inode, uid, gid)
}

// utimes sets atime and mtime (nil: both now; UTIME_NOW, UTIME_OMIT).
func utimes(n *Inode, times *[2]abi.Timespec) error {
	now := n.fs.vfs.now()
	ts := [2]abi.Timespec{now, now}
	if times != nil {
		for i, v := range times {
			switch v.Nsec {
			case abi.UTIME_NOW:
			case abi.UTIME_OMIT:
				ts[i].Nsec = abi.UTIME_OMIT
			default:
				if v.Nsec < 0 || v.Nsec >= 1e9 {
					return abi.EINVAL
				}
				ts[i] = v
			}
		}
		if ts[0].Nsec == abi.UTIME_OMIT && ts[1].Nsec == abi.UTIME_OMIT {
			return nil
		}
	}
	return setattr(n, func() {
		if ts[0].Nsec != abi.UTIME_OMIT {
			n.atime = ts[0]
		}
		if ts[1].Nsec != abi.UTIME_OMIT {
			n.mtime = ts[1]
		}
	})
}

// Utimensat is utimensat(2) with a path (times nil: now).
func Utimensat(t *Task, dirfd int, path string, times *[2]abi.Timespec, flags uint32) error {
	if flags&^(abi.AT_SYMLINK_NOFOLLOW|abi.AT_EMPTY_PATH) != 0 {
		return abi.EINVAL
	}
	n, err := t.lookup(dirfd, path, flags&abi.AT_SYMLINK_NOFOLLOW == 0, flags&abi.AT_EMPTY_PATH != 0)
	if err != nil {
		return err
	}
	return utimes(n, times)
}

// Futimens is utimensat(2) with a NULL path: the descriptor's file.
func Futimens(t *Task, fd int, times *[2]abi.Timespec) error {
	f, err := t.Files.Get(fd)
	if err != nil {
		return err
	}
	defer f.Put()
	if f.inode == nil {
		return abi.EBADF
	}
	return utimes(f.inode, times)
}
