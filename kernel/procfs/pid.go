// pid.go: /proc/PID and /proc/PID/task/TID: the nodes of one process,
// made when it is first looked up and dropped (with their inodes) once it
// is gone. Every callback looks the process up again, so a file opened
// before the process died reads ESRCH, as Linux's do.

// trapctx: process context only

package procfs

import (
	"strconv"

	"retract/kernel/abi"
	"retract/kernel/fs"
	"retract/kernel/smp"
	"retract/lockdep"
	"retract/mm/phys"
)

// pidDir is the node tree of one process.
type pidDir struct {
	p   *Proc
	pid int
	dir *fs.Synthetic

	// mu (procfs.mu's class: never held with procfs.mu itself) protects
	// the nodes made on demand: fd links and task directories.
	mu    lockdep.Mutex
	fixed []*fs.Synthetic
	fds   map[int]*fs.Synthetic
	tasks map[int]*fs.Synthetic
	extra []*fs.Synthetic // the files of the task directories
}

var classPidDir = lockdep.Register("procfs.pidDir.mu", lockdep.Sleep)

// getter finds the process (or thread) a node belongs to.
type getter func() (Process, error)

func newPidDir(p *Proc, pid int) *pidDir {
	d := &pidDir{p: p, pid: pid, fds: map[int]*fs.Synthetic{}, tasks: map[int]*fs.Synthetic{}}
	d.mu.Class = classPidDir
	get := func() (Process, error) {
		pr, ok := lookup(pid)
		if !ok {
			return nil, abi.ESRCH
		}
		return pr, nil
	}
	ents := d.entries(get, true)
	d.dir = fs.SynthDir(0o555, ents...)
	for _, e := range ents {
		d.fixed = append(d.fixed, e.Node)
	}
	return d
}

// allNodes lists every node made for the process (to forget them).
func (d *pidDir) allNodes() []*fs.Synthetic {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := append([]*fs.Synthetic{d.dir}, d.fixed...)
	for _, n := range d.fds {
		out = append(out, n)
	}
	for _, n := range d.tasks {
		out = append(out, n)
	}
	return append(out, d.extra...)
}

// entries are the files of a process directory (whole) or of a task
// directory (the thread's own: stat, status, comm and the rest that
// read the same).
func (d *pidDir) entries(get getter, whole bool) []fs.SynthEntry {
	read := func(f func(pr Process) ([]byte, error)) *fs.Synthetic {
		return fs.SynthFile(0o444, func(any) ([]byte, error) {
			pr, err := get()
			if err != nil {
				return nil, err
			}
			return f(pr)
		})
	}
	link := func(f func(pr Process) string) *fs.Synthetic {
		return &fs.Synthetic{Mode: abi.S_IFLNK | 0o777, Readlink: func(any) (string, error) {
			pr, err := get()
			if err != nil {
				return "", err
			}
			if s := f(pr); s != "" {
				return s, nil
			}
			return "", abi.ENOENT
		}}
	}
	ents := []fs.SynthEntry{
		{Name: "auxv", Node: read(func(pr Process) ([]byte, error) { return pr.Auxv(), nil })},
		{Name: "cmdline", Node: read(func(pr Process) ([]byte, error) { return pr.Cmdline(), nil })},
		{Name: "comm", Node: read(func(pr Process) ([]byte, error) { return []byte(pr.Stat().Comm + "\n"), nil })},
		{Name: "cwd", Node: link(Process.Cwd)},
		{Name: "environ", Node: read(func(pr Process) ([]byte, error) { return pr.Environ(), nil })},
		{Name: "exe", Node: link(Process.Exe)},
		{Name: "fd", Node: d.fdDir(get)},
		{Name: "maps", Node: read(func(pr Process) ([]byte, error) {
			vmas, names, _ := memOf(pr, false)
			return maps(vmas, names), nil
		})},
		{Name: "pagemap", Node: &fs.Synthetic{Mode: abi.S_IFREG | 0o400, ReadAt: func(_ any, p []byte, off int64) (int, error) {
			pr, err := get()
			if err != nil {
				return 0, err
			}
			return pagemapRead(pr.MM(), p, off)
		}}},
		{Name: "mounts", Node: read(func(Process) ([]byte, error) { return mounts(d.p.vfs.Mounts()), nil })},
		{Name: "root", Node: link(Process.Root)},
		{Name: "smaps", Node: read(func(pr Process) ([]byte, error) {
			vmas, names, _ := memOf(pr, true)
			return smaps(vmas, names), nil
		})},
		{Name: "stat", Node: read(func(pr Process) ([]byte, error) {
			return pidStatLine(pr.PID(), pr.Stat(), figuresOf(pr)), nil
		})},
		{Name: "statm", Node: read(func(pr Process) ([]byte, error) { return pidStatm(figuresOf(pr)), nil })},
		{Name: "status", Node: read(func(pr Process) ([]byte, error) {
			in := StatusInputs{PID: pr.PID(), HasMM: pr.MM() != nil, Mem: figuresOf(pr), NumCPU: smp.Count()}
			return pidStatus(in, pr.Stat()), nil
		})},
	}
	if whole {
		ents = append(ents, fs.SynthEntry{Name: "task", Node: d.taskDir(get)})
	}
	return ents
}

// figuresOf adds up a process's memory (zero without an address space).
func figuresOf(pr Process) memFigures {
	vmas, names, ok := memOf(pr, true)
	if !ok {
		return memFigures{}
	}
	return figures(vmas, names, pr.Exe(), pr.MM().TablePages()*phys.PageSize)
}

// fdDir is /proc/PID/fd: a link per open descriptor to the file's path
// (lr-x------ for a file open for reading, l-wx------ for writing,
// lrwx------ for both, as Linux sets them).
func (d *pidDir) fdDir(get getter) *fs.Synthetic {
	node := func(fd int) (*fs.Synthetic, error) {
		pr, err := get()
		if err != nil {
			return nil, err
		}
		t := pr.Files()
		if t == nil {
			return nil, abi.ENOENT
		}
		f, err := t.Get(fd)
		if err != nil {
			return nil, abi.ENOENT
		}
		mode := uint32(abi.S_IFLNK)
		if f.Readable() {
			mode |= 0o500
		}
		if f.Writable() {
			mode |= 0o300
		}
		f.Put()
		d.mu.Lock()
		defer d.mu.Unlock()
		if n := d.fds[fd]; n != nil && n.Mode == mode {
			return n, nil
		}
		n := &fs.Synthetic{Mode: mode, Readlink: func(any) (string, error) {
			pr, err := get()
			if err != nil {
				return "", err
			}
			t := pr.Files()
			if t == nil {
				return "", abi.ENOENT
			}
			f, err := t.Get(fd)
			if err != nil {
				return "", abi.ENOENT
			}
			defer f.Put()
			return f.Path(), nil
		}}
		d.fds[fd] = n
		return n, nil
	}
	return &fs.Synthetic{
		Mode: abi.S_IFDIR | 0o500,
		Entries: func(any) ([]fs.SynthEntry, error) {
			pr, err := get()
			if err != nil {
				return nil, err
			}
			t := pr.Files()
			if t == nil {
				return nil, nil
			}
			var ents []fs.SynthEntry
			for _, fd := range t.Open() {
				if n, err := node(fd); err == nil {
					ents = append(ents, fs.SynthEntry{Name: strconv.Itoa(fd), Node: n})
				}
			}
			return ents, nil
		},
		Lookup: func(_ any, name string) (*fs.Synthetic, error) {
			fd, err := strconv.Atoi(name)
			if err != nil || fd < 0 || strconv.Itoa(fd) != name {
				return nil, abi.ENOENT
			}
			return node(fd)
		},
	}
}

// taskDir is /proc/PID/task: a directory per thread.
func (d *pidDir) taskDir(get getter) *fs.Synthetic {
	node := func(tid int) *fs.Synthetic {
		d.mu.Lock()
		defer d.mu.Unlock()
		if n := d.tasks[tid]; n != nil {
			return n
		}
		getTask := func() (Process, error) {
			pr, err := get()
			if err != nil {
				return nil, err
			}
			for _, t := range pr.Tasks() {
				if t.PID() == tid {
					return t, nil
				}
			}
			return nil, abi.ESRCH
		}
		ents := d.entries(getTask, false)
		for _, e := range ents {
			d.extra = append(d.extra, e.Node)
		}
		n := fs.SynthDir(0o555, ents...)
		d.tasks[tid] = n
		return n
	}
	return &fs.Synthetic{
		Mode: abi.S_IFDIR | 0o555,
		Entries: func(any) ([]fs.SynthEntry, error) {
			pr, err := get()
			if err != nil {
				return nil, err
			}
			var ents []fs.SynthEntry
			for _, t := range pr.Tasks() {
				ents = append(ents, fs.SynthEntry{Name: strconv.Itoa(t.PID()), Node: node(t.PID())})
			}
			return ents, nil
		},
		Lookup: func(_ any, name string) (*fs.Synthetic, error) {
			pr, err := get()
			if err != nil {
				return nil, err
			}
			for _, t := range pr.Tasks() {
				if strconv.Itoa(t.PID()) == name {
					return node(t.PID()), nil
				}
			}
			return nil, abi.ENOENT
		},
	}
}
