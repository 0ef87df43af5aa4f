// limits.go: resource limits (getrlimit, setrlimit, prlimit64).

// trapctx: process context only

package proc

import (
	"sync"

	"retract/kernel/abi"
)

// Resource numbers.
const (
	RLIMIT_CPU     = 0
	RLIMIT_FSIZE   = 1
	RLIMIT_DATA    = 2
	RLIMIT_STACK   = 3
	RLIMIT_CORE    = 4
	RLIMIT_RSS     = 5
	RLIMIT_NPROC   = 6
	RLIMIT_NOFILE  = 7
	RLIMIT_MEMLOCK = 8
	RLIMIT_AS      = 9
	RLIM_NLIMITS   = 16

	RLIM_INFINITY = ^uint64(0)
)

// Rlimit is a soft and hard limit.
type Rlimit struct{ Cur, Max uint64 }

// limitSet is a process's limits.
type limitSet struct {
	mu sync.Mutex // a leaf (not tracked: nothing is called under it)
	l  [RLIM_NLIMITS]Rlimit
}

// defaultLimits are init's (Linux's defaults for a root process).
func defaultLimits() [RLIM_NLIMITS]Rlimit {
	var l [RLIM_NLIMITS]Rlimit
	for i := range l {
		l[i] = Rlimit{RLIM_INFINITY, RLIM_INFINITY}
	}
	l[RLIMIT_STACK] = Rlimit{8 << 20, RLIM_INFINITY}
	l[RLIMIT_CORE] = Rlimit{0, RLIM_INFINITY}
	l[RLIMIT_NOFILE] = Rlimit{1024, 4096}
	l[RLIMIT_MEMLOCK] = Rlimit{8 << 20, 8 << 20}
	l[RLIMIT_NPROC] = Rlimit{uint64(MaxTasks), uint64(MaxTasks)}
	l[14] = Rlimit{0, 0} // RLIMIT_RTPRIO
	l[13] = Rlimit{0, 0} // RLIMIT_NICE
	return l
}

func (s *limitSet) get(r int) Rlimit {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.l[r]
}

func (s *limitSet) copyFrom(o *limitSet) {
	o.mu.Lock()
	l := o.l
	o.mu.Unlock()
	s.mu.Lock()
	s.l = l
	s.mu.Unlock()
}

// set changes a limit with setrlimit's rules: cur <= max; raising max
// needs root (everyone here is root unless it changed its uid).
func (s *limitSet) set(r int, v Rlimit, root bool) (old Rlimit, err error) {
	if r < 0 || r >= RLIM_NLIMITS || v.Cur > v.Max {
		return Rlimit{}, abi.EINVAL
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old = s.l[r]
	if v.Max > old.Max && !root {
		return old, abi.EPERM
	}
	if r == RLIMIT_NOFILE && v.Max > 1<<20 {
		return old, abi.EPERM // above fs.nr_open
	}
	s.l[r] = v
	return old, nil
}
