// Package sys is retract's runtime host: it implements, in ring 0, the part
// of the Linux x86-64 system-call ABI that the Go runtime uses, so that an
// unmodified GOOS=linux Go program can run as the kernel
// (docs/architecture.md §1).
//
// Every call the runtime makes is either implemented or answered with the
// errno Linux would give for something we do not support — never a fake
// success. An unknown number is reported once on the console, with its
// name, and answered ENOSYS. The list (with what each does) is in
// docs/syscalls.md.
//
// All handlers run in trap context (see package amd64): no allocation, no
// Go pointers stored, no panics. Blocking goes through package sched.
//
// Locking (docs/locking.md): fdLock protects the descriptor table (files:
// kinds, flags, eventfd counters, epoll interests); sigLock the signal
// actions (sigactions); heapLock the heap window's bump pointer (heapNext,
// HeapReserved). All three are spinlocks taken with interrupts off, and
// leaves: each is released before the handler calls into the scheduler
// (Wake, Block) or mm/phys (HeapCommit, HeapRelease).
package sys

import (
	"retract/arch/amd64"
	"retract/kernel/console"
	"retract/kernel/sched"
)

// Counts counts calls per syscall number (for the shell and tests).
var Counts [512]uint64

var reported [512]bool

// Handle is the SYSCALL handler: number in RAX, arguments in RDI, RSI, RDX,
// R10, R8, R9, result (or -errno) in RAX.
func Handle(tf *amd64.TrapFrame) {
	nr := tf.RAX
	if nr < uint64(len(Counts)) {
		Counts[nr]++
	}
	a0, a1, a2, a3, a4, a5 := tf.RDI, tf.RSI, tf.RDX, tf.R10, tf.R8, tf.R9
	_ = a5
	var r uint64
	switch nr {
	case 0:
		r = sysRead(a0, a1, a2)
	case 1:
		r = sysWrite(a0, a1, a2)
	case 3:
		r = sysClose(a0)
	case 9:
		r = sysMmap(a0, a1, a2, a3, a4)
	case 10:
		r = sysMprotect(a0, a1, a2)
	case 11:
		r = sysMunmap(a0, a1)
	case 12: // brk: there is no program break; report it as 0, as Linux reports a failed brk by returning the unchanged break.
		r = 0
	case 13:
		r = sysRtSigaction(a0, a1, a2, a3)
	case 14:
		r = sysRtSigprocmask(a0, a1, a2, a3)
	case 15:
		r = sysRtSigreturn(tf)
		if r == 0 {
			return // tf was replaced by the signal frame's context
		}
	case 17: // pread64
		r = sysPread(a0)
	case 24:
		r = sysSchedYield()
	case 28:
		r = sysMadvise(a0, a1, a2)
	case 35:
		r = sysNanosleep(a0, a1)
	case 39: // getpid: the kernel is one process
		r = 1
	case 56:
		r = sysClone(tf, a0, a1, a2, a3, a4)
	case 60:
		sysExit(a0)
	case 72:
		r = sysFcntl(a0, a1, a2)
	case 96:
		r = sysGettimeofday(a0, a1)
	case 102, 104, 107, 108: // getuid, getgid, geteuid, getegid: root
		r = 0
	case 110: // getppid: nobody started us
		r = 0
	case 131:
		r = sysSigaltstack(a0, a1)
	case 157: // prctl: no options are supported (Go ignores the error of PR_SET_VMA)
		r = ret(0, EINVAL)
	case 158:
		r = sysArchPrctl(a0, a1)
	case 186:
		r = uint64(sched.Current().TID())
	case 201:
		r = sysTime(a0)
	case 202:
		r = sysFutex(a0, a1, a2, a3)
	case 204:
		r = sysSchedGetaffinity(a0, a1, a2)
	case 228:
		r = sysClockGettime(a0, a1)
	case 229:
		r = sysClockGetres(a0, a1)
	case 230:
		r = sysClockNanosleep(a0, a1, a2, a3)
	case 231:
		sysExitGroup(a0)
	case 232:
		r = sysEpollWait(a0, a1, a2, a3)
	case 233:
		r = sysEpollCtl(a0, a1, a2, a3)
	case 234:
		r = sysTgkill(a0, a1, a2)
	case 257:
		r = sysOpenat(a1)
	case 281:
		r = sysEpollWait(a0, a1, a2, a3)
	case 290:
		r = sysEventfd2(a0, a1)
	case 291:
		r = sysEpollCreate1(a0)
	case 302:
		r = sysPrlimit(a0, a1, a2, a3)
	case 318:
		r = sysGetrandom(a0, a1, a2)
	case SysCrash:
		r = sysCrash(a0)
	default:
		r = unknown(nr, tf.RIP)
	}
	tf.RAX = r
}

func unknown(nr, rip uint64) uint64 {
	if nr >= uint64(len(reported)) || !reported[nr] {
		if nr < uint64(len(reported)) {
			reported[nr] = true
		}
		var m console.Msg
		m.S("sys: unimplemented syscall ").U(nr).S(" (").S(Name(nr)).S(") from RIP ").X(rip).S(": ENOSYS\n").Print()
	}
	return ret(0, ENOSYS)
}
