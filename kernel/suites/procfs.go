// procfs.go: the procfs suite — /proc and /sys read and written through
// the VFS on the running kernel: each system-wide file parses the way
// programs parse it and agrees with the kernel's own counters, meminfo
// and vmstat follow what the kernel does (huge pages, page cache,
// collapse, retract), a process's maps and smaps describe its real
// address space, and the /sys tunables change mm's.

package suites

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"retract/kernel/abi"
	"retract/kernel/fs"
	"retract/kernel/ktest"
	"retract/kernel/procfs"
	"retract/kernel/smp"
	"retract/mm"
	"retract/mm/phys"
	"retract/rcu"
)

func init() {
	ktest.Register(ktest.Suite{
		Name: "procfs",
		Doc:  "/proc and /sys through the VFS: formats, agreement with the kernel's counters, a real process's maps and smaps, tunables",
		Cases: []ktest.Case{
			{Name: "system_files_parse", Fn: testProcSystemFiles},
			{Name: "meminfo_follows_memory", Fn: testMeminfoFollows},
			{Name: "vmstat_counts_collapse_and_retract", Fn: testVmstatCounts},
			{Name: "maps_smaps_of_a_process", Fn: testPidMaps},
			{Name: "sysfs_tunables", Fn: testSysfsTunables},
		},
	})
}

// readProc reads a whole file through the VFS as the task tk.
func readProc(t *ktest.T, tk *fs.Task, path string) string {
	fd, err := fs.Openat(tk, abi.AT_FDCWD, path, abi.O_RDONLY, 0)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer fs.Close(tk, fd)
	var out []byte
	buf := make([]byte, 512)
	for {
		n, err := fs.Read(tk, fd, buf)
		if err != nil {
			t.Fatalf("read %s: %v", path, err)
		}
		if n == 0 {
			return string(out)
		}
		out = append(out, buf[:n]...)
	}
}

func writeProc(tk *fs.Task, path, s string) error {
	fd, err := fs.Openat(tk, abi.AT_FDCWD, path, abi.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer fs.Close(tk, fd)
	_, err = fs.Write(tk, fd, []byte(s))
	return err
}

var (
	meminfoLine = regexp.MustCompile(`^([A-Za-z0-9_()]+):\s+(\d+)( kB)?$`)
	vmstatLine  = regexp.MustCompile(`^([a-z0-9_]+) (\d+)$`)
)

// fields parses "name: N kB" (meminfo) or "name N" (vmstat) lines; a line
// that does not parse is an error.
func fields(t *ktest.T, text string, re *regexp.Regexp, what string) map[string]uint64 {
	out := map[string]uint64{}
	for _, l := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		m := re.FindStringSubmatch(l)
		if m == nil {
			t.Errorf("%s: line %q does not parse", what, l)
			continue
		}
		v, _ := strconv.ParseUint(m[2], 10, 64)
		out[m[1]] = v
	}
	return out
}

func testProcSystemFiles(t *ktest.T) {
	tk := vfsTask(t)
	mi := fields(t, readProc(t, tk, "/proc/meminfo"), meminfoLine, "meminfo")
	if total := phys.Frames.Stats().Total * 4; mi["MemTotal"] != total {
		t.Errorf("MemTotal %d kB, the allocator has %d kB", mi["MemTotal"], total)
	}
	if mi["MemFree"] == 0 || mi["MemFree"] > mi["MemTotal"] || mi["Hugepagesize"] != 2048 {
		t.Errorf("meminfo: MemFree %d, MemTotal %d, Hugepagesize %d", mi["MemFree"], mi["MemTotal"], mi["Hugepagesize"])
	}
	vs := fields(t, readProc(t, tk, "/proc/vmstat"), vmstatLine, "vmstat")
	if vs["pt_retracted"] != mm.CollapseStat.Retracted.Load() || vs["pt_uaf_caught"] != mm.Violations.Load() {
		t.Errorf("vmstat: pt_retracted %d (kernel %d), pt_uaf_caught %d (kernel %d)",
			vs["pt_retracted"], mm.CollapseStat.Retracted.Load(), vs["pt_uaf_caught"], mm.Violations.Load())
	}
	cpu := readProc(t, tk, "/proc/cpuinfo")
	if n := strings.Count(cpu, "processor\t: "); n != smp.Count() {
		t.Errorf("cpuinfo has %d processor blocks, %d CPUs are online", n, smp.Count())
	}
	if !regexp.MustCompile(`(?m)^flags\t\t: fpu .* lm( |$)`).MatchString(cpu) || !strings.Contains(cpu, "\nvendor_id\t: ") {
		t.Errorf("cpuinfo's flags lack fpu or lm, or vendor_id is missing:\n%s", cpu)
	}
	stat := readProc(t, tk, "/proc/stat")
	if n := len(regexp.MustCompile(`(?m)^cpu\d* +(\d+ ){9}\d+$`).FindAllString(stat, -1)); n != smp.Count()+1 {
		t.Errorf("/proc/stat has %d cpu lines, want %d:\n%s", n, smp.Count()+1, stat)
	}
	if !regexp.MustCompile(`(?m)^btime [1-9]\d*$`).MatchString(stat) {
		t.Errorf("/proc/stat has no btime:\n%s", stat)
	}
	if up := readProc(t, tk, "/proc/uptime"); !regexp.MustCompile(`^\d+\.\d\d \d+\.\d\d\n$`).MatchString(up) || strings.HasPrefix(up, "0.00 ") {
		t.Errorf("/proc/uptime %q", up)
	}
	if la := readProc(t, tk, "/proc/loadavg"); !regexp.MustCompile(`^\d+\.\d\d \d+\.\d\d \d+\.\d\d \d+/\d+ \d+\n$`).MatchString(la) {
		t.Errorf("/proc/loadavg %q", la)
	}
	if fsys := readProc(t, tk, "/proc/filesystems"); !strings.Contains(fsys, "nodev\tproc\n") || !strings.Contains(fsys, "nodev\tsysfs\n") {
		t.Errorf("/proc/filesystems %q", fsys)
	}
	if rel := readProc(t, tk, "/proc/sys/kernel/osrelease"); rel != procfs.UTS().Release+"\n" {
		t.Errorf("osrelease %q", rel)
	}
	p := &testProc{pid: 4000}
	withTestProc(p, func() {
		mounts := readProc(t, taskOf(t, p), "/proc/mounts")
		for _, want := range []string{"rootfs / rootfs rw 0 0\n", "proc /proc proc rw,relatime 0 0\n", "sysfs /sys sysfs rw,relatime 0 0\n", "tmpfs /tmp tmpfs "} {
			if !strings.Contains(mounts, want) {
				t.Errorf("/proc/mounts lacks %q:\n%s", want, mounts)
			}
		}
	})
	// Nothing to drop in a page cache that holds only files' sole copies.
	pc0 := phys.Frames.Stats().ByKind[phys.KindPageCache]
	if err := writeProc(tk, "/proc/sys/vm/drop_caches", "3\n"); err != nil {
		t.Errorf("drop_caches: %v", err)
	}
	if err := writeProc(tk, "/proc/sys/vm/drop_caches", "0\n"); !errors.Is(err, abi.EINVAL) {
		t.Errorf("drop_caches <- 0: %v, want EINVAL", err)
	}
	if pc := phys.Frames.Stats().ByKind[phys.KindPageCache]; pc != pc0 {
		t.Errorf("drop_caches changed the page cache: %d -> %d frames", pc0, pc)
	}
}

// testMeminfoFollows: an anonymous huge page shows in AnonHugePages and
// AnonPages, a written file in Cached and Shmem, its mapped pages in
// Mapped, a PMD-mapped huge page of it in ShmemHugePages and
// ShmemPmdMapped; all of it goes when it is freed.
func testMeminfoFollows(t *ktest.T) {
	base := takeBaseline()
	tk := vfsTask(t)
	mem := func() map[string]uint64 { return fields(t, readProc(t, tk, "/proc/meminfo"), meminfoLine, "meminfo") }
	m0 := mem()
	m, err := mm.New()
	if err != nil {
		t.Fatalf("mm.New: %v", err)
	}
	var p *pcFile
	freed := false
	defer func() {
		if !freed {
			m.Destroy()
			if p != nil {
				p.remove(t)
			}
		}
	}()
	a, _ := m.Mmap(hugeBase, mm.HPageSize, mm.ProtRead|mm.ProtWrite, mm.VMHugepage)
	if err := store(m, a, 1); err != nil {
		t.Fatalf("store: %v", err)
	}
	if _, huge, _ := pmdOf(m, a); !huge {
		t.Skipf("no free 2 MiB block for the huge fault (fragmented memory)")
	}
	p = createFile(t, "pf-meminfo")
	p.pwrite(t, pattern(mm.HPageSize, 6), 0)
	fva, err := m.MmapFile(hugeBase+4*mm.HPageSize, mm.HPageSize, mm.ProtRead, true, p.mf, 0)
	if err != nil {
		t.Fatalf("MmapFile: %v", err)
	}
	for i := 0; i < 100; i++ {
		if _, err := load(m, fva+uintptr(i)*phys.PageSize); err != nil {
			t.Fatalf("load: %v", err)
		}
	}
	m1 := mem()
	for _, c := range []struct {
		field string
		min   uint64
	}{{"AnonHugePages", 2048}, {"AnonPages", 2048}, {"Cached", 2048}, {"Shmem", 2048}, {"Mapped", 400}} {
		if m1[c.field] < m0[c.field]+c.min {
			t.Errorf("%s went from %d to %d kB, want at least %d kB more", c.field, m0[c.field], m1[c.field], c.min)
		}
	}
	if out, err := m.MadviseCollapse(fva, mm.HPageSize); err != nil {
		t.Fatalf("MADV_COLLAPSE: %v %+v", err, out)
	}
	load(m, fva)
	if m2 := mem(); m2["ShmemHugePages"] < m0["ShmemHugePages"]+2048 || m2["ShmemPmdMapped"] < m0["ShmemPmdMapped"]+2048 {
		t.Errorf("after a collapse and a PMD fault: ShmemHugePages %d -> %d, ShmemPmdMapped %d -> %d kB",
			m0["ShmemHugePages"], m2["ShmemHugePages"], m0["ShmemPmdMapped"], m2["ShmemPmdMapped"])
	}
	freed = true
	m.Destroy()
	p.remove(t)
	rcu.Barrier()
	if m3 := mem(); m3["AnonHugePages"] != m0["AnonHugePages"] || m3["ShmemHugePages"] != m0["ShmemHugePages"] || m3["Mapped"] != m0["Mapped"] {
		t.Errorf("after freeing: AnonHugePages %d (was %d), ShmemHugePages %d (was %d), Mapped %d (was %d)",
			m3["AnonHugePages"], m0["AnonHugePages"], m3["ShmemHugePages"], m0["ShmemHugePages"], m3["Mapped"], m0["Mapped"])
	}
	base.verify(t)
}

// testVmstatCounts: a file collapse with two mappers moves
// thp_collapse_alloc by one and pt_retracted by two, pt_freed_rcu by two
// after a grace period; a split moves thp_split_page.
func testVmstatCounts(t *ktest.T) {
	base := takeBaseline()
	tk := vfsTask(t)
	vm := func() map[string]uint64 { return fields(t, readProc(t, tk, "/proc/vmstat"), vmstatLine, "vmstat") }
	p := createFile(t, "pf-vmstat")
	p.pwrite(t, pattern(mm.HPageSize, 7), 0)
	a, b := mapFile(t, p.mf, mm.HPageNr, true), mapFile(t, p.mf, mm.HPageNr, true)
	for _, m := range []*mm.MM{a, b} {
		if _, err := load(m, hugeBase); err != nil {
			t.Fatalf("load: %v", err)
		}
	}
	v0 := vm()
	if r := p.mf.Collapse(0, mm.HPageNr); !r.OK() {
		t.Fatalf("Collapse: %v", r)
	}
	rcu.Barrier()
	v1 := vm()
	for _, c := range []struct {
		name string
		d    uint64
	}{{"thp_collapse_alloc", 1}, {"pt_retracted", 2}, {"pt_freed_rcu", 2}, {"nr_shmem_hugepages", 1}} {
		if got := v1[c.name] - v0[c.name]; got != c.d {
			t.Errorf("%s moved by %d, want %d", c.name, got, c.d)
		}
	}
	if err := p.mf.SplitHugePage(0); err != nil {
		t.Fatalf("SplitHugePage: %v", err)
	}
	if d := vm()["thp_split_page"] - v1["thp_split_page"]; d != 1 {
		t.Errorf("thp_split_page moved by %d, want 1", d)
	}
	a.Destroy()
	b.Destroy()
	p.remove(t)
	base.verify(t)
}

// testProc is a Process for the tests: a real address space, no files.
type testProc struct {
	pid   int
	m     *mm.MM
	files *fs.FDTable
	names map[*mm.File]procfs.MapName
}

func (p *testProc) PID() int { return p.pid }
func (p *testProc) Stat() procfs.Stat {
	return procfs.Stat{Comm: "ktest", State: 'R', TGID: p.pid, PGID: p.pid, SID: p.pid, TPGID: -1, NumThreads: 1, Umask: 0o22, ExitSignal: 17}
}
func (p *testProc) MM() *mm.MM { return p.m }
func (p *testProc) MapName(v *mm.VMAInfo) procfs.MapName {
	if f, ok := v.File.(*mm.File); ok {
		return p.names[f]
	}
	return procfs.MapName{}
}
func (p *testProc) Cmdline() []byte         { return []byte("ktest\x00") }
func (p *testProc) Environ() []byte         { return nil }
func (p *testProc) Auxv() []byte            { return make([]byte, 16) }
func (p *testProc) Exe() string             { return "" }
func (p *testProc) Cwd() string             { return "/" }
func (p *testProc) Root() string            { return "/" }
func (p *testProc) Files() *fs.FDTable      { return p.files }
func (p *testProc) Tasks() []procfs.Process { return []procfs.Process{p} }

// withTestProc makes p findable as /proc/PID for the length of f (the
// tests run one at a time, and kernel/proc's hooks are put back after).
func withTestProc(p *testProc, f func()) {
	oldLookup, oldList := procfs.Lookup, procfs.List
	procfs.Lookup = func(pid int) (procfs.Process, bool) {
		if pid == p.pid {
			return p, true
		}
		if oldLookup != nil {
			return oldLookup(pid)
		}
		return nil, false
	}
	procfs.List = func() []int {
		var l []int
		if oldList != nil {
			l = oldList()
		}
		return append(l, p.pid)
	}
	defer func() { procfs.Lookup, procfs.List = oldLookup, oldList }()
	f()
}

// taskOf is a task whose process is p (/proc/self).
func taskOf(t *ktest.T, p *testProc) *fs.Task {
	tk := vfsTask(t)
	tk.Proc = p
	return tk
}

// testPidMaps: /proc/self/maps and smaps of a process with an anonymous
// huge page, a file mapped by a PMD after a collapse, and an anonymous
// page: one line per VMA with its range, permissions and name; smaps'
// AnonHugePages and ShmemPmdMapped say 2048 kB where the PMDs are, Rss
// adds up to VmRSS in status, THPeligible and VmFlags follow the advice.
func testPidMaps(t *ktest.T) {
	base := takeBaseline()
	m, err := mm.New()
	if err != nil {
		t.Fatalf("mm.New: %v", err)
	}
	var pf *pcFile
	defer func() {
		m.Destroy() // the mapping goes before the file's last reference
		if pf != nil {
			pf.remove(t)
		}
		base.verify(t)
	}()
	anon, _ := m.Mmap(hugeBase, mm.HPageSize, mm.ProtRead|mm.ProtWrite, mm.VMHugepage)
	store(m, anon, 1)
	if _, huge, _ := pmdOf(m, anon); !huge {
		t.Skipf("no free 2 MiB block for the huge fault (fragmented memory)")
	}
	pf = createFile(t, "pf-maps")
	pf.pwrite(t, pattern(mm.HPageSize, 8), 0)
	fva, _ := m.MmapFile(hugeBase+4*mm.HPageSize, mm.HPageSize, mm.ProtRead, true, pf.mf, 0)
	if out, err := m.MadviseCollapse(fva, mm.HPageSize); err != nil {
		t.Fatalf("MADV_COLLAPSE: %v %+v", err, out)
	}
	load(m, fva)
	small, _ := m.Mmap(hugeBase+8*mm.HPageSize, phys.PageSize, mm.ProtRead|mm.ProtWrite, 0)
	store(m, small, 2)
	st := pf.f.Stat()
	p := &testProc{pid: 4001, m: m, names: map[*mm.File]procfs.MapName{pf.mf: {Path: pf.path, Dev: st.Dev, Ino: st.Ino}}}
	withTestProc(p, func() {
		tk := taskOf(t, p)
		maps := readProc(t, tk, "/proc/self/maps")
		fileLine := fmt.Sprintf("%08x-%08x r--s 00000000 %02x:%02x %d ", fva, fva+mm.HPageSize, abi.Major(st.Dev), abi.Minor(st.Dev), st.Ino)
		want := fmt.Sprintf("%08x-%08x rw-p 00000000 00:00 0 \n", anon, anon+mm.HPageSize) +
			fileLine + strings.Repeat(" ", 73-len(fileLine)) + pf.path + "\n" +
			fmt.Sprintf("%08x-%08x rw-p 00000000 00:00 0 \n", small, small+phys.PageSize)
		if maps != want {
			t.Errorf("/proc/self/maps:\n%s\nwant:\n%s", maps, want)
		}
		// smaps, cut into one piece per VMA (each starts with its maps line).
		var vmas []string
		for _, l := range strings.SplitAfter(readProc(t, tk, fmt.Sprintf("/proc/%d/smaps", p.pid)), "\n") {
			if regexp.MustCompile(`^[0-9a-f]+-[0-9a-f]+ `).MatchString(l) {
				vmas = append(vmas, "")
			}
			if len(vmas) > 0 {
				vmas[len(vmas)-1] += l
			}
		}
		if len(vmas) != 3 {
			t.Fatalf("smaps has %d VMAs, want 3:\n%s", len(vmas), strings.Join(vmas, ""))
		}
		for i, has := range [][]string{
			{"\nRss:                2048 kB\n", "\nAnonymous:          2048 kB\n", "\nAnonHugePages:      2048 kB\n", "\nTHPeligible:    1\n", "\nVmFlags: rd wr mr mw me ac hg \n"},
			{"\nRss:                2048 kB\n", "\nShmemPmdMapped:     2048 kB\n", "\nAnonymous:             0 kB\n", "\nTHPeligible:    0\n", "\nVmFlags: rd sh mr mw me ms \n"},
			{"\nRss:                   4 kB\n", "\nPrivate_Dirty:         4 kB\n", "\nTHPeligible:    0\n", "\nVmFlags: rd wr mr mw me ac \n"},
		} {
			for _, s := range has {
				if !strings.Contains(vmas[i], s) {
					t.Errorf("smaps of VMA %d lacks %q:\n%s", i, s, vmas[i])
				}
			}
		}
		status := readProc(t, tk, "/proc/self/status")
		if !strings.Contains(status, "\nVmRSS:\t    4100 kB\n") || !strings.Contains(status, "\nRssAnon:\t    2052 kB\n") {
			t.Errorf("status:\n%s", status)
		}
		if statm := readProc(t, tk, "/proc/self/statm"); !strings.HasPrefix(statm, "1025 1025 512 ") {
			t.Errorf("statm %q, want size 1025 pages, resident 1025, shared 512", statm)
		}
	})
}

// testSysfsTunables: the khugepaged tunables written through /sys are
// the ones `khugepaged set` changes; what Linux refuses is EINVAL.
func testSysfsTunables(t *ktest.T) {
	tk := vfsTask(t)
	const dir = "/sys/kernel/mm/transparent_hugepage/"
	k := &mm.Khugepaged
	none, pages := k.MaxPtesNone.Load(), k.PagesToScan.Load()
	defer func() { k.MaxPtesNone.Store(none); k.PagesToScan.Store(pages) }()
	if got := readProc(t, tk, dir+"enabled"); got != "always [madvise] never\n" {
		t.Errorf("enabled reads %q", got)
	}
	if err := writeProc(tk, dir+"khugepaged/max_ptes_none", "100\n"); err != nil || k.MaxPtesNone.Load() != 100 {
		t.Errorf("max_ptes_none <- 100: %v, tunable %d", err, k.MaxPtesNone.Load())
	}
	if err := writeProc(tk, dir+"khugepaged/max_ptes_none", "512"); !errors.Is(err, abi.EINVAL) || k.MaxPtesNone.Load() != 100 {
		t.Errorf("max_ptes_none <- 512: %v, tunable %d; want EINVAL and 100", err, k.MaxPtesNone.Load())
	}
	if got := readProc(t, tk, dir+"khugepaged/max_ptes_none"); got != "100\n" {
		t.Errorf("max_ptes_none reads %q", got)
	}
	if err := writeProc(tk, dir+"khugepaged/pages_to_scan", "0"); !errors.Is(err, abi.EINVAL) {
		t.Errorf("pages_to_scan <- 0: %v, want EINVAL", err)
	}
	if got := readProc(t, tk, dir+"hpage_pmd_size"); got != "2097152\n" {
		t.Errorf("hpage_pmd_size %q", got)
	}
}
