// idt.go: the interrupt descriptor table, shared by all CPUs.

package amd64

import "unsafe"

// gate is a 64-bit interrupt gate (SDM Vol. 3A §6.14.1, Figure 6-8).
type gate struct {
	offLo    uint16
	selector uint16
	ist      uint8
	typeAttr uint8
	offMid   uint16
	offHi    uint32
	_        uint32
}

var idt [256]gate

// vectors is the block of 256 entry stubs (vectors_amd64.s); never called from Go.
func vectors()

// vectorsBase returns the address of the stub block.
func vectorsBase() uintptr

const stubSize = 16

// istFor picks the IST stack of a vector: NMI, #DF and #MC get their own so
// that they work while IST1 is busy; everything else uses IST1 and leaves it
// at once.
func istFor(v int) uint8 {
	switch v {
	case 2:
		return istNMI
	case 8:
		return istDF
	case 18:
		return istMC
	}
	return istTrap
}

// buildIDT fills the shared IDT; every vector gets an interrupt gate (IF is
// cleared on entry) with an IST stack. Only #BP (int3) and #OF (into) may be
// raised by INT n from ring 3, as in Linux: INT n of any other vector from
// user space is a #GP (SIGSEGV), never a fake interrupt.
func buildIDT() {
	base := vectorsBase()
	for v := range idt {
		addr := uint64(base + uintptr(v)*stubSize)
		attr := uint8(0x8e) // present, DPL 0, 64-bit interrupt gate
		if v == 3 || v == 4 {
			attr = 0xee // DPL 3
		}
		idt[v] = gate{
			offLo:    uint16(addr),
			selector: KernelCS,
			ist:      istFor(v),
			typeAttr: attr,
			offMid:   uint16(addr >> 16),
			offHi:    uint32(addr >> 32),
		}
	}
}

func loadIDT() {
	var d descriptor
	d.limit = uint16(unsafe.Sizeof(idt) - 1)
	d.base = uint64(uintptr(unsafe.Pointer(&idt[0])))
	lidt(uintptr(unsafe.Pointer(&d.limit)))
}
