// lapic.go: the local APIC (SDM Vol. 3A chapter 11) in xAPIC mode, through
// its MMIO page in the direct map.
//
// The registers are written here directly, as plain 32-bit MMIO stores,
// rather than through tamago's amd64/lapic driver: that driver takes the
// base as a 32-bit address (it assumes the MMIO page is mapped at its
// physical address), and this kernel keeps the whole lower half for user
// space, so the page is only reachable through the direct map.

package amd64

import "sync/atomic"

// LAPICPhys is the xAPIC MMIO base (IA32_APIC_BASE default; QEMU's MADT
// reports the same). Each CPU sees its own LAPIC at this address.
const LAPICPhys = 0xfee00000

// lapicBase is where the kernel reaches the LAPIC: the direct map's
// uncached 3-4 GiB window.
const lapicBase = DirectMap + LAPICPhys

const (
	lapicID        = 0x20
	lapicEOI       = 0xb0
	lapicSVR       = 0xf0
	lapicLVTTimer  = 0x320
	lapicInitCount = 0x380
	lapicCurCount  = 0x390
	lapicDivide    = 0x3e0

	svrEnable    = 1 << 8
	lvtMasked    = 1 << 16
	lvtOneShot   = 0 << 17
	divideBy1    = 0xb
	lapicIDShift = 24
	lapicIDMask  = 0xff
)

func lapicReg(off uintptr) *uint32 { return (*uint32)(ptr(lapicBase + off)) }

// MMIO goes through atomic operations so that the compiler neither merges
// nor hoists the accesses.
//
//go:nosplit
func lapicWrite(off uintptr, v uint32) { atomic.StoreUint32(lapicReg(off), v) }

//go:nosplit
func lapicRead(off uintptr) uint32 { return atomic.LoadUint32(lapicReg(off)) }

// EOI signals the end of an interrupt to this CPU's LAPIC.
//
//go:nosplit
func EOI() { lapicWrite(lapicEOI, 0) }

// InitLAPIC enables this CPU's LAPIC (software enable in the spurious
// vector register) with the spurious vector and a masked, stopped timer.
func InitLAPIC() {
	lapicWrite(lapicSVR, svrEnable|VectorSpurious)
	lapicWrite(lapicDivide, divideBy1)
	lapicWrite(lapicLVTTimer, lvtMasked|VectorTimer)
	lapicWrite(lapicInitCount, 0)
}

// LAPICID returns this CPU's APIC ID.
//
//go:nosplit
func LAPICID() uint32 { return lapicRead(lapicID) >> lapicIDShift & lapicIDMask }

// TimerOneShot arms this CPU's timer to interrupt once after count ticks
// (at the calibrated LAPIC frequency, divider 1).
func TimerOneShot(count uint32) {
	if count == 0 {
		count = 1
	}
	lapicWrite(lapicLVTTimer, lvtOneShot|VectorTimer)
	lapicWrite(lapicInitCount, count)
}

// TimerStartMasked starts a masked countdown from count, for calibration.
func TimerStartMasked(count uint32) {
	lapicWrite(lapicLVTTimer, lvtMasked|VectorTimer)
	lapicWrite(lapicInitCount, count)
}

// TimerCurrent returns the timer's current count.
func TimerCurrent() uint32 { return lapicRead(lapicCurCount) }
