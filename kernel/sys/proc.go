// proc.go: threads and the process: clone, exit, arch_prctl, affinity, tgkill.

package sys

import (
	"retract/arch/amd64"
	"retract/kernel/console"
	"retract/kernel/sched"
)

// The clone flags of runtime.newosproc (os_linux.go cloneFlags, plus
// CLONE_SETTLS which runtime·clone adds): a thread in this process.
const (
	cloneVM      = 0x100
	cloneFS      = 0x200
	cloneFiles   = 0x400
	cloneSighand = 0x800
	cloneSysvsem = 0x40000
	cloneSettls  = 0x80000
	cloneThread  = 0x10000
	threadFlags  = cloneVM | cloneFS | cloneFiles | cloneSighand | cloneThread
	allowedClone = threadFlags | cloneSysvsem | cloneSettls
)

// NumCPUs is the number of CPUs sched_getaffinity reports (set at boot).
var NumCPUs = 1

func sysClone(tf *amd64.TrapFrame, flags, stack, ptid, ctid, tls uint64) uint64 {
	// Only threads: a fork would need a second address space for the runtime.
	if flags&threadFlags != threadFlags || flags&^allowedClone != 0 {
		return ret(0, EINVAL)
	}
	if stack == 0 || !valid(stack-8, 8) {
		return ret(0, EINVAL)
	}
	if flags&cloneSettls == 0 {
		tls = uint64(sched.Current().FSBase)
	}
	tid := sched.Clone(tf, uintptr(stack), uintptr(tls))
	if tid < 0 {
		return ret(0, EAGAIN)
	}
	return uint64(tid)
}

func sysExit(code uint64) {
	// runtime.exitThread has already stored 0 to m.freeWait: the thread's
	// Go stack may be freed by now; we are on its kernel stack.
	sched.Exit()
}

// ExitHook is called by exit_group (set by the kernel's main package to
// report and power off).
var ExitHook = func(code int) {
	for {
		amd64.Cli()
		amd64.Hlt()
	}
}

func sysExitGroup(code uint64) {
	var m console.Msg
	m.S("retract: the Go runtime called exit_group(").I(int64(int32(code))).S(")\n").Print()
	ExitHook(int(int32(code)))
}

const (
	archSetGS = 0x1001
	archSetFS = 0x1002
	archGetFS = 0x1003
	archGetGS = 0x1004
)

func sysArchPrctl(code, addr uint64) uint64 {
	switch code {
	case archSetFS:
		t := sched.Current()
		t.FSBase = uintptr(addr)
		amd64.SetFSBase(uintptr(addr))
		return 0
	case archGetFS:
		if !valid(addr, 8) {
			return ret(0, EFAULT)
		}
		store64(addr, uint64(sched.Current().FSBase))
		return 0
	case archSetGS, archGetGS:
		// GS base holds the per-CPU pointer of the kernel itself.
		return ret(0, EPERM)
	}
	return ret(0, EINVAL)
}

func sysSchedYield() uint64 {
	sched.Yield()
	return 0
}

func sysSchedGetaffinity(pid, size, mask uint64) uint64 {
	// The kernel's cpumask is 64 bits: like Linux, fail if the buffer is
	// smaller than that, and write exactly 8 bytes.
	if size < 8 || size&7 != 0 {
		return ret(0, EINVAL)
	}
	if pid != 0 && pid != 1 && !tidExists(int32(pid)) {
		return ret(0, ESRCH)
	}
	if !valid(mask, 8) {
		return ret(0, EFAULT)
	}
	store64(mask, 1<<NumCPUs-1)
	return 8
}

func tidExists(tid int32) bool {
	found := false
	sched.ForEach(func(t *sched.Thread) {
		if t.TID() == tid && !t.Idle() {
			found = true
		}
	})
	return found
}

// Signal numbers.
const (
	sigQUIT = 3
	sigILL  = 4
	sigTRAP = 5
	sigABRT = 6
	sigBUS  = 7
	sigFPE  = 8
	sigKILL = 9
	sigSEGV = 11
	sigPIPE = 13
	sigSTOP = 19
	sigURG  = 23
)

func sysTgkill(tgid, tid, sig uint64) uint64 {
	if sig > 64 {
		return ret(0, EINVAL)
	}
	if tgid != 1 || !tidExists(int32(tid)) {
		return ret(0, ESRCH)
	}
	switch sig {
	case 0:
		return 0 // existence check
	case sigQUIT, sigILL, sigTRAP, sigABRT, sigBUS, sigFPE, sigKILL, sigSEGV:
		// The runtime raises these only to die (runtime.crash, dieFromSignal):
		// with no process above us, that is the end of the kernel.
		var m console.Msg
		m.S("retract: the Go runtime raised signal ").U(sig).S(" on thread ").U(tid).S(": it is crashing; powering off\n").Print()
		ExitHook(128 + int(sig))
	}
	// Asynchronous preemption (SIGURG) is disabled with
	// GODEBUG=asyncpreemptoff=1, and nothing else sends signals: there is
	// no delivery path for them, so say so.
	return ret(0, ENOSYS)
}

func sysPrlimit(pid, resource, newp, oldp uint64) uint64 {
	if pid != 0 && pid != 1 {
		return ret(0, ESRCH)
	}
	if resource >= 16 {
		return ret(0, EINVAL)
	}
	if newp != 0 {
		return ret(0, EPERM)
	}
	if oldp != 0 {
		if !valid(oldp, 16) {
			return ret(0, EFAULT)
		}
		cur := ^uint64(0)  // RLIM_INFINITY
		if resource == 7 { // RLIMIT_NOFILE
			cur = maxFDs
		}
		store64(oldp, cur)
		store64(oldp+8, cur)
	}
	return 0
}
