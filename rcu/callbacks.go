// callbacks.go: Call and Barrier — callbacks that run after a grace period.

// trapctx: process context only

package rcu

import (
	"runtime"
	"sync"

	"retract/arch/amd64"
	"retract/kernel/trace"
	"retract/lockdep"
)

// Head is embedded in an object that will be freed through Call, like
// Linux's struct rcu_head.
type Head struct {
	next    *Head
	fn      func(*Head)
	waitFor uint64
}

type cbList struct {
	lock       amd64.SpinLock
	head, tail *Head
	n          int
}

var lists [amd64.MaxCPUs]cbList

func init() {
	c := lockdep.Register("rcu.cbList.lock", lockdep.Spin)
	for i := range lists {
		lists[i].lock.SetClass(c)
	}
}

// enqueue appends h to the list.
func (l *cbList) enqueue(h *Head) {
	f := l.lock.LockIRQ()
	if l.tail == nil {
		l.head = h
	} else {
		l.tail.next = h
	}
	l.tail = h
	l.n++
	l.lock.UnlockIRQ(f)
}

// Batch is how many callbacks run before the invoker yields the CPU, so a
// flood of callbacks does not starve everyone else.
const Batch = 256

func thisList() (*cbList, int) {
	amd64.PreemptDisable()
	id := currentCPU()
	amd64.PreemptEnable()
	return &lists[id], id
}

// Call arranges for fn(h) to run after a grace period, in process context
// (the GP goroutine), like call_rcu. Callbacks queued on one CPU run in the
// order they were queued. Process context only. In the unsafe mode fn runs
// at once — that is the bug retract demonstrates. Call returns the number
// of the grace period whose end lets fn run (0 in the unsafe mode).
func Call(h *Head, fn func(*Head)) uint64 {
	if CurrentMode() == ModeUnsafe {
		fn(h)
		return 0
	}
	h.fn, h.next = fn, nil
	gp := started.Load() + 1
	h.waitFor = gp
	l, id := thisList()
	l.enqueue(h)
	cpus.Of(id).Queued.Add(1)
	kickGP()
	return gp
}

func pendingCallbacks() int {
	n := 0
	for i := 0; i < NumCPUs; i++ {
		l := &lists[i]
		f := l.lock.LockIRQ()
		if l.head != nil && l.head.waitFor > completed.Load() {
			n += l.n
		}
		l.lock.UnlockIRQ(f)
	}
	return n
}

// invokeReady runs every callback whose GP has completed, Batch at a time.
func invokeReady() {
	done := completed.Load()
	for i := 0; i < NumCPUs; i++ {
		l := &lists[i]
		for {
			// Detach up to Batch ready callbacks (the list is in waitFor order).
			f := l.lock.LockIRQ()
			var first, last *Head
			k := 0
			for l.head != nil && l.head.waitFor <= done && k < Batch {
				h := l.head
				l.head = h.next
				if l.head == nil {
					l.tail = nil
				}
				h.next = nil
				if last == nil {
					first = h
				} else {
					last.next = h
				}
				last = h
				k++
				l.n--
			}
			l.lock.UnlockIRQ(f)
			if k == 0 {
				break
			}
			for h := first; h != nil; {
				next := h.next
				h.fn(h)
				h = next
			}
			cpus.Of(i).Invoked.Add(uint64(k))
			trace.Callbacks(i, k, done)
			runtime.Gosched()
		}
	}
}

// Barrier waits until every callback queued before it was called has run
// (like rcu_barrier): it queues a marker behind them on every CPU.
func Barrier() {
	if mightSleep("Barrier") || CurrentMode() == ModeUnsafe {
		return
	}
	var wg sync.WaitGroup
	marks := make([]Head, NumCPUs)
	for i := 0; i < NumCPUs; i++ {
		wg.Add(1)
		h := &marks[i]
		h.fn, h.waitFor = func(*Head) { wg.Done() }, started.Load()+1
		lists[i].enqueue(h)
	}
	kickGP()
	wg.Wait()
	barriers.Add(1)
}
