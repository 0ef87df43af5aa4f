// process.go: what /proc/PID needs from the process layer — the Process
// interface kernel/proc implements — and the hooks it sets at boot.

// trapctx: process context only

package procfs

import (
	"retract/kernel/fs"
	"retract/mm"
)

// Process is one process (a thread group), or one thread of it, as
// /proc/PID and /proc/PID/task/TID show it. kernel/proc implements it;
// procfs calls it from file callbacks (with fs.File.posMu held for a
// read, nothing else of fs), so the methods may take the process layer's
// own locks.
type Process interface {
	// PID is the process id (the thread id for a thread of Tasks).
	PID() int
	// Stat is a snapshot of the scalars stat, status and statm print.
	Stat() Stat
	// MM is the address space; nil once it is gone (a zombie) or for a
	// process without one.
	MM() *mm.MM
	// MapName says what maps and smaps show for a VMA of MM: for a file
	// mapping the file's path, device and inode (Linux's d_path of
	// vm_file); for anonymous memory "[heap]", "[stack]", "[vdso]" or ""
	// (dev and ino 0).
	MapName(v *mm.VMAInfo) MapName
	// Cmdline, Environ and Auxv are the bytes of the argument and
	// environment areas (NUL-separated strings, as in memory) and the
	// auxiliary vector (raw 8-byte words, AT_NULL last).
	Cmdline() []byte
	Environ() []byte
	Auxv() []byte
	// Exe, Cwd and Root are paths: of the executable (fs.File.Path of
	// the file exec opened), the working directory and the root. "" if
	// there is none (the link then reads ENOENT).
	Exe() string
	Cwd() string
	Root() string
	// Files is the descriptor table (nil once the process has exited).
	Files() *fs.FDTable
	// Tasks lists the threads, the leader first; each one's PID is its
	// thread id and its Stat its own (Tgid the group's).
	Tasks() []Process
}

// MapName is the last columns of a line of /proc/PID/maps.
type MapName struct {
	Path string // a file's path, "[heap]", "[stack]", "[vdso]", or ""
	Dev  uint64 // the file's device (st_dev), 0 for anonymous memory
	Ino  uint64 // its inode number
}

// Stat is what /proc/PID/stat, status and statm print besides the memory
// figures (procfs counts those from MM). Times are in nanoseconds;
// addresses are user addresses; signal sets are bit masks with signal n
// at bit n-1.
type Stat struct {
	Comm  string // the thread's name (up to 15 bytes, TASK_COMM_LEN)
	State byte   // 'R' running, 'S' sleeping, 'D' disk sleep, 'T' stopped, 't' traced, 'Z' zombie, 'X' dead, 'I' idle

	TGID, PPID, PGID, SID int
	TTY, TPGID            int    // tty_nr (major<<8|minor, 0: none) and its foreground group (-1: none)
	Flags                 uint64 // PF_* bits
	TracerPID             int

	UID, EUID, SUID, FSUID uint32
	GID, EGID, SGID, FSGID uint32
	Groups                 []uint32
	Umask                  uint32
	FDSize                 int // descriptor slots (max_fds)

	MinFlt, MajFlt, CMinFlt, CMajFlt uint64
	UTime, STime, CUTime, CSTime     uint64 // ns
	Nice                             int
	NumThreads                       int
	StartTime                        uint64 // ns since boot
	CPU                              int    // the CPU it last ran on
	ExitSignal, ExitCode             int

	SigPending, SigShared, SigBlocked, SigIgnored, SigCaught uint64
	SigQueued, SigQueueLimit                                 uint64
	CapInh, CapPrm, CapEff, CapBnd, CapAmb                   uint64
	NoNewPrivs                                               bool

	VoluntarySwitches, InvoluntarySwitches uint64

	// The layout the ELF loader and brk made (mm_struct's fields).
	StartCode, EndCode, StartData, EndData uintptr
	StartBrk, Brk, StartStack              uintptr
	ArgStart, ArgEnd, EnvStart, EnvEnd     uintptr
}

// The hooks kernel/proc sets at boot, before the first lookup under
// /proc. Unset, /proc has no process directories, and /proc/self is a
// link to nowhere unless the caller's Task.Proc itself is a Process.
var (
	// Lookup finds a process (or a thread, by its id) by id.
	Lookup func(pid int) (Process, bool)
	// List returns the ids of the live processes, in increasing order.
	List func() []int
	// Self returns the process of the task that is asking: fs passes
	// the calling Task's Proc to every callback (a Proc that is itself a
	// Process is taken as it is).
	Self func(caller any) (Process, bool)
	// Forks counts the processes created since boot (/proc/stat's
	// "processes"); LastPID is the last id handed out (/proc/loadavg).
	Forks   func() uint64
	LastPID func() int
)

// self resolves the caller to a Process: the caller itself if it is one,
// else what Self makes of it.
func self(caller any) (Process, bool) {
	if p, ok := caller.(Process); ok {
		return p, true
	}
	if Self != nil {
		return Self(caller)
	}
	return nil, false
}

// lookup is Lookup, or nothing.
func lookup(pid int) (Process, bool) {
	if Lookup == nil {
		return nil, false
	}
	return Lookup(pid)
}

// list is List, or nothing.
func list() []int {
	if List == nil {
		return nil
	}
	return List()
}
