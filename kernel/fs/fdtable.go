// fdtable.go: descriptor tables (Linux's files_struct): the lowest free
// descriptor, the RLIMIT_NOFILE limit, close-on-exec, dup, fork's copy,
// exec's close, sharing between threads.

// trapctx: process context only

package fs

import (
	"sync/atomic"

	"retract/kernel/abi"
	"retract/lockdep"
)

// FDTable maps descriptors to open files.
type FDTable struct {
	// mu (fs.FDTable.mu) protects the slots and the limit. No other lock
	// is taken under it: files are released after it is dropped.
	mu      lockdep.Mutex
	files   []*File
	cloexec []bool
	limit   int

	users atomic.Int32 // threads sharing the table (CLONE_FILES)
}

// NewFDTable returns an empty table with the default limit (1024) and one
// user.
func NewFDTable() *FDTable {
	t := &FDTable{limit: abi.RLIMIT_NOFILE_DEFAULT}
	t.mu.Class = classFDTable
	t.users.Store(1)
	return t
}

// Limit returns the descriptor limit (RLIMIT_NOFILE's soft value).
func (t *FDTable) Limit() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.limit
}

// SetLimit sets the limit (setrlimit); EPERM above NR_OPEN. Descriptors
// already open above it stay.
func (t *FDTable) SetLimit(n int) error {
	if n < 0 || n > abi.NR_OPEN {
		return abi.EPERM
	}
	t.mu.Lock()
	t.limit = n
	t.mu.Unlock()
	return nil
}

// Get returns the file of fd with a reference (Put it): EBADF if fd is not
// open.
func (t *FDTable) Get(fd int) (*File, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if fd < 0 || fd >= len(t.files) || t.files[fd] == nil {
		return nil, abi.EBADF
	}
	return t.files[fd].Get(), nil
}

// lowestLocked returns the lowest free descriptor >= from (EMFILE at the
// limit). Preconditions: mu held.
func (t *FDTable) lowestLocked(from int) (int, error) {
	for fd := from; fd < t.limit; fd++ {
		if fd >= len(t.files) || t.files[fd] == nil {
			return fd, nil
		}
	}
	return -1, abi.EMFILE
}

// setLocked puts f at fd, growing the table, and returns what was there.
func (t *FDTable) setLocked(fd int, f *File, cloexec bool) *File {
	for fd >= len(t.files) {
		t.files = append(t.files, nil)
		t.cloexec = append(t.cloexec, false)
	}
	old := t.files[fd]
	t.files[fd], t.cloexec[fd] = f, cloexec
	return old
}

// Install puts f at the lowest free descriptor; the table takes over the
// caller's reference (on error the caller keeps it).
func (t *FDTable) Install(f *File, cloexec bool) (int, error) {
	return t.installFrom(0, f, cloexec)
}

func (t *FDTable) installFrom(from int, f *File, cloexec bool) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	fd, err := t.lowestLocked(from)
	if err != nil {
		return -1, err
	}
	t.setLocked(fd, f, cloexec)
	return fd, nil
}

// Close is close(2).
func (t *FDTable) Close(fd int) error {
	t.mu.Lock()
	if fd < 0 || fd >= len(t.files) || t.files[fd] == nil {
		t.mu.Unlock()
		return abi.EBADF
	}
	f := t.setLocked(fd, nil, false)
	t.mu.Unlock()
	f.Put()
	return nil
}

// Dup is dup(2).
func (t *FDTable) Dup(fd int) (int, error) { return t.dupFrom(fd, 0, false) }

func (t *FDTable) dupFrom(fd, from int, cloexec bool) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if fd < 0 || fd >= len(t.files) || t.files[fd] == nil {
		return -1, abi.EBADF
	}
	nfd, err := t.lowestLocked(from)
	if err != nil {
		return -1, err
	}
	t.setLocked(nfd, t.files[fd].Get(), cloexec)
	return nfd, nil
}

// Dup2 is dup2(2): like Dup3 but newfd == oldfd returns newfd if open.
func (t *FDTable) Dup2(oldfd, newfd int) (int, error) {
	if oldfd == newfd {
		f, err := t.Get(oldfd)
		if err != nil {
			return -1, err
		}
		f.Put()
		return newfd, nil
	}
	return t.Dup3(oldfd, newfd, 0)
}

// Dup3 is dup3(2): EINVAL for flags other than O_CLOEXEC or oldfd ==
// newfd, EBADF for a bad oldfd or a newfd outside the limit.
func (t *FDTable) Dup3(oldfd, newfd int, flags uint32) (int, error) {
	if flags&^abi.O_CLOEXEC != 0 || oldfd == newfd {
		return -1, abi.EINVAL
	}
	t.mu.Lock()
	if newfd < 0 || newfd >= t.limit {
		t.mu.Unlock()
		return -1, abi.EBADF
	}
	if oldfd < 0 || oldfd >= len(t.files) || t.files[oldfd] == nil {
		t.mu.Unlock()
		return -1, abi.EBADF
	}
	old := t.setLocked(newfd, t.files[oldfd].Get(), flags&abi.O_CLOEXEC != 0)
	t.mu.Unlock()
	if old != nil {
		old.Put()
	}
	return newfd, nil
}

// GetCloexec and SetCloexec are F_GETFD and F_SETFD.
func (t *FDTable) GetCloexec(fd int) (bool, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if fd < 0 || fd >= len(t.files) || t.files[fd] == nil {
		return false, abi.EBADF
	}
	return t.cloexec[fd], nil
}

func (t *FDTable) SetCloexec(fd int, on bool) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if fd < 0 || fd >= len(t.files) || t.files[fd] == nil {
		return abi.EBADF
	}
	t.cloexec[fd] = on
	return nil
}

// CloseRange is close_range(2) on this table: EINVAL if first > last or
// for unknown flags. With CLOSE_RANGE_CLOEXEC it marks instead of
// closing. CLOSE_RANGE_UNSHARE is the caller's (see the CloseRange
// syscall function).
func (t *FDTable) CloseRange(first, last uint, flags uint32) error {
	if flags&^(abi.CLOSE_RANGE_UNSHARE|abi.CLOSE_RANGE_CLOEXEC) != 0 || first > last {
		return abi.EINVAL
	}
	var drop []*File
	t.mu.Lock()
	for fd := first; fd <= last && fd < uint(len(t.files)); fd++ {
		if t.files[fd] == nil {
			continue
		}
		if flags&abi.CLOSE_RANGE_CLOEXEC != 0 {
			t.cloexec[fd] = true
		} else {
			drop = append(drop, t.setLocked(int(fd), nil, false))
		}
	}
	t.mu.Unlock()
	for _, f := range drop {
		f.Put()
	}
	return nil
}

// Clone copies the table for a child that does not share it (fork): the
// same open files, each with another reference, and the same flags.
func (t *FDTable) Clone() *FDTable {
	n := NewFDTable()
	t.mu.Lock()
	defer t.mu.Unlock()
	n.limit = t.limit
	for fd, f := range t.files {
		if f != nil {
			n.setLocked(fd, f.Get(), t.cloexec[fd])
		}
	}
	return n
}

// Share returns the table for a thread that shares it (CLONE_FILES),
// counting the new user.
func (t *FDTable) Share() *FDTable {
	t.users.Add(1)
	return t
}

// Unshare returns a table of the caller's own: t itself when no other
// thread shares it, else a copy (and t loses a user). exec and
// CLOSE_RANGE_UNSHARE do this.
func (t *FDTable) Unshare() *FDTable {
	if t.users.Load() == 1 {
		return t
	}
	n := t.Clone()
	t.Release()
	return n
}

// Release drops a user (a thread exiting); the last one closes every
// descriptor — which is how pipes see their writers go.
func (t *FDTable) Release() {
	if t.users.Add(-1) > 0 {
		return
	}
	t.mu.Lock()
	files := t.files
	t.files, t.cloexec = nil, nil
	t.mu.Unlock()
	for _, f := range files {
		if f != nil {
			f.Put()
		}
	}
}

// CloseOnExec closes every descriptor marked close-on-exec (exec does it
// after Unshare).
func (t *FDTable) CloseOnExec() {
	var drop []*File
	t.mu.Lock()
	for fd, f := range t.files {
		if f != nil && t.cloexec[fd] {
			drop = append(drop, t.setLocked(fd, nil, false))
		}
	}
	t.mu.Unlock()
	for _, f := range drop {
		f.Put()
	}
}

// Open returns the open descriptors in order (for /proc/PID/fd).
func (t *FDTable) Open() []int {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []int
	for fd, f := range t.files {
		if f != nil {
			out = append(out, fd)
		}
	}
	return out
}
