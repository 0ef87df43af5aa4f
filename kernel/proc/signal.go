// signal.go: sending, queueing and delivering signals: Linux's
// kernel/signal.c (send_signal, complete_signal, get_signal) and the
// x86-64 frame of arch/x86/kernel/signal.c (rt_sigframe, sigreturn).

// trapctx: process context only

package proc

import (
	"encoding/binary"

	"retract/arch/amd64"
	"retract/kernel/abi"
	"retract/kernel/smp"
)

// sigQueue holds pending signals: standard signals at most once, real-time
// signals queued (bounded).
type sigQueue struct {
	set   SigSet
	infos []SigInfo
}

const maxQueued = 64

func (q *sigQueue) add(info SigInfo) {
	sig := int(info.Signo)
	if sig < SIGRTMIN && q.set.Has(sig) {
		return // a standard signal is pending once
	}
	if len(q.infos) >= maxQueued && sig >= SIGRTMIN {
		return
	}
	q.set |= sigBit(sig)
	q.infos = append(q.infos, info)
}

// take removes the first pending signal not in mask.
func (q *sigQueue) take(mask SigSet) (SigInfo, bool) {
	avail := q.set &^ mask
	if avail == 0 {
		return SigInfo{}, false
	}
	// Synchronous fault signals first, then the lowest number (Linux's
	// next_signal).
	sig := 0
	for _, s := range []int{SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGFPE, SIGSYS} {
		if avail.Has(s) {
			sig = s
			break
		}
	}
	if sig == 0 {
		for s := 1; s <= NSIG; s++ {
			if avail.Has(s) {
				sig = s
				break
			}
		}
	}
	var info SigInfo
	more := false
	for i, in := range q.infos {
		if int(in.Signo) == sig {
			info = in
			q.infos = append(q.infos[:i], q.infos[i+1:]...)
			break
		}
	}
	for _, in := range q.infos {
		if int(in.Signo) == sig {
			more = true
		}
	}
	if !more {
		q.set &^= sigBit(sig)
	}
	if info.Signo == 0 {
		info.Signo = int32(sig)
	}
	return info, true
}

func (q *sigQueue) remove(sig int) {
	q.set &^= sigBit(sig)
	out := q.infos[:0]
	for _, in := range q.infos {
		if int(in.Signo) != sig {
			out = append(out, in)
		}
	}
	q.infos = out
}

// ignoredLocked reports whether sig would be discarded on arrival: ignored
// by its action (SIG_IGN, or SIG_DFL whose default is to ignore).
// Preconditions: p.sig held.
func (p *Process) ignoredLocked(sig int) bool {
	if sig == SIGKILL || sig == SIGSTOP {
		return false
	}
	a := p.actions[sig]
	return a.Handler == SIG_IGN || a.Handler == SIG_DFL && (defaultOf(sig) == actIgnore || defaultOf(sig) == actStop || defaultOf(sig) == actCont)
}

// sendSignal queues info for the process (target nil: any thread that
// does not block it, like complete_signal) or for one thread.
func (p *Process) sendSignal(info SigInfo, target *Task) {
	sig := int(info.Signo)
	p.sig.Lock()
	defer p.sig.Unlock()
	if p.groupExit {
		return
	}
	if sig == SIGKILL {
		// Fatal at once for the whole group: SIGKILL cannot be caught.
		p.groupExit = true
		p.groupCode = signaledStatus(SIGKILL, false)
		for _, t := range p.threads {
			t.killLocked()
		}
		return
	}
	if sig == SIGCONT {
		// Continuing a stopped process is a no-op here (stops are not
		// modelled), but SIGCONT removes pending stop signals.
		for _, s := range []int{SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU} {
			p.pending.remove(s)
		}
	}
	if p.ignoredLocked(sig) {
		return
	}
	if target != nil {
		target.pending.add(info)
		target.sigWork.Store(true)
		if !target.blocked.Has(sig) {
			target.interruptLocked()
			kickTask(target)
		}
		return
	}
	p.pending.add(info)
	for _, t := range p.threads {
		t.sigWork.Store(true) // any of them may take it
	}
	// Wake one thread that does not block it.
	for _, t := range p.threads {
		if !t.blocked.Has(sig) {
			t.interruptLocked()
			kickTask(t)
			return
		}
	}
}

// interruptLocked closes the thread's interruption channel so that a
// blocked system call returns.
// Preconditions: t.P.sig held.
func (t *Task) interruptLocked() {
	if t.intrOpen {
		close(t.intr)
		t.intrOpen = false
	}
}

// kickTask makes a thread that runs in ring 3 on another CPU come back to
// its goroutine soon (Linux's kick_process): it asks for the goroutine
// (an interrupt from ring 3 otherwise resumes ring 3 at once) and sends
// an IPI; the thread's loop then sees the signal, the exit or the new
// mask. A thread in the kernel notices its channel.
func kickTask(t *Task) {
	t.Regs.RequestReturn()
	cpu := t.Regs.RanOn()
	if cpu >= 0 && t.state.Load() == 'R' && cpu < smp.Count() {
		smp.Kick(cpu)
	}
}

// signalPendingLocked reports whether t has an unblocked pending signal.
// Preconditions: t.P.sig held.
func (t *Task) signalPendingLocked() bool {
	return (t.pending.set|t.P.pending.set)&^t.blocked != 0 || t.killed
}

// freshIntrLocked gives the thread a new interruption channel when no
// signal is pending any more.
// Preconditions: t.P.sig held.
func (t *Task) freshIntrLocked() {
	if !t.intrOpen && !t.signalPendingLocked() {
		t.intr = make(chan struct{})
		t.intrOpen = true
		t.FS.Intr = t.intr
	}
}

// dequeueLocked takes the next signal to handle.
// Preconditions: t.P.sig held.
func (t *Task) dequeueLocked() (SigInfo, bool) {
	if info, ok := t.pending.take(t.blocked); ok {
		return info, true
	}
	return t.P.pending.take(t.blocked)
}

// handleSignals runs before the thread returns to ring 3: it delivers
// pending signals (a handler frame, or the default action), like
// get_signal + handle_signal. A system call interrupted by a signal is
// restarted or fails with EINTR here.
func (t *Task) handleSignals() {
	// The fast path, taken on almost every trip: no signal was queued
	// and nothing is pending since the last look (sigWork, set under the
	// lock by whoever queues one or kills the thread), no mask to restore
	// after sigsuspend and no system call to restart (both the thread's
	// own fields) — Linux's check of _TIF_SIGPENDING on the way out.
	if !t.sigWork.Load() && !t.hasSaved && (t.origRAX < 0 || !restartCode(t.Regs.RAX)) {
		t.origRAX = -1
		return
	}
	t.handleSignalsSlow()
	// Clear sigWork only when nothing is left for the next look: a
	// signal queued meanwhile, or one still pending (a blocked one may be
	// unblocked by the next system call), keeps it set.
	p := t.P
	p.sig.Lock()
	if (t.pending.set|p.pending.set) == 0 && !t.killed && !t.hasSaved {
		t.sigWork.Store(false)
	}
	p.sig.Unlock()
}

// restartCode reports whether rax, a system call's result, asks for a
// restart (ERESTART*: the call was interrupted by a signal).
func restartCode(rax uint64) bool {
	switch abi.Errno(-int64(rax)) {
	case abi.ERESTARTNOHAND, abi.ERESTARTSYS, abi.ERESTARTNOINTR, abi.ERESTART_RESTARTBLOCK:
		return true
	}
	return false
}

// handleSignalsSlow delivers one pending signal, or finishes a restart
// or a sigsuspend, under the signal lock.
func (t *Task) handleSignalsSlow() {
	p := t.P
	for {
		p.sig.Lock()
		if t.killed {
			p.sig.Unlock()
			return
		}
		info, ok := t.dequeueLocked()
		if !ok {
			t.finishRestartLocked(nil)
			if t.hasSaved {
				t.blocked = t.saved
				t.hasSaved = false
			}
			t.freshIntrLocked()
			p.sig.Unlock()
			return
		}
		sig := int(info.Signo)
		act := p.actions[sig]
		if act.Handler == SIG_IGN {
			p.sig.Unlock()
			continue
		}
		if act.Handler == SIG_DFL {
			switch defaultOf(sig) {
			case actIgnore, actStop, actCont:
				p.sig.Unlock()
				continue
			}
			p.sig.Unlock()
			t.fatalSignal(info)
			return
		}
		t.finishRestartLocked(&act)
		mask := t.blocked
		if t.hasSaved {
			mask = t.saved
			t.hasSaved = false
		}
		if act.Flags&SA_RESETHAND != 0 {
			p.actions[sig] = SigAction{}
		}
		newBlocked := t.blocked | act.Mask
		if act.Flags&SA_NODEFER == 0 {
			newBlocked |= sigBit(sig)
		}
		t.blocked = newBlocked &^ unblockable
		altSP, altSize, altFlags := t.altSP, t.altSize, t.altFlags
		t.freshIntrLocked()
		p.sig.Unlock()
		if err := t.setupFrame(info, act, mask, altSP, altSize, altFlags); err != nil {
			// No room for the frame: Linux forces SIGSEGV (force_sigsegv).
			p.sig.Lock()
			p.actions[SIGSEGV] = SigAction{}
			p.sig.Unlock()
			t.fatalSignal(faultInfo(SIGSEGV, SI_KERNEL, 0))
			return
		}
		return // one frame per return to user mode is enough; more come next time
	}
}

// System-call restart (arch/x86/kernel/signal.c's handle_signal and
// arch_do_signal_or_restart).
func (t *Task) finishRestartLocked(act *SigAction) {
	if t.origRAX < 0 {
		return
	}
	rax := abi.Errno(-int64(t.Regs.RAX))
	nr := t.origRAX
	t.origRAX = -1
	switch rax {
	case abi.ERESTARTNOHAND, abi.ERESTARTSYS, abi.ERESTARTNOINTR, abi.ERESTART_RESTARTBLOCK:
	default:
		return
	}
	restart := false
	switch {
	case act == nil:
		// No handler runs: every restart code restarts.
		restart = true
	case rax == abi.ERESTARTNOINTR:
		restart = true
	case rax == abi.ERESTARTSYS && act.Flags&SA_RESTART != 0:
		restart = true
	}
	if restart {
		t.Regs.RAX = uint64(nr)
		if rax == abi.ERESTART_RESTARTBLOCK {
			t.Regs.RAX = sysRestartSyscall
		}
		t.Regs.RIP -= 2 // the SYSCALL instruction again
	} else {
		eintr := int64(abi.EINTR)
		t.Regs.RAX = uint64(-eintr)
	}
}

// fatalSignal carries out a terminating default action: a message for the
// faults (like show_signal_msg), then the group exits.
func (t *Task) fatalSignal(info SigInfo) {
	sig := int(info.Signo)
	core := defaultOf(sig) == actCore
	if info.addrInfo || sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE || sig == SIGTRAP {
		t.showSignalMsg(info)
	}
	t.P.startGroupExit(signaledStatus(sig, core))
}

// forceSignal delivers a synchronous signal (a fault): if it is blocked
// or ignored, the default action is restored first (force_sig_info), so
// a program cannot loop on a fault it ignores.
func (t *Task) forceSignal(info SigInfo) {
	p := t.P
	sig := int(info.Signo)
	p.sig.Lock()
	if t.blocked.Has(sig) || p.actions[sig].Handler == SIG_IGN {
		p.actions[sig] = SigAction{}
		t.blocked &^= sigBit(sig)
	}
	t.pending.add(info)
	t.sigWork.Store(true)
	p.sig.Unlock()
}

// rt_sigframe layout (arch/x86/include/asm/sigframe.h, uapi ucontext).
const (
	ucFlags    = 0
	ucLink     = 8
	ucStack    = 16 // stack_t: sp, flags (int), size
	ucMcontext = 40 // struct sigcontext: 32 words
	ucSigmask  = ucMcontext + 256
	ucSize     = ucSigmask + 8
	frameInfo  = 8 + ucSize // siginfo after pretcode and the ucontext
	frameSize  = frameInfo + 128
	fpSize     = 512 // FXSAVE image
	redZone    = 128

	ssOnstack = 1
	ssDisable = 2

	ucFPXSTATE        = 0x1
	ucSigcontextSS    = 0x2
	ucStrictRestoreSS = 0x4
)

// sigcontext word indexes.
const (
	scR8, scR9, scR10, scR11, scR12, scR13, scR14, scR15 = 0, 1, 2, 3, 4, 5, 6, 7
	scRDI, scRSI, scRBP, scRBX, scRDX, scRAX, scRCX      = 8, 9, 10, 11, 12, 13, 14
	scRSP, scRIP, scEFL, scSeg, scErr, scTrapno          = 15, 16, 17, 18, 19, 20
	scOldmask, scCR2, scFpstate                          = 21, 22, 23
)

// setupFrame writes an rt_sigframe for a handler and points the thread at
// it, like setup_rt_frame.
func (t *Task) setupFrame(info SigInfo, act SigAction, mask SigSet, altSP, altSize uint64, altFlags uint32) error {
	r := &t.Regs
	sp := r.RSP - redZone
	onAlt := altSize != 0 && r.RSP >= altSP && r.RSP < altSP+altSize
	if act.Flags&SA_ONSTACK != 0 && altSize != 0 && altFlags&ssDisable == 0 && !onAlt {
		sp = altSP + altSize
	}
	fp := (sp - fpSize) &^ 63
	frame := ((fp - frameSize) &^ 15) - 8
	if !amd64.UserAddr(frame, sp-frame) {
		return abi.EFAULT
	}
	b := make([]byte, fp+fpSize-frame)
	le := binary.LittleEndian
	put := func(off uint64, v uint64) { le.PutUint64(b[off:], v) }
	// pretcode: the handler returns to sa_restorer (which calls rt_sigreturn).
	if act.Flags&SA_RESTORER == 0 {
		return abi.EFAULT // x86-64 has no vDSO trampoline here: Linux too needs SA_RESTORER
	}
	put(0, act.Restorer)
	uc := uint64(8)
	put(uc+ucFlags, ucFPXSTATE|ucSigcontextSS|ucStrictRestoreSS)
	put(uc+ucStack, altSP)
	ssFlags := uint64(0)
	if altSize == 0 || altFlags&ssDisable != 0 {
		ssFlags = ssDisable
	} else if onAlt || sp == altSP+altSize {
		ssFlags = ssOnstack
	}
	put(uc+ucStack+8, ssFlags)
	put(uc+ucStack+16, altSize)
	g := func(i int, v uint64) { put(uc+ucMcontext+uint64(i)*8, v) }
	g(scR8, r.R8)
	g(scR9, r.R9)
	g(scR10, r.R10)
	g(scR11, r.R11)
	g(scR12, r.R12)
	g(scR13, r.R13)
	g(scR14, r.R14)
	g(scR15, r.R15)
	g(scRDI, r.RDI)
	g(scRSI, r.RSI)
	g(scRBP, r.RBP)
	g(scRBX, r.RBX)
	g(scRDX, r.RDX)
	g(scRAX, r.RAX)
	g(scRCX, r.RCX)
	g(scRSP, r.RSP)
	g(scRIP, r.RIP)
	g(scEFL, r.RFLAGS)
	g(scSeg, uint64(amd64.UserCS)|uint64(amd64.UserDS)<<48) // cs, gs, fs, ss (u16 each)
	trapno, errc, cr2 := uint64(0), uint64(0), uint64(0)
	if info.addrInfo {
		trapno, errc, cr2 = r.Vector, r.Err, info.Addr
	}
	g(scErr, errc)
	g(scTrapno, trapno)
	g(scOldmask, uint64(mask))
	g(scCR2, cr2)
	g(scFpstate, fp)
	put(uc+ucSigmask, uint64(mask))
	copy(b[frameInfo:], info.Encode())
	r.SaveFX() // the x87 part too
	copy(b[fp-frame:], r.FX()[:])
	if err := t.P.MM().CopyToUser(uintptr(frame), b); err != nil {
		return err
	}
	r.RSP = frame
	r.RIP = act.Handler
	r.RDI = uint64(info.Signo)
	r.RSI = frame + frameInfo
	r.RDX = frame + uc
	r.RAX = 0
	r.RFLAGS &^= amd64.FlagTF | amd64.FlagDF
	return nil
}

// sysRtSigreturn restores the state setupFrame saved (possibly edited by
// the handler) from the ucontext at RSP (the handler's RET popped
// pretcode), like restore_sigcontext. The registers come back exactly,
// RAX included.
func (t *Task) sysRtSigreturn() error {
	r := &t.Regs
	uc := r.RSP
	b := make([]byte, ucSize)
	if err := t.P.MM().CopyFromUser(b, uintptr(uc)); err != nil {
		t.forceSignal(faultInfo(SIGSEGV, SI_KERNEL, 0))
		return errNoReturn
	}
	le := binary.LittleEndian
	g := func(i int) uint64 { return le.Uint64(b[ucMcontext+i*8:]) }
	r.R8, r.R9, r.R10, r.R11 = g(scR8), g(scR9), g(scR10), g(scR11)
	r.R12, r.R13, r.R14, r.R15 = g(scR12), g(scR13), g(scR14), g(scR15)
	r.RDI, r.RSI, r.RBP, r.RBX = g(scRDI), g(scRSI), g(scRBP), g(scRBX)
	r.RDX, r.RAX, r.RCX, r.RSP = g(scRDX), g(scRAX), g(scRCX), g(scRSP)
	r.RIP = g(scRIP)
	r.RFLAGS = g(scEFL) // RunUser keeps only the bits ring 3 may set
	if fp := g(scFpstate); fp != 0 {
		var fx [fpSize]byte
		if fp&15 != 0 || t.P.MM().CopyFromUser(fx[:], uintptr(fp)) != nil {
			t.forceSignal(faultInfo(SIGSEGV, SI_KERNEL, 0))
			return errNoReturn
		}
		sanitizeFX(&fx)
		*r.FX() = fx
		r.FXChanged()
	}
	mask := SigSet(le.Uint64(b[ucSigmask:])) &^ unblockable
	t.P.sig.Lock()
	t.blocked = mask
	t.P.sig.Unlock()
	// sigaltstack from uc_stack, as restore_altstack.
	_ = t.setAltStack(le.Uint64(b[ucStack:]), uint32(le.Uint64(b[ucStack+8:])), le.Uint64(b[ucStack+16:]))
	return errNoReturn
}

// sanitizeFX keeps an FXSAVE image from faulting FXRSTOR in the kernel:
// MXCSR bits outside 0xffbf (the reserved bits, and DAZ, which not every
// CPU has) are cleared, whatever the image's own MXCSR_MASK field says.
func sanitizeFX(fx *[fpSize]byte) {
	le := binary.LittleEndian
	le.PutUint32(fx[24:], le.Uint32(fx[24:])&0xffbf)
}
