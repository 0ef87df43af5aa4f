// clone.go: clone, fork and vfork (kernel/fork.c's copy_process): a new
// thread of the same process, or a new process with a copy-on-write copy
// of the address space (or the same one, for vfork and
// clone(CLONE_VM)).

// trapctx: process context only

package proc

import (
	"retract/kernel/abi"
	"retract/kernel/clock"
	"retract/kernel/fs"
	"retract/mm"
)

// clone flags.
const (
	CLONE_VM             = 0x00000100
	CLONE_FS             = 0x00000200
	CLONE_FILES          = 0x00000400
	CLONE_SIGHAND        = 0x00000800
	CLONE_PIDFD          = 0x00001000
	CLONE_PTRACE         = 0x00002000
	CLONE_VFORK          = 0x00004000
	CLONE_PARENT         = 0x00008000
	CLONE_THREAD         = 0x00010000
	CLONE_NEWNS          = 0x00020000
	CLONE_SYSVSEM        = 0x00040000
	CLONE_SETTLS         = 0x00080000
	CLONE_PARENT_SETTID  = 0x00100000
	CLONE_CHILD_CLEARTID = 0x00200000
	CLONE_DETACHED       = 0x00400000
	CLONE_UNTRACED       = 0x00800000
	CLONE_CHILD_SETTID   = 0x01000000
	CLONE_NEWCGROUP      = 0x02000000
	CLONE_NEWUTS         = 0x04000000
	CLONE_NEWIPC         = 0x08000000
	CLONE_NEWUSER        = 0x10000000
	CLONE_NEWPID         = 0x20000000
	CLONE_NEWNET         = 0x40000000
	CLONE_IO             = 0x80000000

	cloneNamespaces = CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET
	cloneSupported  = 0xff | CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_VFORK | CLONE_PARENT |
		CLONE_THREAD | CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID | CLONE_DETACHED |
		CLONE_UNTRACED | CLONE_CHILD_SETTID | CLONE_IO | CLONE_PTRACE
)

func init() {
	reg(56, func(t *Task, a *[6]uint64) (uint64, error) {
		return t.clone(a[0], a[1], a[2], a[3], a[4])
	})
	reg(57, func(t *Task, a *[6]uint64) (uint64, error) { return t.clone(SIGCHLD, 0, 0, 0, 0) })
	reg(58, func(t *Task, a *[6]uint64) (uint64, error) {
		return t.clone(CLONE_VM|CLONE_VFORK|SIGCHLD, 0, 0, 0, 0)
	})
}

// clone creates a thread or a process and returns its id to the caller
// (the child returns 0 from the same system call).
func (t *Task) clone(flags, newsp, ptid, ctid, tls uint64) (uint64, error) {
	switch {
	case flags&^cloneSupported&^cloneNamespaces&^CLONE_PIDFD != 0:
		return 0, abi.EINVAL
	case flags&cloneNamespaces != 0:
		return 0, abi.EPERM // namespaces are not modelled (an unprivileged Linux says EPERM too)
	case flags&CLONE_PIDFD != 0:
		return 0, abi.EINVAL // no pidfds: Go's os/exec then uses wait4
	case flags&CLONE_THREAD != 0 && flags&CLONE_SIGHAND == 0,
		flags&CLONE_SIGHAND != 0 && flags&CLONE_VM == 0,
		flags&CLONE_FS != 0 && flags&CLONE_NEWNS != 0:
		return 0, abi.EINVAL
	}
	if flags&CLONE_SETTLS != 0 && tls >= uint64(mm.UserEnd) {
		return 0, abi.EPERM // like do_arch_prctl_64's check of a kernel address
	}
	p := t.P

	tasklist.Lock()
	tid := allocPIDLocked()
	if tid == 0 {
		tasklist.Unlock()
		return 0, errAgain
	}
	// RLIMIT_NPROC counts the processes of the caller's uid (root is
	// exempt, as in Linux).
	if cred := p.Cred(); cred.UID != 0 && flags&CLONE_THREAD == 0 {
		n := 0
		for _, o := range procs {
			if o.state == procAlive && o.Cred().UID == cred.UID {
				n++
			}
		}
		if uint64(n) >= p.limits.get(RLIMIT_NPROC).Cur {
			tasklist.Unlock()
			return 0, errAgain
		}
	}
	// Reserve the id (a task placeholder) while the child is built.
	nTasks++
	tasks[tid] = nil
	tasklist.Unlock()
	undo := func() {
		tasklist.Lock()
		delete(tasks, tid)
		nTasks--
		tasklist.Unlock()
	}

	var child *Process
	if flags&CLONE_THREAD != 0 {
		child = p
	} else {
		child = &Process{PID: tid, childCh: make(chan struct{}), start: clock.Nanotime()}
		forks.Add(1)
		child.sig.Class = classSig
		child.cred.Store(p.cred.Load())
		child.limits.copyFrom(&p.limits)
		child.comm.Store(p.comm.Load())
		child.exe.Store(p.exe.Load())
		child.args.Store(p.args.Load())
		if f := p.exeFile.Load(); f != nil {
			child.exeFile.Store(f.Get())
		}
		if flags&CLONE_VM != 0 {
			child.mem = p.mem.get()
		} else {
			nm, err := p.MM().Fork() // dup_mmap: the copy-on-write copy
			if err != nil {
				undo()
				return 0, mmErrno(err)
			}
			copyMapped(p.MM(), nm)
			child.mem = newMMRef(nm)
		}
		if flags&CLONE_SIGHAND != 0 {
			child.actions = p.actions
		} else {
			acts := new([NSIG + 1]SigAction)
			p.sig.Lock()
			*acts = *p.actions
			p.sig.Unlock()
			child.actions = acts
		}
	}

	c := newTask(child, tid)
	c.Regs.Init()
	c.Regs.CopyFrom(&t.Regs)
	c.Regs.RAX = 0
	if newsp != 0 {
		c.Regs.RSP = newsp
	}
	if flags&CLONE_SETTLS != 0 {
		c.Regs.FSBase = tls
	}
	c.affinity.Store(t.affinity.Load())
	p.sig.Lock()
	c.blocked = t.blocked
	if flags&CLONE_THREAD != 0 {
		// A new thread keeps the altstack only with CLONE_VM and not
		// CLONE_VFORK... Linux clears it for CLONE_VM threads.
	} else {
		c.altSP, c.altSize, c.altFlags = t.altSP, t.altSize, t.altFlags
	}
	p.sig.Unlock()

	// Files and fs context.
	if flags&CLONE_FILES != 0 {
		c.FS.Files = t.FS.Files.Share()
	} else {
		c.FS.Files = t.FS.Files.Clone()
	}
	if flags&CLONE_FS != 0 {
		c.FS.FS = t.FS.FS
	} else {
		c.FS.FS = t.FS.FS.Clone()
	}

	// Thread-id words.
	if flags&CLONE_CHILD_CLEARTID != 0 {
		c.clearTID = ctid
	}
	if flags&CLONE_PARENT_SETTID != 0 {
		if err := t.writeU32(ptid, uint32(tid)); err != nil {
			c.FS.Files.Release()
			t.abortClone(child, c, flags, undo)
			return 0, err
		}
	}
	if flags&CLONE_CHILD_SETTID != 0 {
		// In the child's address space (the same one unless forked).
		if err := writeChildTID(child.MM(), ctid, tid); err != nil {
			c.FS.Files.Release()
			t.abortClone(child, c, flags, undo)
			return 0, abi.EFAULT
		}
	}

	// Into the tables, then run.
	var vforkDone chan struct{}
	tasklist.Lock()
	tasks[tid] = c
	if child != p {
		procs[tid] = child
		parent := p
		if flags&CLONE_PARENT != 0 && p.parent != nil {
			parent = p.parent
		}
		child.parent = parent
		child.pgid, child.sid = p.pgid, p.sid
		parent.children = append(parent.children, child)
		if flags&CLONE_VFORK != 0 {
			vforkDone = make(chan struct{})
			child.vforkDone = vforkDone
		}
	}
	tasklist.Unlock()
	child.sig.Lock()
	if child.groupExit {
		// The process is exiting: no new thread (Linux: EAGAIN... or
		// the thread dies at once; here it is not started).
		child.sig.Unlock()
		tasklist.Lock()
		delete(tasks, tid)
		nTasks--
		tasklist.Unlock()
		c.FS.Files.Release()
		return 0, abi.EAGAIN
	}
	child.threads = append(child.threads, c)
	child.sig.Unlock()
	c.startGoroutine()

	if vforkDone != nil {
		// The parent sleeps until the child execs or exits. Only a kill
		// ends the wait early (Linux's killable wait); other signals wait
		// until it is over, then are handled.
		select {
		case <-vforkDone:
		case <-t.FS.Intr:
			if !t.mustExit() {
				<-vforkDone
			}
		}
	}
	return uint64(tid), nil
}

// abortClone undoes a clone that failed before the child ran.
func (t *Task) abortClone(child *Process, c *Task, flags uint64, undo func()) {
	if child != t.P {
		child.mem.put()
		if f := child.exeFile.Load(); f != nil {
			f.Put()
		}
	}
	undo()
}

// NewFSTask is used by the kernel to start the first process: a thread
// with the given descriptor table and fs context.
func newFSTask(files *fs.FDTable, ctx *fs.FSContext) fs.Task {
	return fs.Task{Files: files, FS: ctx}
}
