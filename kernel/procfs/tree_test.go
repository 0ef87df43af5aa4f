package procfs

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"retract/kernel/abi"
	"retract/kernel/fs"
	"retract/lockdep"
	"retract/mm"
)

// The package's tests run with the lock validator on, as kernel/fs's do:
// at the end, no report, and every order it learned is in
// docs/locking.md (procfs.mu under fs.File.posMu, and so on).
var (
	reportsMu sync.Mutex
	reports   []lockdep.Report
)

func goid() uintptr {
	var b [64]byte
	s := b[:runtime.Stack(b[:], false)]
	s = bytes.TrimPrefix(s, []byte("goroutine "))
	if i := bytes.IndexByte(s, ' '); i > 0 {
		n, _ := strconv.ParseUint(string(s[:i]), 10, 64)
		return uintptr(n) << 4
	}
	return 1
}

func TestMain(m *testing.M) {
	lockdep.SetMachine(lockdep.Machine{
		CPU:       func() int { return 0 },
		Nesting:   func() int { return 0 },
		IRQsOn:    func() bool { return true },
		Preempt:   func() int32 { return 0 },
		G:         goid,
		IRQSave:   func() (uintptr, bool) { return 0, true },
		IRQRestor: func(uintptr) {},
		Callers:   func() (pcs [lockdep.StackDepth]uintptr) { return },
		Report: func(r lockdep.Report) {
			reportsMu.Lock()
			reports = append(reports, r)
			reportsMu.Unlock()
		},
	})
	lockdep.Enable()
	code := m.Run()
	if code == 0 {
		if err := checkLockdep(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	os.Exit(code)
}

func checkLockdep() error {
	reportsMu.Lock()
	defer reportsMu.Unlock()
	for _, r := range reports {
		return fmt.Errorf("lockdep: %v report on %s (other %s)", r.Kind, r.Class.Name(), r.Other.Name())
	}
	doc, err := os.ReadFile("../../docs/locking.md")
	if err != nil {
		return err
	}
	tree, err := lockdep.ParseTree(string(doc))
	if err != nil {
		return err
	}
	for _, e := range lockdep.Edges() {
		if !tree.Allows(e[0], e[1]) {
			return fmt.Errorf("lockdep: order %s -> %s is not in docs/locking.md", e[0], e[1])
		}
	}
	return nil
}

// fakeProc is a Process without an address space (the host has none to
// give); kernel/suites reads the files of a real one.
type fakeProc struct {
	pid   int
	stat  Stat
	files *fs.FDTable
	tasks []Process
}

func (p *fakeProc) PID() int                    { return p.pid }
func (p *fakeProc) Stat() Stat                  { return p.stat }
func (p *fakeProc) MM() *mm.MM                  { return nil }
func (p *fakeProc) MapName(*mm.VMAInfo) MapName { return MapName{} }
func (p *fakeProc) Cmdline() []byte             { return []byte("/sbin/init\x00-v\x00") }
func (p *fakeProc) Environ() []byte             { return []byte("HOME=/\x00") }
func (p *fakeProc) Auxv() []byte                { return make([]byte, 16) }
func (p *fakeProc) Exe() string                 { return "/sbin/init" }
func (p *fakeProc) Cwd() string                 { return "/tmp" }
func (p *fakeProc) Root() string                { return "/" }
func (p *fakeProc) Files() *fs.FDTable          { return p.files }
func (p *fakeProc) Tasks() []Process            { return append([]Process{p}, p.tasks...) }

// procEnv is a namespace with /proc and /sys mounted, fake kernel
// sources and a process table of fake processes.
type procEnv struct {
	v    *fs.VFS
	proc *Proc
	mu   sync.Mutex
	ps   map[int]*fakeProc
}

func newProcEnv(t *testing.T) *procEnv {
	t.Helper()
	v, err := fs.NewVFS(fs.Config{})
	if err != nil {
		t.Fatal(err)
	}
	e := &procEnv{v: v, ps: map[int]*fakeProc{}}
	src = sources{
		Mem:       testMem,
		MemInputs: func() MemInputs { return MemInputs{Mem: testMem()} },
		CPUs:      func() []CPUInfo { return []CPUInfo{identify(qemu64)} },
		Stat:      func() StatInputs { return StatInputs{CPUs: []CPUTime{{Busy: 1e9, Idle: 2e9}}} },
		Uptime:    func() (time.Duration, time.Duration) { return 3 * time.Second, 2 * time.Second },
		Threads:   func() (int, int) { return 1, 5 },
	}
	t.Cleanup(func() { src = kernelSources(); Lookup, List, Self = nil, nil, nil })
	Lookup = func(pid int) (Process, bool) {
		e.mu.Lock()
		defer e.mu.Unlock()
		p, ok := e.ps[pid]
		return p, ok
	}
	List = func() []int {
		e.mu.Lock()
		defer e.mu.Unlock()
		var out []int
		for pid := 1; pid < 100; pid++ {
			if e.ps[pid] != nil {
				out = append(out, pid)
			}
		}
		return out
	}
	Self = func(caller any) (Process, bool) { p, ok := caller.(*fakeProc); return p, ok }
	if e.proc, err = Mount(v); err != nil {
		t.Fatal(err)
	}
	return e
}

// add makes process pid (with thread pid+1) whose descriptor 0 is
// /tmp/f open read-write.
func (e *procEnv) add(t *testing.T, pid int) *fakeProc {
	tk := e.v.NewTask()
	fd, err := fs.Openat(tk, abi.AT_FDCWD, "/tmp/f", abi.O_CREAT|abi.O_RDWR, 0o644)
	if err != nil || fd != 0 {
		t.Fatalf("open: %d %v", fd, err)
	}
	st := testStat()
	st.TGID = pid
	p := &fakeProc{pid: pid, stat: st, files: tk.Files}
	tst := st
	tst.Comm = "worker"
	p.tasks = []Process{&fakeProc{pid: pid + 1, stat: tst, files: tk.Files}}
	e.mu.Lock()
	e.ps[pid] = p
	e.mu.Unlock()
	return p
}

func (e *procEnv) remove(pid int) {
	e.mu.Lock()
	delete(e.ps, pid)
	e.mu.Unlock()
}

// task returns a task of the namespace whose Proc is p.
func (e *procEnv) task(p Process) *fs.Task {
	tk := e.v.NewTask()
	tk.Proc = p
	return tk
}

func read(t *testing.T, tk *fs.Task, path string) (string, error) {
	t.Helper()
	fd, err := fs.Openat(tk, abi.AT_FDCWD, path, abi.O_RDONLY, 0)
	if err != nil {
		return "", err
	}
	defer fs.Close(tk, fd)
	var out []byte
	buf := make([]byte, 100) // small reads: the snapshot must hold across them
	for {
		n, err := fs.Read(tk, fd, buf)
		if err != nil {
			return string(out), err
		}
		if n == 0 {
			return string(out), nil
		}
		out = append(out, buf[:n]...)
	}
}

func mustRead(t *testing.T, tk *fs.Task, path string) string {
	t.Helper()
	s, err := read(t, tk, path)
	if err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	return s
}

func write(tk *fs.Task, path, s string) error {
	fd, err := fs.Openat(tk, abi.AT_FDCWD, path, abi.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer fs.Close(tk, fd)
	n, err := fs.Write(tk, fd, []byte(s))
	if err == nil && n != len(s) {
		err = fmt.Errorf("short write %d of %d", n, len(s))
	}
	return err
}

func names(t *testing.T, tk *fs.Task, dir string) []string {
	t.Helper()
	fd, err := fs.Openat(tk, abi.AT_FDCWD, dir, abi.O_RDONLY|abi.O_DIRECTORY, 0)
	if err != nil {
		t.Fatalf("open %s: %v", dir, err)
	}
	defer fs.Close(tk, fd)
	var out []string
	buf := make([]byte, 4096)
	for {
		n, err := fs.Getdents64(tk, fd, buf)
		if err != nil {
			t.Fatalf("getdents %s: %v", dir, err)
		}
		if n == 0 {
			return out
		}
		ds, err := abi.ParseDirents64(buf[:n])
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range ds {
			if d.Name != "." && d.Name != ".." {
				out = append(out, d.Name)
			}
		}
	}
}

// The system-wide files read through fs what their format functions make
// of the kernel's state.
func TestSystemFiles(t *testing.T) {
	e := newProcEnv(t)
	tk := e.task(nil)
	if got, want := mustRead(t, tk, "/proc/meminfo"), string(meminfo(MemInputs{Mem: testMem()})); got != want {
		t.Errorf("/proc/meminfo reads\n%s", got)
	}
	if got := mustRead(t, tk, "/proc/uptime"); got != "3.00 2.00\n" {
		t.Errorf("/proc/uptime %q", got)
	}
	if got := mustRead(t, tk, "/proc/loadavg"); got != "0.00 0.00 0.00 1/5 0\n" {
		t.Errorf("/proc/loadavg %q", got)
	}
	if got := mustRead(t, tk, "/proc/cpuinfo"); !strings.HasPrefix(got, "processor\t: 0\nvendor_id\t: AuthenticAMD\n") {
		t.Errorf("/proc/cpuinfo %q", got)
	}
	if got := mustRead(t, tk, "/proc/stat"); !strings.HasPrefix(got, "cpu  0 0 100 200 0 0 0 0 0 0\ncpu0 ") {
		t.Errorf("/proc/stat %q", got)
	}
	if got := mustRead(t, tk, "/proc/vmstat"); !strings.Contains(got, "\nthp_fault_alloc ") || !strings.Contains(got, "\npt_retracted ") {
		t.Errorf("/proc/vmstat %q", got)
	}
	if got := mustRead(t, tk, "/proc/filesystems"); !strings.Contains(got, "nodev\tproc\n") || !strings.Contains(got, "nodev\ttmpfs\n") {
		t.Errorf("/proc/filesystems %q", got)
	}
	if got := mustRead(t, tk, "/proc/version"); !strings.HasPrefix(got, "Linux version 6.1.0-retract ") {
		t.Errorf("/proc/version %q", got)
	}
	for _, n := range []string{"cpuinfo", "filesystems", "loadavg", "meminfo", "mounts", "self", "stat", "sys", "uptime", "version", "vmstat"} {
		var st abi.Stat
		st, err := fs.Newfstatat(tk, abi.AT_FDCWD, "/proc/"+n, abi.AT_SYMLINK_NOFOLLOW)
		if err != nil {
			t.Errorf("stat /proc/%s: %v", n, err)
		} else if n == "self" || n == "mounts" {
			if st.Mode&abi.S_IFMT != abi.S_IFLNK {
				t.Errorf("/proc/%s is not a symbolic link: %#o", n, st.Mode)
			}
		}
	}
	st, err := fs.Statfs(tk, "/proc")
	if err != nil || st.Type != abi.PROC_SUPER_MAGIC {
		t.Errorf("statfs /proc: %+v %v", st, err)
	}
}

func TestSysctl(t *testing.T) {
	e := newProcEnv(t)
	tk := e.task(nil)
	for _, c := range []struct{ path, want string }{
		{"/proc/sys/kernel/ostype", "Linux\n"},
		{"/proc/sys/kernel/osrelease", "6.1.0-retract\n"},
		{"/proc/sys/kernel/pid_max", "32768\n"},
		{"/proc/sys/kernel/hostname", "retract\n"},
		{"/proc/sys/vm/mmap_min_addr", "65536\n"},
		{"/proc/sys/vm/overcommit_memory", "0\n"},
	} {
		if got := mustRead(t, tk, c.path); got != c.want {
			t.Errorf("%s reads %q, want %q", c.path, got, c.want)
		}
	}
	defer SetHostname("retract")
	if err := write(tk, "/proc/sys/kernel/hostname", "box\n"); err != nil {
		t.Errorf("writing hostname: %v", err)
	}
	if got := mustRead(t, tk, "/proc/sys/kernel/hostname"); got != "box\n" || UTS().Nodename != "box" {
		t.Errorf("hostname after a write: %q (uname %q)", got, UTS().Nodename)
	}
	long := strings.Repeat("h", 70)
	if err := write(tk, "/proc/sys/kernel/hostname", long); err != nil || UTS().Nodename != long[:64] {
		t.Errorf("a 70-byte hostname: %v, %q", err, UTS().Nodename)
	}
	defer PIDMax.Store(pidMaxDefault)
	for _, c := range []struct {
		v   string
		err error
	}{{"4096\n", nil}, {"300", abi.EINVAL}, {"4194305", abi.EINVAL}, {"12x", abi.EINVAL}, {"", abi.EINVAL}, {" 1000 \n", nil}} {
		if err := write(tk, "/proc/sys/kernel/pid_max", c.v); !errors.Is(err, c.err) && (err != nil || c.err != nil) {
			t.Errorf("pid_max <- %q: %v, want %v", c.v, err, c.err)
		}
	}
	if PIDMax.Load() != 1000 {
		t.Errorf("pid_max is %d after writing 1000", PIDMax.Load())
	}
	if err := fs.Close(tk, 99); !errors.Is(err, abi.EBADF) {
		t.Fatal(err)
	}
	if _, err := fs.Openat(tk, abi.AT_FDCWD, "/proc/sys/kernel/ostype", abi.O_WRONLY, 0); !errors.Is(err, abi.EACCES) {
		t.Errorf("opening ostype for writing: %v, want EACCES", err)
	}
	for _, c := range []struct {
		v   string
		err error
	}{{"3\n", nil}, {"1", nil}, {"0", abi.EINVAL}, {"5", abi.EINVAL}} {
		if err := write(tk, "/proc/sys/vm/drop_caches", c.v); !errors.Is(err, c.err) && (err != nil || c.err != nil) {
			t.Errorf("drop_caches <- %q: %v, want %v", c.v, err, c.err)
		}
	}
}

func TestProcessDirs(t *testing.T) {
	e := newProcEnv(t)
	p1 := e.add(t, 1)
	e.add(t, 7)
	tk := e.task(p1)
	if l, err := fs.Readlinkat(tk, abi.AT_FDCWD, "/proc/self", 100); err != nil || string(l) != "1" {
		t.Errorf("readlink /proc/self: %q %v", l, err)
	}
	if got := names(t, tk, "/proc"); strings.Join(got[len(got)-2:], " ") != "1 7" {
		t.Errorf("/proc lists %q, want the processes 1 and 7 last", got)
	}
	want := string(pidStatLine(1, p1.stat, memFigures{}))
	if got := mustRead(t, tk, "/proc/self/stat"); got != want {
		t.Errorf("/proc/self/stat %q, want %q", got, want)
	}
	status := mustRead(t, tk, "/proc/7/status")
	if !strings.HasPrefix(status, "Name:\tinit\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t7\n") || strings.Contains(status, "VmRSS") {
		t.Errorf("/proc/7/status (no address space: no Vm lines):\n%s", status)
	}
	for _, c := range []struct{ path, want string }{
		{"/proc/1/cmdline", "/sbin/init\x00-v\x00"},
		{"/proc/1/environ", "HOME=/\x00"},
		{"/proc/1/comm", "init\n"},
		{"/proc/1/statm", "0 0 0 0 0 0 0\n"},
		{"/proc/1/maps", ""},
		{"/proc/1/task/2/comm", "worker\n"},
		{"/proc/mounts", "rootfs / rootfs rw 0 0\ndevtmpfs /dev devtmpfs rw,relatime 0 0\ntmpfs /tmp tmpfs rw,relatime 0 0\nproc /proc proc rw,relatime 0 0\n"},
	} {
		if got := mustRead(t, tk, c.path); got != c.want {
			t.Errorf("%s reads %q, want %q", c.path, got, c.want)
		}
	}
	for _, c := range []struct{ path, want string }{
		{"/proc/1/exe", "/sbin/init"}, {"/proc/1/cwd", "/tmp"}, {"/proc/1/root", "/"}, {"/proc/1/fd/0", "/tmp/f"},
	} {
		if l, err := fs.Readlinkat(tk, abi.AT_FDCWD, c.path, 100); err != nil || string(l) != c.want {
			t.Errorf("readlink %s: %q %v, want %q", c.path, l, err, c.want)
		}
	}
	if st, err := fs.Newfstatat(tk, abi.AT_FDCWD, "/proc/1/fd/0", abi.AT_SYMLINK_NOFOLLOW); err != nil || st.Mode != abi.S_IFLNK|0o700 {
		t.Errorf("lstat /proc/1/fd/0: mode %#o, %v; want a link lrwx------", st.Mode, err)
	}
	if got := names(t, tk, "/proc/1/fd"); strings.Join(got, " ") != "0" {
		t.Errorf("/proc/1/fd lists %q", got)
	}
	if got := names(t, tk, "/proc/1/task"); strings.Join(got, " ") != "1 2" {
		t.Errorf("/proc/1/task lists %q", got)
	}
	for _, path := range []string{"/proc/3", "/proc/1/fd/5", "/proc/1/task/9", "/proc/01", "/proc/1/nosuch"} {
		if _, err := fs.Newfstatat(tk, abi.AT_FDCWD, path, 0); !errors.Is(err, abi.ENOENT) {
			t.Errorf("stat %s: %v, want ENOENT", path, err)
		}
	}

	// A process that exits: its open files read ESRCH, its directory is
	// gone, and its inodes are dropped.
	fd, err := fs.Openat(tk, abi.AT_FDCWD, "/proc/7/status", abi.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	before := e.proc.FS().SyntheticInodes()
	e.remove(7)
	if _, err := fs.Read(tk, fd, make([]byte, 100)); !errors.Is(err, abi.ESRCH) {
		t.Errorf("reading the status of a process that is gone: %v, want ESRCH", err)
	}
	fs.Close(tk, fd)
	if _, err := fs.Newfstatat(tk, abi.AT_FDCWD, "/proc/7", 0); !errors.Is(err, abi.ENOENT) {
		t.Errorf("stat /proc/7 after exit: %v, want ENOENT", err)
	}
	if got := names(t, tk, "/proc"); got[len(got)-1] != "1" {
		t.Errorf("/proc lists %q after 7 exited", got)
	}
	if after := e.proc.FS().SyntheticInodes(); after >= before {
		t.Errorf("synthetic inodes: %d before the exit, %d after: /proc/7's were not dropped", before, after)
	}
}
