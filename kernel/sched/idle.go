// idle.go: per-CPU idle threads and scheduler start-up.

package sched

import (
	"sync/atomic"

	"retract/arch/amd64"
	"retract/rcu"
)

// idleMask has bit n set while CPU n halts in its idle loop; Wake kicks
// one of them (see kick).
var idleMask atomic.Uint32

// IdleMask returns the CPUs that are idle right now.
func IdleMask() uint32 { return idleMask.Load() }

// idleLoop is the body of every idle thread: run whatever is runnable,
// otherwise halt until an interrupt. Interrupts that arrive while halted
// are handled on the idle thread's kernel stack (a nested trap).
func idleLoop() {
	bit := uint32(1) << amd64.This().ID
	for {
		lock.Lock()
		if next := dequeueLocked(); next != nil {
			c := thisCPU()
			threads[c.cur].state = Runnable
			switchLocked(c, &threads[c.cur], next)
			lock.Unlock()
			continue
		}
		// The thread may have moved to another CPU since the loop began.
		bit = uint32(1) << amd64.This().ID
		idleMask.Or(bit)
		lock.Unlock()
		// STI;HLT: an interrupt (a wake-up IPI, the tick) that arrives
		// after the check above is taken right after HLT starts and wakes it.
		rcu.IdleEnter()
		amd64.StiHlt()
		rcu.IdleExit()
		idleMask.And(^bit)
	}
}

func newIdleLocked(id int) *Thread {
	idle := allocThreadLocked()
	if idle == nil {
		return nil
	}
	idle.idle = true
	idle.tid = 0
	nextTID--
	idle.ktls[0] = uintptr(unsafePointer(&idle.kg))
	idle.FSBase = uintptr(unsafePointer(&idle.ktls[1]))
	idle.state = Runnable // never on the run queue: picked when it is empty
	percpu[id].idle = idx(idle)
	percpu[id].dead = -1
	return idle
}

func loadCPU(cpu *amd64.CPU, t *Thread) {
	cpu.KStackTop = t.kstackTop
	cpu.KStackLo = t.kstackLo
	cpu.KernelG = uintptr(unsafePointer(&t.kg))
	cpu.Thread = uintptr(unsafePointer(t))
}

// InitBoot creates the boot CPU's idle thread and adopts the code running
// now as the first thread (tid 1): the thread that will start the Go
// runtime. It loads the CPU fields the trap entry uses. Called before
// interrupts are enabled.
func InitBoot() *Thread {
	amd64.SetForkretHook(forkretHook)   // wb: at boot, before the runtime
	amd64.SetKernelThreadHook(idleLoop) // wb: at boot, before the runtime
	cpu := amd64.This()
	lock.Lock()
	idle := newIdleLocked(int(cpu.ID))
	first := allocThreadLocked()
	if idle == nil || first == nil {
		panic("sched: no memory for the first threads")
	}
	idle.ctx = amd64.NewKernelThreadStack(idle.kstackLo, idle.kstackTop)
	first.state = Running
	first.cpu = int32(cpu.ID)
	percpu[cpu.ID].cur = idx(first)
	loadCPU(cpu, first)
	lock.Unlock()
	return first
}

// PrepareCPU creates the idle thread of application processor id; the AP
// starts on that thread's kernel stack. It returns the stack top and the
// FS base (whose TLS g slot holds the thread's kernel g).
func PrepareCPU(id int) (stackTop, fsBase uintptr, ok bool) {
	lock.Lock()
	defer lock.Unlock()
	idle := newIdleLocked(id)
	if idle == nil {
		return 0, 0, false
	}
	idle.state = Running
	idle.cpu = int32(id)
	percpu[id].cur = idx(idle)
	return idle.kstackTop, idle.FSBase, true
}

// RunAP is the rest of an application processor's life: it adopts the
// idle thread it is running on, arms its timer and runs the idle loop.
func RunAP(now uint64) {
	cpu := amd64.This()
	loadCPU(cpu, &threads[percpu[cpu.ID].cur])
	lock.Lock()
	armTimerLocked(now)
	lock.Unlock()
	idleLoop()
}

// Start arms the first tick on this CPU. Call once interrupts may arrive.
func Start(now uint64) {
	f := lock.LockIRQ()
	armTimerLocked(now)
	lock.UnlockIRQ(f)
}

// Stats is a snapshot of one CPU's scheduler counters.
type Stats struct {
	Ticks, Switches, IdleNS uint64
	Current                 int32 // tid of the running thread (0 = idle)
}

// CPUStats returns CPU id's counters.
func CPUStats(id int) Stats {
	f := lock.LockIRQ()
	c := &percpu[id]
	s := Stats{Ticks: c.Ticks, Switches: c.Switches, IdleNS: c.IdleNS, Current: threads[c.cur].tid}
	lock.UnlockIRQ(f)
	return s
}
