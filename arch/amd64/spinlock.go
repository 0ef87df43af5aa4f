// spinlock.go: the kernel's spinlock.

package amd64

import (
	"sync/atomic"
	"unsafe"

	"retract/lockdep"
)

// SpinLock is a test-and-test-and-set lock. It never sleeps, so it may be
// taken in trap context. Code that can also run in process context and
// shares the lock with a handler on the same CPU uses LockIRQ.
//
// A lock with a class (SetClass) is checked by the lock validator
// (package lockdep) while it is enabled: its order against every other
// lock, interrupt safety, ownership.
type SpinLock struct {
	// v is 0 when free, lockedUntracked or lockedTracked when held:
	// tracked means lockdep saw the acquisition, so the release is
	// checked too (locks taken before lockdep was enabled are not).
	v     atomic.Uint32
	class lockdep.Class
}

const (
	lockedUntracked = 1
	lockedTracked   = 3
)

// SetClass gives the lock its lockdep class (before it is first used, or
// while nobody holds it).
func (l *SpinLock) SetClass(c lockdep.Class) { l.class = c }

// Class returns the lock's lockdep class.
func (l *SpinLock) Class() lockdep.Class { return l.class }

// Lock spins until the lock is taken.
//
// Waiters back off exponentially (1, 2, 4 ... 256 PAUSEs between looks):
// under TCG several vCPUs share few host cores, and a waiter hammering the
// lock's cache line only slows the holder down.
//
// With the validator on, the checks run before the lock is taken and only
// a push onto the CPU's held-lock stack after (see lockdep.PrepareSpin).
//
//go:nosplit
func (l *SpinLock) Lock() {
	track := lockdep.Enabled && l.class != 0
	if track {
		lockdep.PrepareSpin(l.class, unsafe.Pointer(l))
	}
	backoff := 1
	for {
		if l.v.CompareAndSwap(0, lockedUntracked) {
			break
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
	if track {
		l.v.Store(lockedTracked)
		lockdep.AcquiredSpin(l.class, unsafe.Pointer(l), false)
	}
}

// TryLock takes the lock if it is free.
//
//go:nosplit
func (l *SpinLock) TryLock() bool {
	if !l.v.CompareAndSwap(0, lockedUntracked) {
		return false
	}
	if lockdep.Enabled && l.class != 0 {
		l.v.Store(lockedTracked)
		lockdep.AcquiredSpin(l.class, unsafe.Pointer(l), true)
	}
	return true
}

// Unlock releases the lock.
//
//go:nosplit
func (l *SpinLock) Unlock() {
	if l.v.Load() == lockedTracked {
		lockdep.ReleaseSpin(l.class, unsafe.Pointer(l))
	}
	l.v.Store(0)
}

// Held reports whether somebody holds the lock (for assertions).
//
//go:nosplit
func (l *SpinLock) Held() bool { return l.v.Load() != 0 }

// AssertHeld checks a "Preconditions: l held" promise: the lock must be
// held — by this CPU's current context, when the validator saw it taken.
// A holder that took it before the validator was switched on (another
// CPU inside the scheduler while the kernel enables lockdep) is not on
// any CPU's stack; only "held" can be checked then. A failure is
// reported (lockdep.NotHeld), not a panic: trap context must not panic.
func (l *SpinLock) AssertHeld() {
	v := l.v.Load()
	if v == 0 || v == lockedTracked && lockdep.Enabled && l.class != 0 && !lockdep.HeldBySelf(lockdep.Spin, unsafe.Pointer(l)) {
		lockdep.AssertFailed(l.class)
	}
}

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
