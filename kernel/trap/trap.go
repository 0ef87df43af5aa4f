// Package trap connects the hardware's vectors to the kernel: the syscall
// entry to package sys, the page fault to the Go heap's demand paging (or
// an oops), the LAPIC timer to the scheduler's tick, COM1's interrupt to
// the console, and everything unexpected to the oops report.
//
// All handlers run in trap context (see package amd64).
package trap

import (
	"retract/arch/amd64"
	"retract/kernel/console"
	"retract/kernel/oops"
	"retract/kernel/sched"
	"retract/kernel/sys"
	"retract/kernel/watchdog"
	"retract/mm/phys"
	"retract/rcu"
)

// Counters, for the shell and the tests.
var (
	PageFaults, HeapFaults, Fixups, Signals, Timer, Serial, Spurious uint64
	// LastFixupCR2 is the fault address of the last fault that an
	// exception-table entry absorbed.
	LastFixupCR2 uint64
)

// Install sets every handler. Called by the boot CPU before interrupts are
// enabled (before the Go runtime starts).
func Install() {
	// Install runs before the Go runtime starts, when write barriers are off.
	amd64.SetSyscallHandler(sys.Handle)              // wb: boot
	amd64.SetFatalHandler(oops.Report)               // wb: boot
	amd64.SetHandler(14, pageFault)                  // wb: boot
	amd64.SetHandler(amd64.VectorTimer, timer)       // wb: boot
	amd64.SetHandler(amd64.VectorSerial, serial)     // wb: boot
	amd64.SetHandler(amd64.VectorSpurious, spurious) // wb: boot
	console.SetInputHook(sys.ConsoleInput)           // wb: boot
}

func pageFault(tf *amd64.TrapFrame) {
	PageFaults++
	cr2 := uintptr(amd64.ReadCR2())
	if cr2 >= phys.HeapBase && cr2 < phys.HeapEnd && phys.HeapFault(cr2) {
		HeapFaults++
		return
	}
	// Exception-table entries are safe in any context, trap context included.
	if to, ok := amd64.Fixup(tf.RIP); ok {
		Fixups++
		LastFixupCR2 = uint64(cr2)
		tf.RIP = to
		return
	}
	// A nil pointer dereference in Go code: hand the runtime a SIGSEGV, and
	// the goroutine panics like any Go program would. Faults elsewhere, or in
	// trap context, stay oopses.
	if cr2 < phys.PageSize && !tf.FromKernel() && tf.TLSG != 0 && sys.DeliverSignal(tf, 11, 1, uint64(cr2)) {
		Signals++
		return
	}
	oops.Report(tf)
}

func timer(tf *amd64.TrapFrame) {
	Timer++
	// EOI first: Tick may switch threads, and the LAPIC blocks further
	// interrupts of this priority until the EOI.
	amd64.EOI()
	console.Interrupt() // poll, in case the serial interrupt is not routed
	rcu.Tick()
	watchdog.Check()
	sched.Tick()
}

func serial(tf *amd64.TrapFrame) {
	Serial++
	console.Interrupt()
	amd64.EOI()
}

// spurious: the LAPIC's spurious vector needs no EOI (SDM Vol. 3A §11.9).
func spurious(tf *amd64.TrapFrame) { Spurious++ }

// EnableSerial routes COM1's interrupt (ISA IRQ 4, which QEMU wires to the
// first I/O APIC's pin 4) to the boot CPU.
func EnableSerial() {
	amd64.IOAPICRoute(amd64.IOAPICPhys, console.IRQ(), amd64.VectorSerial, amd64.CPUByID(0).APICID)
	console.EnableRxInterrupt()
}
