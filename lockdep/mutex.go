// mutex.go: sleeping locks that lockdep checks.

package lockdep

import (
	"sync"
	"unsafe"
)

// Mutex is a sync.Mutex with a class. The zero Mutex is unlocked and not
// tracked; set Class before first use (the owner's constructor does it).
type Mutex struct {
	mu    sync.Mutex
	Class Class
	// tracked is set while a holder that lockdep saw holds it (Enabled at
	// Lock): only then is Unlock checked.
	tracked bool
}

// Lock takes m, like sync.Mutex.Lock.
func (mu *Mutex) Lock() {
	if !Enabled {
		mu.mu.Lock()
		mu.tracked = false
		return
	}
	h := AcquireSleep(mu.Class, unsafe.Pointer(mu), false)
	mu.mu.Lock()
	mu.tracked = h != nil
	AcquiredSleep(h)
}

// TryLock takes m if it is free.
func (mu *Mutex) TryLock() bool {
	if !mu.mu.TryLock() {
		return false
	}
	mu.tracked = false
	if Enabled && mu.Class != 0 {
		// A TryLock never waits, so it cannot deadlock: record it as
		// held (later locks are ordered after it) without the checks.
		var h held
		h.class, h.lock = mu.Class, uintptr(unsafe.Pointer(mu))
		h.pc = m.Callers()
		mu.tracked = true
		AcquiredSleep(&h)
	}
	return true
}

// Unlock releases m.
func (mu *Mutex) Unlock() {
	if mu.tracked {
		mu.tracked = false
		ReleaseSleep(mu.Class, unsafe.Pointer(mu))
	}
	mu.mu.Unlock()
}

// AssertHeld reports if lockdep is on and the running goroutine does not
// hold m (the checked form of "Preconditions: m held").
func (mu *Mutex) AssertHeld() {
	if Enabled && mu.Class != 0 && !HeldBySelf(Sleep, unsafe.Pointer(mu)) {
		AssertFailed(mu.Class)
	}
}

// RWMutex is a sync.RWMutex with a class, like Mutex, that a writer may
// also downgrade to a reader without letting another writer in between
// (Linux's downgrade_write, mmap_write_downgrade). For that, writers
// first take gate, which only writers take: Downgrade releases the write
// lock, takes a read lock, and only then opens the gate — readers may
// slip in between (they may run alongside the downgraded holder anyway),
// writers may not.
type RWMutex struct {
	gate  sync.Mutex
	mu    sync.RWMutex
	Class Class
	// writer is set while a tracked writer holds it; readers are tracked
	// per goroutine (RUnlock checks the goroutine's own stack).
	writer bool
}

// Lock takes rw for writing.
func (rw *RWMutex) Lock() {
	if !Enabled {
		rw.gate.Lock()
		rw.mu.Lock()
		rw.writer = false
		return
	}
	h := AcquireSleep(rw.Class, unsafe.Pointer(rw), false)
	rw.gate.Lock()
	rw.mu.Lock()
	rw.writer = h != nil
	AcquiredSleep(h)
}

// Unlock releases a write lock.
func (rw *RWMutex) Unlock() {
	if rw.writer {
		rw.writer = false
		ReleaseSleep(rw.Class, unsafe.Pointer(rw))
	}
	rw.mu.Unlock()
	rw.gate.Unlock()
}

// Downgrade turns the caller's write lock into a read lock, released
// with RUnlock, with no other writer in between (downgrade_write).
func (rw *RWMutex) Downgrade() {
	if rw.writer {
		rw.writer = false
		DowngradeSleep(rw.Class, unsafe.Pointer(rw))
	}
	rw.mu.Unlock()
	rw.mu.RLock()
	rw.gate.Unlock()
}

// RLock takes rw for reading.
func (rw *RWMutex) RLock() {
	if !Enabled {
		rw.mu.RLock()
		return
	}
	h := AcquireSleep(rw.Class, unsafe.Pointer(rw), true)
	rw.mu.RLock()
	AcquiredSleep(h)
}

// RUnlock releases a read lock. With lockdep on, a reader that lockdep did
// not see take it (taken before Enable) is not checked.
func (rw *RWMutex) RUnlock() {
	if Enabled && rw.Class != 0 && HeldBySelf(Sleep, unsafe.Pointer(rw)) {
		ReleaseSleep(rw.Class, unsafe.Pointer(rw))
	}
	rw.mu.RUnlock()
}

// AssertHeld reports if lockdep is on and the running goroutine holds rw
// neither for reading nor for writing.
func (rw *RWMutex) AssertHeld() {
	if Enabled && rw.Class != 0 && !HeldBySelf(Sleep, unsafe.Pointer(rw)) {
		AssertFailed(rw.Class)
	}
}

// AssertWriteHeld reports if lockdep is on and rw is not held for writing
// by the running goroutine.
func (rw *RWMutex) AssertWriteHeld() {
	if Enabled && rw.Class != 0 && (!rw.writer || !HeldBySelf(Sleep, unsafe.Pointer(rw))) {
		AssertFailed(rw.Class)
	}
}
