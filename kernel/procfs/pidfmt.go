// pidfmt.go: the per-process text files /proc/PID/stat, status and statm
// (fs/proc/array.c: do_task_stat, proc_pid_status, proc_pid_statm), as
// pure functions of their inputs.

// trapctx: process context only

package procfs

import (
	"fmt"
	"strings"

	"retract/mm/phys"
)

// pidStatLine prints /proc/PID/stat: the 52 fields of Linux 6.1, in
// clock ticks (USER_HZ) for times, bytes for vsize, pages for rss.
func pidStatLine(pid int, s Stat, f memFigures) []byte {
	var b strings.Builder
	u := func(v uint64) { fmt.Fprintf(&b, " %d", v) }
	i := func(v int64) { fmt.Fprintf(&b, " %d", v) }
	fmt.Fprintf(&b, "%d (%s) %c", pid, s.Comm, s.State)
	i(int64(s.PPID))
	i(int64(s.PGID))
	i(int64(s.SID))
	i(int64(s.TTY))
	i(int64(s.TPGID))
	u(s.Flags)
	u(s.MinFlt)
	u(s.CMinFlt)
	u(s.MajFlt)
	u(s.CMajFlt)
	u(ticks(s.UTime))
	u(ticks(s.STime))
	i(int64(ticks(s.CUTime)))
	i(int64(ticks(s.CSTime)))
	i(int64(20 + s.Nice)) // priority: task_prio of a SCHED_OTHER task
	i(int64(s.Nice))
	i(int64(s.NumThreads))
	u(0) // itrealvalue
	u(ticks(s.StartTime))
	u(f.Size)
	u(f.Rss / phys.PageSize)
	u(^uint64(0)) // rsslim: RLIMIT_RSS, unlimited
	u(uint64(s.StartCode))
	u(uint64(s.EndCode))
	u(uint64(s.StartStack))
	u(0) // kstkesp: 0 unless the task is dumping core
	u(0) // kstkeip
	u(s.SigPending & 0x7fffffff)
	u(s.SigBlocked & 0x7fffffff)
	u(s.SigIgnored & 0x7fffffff)
	u(s.SigCaught & 0x7fffffff)
	b.WriteString(" 0 0 0") // wchan (hidden), nswap, cnswap
	i(int64(s.ExitSignal))
	i(int64(s.CPU))
	u(0) // rt_priority
	u(0) // policy: SCHED_OTHER
	u(0) // delayacct_blkio_ticks
	u(0) // guest_time
	i(0) // cguest_time
	for _, a := range []uintptr{s.StartData, s.EndData, s.StartBrk, s.ArgStart, s.ArgEnd, s.EnvStart, s.EnvEnd} {
		u(uint64(a))
	}
	i(int64(s.ExitCode))
	b.WriteByte('\n')
	return []byte(b.String())
}

// stateNames are get_task_state's strings.
var stateNames = map[byte]string{
	'R': "R (running)", 'S': "S (sleeping)", 'D': "D (disk sleep)", 'T': "T (stopped)",
	't': "t (tracing stop)", 'X': "X (dead)", 'Z': "Z (zombie)", 'P': "P (parked)", 'I': "I (idle)",
}

// StatusInputs is what /proc/PID/status prints besides Stat.
type StatusInputs struct {
	PID    int
	HasMM  bool
	Mem    memFigures
	NumCPU int
}

// pidStatus prints /proc/PID/status like Linux 6.1 (x86-64, with PID
// namespaces, seccomp and cpusets configured: NStgid and friends,
// Seccomp_filters, Mems_allowed with MAX_NUMNODES = 1024 bits).
func pidStatus(in StatusInputs, s Stat) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "Name:\t%s\n", escapeComm(s.Comm))
	fmt.Fprintf(&b, "Umask:\t%04o\n", s.Umask)
	state := stateNames[s.State]
	if state == "" {
		state = string(s.State) + " (unknown)"
	}
	fmt.Fprintf(&b, "State:\t%s\n", state)
	fmt.Fprintf(&b, "Tgid:\t%d\nNgid:\t0\nPid:\t%d\nPPid:\t%d\nTracerPid:\t%d\n", s.TGID, in.PID, s.PPID, s.TracerPID)
	fmt.Fprintf(&b, "Uid:\t%d\t%d\t%d\t%d\n", s.UID, s.EUID, s.SUID, s.FSUID)
	fmt.Fprintf(&b, "Gid:\t%d\t%d\t%d\t%d\n", s.GID, s.EGID, s.SGID, s.FSGID)
	fmt.Fprintf(&b, "FDSize:\t%d\nGroups:\t", s.FDSize)
	for i, g := range s.Groups {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%d", g)
	}
	b.WriteString(" \n") // the trailing space Linux keeps
	fmt.Fprintf(&b, "NStgid:\t%d\nNSpid:\t%d\nNSpgid:\t%d\nNSsid:\t%d\n", s.TGID, in.PID, s.PGID, s.SID)
	if in.HasMM {
		f := in.Mem
		kb := func(label string, v uint64) { fmt.Fprintf(&b, "%s:\t%8d kB\n", label, v/1024) }
		kb("VmPeak", f.Size) // no high-water marks are kept: the current values
		kb("VmSize", f.Size)
		kb("VmLck", f.Locked)
		kb("VmPin", 0)
		kb("VmHWM", f.Rss)
		kb("VmRSS", f.Rss)
		kb("RssAnon", f.RssAnon)
		kb("RssFile", 0)
		kb("RssShmem", f.RssShmem)
		kb("VmData", f.Data)
		kb("VmStk", f.Stack)
		kb("VmExe", f.Exe)
		kb("VmLib", f.Lib)
		kb("VmPTE", f.PTE)
		kb("VmSwap", 0)
		kb("HugetlbPages", 0)
		b.WriteString("CoreDumping:\t0\nTHP_enabled:\t1\n")
	}
	fmt.Fprintf(&b, "Threads:\t%d\nSigQ:\t%d/%d\n", s.NumThreads, s.SigQueued, s.SigQueueLimit)
	fmt.Fprintf(&b, "SigPnd:\t%016x\nShdPnd:\t%016x\nSigBlk:\t%016x\nSigIgn:\t%016x\nSigCgt:\t%016x\n",
		s.SigPending, s.SigShared, s.SigBlocked, s.SigIgnored, s.SigCaught)
	fmt.Fprintf(&b, "CapInh:\t%016x\nCapPrm:\t%016x\nCapEff:\t%016x\nCapBnd:\t%016x\nCapAmb:\t%016x\n",
		s.CapInh, s.CapPrm, s.CapEff, s.CapBnd, s.CapAmb)
	nnp := 0
	if s.NoNewPrivs {
		nnp = 1
	}
	fmt.Fprintf(&b, "NoNewPrivs:\t%d\nSeccomp:\t0\nSeccomp_filters:\t0\n", nnp)
	b.WriteString("Speculation_Store_Bypass:\tunknown\nSpeculationIndirectBranch:\tunknown\n")
	fmt.Fprintf(&b, "Cpus_allowed:\t%s\nCpus_allowed_list:\t%s\n", cpuMask(in.NumCPU), cpuList(in.NumCPU))
	fmt.Fprintf(&b, "Mems_allowed:\t%s1\nMems_allowed_list:\t0\n", strings.Repeat("00000000,", 1024/32-1)+"0000000")
	fmt.Fprintf(&b, "voluntary_ctxt_switches:\t%d\nnonvoluntary_ctxt_switches:\t%d\n", s.VoluntarySwitches, s.InvoluntarySwitches)
	return []byte(b.String())
}

// escapeComm escapes a name as status's Name line does (proc_task_name
// with escape: a backslash and a newline become \\ and \n).
func escapeComm(s string) string {
	return strings.NewReplacer(`\`, `\\`, "\n", `\n`).Replace(s)
}

// cpuMask prints the first n CPUs as a %*pb bitmap: hex, in groups of 32
// bits separated by commas, as wide as n bits need.
func cpuMask(n int) string {
	if n <= 0 {
		return "0"
	}
	var groups []string
	for lo := 0; lo < n; lo += 32 {
		bits := min(n-lo, 32)
		v := uint64(1)<<bits - 1
		w := (bits + 3) / 4
		if lo+32 < n {
			w = 8
		}
		groups = append([]string{fmt.Sprintf("%0*x", w, v)}, groups...)
	}
	return strings.Join(groups, ",")
}

// cpuList prints the first n CPUs as a %*pbl list ("0-3", "0").
func cpuList(n int) string {
	switch {
	case n <= 0:
		return ""
	case n == 1:
		return "0"
	}
	return fmt.Sprintf("0-%d", n-1)
}

// pidStatm prints /proc/PID/statm: size resident shared text lib data
// dt, in pages (lib and dt are always 0, as in Linux).
func pidStatm(f memFigures) []byte {
	p := func(v uint64) uint64 { return v / phys.PageSize }
	return fmt.Appendf(nil, "%d %d %d %d 0 %d 0\n", p(f.Size), p(f.Rss), p(f.Shared), p(f.Text), p(f.Data+f.Stack))
}
