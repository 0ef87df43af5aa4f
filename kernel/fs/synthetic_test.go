package fs

import (
	"strings"
	"testing"

	"retract/kernel/abi"
)

func TestSyntheticAndMemfd(t *testing.T) {
	v, tk := newEnv(t)
	tk.Proc = 42
	reads, written := 0, ""
	pids := []string{"1", "42"}
	piddir := func(pid string) *Synthetic {
		return SynthDir(0o555, SynthEntry{"stat", SynthFile(0o444, func(proc any) ([]byte, error) {
			return []byte(pid + " (prog)\n"), nil
		})})
	}
	nodes := map[string]*Synthetic{}
	root := &Synthetic{Mode: abi.S_IFDIR | 0o555, Entries: func(proc any) ([]SynthEntry, error) {
		out := []SynthEntry{
			{"self", &Synthetic{Mode: abi.S_IFLNK | 0o777, Readlink: func(proc any) (string, error) { return itoa(uint64(proc.(int))), nil }}},
			{"counter", SynthFile(0o444, func(any) ([]byte, error) { reads++; return []byte("n=" + itoa(uint64(reads))), nil })},
			{"knob", &Synthetic{Mode: abi.S_IFREG | 0o644, Read: func(any) ([]byte, error) { return []byte(written), nil },
				Write: func(_ any, p []byte) (int, error) { written = string(p); return len(p), nil }}},
		}
		for _, p := range pids {
			if nodes[p] == nil {
				nodes[p] = piddir(p)
			}
			out = append(out, SynthEntry{p, nodes[p]})
		}
		return out, nil
	}}
	ok(t, v.Mount("/proc", v.NewSyntheticFS("proc", abi.PROC_SUPER_MAGIC, root)))
	if got := readFile(t, tk, "/proc/self/stat"); got != "42 (prog)\n" {
		t.Errorf("/proc/self/stat: %q", got)
	}
	if b, _ := Readlinkat(tk, abi.AT_FDCWD, "/proc/self", 10); string(b) != "42" {
		t.Errorf("readlink /proc/self: %q", b)
	}
	if got := strings.Join(names(t, tk, "/proc"), " "); got != ". .. self counter knob 1 42" {
		t.Errorf("/proc lists %q", got)
	}
	// Reads from 0 regenerate; a read at an offset uses the snapshot.
	fd, _ := Openat(tk, abi.AT_FDCWD, "/proc/counter", abi.O_RDONLY, 0)
	b := make([]byte, 2)
	Read(tk, fd, b)
	Read(tk, fd, b)
	if string(b[:1]) != "1" {
		t.Errorf("snapshot: %q", b)
	}
	Pread64(tk, fd, b, 0)
	if string(b) != "n=" || reads != 2 {
		t.Errorf("pread at 0 regenerates: %d", reads)
	}
	_, err := Lseek(tk, fd, 0, abi.SEEK_END)
	want(t, "SEEK_END on a synthetic file", err, abi.EINVAL)
	_, err = Openat(tk, abi.AT_FDCWD, "/proc/counter", abi.O_WRONLY, 0)
	want(t, "write a read-only synthetic file", err, abi.EACCES)
	kfd, err := Openat(tk, abi.AT_FDCWD, "/proc/knob", abi.O_WRONLY|abi.O_TRUNC, 0)
	ok(t, err)
	Write(tk, kfd, []byte("on"))
	if written != "on" || readFile(t, tk, "/proc/knob") != "on" {
		t.Errorf("knob %q", written)
	}
	want(t, "mkdir in /proc", Mkdirat(tk, abi.AT_FDCWD, "/proc/x", 0o755), abi.EPERM)
	want(t, "mkdir existing in /proc", Mkdirat(tk, abi.AT_FDCWD, "/proc/self", 0o755), abi.EEXIST)
	_, err = Openat(tk, abi.AT_FDCWD, "/proc/new", abi.O_CREAT|abi.O_WRONLY, 0o644)
	want(t, "create in /proc", err, abi.EACCES)
	want(t, "unlink in /proc", Unlinkat(tk, abi.AT_FDCWD, "/proc/knob", 0), abi.EPERM)
	want(t, "rename in /proc", Renameat2(tk, abi.AT_FDCWD, "/proc/knob", abi.AT_FDCWD, "/proc/k2", 0), abi.EPERM)
	if sf, _ := Statfs(tk, "/proc/1"); sf.Type != abi.PROC_SUPER_MAGIC {
		t.Errorf("statfs /proc: %#x", sf.Type)
	}
	ok(t, Chdir(tk, "/proc/42"))
	if b, _ := Getcwd(tk, 100); string(b) != "/proc/42\x00" {
		t.Errorf("cwd in /proc: %q", b)
	}
	if st1, st2 := stat(t, tk, "/proc/1"), stat(t, tk, "/proc/1"); st1.Ino != st2.Ino || st1.Mode != abi.S_IFDIR|0o555 {
		t.Errorf("stable inode: %+v %+v", st1, st2)
	}
	// memfd.
	mfd, err := MemfdCreate(tk, "buf", abi.MFD_CLOEXEC|abi.MFD_ALLOW_SEALING)
	ok(t, err)
	Write(tk, mfd, []byte("data"))
	st, _ := Fstat(tk, mfd)
	if st.Nlink != 0 || st.Mode != abi.S_IFREG|0o777 || st.Size != 4 {
		t.Errorf("memfd stat %+v", st)
	}
	if fl, _ := Fcntl(tk, mfd, abi.F_GETFD, 0); fl != abi.FD_CLOEXEC {
		t.Errorf("MFD_CLOEXEC")
	}
	f, _ := tk.Files.Get(mfd)
	if f.Path() != "/memfd:buf (deleted)" || f.Data() == nil {
		t.Errorf("memfd path %q", f.Path())
	}
	f.Put()
	if s, _ := Fcntl(tk, mfd, abi.F_GET_SEALS, 0); s != 0 {
		t.Errorf("seals %d", s)
	}
	_, err = Fcntl(tk, mfd, abi.F_ADD_SEALS, sealShrink|sealGrow)
	ok(t, err)
	want(t, "shrink a sealed memfd", Ftruncate(tk, mfd, 1), abi.EPERM)
	_, err = Pwrite64(tk, mfd, []byte("grow"), 100)
	want(t, "grow a sealed memfd", err, abi.EPERM)
	if n, err := Pwrite64(tk, mfd, []byte("DA"), 0); n != 2 || err != nil {
		t.Errorf("write inside: %d %v", n, err)
	}
	_, err = Fcntl(tk, mfd, abi.F_ADD_SEALS, sealSeal)
	ok(t, err)
	_, err = Fcntl(tk, mfd, abi.F_ADD_SEALS, sealWrite)
	want(t, "seal after F_SEAL_SEAL", err, abi.EPERM)
	nos, _ := MemfdCreate(tk, "nos", 0)
	_, err = Fcntl(tk, nos, abi.F_ADD_SEALS, sealWrite)
	want(t, "seal without MFD_ALLOW_SEALING", err, abi.EPERM)
	for _, c := range []struct {
		name  string
		flags uint32
	}{{"x", abi.MFD_HUGETLB}, {"x", 0x100}, {strings.Repeat("n", 250), 0}} {
		_, err := MemfdCreate(tk, c.name, c.flags)
		want(t, "memfd_create", err, abi.EINVAL)
	}
	if _, err := MemfdCreate(tk, strings.Repeat("n", 249), 0); err != nil {
		t.Errorf("249-byte name: %v", err)
	}
}
