// exec.go: execve (fs/exec.c and fs/binfmt_elf.c): replace the calling
// process's program with a static ELF (or a #! script's interpreter).
//
// The new address space is built completely before anything of the old
// program is touched; a failure before that point returns the error to
// the old program, which goes on. After it ("the point of no return") the
// other threads are killed, the new address space replaces the old one,
// close-on-exec descriptors are closed, handled signals are reset, and
// the thread starts at the new entry point.

// trapctx: process context only

package proc

import (
	"encoding/binary"
	"errors"
	"io"

	"retract/arch/amd64"
	"retract/kernel/abi"
	"retract/kernel/elf"
	"retract/kernel/fs"
	"retract/kernel/sys"
	"retract/mm"
	"retract/mm/phys"
)

func init() {
	reg(59, func(t *Task, a *[6]uint64) (uint64, error) {
		return 0, t.sysExecve(abi.AT_FDCWD, a[0], a[1], a[2], 0)
	})
	reg(322, func(t *Task, a *[6]uint64) (uint64, error) {
		return 0, t.sysExecve(int(int32(a[0])), a[1], a[2], a[3], uint32(a[4]))
	})
}

// Layout of a new address space.
const (
	// StackTop is where the initial stack ends (Linux's STACK_TOP, without
	// randomization).
	StackTop = uint64(mm.UserEnd)
	// stackMax is how much address space the stack VMA reserves (pages
	// arrive on first touch).
	stackMax = 8 << 20
	// pieBase is where a static PIE is loaded (ELF_ET_DYN_BASE).
	pieBase = 0x555555554000
	// maxArgBytes bounds argv+envp (a quarter of the stack limit, as Linux).
	maxArgBytes = stackMax / 4
)

// MmFileOf returns the page-cache file behind an open file, so that exec
// and mmap map it (shared text, collapsible by khugepaged). Set by the
// kernel when files are page-cache backed; nil: exec copies the bytes.
var MmFileOf func(f *fs.File) (*mm.File, bool)

// ExecError is printed on the console when exec refuses a file, with the
// reason (ENOEXEC: 32-bit ELF, ...).
func execMessage(path string, err error) {
	var e *elf.Error
	if errors.As(err, &e) {
		logf("exec ", path, ": ", e.Error())
	}
}

func (t *Task) sysExecve(dirfd int, pathp, argvp, envp uint64, flags uint32) error {
	path, err := t.readPath(pathp)
	if err != nil {
		return err
	}
	argv, err := t.readStringArray(argvp, maxArgBytes)
	if err != nil {
		return err
	}
	env, err := t.readStringArray(envp, maxArgBytes)
	if err != nil {
		return err
	}
	if err := t.Exec(dirfd, path, argv, env, flags); err != nil {
		return err
	}
	return errNoReturn
}

// execImage is a program ready to run: its address space and registers.
type execImage struct {
	m     *mm.MM
	entry uint64
	sp    uint64
	brk   uint64
	file  *fs.File
	path  string
	argv  []string
	envp  []string
	auxv  []uint64
}

// Exec runs path in t's process (execve after the arguments are read).
func (t *Task) Exec(dirfd int, path string, argv, envp []string, flags uint32) error {
	img, err := t.load(dirfd, path, argv, envp, flags, 0)
	if err != nil {
		execMessage(path, err)
		var e *elf.Error
		if errors.As(err, &e) {
			return e.Errno
		}
		return err
	}
	t.commitExec(img)
	return nil
}

// load opens and checks the file and builds the new address space
// (following #! up to 4 levels, as Linux's BINPRM_MAX_RECURSION).
func (t *Task) load(dirfd int, path string, argv, envp []string, flags uint32, depth int) (*execImage, error) {
	if depth > 4 {
		return nil, abi.ELOOP
	}
	f, err := fs.OpenExec(&t.FS, dirfd, path, flags)
	if err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			f.Put()
		}
	}()
	size := f.Stat().Size
	head := make([]byte, 256)
	n, _ := f.ReadAt(head, 0)
	head = head[:n]
	if len(head) >= 2 && head[0] == '#' && head[1] == '!' {
		interp, arg, _, err := elf.ParseShebang(head)
		if err != nil {
			return nil, err
		}
		nargv := []string{interp}
		if arg != "" {
			nargv = append(nargv, arg)
		}
		nargv = append(nargv, path)
		if len(argv) > 1 {
			nargv = append(nargv, argv[1:]...)
		}
		f.Put()
		ok = true
		return t.load(abi.AT_FDCWD, interp, nargv, envp, 0, depth+1)
	}
	parsed, err := elf.Parse(readerAt{f}, size)
	if err != nil {
		return nil, err
	}
	var bias uint64
	if parsed.Type == elf.ET_DYN {
		bias = pieBase &^ (parsed.Align - 1)
	}
	lay, err := parsed.Layout(bias)
	if err != nil {
		return nil, err
	}
	m, err := mm.New()
	if err != nil {
		return nil, abi.ENOMEM
	}
	img := &execImage{m: m, entry: lay.Entry, file: f, path: path, argv: argv, envp: envp}
	if err := t.mapImage(img, f, lay); err != nil {
		t.discard(m)
		return nil, err
	}
	ok = true
	return img, nil
}

// readerAt lets the ELF parser read an open file.
type readerAt struct{ f *fs.File }

func (r readerAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := r.f.ReadAt(p, off)
	if err == nil && n < len(p) {
		err = io.EOF
	}
	return n, err
}

// discard destroys an address space that never ran.
func (t *Task) discard(m *mm.MM) {
	m.Destroy()
}

// mapImage maps the segments, the break and the stack into img.m and
// writes the initial stack.
func (t *Task) mapImage(img *execImage, f *fs.File, lay *elf.Image) error {
	m := img.m
	// The new mm's pages are written through uaccess, so this goroutine's
	// thread (locked to it) runs on its tables for a while.
	m.Activate()
	defer t.P.MM().Activate()
	mf, fileBacked := (*mm.File)(nil), false
	if MmFileOf != nil {
		mf, fileBacked = MmFileOf(f)
	}
	for _, s := range lay.Segments {
		prot := elfProt(s.Prot)
		if s.MapEnd > s.MapStart {
			n := uintptr(s.MapEnd - s.MapStart)
			if fileBacked {
				if _, err := m.MmapFile(uintptr(s.MapStart), n, prot, false, mf, s.MapOffset/phys.PageSize); err != nil {
					return abi.ENOMEM
				}
			} else {
				if _, err := m.Mmap(uintptr(s.MapStart), n, mm.ProtRead|mm.ProtWrite, 0); err != nil {
					return abi.ENOMEM
				}
				buf := make([]byte, n)
				if _, err := f.ReadAt(buf, int64(s.MapOffset)); err != nil && err != io.EOF && !isShortRead(err) {
					return abi.EIO
				}
				if err := m.CopyToUser(uintptr(s.MapStart), buf); err != nil {
					return abi.ENOMEM
				}
				if err := m.Mprotect(uintptr(s.MapStart), n, prot); err != nil {
					return abi.ENOMEM
				}
			}
		}
		if s.ZeroEnd > s.ZeroStart {
			// The bss part of the last file page: private, so the write
			// makes it the process's own copy.
			if prot&mm.ProtWrite == 0 {
				m.Mprotect(uintptr(s.ZeroStart&^(phys.PageSize-1)), phys.PageSize, prot|mm.ProtWrite)
			}
			if err := m.CopyToUser(uintptr(s.ZeroStart), make([]byte, s.ZeroEnd-s.ZeroStart)); err != nil {
				return abi.ENOMEM
			}
			if prot&mm.ProtWrite == 0 {
				m.Mprotect(uintptr(s.ZeroStart&^(phys.PageSize-1)), phys.PageSize, prot)
			}
		}
		if s.AnonEnd > s.AnonStart {
			if _, err := m.Mmap(uintptr(s.AnonStart), uintptr(s.AnonEnd-s.AnonStart), prot, 0); err != nil {
				return abi.ENOMEM
			}
		}
	}
	img.brk = lay.Brk
	// The stack.
	stackProt := mm.ProtRead | mm.ProtWrite
	if lay.ExecStack {
		stackProt |= mm.ProtExec
	}
	if _, err := m.Mmap(uintptr(StackTop-stackMax), stackMax, stackProt, mm.VMStack); err != nil {
		return abi.ENOMEM
	}
	cred := t.P.Cred()
	var random [16]byte
	sys.Random(random[:])
	_, _, _, edx := amd64.Cpuid(1, 0)
	st, err := elf.NewStack(elf.StackSpec{
		Top: StackTop, Argv: img.argv, Envp: img.envp, ExecFn: img.path, Random: random, MaxArgs: maxArgBytes,
		Aux: elf.Aux{
			MinSigStkSz: minSigStkSz, HWCap: uint64(edx), Phdr: lay.Phdr, Phnum: uint64(lay.Phnum), Entry: lay.Entry,
			UID: uint64(cred.UID), EUID: uint64(cred.EUID), GID: uint64(cred.GID), EGID: uint64(cred.EGID),
		},
	})
	if err != nil {
		return err
	}
	if err := m.CopyToUser(uintptr(st.SP), st.Bytes); err != nil {
		return abi.E2BIG
	}
	img.sp = st.SP
	m.StartStack = uintptr(st.SP) // mmap places below m.MmapBase, 128 MiB under the stack's top
	img.auxv = st.Auxv
	return nil
}

func isShortRead(err error) bool { return err == io.ErrUnexpectedEOF }

func elfProt(f uint32) mm.Prot {
	var p mm.Prot
	if f&4 != 0 {
		p |= mm.ProtRead
	}
	if f&2 != 0 {
		p |= mm.ProtWrite
	}
	if f&1 != 0 {
		p |= mm.ProtExec
	}
	return p
}

// commitExec is the point of no return: the process becomes img.
func (t *Task) commitExec(img *execImage) {
	p := t.P
	// Other threads die first (de_thread); this thread waits for them.
	p.sig.Lock()
	var others []*Task
	for _, o := range p.threads {
		if o != t {
			o.killLocked()
			others = append(others, o)
		}
	}
	p.sig.Unlock()
	for _, o := range others {
		<-o.done
	}

	// The new address space.
	old := p.mem
	img.m.Activate() // the task goroutine stays locked to its thread
	p.mem = newMMRef(img.m)
	old.put()
	img.m.SetBrk(uintptr(img.brk))

	// Descriptors: a private table without the close-on-exec ones.
	t.FS.Files = t.FS.Files.Unshare()
	t.FS.Files.CloseOnExec()

	// Signals: handlers back to SIG_DFL (ignored stay ignored), a private
	// action table, no alternate stack.
	p.sig.Lock()
	acts := new([NSIG + 1]SigAction)
	for i, a := range p.actions {
		if a.Handler == SIG_IGN {
			acts[i] = SigAction{Handler: SIG_IGN}
		}
	}
	p.actions = acts
	t.altSP, t.altSize, t.altFlags = 0, 0, 0
	p.sig.Unlock()
	t.clearTID = 0
	t.robustList = 0

	// Identity for ps and /proc.
	path := img.path
	p.setComm(path)
	abs := img.file.Path()
	if abs == "" {
		abs = path
	}
	p.exe.Store(&abs)
	if f := p.exeFile.Swap(img.file); f != nil {
		f.Put()
	}
	p.args.Store(&execInfo{Argv: img.argv, Envp: img.envp, Auxv: img.auxv, Brk: uintptr(img.brk)})

	// A vfork parent may go on now.
	tasklist.Lock()
	if p.vforkDone != nil {
		close(p.vforkDone)
		p.vforkDone = nil
	}
	tasklist.Unlock()

	// Fresh registers.
	r := &t.Regs
	r.Init()
	r.RIP, r.RSP = img.entry, img.sp
}

var _ = binary.LittleEndian
