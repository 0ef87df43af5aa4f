// user.go: running a user thread in ring 3 from a goroutine — the
// task-goroutine design of gVisor's ring0 package, on the real CPU.
//
// A user thread is a goroutine (its "task goroutine", package proc) that
// calls RunUser with the thread's registers. RunUser enters ring 3 with
// IRETQ and returns when the thread next traps into the kernel: a system
// call, an exception (page fault, #GP, #UD, ...), or an interrupt that
// arrived while it ran. The reason is in regs.Vector; the registers the
// thread had are in regs. The goroutine then handles the event as
// ordinary Go in process context (it may block, allocate, take mutexes)
// and calls RunUser again:
//
//	for {
//		amd64.RunUser(&t.Regs)          // ring 3 until the next trap
//		switch t.Regs.Vector {
//		case amd64.VectorSyscall:      t.Regs.RAX = syscall(...)
//		case 14:                       mm fault, or SIGSEGV
//		case interrupt vectors:        nothing: the handler already ran
//		default:                       a signal (SIGILL, SIGFPE, ...)
//		}
//	}
//
// The CPU side (user_amd64.s, vectors_amd64.s):
//
//   - switchToUser saves the goroutine's callee state on the goroutine
//     stack and records the stack pointer in the per-CPU area (UserKSP),
//     loads the user FS base, the user GS base (into KERNEL_GS_BASE, which
//     SWAPGS exchanges) and the user FPU state, builds an IRETQ frame on
//     the thread's kernel stack, loads the user registers, SWAPGS, IRETQ.
//   - Every way back — SYSCALL (told apart from the runtime's own ring-0
//     SYSCALLs by the return address: user space is the lower half), and
//     any vector whose frame has CS.RPL = 3 — does SWAPGS and restores the
//     thread's FS base first, then builds the usual TrapFrame on the
//     thread's kernel stack. trap() sends such frames to userTrap (below),
//     which runs the interrupt handler if it was an interrupt, copies the
//     frame and the FPU state into regs, and resumes the goroutine right
//     after its switchToUser call (userReturn). The kernel-stack frame is
//     dropped.
//   - NMI, #DF and #MC use a "paranoid" entry (like Linux's): they may
//     arrive between SWAPGS and IRETQ, so they decide from the GS base
//     MSR whether to swap, and run on a per-CPU TLS block whatever FS holds.
//
// RunUser brackets the excursion with the runtime's entersyscall and
// exitsyscall (as gVisor does): while the thread is in ring 3 its P can be
// handed to other goroutines and a garbage collection does not wait for it.
// The caller must be locked to its OS thread (runtime.LockOSThread) with the
// task's page tables loaded (the scheduler reloads CR3 on every switch).
//
// User state never leaks into the kernel: userReturn resets MXCSR and the
// x87 control word to their defaults before Go code runs, and the kernel
// half of every address space is supervisor-only.

package amd64

import (
	"unsafe"
)

// UserRegs is a user thread's register state while the kernel runs
// (Linux's pt_regs plus the FPU state and the segment bases). The general
// registers and the CPU frame have TrapFrame's layout. The block must not
// move while the thread runs: keep it in a heap object that lives as long
// as the thread (Go does not move heap objects).
type UserRegs struct {
	TrapFrame
	// FSBase and GSBase are the thread's segment bases (arch_prctl).
	FSBase, GSBase uint64
	// CR2 is the faulting address of the last page fault (Vector 14).
	CR2 uint64
	// FX is the thread's FXSAVE image (x87, MMX, SSE state). FXSAVE needs
	// 16-byte alignment, which Go does not promise for a field: fxPtr
	// points at the aligned 512 bytes inside fx.
	fxPtr uintptr
	fx    [fxsaveSize + 16]byte
}

// Init prepares regs for a new thread: clean FPU state, user segments,
// interrupts enabled.
func (r *UserRegs) Init() {
	*r = UserRegs{}
	r.fxPtr = (uintptr(unsafe.Pointer(&r.fx[0])) + 15) &^ 15
	initFXSave(r.fxPtr)
	r.CS, r.SS = UserCS, UserDS
	r.RFLAGS = userFlagsFixed
}

// FX returns the thread's 512-byte FXSAVE image (for signal frames).
func (r *UserRegs) FX() *[fxsaveSize]byte { return (*[fxsaveSize]byte)(ptr(r.fxPtr)) }

// CopyFrom copies another thread's registers and FPU state (fork, clone).
func (r *UserRegs) CopyFrom(o *UserRegs) {
	fx := r.fxPtr
	r.TrapFrame, r.FSBase, r.GSBase, r.CR2 = o.TrapFrame, o.FSBase, o.GSBase, o.CR2
	if fx == 0 {
		r.fxPtr = (uintptr(unsafe.Pointer(&r.fx[0])) + 15) &^ 15
	}
	*r.FX() = *o.FX()
}

// RFLAGS bits a user thread may change (the arithmetic flags, TF, DF, AC
// and ID, as Linux's FIX_EFLAGS allows through sigreturn); IF is always on
// in ring 3, IOPL always 0.
const (
	userFlagsMask  = 0x1 | 0x4 | 0x10 | 0x40 | 0x80 | 0x800 | FlagTF | FlagDF | FlagAC | 1<<21
	userFlagsFixed = FlagIF | 0x2 // bit 1 always reads as 1
)

// UserAddr reports whether [a, a+n) lies in the user half.
func UserAddr(a, n uint64) bool { return a+n >= a && a+n <= uint64(UserTop) }

// RunUser runs the thread in ring 3 until it traps back into the kernel
// (see the file comment). It sanitizes what ring 3 must not get: RFLAGS
// bits outside userFlagsMask, segment selectors, and non-canonical or
// kernel RIP (a fault in IRETQ would come from ring 0 with user GS). It
// returns false, without entering ring 3, if RIP or RSP cannot be
// returned to; the caller then delivers SIGSEGV.
//
//go:nosplit
func RunUser(r *UserRegs) bool {
	if r.RIP >= uint64(UserTop) || r.RSP >= uint64(UserTop) ||
		r.FSBase >= uint64(UserTop) || r.GSBase >= uint64(UserTop) {
		return false
	}
	r.RFLAGS = r.RFLAGS&userFlagsMask | userFlagsFixed
	r.CS, r.SS = UserCS, UserDS
	if r.fxPtr == 0 {
		return false
	}
	entersyscall()
	switchToUser(r)
	exitsyscall()
	return true
}

//go:linkname entersyscall runtime.entersyscall
func entersyscall()

//go:linkname exitsyscall runtime.exitsyscall
func exitsyscall()

// switchToUser enters ring 3 with r and returns when the thread traps
// (user_amd64.s).
func switchToUser(r *UserRegs)

// userReturn resumes the goroutine that called switchToUser, whose saved
// stack pointer is ksp, with tlsg as its TLS g (user_amd64.s).
func userReturn(ksp uintptr, tlsg uint64)

// UserEntries counts the returns from ring 3 by vector (index 256: system
// calls), for the shell and the tests (trap context writes them).
var UserEntries [257]uint64

// userTrap handles a trap whose frame says it came from ring 3: an
// interrupt's handler runs first (a timer tick may switch threads here);
// then the frame and the FPU state are copied into the thread's registers
// and the goroutine resumes after switchToUser. It does not return.
func userTrap(tf *TrapFrame) {
	c := This()
	r := (*UserRegs)(ptr(c.UserRegs))
	ksp := c.UserKSP
	var cr2 uint64
	if tf.Vector == 14 {
		cr2 = ReadCR2()
	}
	UserEntries[min(tf.Vector, 256)]++
	// Save the thread's state before a handler may switch threads: the
	// switch saves and restores only the kernel's own FPU state.
	r.TrapFrame = *tf
	r.CR2 = cr2
	*r.FX() = *(*[fxsaveSize]byte)(ptr(uintptr(unsafe.Pointer(tf)) - fxsaveSize))
	if tf.Vector >= 32 && tf.Vector != VectorSyscall {
		if h := handlers[tf.Vector&0xff]; h != nil {
			h(tf)
		}
	}
	userReturn(ksp, tf.TLSG)
}
