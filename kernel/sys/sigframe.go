// sigframe.go: delivering SIGSEGV to the Go runtime, so that a nil pointer
// dereference in kernel Go code becomes a Go panic (docs/architecture.md §9) instead of
// an oops: the runtime's handler turns it into runtime.sigpanic, and the
// goroutine gets "invalid memory address or nil pointer dereference", with
// recover and a traceback.
//
// The frame is Linux's x86-64 rt_sigframe, laid out as the Go runtime reads
// it (runtime/defs_linux_amd64.go: ucontext with gregs[23] and a 128-byte
// sigset), built on the thread's alternate signal stack:
//
//	altstack top
//	  siginfo (128 bytes): signo, errno, code, pad, addr
//	  ucontext (424 bytes): flags, link, stack_t, mcontext (gregs[23],
//	                        fpregs = nil, reserved), sigmask
//	  return address = sa_restorer (runtime.sigreturn__sigaction)
//	RSP at the handler
//
// The handler returns to sa_restorer, which calls rt_sigreturn; that
// restores the registers from the ucontext (which the runtime edited to
// resume in sigpanic).

package sys

import (
	"retract/arch/amd64"
	"retract/kernel/sched"
)

const (
	saSiginfo  = 0x4
	saOnstack  = 0x08000000
	saRestorer = 0x04000000
	saNodefer  = 0x40000000

	segvMaperr = 1

	siginfoSize = 128
	ucSize      = 424
	ucStack     = 16
	ucMcontext  = 40
	ucSigmask   = ucMcontext + 256
	fpregsOff   = ucMcontext + 23*8

	// gregs indexes (glibc's REG_*).
	gR8, gR9, gR10, gR11, gR12, gR13, gR14, gR15 = 0, 1, 2, 3, 4, 5, 6, 7
	gRDI, gRSI, gRBP, gRBX, gRDX, gRAX, gRCX     = 8, 9, 10, 11, 12, 13, 14
	gRSP, gRIP, gEFL, gCSGSFS, gERR, gTRAPNO     = 15, 16, 17, 18, 19, 20
	gOLDMASK, gCR2                               = 21, 22
)

// Delivered counts signals delivered to the runtime.
var Delivered uint64

// DeliverSignal rewrites tf so that the thread runs the runtime's handler
// for sig with a siginfo of (code, addr). It reports false — and changes
// nothing — when no handler is installed, the signal is blocked, or there
// is no usable alternate stack; the caller then treats the fault as an oops.
// Trap context.
func DeliverSignal(tf *amd64.TrapFrame, sig int, code int32, addr uint64) bool {
	l := sigLock.LockIRQ()
	act := sigactions[sig]
	sigLock.UnlockIRQ(l)
	t := sched.Current()
	if act.handler <= 1 || act.flags&saSiginfo == 0 || act.flags&saRestorer == 0 || t.SigMask&(1<<(sig-1)) != 0 {
		return false
	}
	if act.flags&saOnstack == 0 || t.SigAltSP == 0 || t.SigAltSize < minSigstksz {
		return false
	}
	if tf.RSP >= t.SigAltSP && tf.RSP < t.SigAltSP+t.SigAltSize {
		return false // a fault on the signal stack itself: the handler faulted
	}
	sp := (t.SigAltSP + t.SigAltSize) &^ 15
	info := sp - siginfoSize
	uc := (info - ucSize) &^ 15
	frame := uc - 8
	if frame < t.SigAltSP || !valid(frame, sp-frame) {
		return false
	}
	clear(bytesAt(frame, sp-frame))
	store64(frame, act.restorer)

	store32(info, uint32(sig))
	store32(info+8, uint32(code))
	store64(info+16, addr)

	store64(uc+ucStack, t.SigAltSP)
	store32(uc+ucStack+8, ssOnstack)
	store64(uc+ucStack+16, t.SigAltSize)
	g := func(i int, v uint64) { store64(uc+ucMcontext+uint64(i)*8, v) }
	g(gR8, tf.R8)
	g(gR9, tf.R9)
	g(gR10, tf.R10)
	g(gR11, tf.R11)
	g(gR12, tf.R12)
	g(gR13, tf.R13)
	g(gR14, tf.R14)
	g(gR15, tf.R15)
	g(gRDI, tf.RDI)
	g(gRSI, tf.RSI)
	g(gRBP, tf.RBP)
	g(gRBX, tf.RBX)
	g(gRDX, tf.RDX)
	g(gRAX, tf.RAX)
	g(gRCX, tf.RCX)
	g(gRSP, tf.RSP)
	g(gRIP, tf.RIP)
	g(gEFL, tf.RFLAGS)
	g(gCSGSFS, tf.CS)
	g(gERR, tf.Err)
	g(gTRAPNO, tf.Vector)
	g(gOLDMASK, t.SigMask)
	g(gCR2, addr)
	store64(uc+fpregsOff, 0) // no FP state saved: the runtime does not need it
	store64(uc+ucSigmask, t.SigMask)

	if act.flags&saNodefer == 0 {
		t.SigMask |= 1 << (sig - 1)
	}
	t.SigMask |= act.mask
	tf.RSP = frame
	tf.RIP = act.handler
	tf.RDI = uint64(sig)
	tf.RSI = info
	tf.RDX = uc
	tf.RAX = 0
	tf.RFLAGS &^= amd64.FlagTF | amd64.FlagDF
	Delivered++
	return true
}

// sysRtSigreturn restores the context saved by DeliverSignal (possibly
// edited by the handler) from the ucontext at RSP: the handler's RET popped
// the return address, so RSP points at the ucontext.
func sysRtSigreturn(tf *amd64.TrapFrame) uint64 {
	uc := tf.RSP
	if !valid(uc, ucSize) {
		return ret(0, EFAULT)
	}
	g := func(i int) uint64 { return load64(uc + ucMcontext + uint64(i)*8) }
	tf.R8, tf.R9, tf.R10, tf.R11 = g(gR8), g(gR9), g(gR10), g(gR11)
	tf.R12, tf.R13, tf.R14, tf.R15 = g(gR12), g(gR13), g(gR14), g(gR15)
	tf.RDI, tf.RSI, tf.RBP, tf.RBX = g(gRDI), g(gRSI), g(gRBP), g(gRBX)
	tf.RDX, tf.RAX, tf.RCX, tf.RSP = g(gRDX), g(gRAX), g(gRCX), g(gRSP)
	tf.RIP = g(gRIP)
	// Only the arithmetic flags come back; IF stays on, TF off.
	const userFlags = 0xcd5 // CF PF AF ZF SF DF OF
	tf.RFLAGS = tf.RFLAGS&^userFlags | g(gEFL)&userFlags | amd64.FlagIF
	sched.Current().SigMask = load64(uc+ucSigmask) &^ unblockable
	return 0
}
