// ap.go: finding the other CPUs (ACPI MADT) and starting them with
// INIT-SIPI-SIPI (SDM Vol. 3A §9.4.4.1, "Typical AP Initialization").

package boot

import (
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
	"retract/rcu"
)

// apEntry64 is where the trampoline jumps in 64-bit mode.
func apEntry64()
func apEntry64Addr() uintptr

var (
	apID    uint64        // logical id of the AP being started
	apFS    uint64        // its FS base (the idle thread's TLS)
	apAlive atomic.Uint32 // set by the AP once it runs Go code
)

// SMPReport describes the bring-up, for the banner and the tests.
var SMPReport struct {
	InMADT, Requested, Online int
	Failed                    [8]uint32 // APIC IDs that did not come up
	NFailed                   int
	NoACPI                    bool
}

// startAPs brings up the CPUs of the MADT, at most cpus= of them in all.
// A CPU that does not report within a second (generous: TCG may run many
// vCPUs on few host cores) is sent INIT again, parked, and left out.
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
		*(*byte)(amd64.Ptr(trampolineAddr + uintptr(i))) = trampoline[i]
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
		*(*uint64)(amd64.Ptr(mailboxCR3)) = uint64(mm.BootPML4)
		*(*uint64)(amd64.Ptr(mailboxStack)) = uint64(top)
		*(*uint64)(amd64.Ptr(mailboxEntry)) = uint64(apEntry64Addr())
		apID, apFS = uint64(next), uint64(fs)
		apAlive.Store(0)
		amd64.CPUByID(next).APICID = apic
		amd64.SendINIT(apic)
		clock.Spin(10e6)
		amd64.SendStartup(apic, trampolinePage)
		clock.Spin(200e3)
		if apAlive.Load() == 0 {
			amd64.SendStartup(apic, trampolinePage)
		}
		for end := clock.Nanotime() + 1e9; apAlive.Load() == 0 && clock.Nanotime() < end; {
			amd64.Pause()
		}
		if apAlive.Load() == 0 {
			amd64.SendINIT(apic) // park it: it must not wake up later with another CPU's mailbox
			var msg console.Msg
			msg.S("smp: CPU with APIC ID ").U(uint64(apic)).S(" did not come up within 1 s; left out\n").Print()
			if SMPReport.NFailed < len(SMPReport.Failed) {
				SMPReport.Failed[SMPReport.NFailed] = apic
				SMPReport.NFailed++
			}
			continue // its idle thread stays allocated: the slot is not reused
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
		mm.SetFlushKernel(smp.FlushKernel)
	}
	mm.SetFlushUser(flushUser) // wb: boot
	// Every CPU has its GS area now: the frame allocator's per-CPU caches
	// can find their CPU.
	mm.Frames.PerCPU = true
}

// apStart runs on a new AP, on its idle thread's kernel stack, with the
// idle thread's kernel g. It sets the CPU up like the boot CPU was and
// joins the scheduler; it never returns.
func apStart() {
	id := int(apID)
	c := amd64.InitCPU(id)
	c.Nesting = 1 // kernel context from here on: the idle thread is not a goroutine
	c.APICID = amd64.LAPICID()
	amd64.InitLAPIC()
	apAlive.Store(1)
	sched.RunAP(clock.Nanotime())
}

// flushUser is the user-space TLB shootdown: the CPUs in the mm's cpumask.
func flushUser(m *mm.MM, va, n uintptr) { smp.FlushMask(m.CPUMask.Load(), va, n) }
