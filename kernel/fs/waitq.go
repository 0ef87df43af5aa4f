// waitq.go: wait queues — how a blocked goroutine learns that a file's
// state changed, and how poll and epoll watch files.

// trapctx: process context only

package fs

import (
	"time"

	"retract/kernel/abi"
	"retract/lockdep"
)

// Queue wakes everything waiting for a change of one object's state (a
// pipe's buffer, a terminal's input, an epoll's ready list): goroutines
// blocked in a read or a write, and watchers (poll, epoll). The owner
// changes its state under its own lock, then calls Notify.
//
// A waiter takes Changed() under the owner's lock, checks its condition,
// unlocks and blocks on the channel: a Notify after the check closes that
// very channel, so no wake-up is lost. Its lock (fs.Queue.mu) is a leaf:
// watchers are called after it is released.
type Queue struct {
	mu       lockdep.Mutex
	ch       chan struct{} // closed by the next Notify; nil: none made yet
	watchers map[int]func()
	next     int
}

func (q *Queue) init() { q.mu.Class = classQueue }

// Changed returns a channel that the next Notify closes.
func (q *Queue) Changed() <-chan struct{} {
	q.mu.Lock()
	if q.ch == nil {
		q.ch = make(chan struct{})
	}
	ch := q.ch
	q.mu.Unlock()
	return ch
}

// Notify wakes every waiter and calls every watcher. It may be called with
// the owner's lock held; watchers must not take it (nor any lock above
// fs.Epoll.mu).
func (q *Queue) Notify() {
	q.mu.Lock()
	if q.ch != nil {
		close(q.ch)
		q.ch = nil
	}
	var fns []func()
	for _, fn := range q.watchers {
		fns = append(fns, fn)
	}
	q.mu.Unlock()
	for _, fn := range fns {
		fn()
	}
}

// Watch calls fn after every state change until the returned cancel is
// called.
func (q *Queue) Watch(fn func()) (cancel func()) {
	q.mu.Lock()
	if q.watchers == nil {
		q.watchers = map[int]func(){}
	}
	id := q.next
	q.next++
	q.watchers[id] = fn
	q.mu.Unlock()
	return func() {
		q.mu.Lock()
		delete(q.watchers, id)
		q.mu.Unlock()
	}
}

// errTimeout is what block returns when its deadline passed.
var errTimeout = abi.ETIMEDOUT

// block waits for ch to close, for intr (a signal: restart is the code to
// return, such as ERESTARTSYS) or for the timer (nil: none).
func block(ch <-chan struct{}, intr <-chan struct{}, timer <-chan time.Time, restart abi.Errno) error {
	select {
	case <-ch:
		return nil
	case <-intr:
		return restart
	case <-timer:
		return errTimeout
	}
}

// interrupted reports whether intr has fired, without blocking.
func interrupted(intr <-chan struct{}) bool {
	select {
	case <-intr:
		return true
	default:
		return false
	}
}
