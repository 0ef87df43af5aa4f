// stat.go: /proc/stat (fs/proc/stat.c), /proc/uptime (fs/proc/uptime.c)
// and /proc/loadavg (fs/proc/loadavg.c, kernel/sched/loadavg.c).

// trapctx: process context only

package procfs

import (
	"fmt"
	"strings"
	"time"
)

// userHZ is USER_HZ: /proc/stat counts time in hundredths of a second.
const userHZ = 100

// CPUTime is one CPU's time since boot, in nanoseconds. Only busy and
// idle are told apart here: busy time shows as "system" (kernel code and
// ring 3 are not accounted separately).
type CPUTime struct {
	Busy, Idle uint64
}

// StatInputs is what /proc/stat prints.
type StatInputs struct {
	CPUs                       []CPUTime
	Interrupts                 uint64 // timer ticks and IPIs, all CPUs
	ContextSwitches            uint64
	BootTime                   int64 // seconds since the epoch
	Processes                  uint64
	ProcsRunning, ProcsBlocked int
}

func ticks(ns uint64) uint64 { return ns / (1e9 / userHZ) }

// procStat prints /proc/stat like Linux 6.1: the "cpu" line (the sum)
// and one per CPU with the ten USER_HZ columns (user nice system idle
// iowait irq softirq steal guest guest_nice), then intr (only the total:
// no per-IRQ counts here), ctxt, btime, processes, procs_running,
// procs_blocked and softirq (zeros).
func procStat(in StatInputs) []byte {
	var b strings.Builder
	var sum CPUTime
	for _, c := range in.CPUs {
		sum.Busy += c.Busy
		sum.Idle += c.Idle
	}
	row := func(name string, c CPUTime) {
		fmt.Fprintf(&b, "%s %d %d %d %d %d %d %d %d %d %d\n", name, 0, 0, ticks(c.Busy), ticks(c.Idle), 0, 0, 0, 0, 0, 0)
	}
	row("cpu ", sum)
	for i, c := range in.CPUs {
		row(fmt.Sprintf("cpu%d", i), c)
	}
	fmt.Fprintf(&b, "intr %d\n", in.Interrupts)
	fmt.Fprintf(&b, "ctxt %d\n", in.ContextSwitches)
	fmt.Fprintf(&b, "btime %d\n", in.BootTime)
	fmt.Fprintf(&b, "processes %d\n", in.Processes)
	fmt.Fprintf(&b, "procs_running %d\n", in.ProcsRunning)
	fmt.Fprintf(&b, "procs_blocked %d\n", in.ProcsBlocked)
	b.WriteString("softirq 0 0 0 0 0 0 0 0 0 0 0\n")
	return []byte(b.String())
}

// uptime prints /proc/uptime: seconds since boot and the idle time of
// all CPUs together, both with two decimals.
func uptime(up, idle time.Duration) []byte {
	cs := func(d time.Duration) (int64, int64) {
		c := d.Milliseconds() / 10
		return c / 100, c % 100
	}
	us, uc := cs(up)
	is, ic := cs(idle)
	return fmt.Appendf(nil, "%d.%02d %d.%02d\n", us, uc, is, ic)
}

// The load average, as kernel/sched/loadavg.c computes it: every 5 s
// (LOAD_FREQ) each of the three averages moves towards the number of
// threads that run or wait to, in fixed point with 11 fractional bits.
const (
	fshift   = 11
	fixed1   = 1 << fshift
	loadFreq = 5 * time.Second
	exp1     = 1884 // fixed1/exp(5s/1min)
	exp5     = 2014
	exp15    = 2037
)

// calcLoad is calc_load: one step of an exponentially decaying average.
func calcLoad(load, exp, active uint64) uint64 {
	n := load*exp + active*(fixed1-exp)
	if active >= load {
		n += fixed1 - 1
	}
	return n / fixed1
}

// loadAvg holds the three averages. Linux samples every 5 s from the
// timer tick; here nothing runs in the background for it: a read of
// /proc/loadavg first applies the 5 s steps that elapsed since the last
// one, all with the number running at the read (so the averages are
// exact for a steady load, and approximate for one that changed between
// reads). Protected by procfs.mu.
type loadAvg struct {
	avg  [3]uint64
	last time.Duration // the uptime of the last step
}

// sample moves the averages one step with active runnable threads.
func (l *loadAvg) sample(active int) {
	a := uint64(active) * fixed1
	for i, e := range [3]uint64{exp1, exp5, exp15} {
		l.avg[i] = calcLoad(l.avg[i], e, a)
	}
}

// catchUp applies the steps due between the last one and uptime now
// (at most maxCatchUp of them: by then every average has converged).
func (l *loadAvg) catchUp(now time.Duration, active int) {
	const maxCatchUp = 1000
	n := 0
	for ; l.last+loadFreq <= now; l.last += loadFreq {
		if n++; n <= maxCatchUp {
			l.sample(active)
		}
	}
}

// get returns the averages.
func (l *loadAvg) get() [3]uint64 { return l.avg }

// loadavg prints /proc/loadavg: the three averages with two decimals
// (rounded as get_avenrun with FIXED_1/200 does), running/total threads,
// and the last process id handed out.
func loadavg(avg [3]uint64, running, total, lastPID int) []byte {
	var b strings.Builder
	for i, v := range avg {
		v += fixed1 / 200
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%d.%02d", v>>fshift, (v&(fixed1-1))*100>>fshift)
	}
	fmt.Fprintf(&b, " %d/%d %d\n", running, total, lastPID)
	return []byte(b.String())
}
