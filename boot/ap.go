// ap.go: finding the other CPUs (ACPI MADT) and starting them with
// INIT-SIPI-SIPI (SDM Vol. 3A §9.4.4.1, "Typical AP Initialization").

package boot

import (
	"sync"
	"sync/atomic"

	"retract/arch/amd64"
	"retract/kernel/acpi"
	"retract/kernel/clock"
	"retract/kernel/cmdline"
	"retract/kernel/console"
	"retract/kernel/sched"
	"retract/kernel/smp"
	"retract/kernel/sys"
	"retract/mm"
	"retract/mm/phys"
	"retract/rcu"
)

// apEntry64 is where the trampoline jumps in 64-bit mode.
func apEntry64()
func apEntry64Addr() uintptr

var (
	apID uint64 // logical id of the AP being started
	apFS uint64 // its FS base (the idle thread's TLS)
	// apState is the start-up handshake with the AP being started: the
	// BSP sets apWaiting; the AP moves it to apAlive, or finds that the
	// BSP gave up (apAbandoned) and parks itself for good.
	apState atomic.Uint32
)

// SMPReport describes the bring-up, for the banner and the tests.
var SMPReport struct {
	InMADT, Requested, Online int
	Failed                    [8]uint32 // APIC IDs that did not come up
	NFailed                   int
	NoACPI                    bool
}

const (
	apWaiting   = 1
	apAlive     = 2
	apAbandoned = 3
)

// apTimeout is how long the BSP waits for an AP: generous, since TCG on
// a busy host may not run a vCPU's thread for a second or more.
const apTimeout = 3e9

// startAPs brings up the CPUs of the MADT, at most cpus= of them in all.
// A CPU that does not report within apTimeout is sent INIT again and left
// out — and so are the CPUs after it: a CPU that wakes up late (a vCPU
// thread the host did not run for seconds may process its start-up IPI
// after the INIT meant to park it) reads the trampoline's mailbox, and the
// mailbox must still describe that CPU, not the next one. Such a CPU finds
// the handshake abandoned in apStart and halts.
func startAPs() {
	m, ok := acpi.ReadMADT()
	bsp := amd64.LAPICID()
	amd64.CPUByID(0).APICID = bsp
	if !ok || m.NCPU == 0 {
		SMPReport.NoACPI = true
		say("smp: no ACPI MADT: running on the boot CPU only\n")
		finishSMP(1)
		return
	}
	SMPReport.InMADT = m.NCPU
	limit := m.NCPU
	if v, ok := cmdline.Lookup(cmdlineView(), "cpus"); ok {
		// A bad value is reported by cmdline.Parse in main; here it is
		// just not applied.
		if n, ok := cmdline.ParseUint(v); ok && n >= 1 && n <= amd64.MaxCPUs {
			if int(n) <= limit {
				limit = int(n)
			} else {
				var msg console.Msg
				msg.S("cmdline: cpus=").U(n).S(": only ").U(uint64(limit)).S(" CPUs in the MADT; starting ").U(uint64(limit)).S("\n").Print()
			}
		}
	}
	SMPReport.Requested = limit
	for i := 0; i < len(trampoline); i++ {
		*(*byte)(amd64.PhysPtr(trampolineAddr + uint64(i))) = trampoline[i]
	}
	next := 1
	for i := 0; i < m.NCPU && next < limit; i++ {
		apic := m.CPUs[i]
		if apic == bsp {
			continue
		}
		top, fs, ok := sched.PrepareCPU(next)
		if !ok {
			say("smp: no memory for another CPU's idle thread\n")
			break
		}
		*(*uint64)(amd64.PhysPtr(mailboxCR3)) = uint64(phys.BootPML4)
		*(*uint64)(amd64.PhysPtr(mailboxStack)) = uint64(top)
		*(*uint64)(amd64.PhysPtr(mailboxEntry)) = uint64(apEntry64Addr()) // a high address: the trampoline runs on the boot tables, which map both
		apID, apFS = uint64(next), uint64(fs)
		apState.Store(apWaiting)
		amd64.CPUByID(next).APICID = apic
		amd64.SendINIT(apic)
		clock.Spin(10e6)
		amd64.SendStartup(apic, trampolinePage)
		clock.Spin(200e3)
		if apState.Load() == apWaiting {
			amd64.SendStartup(apic, trampolinePage)
		}
		for end := clock.Nanotime() + apTimeout; apState.Load() == apWaiting && clock.Nanotime() < end; {
			amd64.Pause()
		}
		if apState.CompareAndSwap(apWaiting, apAbandoned) {
			amd64.SendINIT(apic) // park it, if it listens
			var msg console.Msg
			msg.S("smp: CPU with APIC ID ").U(uint64(apic)).S(" did not come up within ").U(apTimeout / 1e9).
				S(" s; it and the CPUs after it are left out\n").Print()
			SMPReport.Failed[SMPReport.NFailed] = apic
			SMPReport.NFailed++
			break // its idle thread stays allocated: a late start uses that stack
		}
		next++
	}
	finishSMP(next)
}

func finishSMP(n int) {
	SMPReport.Online = n
	smp.SetCount(n)
	sys.NumCPUs = n
	rcu.NumCPUs = n
	if n > 1 {
		phys.SetFlushKernel(smp.FlushKernel)
	}
	mm.SetMachine(mm.Machine{FlushUser: flushUser, SetCR3: sched.SetCR3, ForgetCR3: forgetCR3}) // wb: boot
	// Every CPU has its GS area now: the frame allocator's per-CPU caches
	// can find their CPU.
	phys.Frames.PerCPU = true
}

// apStart runs on a new AP, on its idle thread's kernel stack, with the
// idle thread's kernel g. It sets the CPU up like the boot CPU was and
// joins the scheduler; it never returns.
func apStart() {
	// apID is this CPU's while the handshake waits: the BSP changes it
	// only after the CAS below (or after giving up, when it stops).
	id := int(apID)
	if !apState.CompareAndSwap(apWaiting, apAlive) {
		for { // the BSP gave up on this CPU: stay out of everything
			amd64.Cli()
			amd64.Hlt()
		}
	}
	c := amd64.InitCPU(id)
	c.Nesting = 1 // kernel context from here on: the idle thread is not a goroutine
	c.APICID = amd64.LAPICID()
	amd64.InitLAPIC()
	sched.RunAP(clock.Nanotime())
}

// flushUser is the user-space TLB shootdown: the CPUs in the mm's cpumask.
func flushUser(mask uint32, va, n uintptr) { smp.FlushMask(mask, va, n) }

// forgetCR3 is mm.Machine.ForgetCR3: the threads, then every CPU
// (this one included) that still has cr3 loaded.
func forgetCR3(cr3 uint64) int {
	forgetMu.Lock()
	defer forgetMu.Unlock()
	n := sched.ForgetCR3(cr3)
	dropped.Store(0)
	if smp.Count() > 1 {
		smp.CallOthers(dropCR3, uintptr(cr3), 0)
	}
	// EnterAtomic, not a bare SaveFlagsCli: the goroutine must also stay
	// on this CPU. A function call can be a preemption point (the stack
	// check), and a goroutine switched out between CLI and POPF leaves
	// its CPU running other goroutines with interrupts off.
	f := amd64.EnterAtomic()
	dropCR3(uintptr(cr3), 0)
	amd64.ExitAtomic(f)
	return n + int(dropped.Load())
}

// dropped counts the CPUs dropCR3 moved in the forgetCR3 that holds
// forgetMu.
var (
	forgetMu sync.Mutex
	dropped  atomic.Int32
)

func dropCR3(cr3, _ uintptr) {
	if sched.DropCR3(uint64(cr3)) {
		dropped.Add(1)
	}
}
