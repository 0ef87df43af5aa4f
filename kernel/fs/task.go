// task.go: the calling thread's view — descriptor table, root, cwd and
// umask (Linux's files_struct and fs_struct), its interruption channel —
// and the calls that change them: chdir, fchdir, getcwd, umask.

// trapctx: process context only

package fs

import (
	"retract/kernel/abi"
	"retract/lockdep"
)

// Task is what every system call of this package gets from the process
// layer: one per thread.
type Task struct {
	// Files is the descriptor table, shared by threads created with
	// CLONE_FILES.
	Files *FDTable
	// FS is the root, cwd and umask, shared under CLONE_FS.
	FS *FSContext
	// Intr interrupts a blocking call: the process layer closes it when
	// a signal becomes pending for the thread (and gives the thread a new
	// one once the signal is handled). A blocked call then returns the
	// restart code Linux returns there (ERESTARTSYS for reads and
	// writes, ERESTARTNOHAND for poll, EINTR for epoll_wait); nil never
	// interrupts.
	Intr <-chan struct{}
	// Proc is passed to synthetic files' callbacks (/proc/self needs to
	// know who asks); fs does not look into it.
	Proc any
}

// FSContext is Linux's fs_struct: a root, a cwd and a umask.
type FSContext struct {
	mu    lockdep.Mutex // fs.FSContext.mu: the fields below; a leaf
	root  *Inode
	cwd   *Inode
	umask uint32
}

// NewFSContext returns a context with root and cwd at dir and umask 022.
func NewFSContext(dir *Inode) *FSContext {
	c := &FSContext{root: dir, cwd: dir, umask: 0o022}
	c.mu.Class = classFSContext
	return c
}

// Clone copies the context (fork without CLONE_FS).
func (c *FSContext) Clone() *FSContext {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := NewFSContext(c.root)
	n.cwd, n.umask = c.cwd, c.umask
	return n
}

func (c *FSContext) get() (root, cwd *Inode, umask uint32) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.root, c.cwd, c.umask
}

// Root and Cwd return the context's directories.
func (c *FSContext) Root() *Inode { r, _, _ := c.get(); return r }
func (c *FSContext) Cwd() *Inode  { _, w, _ := c.get(); return w }

// vfs returns the namespace the task lives in.
func (t *Task) vfs() *VFS { return t.FS.Root().fs.vfs }

// nd starts a lookup for the task.
func (t *Task) nd() *nameidata { return &nameidata{root: t.FS.Root(), owner: t.Proc} }

// start returns the directory a path is resolved from: the root for an
// absolute path, the cwd for AT_FDCWD, else dirfd's file (EBADF; ENOTDIR
// unless a directory). With emptyOK and an empty path, dirfd's file
// itself, whatever its type (AT_EMPTY_PATH); without, an empty path is
// ENOENT.
func (t *Task) start(dirfd int, path string, emptyOK bool) (*Inode, error) {
	if path == "" && !emptyOK {
		return nil, abi.ENOENT
	}
	if len(path) > 0 && path[0] == '/' {
		return t.FS.Root(), nil
	}
	if dirfd == abi.AT_FDCWD {
		return t.FS.Cwd(), nil
	}
	f, err := t.Files.Get(dirfd)
	if err != nil {
		return nil, err
	}
	defer f.Put()
	if f.inode == nil {
		return nil, abi.ENOTDIR
	}
	if path != "" && !f.inode.IsDir() {
		return nil, abi.ENOTDIR
	}
	return f.inode, nil
}

// lookup resolves dirfd/path to an inode; follow says whether a final
// symbolic link is followed; emptyOK allows AT_EMPTY_PATH.
func (t *Task) lookup(dirfd int, path string, follow, emptyOK bool) (*Inode, error) {
	start, err := t.start(dirfd, path, emptyOK)
	if err != nil {
		return nil, err
	}
	if path == "" {
		return start, nil
	}
	return t.nd().resolve(start, path, follow)
}

// Chdir is chdir(2).
func Chdir(t *Task, path string) error {
	n, err := t.lookup(abi.AT_FDCWD, path, true, false)
	if err != nil {
		return err
	}
	if !n.IsDir() {
		return abi.ENOTDIR
	}
	t.FS.mu.Lock()
	t.FS.cwd = n
	t.FS.mu.Unlock()
	return nil
}

// Fchdir is fchdir(2) (an O_PATH descriptor will do).
func Fchdir(t *Task, fd int) error {
	f, err := t.Files.Get(fd)
	if err != nil {
		return err
	}
	defer f.Put()
	if f.inode == nil || !f.inode.IsDir() {
		return abi.ENOTDIR
	}
	t.FS.mu.Lock()
	t.FS.cwd = f.inode
	t.FS.mu.Unlock()
	return nil
}

// Chroot is chroot(2) (root may do it).
func Chroot(t *Task, path string) error {
	n, err := t.lookup(abi.AT_FDCWD, path, true, false)
	if err != nil {
		return err
	}
	if !n.IsDir() {
		return abi.ENOTDIR
	}
	t.FS.mu.Lock()
	t.FS.root = n
	t.FS.mu.Unlock()
	return nil
}

// Getcwd is getcwd(2): the cwd's path with its NUL, if it fits in size
// bytes (ERANGE); ENOENT if the cwd was removed. A cwd outside the root
// reads "(unreachable)" followed by its path, like Linux.
func Getcwd(t *Task, size int) ([]byte, error) {
	root, cwd, _ := t.FS.get()
	p, ok := pathOf(root, cwd)
	if !ok {
		return nil, abi.ENOENT
	}
	if !reachable(root, cwd) {
		p = "(unreachable)" + p
	}
	if len(p)+1 > abi.PATH_MAX {
		return nil, abi.ENAMETOOLONG
	}
	if len(p)+1 > size {
		return nil, abi.ERANGE
	}
	return append([]byte(p), 0), nil
}

// reachable reports whether root is n or one of its ancestors.
func reachable(root, n *Inode) bool {
	nd := &nameidata{root: root}
	for {
		if n == root {
			return true
		}
		p := nd.dotdot(n)
		if p == n {
			return false
		}
		n = p
	}
}

// Umask is umask(2): sets the mask (its 0777 bits) and returns the old one.
func Umask(t *Task, mask uint32) uint32 {
	t.FS.mu.Lock()
	defer t.FS.mu.Unlock()
	old := t.FS.umask
	t.FS.umask = mask & 0o777
	return old
}
