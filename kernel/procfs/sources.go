// sources.go: where the system-wide files read the running kernel — the
// frame allocator and mm's counters, CPUID, the scheduler's per-CPU
// times, the clock. Host tests replace src with fixed values.

// trapctx: process context only

package procfs

import (
	"sync"
	"time"

	"retract/arch/amd64"
	"retract/kernel/clock"
	"retract/kernel/sched"
	"retract/kernel/smp"
	"retract/mm"
	"retract/mm/phys"
)

// sources is the kernel state the system-wide files print.
type sources struct {
	Mem       func() mm.MemCounts
	MemInputs func() MemInputs
	CPUs      func() []CPUInfo
	Stat      func() StatInputs
	Uptime    func() (up, idle time.Duration)
	Threads   func() (running, total int)
}

var src = kernelSources()

func kernelSources() sources {
	return sources{
		Mem:       mm.ReadMemCounts,
		MemInputs: kernelMemInputs,
		CPUs:      kernelCPUs,
		Stat:      kernelStat,
		Uptime:    kernelUptime,
		Threads:   kernelThreads,
	}
}

// kernelStackSize is a thread's kernel stack (kernel/sched: 32 KiB).
const kernelStackSize = 32 << 10

func kernelMemInputs() MemInputs {
	in := MemInputs{
		Mem:         mm.ReadMemCounts(),
		KernelStack: uint64(sched.Count()) * kernelStackSize,
		HeapWindow:  uint64(phys.HeapEnd - phys.HeapBase),
		DirectMap:   (phys.Frames.NumFrames()*phys.PageSize + mm.HPageSize - 1) &^ (mm.HPageSize - 1),
	}
	for _, m := range mm.All() {
		m.ForEachVMA(false, func(v *mm.VMAInfo) bool {
			if v.Flags&mm.VMShared == 0 && v.Prot&mm.ProtWrite != 0 {
				in.Committed += v.Pages()
			}
			return true
		})
	}
	return in
}

var (
	cpuOnce sync.Once
	cpuBase CPUInfo
)

// kernelCPUs describes every online CPU: CPUID as the calling CPU
// answers it (the CPUs of one machine are alike here), each CPU's own
// APIC ID, the calibrated TSC frequency, and a topology of one package
// whose cores are the CPUs.
func kernelCPUs() []CPUInfo {
	cpuOnce.Do(func() { cpuBase = identify(amd64.Cpuid) })
	n := smp.Count()
	out := make([]CPUInfo, n)
	for id := range out {
		c := cpuBase
		c.Processor, c.CoreID, c.Siblings, c.Cores = id, id, n, n
		c.APICID = int(amd64.CPUByID(id).APICID)
		c.KHz = clock.TSCHz / 1000
		out[id] = c
	}
	return out
}

func kernelUptime() (time.Duration, time.Duration) {
	var idle uint64
	for id := 0; id < smp.Count(); id++ {
		idle += sched.CPUStats(id).IdleNS
	}
	return time.Duration(clock.Nanotime()), time.Duration(idle)
}

func kernelStat() StatInputs {
	now := clock.Nanotime()
	in := StatInputs{BootTime: (clock.Walltime() - int64(now)) / 1e9}
	for id := 0; id < smp.Count(); id++ {
		st := sched.CPUStats(id)
		idle := min(st.IdleNS, now)
		in.CPUs = append(in.CPUs, CPUTime{Busy: now - idle, Idle: idle})
		in.Interrupts += st.Ticks + smp.CPUStats(id).IPIs
		in.ContextSwitches += st.Switches
	}
	if Forks != nil {
		in.Processes = Forks()
	}
	in.ProcsRunning, _ = kernelThreads()
	return in
}

// kernelThreads counts the kernel's threads that run or wait to run, and
// all of them, idle threads left out.
func kernelThreads() (running, total int) {
	sched.ForEach(func(t *sched.Thread) {
		if t.Idle() {
			return
		}
		total++
		if s := t.State(); s == sched.Running || s == sched.Runnable {
			running++
		}
	})
	return running, total
}
