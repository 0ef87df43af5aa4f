// procfs.go: what /proc/PID shows of a process and its threads (the
// procfs.Process interface), and the hooks that let /proc find them.

// trapctx: process context only

package proc

import (
	"encoding/binary"
	"sync/atomic"

	"retract/kernel/abi"
	"retract/kernel/fs"
	"retract/kernel/procfs"
	"retract/mm"
)

// forks counts processes created since boot (/proc/stat "processes").
var forks atomic.Uint64

// InstallProcfs sets procfs's hooks (the kernel calls it at boot).
func InstallProcfs() {
	procfs.Lookup = func(pid int) (procfs.Process, bool) {
		if p, ok := Lookup(pid); ok {
			return view{p: p}, true
		}
		if t, ok := LookupTask(pid); ok && t != nil {
			return view{p: t.P, t: t}, true
		}
		return nil, false
	}
	procfs.List = PIDs
	procfs.Self = func(caller any) (procfs.Process, bool) {
		if t, ok := caller.(*Task); ok {
			return view{p: t.P}, true
		}
		return nil, false
	}
	procfs.Forks = forks.Load
	procfs.LastPID = func() int {
		tasklist.Lock()
		defer tasklist.Unlock()
		return lastPID
	}
}

// view is a process (t nil) or one of its threads, for /proc.
type view struct {
	p *Process
	t *Task
}

func (v view) leader() *Task {
	if v.t != nil {
		return v.t
	}
	ts := v.p.Threads()
	if len(ts) == 0 {
		return nil
	}
	return ts[0]
}

func (v view) PID() int {
	if v.t != nil {
		return v.t.TID
	}
	return v.p.PID
}

func (v view) MM() *mm.MM {
	if v.p.memGone.Load() || v.p.mem == nil {
		return nil
	}
	return v.p.MM()
}

func (v view) Stat() procfs.Stat {
	p := v.p
	c := p.Cred()
	st := procfs.Stat{Comm: p.Comm(), State: 'S', TGID: p.PID, PPID: p.PPID(), TTY: 0, TPGID: -1,
		UID: c.UID, EUID: c.EUID, SUID: c.SUID, FSUID: c.EUID,
		GID: c.GID, EGID: c.EGID, SGID: c.SGID, FSGID: c.EGID,
		StartTime: p.start, ExitSignal: SIGCHLD, CPU: -1}
	tasklist.Lock()
	st.PGID, st.SID = p.pgid, p.sid
	zombie := p.state != procAlive
	tasklist.Unlock()
	threads := p.Threads()
	st.NumThreads = len(threads)
	list := threads
	if v.t != nil {
		list = []*Task{v.t}
	}
	for _, t := range list {
		st.UTime += t.utime.Load()
		st.STime += t.stime.Load()
		if c := t.CPU(); c >= 0 {
			st.CPU = c
		}
		switch t.TaskState() {
		case 'R':
			st.State = 'R'
		case 'D':
			if st.State != 'R' {
				st.State = 'D'
			}
		}
	}
	if zombie {
		st.State = 'Z'
	}
	leader := v.leader() // before p.sig: it takes it (Threads)
	p.sig.Lock()
	st.SigShared = uint64(p.pending.set)
	for i := 1; i <= NSIG; i++ {
		switch p.actions[i].Handler {
		case SIG_DFL:
		case SIG_IGN:
			st.SigIgnored |= 1 << (i - 1)
		default:
			st.SigCaught |= 1 << (i - 1)
		}
	}
	if leader != nil {
		st.SigPending = uint64(leader.pending.set)
		st.SigBlocked = uint64(leader.blocked)
	}
	p.sig.Unlock()
	if leader != nil && leader.FS.Files != nil {
		st.FDSize = leader.FS.Files.Limit()
	}
	if v.t != nil {
		st.Comm = p.Comm()
	}
	if a := p.args.Load(); a != nil {
		st.StartBrk = a.Brk
	}
	if m := p.MM(); m != nil {
		st.StartBrk, st.Brk = m.BrkRange()
	}
	st.StartStack = uintptr(StackTop)
	return st
}

// MapName names a VMA's backing: the file it maps (one this address
// space keeps open, or the executable), the heap, the stack, or nothing.
func (v view) MapName(i *mm.VMAInfo) procfs.MapName {
	p := v.p
	if mf, ok := i.File.(*mm.File); ok && mf != nil {
		if f := p.exeFile.Load(); f != nil && MmFileOf != nil {
			if g, ok := MmFileOf(f); ok && g == mf {
				s := f.Stat()
				return procfs.MapName{Path: f.Path(), Dev: s.Dev, Ino: s.Ino}
			}
		}
		if n, ok := mappedName(p.MM(), mf); ok {
			return n
		}
		return procfs.MapName{Path: "/" + mf.Name}
	}
	if m := p.MM(); m != nil {
		start, brk := m.BrkRange()
		end := uintptr(pageUp(uint64(brk)))
		if i.Start >= start && i.End <= end && end > start {
			return procfs.MapName{Path: "[heap]"}
		}
	}
	if uint64(i.End) == StackTop {
		return procfs.MapName{Path: "[stack]"}
	}
	return procfs.MapName{}
}

func joinNUL(ss []string) []byte {
	var b []byte
	for _, s := range ss {
		b = append(append(b, s...), 0)
	}
	return b
}

func (v view) Cmdline() []byte {
	if a := v.p.args.Load(); a != nil && v.p.State() != "Z" {
		return joinNUL(a.Argv)
	}
	return nil
}

func (v view) Environ() []byte {
	if a := v.p.args.Load(); a != nil && v.p.State() != "Z" {
		return joinNUL(a.Envp)
	}
	return nil
}

func (v view) Auxv() []byte {
	a := v.p.args.Load()
	if a == nil {
		return nil
	}
	b := make([]byte, 8*len(a.Auxv))
	for i, w := range a.Auxv {
		binary.LittleEndian.PutUint64(b[8*i:], w)
	}
	return b
}

func (v view) Exe() string {
	if v.p.State() == "Z" {
		return ""
	}
	return v.p.Exe()
}

func (v view) Cwd() string {
	l := v.leader()
	if l == nil || l.FS.FS == nil {
		return ""
	}
	b, err := fs.Getcwd(&l.FS, abi.PATH_MAX)
	if err != nil || len(b) == 0 {
		return ""
	}
	return string(b[:len(b)-1])
}

func (v view) Root() string {
	if v.leader() == nil {
		return ""
	}
	return "/"
}

func (v view) Files() *fs.FDTable {
	if l := v.leader(); l != nil {
		return l.FS.Files
	}
	return nil
}

func (v view) Tasks() []procfs.Process {
	var out []procfs.Process
	for _, t := range v.p.Threads() {
		out = append(out, view{p: v.p, t: t})
	}
	return out
}
