// exit.go: exit, exit_group, zombies, reparenting and wait4/waitid.

// trapctx: process context only

package proc

import (
	"retract/kernel/abi"
	"retract/kernel/console"
)

// Wait status encodings (the W* macros).
func exitedStatus(code int) int { return (code & 0xff) << 8 }
func signaledStatus(sig int, core bool) int {
	if core {
		return sig | 0x80
	}
	return sig
}

// exitThread is the end of a task goroutine: the thread leaves its
// process; the last one out turns the process into a zombie.
func (t *Task) exitThread() {
	p := t.P
	// CLONE_CHILD_CLEARTID: zero the tid word and wake a futex waiter
	// (pthread_join), while the address space still exists.
	if t.clearTID != 0 {
		var zero [4]byte
		if p.MM().CopyToUser(uintptr(t.clearTID), zero[:]) == nil {
			futexWake(t, t.clearTID, 1, ^uint32(0), false)
		}
	}
	t.exitRobustList()
	// Leave the address space before leaving the thread list: the last
	// thread to leave the list destroys the mm, and a thread that still
	// had its page tables in CR3 then would load a freed PML4 at its next
	// switch (a triple fault: seen in the race program's workers, whose
	// Go threads exit together).
	m := p.MM()
	m.Unuse()

	p.sig.Lock()
	for i, o := range p.threads {
		if o == t {
			p.threads = append(p.threads[:i], p.threads[i+1:]...)
			break
		}
	}
	last := len(p.threads) == 0
	status := p.groupCode
	p.sig.Unlock()

	tasklist.Lock()
	delete(tasks, t.TID)
	nTasks--
	tasklist.Unlock()

	t.FS.Files.Release()
	if last {
		p.exitProcess(status)
	}
	close(t.done)
}

// exitProcess makes p a zombie once its last thread left: memory and
// files released, children given to init, the parent told (SIGCHLD and
// wait4), or p reaped at once if the parent does not want to wait.
func (p *Process) exitProcess(status int) {
	// What getrusage and wait4 report once the memory is gone.
	p.finalFaults, p.finalRSS = p.MM().Stats.Faults.Load(), p.MM().RSSPages()
	p.memGone.Store(true)
	p.mem.put()
	if f := p.exeFile.Swap(nil); f != nil {
		f.Put()
	}
	tasklist.Lock()
	if p.vforkDone != nil {
		close(p.vforkDone)
		p.vforkDone = nil
	}
	p.exitStatus = status
	p.state = procZombie
	// Children go to init (PID 1); init reaps zombies it gets.
	for _, c := range p.children {
		c.parent = initProc
		if initProc != nil && initProc != p {
			initProc.children = append(initProc.children, c)
			if c.state == procZombie {
				initProc.notifyChildLocked()
			}
		}
	}
	p.children = nil
	parent := p.parent
	autoReap := parent == nil
	if parent != nil {
		parent.sig.Lock()
		act := parent.actions[SIGCHLD]
		parent.sig.Unlock()
		// SIGCHLD ignored or SA_NOCLDWAIT: no zombie (POSIX.1-2001).
		if act.Handler == SIG_IGN || act.Flags&SA_NOCLDWAIT != 0 {
			autoReap = true
		}
	}
	if autoReap {
		p.reapLocked()
	} else {
		// SIGCHLD is sent before the zombie can be reaped, under
		// tasklist as in Linux's exit_notify: a parent that reaps the
		// child and then installs a handler must not get its signal.
		info := SigInfo{Signo: SIGCHLD, Pid: int32(p.PID), child: true}
		switch {
		case status&0x7f == 0:
			info.Code, info.Status = CLD_EXITED, int32(status>>8&0xff)
		case status&0x80 != 0:
			info.Code, info.Status = CLD_DUMPED, int32(status&0x7f)
		default:
			info.Code, info.Status = CLD_KILLED, int32(status&0x7f)
		}
		parent.sendSignal(info, nil)
		parent.notifyChildLocked()
	}
	close(exitedCh)
	exitedCh = make(chan struct{})
	tasklist.Unlock()
	if p.PID == 1 && !p.spawnFailed {
		initExited(status)
	}
}

// reapLocked removes a zombie from the tables.
// Preconditions: tasklist held.
func (p *Process) reapLocked() {
	tasklist.AssertHeld()
	p.state = procReaped
	delete(procs, p.PID)
	if p.parent != nil {
		for i, c := range p.parent.children {
			if c == p {
				p.parent.children = append(p.parent.children[:i], p.parent.children[i+1:]...)
				break
			}
		}
	}
}

// groupExit ends every thread of the process with wait status status
// (exit_group, a fatal signal). The first caller wins.
func (p *Process) startGroupExit(status int) {
	p.sig.Lock()
	if !p.groupExit {
		p.groupExit = true
		p.groupCode = status
	}
	for _, o := range p.threads {
		o.killLocked()
	}
	p.sig.Unlock()
}

// killLocked marks t to exit and interrupts what it is doing.
// Preconditions: t.P.sig held.
func (t *Task) killLocked() {
	t.P.sig.AssertHeld()
	t.killed = true
	t.sigWork.Store(true)
	t.interruptLocked()
	kickTask(t)
}

// InitExited is called when PID 1 exits with its wait status; the kernel
// sets it (power off with the status, or back to the shell).
var InitExited = func(status int) {}

func initExited(status int) { InitExited(status) }

// wait options.
const (
	WNOHANG    = 1
	WUNTRACED  = 2
	WEXITED    = 4
	WCONTINUED = 8
	WNOWAIT    = 0x1000000
	__WALL     = 0x40000000
	__WCLONE   = 0x80000000
	P_ALL      = 0
	P_PID      = 1
	P_PGID     = 2
	P_PIDFD    = 3
)

// waitMatch says whether child c is selected by wait4's pid argument.
func waitMatch(parent, c *Process, pid int) bool {
	switch {
	case pid == -1:
		return true
	case pid > 0:
		return c.PID == pid
	case pid == 0:
		return c.pgid == parent.pgid
	default:
		return c.pgid == -pid
	}
}

// waitChild waits for a selected child to become a zombie and reaps it
// (unless noReap): wait4 and waitid. It returns the child's pid and wait
// status, 0 with WNOHANG when none is ready, ECHILD when there is no
// selected child, or the restart code when a signal arrived.
func (t *Task) waitChild(pid int, options int, noReap bool) (int, int, *Process, error) {
	p := t.P
	for {
		tasklist.Lock()
		found := false
		for _, c := range p.children {
			if !waitMatch(p, c, pid) {
				continue
			}
			found = true
			if c.state == procZombie {
				st := c.exitStatus
				if !noReap {
					c.reapLocked()
				}
				tasklist.Unlock()
				return c.PID, st, c, nil
			}
		}
		ch := p.childCh
		tasklist.Unlock()
		if !found {
			return 0, 0, nil, abi.ECHILD
		}
		if options&WNOHANG != 0 {
			return 0, 0, nil, nil
		}
		select {
		case <-ch:
		case <-t.FS.Intr:
			return 0, 0, nil, abi.ERESTARTSYS
		}
	}
}

// ExitedChan returns a channel closed at the next exit or reap of any
// process (the shell waits for its foreground process with it).
func ExitedChan() <-chan struct{} {
	tasklist.Lock()
	defer tasklist.Unlock()
	return exitedCh
}

// Reap waits for pid (a child of no one the kernel runs, e.g. started by
// the shell) to exit and returns its wait status. It reaps it.
func Reap(p *Process) int {
	for {
		tasklist.Lock()
		if p.state != procAlive {
			st := p.exitStatus
			if p.state == procZombie {
				p.reapLocked()
			}
			tasklist.Unlock()
			return st
		}
		ch := exitedCh
		tasklist.Unlock()
		<-ch
	}
}

// StatusString describes a wait status ("exit status 3", "killed by
// SIGSEGV (core dumped)").
func StatusString(st int) string {
	if st&0x7f == 0 {
		return "exit status " + itoa(st>>8&0xff)
	}
	s := "killed by " + SigName(st&0x7f)
	if st&0x80 != 0 {
		s += " (core dumped)"
	}
	return s
}

func logf(parts ...string) {
	var m console.Msg
	for _, s := range parts {
		m.S(s)
	}
	m.S("\n").Print()
}
