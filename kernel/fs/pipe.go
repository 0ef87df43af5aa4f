// pipe.go: pipes (pipe2) and FIFOs: a 64 KiB buffer, blocking reads and
// writes that a signal interrupts, EOF when the writers are gone, EPIPE
// when the readers are, PIPE_BUF atomicity, O_NONBLOCK, FIONREAD,
// F_GETPIPE_SZ/F_SETPIPE_SZ.

// trapctx: process context only

package fs

import (
	"retract/kernel/abi"
	"retract/lockdep"
)

// DefaultPipeSize is a new pipe's capacity (16 pages, like Linux).
const DefaultPipeSize = 16 * pageSize

// maxPipeSize is the largest F_SETPIPE_SZ (fs.pipe-max-size).
const maxPipeSize = 1 << 20

// Pipe is a pipe's buffer and its ends' counts.
type Pipe struct {
	mu      lockdep.Mutex // fs.Pipe.mu: everything below
	buf     []byte        // a ring of cap bytes
	head, n int           // first unread byte, bytes unread
	readers int
	writers int
	// rgen and wgen count opens of each end: a FIFO reader blocked in
	// open waits for wgen to move (a writer that came and went counts).
	rgen, wgen uint64
	fifo       bool
	q          Queue
	inode      *Inode
}

func newPipe(n *Inode, anon bool) *Pipe {
	p := &Pipe{buf: make([]byte, 0), inode: n, fifo: !anon}
	p.mu.Class = classPipe
	p.q.init()
	return p
}

func (p *Pipe) capacity() int {
	if cap(p.buf) == 0 {
		return DefaultPipeSize
	}
	return cap(p.buf)
}

// free returns the room left. Preconditions: mu held.
func (p *Pipe) free() int { return p.capacity() - p.n }

// push appends b (which fits). Preconditions: mu held.
func (p *Pipe) push(b []byte) {
	if cap(p.buf) == 0 {
		p.buf = make([]byte, DefaultPipeSize)
	}
	c := len(p.buf)
	for len(b) > 0 {
		tail := (p.head + p.n) % c
		k := copy(p.buf[tail:min(c, tail+p.free())], b)
		p.n += k
		b = b[k:]
	}
}

// pop moves up to len(b) bytes out. Preconditions: mu held.
func (p *Pipe) pop(b []byte) int {
	got := 0
	c := len(p.buf)
	for got < len(b) && p.n > 0 {
		k := copy(b[got:], p.buf[p.head:min(c, p.head+p.n)])
		p.head = (p.head + k) % c
		p.n -= k
		got += k
	}
	if p.n == 0 {
		p.head = 0
	}
	return got
}

// pipeOps is one end of a pipe (or a FIFO opened for reading, writing or
// both).
type pipeOps struct{ p *Pipe }

func (o pipeOps) Read(f *File, b []byte, _ *int64, intr <-chan struct{}) (int, error) {
	p := o.p
	if len(b) == 0 {
		return 0, nil
	}
	p.mu.Lock()
	for p.n == 0 {
		if p.writers == 0 {
			p.mu.Unlock()
			return 0, nil // EOF
		}
		if f.Nonblock() {
			p.mu.Unlock()
			return 0, abi.EAGAIN
		}
		ch := p.q.Changed()
		p.mu.Unlock()
		if err := block(ch, intr, nil, abi.ERESTARTSYS); err != nil {
			return 0, err
		}
		p.mu.Lock()
	}
	k := p.pop(b)
	p.q.Notify()
	p.mu.Unlock()
	return k, nil
}

// Write writes all of b, blocking for room: a write of at most PIPE_BUF
// bytes goes in at once or not at all; a longer one may be interleaved
// with other writers'. With the readers gone it returns EPIPE — together
// with the count written, if some was: the syscall returns the count and,
// whenever the error is EPIPE, raises SIGPIPE.
func (o pipeOps) Write(f *File, b []byte, _ *int64, intr <-chan struct{}) (int, error) {
	p := o.p
	if len(b) == 0 {
		return 0, nil
	}
	atomic := len(b) <= abi.PIPE_BUF
	done := 0
	p.mu.Lock()
	defer p.mu.Unlock()
	for done < len(b) {
		if p.readers == 0 {
			return done, abi.EPIPE
		}
		room := p.free()
		if room > 0 && (!atomic || room >= len(b)) {
			k := min(room, len(b)-done)
			p.push(b[done : done+k])
			done += k
			p.q.Notify()
			continue
		}
		if f.Nonblock() {
			if done > 0 {
				return done, nil
			}
			return 0, abi.EAGAIN
		}
		ch := p.q.Changed()
		p.mu.Unlock()
		err := block(ch, intr, nil, abi.ERESTARTSYS)
		p.mu.Lock()
		if err != nil {
			if done > 0 {
				return done, nil
			}
			return 0, err
		}
	}
	return done, nil
}

func (o pipeOps) Poll(f *File) uint32 {
	p := o.p
	p.mu.Lock()
	defer p.mu.Unlock()
	var ev uint32
	if f.readable {
		if p.n > 0 {
			ev |= abi.POLLIN | abi.POLLRDNORM
		}
		// A FIFO reader that never saw a writer does not see a hang-up.
		if p.writers == 0 && (!p.fifo || f.pipeSeen != p.wgen) {
			ev |= abi.POLLHUP
		}
	}
	if f.writable {
		if p.free() >= abi.PIPE_BUF || p.free() == p.capacity() {
			ev |= abi.POLLOUT | abi.POLLWRNORM
		}
		if p.readers == 0 {
			ev |= abi.POLLERR
		}
	}
	return ev
}

func (o pipeOps) Queue(*File) *Queue { return &o.p.q }

func (o pipeOps) Ioctl(f *File, cmd uint32, arg IoctlArg) (uint64, error) {
	if cmd != abi.FIONREAD {
		return 0, abi.ENOTTY
	}
	o.p.mu.Lock()
	n := o.p.n
	o.p.mu.Unlock()
	return 0, putInt32(arg, int32(n))
}

func (o pipeOps) Release(f *File) {
	p := o.p
	p.mu.Lock()
	if f.readable {
		p.readers--
	}
	if f.writable {
		p.writers--
	}
	if p.readers == 0 && p.writers == 0 {
		p.buf, p.head, p.n = make([]byte, 0), 0, 0 // Linux frees the buffers
	}
	p.q.Notify()
	p.mu.Unlock()
}

// setSize is F_SETPIPE_SZ: the size rounded up to a power-of-two number
// of pages, at least a page; EBUSY if the data would not fit, EPERM over
// the maximum (fs.pipe-max-size: root may not exceed it either here).
func (p *Pipe) setSize(size int64) (int, error) {
	if size <= 0 || size > maxPipeSize {
		if size > maxPipeSize {
			return 0, abi.EPERM
		}
		size = pageSize
	}
	c := pageSize
	for int64(c) < size {
		c <<= 1
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.n > c {
		return 0, abi.EBUSY
	}
	nb := make([]byte, c)
	k := p.pop(nb)
	p.buf, p.head, p.n = nb, 0, k
	p.q.Notify()
	return c, nil
}

// Pipe2 is pipe2(2): it returns the read and write descriptors. EINVAL
// for flags other than O_CLOEXEC and O_NONBLOCK (O_DIRECT's packet mode
// and O_NOTIFICATION_PIPE are not supported).
func Pipe2(t *Task, flags uint32) (r, w int, err error) {
	if flags&^(abi.O_CLOEXEC|abi.O_NONBLOCK) != 0 {
		return -1, -1, abi.EINVAL
	}
	rf, wf := NewPipe(t.vfs(), flags&abi.O_NONBLOCK)
	cloexec := flags&abi.O_CLOEXEC != 0
	if r, err = t.Files.Install(rf, cloexec); err != nil {
		rf.Put()
		wf.Put()
		return -1, -1, err
	}
	if w, err = t.Files.Install(wf, cloexec); err != nil {
		t.Files.Close(r)
		wf.Put()
		return -1, -1, err
	}
	return r, w, nil
}

// NewPipe makes an anonymous pipe's two ends (an inode in pipefs: fstat
// says S_IFIFO, 0600).
func NewPipe(v *VFS, flags uint32) (r, w *File) {
	n := v.pipefs.newInode(abi.S_IFIFO | 0o600)
	n.pipe.fifo = false
	p := n.pipe
	p.readers, p.writers = 1, 1
	r = newFile(pipeOps{p}, n, abi.O_RDONLY|flags)
	w = newFile(pipeOps{p}, n, abi.O_WRONLY|flags)
	for _, f := range []*File{r, w} {
		f.stream, f.pipe = true, p
		f.kind = "pipe:[" + itoa(n.ino) + "]"
		n.openRef()
	}
	return r, w
}

// openFIFO opens a FIFO's end for f: a reader waits for a writer and a
// writer for a reader, unless O_NONBLOCK (a writer then fails with ENXIO
// if there is no reader) or O_RDWR.
func openFIFO(f *File, p *Pipe, intr <-chan struct{}) error {
	f.ops, f.pipe = pipeOps{p}, p
	p.mu.Lock()
	defer p.mu.Unlock()
	nonblock := f.Nonblock()
	switch {
	case f.readable && f.writable:
		p.readers++
		p.writers++
		p.rgen++
		p.wgen++
		f.pipeSeen = p.wgen
		p.q.Notify()
	case f.readable:
		p.readers++
		p.rgen++
		f.pipeSeen = p.wgen
		p.q.Notify()
		if nonblock {
			return nil
		}
		for gen := p.wgen; p.writers == 0 && p.wgen == gen; {
			ch := p.q.Changed()
			p.mu.Unlock()
			err := block(ch, intr, nil, abi.ERESTARTSYS)
			p.mu.Lock()
			if err != nil {
				p.readers--
				p.q.Notify()
				return err
			}
		}
		f.pipeSeen = p.wgen
	case f.writable:
		if nonblock && p.readers == 0 {
			return abi.ENXIO
		}
		p.writers++
		p.wgen++
		p.q.Notify()
		for gen := p.rgen; p.readers == 0 && p.rgen == gen; {
			ch := p.q.Changed()
			p.mu.Unlock()
			err := block(ch, intr, nil, abi.ERESTARTSYS)
			p.mu.Lock()
			if err != nil {
				p.writers--
				p.q.Notify()
				return err
			}
		}
	default:
		return abi.EINVAL // O_ACCMODE 3 on a FIFO
	}
	return nil
}
