// task.go: a user thread and its task goroutine.

// trapctx: process context only

package proc

import (
	"runtime"
	"sync/atomic"

	"retract/arch/amd64"
	"retract/kernel/clock"
	"retract/kernel/fs"
	"retract/kernel/sched"
	"retract/kernel/trace"
)

// Task is one user thread (Linux's task_struct for a thread).
type Task struct {
	TID int
	P   *Process

	// Regs is the thread's user state; only its goroutine touches it.
	Regs amd64.UserRegs
	// origRAX is the system call number of the call in progress (for
	// restarts), -1 outside system calls.
	origRAX int64

	// FS is what package fs sees of the thread: descriptor table, root
	// and cwd, the interruption channel (FS.Intr), and this Task as Proc.
	FS fs.Task

	// Signal state, under P.sig.
	blocked  SigSet
	saved    SigSet // the mask to restore after sigsuspend (0: none)
	hasSaved bool
	pending  sigQueue // thread-directed signals
	intr     chan struct{}
	intrOpen bool // intr not closed yet
	killed   bool // SIGKILL or a group exit: leave at the next chance
	// sigWork says handleSignals must take the lock and look (Linux's
	// TIF_SIGPENDING): set, under sig, by whoever queues a signal for
	// the thread or its process or kills it; cleared by handleSignals
	// when nothing is pending and the thread is not killed. Read without
	// the lock on every trip.
	sigWork  atomic.Bool
	altSP    uint64
	altSize  uint64
	altFlags uint32

	// CLONE_CHILD_CLEARTID and set_robust_list.
	clearTID   uint64
	robustList uint64

	// affinity is the sched_setaffinity mask (0: any CPU).
	affinity atomic.Uint32
	// state for ps: 'R' running or runnable in ring 3, 'S' in a system
	// call, 'D' in a fault.
	state atomic.Uint32

	// Accounting, in ns (user time is approximated by the time between
	// entering and leaving ring 3).
	utime, stime atomic.Uint64
	start        uint64

	// A fault the fault path resolved, repeating at the same place with
	// no system call in between (see pageFault).
	lastFaultIP, lastFaultAddr uint64
	sameFault                  int

	// done is closed when the thread has exited (tests, the shell).
	done chan struct{}
}

// TaskState returns the thread's state letter for ps.
func (t *Task) TaskState() byte {
	if s := t.state.Load(); s != 0 {
		return byte(s)
	}
	return 'R'
}

// CPU returns the CPU the thread last ran on.
func (t *Task) CPU() int { return t.Regs.RanOn() }

// Done is closed when the thread has exited.
func (t *Task) Done() <-chan struct{} { return t.done }

// newTask makes a thread of p (not yet in p's list).
func newTask(p *Process, tid int) *Task {
	t := &Task{TID: tid, P: p, origRAX: -1, done: make(chan struct{})}
	t.intr = make(chan struct{})
	t.intrOpen = true
	t.sigWork.Store(true) // the first trip looks
	t.FS.Intr = t.intr
	t.FS.Proc = t
	t.start = clock.Nanotime()
	return t
}

// start runs the task goroutine.
func (t *Task) startGoroutine() { go t.main() }

// main is the task goroutine: it owns a kernel thread for its whole life
// (the thread's CR3 is the process's page tables), runs the thread in
// ring 3 and serves its traps.
func (t *Task) main() {
	runtime.LockOSThread()
	// The label goes with the goroutine: the runtime may keep the thread
	// (the main thread, say) after a goroutine exits locked to it.
	self := sched.Current()
	self.User.Store(int32(t.TID))
	defer self.User.Store(0)
	if a := t.affinity.Load(); a != 0 {
		setAffinity(a)
	}
	m := t.P.MM()
	m.Use()
	applied := t.affinity.Load()
	for !t.mustExit() {
		// Before looking at signals, an exit or a new CPU mask: whatever
		// is requested after this look interrupts ring 3 again (kickTask).
		t.Regs.ClearReturn()
		t.handleSignals()
		if t.mustExit() {
			break
		}
		if a := t.affinity.Load(); a != applied {
			applied = a // sched_setaffinity by another thread
			setAffinity(a)
		}
		t.state.Store('R')
		in := clock.Nanotime()
		trace.UserExit()
		ok := amd64.RunUser(&t.Regs)
		trace.UserEnter(t.Regs.Vector, t.Regs.RAX)
		out := clock.Nanotime()
		t.utime.Add(out - in)
		if !ok {
			// A register state ring 3 cannot be given (a signal handler
			// or sigreturn set a kernel RIP): Linux's IRET fault gives
			// SIGSEGV.
			t.forceSignal(faultInfo(SIGSEGV, SI_KERNEL, 0))
			continue
		}
		switch v := t.Regs.Vector; {
		case v == amd64.VectorSyscall:
			t.state.Store('S')
			// A system call is progress: the same fault after it is a
			// new one (a loop that maps, touches and unmaps the same
			// address faults there every time round), not a repeat.
			t.sameFault = 0
			t.syscall()
		case v == 14:
			t.state.Store('D')
			t.pageFault()
		case v >= 32:
			// An interrupt whose handler ran already, and that came
			// here only because kickTask asked for this goroutine (the
			// others go straight back to ring 3: amd64.userTrap): the
			// loop's top looks at what was asked.
		default:
			t.exception(int(v))
		}
		t.stime.Add(clock.Nanotime() - out)
		// The thread may have exec'ed into a new address space.
		if nm := t.P.MM(); nm != m {
			m = nm
		}
	}
	t.exitThread()
	m = t.P.MM()
	_ = m
	runtime.UnlockOSThread()
}

// setAffinity pins the calling goroutine's kernel thread to mask and moves
// it there if it runs elsewhere.
func setAffinity(mask uint32) {
	if sched.SetAffinity(mask) {
		yieldThread()
	}
}

// mustExit reports whether the thread was killed (SIGKILL, a group exit,
// exit(2) of this thread).
func (t *Task) mustExit() bool {
	if !t.sigWork.Load() {
		return false // killed sets sigWork, and nothing clears it then
	}
	t.P.sig.Lock()
	defer t.P.sig.Unlock()
	return t.killed
}

func lockThread()   { runtime.LockOSThread() }
func unlockThread() { runtime.UnlockOSThread() }
