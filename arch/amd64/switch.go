// switch.go: switching between kernel stacks.

package amd64

// Swtch saves the callee's frame pointer and return address on the current
// kernel stack, stores the stack pointer in *from, and continues on the
// stack saved in to (like xv6's swtch). The caller must already have loaded
// the next thread's FS base and CPU fields: after the switch the compiler
// reloads R14 from FS:-8, the next thread's kernel g.
func Swtch(from *uintptr, to uintptr)

// forkret is where a new thread's first Swtch returns to: it calls the
// scheduler's tail hook (which releases the scheduler lock) and leaves
// through trapReturn with the frame the creator prepared.
func forkret()

// forkretAddr returns the address new kernel stacks "return" to.
func forkretAddr() uintptr

var forkretHook func()

// SetForkretHook installs the function a new thread runs before it first
// returns to Go code.
func SetForkretHook(f func()) { forkretHook = f } // wb: set at boot, before the runtime

func forkretGo() { forkretHook() }

// NewKernelStack prepares a kernel stack whose top holds a trap frame (and
// FXSAVE area) for a new thread, so that the first Swtch to the returned
// stack pointer ends in trapReturn with that frame. It returns the saved
// stack pointer and the frame to fill in.
func NewKernelStack(lo, top uintptr) (sp uintptr, tf *TrapFrame) {
	top &^= 15
	frame := top - frameWords*8
	tf = (*TrapFrame)(ptr(frame))
	*tf = TrapFrame{}
	fx := frame - fxsaveSize
	initFXSave(fx)
	// Below the FXSAVE area: the words Swtch pops (BP, return address).
	sp = fx - 16
	*(*uintptr)(ptr(sp)) = 0                 // BP
	*(*uintptr)(ptr(sp + 8)) = forkretAddr() // return address of Swtch
	return sp, tf
}

// initFXSave writes a clean FXSAVE image: default x87 control word and
// MXCSR (all SSE exceptions masked), as after FNINIT/reset.
func initFXSave(p uintptr) {
	b := (*[fxsaveSize]byte)(ptr(p))
	clear(b[:])
	b[0], b[1] = 0x7f, 0x03                             // FCW = 0x037f
	b[24], b[25], b[26], b[27] = 0x80, 0x1f, 0x00, 0x00 // MXCSR = 0x1f80
}

// kthreadStart is where a new kernel-only thread's first Swtch returns to:
// it runs the forkret hook and then the thread's body (kthreadHook), which
// never returns.
func kthreadStart()

func kthreadStartAddr() uintptr

var kthreadHook func()

// SetKernelThreadHook installs the body that kernel-only threads run (the
// scheduler's idle loop dispatcher).
func SetKernelThreadHook(f func()) { kthreadHook = f } // wb: set at boot, before the runtime

func kthreadGo() {
	forkretHook()
	kthreadHook()
	for {
		Cli()
		Hlt()
	}
}

// NewKernelThreadStack prepares a stack whose first Swtch runs the kernel
// thread hook, and returns the stack pointer to switch to.
func NewKernelThreadStack(lo, top uintptr) (sp uintptr) {
	sp = (top &^ 15) - 16
	*(*uintptr)(ptr(sp)) = 0
	*(*uintptr)(ptr(sp + 8)) = kthreadStartAddr()
	return sp
}
