// sys_signal.go: rt_sigaction, rt_sigprocmask, rt_sigreturn, sigaltstack,
// kill, tkill, tgkill, rt_sigpending, rt_sigsuspend, rt_sigtimedwait,
// rt_sigqueueinfo, pause, alarm, restart_syscall.

// trapctx: process context only

package proc

import (
	"encoding/binary"
	"time"

	"retract/kernel/abi"
)

func init() {
	reg(13, sysRtSigaction)
	reg(14, sysRtSigprocmask)
	reg(15, func(t *Task, a *[6]uint64) (uint64, error) { return 0, t.sysRtSigreturn() })
	reg(131, sysSigaltstack)
	reg(62, sysKill)
	reg(200, sysTkill)
	reg(234, sysTgkill)
	reg(127, sysRtSigpending)
	reg(130, sysRtSigsuspend)
	reg(128, sysRtSigtimedwait)
	reg(129, sysRtSigqueueinfo)
	reg(34, sysPause)
	reg(37, sysAlarm)
	reg(sysRestartSyscall, func(t *Task, a *[6]uint64) (uint64, error) { return 0, abi.EINTR })
}

func validSig(sig uint64) bool { return sig >= 1 && sig <= NSIG }

// rt_sigaction(sig, act, oact, sigsetsize)
func sysRtSigaction(t *Task, a *[6]uint64) (uint64, error) {
	sig, act, oact := a[0], a[1], a[2]
	if a[3] != 8 || !validSig(sig) {
		return 0, abi.EINVAL
	}
	var nact SigAction
	if act != 0 {
		b, err := t.copyIn(act, 32)
		if err != nil {
			return 0, err
		}
		le := binary.LittleEndian
		nact = SigAction{Handler: le.Uint64(b), Flags: le.Uint64(b[8:]), Restorer: le.Uint64(b[16:]), Mask: SigSet(le.Uint64(b[24:])) &^ unblockable}
		if sig == SIGKILL || sig == SIGSTOP {
			return 0, abi.EINVAL
		}
	}
	p := t.P
	p.sig.Lock()
	old := p.actions[sig]
	if act != 0 {
		p.actions[sig] = nact
		// Setting SIG_IGN (or a default that ignores) discards what is
		// pending (POSIX).
		if p.ignoredLocked(int(sig)) {
			p.pending.remove(int(sig))
			for _, o := range p.threads {
				o.pending.remove(int(sig))
			}
		}
	}
	p.sig.Unlock()
	if oact != 0 {
		b := make([]byte, 32)
		le := binary.LittleEndian
		le.PutUint64(b, old.Handler)
		le.PutUint64(b[8:], old.Flags)
		le.PutUint64(b[16:], old.Restorer)
		le.PutUint64(b[24:], uint64(old.Mask))
		if err := t.copyOut(oact, b); err != nil {
			return 0, err
		}
	}
	return 0, nil
}

const (
	SIG_BLOCK   = 0
	SIG_UNBLOCK = 1
	SIG_SETMASK = 2
)

// rt_sigprocmask(how, set, oset, sigsetsize)
func sysRtSigprocmask(t *Task, a *[6]uint64) (uint64, error) {
	how, set, oset := a[0], a[1], a[2]
	if a[3] != 8 {
		return 0, abi.EINVAL
	}
	var ns SigSet
	if set != 0 {
		v, err := t.readU64(set)
		if err != nil {
			return 0, err
		}
		ns = SigSet(v)
		if how > SIG_SETMASK {
			return 0, abi.EINVAL
		}
	}
	p := t.P
	p.sig.Lock()
	old := t.blocked
	if set != 0 {
		switch how {
		case SIG_BLOCK:
			t.blocked |= ns
		case SIG_UNBLOCK:
			t.blocked &^= ns
		case SIG_SETMASK:
			t.blocked = ns
		}
		t.blocked &^= unblockable
		if t.signalPendingLocked() {
			t.interruptLocked()
		}
	}
	p.sig.Unlock()
	if oset != 0 {
		if err := t.writeU64(oset, uint64(old)); err != nil {
			return 0, err
		}
	}
	return 0, nil
}

const minSigStkSz = 2048

// sigaltstack(ss, old_ss)
func sysSigaltstack(t *Task, a *[6]uint64) (uint64, error) {
	ss, oss := a[0], a[1]
	p := t.P
	p.sig.Lock()
	sp, size, flags := t.altSP, t.altSize, t.altFlags
	p.sig.Unlock()
	on := size != 0 && t.Regs.RSP >= sp && t.Regs.RSP < sp+size
	if oss != 0 {
		b := make([]byte, 24)
		le := binary.LittleEndian
		le.PutUint64(b, sp)
		f := uint32(ssDisable)
		if size != 0 {
			f = flags
		}
		if on {
			f = ssOnstack
		}
		le.PutUint32(b[8:], f)
		le.PutUint64(b[16:], size)
		if err := t.copyOut(oss, b); err != nil {
			return 0, err
		}
	}
	if ss != 0 {
		b, err := t.copyIn(ss, 24)
		if err != nil {
			return 0, err
		}
		if on {
			return 0, abi.EPERM
		}
		le := binary.LittleEndian
		if err := t.setAltStack(le.Uint64(b), le.Uint32(b[8:]), le.Uint64(b[16:])); err != nil {
			return 0, err
		}
	}
	return 0, nil
}

// setAltStack installs an alternate signal stack (SS_DISABLE: none).
func (t *Task) setAltStack(sp uint64, flags uint32, size uint64) error {
	const ssAutodisarm = 1 << 31
	flags &^= ssAutodisarm
	if flags != 0 && flags != ssDisable && flags != ssOnstack {
		return abi.EINVAL
	}
	if flags == ssDisable {
		sp, size = 0, 0
	} else if size < minSigStkSz {
		return abi.ENOMEM
	}
	t.P.sig.Lock()
	t.altSP, t.altSize, t.altFlags = sp, size, 0
	t.P.sig.Unlock()
	return nil
}

// kill(pid, sig): pid > 0 one process, 0 the caller's group, -1 everyone
// it may signal but init and itself... (Linux: every process but init),
// < -1 the group -pid. Signal 0 checks existence.
func sysKill(t *Task, a *[6]uint64) (uint64, error) {
	pid, sig := int(int32(a[0])), a[1]
	if sig != 0 && !validSig(sig) {
		return 0, abi.EINVAL
	}
	info := SigInfo{Signo: int32(sig), Code: SI_USER, Pid: int32(t.P.PID), Uid: int32(t.P.Cred().UID)}
	var targets []*Process
	tasklist.Lock()
	switch {
	case pid > 0:
		if p := procs[pid]; p != nil && p.state == procAlive {
			targets = append(targets, p)
		}
	case pid == -1:
		for _, p := range procs {
			if p.PID != 1 && p != t.P && p.state == procAlive {
				targets = append(targets, p)
			}
		}
	default:
		g := -pid
		if pid == 0 {
			g = t.P.pgid
		}
		for _, p := range procs {
			if p.pgid == g && p.state == procAlive {
				targets = append(targets, p)
			}
		}
	}
	tasklist.Unlock()
	if len(targets) == 0 {
		return 0, abi.ESRCH
	}
	if sig != 0 {
		for _, p := range targets {
			p.sendSignal(info, nil)
		}
	}
	return 0, nil
}

func sysTkill(t *Task, a *[6]uint64) (uint64, error) {
	return 0, tgkill(t, -1, int(int32(a[0])), a[1])
}

func sysTgkill(t *Task, a *[6]uint64) (uint64, error) {
	if int32(a[0]) <= 0 {
		return 0, abi.EINVAL
	}
	return 0, tgkill(t, int(int32(a[0])), int(int32(a[1])), a[2])
}

func tgkill(t *Task, tgid, tid int, sig uint64) error {
	if tid <= 0 || sig != 0 && !validSig(sig) {
		return abi.EINVAL
	}
	target, ok := LookupTask(tid)
	if !ok || tgid > 0 && target.P.PID != tgid {
		return abi.ESRCH
	}
	if sig != 0 {
		target.P.sendSignal(SigInfo{Signo: int32(sig), Code: SI_TKILL, Pid: int32(t.P.PID), Uid: int32(t.P.Cred().UID)}, target)
	}
	return nil
}

func sysRtSigpending(t *Task, a *[6]uint64) (uint64, error) {
	if a[1] > 8 {
		return 0, abi.EINVAL
	}
	t.P.sig.Lock()
	s := (t.pending.set | t.P.pending.set) & t.blocked
	t.P.sig.Unlock()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(s))
	return 0, t.copyOut(a[0], b[:a[1]])
}

// rt_sigsuspend(mask, size): wait with mask until a handler runs; the old
// mask comes back after the handler (ERESTARTNOHAND, as Linux).
func sysRtSigsuspend(t *Task, a *[6]uint64) (uint64, error) {
	if a[1] != 8 {
		return 0, abi.EINVAL
	}
	v, err := t.readU64(a[0])
	if err != nil {
		return 0, err
	}
	p := t.P
	p.sig.Lock()
	t.saved, t.hasSaved = t.blocked, true
	t.blocked = SigSet(v) &^ unblockable
	if t.signalPendingLocked() {
		t.interruptLocked()
	}
	ch := t.FS.Intr
	p.sig.Unlock()
	<-ch
	return 0, abi.ERESTARTNOHAND
}

func sysPause(t *Task, a *[6]uint64) (uint64, error) {
	<-t.FS.Intr
	return 0, abi.ERESTARTNOHAND
}

// rt_sigtimedwait(set, info, timeout, size): take a pending signal of set
// without running its handler.
func sysRtSigtimedwait(t *Task, a *[6]uint64) (uint64, error) {
	if a[3] != 8 {
		return 0, abi.EINVAL
	}
	v, err := t.readU64(a[0])
	if err != nil {
		return 0, err
	}
	want := SigSet(v) &^ unblockable
	var deadline <-chan time.Time
	if a[2] != 0 {
		d, err := t.readTimespec(a[2])
		if err != nil {
			return 0, err
		}
		tm := time.NewTimer(d)
		defer tm.Stop()
		deadline = tm.C
	}
	p := t.P
	for {
		p.sig.Lock()
		info, ok := t.pending.take(^want)
		if !ok {
			info, ok = p.pending.take(^want)
		}
		if ok {
			t.freshIntrLocked()
			p.sig.Unlock()
			if a[1] != 0 {
				if err := t.copyOut(a[1], info.Encode()); err != nil {
					return 0, err
				}
			}
			return uint64(info.Signo), nil
		}
		// Let the wanted signals wake this wait even while blocked.
		saved := t.blocked
		t.blocked &^= want
		if t.signalPendingLocked() {
			t.interruptLocked()
		}
		ch := t.FS.Intr
		t.blocked = saved
		p.sig.Unlock()
		select {
		case <-ch:
			p.sig.Lock()
			other := (t.pending.set|p.pending.set)&^t.blocked&^want != 0
			p.sig.Unlock()
			if other {
				return 0, abi.EINTR
			}
			p.sig.Lock()
			t.freshIntrLocked()
			if !t.intrOpen {
				// Still pending for the wanted set: loop takes it.
			}
			p.sig.Unlock()
		case <-deadline:
			return 0, abi.EAGAIN
		}
	}
}

func sysRtSigqueueinfo(t *Task, a *[6]uint64) (uint64, error) {
	pid, sig := int(int32(a[0])), a[1]
	if !validSig(sig) {
		return 0, abi.EINVAL
	}
	p, ok := Lookup(pid)
	if !ok {
		return 0, abi.ESRCH
	}
	p.sendSignal(SigInfo{Signo: int32(sig), Code: SI_QUEUE, Pid: int32(t.P.PID)}, nil)
	return 0, nil
}

// alarm(seconds): SIGALRM after that many seconds; returns the seconds
// left of the previous alarm.
func sysAlarm(t *Task, a *[6]uint64) (uint64, error) {
	p := t.P
	p.sig.Lock()
	defer p.sig.Unlock()
	var left uint64
	if p.alarm != nil {
		if d := time.Until(p.alarmAt); d > 0 {
			left = uint64((d + time.Second - 1) / time.Second)
		}
		p.alarm.Stop()
		p.alarm = nil
	}
	if a[0] != 0 {
		d := time.Duration(a[0]) * time.Second
		p.alarmAt = time.Now().Add(d)
		p.alarm = time.AfterFunc(d, func() { p.sendSignal(SigInfo{Signo: SIGALRM, Code: SI_KERNEL}, nil) })
	}
	return left, nil
}

// readTimespec reads a struct timespec as a duration (EINVAL for a bad
// one).
func (t *Task) readTimespec(addr uint64) (time.Duration, error) {
	b, err := t.copyIn(addr, 16)
	if err != nil {
		return 0, err
	}
	sec, nsec := int64(binary.LittleEndian.Uint64(b)), int64(binary.LittleEndian.Uint64(b[8:]))
	if sec < 0 || nsec < 0 || nsec >= 1e9 {
		return 0, abi.EINVAL
	}
	if sec > 1<<33 {
		sec = 1 << 33
	}
	return time.Duration(sec)*time.Second + time.Duration(nsec), nil
}
