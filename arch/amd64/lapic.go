// lapic.go: the local APIC (SDM Vol. 3A chapter 11) in xAPIC mode at its
// default MMIO base. Enabling, the timer's vector and IPIs go through
// tamago's amd64/lapic driver; the registers it has no API for (timer counts
// and divider) and the EOI on the interrupt path are written here directly,
// as plain 32-bit MMIO stores.

package amd64

import (
	"sync/atomic"

	"github.com/usbarmory/tamago/amd64/lapic"
)

// LAPICBase is the xAPIC MMIO base (IA32_APIC_BASE default; QEMU's MADT
// reports the same).
const LAPICBase = 0xfee00000

// LAPIC is tamago's driver for this CPU's local APIC (the MMIO page is per CPU).
var LAPIC = lapic.LAPIC{Base: LAPICBase}

const (
	lapicEOI       = 0xb0
	lapicSVR       = 0xf0
	lapicLVTTimer  = 0x320
	lapicInitCount = 0x380
	lapicCurCount  = 0x390
	lapicDivide    = 0x3e0

	lvtMasked = 1 << 16
)

func lapicReg(off uintptr) *uint32 { return (*uint32)(ptr(LAPICBase + off)) }

// MMIO goes through atomic operations so that the compiler neither merges
// nor hoists the accesses.
func lapicWrite(off uintptr, v uint32) { atomic.StoreUint32(lapicReg(off), v) }
func lapicRead(off uintptr) uint32     { return atomic.LoadUint32(lapicReg(off)) }

// EOI signals the end of an interrupt to this CPU's LAPIC.
//
//go:nosplit
func EOI() { lapicWrite(lapicEOI, 0) }

// InitLAPIC enables this CPU's LAPIC with the spurious vector and a masked,
// stopped timer.
func InitLAPIC() {
	lapicWrite(lapicSVR, 0x100|VectorSpurious)
	LAPIC.Enable()
	lapicWrite(lapicDivide, 0xb) // divide by 1
	lapicWrite(lapicLVTTimer, lvtMasked|VectorTimer)
	lapicWrite(lapicInitCount, 0)
}

// LAPICID returns this CPU's APIC ID.
func LAPICID() uint32 { return LAPIC.ID() }

// TimerOneShot arms this CPU's timer to interrupt once after count ticks
// (at the calibrated LAPIC frequency, divider 1).
func TimerOneShot(count uint32) {
	if count == 0 {
		count = 1
	}
	LAPIC.SetTimer(VectorTimer, lapic.TIMER_MODE_ONE_SHOT)
	lapicWrite(lapicInitCount, count)
}

// TimerStartMasked starts a masked countdown from count, for calibration.
func TimerStartMasked(count uint32) {
	lapicWrite(lapicLVTTimer, lvtMasked|VectorTimer)
	lapicWrite(lapicInitCount, count)
}

// TimerCurrent returns the timer's current count.
func TimerCurrent() uint32 { return lapicRead(lapicCurCount) }
