// expedited.go: SynchronizeExpedited — a grace period forced by IPIs.

// trapctx: process context only

package rcu

import (
	"runtime"
	"sync/atomic"
	"time"

	"retract/arch/amd64"
	"retract/lockdep"
)

var (
	expMu        = lockdep.Mutex{Class: lockdep.Register("rcu.expMu", lockdep.Sleep)}
	expRemaining atomic.Int32
)

// SynchronizeExpedited is Synchronize, but instead of waiting for ticks and
// context switches it interrupts every other CPU: a CPU outside a reader
// answers at once from the IPI handler; one inside a reader answers at its
// outermost ReadUnlock. Costly for everyone else, quick for the caller.
func SynchronizeExpedited() {
	if mightSleep("SynchronizeExpedited") || CurrentMode() == ModeUnsafe {
		return
	}
	expMu.Lock()
	defer expMu.Unlock()
	begin := time.Now()
	n := NumCPUs
	expRemaining.Store(int32(n))
	for id := 0; id < n; id++ {
		cpus.Of(id).expNeeded.Store(1)
	}
	// Our own CPU is quiescent: we are not in a reader (checked above).
	amd64.PreemptDisable()
	me := currentCPU()
	d := cpus.Of(me)
	if d.expNeeded.CompareAndSwap(1, 0) {
		expRemaining.Add(-1)
	}
	amd64.PreemptEnable()
	for id := 0; id < n; id++ {
		if id != me && cpus.Of(id).expNeeded.Load() != 0 {
			poke(id)
		}
	}
	for expRemaining.Load() > 0 || blockedReaders.Load() > 0 {
		runtime.Gosched()
	}
	expedited.Add(1)
	recordExp(time.Since(begin))
}
