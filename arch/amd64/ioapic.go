// ioapic.go: the I/O APIC (Intel 82093AA datasheet §3), just enough to
// route one interrupt line to one CPU.
//
// Written here rather than through tamago's soc/intel/ioapic driver for
// the reason lapic.go gives: that driver takes a 32-bit base address, and
// the I/O APIC's MMIO page is reachable only through the direct map.

package amd64

import "sync/atomic"

// IOAPICPhys is the standard I/O APIC address on QEMU's machines (the
// MADT may name another; IOAPICRoute takes the address).
const IOAPICPhys = 0xfec00000

const (
	ioregsel     = 0x00
	iowin        = 0x10
	ioredtbl     = 0x10 // register index of redirection entry 0 (two registers each)
	redirMasked  = 1 << 16
	redirDestPos = 56 - 32 // destination APIC ID in the high register
)

func ioapicWrite(base uint64, reg, v uint32) {
	atomic.StoreUint32((*uint32)(PhysPtr(base+ioregsel)), reg)
	atomic.StoreUint32((*uint32)(PhysPtr(base+iowin)), v)
}

// IOAPICRoute routes input pin (GSI minus the I/O APIC's GSI base) of the
// I/O APIC at physical address base to vector on the CPU with APIC ID
// dest: fixed delivery, physical destination, edge-triggered, active high,
// unmasked (what the ISA serial line needs).
func IOAPICRoute(base uint64, pin int, vector uint8, dest uint32) {
	reg := uint32(ioredtbl + 2*pin)
	ioapicWrite(base, reg, redirMasked) // masked while it changes
	ioapicWrite(base, reg+1, dest<<redirDestPos)
	ioapicWrite(base, reg, uint32(vector))
}
