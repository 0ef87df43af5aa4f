// sched.go: the run queue, switching, and the per-CPU scheduler state.

package sched

import (
	"retract/arch/amd64"
	"retract/kernel/clock"
	"retract/kernel/trace"
	"retract/lockdep"
	"retract/mm"
	"retract/mm/phys"
	"retract/rcu"
)

// Quantum is the time slice after which Tick preempts a thread that has
// competition.
const Quantum = 10_000_000 // 10 ms

// cpuState is one CPU's scheduler state. Threads are named by slot index,
// never by pointer: these fields are written in trap context, where a
// pointer store could need a write barrier, and trap context has no P to
// run one.
type cpuState struct {
	cur, idle int32
	// dead is a thread that exited on this CPU and whose stack was still in
	// use until the switch completed; the next thread frees it (-1: none).
	dead int32
	// timerAt is when this CPU's LAPIC timer is due (ns), 0 if not armed.
	timerAt uint64
	// Statistics.
	Ticks, Switches, IdleNS uint64
	idleSince               uint64
}

var (
	lock     amd64.SpinLock
	runHead  int32 // index+1 of the first runnable thread, 0 = empty
	runTail  int32
	percpu   [amd64.MaxCPUs]cpuState
	runnable int
)

func init() { lock.SetClass(lockdep.Register("sched.lock", lockdep.Spin)) }

func thisCPU() *cpuState { return &percpu[amd64.This().ID] }

// Current returns the thread running on this CPU.
func Current() *Thread { return &threads[thisCPU().cur] }

func enqueueLocked(t *Thread) {
	t.state = Runnable
	t.next = 0
	i := idx(t) + 1
	if runTail == 0 {
		runHead = i
	} else {
		threads[runTail-1].next = i
	}
	runTail = i
	runnable++
}

// dequeueLocked takes the first runnable thread that may run on this CPU
// (its affinity allows it), or returns nil.
func dequeueLocked() *Thread {
	bit := uint32(1) << amd64.This().ID
	prev := int32(0)
	for i := runHead; i != 0; i = threads[i-1].next {
		t := &threads[i-1]
		if t.affinity != 0 && t.affinity&bit == 0 {
			prev = i
			continue
		}
		if prev == 0 {
			runHead = t.next
		} else {
			threads[prev-1].next = t.next
		}
		if runTail == i {
			runTail = prev
		}
		t.next = 0
		runnable--
		return t
	}
	return nil
}

// eligibleLocked reports whether a runnable thread may run on this CPU.
func eligibleLocked() bool {
	bit := uint32(1) << amd64.This().ID
	for i := runHead; i != 0; i = threads[i-1].next {
		if a := threads[i-1].affinity; a == 0 || a&bit != 0 {
			return true
		}
	}
	return false
}

// SetAffinity restricts the calling thread to the CPUs in mask (bit i =
// CPU i; 0: anywhere) and reports whether it runs on a CPU outside the
// mask now. The caller then yields (the thread switches only in trap
// context: a goroutine makes the runtime's sched_yield system call) and
// another CPU picks it up.
func SetAffinity(mask uint32) (move bool) {
	f := lock.LockIRQ() // process context: the tick takes lock too
	t := Current()
	t.affinity = mask
	move = mask != 0 && mask&(1<<amd64.This().ID) == 0
	lock.UnlockIRQ(f)
	if move {
		kick()
	}
	return move
}

// Affinity returns the calling thread's CPU mask (0: any CPU).
func Affinity() uint32 {
	f := lock.LockIRQ()
	a := Current().affinity
	lock.UnlockIRQ(f)
	return a
}

// scheduleLocked picks the next thread for this CPU and switches to it. The
// caller has already moved cur out of Running (to Runnable on the queue,
// Blocked or Dead). It returns when cur runs again.
// Preconditions: lock held, interrupts off.
func scheduleLocked() {
	lock.AssertHeld()
	c := thisCPU()
	prev := &threads[c.cur]
	next := dequeueLocked()
	if next == nil {
		next = &threads[c.idle]
	}
	if next == prev {
		prev.state = Running
		return
	}
	switchLocked(c, prev, next)
}

func switchLocked(c *cpuState, prev, next *Thread) {
	now := clock.Nanotime()
	if prev.idle {
		c.IdleNS += now - c.idleSince
	}
	if next.idle {
		c.idleSince = now
	}
	if prev.state == Dead {
		c.dead = idx(prev)
	}
	prev.cpu = -1
	c.cur = idx(next)
	next.state = Running
	next.sliceStart = now
	next.Switches++
	c.Switches++
	cpu := amd64.This()
	prev.rcuNest, prev.preempt, prev.pinBits = cpu.RCUNest, cpu.PreemptCount, cpu.PinBits
	cpu.RCUNest, cpu.PreemptCount, cpu.PinBits = next.rcuNest, next.preempt, next.pinBits
	rcu.NoteSwitch(prev.rcuNest, next.rcuNest)
	trace.Switch(prev.tid, next.tid, next.User.Load())
	next.cpu = int32(cpu.ID)
	cpu.KStackTop = next.kstackTop
	cpu.KStackLo = next.kstackLo
	cpu.KernelG = uintptr(unsafePointer(&next.kg))
	cpu.Thread = uintptr(unsafePointer(next))
	loadCR3(next, int(cpu.ID))
	// Nothing but Swtch may follow SetFSBase: the compiler reloads R14 (g)
	// from FS:-8 after every assembly call, and FS is the next thread's now.
	amd64.SetFSBase(next.FSBase)
	amd64.Swtch(&prev.ctx, next.ctx)
	finishSwitch()
}

// finishSwitch runs on the thread that just resumed, lock still held:
// it frees the stack of a thread that exited on this CPU.
func finishSwitch() {
	c := thisCPU()
	if d := c.dead; d >= 0 {
		c.dead = -1
		freeThreadLocked(&threads[d])
	}
}

// forkretHook is the first thing a new thread runs (see amd64.NewKernelStack).
func forkretHook() {
	finishSwitch()
	lock.Unlock()
}

// Yield puts the current thread at the back of the run queue and runs
// whoever is first (sched_yield). Trap context.
func Yield() {
	lock.Lock()
	enqueueLocked(Current())
	scheduleLocked()
	lock.Unlock()
}

// Exit ends the current thread; it never returns. Trap context.
func Exit() {
	lock.Lock()
	Current().state = Dead
	scheduleLocked()
	panic("sched: dead thread resumed")
}

// Tick is the LAPIC timer interrupt: wake sleepers whose time came,
// preempt the current thread if its slice is over and others wait, and
// re-arm the timer. Trap context.
func Tick() {
	lock.Lock()
	c := thisCPU()
	c.Ticks++
	c.timerAt = 0
	now := clock.Nanotime()
	wakeExpiredLocked(now)
	cur := &threads[c.cur]
	// A thread with preemption disabled (an RCU reader, a pinned atomic
	// section) keeps the CPU until it enables it again.
	if !cur.idle && runnable > 0 && now-cur.sliceStart >= Quantum && amd64.This().PreemptCount == 0 && eligibleLocked() {
		enqueueLocked(cur)
		scheduleLocked()
	}
	armTimerLocked(clock.Nanotime())
	lock.Unlock()
}

// armTimerLocked programs this CPU's one-shot timer for the earliest of the
// next sleeper's deadline and the end of the current slice.
func armTimerLocked(now uint64) {
	c := thisCPU()
	at := now + Quantum
	for i := int32(0); i < high; i++ {
		t := &threads[i]
		if t.state == Blocked && t.deadline != 0 && t.deadline < at {
			at = t.deadline
		}
	}
	armAtLocked(c, now, at)
}

func armAtLocked(c *cpuState, now, at uint64) {
	if c.timerAt != 0 && c.timerAt <= at && c.timerAt > now {
		return // already due earlier
	}
	c.timerAt = at
	d := uint64(1000)
	if at > now {
		d = at - now
	}
	amd64.TimerOneShot(clock.LAPICTicks(d))
}

// bootCR3 is the kernel's PML4 (threads without an address space run on it).
const bootCR3 = phys.BootPML4

// loadCR3 switches page tables if the next thread runs on other ones.
// Loading CR3 also flushes this CPU's non-global TLB entries.
func loadCR3(next *Thread, cpu int) {
	want := next.CR3
	if want == 0 {
		want = bootCR3
	}
	if prev := amd64.ReadCR3(); prev != want {
		// In mm_cpumask before the load, out of the old one after it
		// (mm.CR3Loading explains the order).
		mm.CR3Loading(want, cpu)
		amd64.WriteCR3(want)
		mm.CR3Left(prev, cpu)
	}
}

// ForgetCR3 gives every thread whose CR3 is cr3 the kernel's tables
// instead (it loads them at its next switch; a CPU that has cr3 loaded
// now must be moved too: DropCR3) and returns how many it changed.
// Process context.
func ForgetCR3(cr3 uint64) int {
	f := lock.LockIRQ()
	n := 0
	for i := int32(0); i < high; i++ {
		t := &threads[i]
		if t.state != Free && t.CR3 == cr3 {
			t.CR3 = 0
			n++
		}
	}
	lock.UnlockIRQ(f)
	return n
}

// DropCR3 loads the kernel's tables on this CPU if it has cr3 loaded,
// and reports whether it did. Interrupts off (an IPI handler).
func DropCR3(cr3 uint64) bool {
	if amd64.ReadCR3() != cr3 {
		return false
	}
	cpu := int(amd64.This().ID)
	mm.CR3Loading(bootCR3, cpu)
	amd64.WriteCR3(bootCR3)
	mm.CR3Left(cr3, cpu)
	return true
}

// SetCR3 gives the calling thread the page tables at cr3 and loads them
// (mm.Use/Unuse). Any context; the thread does not switch in between.
func SetCR3(cr3 uint64) {
	f := amd64.EnterAtomic()
	t := Current()
	t.CR3 = cr3
	loadCR3(t, int(amd64.This().ID))
	amd64.ExitAtomic(f)
}
