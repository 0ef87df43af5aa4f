// eventfd.go: eventfd2(2) — a 64-bit counter behind a descriptor
// (fs/eventfd.c). The Go runtime's network poller wakes itself with one.

// trapctx: process context only

package proc

import (
	"encoding/binary"
	"sync"

	"retract/kernel/abi"
	"retract/kernel/fs"
)

const (
	EFD_SEMAPHORE = 1
	EFD_CLOEXEC   = abi.O_CLOEXEC
	EFD_NONBLOCK  = abi.O_NONBLOCK
)

type eventfd struct {
	mu        sync.Mutex // a leaf: Notify is called after it is released
	count     uint64
	semaphore bool
	q         fs.Queue
}

func sysEventfd2(t *Task, a *[6]uint64) (uint64, error) {
	flags := uint32(a[1])
	if flags&^(EFD_SEMAPHORE|EFD_CLOEXEC|EFD_NONBLOCK) != 0 {
		return 0, abi.EINVAL
	}
	e := &eventfd{count: uint64(uint32(a[0])), semaphore: flags&EFD_SEMAPHORE != 0}
	f := fs.NewFile(e, nil, abi.O_RDWR|flags&EFD_NONBLOCK)
	fd, err := t.FS.Files.Install(f, flags&EFD_CLOEXEC != 0) // the table takes the reference
	if err != nil {
		f.Put()
	}
	return uint64(fd), err
}

func (e *eventfd) Read(f *fs.File, p []byte, pos *int64, intr <-chan struct{}) (int, error) {
	if len(p) < 8 {
		return 0, abi.EINVAL
	}
	for {
		ch := e.q.Changed()
		e.mu.Lock()
		if e.count > 0 {
			v := e.count
			if e.semaphore {
				v = 1
			}
			e.count -= v
			e.mu.Unlock()
			binary.LittleEndian.PutUint64(p, v)
			e.q.Notify()
			return 8, nil
		}
		e.mu.Unlock()
		if f.Nonblock() {
			return 0, abi.EAGAIN
		}
		select {
		case <-ch:
		case <-intr:
			return 0, abi.ERESTARTSYS
		}
	}
}

func (e *eventfd) Write(f *fs.File, p []byte, pos *int64, intr <-chan struct{}) (int, error) {
	if len(p) < 8 {
		return 0, abi.EINVAL
	}
	v := binary.LittleEndian.Uint64(p)
	if v == ^uint64(0) {
		return 0, abi.EINVAL
	}
	for {
		ch := e.q.Changed()
		e.mu.Lock()
		if e.count+v < ^uint64(0) && e.count+v >= e.count {
			e.count += v
			e.mu.Unlock()
			e.q.Notify()
			return 8, nil
		}
		e.mu.Unlock()
		if f.Nonblock() {
			return 0, abi.EAGAIN
		}
		select {
		case <-ch:
		case <-intr:
			return 0, abi.ERESTARTSYS
		}
	}
}

func (e *eventfd) Poll(f *fs.File) uint32 {
	e.mu.Lock()
	defer e.mu.Unlock()
	var r uint32
	if e.count > 0 {
		r |= abi.POLLIN | abi.POLLRDNORM
	}
	if e.count < ^uint64(0)-1 {
		r |= abi.POLLOUT | abi.POLLWRNORM
	}
	return r
}

func (e *eventfd) Ioctl(f *fs.File, cmd uint32, arg fs.IoctlArg) (uint64, error) {
	return 0, abi.ENOTTY
}

func (e *eventfd) Release(f *fs.File) {}

func (e *eventfd) Queue(f *fs.File) *fs.Queue { return &e.q }
