// idle.go: per-CPU idle threads and scheduler start-up.

package sched

import (
	"retract/arch/amd64"
)

// idleLoop is the body of every idle thread: run whatever is runnable,
// otherwise halt until an interrupt. Interrupts that arrive while halted
// are handled on the idle thread's kernel stack (a nested trap).
func idleLoop() {
	for {
		lock.Lock()
		if runHead != 0 {
			c := thisCPU()
			threads[c.cur].state = Runnable
			switchLocked(c, &threads[c.cur], dequeueLocked())
			lock.Unlock()
			continue
		}
		lock.Unlock()
		// STI;HLT: an interrupt that made a thread runnable after the check
		// above is taken right after HLT starts and wakes it.
		amd64.StiHlt()
	}
}

// InitCPU creates the calling CPU's idle thread and, on the boot CPU,
// adopts the code running now as the first thread (tid 1): the thread that
// will start the Go runtime. It loads the CPU fields the trap entry uses.
// Called before interrupts are enabled.
func InitCPU(boot bool) *Thread {
	amd64.SetForkretHook(forkretHook)   // wb: at boot, before the runtime
	amd64.SetKernelThreadHook(idleLoop) // wb: at boot, before the runtime
	cpu := amd64.This()
	c := &percpu[cpu.ID]
	c.dead = -1

	lock.Lock()
	idle := allocThreadLocked()
	if idle == nil {
		panic("sched: no memory for the idle thread")
	}
	idle.idle = true
	idle.tid = 0
	nextTID--
	idle.ctx = amd64.NewKernelThreadStack(idle.kstackLo, idle.kstackTop)
	idle.ktls[0] = uintptr(unsafePointer(&idle.kg))
	idle.FSBase = uintptr(unsafePointer(&idle.ktls[1]))
	idle.state = Runnable // never on the run queue: picked when it is empty
	c.idle = idx(idle)

	var first *Thread
	if boot {
		first = allocThreadLocked()
		if first == nil {
			panic("sched: no memory for the first thread")
		}
	} else {
		first = idle
	}
	first.state = Running
	first.cpu = int32(cpu.ID)
	c.cur = idx(first)
	cpu.KStackTop = first.kstackTop
	cpu.KStackLo = first.kstackLo
	cpu.KernelG = uintptr(unsafePointer(&first.kg))
	cpu.Thread = uintptr(unsafePointer(first))
	lock.Unlock()
	return first
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
