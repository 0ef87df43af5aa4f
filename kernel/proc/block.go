// block.go: putting a thread to sleep in the scheduler, not in the Go
// scheduler, for the waits every threaded program makes all the time:
// futex waits and short sleeps (a Go program's sysmon naps 20 µs at a
// time while another thread sits in a system call).
//
// A task goroutine is locked to its kernel thread. Parked the Go way (a
// channel or a timer), waking it is the Go runtime's hand-off of a locked
// goroutine: the timer fires on some other thread, which readies the
// goroutine, finds it locked to a sleeping thread, gives its P to that
// thread, wakes it and parks itself — three or four thread switches,
// about 150 µs of CPU per nap under QEMU's TCG, taken from the CPUs the
// program's other threads run on. Instead blockOn makes a system call of
// the kernel's own Go runtime (a futex wait on the task's blockWord, which
// the runtime host, kernel/sys, serves with sched.Block): the runtime
// sees a blocking system call (entersyscall, exitsyscall) and keeps its
// P for others, and the thread sleeps in the scheduler until unblock, the
// timeout or never. One switch out, one back.
//
// The protocol is the futex one: a sleeper reads blockWord, then checks
// what it waits for, then waits while blockWord still holds what it read;
// whoever makes the condition true (a futex waker, a signal's
// interruptLocked) changes the condition first and then calls unblock,
// which bumps the word and wakes the thread. A wake-up between the check
// and the wait changes the word, and the wait returns at once.

// trapctx: process context only

package proc

import (
	"syscall"
	"unsafe"

	"retract/kernel/abi"
	"retract/kernel/sched"
)

// The runtime host's futex operations (kernel/sys), private to the kernel.
const (
	hostFutexWait = 0 | 128 // FUTEX_WAIT_PRIVATE
)

// blockSeq returns the value of blockWord to pass to blockOn, read before
// the caller checks its wake-up condition.
func (t *Task) blockSeq() uint32 { return t.blockWord.Load() }

// blockOn sleeps in the scheduler until unblock changes blockWord from
// seq, or ns nanoseconds pass (ns 0: no timeout). It may return early
// (the word changed before it slept); callers loop and check.
func (t *Task) blockOn(seq uint32, ns uint64) {
	var ts *abi.Timespec
	if ns > 0 {
		ts = &abi.Timespec{Sec: int64(ns / 1e9), Nsec: int64(ns % 1e9)}
	}
	syscall.Syscall6(syscall.SYS_FUTEX, uintptr(unsafe.Pointer(&t.blockWord)), hostFutexWait, uintptr(seq), uintptr(unsafe.Pointer(ts)), 0, 0)
}

// unblock wakes t if it sleeps in blockOn. The caller has made t's
// wake-up condition true already.
func (t *Task) unblock() {
	t.blockWord.Add(1)
	sched.Wake(uintptr(unsafe.Pointer(&t.blockWord)), 1)
}

// interrupted reports whether t's interruption channel is closed (a
// signal to handle, or an exit).
func (t *Task) interrupted() bool {
	select {
	case <-t.FS.Intr:
		return true
	default:
		return false
	}
}
