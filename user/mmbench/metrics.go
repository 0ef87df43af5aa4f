package main

import (
	"errors"
	"time"
)

// metric is one measurement.
type metric struct {
	name, unit, doc string
	run             func(*env) (float64, error)
}

// metrics in the order they run.
var metrics = []metric{
	{"user_anon_fault_per_s", "/s", "anonymous write faults per second, 1 thread", anonFault1},
	{"user_anon_fault_per_s_allcpus", "/s", "anonymous write faults per second per thread, one pinned thread per CPU", anonFaultAll},
	{"user_memfd_first_touch_per_s", "/s", "memfd write faults that allocate the page-cache page", memfdFirstTouch},
	{"user_memfd_hit_write_fault_per_s", "/s", "memfd write faults on pages already in the page cache", memfdHitWrite},
	{"user_collapse_anon_us_per_2m", "us", "MADV_COLLAPSE of 2 MiB of anonymous 4 KiB pages", collapseAnon},
	{"user_collapse_memfd_us_per_2m", "us", "MADV_COLLAPSE of 2 MiB of memfd page cache", collapseMemfd},
	{"user_munmap_shootdown_us", "us", "munmap of one page while a thread on another CPU runs in the mm", munmapShootdown},
	{"user_null_syscall_ns", "ns", "getppid round trip", nullSyscall},
	{"fork_exec_wait_us", "us", "fork+exec of this program (exits at once) and wait4", forkExecWait},
}

// env is what a metric may use.
type env struct {
	cpus    []int // CPUs to use, in order
	quick   bool
	note    func(format string, a ...any) // a "# ..." comment on stderr
	skipWhy string                        // set with errSkip
}

// errSkip: the metric cannot run here (env.skipWhy says why); not a failure.
var errSkip = errors.New("skipped")

func (e *env) skip(why string) error {
	e.skipWhy = why
	return errSkip
}

// duration is how long a timed loop runs: zero in quick mode (one round).
func (e *env) duration() time.Duration {
	if e.quick {
		return 0
	}
	return 2 * time.Second
}

// rounds picks a count: q in quick mode, n otherwise.
func (e *env) rounds(q, n int) int {
	if e.quick {
		return q
	}
	return n
}
