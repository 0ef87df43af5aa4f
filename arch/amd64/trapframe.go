// trapframe.go: the register frame every trap and syscall saves.

package amd64

// TrapFrame is what the entry assembly saves on the kernel stack, lowest
// address first. The CPU pushed SS..RIP (and Err for some vectors, else the
// stub pushed 0); the stub pushed Vector; the common code pushed the rest.
// FXSAVE's 512-byte area lies just below it.
//
//	high  SS RSP RFLAGS CS RIP Err Vector RAX RBX RCX RDX RSI RDI RBP R8..R15 TLSG pad  low
type TrapFrame struct {
	_                                    uint64 // keeps the frame a multiple of 16 bytes
	TLSG                                 uint64 // the word at FS:-8 when the trap arrived (the thread's g)
	R15, R14, R13, R12, R11, R10, R9, R8 uint64
	RBP, RDI, RSI, RDX, RCX, RBX, RAX    uint64
	Vector, Err                          uint64
	RIP, CS, RFLAGS, RSP, SS             uint64
}

// frameWords is the frame size in words, used by the entry assembly
// (const_frameWords) when it checks kernel stack room.
const frameWords = 24

// fxsaveSize is the FXSAVE area below the frame.
const fxsaveSize = 512

// RFLAGS bits.
const (
	FlagIF = 1 << 9
	FlagDF = 1 << 10
	FlagTF = 1 << 8
	FlagAC = 1 << 18
)

// Syscall arguments in the Linux x86-64 convention: number in RAX,
// arguments in RDI RSI RDX R10 R8 R9, result in RAX.
func (tf *TrapFrame) SyscallNr() uint64 { return tf.RAX }

// Arg returns syscall argument i (0-5).
func (tf *TrapFrame) Arg(i int) uint64 {
	switch i {
	case 0:
		return tf.RDI
	case 1:
		return tf.RSI
	case 2:
		return tf.RDX
	case 3:
		return tf.R10
	case 4:
		return tf.R8
	case 5:
		return tf.R9
	}
	return 0
}

// FromKernel reports whether the trap interrupted trap-context code (a
// nested trap) rather than Go code.
func (tf *TrapFrame) FromKernel() bool {
	c := This()
	return uintptr(tf.RSP) >= c.KStackLo && uintptr(tf.RSP) < c.KStackTop
}
