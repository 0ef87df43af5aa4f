// lock.go: what the lock validator costs: an uncontended spinlock and
// mutex with the validator off (its cost there is one load and one branch
// per operation) and on.

package bench

import (
	"io"
	"time"

	"retract/arch/amd64"
	"retract/lockdep"
)

func init() {
	Register(Bench{Name: "spinlock_ns", Doc: "uncontended LockIRQ+UnlockIRQ, lock validator off and on", Run: spinBench})
	Register(Bench{Name: "mutex_ns", Doc: "uncontended Mutex Lock+Unlock, lock validator off and on", Run: mutexBench})
}

// The locks measured (globals: lockdep knows a lock by its address).
var (
	benchSpin  amd64.SpinLock
	benchMutex lockdep.Mutex
)

func init() {
	benchSpin.SetClass(lockdep.Register("bench.spin", lockdep.Spin))
	benchMutex.Class = lockdep.Register("bench.mutex", lockdep.Sleep)
}

// withValidator runs f with the validator off, then on, and restores it.
func withValidator(f func(on bool)) {
	was := lockdep.Enabled
	lockdep.Enabled = false
	f(false)
	lockdep.Enable()
	f(true)
	lockdep.Enabled = was
}

func spinBench(w io.Writer) error {
	withValidator(func(on bool) {
		const n = 1_000_000
		start := time.Now()
		for i := 0; i < n; i++ {
			fl := benchSpin.LockIRQ()
			benchSpin.UnlockIRQ(fl)
		}
		Line(w, name("spinlock_ns", on), float64(time.Since(start).Nanoseconds())/n, "ns")
	})
	return nil
}

func mutexBench(w io.Writer) error {
	withValidator(func(on bool) {
		const n = 300_000
		start := time.Now()
		for i := 0; i < n; i++ {
			benchMutex.Lock()
			benchMutex.Unlock()
		}
		Line(w, name("mutex_ns", on), float64(time.Since(start).Nanoseconds())/n, "ns")
	})
	return nil
}

func name(base string, on bool) string {
	if on {
		return base[:len(base)-3] + "_lockdep_ns"
	}
	return base
}
