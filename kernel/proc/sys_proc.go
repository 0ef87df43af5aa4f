// sys_proc.go: process and thread calls — ids, credentials, process
// groups and sessions, exit and wait, set_tid_address, robust lists,
// arch_prctl, prctl, resource limits, scheduling and CPU affinity, uname,
// sysinfo, getrusage, times.

// trapctx: process context only

package proc

import (
	"encoding/binary"

	"retract/kernel/abi"
	"retract/kernel/clock"
	"retract/kernel/procfs"
	"retract/kernel/smp"
	"retract/mm"
	"retract/mm/phys"
)

func init() {
	reg(39, func(t *Task, a *[6]uint64) (uint64, error) { return uint64(t.P.PID), nil })
	reg(186, func(t *Task, a *[6]uint64) (uint64, error) { return uint64(t.TID), nil })
	reg(110, func(t *Task, a *[6]uint64) (uint64, error) { return uint64(t.P.PPID()), nil })
	reg(102, func(t *Task, a *[6]uint64) (uint64, error) { return uint64(t.P.Cred().UID), nil })
	reg(107, func(t *Task, a *[6]uint64) (uint64, error) { return uint64(t.P.Cred().EUID), nil })
	reg(104, func(t *Task, a *[6]uint64) (uint64, error) { return uint64(t.P.Cred().GID), nil })
	reg(108, func(t *Task, a *[6]uint64) (uint64, error) { return uint64(t.P.Cred().EGID), nil })
	reg(105, sysSetuid)
	reg(106, sysSetgid)
	reg(113, sysSetreuid)
	reg(114, sysSetregid)
	reg(117, sysSetresuid)
	reg(119, sysSetresgid)
	reg(118, sysGetresuid)
	reg(120, sysGetresgid)
	reg(115, func(t *Task, a *[6]uint64) (uint64, error) { return 0, nil }) // getgroups: none
	reg(116, func(t *Task, a *[6]uint64) (uint64, error) {                  // setgroups
		if t.P.Cred().EUID != 0 {
			return 0, abi.EPERM
		}
		return 0, nil
	})
	reg(109, sysSetpgid)
	reg(121, sysGetpgid)
	reg(111, func(t *Task, a *[6]uint64) (uint64, error) { return uint64(t.P.Pgid()), nil })
	reg(112, sysSetsid)
	reg(124, sysGetsid)
	reg(60, sysExit)
	reg(231, sysExitGroup)
	reg(61, sysWait4)
	reg(247, sysWaitid)
	reg(218, func(t *Task, a *[6]uint64) (uint64, error) { t.clearTID = a[0]; return uint64(t.TID), nil })
	reg(273, func(t *Task, a *[6]uint64) (uint64, error) {
		if a[1] != 24 {
			return 0, abi.EINVAL
		}
		t.robustList = a[0]
		return 0, nil
	})
	reg(274, sysGetRobustList)
	reg(158, sysArchPrctl)
	reg(157, sysPrctl)
	reg(302, sysPrlimit64)
	reg(97, func(t *Task, a *[6]uint64) (uint64, error) { return prlimit(t, 0, a[0], 0, a[1]) })
	reg(160, func(t *Task, a *[6]uint64) (uint64, error) { return prlimit(t, 0, a[0], a[1], 0) })
	reg(24, func(t *Task, a *[6]uint64) (uint64, error) { yieldThread(); return 0, nil })
	reg(203, sysSchedSetaffinity)
	reg(204, sysSchedGetaffinity)
	reg(309, sysGetcpu)
	reg(63, sysUname)
	reg(170, func(t *Task, a *[6]uint64) (uint64, error) { // sethostname
		if t.P.Cred().EUID != 0 {
			return 0, abi.EPERM
		}
		if a[1] > 64 {
			return 0, abi.EINVAL
		}
		b, err := t.copyIn(a[0], int(a[1]))
		if err != nil {
			return 0, err
		}
		procfs.SetHostname(string(b))
		return 0, nil
	})
	reg(99, sysSysinfo)
	reg(98, sysGetrusage)
	reg(100, sysTimes)
	reg(140, func(t *Task, a *[6]uint64) (uint64, error) { return 20, nil }) // getpriority: nice 0
	reg(141, func(t *Task, a *[6]uint64) (uint64, error) { return 0, nil })  // setpriority
	reg(135, func(t *Task, a *[6]uint64) (uint64, error) { return 0, nil })  // personality: PER_LINUX
	reg(143, func(t *Task, a *[6]uint64) (uint64, error) { return 0, nil })  // sched_getparam... (SCHED_OTHER)
	reg(145, func(t *Task, a *[6]uint64) (uint64, error) { return 0, nil })  // sched_getscheduler: SCHED_OTHER
	reg(146, func(t *Task, a *[6]uint64) (uint64, error) { return 0, nil })  // sched_get_priority_max
	reg(147, func(t *Task, a *[6]uint64) (uint64, error) { return 0, nil })  // sched_get_priority_min
}

// Credentials: root may set anything; others only to their real, effective
// or saved ids (the POSIX rules, without capabilities).
func setIDs(t *Task, f func(c *Cred, root bool) error) error {
	p := t.P
	c := p.Cred()
	if err := f(&c, c.EUID == 0); err != nil {
		return err
	}
	p.cred.Store(&c)
	return nil
}

func oneOf(v uint32, c ...uint32) bool {
	for _, x := range c {
		if v == x {
			return true
		}
	}
	return false
}

const keep = ^uint32(0) // -1: leave unchanged

func sysSetuid(t *Task, a *[6]uint64) (uint64, error) {
	u := uint32(a[0])
	return 0, setIDs(t, func(c *Cred, root bool) error {
		switch {
		case root:
			c.UID, c.EUID, c.SUID = u, u, u
		case oneOf(u, c.UID, c.SUID):
			c.EUID = u
		default:
			return abi.EPERM
		}
		return nil
	})
}

func sysSetgid(t *Task, a *[6]uint64) (uint64, error) {
	g := uint32(a[0])
	return 0, setIDs(t, func(c *Cred, root bool) error {
		switch {
		case root:
			c.GID, c.EGID, c.SGID = g, g, g
		case oneOf(g, c.GID, c.SGID):
			c.EGID = g
		default:
			return abi.EPERM
		}
		return nil
	})
}

func sysSetresuid(t *Task, a *[6]uint64) (uint64, error) {
	r, e, s := uint32(a[0]), uint32(a[1]), uint32(a[2])
	return 0, setIDs(t, func(c *Cred, root bool) error {
		for _, v := range []uint32{r, e, s} {
			if v != keep && !root && !oneOf(v, c.UID, c.EUID, c.SUID) {
				return abi.EPERM
			}
		}
		if r != keep {
			c.UID = r
		}
		if e != keep {
			c.EUID = e
		}
		if s != keep {
			c.SUID = s
		}
		return nil
	})
}

func sysSetresgid(t *Task, a *[6]uint64) (uint64, error) {
	r, e, s := uint32(a[0]), uint32(a[1]), uint32(a[2])
	return 0, setIDs(t, func(c *Cred, root bool) error {
		for _, v := range []uint32{r, e, s} {
			if v != keep && !root && !oneOf(v, c.GID, c.EGID, c.SGID) {
				return abi.EPERM
			}
		}
		if r != keep {
			c.GID = r
		}
		if e != keep {
			c.EGID = e
		}
		if s != keep {
			c.SGID = s
		}
		return nil
	})
}

func sysSetreuid(t *Task, a *[6]uint64) (uint64, error) {
	return sysSetresuid(t, &[6]uint64{a[0], a[1], uint64(keep)})
}

func sysSetregid(t *Task, a *[6]uint64) (uint64, error) {
	return sysSetresgid(t, &[6]uint64{a[0], a[1], uint64(keep)})
}

func sysGetresuid(t *Task, a *[6]uint64) (uint64, error) {
	c := t.P.Cred()
	for i, v := range []uint32{c.UID, c.EUID, c.SUID} {
		if err := t.writeU32(a[i], v); err != nil {
			return 0, err
		}
	}
	return 0, nil
}

func sysGetresgid(t *Task, a *[6]uint64) (uint64, error) {
	c := t.P.Cred()
	for i, v := range []uint32{c.GID, c.EGID, c.SGID} {
		if err := t.writeU32(a[i], v); err != nil {
			return 0, err
		}
	}
	return 0, nil
}

// setpgid(pid, pgid)
func sysSetpgid(t *Task, a *[6]uint64) (uint64, error) {
	pid, pgid := int(int32(a[0])), int(int32(a[1]))
	if pgid < 0 {
		return 0, abi.EINVAL
	}
	tasklist.Lock()
	defer tasklist.Unlock()
	p := t.P
	if pid != 0 && pid != p.PID {
		c := procs[pid]
		if c == nil || c.parent != p {
			return 0, abi.ESRCH
		}
		p = c
	}
	if pgid == 0 {
		pgid = p.PID
	}
	if p.sid == p.PID {
		return 0, abi.EPERM // a session leader cannot move
	}
	p.pgid = pgid
	return 0, nil
}

func sysGetpgid(t *Task, a *[6]uint64) (uint64, error) {
	pid := int(int32(a[0]))
	if pid == 0 {
		return uint64(t.P.Pgid()), nil
	}
	p, ok := Lookup(pid)
	if !ok {
		return 0, abi.ESRCH
	}
	return uint64(p.Pgid()), nil
}

func sysSetsid(t *Task, a *[6]uint64) (uint64, error) {
	tasklist.Lock()
	defer tasklist.Unlock()
	p := t.P
	for _, o := range procs {
		if o.pgid == p.PID {
			return 0, abi.EPERM // already a group leader
		}
	}
	p.sid, p.pgid = p.PID, p.PID
	return uint64(p.PID), nil
}

func sysGetsid(t *Task, a *[6]uint64) (uint64, error) {
	pid := int(int32(a[0]))
	p := t.P
	if pid != 0 {
		var ok bool
		if p, ok = Lookup(pid); !ok {
			return 0, abi.ESRCH
		}
	}
	tasklist.Lock()
	defer tasklist.Unlock()
	return uint64(p.sid), nil
}

// exit(code): this thread only; the process ends with its last thread.
func sysExit(t *Task, a *[6]uint64) (uint64, error) {
	p := t.P
	p.sig.Lock()
	if !p.groupExit {
		p.groupCode = exitedStatus(int(a[0]))
	}
	t.killed = true
	t.sigWork.Store(true)
	p.sig.Unlock()
	return 0, errNoReturn
}

// exit_group(code): every thread.
func sysExitGroup(t *Task, a *[6]uint64) (uint64, error) {
	t.P.startGroupExit(exitedStatus(int(a[0])))
	return 0, errNoReturn
}

// wait4(pid, wstatus, options, rusage)
func sysWait4(t *Task, a *[6]uint64) (uint64, error) {
	pid, stp, options, ru := int(int32(a[0])), a[1], int(a[2]), a[3]
	if options&^(WNOHANG|WUNTRACED|WCONTINUED|__WALL|__WCLONE|0x20000000 /* __WNOTHREAD */) != 0 {
		return 0, abi.EINVAL
	}
	got, st, c, err := t.waitChild(pid, options, false)
	if err != nil || got == 0 {
		return 0, err
	}
	if stp != 0 {
		if err := t.writeU32(stp, uint32(st)); err != nil {
			return 0, err
		}
	}
	if ru != 0 {
		if err := t.copyOut(ru, rusageOf(c)); err != nil {
			return 0, err
		}
	}
	return uint64(got), nil
}

// waitid(idtype, id, infop, options, rusage)
func sysWaitid(t *Task, a *[6]uint64) (uint64, error) {
	idtype, id, infop, options := a[0], int(int32(a[1])), a[2], int(a[3])
	if options&(WEXITED|WUNTRACED|WCONTINUED) == 0 || options&^(WNOHANG|WNOWAIT|WEXITED|WUNTRACED|WCONTINUED|__WALL|__WCLONE) != 0 {
		return 0, abi.EINVAL
	}
	var pid int
	switch idtype {
	case P_ALL:
		pid = -1
	case P_PID:
		if id <= 0 {
			return 0, abi.EINVAL
		}
		pid = id
	case P_PGID:
		if id < 0 {
			return 0, abi.EINVAL
		}
		pid = -id
		if id == 0 {
			pid = 0
		}
	default:
		return 0, abi.EINVAL // P_PIDFD: no pidfds
	}
	if options&WEXITED == 0 {
		// Only stops and continues asked for: never reported here.
		if options&WNOHANG != 0 {
			return 0, nil
		}
	}
	got, st, _, err := t.waitChild(pid, options, options&WNOWAIT != 0)
	if err != nil {
		return 0, err
	}
	if infop != 0 {
		info := SigInfo{}
		if got != 0 {
			info = SigInfo{Signo: SIGCHLD, Pid: int32(got), child: true}
			switch {
			case st&0x7f == 0:
				info.Code, info.Status = CLD_EXITED, int32(st>>8&0xff)
			case st&0x80 != 0:
				info.Code, info.Status = CLD_DUMPED, int32(st&0x7f)
			default:
				info.Code, info.Status = CLD_KILLED, int32(st&0x7f)
			}
		}
		if err := t.copyOut(infop, info.Encode()); err != nil {
			return 0, err
		}
	}
	return 0, nil
}

func rusageOf(p *Process) []byte {
	b := make([]byte, 144)
	var ut, st uint64
	if p != nil {
		for _, t := range p.Threads() {
			ut += t.utime.Load()
			st += t.stime.Load()
		}
	}
	le := binary.LittleEndian
	le.PutUint64(b[0:], ut/1e9)
	le.PutUint64(b[8:], ut%1e9/1e3)
	le.PutUint64(b[16:], st/1e9)
	le.PutUint64(b[24:], st%1e9/1e3)
	switch {
	case p == nil:
	case p.memGone.Load():
		le.PutUint64(b[32:], p.finalRSS*4)
		le.PutUint64(b[64:], p.finalFaults)
	default:
		m := p.MM()
		le.PutUint64(b[32:], m.RSSPages()*4)        // ru_maxrss (kB; the current RSS)
		le.PutUint64(b[64:], m.Stats.Faults.Load()) // ru_minflt: every fault of the address space
	}
	return b
}

func sysGetRobustList(t *Task, a *[6]uint64) (uint64, error) {
	tid := int(int32(a[0]))
	target := t
	if tid != 0 {
		var ok bool
		if target, ok = LookupTask(tid); !ok {
			return 0, abi.ESRCH
		}
	}
	if err := t.writeU64(a[1], target.robustList); err != nil {
		return 0, err
	}
	return 0, t.writeU64(a[2], 24)
}

// arch_prctl codes.
const (
	ARCH_SET_GS = 0x1001
	ARCH_SET_FS = 0x1002
	ARCH_GET_FS = 0x1003
	ARCH_GET_GS = 0x1004
)

func sysArchPrctl(t *Task, a *[6]uint64) (uint64, error) {
	code, addr := a[0], a[1]
	switch code {
	case ARCH_SET_FS, ARCH_SET_GS:
		if addr >= uint64(mm.UserEnd) {
			return 0, abi.EPERM
		}
		if code == ARCH_SET_FS {
			t.Regs.FSBase = addr
		} else {
			t.Regs.GSBase = addr
		}
		return 0, nil
	case ARCH_GET_FS:
		return 0, t.writeU64(addr, t.Regs.FSBase)
	case ARCH_GET_GS:
		return 0, t.writeU64(addr, t.Regs.GSBase)
	}
	return 0, abi.EINVAL
}

// prctl options.
const (
	PR_SET_PDEATHSIG       = 1
	PR_GET_PDEATHSIG       = 2
	PR_GET_DUMPABLE        = 3
	PR_SET_DUMPABLE        = 4
	PR_SET_NAME            = 15
	PR_GET_NAME            = 16
	PR_SET_NO_NEW_PRIVS    = 38
	PR_GET_NO_NEW_PRIVS    = 39
	PR_SET_CHILD_SUBREAPER = 36
	PR_GET_CHILD_SUBREAPER = 37
)

func sysPrctl(t *Task, a *[6]uint64) (uint64, error) {
	switch a[0] {
	case PR_SET_NAME:
		s, err := t.readString(a[1], 15)
		if err == abi.ENAMETOOLONG {
			b, err2 := t.copyIn(a[1], 15)
			if err2 != nil {
				return 0, err2
			}
			s, err = string(b), nil
		}
		if err != nil {
			return 0, err
		}
		t.P.comm.Store(&s)
		return 0, nil
	case PR_GET_NAME:
		b := make([]byte, 16)
		copy(b, t.P.Comm())
		return 0, t.copyOut(a[1], b)
	case PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_SET_NO_NEW_PRIVS:
		return 0, nil
	case PR_GET_DUMPABLE:
		return 1, nil
	case PR_GET_NO_NEW_PRIVS:
		return 0, nil
	case PR_GET_PDEATHSIG:
		return 0, t.writeU32(a[1], 0)
	}
	return 0, abi.EINVAL
}

// prlimit64(pid, resource, new, old)
func sysPrlimit64(t *Task, a *[6]uint64) (uint64, error) {
	return prlimit(t, int(int32(a[0])), a[1], a[2], a[3])
}

func prlimit(t *Task, pid int, res, newp, oldp uint64) (uint64, error) {
	if res >= RLIM_NLIMITS {
		return 0, abi.EINVAL
	}
	p := t.P
	if pid != 0 && pid != p.PID {
		var ok bool
		if p, ok = Lookup(pid); !ok {
			return 0, abi.ESRCH
		}
	}
	old := p.limits.get(int(res))
	if newp != 0 {
		b, err := t.copyIn(newp, 16)
		if err != nil {
			return 0, err
		}
		le := binary.LittleEndian
		nv := Rlimit{le.Uint64(b), le.Uint64(b[8:])}
		var serr error
		if old, serr = p.limits.set(int(res), nv, t.P.Cred().EUID == 0); serr != nil {
			return 0, serr
		}
		if res == RLIMIT_NOFILE {
			_ = t.FS.Files.SetLimit(int(min(nv.Cur, 1<<20)))
		}
	}
	if oldp != 0 {
		b := make([]byte, 16)
		binary.LittleEndian.PutUint64(b, old.Cur)
		binary.LittleEndian.PutUint64(b[8:], old.Max)
		if err := t.copyOut(oldp, b); err != nil {
			return 0, err
		}
	}
	return 0, nil
}

// sched_setaffinity(pid, size, mask): the thread runs only on those CPUs
// (EINVAL if none is online).
func sysSchedSetaffinity(t *Task, a *[6]uint64) (uint64, error) {
	target := t
	if tid := int(int32(a[0])); tid != 0 && tid != t.TID {
		var ok bool
		if target, ok = LookupTask(tid); !ok {
			return 0, abi.ESRCH
		}
	}
	n := min(a[1], 128)
	b, err := t.copyIn(a[2], int(n))
	if err != nil {
		return 0, err
	}
	var mask uint32
	for i := 0; i < smp.Count() && i/8 < len(b); i++ {
		if b[i/8]&(1<<(i%8)) != 0 {
			mask |= 1 << i
		}
	}
	if mask == 0 {
		return 0, abi.EINVAL
	}
	if mask == 1<<smp.Count()-1 {
		mask = 0 // every CPU
	}
	target.affinity.Store(mask)
	if target == t {
		setAffinity(mask)
	} else {
		// Another thread's goroutine applies the mask before it next
		// enters ring 3; a kick brings it out if it is there now.
		kickTask(target)
	}
	return 0, nil
}

func sysSchedGetaffinity(t *Task, a *[6]uint64) (uint64, error) {
	target := t
	if tid := int(int32(a[0])); tid != 0 && tid != t.TID {
		var ok bool
		if target, ok = LookupTask(tid); !ok {
			return 0, abi.ESRCH
		}
	}
	size := a[1]
	if size < 8 || size&7 != 0 {
		return 0, abi.EINVAL
	}
	mask := target.affinity.Load()
	if mask == 0 {
		mask = 1<<smp.Count() - 1
	}
	b := make([]byte, 8)
	binary.LittleEndian.PutUint32(b, mask)
	if err := t.copyOut(a[2], b); err != nil {
		return 0, err
	}
	return 8, nil
}

func sysGetcpu(t *Task, a *[6]uint64) (uint64, error) {
	cpu := uint32(t.CPU())
	if a[0] != 0 {
		if err := t.writeU32(a[0], cpu); err != nil {
			return 0, err
		}
	}
	if a[1] != 0 {
		if err := t.writeU32(a[1], 0); err != nil {
			return 0, err
		}
	}
	return 0, nil
}

// sysUname answers with procfs.UTS: sysname "Linux" and a release glibc
// accepts (glibc checks the major version against its minimum kernel).
func sysUname(t *Task, a *[6]uint64) (uint64, error) {
	u := procfs.UTS()
	b := make([]byte, 65*6)
	for i, s := range []string{u.Sysname, u.Nodename, u.Release, u.Version, u.Machine, u.Domainname} {
		copy(b[i*65:i*65+64], s)
	}
	return 0, t.copyOut(a[0], b)
}

func sysSysinfo(t *Task, a *[6]uint64) (uint64, error) {
	b := make([]byte, 112)
	le := binary.LittleEndian
	le.PutUint64(b[0:], clock.Nanotime()/1e9) // uptime
	st := phys.Frames.Stats()
	le.PutUint64(b[32:], st.Total*phys.PageSize) // totalram
	le.PutUint64(b[40:], st.Free*phys.PageSize)  // freeram
	n, _ := Count()
	binary.LittleEndian.PutUint16(b[80:], uint16(n)) // procs
	le.PutUint32(b[104:], 1)                         // mem_unit
	return 0, t.copyOut(a[0], b)
}

const (
	RUSAGE_SELF     = 0
	RUSAGE_CHILDREN = ^uint64(0)
	RUSAGE_THREAD   = 1
)

func sysGetrusage(t *Task, a *[6]uint64) (uint64, error) {
	switch a[0] {
	case RUSAGE_SELF, RUSAGE_THREAD:
		return 0, t.copyOut(a[1], rusageOf(t.P))
	case RUSAGE_CHILDREN:
		return 0, t.copyOut(a[1], rusageOf(nil))
	}
	return 0, abi.EINVAL
}

func sysTimes(t *Task, a *[6]uint64) (uint64, error) {
	ticks := clock.Nanotime() / 1e7 // clock ticks of 100 Hz
	if a[0] != 0 {
		var ut, st uint64
		for _, o := range t.P.Threads() {
			ut += o.utime.Load()
			st += o.stime.Load()
		}
		b := make([]byte, 32)
		binary.LittleEndian.PutUint64(b, ut/1e7)
		binary.LittleEndian.PutUint64(b[8:], st/1e7)
		if err := t.copyOut(a[0], b); err != nil {
			return 0, err
		}
	}
	return ticks, nil
}
