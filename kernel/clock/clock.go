// Package clock owns time: the TSC as the monotonic clock, calibrated at
// boot against the 8254 PIT, the LAPIC timer's rate for one-shot deadlines,
// and the CMOS RTC (through tamago's soc/intel/rtc) for the wall clock.
//
// Under TCG the guest TSC follows the host's TSC and the PIT and LAPIC timer
// run on QEMU's virtual clock (host time), so the calibration is as good as
// the host's clock; the numbers are printed at boot. Nothing here allocates
// or locks: Nanotime is called from trap context.
//
// Invariants: Nanotime never goes backwards on one CPU; TSCHz and LAPICHz
// are set once, before the Go runtime starts, and never change.
package clock

import (
	"math/bits"

	"github.com/usbarmory/tamago/soc/intel/rtc"

	"retract/arch/amd64"
)

var (
	// TSCHz and LAPICHz are the calibrated frequencies.
	TSCHz   uint64
	LAPICHz uint64
	// Source names what the calibration used.
	Source string

	tscBoot uint64 // TSC at calibration: Nanotime's zero
	// ns = (tsc-tscBoot) * mult >> 32
	mult uint64
	// wall clock at boot, ns since the Unix epoch
	bootWall int64
)

// 8254 PIT: channel 0, ports 0x40 (data) and 0x43 (command); input clock 1.193182 MHz.
const (
	pitHz   = 1193182
	pitData = 0x40
	pitCmd  = 0x43
)

func pitRead() uint16 {
	amd64.Outb(pitCmd, 0x00) // latch channel 0
	lo := amd64.Inb(pitData)
	hi := amd64.Inb(pitData)
	return uint16(hi)<<8 | uint16(lo)
}

// Calibrate measures the TSC and LAPIC timer against the PIT over ~20 ms.
// It runs once on the boot CPU before the Go runtime starts.
//
// The PIT's counter wraps every 55 ms, and the loop can only count one
// wrap per read: if the CPU stops between two reads for longer (a vCPU
// that the host deschedules — TCG on a busy machine does that for tens of
// ms), wraps are lost, the TSC looks faster than it is, and every delay
// of the kernel stretches by that factor (seen: boots that took minutes).
// So a measurement in which one step between reads took long enough to
// hide a wrap is thrown away and repeated.
func Calibrate() {
	// Channel 0, lo/hi access, mode 2 (rate generator), binary, reload 0 (=65536).
	amd64.Outb(pitCmd, 0x34)
	amd64.Outb(pitData, 0)
	amd64.Outb(pitData, 0)
	if pitRead() == 0xffff && pitRead() == 0xffff {
		// Nothing answers at the PIT ports: QEMU's LAPIC timer runs at
		// exactly 1 GHz with divider 1, so fall back to it.
		calibrateFromLAPIC()
		return
	}
	// Lost wraps only ever make the TSC look faster: if no measurement is
	// clean, the slowest-looking one is the least wrong.
	for Retries = 0; ; Retries++ {
		tsc, lapic, pit, ok := measure()
		if hz := tsc * pitHz / pit; TSCHz == 0 || hz < TSCHz {
			TSCHz, LAPICHz = hz, lapic*pitHz/pit
		}
		if ok || Retries == maxRetries {
			break
		}
	}
	Source = "PIT" // wb: calibration runs at boot, before the runtime
	finish(amd64.Rdtsc())
}

// Retries is how many PIT measurements Calibrate threw away.
var Retries int

const maxRetries = 20

// measure counts ~20 ms of PIT ticks and returns the TSC and LAPIC timer
// ticks that passed meanwhile, and whether no step between two PIT reads
// was long enough (a quarter of a PIT wrap, judged by the TSC rate just
// measured) to have hidden a wrap.
func measure() (tsc, lapic, pit uint64, ok bool) {
	const lapicStart = 0xffffffff
	amd64.TimerStartMasked(lapicStart)
	last := pitRead()
	tsc0 := amd64.Rdtsc()
	lapic0 := amd64.TimerCurrent()
	var elapsed, maxStep uint64
	prev := tsc0
	// 20 ms: 23864 PIT ticks, so one tick of error is 4e-5 of the rate;
	// every millisecond here is a millisecond of boot.
	const target = pitHz / 50
	for elapsed < target {
		now := pitRead()
		t := amd64.Rdtsc()
		maxStep = max(maxStep, t-prev)
		prev = t
		elapsed += uint64(last-now) & 0xffff // counts down, wraps at 65536
		last = now
	}
	tsc = amd64.Rdtsc() - tsc0
	lapic = uint64(lapic0 - amd64.TimerCurrent())
	// A wrap is 65536 PIT ticks; a step longer than 16384 ticks' worth of
	// TSC cycles may have lost one (even counting the TSC rate that such
	// a loss inflates).
	ok = maxStep*elapsed < tsc*16384
	return tsc, lapic, elapsed, ok
}

func calibrateFromLAPIC() {
	const count = 20_000_000 // 20 ms at 1 GHz
	amd64.TimerStartMasked(count)
	tsc0 := amd64.Rdtsc()
	for amd64.TimerCurrent() != 0 {
	}
	tsc1 := amd64.Rdtsc()
	LAPICHz = 1_000_000_000
	TSCHz = (tsc1 - tsc0) * 50
	Source = "LAPIC (assumed 1 GHz)" // wb: at boot, before the runtime
	finish(tsc1)
}

func finish(tsc uint64) {
	tscBoot = tsc
	if TSCHz == 0 {
		TSCHz = 1
	}
	mult = (uint64(1e9) << 32) / TSCHz
	amd64.TimerStartMasked(0)
}

// ReadRTC reads the CMOS clock into the wall-clock base.
func ReadRTC() {
	var r rtc.RTC
	t, err := r.Now()
	if err == nil {
		bootWall = t.UnixNano() - int64(Nanotime())
	}
}

// Nanotime returns nanoseconds since calibration (CLOCK_MONOTONIC).
func Nanotime() uint64 {
	d := amd64.Rdtsc() - tscBoot
	hi, lo := bits.Mul64(d, mult)
	return hi<<32 | lo>>32
}

// Walltime returns nanoseconds since the Unix epoch (CLOCK_REALTIME).
func Walltime() int64 { return bootWall + int64(Nanotime()) }

// LAPICTicks converts a duration in ns to LAPIC timer ticks, clamped to 32 bits.
func LAPICTicks(ns uint64) uint32 {
	hi, lo := bits.Mul64(ns, LAPICHz)
	q, _ := bits.Div64(hi%1e9, lo, 1e9)
	if hi >= 1e9 || q > 0xffffffff {
		return 0xffffffff
	}
	return uint32(q)
}

// Spin busy-waits ns nanoseconds (boot-time delays, before anything can
// sleep; and the few waits that must not sleep).
func Spin(ns uint64) {
	for end := Nanotime() + ns; Nanotime() < end; {
		amd64.Pause()
	}
}
