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
//     which runs the interrupt handler if it was an interrupt. An
//     interrupt then goes straight back to ring 3 (trapReturn restores the
//     frame, the user's FS and GS bases, SWAPGS, IRETQ) unless the
//     goroutine was asked for (RequestReturn: a signal, an exit, a new CPU
//     mask). Anything else copies the frame and the FPU state into regs
//     and resumes the goroutine right after its switchToUser call
//     (userReturn); the kernel-stack frame is dropped.
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
// The FPU. Go code uses SSE (X0-X15, MXCSR) but never the x87 unit or
// MMX, so a trip from ring 3 saves and restores only the SSE part of the
// thread's FPU state: the entry stores MXCSR and XMM0-15 straight into the
// thread's FXSAVE image (UserRegs.FX, FXSAVE's layout), the way back loads
// them from it, and the x87 registers keep the thread's values in the CPU
// all the while. (FXSAVE plus FXRSTOR plus copying the image cost about as
// much as the rest of a system call's trip under QEMU's TCG.) The x87
// state must survive kernel thread switches, which happen only in trap
// context: an entry from ring 0 (the tick, a system call of the Go
// runtime) saves and restores everything in its frame, and an interrupt
// from ring 3 — whose handler may switch threads before userTrap decides
// where to go — saves everything into the image (FXSAVE) and marks it
// for a full load. Code that needs the whole image calls SaveFX first
// (signal frames, fork), and code that writes it calls FXChanged, so that
// the next entry to ring 3 loads all of it with FXRSTOR.
//
// User state never leaks into the kernel: userReturn resets MXCSR to its
// default and X15 to zero before Go code runs, and the kernel half of
// every address space is supervisor-only.

package amd64

import (
	"sync/atomic"
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
	// work, when not 0, asks for the task goroutine before the thread goes
	// back to ring 3 after an interrupt (Linux's _TIF_SIGPENDING and
	// _TIF_NOTIFY_RESUME): RequestReturn sets it, ClearReturn clears it.
	// Accessed atomically.
	work uint32
	// ranOn is the CPU the thread last entered ring 3 on (-1 before it
	// first did). Accessed atomically.
	ranOn int32
	// fxLoad says the whole FX image must be loaded on the next entry to
	// ring 3 (FXRSTOR), x87 state included: the kernel wrote the image
	// (Init, CopyFrom, FXChanged). Otherwise only its SSE part is (see
	// "The FPU" in the file comment).
	fxLoad bool
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
	r.ranOn = -1
	r.fxLoad = true
}

// RequestReturn makes the next interrupt that lands in the thread's ring 3
// (or the one that is on its way, such as a kick IPI) hand the thread to
// its goroutine, instead of resuming ring 3 straight from the handler.
// Any goroutine may call it; pair it with an IPI to the thread's CPU.
func (r *UserRegs) RequestReturn() { atomic.StoreUint32(&r.work, 1) }

// ClearReturn withdraws RequestReturn. The task goroutine calls it before
// it looks at what was requested (signals, an exit, a new CPU mask), so a
// request made after that look is not lost.
func (r *UserRegs) ClearReturn() {
	if atomic.LoadUint32(&r.work) != 0 { // a store is a locked XCHG: skip it when there is nothing to clear
		atomic.StoreUint32(&r.work, 0)
	}
}

// RanOn returns the CPU the thread last entered ring 3 on, -1 if none.
func (r *UserRegs) RanOn() int { return int(atomic.LoadInt32(&r.ranOn)) }

// FX returns the thread's 512-byte FXSAVE image. Its SSE part (MXCSR,
// XMM0-15) is always the thread's; its x87 part only after SaveFX. After
// writing it, call FXChanged.
func (r *UserRegs) FX() *[fxsaveSize]byte { return (*[fxsaveSize]byte)(ptr(r.fxPtr)) }

// SaveFX completes the FX image with the thread's x87 state, which lives
// in the CPU's registers while the thread is in the kernel (see "The FPU"
// in the file comment): call it on the thread's own goroutine before
// reading the whole image (a signal frame, fork).
func (r *UserRegs) SaveFX() {
	if r.fxLoad {
		return // the image is the newer state: it has not been loaded yet
	}
	var buf [fxsaveSize + 16]byte
	p := (uintptr(unsafe.Pointer(&buf[0])) + 15) &^ 15
	fxsave(p)
	live := (*[fxsaveSize]byte)(ptr(p))
	img := r.FX()
	copy(img[0:24], live[0:24])     // FCW, FSW, FTW, FOP, FIP, FDP
	copy(img[32:160], live[32:160]) // ST0-ST7 (MM0-MM7)
}

// FXChanged says the kernel wrote the FX image (sigreturn): the next
// entry to ring 3 loads all of it.
func (r *UserRegs) FXChanged() { r.fxLoad = true }

// CopyFrom copies another thread's registers and FPU state (fork, clone).
// o must be the calling thread's own registers (its x87 state is live).
func (r *UserRegs) CopyFrom(o *UserRegs) {
	fx := r.fxPtr
	r.TrapFrame, r.FSBase, r.GSBase, r.CR2 = o.TrapFrame, o.FSBase, o.GSBase, o.CR2
	if fx == 0 {
		r.fxPtr = (uintptr(unsafe.Pointer(&r.fx[0])) + 15) &^ 15
	}
	o.SaveFX()
	*r.FX() = *o.FX()
	r.fxLoad = true
}

// fxsave stores the CPU's FPU state at p (16-byte aligned; user_amd64.s).
func fxsave(p uintptr)

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
	if id := int32(This().ID); atomic.LoadInt32(&r.ranOn) != id {
		atomic.StoreInt32(&r.ranOn, id)
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

// UserResumes counts the interrupts from ring 3 that resumed ring 3
// straight from the handler, per CPU (trap context writes them).
var UserResumes [MaxCPUs]uint64

// userTrap handles a trap whose frame says it came from ring 3.
//
// An interrupt's handler runs first (a timer tick may switch kernel
// threads in it, and the thread may come back on another CPU). Unless the
// thread's goroutine was asked for (RequestReturn), the trap then returns
// the ordinary way, and trapReturn resumes ring 3 at once: nothing in the
// goroutine needs to run, and going through it would cost the Go
// runtime's exitsyscall/entersyscall pair, a register copy and a pass
// through the scheduler — Linux too returns from an interrupt to the
// interrupted program unless a reschedule or a signal is due.
//
// Everything else — a system call, an exception, an interrupt when the
// goroutine was asked for — copies the frame and the FPU state into the
// thread's registers and resumes the goroutine after switchToUser. That
// path does not return.
func userTrap(tf *TrapFrame) {
	c := This()
	r := (*UserRegs)(ptr(c.UserRegs))
	ksp, kfs := c.UserKSP, c.KernelFS
	var cr2 uint64
	if tf.Vector == 14 {
		cr2 = ReadCR2()
	}
	UserEntries[min(tf.Vector, 256)]++
	if tf.Vector >= 32 && tf.Vector != VectorSyscall {
		if h := handlers[tf.Vector&0xff]; h != nil {
			h(tf)
		}
		if atomic.LoadUint32(&r.work) == 0 {
			// Back to ring 3 through trapReturn, which loads the user's
			// FS and GS bases from CPU.UserRegs and swaps GS. If the
			// handler switched threads, another task may have entered
			// ring 3 from this CPU meanwhile, or this thread may be back
			// on another CPU: either way the CPU's area must describe
			// this thread again for its next entry.
			now := This()
			now.UserKSP, now.UserRegs, now.KernelFS = ksp, uintptr(unsafe.Pointer(r)), kfs
			if now != c {
				atomic.StoreInt32(&r.ranOn, int32(now.ID))
			}
			UserResumes[now.ID]++
			return
		}
	}
	// Save the thread's registers for its goroutine. trapSave stored its
	// FPU state in r's FX image already: after a system call or an
	// exception only the SSE part (the x87 part is still in the CPU);
	// after an interrupt all of it, and the handler may have switched
	// threads since, so the image is what must be loaded next time.
	r.TrapFrame = *tf
	r.CR2 = cr2
	if tf.Vector >= 32 && tf.Vector != VectorSyscall {
		r.fxLoad = true
	}
	userReturn(ksp, tf.TLSG)
}
