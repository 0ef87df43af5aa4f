// process.go: processes (thread groups), the pid table and the process
// tree, credentials and resource limits.

// trapctx: process context only

package proc

import (
	"strings"
	"sync/atomic"
	"time"

	"retract/kernel/abi"
	"retract/kernel/fs"
	"retract/kernel/procfs"
	"retract/lockdep"
	"retract/mm"
)

var (
	classTasklist = lockdep.Register("proc.tasklist", lockdep.Sleep)
	classSig      = lockdep.Register("proc.Process.sig", lockdep.Sleep)
	classFutex    = lockdep.Register("proc.futexMu", lockdep.Sleep)
)

// MaxTasks bounds the user threads of all processes together: each one is
// a kernel thread (sched.MaxThreads bounds those), so fork and clone
// answer EAGAIN past it, like Linux's threads-max. Settable for tests.
var MaxTasks = 256

// Process is a thread group: what Linux's signal_struct, sighand_struct,
// mm and the group leader's task_struct hold for all threads.
type Process struct {
	PID int

	// Under tasklist.
	parent   *Process
	children []*Process
	pgid     int
	sid      int
	state    procState
	// exitStatus is the wait status once the process is a zombie.
	exitStatus int
	// childCh is closed (and replaced) when a child changes state:
	// wait4 and waitid sleep on it.
	childCh chan struct{}
	// vfork: the parent of a vfork child waits for this to be closed
	// (the child execs or exits).
	vforkDone chan struct{}

	// sig protects what follows (and each thread's signal fields).
	sig       lockdep.Mutex
	threads   []*Task
	actions   *[NSIG + 1]SigAction // shared by CLONE_SIGHAND processes
	pending   sigQueue             // process-directed signals
	groupExit bool                 // exit_group or a fatal signal: every thread dies
	groupCode int                  // the wait status of that exit
	alarm     *time.Timer          // alarm(2)
	alarmAt   time.Time

	// mem is the address space (shared with CLONE_VM processes; see mmRef).
	mem *mmRef

	// Credentials and limits (process-wide, as threads of a process share
	// them in practice; Linux's per-thread creds are not modelled).
	cred   atomic.Pointer[Cred]
	limits limitSet

	// For /proc and messages.
	comm    atomic.Pointer[string]
	exe     atomic.Pointer[string]
	exeFile atomic.Pointer[fs.File]
	args    atomic.Pointer[execInfo]
	start   uint64 // boot-relative ns of fork
	// memGone is set once the address space was released (a zombie);
	// finalFaults and finalRSS are its last counts.
	memGone               atomic.Bool
	finalFaults, finalRSS uint64
	// spawnFailed: Spawn's exec failed; the process never ran.
	spawnFailed bool
}

type procState uint8

const (
	procAlive procState = iota
	procZombie
	procReaped
)

// execInfo is what /proc/PID/{cmdline,environ,auxv} show.
type execInfo struct {
	Argv, Envp []string
	Auxv       []uint64
	Brk        uintptr
}

// Cred is a process's ids.
type Cred struct {
	UID, EUID, SUID uint32
	GID, EGID, SGID uint32
}

// mmRef counts the processes that share an address space (CLONE_VM
// without CLONE_THREAD: vfork, posix_spawn). The last one destroys it.
type mmRef struct {
	m     *mm.MM
	users atomic.Int32
}

func newMMRef(m *mm.MM) *mmRef {
	r := &mmRef{m: m}
	r.users.Store(1)
	return r
}

func (r *mmRef) get() *mmRef { r.users.Add(1); return r }

func (r *mmRef) put() {
	if r.users.Add(-1) == 0 {
		r.m.Destroy()
		releaseMapped(r.m)
		membarrierRegistered.Delete(r.m)
	}
}

// MM returns the process's address space.
func (p *Process) MM() *mm.MM { return p.mem.m }

// Comm returns the command name (the executable's base name, 15 bytes).
func (p *Process) Comm() string {
	if s := p.comm.Load(); s != nil {
		return *s
	}
	return ""
}

func (p *Process) setComm(path string) {
	name := path[strings.LastIndexByte(path, '/')+1:]
	if len(name) > 15 {
		name = name[:15]
	}
	p.comm.Store(&name)
}

// Exe returns the path of the executable.
func (p *Process) Exe() string {
	if s := p.exe.Load(); s != nil {
		return *s
	}
	return ""
}

// Cred returns the process's credentials.
func (p *Process) Cred() Cred { return *p.cred.Load() }

// PPID returns the parent's pid (0 for init).
func (p *Process) PPID() int {
	tasklist.Lock()
	defer tasklist.Unlock()
	if p.parent == nil {
		return 0
	}
	return p.parent.PID
}

// Threads returns the live threads.
func (p *Process) Threads() []*Task {
	p.sig.Lock()
	defer p.sig.Unlock()
	return append([]*Task(nil), p.threads...)
}

// The pid table and the tree, under tasklist.
var (
	tasklist lockdep.Mutex
	procs    = map[int]*Process{}
	tasks    = map[int]*Task{} // by tid
	lastPID  int
	nTasks   int
	initProc *Process
	// exited is closed (and replaced) whenever a process becomes a
	// zombie or is reaped: the shell's foreground wait uses it.
	exitedCh = make(chan struct{})
)

func init() { tasklist.Class = classTasklist }

// allocPIDLocked returns a free id (used neither by a process nor by a
// thread), or 0 when the limit is reached.
// Preconditions: tasklist held.
func allocPIDLocked() int {
	tasklist.AssertHeld()
	if nTasks >= MaxTasks {
		return 0
	}
	max := int(procfs.PIDMax.Load())
	for i := 0; i < max; i++ {
		lastPID++
		if lastPID >= max {
			lastPID = 2 // 1 is init's
		}
		if procs[lastPID] == nil && tasks[lastPID] == nil {
			return lastPID
		}
	}
	return 0
}

// Lookup returns the live (or zombie) process pid.
func Lookup(pid int) (*Process, bool) {
	tasklist.Lock()
	defer tasklist.Unlock()
	p, ok := procs[pid]
	return p, ok
}

// LookupTask returns the thread tid.
func LookupTask(tid int) (*Task, bool) {
	tasklist.Lock()
	defer tasklist.Unlock()
	t, ok := tasks[tid]
	return t, ok
}

// PIDs returns every process id, ascending.
func PIDs() []int {
	tasklist.Lock()
	defer tasklist.Unlock()
	out := make([]int, 0, len(procs))
	for pid := range procs {
		out = append(out, pid)
	}
	sortInts(out)
	return out
}

func sortInts(a []int) {
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && a[j] < a[j-1]; j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
}

// Count returns how many processes and threads exist.
func Count() (processes, threads int) {
	tasklist.Lock()
	defer tasklist.Unlock()
	return len(procs), nTasks
}

// State describes p for ps: "R" alive, "Z" zombie.
func (p *Process) State() string {
	tasklist.Lock()
	defer tasklist.Unlock()
	if p.state == procZombie {
		return "Z"
	}
	return "R"
}

// Pgid returns the process group.
func (p *Process) Pgid() int {
	tasklist.Lock()
	defer tasklist.Unlock()
	return p.pgid
}

// notifyChildLocked wakes the parent's waiters.
// Preconditions: tasklist held.
func (p *Process) notifyChildLocked() {
	close(p.childCh)
	p.childCh = make(chan struct{})
}

// errAgain is fork's answer past the limits.
var errAgain = abi.EAGAIN
