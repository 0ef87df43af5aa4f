// spinlock.go: the kernel's spinlock.

package amd64

import "sync/atomic"

// SpinLock is a test-and-test-and-set lock. It never sleeps, so it may be
// taken in trap context. Code that can also run in process context and
// shares the lock with a handler on the same CPU uses LockIRQ.
type SpinLock struct {
	v atomic.Uint32
}

// Lock spins until the lock is taken.
//
// Waiters back off exponentially (1, 2, 4 ... 256 PAUSEs between looks):
// under TCG several vCPUs share few host cores, and a waiter hammering the
// lock's cache line only slows the holder down.
//
//go:nosplit
func (l *SpinLock) Lock() {
	backoff := 1
	for {
		if l.v.CompareAndSwap(0, 1) {
			return
		}
		for l.v.Load() != 0 {
			for i := 0; i < backoff; i++ {
				if Bare {
					Pause()
				}
			}
			if backoff < 256 {
				backoff <<= 1
			}
		}
	}
}

// TryLock takes the lock if it is free.
//
//go:nosplit
func (l *SpinLock) TryLock() bool { return l.v.CompareAndSwap(0, 1) }

// Unlock releases the lock.
//
//go:nosplit
func (l *SpinLock) Unlock() { l.v.Store(0) }

// Held reports whether somebody holds the lock (for assertions).
func (l *SpinLock) Held() bool { return l.v.Load() != 0 }

// LockIRQ enters atomic context (interrupts off; in process context also
// Go preemption off, see atomic_ctx.go) and takes the lock; it returns the
// state for UnlockIRQ.
//
//go:nosplit
func (l *SpinLock) LockIRQ() AtomicFlags {
	f := EnterAtomic()
	l.Lock()
	return f
}

// UnlockIRQ releases the lock and leaves atomic context.
//
//go:nosplit
func (l *SpinLock) UnlockIRQ(f AtomicFlags) {
	l.Unlock()
	ExitAtomic(f)
}
