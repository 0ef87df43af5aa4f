// vectors.go: the one table of exception vectors. The entry stubs, the IDT's
// IST choice and the oops report all read it.

package amd64

// Exception describes one architectural exception vector (SDM Vol. 3A §6.3.1, Table 6-1).
type Exception struct {
	Mnemonic string // "#PF"
	Name     string // "page fault"
	HasError bool   // the CPU pushes an error code
}

// Exceptions lists vectors 0-31.
var Exceptions = [32]Exception{
	0:  {"#DE", "divide error", false},
	1:  {"#DB", "debug", false},
	2:  {"NMI", "non-maskable interrupt", false},
	3:  {"#BP", "breakpoint", false},
	4:  {"#OF", "overflow", false},
	5:  {"#BR", "bound range exceeded", false},
	6:  {"#UD", "invalid opcode", false},
	7:  {"#NM", "device not available", false},
	8:  {"#DF", "double fault", true},
	9:  {"", "coprocessor segment overrun", false},
	10: {"#TS", "invalid TSS", true},
	11: {"#NP", "segment not present", true},
	12: {"#SS", "stack-segment fault", true},
	13: {"#GP", "general protection", true},
	14: {"#PF", "page fault", true},
	15: {"", "reserved", false},
	16: {"#MF", "x87 floating-point error", false},
	17: {"#AC", "alignment check", true},
	18: {"#MC", "machine check", false},
	19: {"#XM", "SIMD floating-point exception", false},
	20: {"#VE", "virtualization exception", false},
	21: {"#CP", "control protection", true},
	22: {"", "reserved", false}, 23: {"", "reserved", false}, 24: {"", "reserved", false},
	25: {"", "reserved", false}, 26: {"", "reserved", false}, 27: {"", "reserved", false},
	28: {"#HV", "hypervisor injection", false},
	29: {"#VC", "VMM communication", true},
	30: {"#SX", "security exception", true},
	31: {"", "reserved", false},
}

// errorCodeMask has bit v set when vector v pushes an error code. The entry
// assembly tests it (const_errorCodeMask in go_asm.h); TestErrorCodeMask
// checks it against Exceptions.
const errorCodeMask = 1<<8 | 1<<10 | 1<<11 | 1<<12 | 1<<13 | 1<<14 | 1<<17 | 1<<21 | 1<<29 | 1<<30

// Interrupt vectors used by retract (above the 32 exceptions).
const (
	VectorTimer    = 0x20 // LAPIC timer
	VectorSerial   = 0x24 // COM1 through the IOAPIC (GSI 4)
	VectorIPI      = 0xf0 // call-function / wake-up IPI
	VectorSpurious = 0xff // LAPIC spurious vector
	// VectorSyscall is not an IDT vector: the SYSCALL entry stores it in
	// TrapFrame.Vector so that one frame layout serves both paths.
	VectorSyscall = 0x100
)

// VectorName returns a human name for a vector.
func VectorName(v uint64) string {
	switch {
	case v < 32:
		e := Exceptions[v]
		if e.Mnemonic == "" {
			return e.Name
		}
		return e.Mnemonic + " " + e.Name // alloc: process context only (the oops path spells names itself)
	case v == VectorTimer:
		return "LAPIC timer"
	case v == VectorSerial:
		return "serial"
	case v == VectorIPI:
		return "IPI"
	case v == VectorSpurious:
		return "spurious"
	case v == VectorSyscall:
		return "syscall"
	}
	return "interrupt"
}
