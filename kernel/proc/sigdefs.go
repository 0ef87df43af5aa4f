// sigdefs.go: signal numbers, sets, actions, default dispositions and the
// siginfo record (Linux x86-64 ABI).

// trapctx: process context only

package proc

import (
	"encoding/binary"
	"strconv"
)

// Signal numbers (asm-generic/signal.h for x86).
const (
	SIGHUP    = 1
	SIGINT    = 2
	SIGQUIT   = 3
	SIGILL    = 4
	SIGTRAP   = 5
	SIGABRT   = 6
	SIGBUS    = 7
	SIGFPE    = 8
	SIGKILL   = 9
	SIGUSR1   = 10
	SIGSEGV   = 11
	SIGUSR2   = 12
	SIGPIPE   = 13
	SIGALRM   = 14
	SIGTERM   = 15
	SIGSTKFLT = 16
	SIGCHLD   = 17
	SIGCONT   = 18
	SIGSTOP   = 19
	SIGTSTP   = 20
	SIGTTIN   = 21
	SIGTTOU   = 22
	SIGURG    = 23
	SIGXCPU   = 24
	SIGXFSZ   = 25
	SIGVTALRM = 26
	SIGPROF   = 27
	SIGWINCH  = 28
	SIGIO     = 29
	SIGPWR    = 30
	SIGSYS    = 31
	SIGRTMIN  = 32
	NSIG      = 64 // _NSIG: signals 1..64
)

var sigNames = [...]string{"", "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE", "SIGKILL",
	"SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT", "SIGSTOP",
	"SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO",
	"SIGPWR", "SIGSYS"}

// SigName returns "SIGSEGV", or "SIGRTMIN+3" / "signal 70".
func SigName(sig int) string {
	switch {
	case sig > 0 && sig < len(sigNames):
		return sigNames[sig]
	case sig >= SIGRTMIN && sig <= NSIG:
		return "SIGRTMIN+" + strconv.Itoa(sig-SIGRTMIN)
	}
	return "signal " + strconv.Itoa(sig)
}

// SigSet is a set of signals: bit sig-1 (Linux's kernel sigset_t on
// x86-64, 8 bytes).
type SigSet uint64

func sigBit(sig int) SigSet { return 1 << (sig - 1) }

// Has reports whether sig is in s.
func (s SigSet) Has(sig int) bool { return s&sigBit(sig) != 0 }

// unblockable is what no mask can block.
const unblockable = SigSet(1<<(SIGKILL-1) | 1<<(SIGSTOP-1))

// sigaction flags.
const (
	SA_NOCLDSTOP = 0x1
	SA_NOCLDWAIT = 0x2
	SA_SIGINFO   = 0x4
	SA_ONSTACK   = 0x08000000
	SA_RESTART   = 0x10000000
	SA_NODEFER   = 0x40000000
	SA_RESETHAND = 0x80000000
	SA_RESTORER  = 0x04000000

	SIG_DFL = 0
	SIG_IGN = 1
)

// SigAction is one signal's disposition (struct sigaction as the kernel
// sees it: handler, flags, restorer, mask).
type SigAction struct {
	Handler  uint64
	Flags    uint64
	Restorer uint64
	Mask     SigSet
}

// defaultAction is what SIG_DFL does.
type defaultAction uint8

const (
	actTerm defaultAction = iota
	actCore
	actIgnore
	actStop
	actCont
)

func defaultOf(sig int) defaultAction {
	switch sig {
	case SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGSEGV, SIGXCPU, SIGXFSZ, SIGSYS:
		return actCore
	case SIGCHLD, SIGURG, SIGWINCH:
		return actIgnore
	case SIGCONT:
		return actCont
	case SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU:
		return actStop
	}
	return actTerm
}

// si_code values.
const (
	SI_USER     = 0
	SI_KERNEL   = 0x80
	SI_TKILL    = -6
	SI_QUEUE    = -1
	SEGV_MAPERR = 1
	SEGV_ACCERR = 2
	BUS_ADRERR  = 2
	ILL_ILLOPN  = 2
	ILL_PRVOPC  = 5
	FPE_INTDIV  = 1
	FPE_FLTINV  = 7
	TRAP_BRKPT  = 1
	CLD_EXITED  = 1
	CLD_KILLED  = 2
	CLD_DUMPED  = 3
)

// SigInfo is a signal's siginfo_t (the fields this kernel fills).
type SigInfo struct {
	Signo, Errno, Code int32
	// kill, tkill, SIGCHLD: the sender (or the child) and its uid.
	Pid, Uid int32
	// SIGCHLD: the exit status or signal.
	Status int32
	// SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP: the faulting address.
	Addr uint64
	// addrInfo says the record carries Addr (a fault) rather than Pid/Uid.
	addrInfo bool
	child    bool
}

// Encode lays the record out as the 128-byte siginfo_t.
func (i *SigInfo) Encode() []byte {
	b := make([]byte, 128)
	le := binary.LittleEndian
	le.PutUint32(b[0:], uint32(i.Signo))
	le.PutUint32(b[4:], uint32(i.Errno))
	le.PutUint32(b[8:], uint32(i.Code))
	switch {
	case i.addrInfo:
		le.PutUint64(b[16:], i.Addr)
	default:
		le.PutUint32(b[16:], uint32(i.Pid))
		le.PutUint32(b[20:], uint32(i.Uid))
		if i.child {
			le.PutUint32(b[24:], uint32(i.Status))
		}
	}
	return b
}

func faultInfo(sig, code int, addr uint64) SigInfo {
	return SigInfo{Signo: int32(sig), Code: int32(code), Addr: addr, addrInfo: true}
}
