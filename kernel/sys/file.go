// file.go: the descriptor table: the console (0, 1, 2), eventfds and epoll
// instances — all the files the Go runtime needs (its netpoller uses an
// epoll instance and an eventfd to sleep until the next timer).

package sys

import (
	"unsafe"

	"retract/arch/amd64"
	"retract/kernel/console"
	"retract/kernel/sched"
	"retract/lockdep"
)

const maxFDs = 64

type fdKind uint8

const (
	fdFree fdKind = iota
	fdConsole
	fdEventfd
	fdEpoll
)

const maxInterest = 8

type interest struct {
	fd     int32
	events uint32
	data   uint64
}

type file struct {
	kind     fdKind
	cloexec  bool
	nonblock bool
	sema     bool
	counter  uint64 // eventfd
	watch    [maxInterest]interest
	nwatch   int
}

var (
	fdLock amd64.SpinLock
	files  = [maxFDs]file{{kind: fdConsole}, {kind: fdConsole}, {kind: fdConsole}}
)

// Wait keys: all eventfd and epoll waiters sleep on pollKey (there are only
// a few of them), console readers on consoleKey.
var pollKey, consoleKey byte

func init() { fdLock.SetClass(lockdep.Register("sys.fdLock", lockdep.Spin)) }

func key(p *byte) uintptr { return uintptr(unsafe.Pointer(p)) }

// ConsoleInput is the console's input hook: wake readers of fd 0.
func ConsoleInput() { sched.Wake(key(&consoleKey), sched.MaxThreads) }

func getFile(fd uint64) (*file, Errno) {
	if fd >= maxFDs || files[fd].kind == fdFree {
		return nil, EBADF
	}
	return &files[fd], 0
}

func allocFD(f file) uint64 {
	l := fdLock.LockIRQ()
	defer fdLock.UnlockIRQ(l)
	for i := 3; i < maxFDs; i++ {
		if files[i].kind == fdFree {
			files[i] = f
			return uint64(i)
		}
	}
	return ret(0, EMFILE)
}

func sysRead(fd, buf, n uint64) uint64 {
	f, e := getFile(fd)
	if e != 0 {
		return ret(0, e)
	}
	if !valid(buf, n) {
		return ret(0, EFAULT)
	}
	switch f.kind {
	case fdConsole:
		if n == 0 {
			return 0
		}
		p := bytesAt(buf, n)
		for {
			if got := console.TryRead(p); got > 0 {
				return uint64(got)
			}
			sched.Block(key(&consoleKey), 0, func() bool { return console.Buffered() == 0 })
		}
	case fdEventfd:
		if n < 8 {
			return ret(0, EINVAL)
		}
		for {
			l := fdLock.LockIRQ()
			if c := f.counter; c > 0 {
				v := c
				if f.sema {
					v = 1
				}
				f.counter -= v
				fdLock.UnlockIRQ(l)
				store64(buf, v)
				return 8
			}
			nb := f.nonblock
			fdLock.UnlockIRQ(l)
			if nb {
				return ret(0, EAGAIN)
			}
			sched.Block(key(&pollKey), 0, func() bool { return f.counter == 0 })
		}
	}
	return ret(0, EINVAL)
}

func sysWrite(fd, buf, n uint64) uint64 {
	f, e := getFile(fd)
	if e != 0 {
		return ret(0, e)
	}
	if !valid(buf, n) {
		return ret(0, EFAULT)
	}
	switch f.kind {
	case fdConsole:
		console.Write(bytesAt(buf, n))
		return n
	case fdEventfd:
		if n < 8 {
			return ret(0, EINVAL)
		}
		v := load64(buf)
		if v == ^uint64(0) {
			return ret(0, EINVAL)
		}
		l := fdLock.LockIRQ()
		if f.counter+v < f.counter || f.counter+v == ^uint64(0) {
			fdLock.UnlockIRQ(l)
			return ret(0, EAGAIN) // would overflow: Linux blocks or says EAGAIN
		}
		f.counter += v
		fdLock.UnlockIRQ(l)
		sched.Wake(key(&pollKey), sched.MaxThreads)
		return 8
	}
	return ret(0, EINVAL)
}

func sysClose(fd uint64) uint64 {
	l := fdLock.LockIRQ()
	defer fdLock.UnlockIRQ(l)
	if fd >= maxFDs || files[fd].kind == fdFree {
		return ret(0, EBADF)
	}
	files[fd] = file{}
	return 0
}

func sysPread(fd uint64) uint64 {
	if _, e := getFile(fd); e != 0 {
		return ret(0, e)
	}
	return ret(0, ESPIPE) // console, eventfd and epoll are not seekable
}

// openat: there is no file system. Every path is "not found", which the
// runtime handles (it probes /sys and /proc files for tuning).
func sysOpenat(path uint64) uint64 {
	if !valid(path, 1) {
		return ret(0, EFAULT)
	}
	return ret(0, ENOENT)
}

const (
	fGetfd = 1
	fSetfd = 2
	fGetfl = 3
	fSetfl = 4

	oRdwr     = 2
	oNonblock = 0x800
	fdCloexec = 1
)

func sysFcntl(fd, cmd, arg uint64) uint64 {
	f, e := getFile(fd)
	if e != 0 {
		return ret(0, e)
	}
	switch cmd {
	case fGetfd:
		if f.cloexec {
			return fdCloexec
		}
		return 0
	case fSetfd:
		f.cloexec = arg&fdCloexec != 0
		return 0
	case fGetfl:
		if f.nonblock {
			return oRdwr | oNonblock
		}
		return oRdwr
	case fSetfl:
		if f.kind == fdConsole {
			if arg&oNonblock != 0 {
				return ret(0, EINVAL) // the console is always blocking
			}
			return 0
		}
		f.nonblock = arg&oNonblock != 0
		return 0
	}
	return ret(0, EINVAL)
}

const (
	efdSemaphore = 1
	efdNonblock  = 0x800
	efdCloexec   = 0x80000
)

func sysEventfd2(initval, flags uint64) uint64 {
	if flags&^(efdSemaphore|efdNonblock|efdCloexec) != 0 || initval > 0xffffffff {
		return ret(0, EINVAL)
	}
	return allocFD(file{kind: fdEventfd, counter: initval, sema: flags&efdSemaphore != 0,
		nonblock: flags&efdNonblock != 0, cloexec: flags&efdCloexec != 0})
}

const (
	epollCloexec = 0x80000
	epollCtlAdd  = 1
	epollCtlDel  = 2
	epollCtlMod  = 3
	epollIn      = 0x1
	epollOut     = 0x4
)

func sysEpollCreate1(flags uint64) uint64 {
	if flags&^epollCloexec != 0 {
		return ret(0, EINVAL)
	}
	return allocFD(file{kind: fdEpoll, cloexec: flags&epollCloexec != 0})
}

func sysEpollCtl(epfd, op, fd, event uint64) uint64 {
	ep, e := getFile(epfd)
	if e != 0 {
		return ret(0, e)
	}
	t, e := getFile(fd)
	if e != 0 {
		return ret(0, e)
	}
	if ep.kind != fdEpoll || epfd == fd {
		return ret(0, EINVAL)
	}
	if t.kind != fdEventfd {
		return ret(0, EPERM) // only eventfds can be watched
	}
	var events uint32
	var data uint64
	if op != epollCtlDel {
		if !valid(event, 12) {
			return ret(0, EFAULT)
		}
		// struct epoll_event is packed on amd64: u32 events, u64 data.
		b := bytesAt(event, 12)
		events = uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
		for i := 0; i < 8; i++ {
			data |= uint64(b[4+i]) << (8 * i)
		}
	}
	l := fdLock.LockIRQ()
	defer fdLock.UnlockIRQ(l)
	at := -1
	for i := 0; i < ep.nwatch; i++ {
		if ep.watch[i].fd == int32(fd) {
			at = i
		}
	}
	switch op {
	case epollCtlAdd:
		if at >= 0 {
			return ret(0, EEXIST)
		}
		if ep.nwatch == maxInterest {
			return ret(0, ENOMEM)
		}
		ep.watch[ep.nwatch] = interest{fd: int32(fd), events: events, data: data}
		ep.nwatch++
	case epollCtlMod:
		if at < 0 {
			return ret(0, ENOENT)
		}
		ep.watch[at].events, ep.watch[at].data = events, data
	case epollCtlDel:
		if at < 0 {
			return ret(0, ENOENT)
		}
		ep.nwatch--
		ep.watch[at] = ep.watch[ep.nwatch]
	default:
		return ret(0, EINVAL)
	}
	return 0
}

// readyLocked fills up to max events into out (if not 0) and returns how
// many interests are ready. Preconditions: fdLock held.
func readyLocked(ep *file, out uint64, max int) int {
	fdLock.AssertHeld()
	n := 0
	for i := 0; i < ep.nwatch && n < max; i++ {
		w := &ep.watch[i]
		t := &files[w.fd]
		var ev uint32
		if t.kind == fdEventfd {
			if t.counter > 0 {
				ev |= epollIn
			}
			ev |= epollOut
		}
		ev &= w.events
		if ev == 0 {
			continue
		}
		if out != 0 {
			b := bytesAt(out+uint64(n)*12, 12)
			for j := 0; j < 4; j++ {
				b[j] = byte(ev >> (8 * j))
			}
			for j := 0; j < 8; j++ {
				b[4+j] = byte(w.data >> (8 * j))
			}
		}
		n++
	}
	return n
}

func sysEpollWait(epfd, events, maxevents, timeout uint64) uint64 {
	ep, e := getFile(epfd)
	if e != 0 {
		return ret(0, e)
	}
	if ep.kind != fdEpoll || int32(maxevents) <= 0 || maxevents > 1<<20 {
		return ret(0, EINVAL)
	}
	if !valid(events, maxevents*12) {
		return ret(0, EFAULT)
	}
	var deadline uint64
	if ms := int32(timeout); ms > 0 {
		deadline = nanotime() + uint64(ms)*1e6
	}
	for {
		l := fdLock.LockIRQ()
		n := readyLocked(ep, events, int(maxevents))
		fdLock.UnlockIRQ(l)
		if n > 0 {
			return uint64(n)
		}
		if int32(timeout) == 0 {
			return 0
		}
		r := sched.Block(key(&pollKey), deadline, func() bool {
			// Under the scheduler's lock (sched.lock, then fdLock).
			l := fdLock.LockIRQ()
			n := readyLocked(ep, 0, 1)
			fdLock.UnlockIRQ(l)
			return n == 0
		})
		if r == sched.TimedOut {
			return 0
		}
	}
}
