// fault.go: page faults and exceptions of user threads (Linux's
// exc_page_fault → do_user_addr_fault, and the traps of
// arch/x86/kernel/traps.c), turned into mm faults or signals.

// trapctx: process context only

package proc

import (
	"errors"
	"strings"
	"syscall"

	"retract/arch/amd64"
	"retract/kernel/abi"
	"retract/kernel/console"
	"retract/mm"
)

// Page-fault error code bits.
const (
	pfProt  = 1 << 0 // 0: not present; 1: protection
	pfWrite = 1 << 1
	pfUser  = 1 << 2
	pfInstr = 1 << 4
)

// Faults counts user page faults by outcome, for the tests and /proc.
var Faults struct {
	Resolved, Segv, Bus, OOM uint64
}

// pageFault resolves a user page fault through the same fault path the
// kernel's uaccess uses (mm.HandleMMFault), or signals the thread.
func (t *Task) pageFault() {
	r := &t.Regs
	addr, ecode := r.CR2, r.Err
	m := t.P.MM()
	write, instr := ecode&pfWrite != 0, ecode&pfInstr != 0
	if addr >= uint64(mm.UserEnd) || addr < uint64(mm.UserBase) {
		t.segv(addr, ecode, SEGV_MAPERR)
		return
	}
	prot, mapped := m.ProtAt(uintptr(addr))
	switch {
	case !mapped:
		t.segv(addr, ecode, SEGV_MAPERR)
		return
	case instr && prot&mm.ProtExec == 0, write && prot&mm.ProtWrite == 0, prot == mm.ProtNone:
		t.segv(addr, ecode, SEGV_ACCERR)
		return
	}
	err := m.HandleMMFault(uintptr(addr), write)
	switch {
	case err == nil:
		Faults.Resolved++
		// A fault that the fault path says it resolved, at the same place
		// again and again, would loop forever: say so and stop it.
		if t.lastFaultIP == r.RIP && t.lastFaultAddr == addr {
			t.sameFault++
		} else {
			t.lastFaultIP, t.lastFaultAddr, t.sameFault = r.RIP, addr, 0
		}
		if t.sameFault > 1000 {
			logf("proc: ", t.P.Comm(), "[", itoa(t.P.PID), "]: fault at ", hex(addr), " keeps repeating after it was resolved (ip ", hex(r.RIP), "): SIGSEGV")
			t.sameFault = 0
			t.segv(addr, ecode, SEGV_ACCERR)
		}
	case errors.Is(err, mm.ErrNoMemory):
		Faults.OOM++
		t.outOfMemory()
	case isSigbus(err):
		Faults.Bus++
		t.forceSignal(faultInfo(SIGBUS, BUS_ADRERR, addr))
	default:
		t.segv(addr, ecode, SEGV_ACCERR)
	}
}

// isSigbus reports whether the fault path refused the access as beyond the
// end of a file (SIGBUS in Linux).
func isSigbus(err error) bool { return errors.Is(err, mm.ErrSigbus) }

func (t *Task) segv(addr, ecode uint64, code int) {
	Faults.Segv++
	info := faultInfo(SIGSEGV, code, addr)
	t.Regs.Err = ecode | pfUser
	t.forceSignal(info)
}

// exception turns a CPU exception of a user thread into its signal, as
// Linux's traps.c does.
func (t *Task) exception(v int) {
	r := &t.Regs
	var info SigInfo
	switch v {
	case 0: // #DE
		info = faultInfo(SIGFPE, FPE_INTDIV, r.RIP)
	case 1: // #DB
		info = faultInfo(SIGTRAP, 2 /* TRAP_TRACE */, r.RIP)
	case 3: // #BP: RIP is after the INT3
		info = faultInfo(SIGTRAP, SI_KERNEL, 0)
	case 4, 5: // #OF, #BR
		info = faultInfo(SIGSEGV, SI_KERNEL, 0)
	case 6: // #UD
		info = faultInfo(SIGILL, ILL_ILLOPN, r.RIP)
	case 10, 13: // #TS, #GP
		info = faultInfo(SIGSEGV, SI_KERNEL, 0)
	case 11, 12: // #NP, #SS
		info = faultInfo(SIGBUS, SI_KERNEL, 0)
	case 16, 19: // #MF, #XM
		info = faultInfo(SIGFPE, FPE_FLTINV, r.RIP)
	case 17: // #AC
		info = faultInfo(SIGBUS, 1 /* BUS_ADRALN */, 0)
	default:
		info = faultInfo(SIGSEGV, SI_KERNEL, 0)
	}
	t.forceSignal(info)
}

var trapNames = map[uint64]string{0: "divide error", 1: "debug", 3: "int3", 4: "overflow", 5: "bounds",
	6: "invalid opcode", 10: "invalid TSS", 11: "segment not present", 12: "stack segment",
	16: "coprocessor error", 17: "alignment check", 19: "SIMD floating point exception"}

// showSignalMsg prints the line Linux prints for a fatal fault signal
// (show_signal_msg, do_trap's "traps:" line).
func (t *Task) showSignalMsg(info SigInfo) {
	r := &t.Regs
	name, pid := t.P.Comm(), itoa(t.P.PID)
	var m console.Msg
	switch {
	case info.Signo == SIGSEGV && r.Vector == 14:
		m.S(name).S("[").S(pid).S("]: segfault at ").S(hexNo0x(info.Addr)).S(" ip ").S(hex16(r.RIP)).S(" sp ").S(hex16(r.RSP)).S(" error ").S(hexNo0x(r.Err))
	case r.Vector == 13:
		m.S("traps: ").S(name).S("[").S(pid).S("] general protection fault ip:").S(hexNo0x(r.RIP)).S(" sp:").S(hexNo0x(r.RSP)).S(" error:").S(hexNo0x(r.Err))
	case trapNames[r.Vector] != "" && r.Vector < 32:
		m.S("traps: ").S(name).S("[").S(pid).S("] trap ").S(trapNames[r.Vector]).S(" ip:").S(hexNo0x(r.RIP)).S(" sp:").S(hexNo0x(r.RSP)).S(" error:").S(hexNo0x(r.Err))
	default:
		m.S(name).S("[").S(pid).S("]: ").S(SigName(int(info.Signo))).S(" at ip ").S(hex16(r.RIP)).S(" sp ").S(hex16(r.RSP))
	}
	if exe := t.P.Exe(); exe != "" {
		m.S(" in ").S(exe)
	}
	m.S("\n").Print()
}

// outOfMemory is the fault path's ENOMEM: like Linux's
// pagefault_out_of_memory, the OOM killer picks the process with the most
// memory and kills it; the faulting thread then retries (or dies, if it
// was the one chosen).
func (t *Task) outOfMemory() {
	victim := oomVictim()
	if victim == nil {
		victim = t.P
	}
	rss := victim.MM().RSSPages()
	logf("Out of memory: Killed process ", itoa(victim.PID), " (", victim.Comm(), ") anon-rss:", itoa(int(rss*4)), "kB")
	victim.sendSignal(SigInfo{Signo: SIGKILL, Code: SI_KERNEL}, nil)
	if victim != t.P {
		// Give the victim's memory a moment to come back before the retry.
		yieldThread()
	}
}

// oomVictim picks the live process with the largest resident set (Linux's
// oom_badness, without the adjustments), sparing init.
func oomVictim() *Process {
	tasklist.Lock()
	var list []*Process
	for _, p := range procs {
		if p.state == procAlive && p.PID != 1 {
			list = append(list, p)
		}
	}
	tasklist.Unlock()
	var best *Process
	var bestRSS uint64
	for _, p := range list {
		if r := p.MM().RSSPages(); best == nil || r > bestRSS {
			best, bestRSS = p, r
		}
	}
	return best
}

// yieldThread gives up the CPU (sched_yield of the runtime host, which
// switches kernel threads: a goroutine cannot call the scheduler's
// switch itself).
func yieldThread() { syscall.RawSyscall(syscall.SYS_SCHED_YIELD, 0, 0, 0) }

func hex(v uint64) string { return "0x" + hexNo0x(v) }

// hex16 prints v as Linux's %px does: 16 hex digits, no 0x.
func hex16(v uint64) string {
	s := hexNo0x(v)
	return strings.Repeat("0", 16-len(s)) + s
}

func hexNo0x(v uint64) string {
	const digits = "0123456789abcdef"
	if v == 0 {
		return "0"
	}
	var b [16]byte
	i := len(b)
	for v > 0 {
		i--
		b[i] = digits[v&15]
		v >>= 4
	}
	return string(b[i:])
}

// mmErrno maps package mm's errors to Linux errno.
func mmErrno(err error) abi.Errno {
	var e abi.Errno
	switch {
	case err == nil:
		return 0
	case errors.As(err, &e):
		return e
	}
	return abi.Errno(mm.Errno(err))
}

var _ = amd64.UserCS
