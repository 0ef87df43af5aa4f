// spawn.go: processes the kernel starts itself — init (PID 1, the
// command line's init=) and the shell's `run` — with the console on
// descriptors 0-2, in a session and process group of their own.

// trapctx: process context only

package proc

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"retract/kernel/abi"
	"retract/kernel/clock"
	"retract/kernel/fs"
	"retract/mm"
)

// The namespace and the console, set by the kernel at boot (Setup).
var (
	ns         *fs.VFS
	consoleTTY *fs.TTY
	setupMu    sync.Mutex
)

// Setup gives proc the file namespace and the console terminal, and wires
// the terminal's signals (^C, ^\, ^Z) to process groups.
func Setup(v *fs.VFS, tty *fs.TTY) {
	setupMu.Lock()
	defer setupMu.Unlock()
	ns, consoleTTY = v, tty
}

// Interrupt sends sig to the process group pgrp (the terminal's ^C).
func Interrupt(sig abi.Signal, pgrp int) {
	tasklist.Lock()
	var targets []*Process
	for _, p := range procs {
		if p.pgid == pgrp && p.state == procAlive {
			targets = append(targets, p)
		}
	}
	tasklist.Unlock()
	for _, p := range targets {
		p.sendSignal(SigInfo{Signo: int32(sig), Code: SI_KERNEL}, nil)
	}
}

// CheckPgrp validates a terminal's new foreground group (TIOCSPGRP).
func CheckPgrp(pgrp int) error {
	tasklist.Lock()
	defer tasklist.Unlock()
	for _, p := range procs {
		if p.pgid == pgrp {
			return nil
		}
	}
	return abi.ESRCH
}

// ErrNoNamespace: Spawn before Setup.
var ErrNoNamespace = errors.New("proc: no file system (the kernel has no initramfs)")

// Spawn starts path with argv and envp as a new process: the first one
// becomes PID 1 (init, the parent of orphans), later ones are children of
// no one (the kernel reaps them: Reap). The process gets /dev/console on
// descriptors 0, 1 and 2 and becomes the terminal's foreground process
// group. It returns once exec succeeded, or exec's error (ENOENT,
// ENOEXEC...) with nothing left behind.
func Spawn(path string, argv, envp []string) (*Process, error) {
	setupMu.Lock()
	v, tty := ns, consoleTTY
	setupMu.Unlock()
	if v == nil {
		return nil, ErrNoNamespace
	}
	m, err := mm.New()
	if err != nil {
		return nil, abi.ENOMEM
	}
	tasklist.Lock()
	pid := allocPIDLocked()
	if initProc == nil && procs[1] == nil {
		pid = 1
	}
	if pid == 0 {
		tasklist.Unlock()
		m.Destroy()
		return nil, abi.EAGAIN
	}
	p := &Process{PID: pid, childCh: make(chan struct{}), start: clock.Nanotime(), pgid: pid, sid: pid}
	forks.Add(1)
	p.sig.Class = classSig
	p.actions = new([NSIG + 1]SigAction)
	p.cred.Store(&Cred{})
	p.limits.l = defaultLimits()
	p.mem = newMMRef(m)
	p.setComm(path)
	t := newTask(p, pid)
	t.Regs.Init()
	procs[pid] = p
	tasks[pid] = t
	nTasks++
	if pid == 1 {
		initProc = p
	}
	p.threads = []*Task{t}
	tasklist.Unlock()

	task := v.NewTask()
	t.FS.Files, t.FS.FS = task.Files, task.FS
	for fd := 0; fd < 3; fd++ {
		if _, err := fs.Openat(&t.FS, abi.AT_FDCWD, "/dev/console", abi.O_RDWR, 0); err != nil {
			break // no console device: the program runs without 0-2
		}
	}
	if tty != nil {
		tty.SetSession(pid)
		tty.SetForeground(pid)
	}
	result := make(chan error, 1)
	go t.first(path, argv, envp, result)
	if err := <-result; err != nil {
		<-t.done
		tasklist.Lock()
		p.reapLocked()
		if initProc == p {
			initProc = nil
		}
		tasklist.Unlock()
		return nil, err
	}
	return p, nil
}

// first is the goroutine of a spawned process's first thread: exec, then
// the ordinary task loop.
func (t *Task) first(path string, argv, envp []string, result chan<- error) {
	if len(argv) == 0 {
		argv = []string{path}
	}
	err := t.execOnOwnThread(path, argv, envp)
	if err != nil {
		t.P.sig.Lock()
		t.killed = true
		t.sigWork.Store(true)
		t.P.groupCode = exitedStatus(127)
		t.P.sig.Unlock()
		t.P.spawnFailed = true
		result <- err
		t.main() // runs straight to the exit path
		return
	}
	result <- nil
	t.main()
}

// execOnOwnThread runs Exec with the goroutine locked to its thread and on
// the process's (empty) address space, as the task loop would.
func (t *Task) execOnOwnThread(path string, argv, envp []string) error {
	lockThread()
	defer unlockThread()
	m := t.P.MM()
	m.Use()
	err := t.Exec(abi.AT_FDCWD, path, argv, envp, 0)
	t.P.MM().Unuse()
	return err
}

// ParseSignal reads a signal as a number (9), a name (KILL) or a full
// name (SIGKILL).
func ParseSignal(s string) (int, error) {
	if n, err := strconv.Atoi(s); err == nil {
		if n < 1 || n > NSIG {
			return 0, fmt.Errorf("signal %d: want 1 to %d", n, NSIG)
		}
		return n, nil
	}
	u := strings.ToUpper(s)
	if !strings.HasPrefix(u, "SIG") {
		u = "SIG" + u
	}
	for i := 1; i <= NSIG; i++ {
		if SigName(i) == u {
			return i, nil
		}
	}
	return 0, fmt.Errorf("unknown signal %q", s)
}

// Kill sends sig to process pid from the kernel (the shell's kill).
func Kill(pid, sig int) error {
	p, ok := Lookup(pid)
	if !ok || p.State() == "Z" {
		return fmt.Errorf("no process %d", pid)
	}
	p.sendSignal(SigInfo{Signo: int32(sig), Code: SI_KERNEL}, nil)
	return nil
}
