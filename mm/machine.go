// machine.go: the two services mm needs from packages that import it —
// the scheduler (a thread's CR3) and smp (TLB shootdown) — installed once
// by the boot path (SetMachine). Everything else mm needs it imports.

package mm

import (
	"retract/arch/amd64"
	"retract/kernel/trace"
)

// Machine is what the boot path installs.
type Machine struct {
	// FlushUser invalidates [va, va+n) on the CPUs in mask (m's CPUMask
	// as FlushUser read it) and returns when they have (the shootdown:
	// smp.FlushMask). It must not be called with a spinlock held that
	// another CPU may spin on with interrupts off.
	FlushUser func(mask uint32, va, n uintptr)
	// SetCR3 gives the calling thread the page tables at cr3 and loads
	// them; the scheduler reloads them on every switch (sched.SetCR3).
	SetCR3 func(cr3 uint64)
	// ForgetCR3 makes sure no kernel thread and no CPU still has the
	// page tables at cr3 before they are freed: a thread other than the
	// caller whose CR3 is cr3 gets the kernel's tables, and so does a
	// CPU that has them loaded (by IPI). It returns how many threads and
	// CPUs it had to move — 0 unless something forgot to let go of an
	// address space, which the caller reports.
	ForgetCR3 func(cr3 uint64) int
}

// machine starts with single-CPU stand-ins (host tests, early boot).
var machine = Machine{
	FlushUser: func(mask uint32, va, n uintptr) { amd64.WriteCR3(amd64.ReadCR3()) },
	SetCR3:    amd64.WriteCR3,
	ForgetCR3: func(uint64) int { return 0 },
}

// SetMachine installs the kernel's services (boot path, before the Go
// runtime starts).
func SetMachine(mc Machine) { machine = mc } // wb: boot, before the runtime

// FlushUser invalidates [va, va+n) of m on every CPU that may cache it
// (flush_tlb_mm_range).
func FlushUser(m *MM, va, n uintptr) {
	mask := flushMask(m)
	trace.FlushBegin(m.ID, mask)
	machine.FlushUser(mask, va, n)
	trace.FlushEnd()
}
