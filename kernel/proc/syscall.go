// syscall.go: the system call table of user programs and its dispatch.
//
// A user thread's SYSCALL returns from amd64.RunUser on its task
// goroutine; syscall decodes the Linux x86-64 convention (number in RAX,
// arguments in RDI RSI RDX R10 R8 R9, result or -errno in RAX) and calls
// the handler from the table, in process context. The families live in
// sys_*.go; docs/processes.md lists every call and what is not
// implemented. (The kernel's own Go runtime makes system calls too, from
// ring 0; those go to package sys and never reach this table.)

// trapctx: process context only

package proc

import (
	"errors"
	"sync"
	"sync/atomic"

	"retract/kernel/abi"
	"retract/kernel/sys"
)

// sysFn is one system call: arguments in, a result or an error
// (an abi.Errno; anything else is EIO, or errNoReturn).
type sysFn func(t *Task, a *[6]uint64) (uint64, error)

// errNoReturn: the handler has set the registers itself (execve,
// rt_sigreturn, a fatal signal) and RAX must not be touched.
var errNoReturn = errors.New("proc: registers already set")

const maxSyscall = 512

var table [maxSyscall]sysFn

// reg installs fn as system call nr (from the sys_*.go init functions).
func reg(nr int, fn sysFn) {
	if table[nr] != nil {
		panic("proc: system call " + sys.Name(uint64(nr)) + " registered twice")
	}
	table[nr] = fn
}

// Implemented reports whether system call nr has a handler (for docs and
// tests).
func Implemented(nr int) bool { return nr >= 0 && nr < maxSyscall && table[nr] != nil }

// Counts of system calls by number, for `ps`-like views and the tests
// (atomic: every call counts, and a lock here was a cache line all CPUs
// fought over on every trip), and the unimplemented calls already
// reported, under statsMu.
var (
	syscallsN  [maxSyscall]atomic.Uint64
	statsMu    sync.Mutex
	enosysSeen = map[string]bool{}
)

// syscall serves the system call in t.Regs.
func (t *Task) syscall() {
	r := &t.Regs
	nr := r.RAX
	t.origRAX = int64(nr)
	a := [6]uint64{r.RDI, r.RSI, r.RDX, r.R10, r.R8, r.R9}
	var ret uint64
	var err error
	if nr < maxSyscall && table[nr] != nil {
		ret, err = table[nr](t, &a)
	} else {
		err = abi.ENOSYS
		t.reportENOSYS(nr)
	}
	if nr < maxSyscall {
		syscallsN[nr].Add(1)
	}
	switch {
	case err == errNoReturn:
		t.origRAX = -1
	case err != nil:
		r.RAX = uint64(-int64(abi.ToErrno(err)))
	default:
		r.RAX = ret
	}
}

// reportENOSYS prints one console line per program and unimplemented
// system call (Linux prints nothing; a teaching kernel says what a program
// wanted).
func (t *Task) reportENOSYS(nr uint64) {
	key := t.P.Comm() + "/" + itoa(int(nr))
	statsMu.Lock()
	seen := enosysSeen[key]
	enosysSeen[key] = true
	statsMu.Unlock()
	if !seen {
		logf("proc: ", t.P.Comm(), "[", itoa(t.P.PID), "]: system call ", itoa(int(nr)), " (", sys.Name(nr), ") is not implemented: ENOSYS")
	}
}

// SyscallCount returns how many times system call nr was made by user
// programs.
func SyscallCount(nr int) uint64 {
	if nr < 0 || nr >= maxSyscall {
		return 0
	}
	return syscallsN[nr].Load()
}

func itoa(v int) string {
	if v == 0 {
		return "0"
	}
	neg := v < 0
	if neg {
		v = -v
	}
	var b [20]byte
	i := len(b)
	for v > 0 {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}

// sysRestartSyscall is restart_syscall's number.
const sysRestartSyscall = 219
