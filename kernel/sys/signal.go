// signal.go: signal bookkeeping. The runtime installs handlers for every
// signal at start-up and must be told it succeeded; retract records the
// actions, masks and alternate stacks faithfully (they are read back by
// the runtime) so that a later SIGSEGV delivery has what it needs.

package sys

import (
	"retract/arch/amd64"
	"retract/kernel/sched"
	"retract/lockdep"
)

// sigaction as the kernel ABI lays it out (not glibc's): handler, flags,
// restorer, mask.
type sigaction struct {
	handler, flags, restorer, mask uint64
}

var (
	sigLock    amd64.SpinLock
	sigactions [65]sigaction
)

func init() { sigLock.SetClass(lockdep.Register("sys.sigLock", lockdep.Spin)) }

const sigsetSize = 8

func sysRtSigaction(sig, act, oact, size uint64) uint64 {
	if size != sigsetSize {
		return ret(0, EINVAL)
	}
	if sig < 1 || sig > 64 || act != 0 && (sig == sigKILL || sig == sigSTOP) {
		return ret(0, EINVAL)
	}
	if act != 0 && !valid(act, 32) || oact != 0 && !valid(oact, 32) {
		return ret(0, EFAULT)
	}
	l := sigLock.LockIRQ()
	old := sigactions[sig]
	if act != 0 {
		sigactions[sig] = sigaction{load64(act), load64(act + 8), load64(act + 16), load64(act + 24)}
	}
	sigLock.UnlockIRQ(l)
	if oact != 0 {
		store64(oact, old.handler)
		store64(oact+8, old.flags)
		store64(oact+16, old.restorer)
		store64(oact+24, old.mask)
	}
	return 0
}

const (
	sigBlock   = 0
	sigUnblock = 1
	sigSetmask = 2
	// SIGKILL and SIGSTOP cannot be blocked.
	unblockable = 1<<(sigKILL-1) | 1<<(sigSTOP-1)
)

func sysRtSigprocmask(how, set, oset, size uint64) uint64 {
	if size != sigsetSize {
		return ret(0, EINVAL)
	}
	if set != 0 && !valid(set, 8) || oset != 0 && !valid(oset, 8) {
		return ret(0, EFAULT)
	}
	t := sched.Current()
	old := t.SigMask
	if set != 0 {
		s := load64(set)
		switch how {
		case sigBlock:
			t.SigMask |= s
		case sigUnblock:
			t.SigMask &^= s
		case sigSetmask:
			t.SigMask = s
		default:
			return ret(0, EINVAL)
		}
		t.SigMask &^= unblockable
	}
	if oset != 0 {
		store64(oset, old)
	}
	return 0
}

const (
	ssOnstack   = 1
	ssDisable   = 2
	minSigstksz = 2048
)

// stack_t: sp u64, flags i32 (+pad), size u64.
func sysSigaltstack(ss, oss uint64) uint64 {
	if ss != 0 && !valid(ss, 24) || oss != 0 && !valid(oss, 24) {
		return ret(0, EFAULT)
	}
	t := sched.Current()
	osp, oflags, osize := t.SigAltSP, t.SigAltFlags, t.SigAltSize
	if ss != 0 {
		sp, flags, size := load64(ss), int32(load64(ss+8)), load64(ss+16)
		switch flags {
		case ssDisable:
			t.SigAltSP, t.SigAltSize, t.SigAltFlags = 0, 0, ssDisable
		case 0:
			if size < minSigstksz {
				return ret(0, ENOMEM)
			}
			t.SigAltSP, t.SigAltSize, t.SigAltFlags = sp, size, 0
		default:
			return ret(0, EINVAL)
		}
	}
	if oss != 0 {
		if osp == 0 {
			oflags = ssDisable
		}
		store64(oss, osp)
		store64(oss+8, uint64(uint32(oflags)))
		store64(oss+16, osize)
	}
	return 0
}
