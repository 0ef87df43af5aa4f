// procfs.go: the tree of /proc — the system-wide files, /proc/sys, and a
// directory per process made on demand and kept while the process lives.

// trapctx: process context only

package procfs

import (
	"bytes"
	"strconv"
	"strings"
	"sync/atomic"

	"retract/kernel/abi"
	"retract/kernel/fs"
	"retract/lockdep"
	"retract/mm"
)

var classPids = lockdep.Register("procfs.mu", lockdep.Sleep)

// Proc is a /proc instance: a synthetic file system of one namespace.
type Proc struct {
	vfs  *fs.VFS
	fs   *fs.FS
	load loadAvg

	// mu (procfs.mu) protects pids, the directories made for processes,
	// each kept until a lookup or listing finds its process gone, and
	// load. It is taken in callbacks (under fs.File.posMu, or nothing)
	// and nothing is taken under it.
	mu   lockdep.Mutex
	pids map[int]*pidDir
}

// New builds /proc for the namespace v (its mounts file lists v's
// mounts); Mount puts it at /proc.
func New(v *fs.VFS) *Proc {
	p := &Proc{vfs: v, pids: map[int]*pidDir{}}
	p.mu.Class = classPids
	root := &fs.Synthetic{Mode: abi.S_IFDIR | 0o555}
	fixed := p.fixedEntries()
	root.Entries = func(caller any) ([]fs.SynthEntry, error) {
		ents := append([]fs.SynthEntry(nil), fixed...)
		pids := list()
		for _, pid := range pids {
			if d := p.pidDir(pid); d != nil {
				ents = append(ents, fs.SynthEntry{Name: strconv.Itoa(pid), Node: d.dir})
			}
		}
		p.prune(pids)
		return ents, nil
	}
	root.Lookup = func(caller any, name string) (*fs.Synthetic, error) {
		for _, e := range fixed {
			if e.Name == name {
				return e.Node, nil
			}
		}
		pid, err := strconv.Atoi(name)
		if err != nil || pid <= 0 || strconv.Itoa(pid) != name {
			return nil, abi.ENOENT
		}
		if _, ok := lookup(pid); !ok {
			p.forget(pid)
			return nil, abi.ENOENT
		}
		return p.pidDir(pid).dir, nil
	}
	p.fs = v.NewSyntheticFS("proc", abi.PROC_SUPER_MAGIC, root)
	return p
}

// Mount builds /proc for v and mounts it at /proc.
func Mount(v *fs.VFS) (*Proc, error) {
	p := New(v)
	if err := v.Mount("/proc", p.fs); err != nil {
		return nil, err
	}
	return p, nil
}

// FS returns the synthetic file system.
func (p *Proc) FS() *fs.FS { return p.fs }

// file makes a read-only file node.
func file(read func(caller any) ([]byte, error)) *fs.Synthetic {
	return fs.SynthFile(0o444, read)
}

// fixedEntries are /proc's system-wide names, in getdents order.
func (p *Proc) fixedEntries() []fs.SynthEntry {
	self := &fs.Synthetic{Mode: abi.S_IFLNK | 0o777, Readlink: func(caller any) (string, error) {
		pr, ok := self(caller)
		if !ok {
			return "", abi.ENOENT
		}
		return strconv.Itoa(pr.PID()), nil
	}}
	return []fs.SynthEntry{
		{Name: "cpuinfo", Node: file(func(any) ([]byte, error) { return cpuinfo(src.CPUs()), nil })},
		{Name: "filesystems", Node: file(func(any) ([]byte, error) { return filesystems(), nil })},
		{Name: "loadavg", Node: file(func(any) ([]byte, error) {
			running, total := src.Threads()
			up, _ := src.Uptime()
			p.mu.Lock()
			p.load.catchUp(up, running)
			avg := p.load.get()
			p.mu.Unlock()
			last := 0
			if LastPID != nil {
				last = LastPID()
			} else if pids := list(); len(pids) > 0 {
				last = pids[len(pids)-1]
			}
			return loadavg(avg, running, total, last), nil
		})},
		{Name: "meminfo", Node: file(func(any) ([]byte, error) { return meminfo(src.MemInputs()), nil })},
		{Name: "mounts", Node: &fs.Synthetic{Mode: abi.S_IFLNK | 0o777, Readlink: func(any) (string, error) { return "self/mounts", nil }}},
		{Name: "self", Node: self},
		{Name: "stat", Node: file(func(any) ([]byte, error) { return procStat(src.Stat()), nil })},
		{Name: "sys", Node: sysDir()},
		{Name: "uptime", Node: file(func(any) ([]byte, error) { up, idle := src.Uptime(); return uptime(up, idle), nil })},
		{Name: "version", Node: file(func(any) ([]byte, error) { return version(), nil })},
		{Name: "vmstat", Node: file(func(any) ([]byte, error) { return vmstat(readVMStat()), nil })},
	}
}

// version prints /proc/version.
func version() []byte {
	u := UTS()
	return []byte("Linux version " + u.Release + " (retract@retract) (go) " + u.Version + "\n")
}

// filesystems prints /proc/filesystems: the types this kernel can make,
// in Linux's registration order, none needing a device.
func filesystems() []byte {
	var b strings.Builder
	for _, t := range []string{"sysfs", "tmpfs", "proc", "devtmpfs", "pipefs", "ramfs"} {
		b.WriteString("nodev\t" + t + "\n")
	}
	return []byte(b.String())
}

// mounts prints /proc/PID/mounts (and so /proc/mounts): "source dir type
// options 0 0", names escaped as Linux's mangle does (space, tab, newline
// and backslash in octal).
func mounts(ms []fs.MountInfo) []byte {
	esc := strings.NewReplacer(" ", `\040`, "\t", `\011`, "\n", `\012`, `\`, `\134`)
	var b strings.Builder
	for _, m := range ms {
		opts := "rw,relatime"
		if m.Dir == "/" {
			opts = "rw"
		}
		b.WriteString(esc.Replace(m.Source) + " " + esc.Replace(m.Dir) + " " + m.Type + " " + opts + " 0 0\n")
	}
	return []byte(b.String())
}

// pidDir returns the directory of pid, made on first use.
func (p *Proc) pidDir(pid int) *pidDir {
	p.mu.Lock()
	defer p.mu.Unlock()
	if d := p.pids[pid]; d != nil {
		return d
	}
	d := newPidDir(p, pid)
	p.pids[pid] = d
	return d
}

// prune drops the directories of processes that are not in live.
func (p *Proc) prune(live []int) {
	alive := make(map[int]bool, len(live))
	for _, pid := range live {
		alive[pid] = true
	}
	var gone []int
	p.mu.Lock()
	for pid := range p.pids {
		if !alive[pid] {
			gone = append(gone, pid)
		}
	}
	p.mu.Unlock()
	for _, pid := range gone {
		p.forget(pid)
	}
}

// forget drops pid's directory and its inodes (after procfs.mu: fs's
// synthMu is not taken under it).
func (p *Proc) forget(pid int) {
	p.mu.Lock()
	d := p.pids[pid]
	delete(p.pids, pid)
	p.mu.Unlock()
	if d != nil {
		p.fs.ForgetSynthetic(d.allNodes()...)
	}
}

// sysDir is /proc/sys: the few sysctls programs read.
func sysDir() *fs.Synthetic {
	vm := fs.SynthDir(0o555,
		fs.SynthEntry{Name: "drop_caches", Node: &fs.Synthetic{Mode: abi.S_IFREG | 0o200,
			Read: func(any) ([]byte, error) { return []byte(strconv.FormatInt(dropCaches.Load(), 10) + "\n"), nil },
			Write: func(_ any, b []byte) (int, error) {
				v, err := parseInt(b, 1, 4)
				if err != nil {
					return 0, err
				}
				// Every file's pages live only in the page cache (tmpfs,
				// ramfs, memfd): nothing is clean and reclaimable, so,
				// as Linux does for tmpfs, there is nothing to drop.
				dropCaches.Store(v)
				return len(b), nil
			}}},
		// Fixed: heuristic overcommit, what mm.DoMmap checks.
		fs.SynthEntry{Name: "overcommit_memory", Node: file(func(any) ([]byte, error) { return []byte("0\n"), nil })},
		// Fixed: the lowest address mmap gives (mm.UserBase).
		fs.SynthEntry{Name: "mmap_min_addr", Node: file(func(any) ([]byte, error) {
			return []byte(strconv.FormatUint(uint64(mm.UserBase), 10) + "\n"), nil
		})},
	)
	kernel := fs.SynthDir(0o555,
		fs.SynthEntry{Name: "hostname", Node: &fs.Synthetic{Mode: abi.S_IFREG | 0o644,
			Read: func(any) ([]byte, error) { return []byte(UTS().Nodename + "\n"), nil },
			Write: func(_ any, b []byte) (int, error) {
				SetHostname(string(sysctlString(b, utsLen)))
				return len(b), nil
			}}},
		fs.SynthEntry{Name: "osrelease", Node: file(func(any) ([]byte, error) { return []byte(UTS().Release + "\n"), nil })},
		fs.SynthEntry{Name: "ostype", Node: file(func(any) ([]byte, error) { return []byte(UTS().Sysname + "\n"), nil })},
		fs.SynthEntry{Name: "pid_max", Node: &fs.Synthetic{Mode: abi.S_IFREG | 0o644,
			Read: func(any) ([]byte, error) { return []byte(strconv.FormatInt(PIDMax.Load(), 10) + "\n"), nil },
			Write: func(_ any, b []byte) (int, error) {
				v, err := parseInt(b, pidMaxMin, pidMaxLimit)
				if err != nil {
					return 0, err
				}
				PIDMax.Store(v)
				return len(b), nil
			}}},
	)
	return fs.SynthDir(0o555, fs.SynthEntry{Name: "kernel", Node: kernel}, fs.SynthEntry{Name: "vm", Node: vm})
}

var dropCaches atomic.Int64

// parseInt reads one integer as proc_dointvec_minmax does: blanks around
// it, a sign, decimal digits; EINVAL for anything else or a value out of
// [lo, hi].
func parseInt(b []byte, lo, hi int64) (int64, error) {
	s := strings.TrimSpace(string(bytes.TrimRight(b, "\x00")))
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v < lo || v > hi {
		return 0, abi.EINVAL
	}
	return v, nil
}

// sysctlString takes a string sysctl's new value as proc_dostring does:
// up to the first newline or NUL, cut to max bytes.
func sysctlString(b []byte, max int) []byte {
	if i := bytes.IndexAny(b, "\n\x00"); i >= 0 {
		b = b[:i]
	}
	if len(b) > max {
		b = b[:max]
	}
	return b
}

// The pid_max bounds (RESERVED_PIDS+1 and PID_MAX_LIMIT on 64-bit).
const (
	pidMaxMin     = 301
	pidMaxLimit   = 4 << 20
	pidMaxDefault = 32768
)

// PIDMax is kernel.pid_max: the process layer hands out ids below it.
var PIDMax atomic.Int64

func init() { PIDMax.Store(pidMaxDefault) }

// UTSName is what uname(2) returns and /proc/sys/kernel shows.
type UTSName struct {
	Sysname, Nodename, Release, Version, Machine, Domainname string
}

// utsLen is the longest field (__NEW_UTS_LEN).
const utsLen = 64

var hostname atomic.Pointer[string]

// UTS returns the system's names (uname(2) reads the same).
func UTS() UTSName {
	h := "retract"
	if p := hostname.Load(); p != nil {
		h = *p
	}
	return UTSName{Sysname: "Linux", Nodename: h, Release: "6.1.0-retract", Version: "#1 SMP PREEMPT_DYNAMIC retract",
		Machine: "x86_64", Domainname: "(none)"}
}

// SetHostname sets the node name (sethostname(2), or a write to
// /proc/sys/kernel/hostname), cut to 64 bytes.
func SetHostname(name string) {
	if len(name) > utsLen {
		name = name[:utsLen]
	}
	hostname.Store(&name)
}

// memOf is what the per-process files need from a process's address
// space: its VMAs with their usage and names.
func memOf(pr Process, usage bool) (vmas []mm.VMAInfo, names []MapName, ok bool) {
	m := pr.MM()
	if m == nil {
		return nil, nil, false
	}
	m.ForEachVMA(usage, func(v *mm.VMAInfo) bool {
		vmas = append(vmas, *v)
		return true
	})
	for i := range vmas {
		names = append(names, pr.MapName(&vmas[i]))
	}
	return vmas, names, true
}
