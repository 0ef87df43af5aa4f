// epoll.go: epoll instances — files with an interest list, level- or
// edge-triggered, one-shot — and epoll_create1, epoll_ctl, epoll_pwait.

// trapctx: process context only

package fs

import (
	"sync/atomic"
	"time"

	"retract/kernel/abi"
	"retract/lockdep"
)

// Epoll is one epoll instance.
type Epoll struct {
	// mu (fs.Epoll.mu, like ep->mtx) protects the interest list. It is
	// held while the files are polled, so a file's Poll may take its own
	// lock below it (fs.Pipe.mu, fs.TTY.mu, an inner epoll's mu).
	mu    lockdep.Mutex
	items map[epKey]*epItem
	order []*epItem // in the order added: Wait scans round-robin from next
	next  int
	q     Queue // notified when a watched file changes; pollers of the epoll wait on it
}

type epKey struct {
	fd   int
	file *File
}

// epItem is one interest: a file (by its descriptor) and the events
// wanted.
type epItem struct {
	ep       *Epoll
	key      epKey
	events   uint32 // requested events with EPOLLET, EPOLLONESHOT
	data     uint64
	pending  atomic.Bool // the file changed since the last edge-triggered report
	disabled bool        // EPOLLONESHOT fired (until EPOLL_CTL_MOD); under ep.mu
	unwatch  func()
}

// epLinksMu (fs.epLinksMu) protects every File's epItems (which epolls
// watch the file), taken under fs.Epoll.mu.
var epLinksMu = lockdep.Mutex{Class: classEpLinks}

// epNestMu (fs.epollNestMu, like epmutex) serializes adding an epoll to
// another, so that the loop and depth checks see a stable graph.
var epNestMu = lockdep.Mutex{Class: classEpollNest}

// maxEpollNests is how deep epolls may nest (EP_MAX_NESTS).
const maxEpollNests = 4

// NewEpoll makes an epoll instance's file (O_RDWR; fstat shows an
// anonymous inode).
func NewEpoll(v *VFS) (*File, *Epoll) {
	ep := &Epoll{items: map[epKey]*epItem{}}
	ep.mu.Class = classEpoll
	ep.q.init()
	n := v.anonfs.newInode(0o600)
	n.ftype, n.mode = 0, 0o600 // anon_inode: no file type
	f := newFile(epollOps{ep}, n, abi.O_RDWR)
	f.stream = true
	f.kind = "anon_inode:[eventpoll]"
	n.openRef()
	return f, ep
}

// EpollCreate1 is epoll_create1(2): EINVAL for flags other than
// EPOLL_CLOEXEC.
func EpollCreate1(t *Task, flags uint32) (int, error) {
	if flags&^abi.EPOLL_CLOEXEC != 0 {
		return -1, abi.EINVAL
	}
	f, _ := NewEpoll(t.vfs())
	fd, err := t.Files.Install(f, flags&abi.EPOLL_CLOEXEC != 0)
	if err != nil {
		f.Put()
		return -1, err
	}
	return fd, nil
}

func epollOf(f *File) *Epoll {
	if o, ok := f.ops.(epollOps); ok {
		return o.ep
	}
	return nil
}

// EpollCtl is epoll_ctl(2): EBADF for bad descriptors, EINVAL if epfd is
// not an epoll, fd == epfd, a bad op or EPOLLEXCLUSIVE misused; EPERM if
// fd cannot be polled (regular files, directories); EEXIST, ENOENT;
// ELOOP for a cycle of epolls or nesting deeper than 4.
func EpollCtl(t *Task, epfd, op, fd int, ev abi.EpollEvent) error {
	ef, err := t.getFile(epfd)
	if err != nil {
		return err
	}
	defer ef.Put()
	f, err := t.getFile(fd)
	if err != nil {
		return err
	}
	defer f.Put()
	ep := epollOf(ef)
	if ep == nil || f == ef {
		return abi.EINVAL
	}
	if _, ok := f.ops.(Waitable); !ok {
		return abi.EPERM
	}
	return ep.Ctl(op, fd, f, ev)
}

// Ctl changes the interest list: fd and f name the file.
func (ep *Epoll) Ctl(op, fd int, f *File, ev abi.EpollEvent) error {
	if ev.Events&abi.EPOLLEXCLUSIVE != 0 {
		const allowed = abi.EPOLLIN | abi.EPOLLOUT | abi.EPOLLERR | abi.EPOLLHUP | abi.EPOLLWAKEUP | abi.EPOLLET | abi.EPOLLEXCLUSIVE
		if op == abi.EPOLL_CTL_MOD || ev.Events&^allowed != 0 || epollOf(f) != nil {
			return abi.EINVAL
		}
	}
	w, ok := f.ops.(Waitable)
	if !ok {
		return abi.EPERM
	}
	inner := epollOf(f)
	if op == abi.EPOLL_CTL_ADD && inner != nil {
		epNestMu.Lock()
		defer epNestMu.Unlock()
		if inner.reaches(ep, 0) || inner.depth(0)+1 > maxEpollNests {
			return abi.ELOOP
		}
	}
	ep.mu.Lock()
	defer ep.mu.Unlock()
	key := epKey{fd, f}
	it := ep.items[key]
	switch op {
	case abi.EPOLL_CTL_ADD:
		if it != nil {
			return abi.EEXIST
		}
		it = &epItem{ep: ep, key: key, events: ev.Events, data: ev.Data}
		it.pending.Store(true)
		it.unwatch = w.Queue(f).Watch(func() {
			it.pending.Store(true)
			ep.q.Notify()
		})
		ep.items[key] = it
		ep.order = append(ep.order, it)
		epLinksMu.Lock()
		if f.epItems == nil {
			f.epItems = map[*epItem]struct{}{}
		}
		f.epItems[it] = struct{}{}
		epLinksMu.Unlock()
	case abi.EPOLL_CTL_MOD:
		if it == nil {
			return abi.ENOENT
		}
		if it.events&abi.EPOLLEXCLUSIVE != 0 {
			return abi.EINVAL
		}
		it.events, it.data, it.disabled = ev.Events, ev.Data, false
		it.pending.Store(true)
	case abi.EPOLL_CTL_DEL:
		if it == nil {
			return abi.ENOENT
		}
		ep.removeLocked(it)
	default:
		return abi.EINVAL
	}
	ep.q.Notify()
	return nil
}

// removeLocked drops an interest. Preconditions: ep.mu held.
func (ep *Epoll) removeLocked(it *epItem) {
	it.unwatch()
	delete(ep.items, it.key)
	for i, o := range ep.order {
		if o == it {
			ep.order = append(ep.order[:i], ep.order[i+1:]...)
			break
		}
	}
	epLinksMu.Lock()
	delete(it.key.file.epItems, it)
	epLinksMu.Unlock()
}

// epollRelease removes a file being released from every epoll watching
// it (Linux's eventpoll_release).
func epollRelease(f *File) {
	epLinksMu.Lock()
	var items []*epItem
	for it := range f.epItems {
		items = append(items, it)
	}
	epLinksMu.Unlock()
	for _, it := range items {
		it.ep.mu.Lock()
		if it.ep.items[it.key] == it {
			it.ep.removeLocked(it)
		}
		it.ep.mu.Unlock()
	}
}

// reaches reports whether target is ep or watched by ep, directly or
// through nested epolls. Preconditions: epNestMu held.
func (ep *Epoll) reaches(target *Epoll, depth int) bool {
	if ep == target {
		return true
	}
	if depth > maxEpollNests {
		return true
	}
	for _, inner := range ep.inner() {
		if inner.reaches(target, depth+1) {
			return true
		}
	}
	return false
}

// depth is how many epolls deep ep's nesting goes below it.
func (ep *Epoll) depth(d int) int {
	best := d
	if d > maxEpollNests {
		return d
	}
	for _, inner := range ep.inner() {
		best = max(best, inner.depth(d+1))
	}
	return best
}

func (ep *Epoll) inner() []*Epoll {
	ep.mu.Lock()
	defer ep.mu.Unlock()
	var out []*Epoll
	for _, it := range ep.order {
		if e := epollOf(it.key.file); e != nil {
			out = append(out, e)
		}
	}
	return out
}

// collect returns up to max ready events: level-triggered interests
// while ready, edge-triggered ones once per change, one-shot ones once
// until re-armed. With consume false (polling the epoll itself) nothing
// is marked.
func (ep *Epoll) collect(maxEvents int, consume bool) []abi.EpollEvent {
	ep.mu.Lock()
	defer ep.mu.Unlock()
	var out []abi.EpollEvent
	n := len(ep.order)
	start := 0
	if n > 0 {
		start = ep.next % n
	}
	for k := 0; k < n && len(out) < maxEvents; k++ {
		it := ep.order[(start+k)%n]
		if it.disabled {
			continue
		}
		et := it.events&abi.EPOLLET != 0
		if et && !it.pending.Load() {
			continue
		}
		want := it.events | abi.EPOLLERR | abi.EPOLLHUP
		got := it.key.file.ops.Poll(it.key.file) & want & 0x0fffffff
		if got == 0 {
			continue
		}
		if consume {
			if et {
				it.pending.Store(false)
			}
			if it.events&abi.EPOLLONESHOT != 0 {
				it.disabled = true
			}
			ep.next = (start + k + 1) % n
		}
		out = append(out, abi.EpollEvent{Events: got, Data: it.data})
	}
	return out
}

// Wait is epoll_wait: up to max events, waiting at most timeout (< 0:
// forever, 0: not at all). EINVAL if max <= 0; EINTR when intr fires
// (epoll_wait is never restarted).
func (ep *Epoll) Wait(max int, timeout time.Duration, intr <-chan struct{}) ([]abi.EpollEvent, error) {
	if max <= 0 {
		return nil, abi.EINVAL
	}
	var tc <-chan time.Time
	if timeout > 0 {
		tm := time.NewTimer(timeout)
		defer tm.Stop()
		tc = tm.C
	}
	for {
		ch := ep.q.Changed()
		if evs := ep.collect(max, true); len(evs) > 0 {
			return evs, nil
		}
		if timeout == 0 {
			return nil, nil
		}
		switch err := block(ch, intr, tc, abi.EINTR); err {
		case nil:
		case errTimeout:
			return nil, nil
		default:
			return nil, err
		}
	}
}

// EpollPwait is epoll_wait(2)/epoll_pwait(2) (the signal mask is the
// caller's): EBADF, EINVAL if epfd is not an epoll or max <= 0.
func EpollPwait(t *Task, epfd, max int, timeout time.Duration) ([]abi.EpollEvent, error) {
	ef, err := t.getFile(epfd)
	if err != nil {
		return nil, err
	}
	defer ef.Put()
	ep := epollOf(ef)
	if ep == nil || max <= 0 {
		return nil, abi.EINVAL
	}
	return ep.Wait(max, timeout, t.Intr)
}

// epollOps makes an epoll a file: readable (to poll and to other epolls)
// when an event is ready.
type epollOps struct{ ep *Epoll }

func (o epollOps) Read(*File, []byte, *int64, <-chan struct{}) (int, error)  { return 0, abi.EINVAL }
func (o epollOps) Write(*File, []byte, *int64, <-chan struct{}) (int, error) { return 0, abi.EINVAL }
func (o epollOps) Ioctl(*File, uint32, IoctlArg) (uint64, error)             { return 0, abi.ENOTTY }
func (o epollOps) Queue(*File) *Queue                                        { return &o.ep.q }

func (o epollOps) Poll(*File) uint32 {
	if len(o.ep.collect(1, false)) > 0 {
		return abi.POLLIN | abi.POLLRDNORM
	}
	return 0
}

func (o epollOps) Release(*File) {
	ep := o.ep
	ep.mu.Lock()
	for _, it := range append([]*epItem(nil), ep.order...) {
		ep.removeLocked(it)
	}
	ep.mu.Unlock()
}
