// socket.go: socketpair(AF_UNIX): two connected ends, each a buffer the
// other writes and it reads. SOCK_STREAM moves bytes like a pipe in both
// directions; SOCK_SEQPACKET and SOCK_DGRAM keep each write a record (a
// read returns one record, cut to the buffer, the rest dropped). Reads
// block until there is data (EOF once the peer is closed), writes until
// there is room (EPIPE, and SIGPIPE, once the peer is closed); both ends
// notify one wait queue, for poll and epoll. There are no named sockets,
// no other families, and no descriptor passing.

// trapctx: process context only

package fs

import (
	"retract/kernel/abi"
	"retract/lockdep"
)

// The socket constants socketpair knows (Linux's values).
const (
	AF_UNIX        = 1
	AF_INET        = 2
	AF_INET6       = 10
	SOCK_STREAM    = 1
	SOCK_DGRAM     = 2
	SOCK_SEQPACKET = 5
	SOCK_NONBLOCK  = abi.O_NONBLOCK
	SOCK_CLOEXEC   = abi.O_CLOEXEC
)

// sockBufSize is how many bytes one direction holds (Linux's default
// socket buffers are larger; this is a pipe's).
const sockBufSize = DefaultPipeSize

// sockPair is the shared state of a connected pair.
type sockPair struct {
	mu     lockdep.Mutex // fs.Socket.mu: everything below
	typ    int
	dir    [2]sockDir // dir[i]: what end i reads (end 1-i writes it)
	closed [2]bool    // end i is released
	q      Queue
}

// sockDir is one direction: records in order (a stream's are merged on
// reading), and the bytes they hold.
type sockDir struct {
	recs  [][]byte
	bytes int
}

// sockOps is end `end` of a pair.
type sockOps struct {
	s   *sockPair
	end int
}

// Socketpair is socketpair(2) for AF_UNIX: EOPNOTSUPP for AF_INET and
// AF_INET6 (which cannot make pairs), EAFNOSUPPORT for another family, EPROTONOSUPPORT for a protocol other than 0, ESOCKTNOSUPPORT
// for a type other than STREAM, SEQPACKET and DGRAM, EINVAL for an
// unknown flag (SOCK_NONBLOCK and SOCK_CLOEXEC are or'd into typ).
func Socketpair(t *Task, domain, typ, protocol int) (fd0, fd1 int, err error) {
	flags := uint32(typ) & (SOCK_NONBLOCK | SOCK_CLOEXEC)
	base := typ &^ int(SOCK_NONBLOCK|SOCK_CLOEXEC)
	switch {
	case domain == AF_INET || domain == AF_INET6:
		return -1, -1, abi.EOPNOTSUPP // families Linux has, without socketpair
	case domain != AF_UNIX:
		return -1, -1, abi.EAFNOSUPPORT
	case base&^0xf != 0:
		return -1, -1, abi.EINVAL
	case base != SOCK_STREAM && base != SOCK_SEQPACKET && base != SOCK_DGRAM:
		return -1, -1, abi.ESOCKTNOSUPPORT
	case protocol != 0 && protocol != AF_UNIX:
		return -1, -1, abi.EPROTONOSUPPORT
	}
	a, b := NewSocketpair(t.vfs(), base, flags&SOCK_NONBLOCK)
	cloexec := flags&SOCK_CLOEXEC != 0
	if fd0, err = t.Files.Install(a, cloexec); err != nil {
		a.Put()
		b.Put()
		return -1, -1, err
	}
	if fd1, err = t.Files.Install(b, cloexec); err != nil {
		t.Files.Close(fd0)
		b.Put()
		return -1, -1, err
	}
	return fd0, fd1, nil
}

// NewSocketpair makes the two ends of a connected pair of type typ
// (sockets in the anonymous file system: fstat says S_IFSOCK, 0777).
func NewSocketpair(v *VFS, typ int, flags uint32) (a, b *File) {
	s := &sockPair{typ: typ}
	s.mu.Class = classSocket
	s.q.init()
	var ends [2]*File
	for i := range ends {
		n := v.anonfs.newInode(abi.S_IFSOCK | 0o777)
		f := newFile(sockOps{s, i}, n, abi.O_RDWR|flags)
		f.stream = true
		f.kind = "socket:[" + itoa(n.ino) + "]"
		n.openRef()
		ends[i] = f
	}
	return ends[0], ends[1]
}

func (o sockOps) peerGone() bool { return o.s.closed[1-o.end] }

func (o sockOps) Read(f *File, b []byte, _ *int64, intr <-chan struct{}) (int, error) {
	return o.recv(b, f.Nonblock(), intr)
}

// recv is a read that blocks unless nonblock (O_NONBLOCK or MSG_DONTWAIT).
func (o sockOps) recv(b []byte, nonblock bool, intr <-chan struct{}) (int, error) {
	s := o.s
	d := &s.dir[o.end]
	s.mu.Lock()
	for len(d.recs) == 0 {
		if o.peerGone() {
			s.mu.Unlock()
			return 0, nil // EOF
		}
		if nonblock {
			s.mu.Unlock()
			return 0, abi.EAGAIN
		}
		ch := s.q.Changed()
		s.mu.Unlock()
		if err := block(ch, intr, nil, abi.ERESTARTSYS); err != nil {
			return 0, err
		}
		s.mu.Lock()
	}
	got := 0
	if s.typ == SOCK_STREAM {
		for got < len(b) && len(d.recs) > 0 {
			k := copy(b[got:], d.recs[0])
			got += k
			if d.recs[0] = d.recs[0][k:]; len(d.recs[0]) == 0 {
				d.recs = d.recs[1:]
			}
		}
		d.bytes -= got
	} else { // one record; what does not fit is dropped
		got = copy(b, d.recs[0])
		d.bytes -= len(d.recs[0])
		d.recs = d.recs[1:]
	}
	s.q.Notify()
	s.mu.Unlock()
	return got, nil
}

// Write queues b for the peer. A stream writes all of it, blocking for
// room (a part if non-blocking or interrupted after some went); a record
// goes whole or not at all (EMSGSIZE if it can never fit).
func (o sockOps) Write(f *File, b []byte, _ *int64, intr <-chan struct{}) (int, error) {
	return o.send(b, f.Nonblock(), intr)
}

// send is a write that blocks unless nonblock.
func (o sockOps) send(b []byte, nonblock bool, intr <-chan struct{}) (int, error) {
	s := o.s
	d := &s.dir[1-o.end]
	stream := s.typ == SOCK_STREAM
	if !stream && len(b) > sockBufSize {
		return 0, abi.EMSGSIZE
	}
	if stream && len(b) == 0 {
		return 0, nil
	}
	done := 0
	s.mu.Lock()
	defer s.mu.Unlock()
	for done < len(b) || !stream && done == 0 {
		if o.peerGone() {
			return done, abi.EPIPE
		}
		room := sockBufSize - d.bytes
		if stream && room > 0 || !stream && room >= len(b) {
			k := min(room, len(b)-done)
			d.recs = append(d.recs, append([]byte(nil), b[done:done+k]...))
			d.bytes += k
			done += k
			s.q.Notify()
			if !stream {
				break
			}
			continue
		}
		if nonblock {
			if done > 0 {
				return done, nil
			}
			return 0, abi.EAGAIN
		}
		ch := s.q.Changed()
		s.mu.Unlock()
		err := block(ch, intr, nil, abi.ERESTARTSYS)
		s.mu.Lock()
		if err != nil {
			if done > 0 {
				return done, nil
			}
			return 0, err
		}
	}
	return done, nil
}

// Poll: readable with data or once the peer is gone (with hang-up, as
// unix_poll says when both directions are shut), writable with room.
func (o sockOps) Poll(f *File) uint32 {
	s := o.s
	s.mu.Lock()
	defer s.mu.Unlock()
	var ev uint32
	if len(s.dir[o.end].recs) > 0 {
		ev |= abi.POLLIN | abi.POLLRDNORM
	}
	if o.peerGone() {
		ev |= abi.POLLIN | abi.POLLRDNORM | abi.POLLRDHUP | abi.POLLHUP
	} else if sockBufSize-s.dir[1-o.end].bytes >= abi.PIPE_BUF {
		ev |= abi.POLLOUT | abi.POLLWRNORM
	}
	return ev
}

func (o sockOps) Queue(*File) *Queue { return &o.s.q }

// Ioctl: FIONREAD (SIOCINQ) is the bytes waiting (a datagram socket:
// the next record's, as unix_inq_len says).
func (o sockOps) Ioctl(f *File, cmd uint32, arg IoctlArg) (uint64, error) {
	if cmd != abi.FIONREAD {
		return 0, abi.ENOTTY
	}
	s := o.s
	s.mu.Lock()
	d := &s.dir[o.end]
	n := d.bytes
	if s.typ == SOCK_DGRAM && len(d.recs) > 0 {
		n = len(d.recs[0])
	}
	s.mu.Unlock()
	return 0, putInt32(arg, int32(n))
}

func (o sockOps) Release(f *File) {
	s := o.s
	s.mu.Lock()
	s.closed[o.end] = true
	s.dir[o.end] = sockDir{} // what was not read is gone
	s.q.Notify()
	s.mu.Unlock()
}

// The send and recv flags this kernel knows (Linux's MSG_*).
const (
	MSG_OOB      = 0x1
	MSG_PEEK     = 0x2
	MSG_DONTWAIT = 0x40
	MSG_WAITALL  = 0x100
	MSG_NOSIGNAL = 0x4000
)

// sockOf returns the socket end behind fd: EBADF for a bad descriptor,
// ENOTSOCK for a file that is not a socket.
func sockOf(t *Task, fd int) (*File, sockOps, error) {
	f, err := t.getFile(fd)
	if err != nil {
		return nil, sockOps{}, err
	}
	o, ok := f.ops.(sockOps)
	if !ok {
		f.Put()
		return nil, sockOps{}, abi.ENOTSOCK
	}
	return f, o, nil
}

// Send is send(2) (sendto without an address) on a socket: flags
// MSG_DONTWAIT (this call does not block) and MSG_NOSIGNAL (the caller
// raises no SIGPIPE: it is told by the flag); MSG_OOB is EOPNOTSUPP.
func Send(t *Task, fd int, b []byte, flags int) (int, error) {
	if flags&MSG_OOB != 0 {
		return 0, abi.EOPNOTSUPP
	}
	f, o, err := sockOf(t, fd)
	if err != nil {
		return 0, err
	}
	defer f.Put()
	return o.send(b, f.Nonblock() || flags&MSG_DONTWAIT != 0, t.Intr)
}

// Recv is recv(2) (recvfrom without an address) on a socket: flags
// MSG_DONTWAIT, and MSG_WAITALL (a stream read goes on until b is full,
// the peer is gone or a signal comes); MSG_OOB and MSG_PEEK are
// EOPNOTSUPP here.
func Recv(t *Task, fd int, b []byte, flags int) (int, error) {
	if flags&(MSG_OOB|MSG_PEEK) != 0 {
		return 0, abi.EOPNOTSUPP
	}
	f, o, err := sockOf(t, fd)
	if err != nil {
		return 0, err
	}
	defer f.Put()
	nonblock := f.Nonblock() || flags&MSG_DONTWAIT != 0
	got := 0
	for {
		n, err := o.recv(b[got:], nonblock, t.Intr)
		got += n
		if err != nil || n == 0 || got == len(b) || flags&MSG_WAITALL == 0 || o.s.typ != SOCK_STREAM {
			if got > 0 {
				return got, nil
			}
			return 0, err
		}
	}
}
