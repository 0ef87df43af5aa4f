// trap.go: the Go side of trap entry: dispatch to registered handlers.

package amd64

// Handler handles one vector in trap context (see the package doc for what
// that forbids). It returns normally to resume the interrupted code, whose
// registers it may have changed in tf.
type Handler func(tf *TrapFrame)

var (
	handlers       [256]Handler
	syscallHandler Handler
	// fatalHandler reports a trap nobody handled (an oops); it returns only
	// after rewriting the frame to finish the report elsewhere.
	fatalHandler Handler
)

// SetHandler installs h for vector v. Call before interrupts are enabled
// (the table is read without locks).
func SetHandler(v int, h Handler) { handlers[v] = h } // wb: set at boot, before the runtime

// SetSyscallHandler installs the handler of the SYSCALL instruction.
func SetSyscallHandler(h Handler) { syscallHandler = h } // wb: set at boot, before the runtime

// SetFatalHandler installs the handler of unhandled traps.
func SetFatalHandler(h Handler) { fatalHandler = h } // wb: set at boot, before the runtime

// trap is called by trapSave with the frame just built.
func trap(tf *TrapFrame) {
	fromUser := tf.CS&3 == 3
	if tf.Vector == VectorSyscall && !fromUser {
		syscallHandler(tf) // the Go runtime's own system calls (package sys)
		return
	}
	if tf.Vector == 2 && handlers[2] != nil {
		// NMI: the stop-all path, which never returns, or a backtrace
		// request, which does. The entry moved to the emergency stack and
		// set OnEmerg; the interrupted code resumes, so clear it — unless
		// the NMI interrupted code on the emergency stack itself (a fatal
		// report), whose state it has overwritten anyway.
		handlers[2](tf)
		if c := This(); !c.onEmergencyStack(uintptr(tf.RSP)) {
			c.OnEmerg = 0
		}
		return
	}
	if This().OnEmerg != 0 {
		// NMI, #DF, #MC or a kernel stack overflow: never resumable.
		Fatal(tf)
		return
	}
	if fromUser {
		userTrap(tf) // does not return
		return
	}
	if h := handlers[tf.Vector&0xff]; h != nil {
		h(tf)
		return
	}
	Fatal(tf)
}

// Fatal hands tf to the fatal handler (the oops report); trap dispatch uses
// it for unhandled traps, and handlers that decide a trap is an oops after
// all call it too. If the handler returns, it has rewritten tf to continue
// somewhere safe (the oops path's InjectCall), so the trap returns; without
// a handler the CPU stops.
func Fatal(tf *TrapFrame) {
	if fatalHandler != nil {
		fatalHandler(tf)
		return
	}
	for {
		Cli()
		Hlt()
	}
}

// InjectCall rewrites tf so that, when the trap returns, the interrupted
// code calls the hook set by SetInjectHook as if the faulting instruction
// had called it: RIP becomes injectTrampoline and the old RIP is pushed as
// its return address (the stack must be a goroutine stack with room, which
// the caller checks). The oops path uses it to finish a report with code
// that needs the Go allocator, on the goroutine that faulted.
//
// When the fault is at a function's first instruction, its return address
// is already on the stack and RIP is not pushed (atEntry): a return address
// pointing at a function entry would make the runtime's traceback look up
// the wrong function (it uses pc-1), as the runtime's own sigpanic
// injection avoids too.
func InjectCall(tf *TrapFrame, atEntry bool) {
	if !atEntry {
		tf.RSP -= 8
		*(*uint64)(ptr(uintptr(tf.RSP))) = tf.RIP
	}
	tf.RIP = uint64(injectTrampolineAddr())
	tf.RFLAGS &^= FlagIF // no preemption: the world is stopping
}

var injectHook func()

// SetInjectHook sets the function InjectCall makes the interrupted code run.
func SetInjectHook(f func()) { injectHook = f } // wb: set by an init function (process context)

func injectGo() { injectHook() }

func injectTrampoline()
func injectTrampolineAddr() uintptr
