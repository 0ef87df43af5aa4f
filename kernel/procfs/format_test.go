package procfs

import (
	"os"
	"strings"
	"testing"
	"time"

	"retract/kernel/abi"
	"retract/kernel/fs"
	"retract/mm"
)

// golden compares got with testdata/NAME.golden, line by line so that a
// difference is easy to see (the files were written from Linux 6.1's
// format strings, not from this package's output).
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	want, err := os.ReadFile("testdata/" + name + ".golden")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) == string(want) {
		return
	}
	g, w := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := 0; i < max(len(g), len(w)); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			t.Errorf("%s line %d:\n got  %q\n want %q", name, i+1, gl, wl)
			return
		}
	}
	t.Errorf("%s: got %q, want %q", name, got, want)
}

func testMem() mm.MemCounts {
	return mm.MemCounts{Total: 131072, Free: 100000, Reserve: 8192, Anon: 1000, PageCache: 2048, FileMapped: 600,
		AnonHuge: 512, FileHuge: 1024, FilePmdMapped: 512, PageTables: 50, Kernel: 3000, GoHeap: 20000}
}

func TestMeminfo(t *testing.T) {
	golden(t, "meminfo", meminfo(MemInputs{Mem: testMem(), KernelStack: 10 * 32 << 10, Committed: 3000,
		HeapWindow: 512 << 30, DirectMap: 512 << 20}))
}

// MemAvailable never goes below zero when free memory is inside the
// kernel's reserve.
func TestMeminfoAvailableFloor(t *testing.T) {
	c := testMem()
	c.Free = 100
	out := string(meminfo(MemInputs{Mem: c}))
	if !strings.Contains(out, "\nMemAvailable:          0 kB\n") {
		t.Errorf("MemAvailable with free memory below the reserve:\n%s", out)
	}
}

func TestVmstat(t *testing.T) {
	s := VMStat{Mem: testMem(), ThpFaultAlloc: 1, ThpFaultFallback: 2, ThpCollapseAlloc: 3, ThpCollapseAllocFailed: 4,
		ThpFileMapped: 5, ThpSplitPage: 6, ThpSplitPageFailed: 7, ThpSplitPMD: 8, ThpScanExceedNone: 9,
		PtRetracted: 10, PtRetractSkipped: 11, PtFreedRCU: 12, PtFreedUnsafe: 13, PtFreePending: 14, PtRetractRetries: 15, PtUAFCaught: 16}
	want := `nr_free_pages 100000
nr_anon_pages 1000
nr_mapped 600
nr_file_pages 2048
nr_shmem 2048
nr_shmem_hugepages 2
nr_shmem_pmdmapped 1
nr_file_hugepages 0
nr_file_pmdmapped 0
nr_anon_transparent_hugepages 1
nr_page_table_pages 50
thp_fault_alloc 1
thp_fault_fallback 2
thp_fault_fallback_charge 0
thp_collapse_alloc 3
thp_collapse_alloc_failed 4
thp_file_alloc 0
thp_file_fallback 0
thp_file_fallback_charge 0
thp_file_mapped 5
thp_split_page 6
thp_split_page_failed 7
thp_deferred_split_page 0
thp_split_pmd 8
thp_scan_exceed_none_pte 9
thp_scan_exceed_swap_pte 0
thp_scan_exceed_share_pte 0
thp_split_pud 0
thp_zero_page_alloc 0
thp_zero_page_alloc_failed 0
thp_swpout 0
thp_swpout_fallback 0
pt_retracted 10
pt_retract_skipped 11
pt_freed_rcu 12
pt_freed_unsafe 13
pt_free_pending 14
pt_retract_retries 15
pt_uaf_caught 16
`
	if got := string(vmstat(s)); got != want {
		t.Errorf("vmstat:\n%s\nwant:\n%s", got, want)
	}
}

// qemu64 is CPUID as QEMU's qemu64 model answers it under TCG (AMD,
// family 15 model 107, no invariant TSC, a 512 KiB L2).
func qemu64(leaf, sub uint32) (a, b, c, d uint32) {
	str := func(s string, i int) uint32 {
		var v uint32
		for k := 3; k >= 0; k-- {
			v = v<<8 | uint32(s[i+k])
		}
		return v
	}
	brand := "QEMU Virtual CPU version 2.5+" + strings.Repeat("\x00", 48-29)
	switch leaf {
	case 0:
		return 0xd, str("Auth", 0), str("cAMD", 0), str("enti", 0)
	case 1:
		return 0x00060fb1, 0x0800, 0x80002001, 0x078bfbfd
	case 0x80000000:
		return 0x8000000a, 0, 0, 0
	case 0x80000001:
		return 0, 0, 0x105, 0x20100800
	case 0x80000002, 0x80000003, 0x80000004:
		i := int(leaf-0x80000002) * 16
		return str(brand, i), str(brand, i+4), str(brand, i+8), str(brand, i+12)
	case 0x80000006:
		return 0, 0, 512 << 16, 0
	case 0x80000008:
		return 0x3028, 0, 0, 0
	}
	return 0, 0, 0, 0
}

func TestCPUInfo(t *testing.T) {
	base := identify(qemu64)
	var cpus []CPUInfo
	for id := 0; id < 2; id++ {
		c := base
		c.Processor, c.CoreID, c.APICID, c.Siblings, c.Cores, c.KHz = id, id, id, 2, 2, 2000000
		cpus = append(cpus, c)
	}
	golden(t, "cpuinfo", cpuinfo(cpus))
}

// An Intel CPU with an invariant TSC gets constant_tsc and nonstop_tsc,
// its extended model, and the largest cache leaf 4 describes.
func TestIdentifyIntel(t *testing.T) {
	c := identify(func(leaf, sub uint32) (uint32, uint32, uint32, uint32) {
		switch leaf {
		case 0:
			return 0x16, 0x756e6547, 0x6c65746e, 0x49656e69 // GenuineIntel
		case 1:
			return 0x000906ea, 0x0800, 0, 1 // family 6, model 0x9e, stepping 10; fpu
		case 4:
			switch sub {
			case 0: // L1d: 8 ways, 1 partition, 64-byte lines, 64 sets = 32 KiB
				return 0x121, 7<<22 | 63, 63, 0
			case 1: // L3: 16 ways, 64-byte lines, 8192 sets = 8 MiB
				return 0x163, 15<<22 | 63, 8191, 0
			}
		case 0x80000000:
			return 0x80000008, 0, 0, 0
		case 0x80000007:
			return 0, 0, 0, 1 << 8
		case 0x80000008:
			return 0x3027, 0, 0, 0
		}
		return 0, 0, 0, 0
	})
	if c.VendorID != "GenuineIntel" || c.Family != 6 || c.Model != 158 || c.Stepping != 10 || c.CacheKB != 8192 ||
		c.PhysBits != 39 || c.ModelName != "unknown" {
		t.Errorf("identify: %+v", c)
	}
	if got := strings.Join(c.Flags, " "); got != "fpu constant_tsc rep_good nopl nonstop_tsc cpuid" {
		t.Errorf("flags %q", got)
	}
}

func TestProcStat(t *testing.T) {
	got := string(procStat(StatInputs{
		CPUs:       []CPUTime{{Busy: 1500 * 1e6, Idle: 8500 * 1e6}, {Busy: 250 * 1e6, Idle: 9750 * 1e6}},
		Interrupts: 1234, ContextSwitches: 5678, BootTime: 1700000000, Processes: 42, ProcsRunning: 2,
	}))
	want := "cpu  0 0 175 1825 0 0 0 0 0 0\ncpu0 0 0 150 850 0 0 0 0 0 0\ncpu1 0 0 25 975 0 0 0 0 0 0\n" +
		"intr 1234\nctxt 5678\nbtime 1700000000\nprocesses 42\nprocs_running 2\nprocs_blocked 0\nsoftirq 0 0 0 0 0 0 0 0 0 0 0\n"
	if got != want {
		t.Errorf("/proc/stat:\n%s\nwant:\n%s", got, want)
	}
}

func TestUptime(t *testing.T) {
	if got := string(uptime(10560*time.Millisecond, 18300*time.Millisecond)); got != "10.56 18.30\n" {
		t.Errorf("uptime %q", got)
	}
}

// One minute of one runnable thread moves the averages to 1-e^-1,
// 1-e^-1/5 and 1-e^-1/15 (0.63, 0.18, 0.06), as Linux's fixed point does.
func TestLoadavg(t *testing.T) {
	var l loadAvg
	for i := 0; i < 12; i++ {
		l.sample(1)
	}
	if got := string(loadavg(l.get(), 1, 7, 42)); got != "0.63 0.18 0.06 1/7 42\n" {
		t.Errorf("loadavg %q", got)
	}
	var idle loadAvg
	if got := string(loadavg(idle.get(), 0, 3, 1)); got != "0.00 0.00 0.00 0/3 1\n" {
		t.Errorf("idle loadavg %q", got)
	}
	// Reads catch up with the 5 s steps due since the last: one minute
	// in one read is the same twelve steps; a read 4 s later adds none.
	var lazy loadAvg
	lazy.catchUp(62*time.Second, 1)
	if lazy.get() != l.get() {
		t.Errorf("catching up a minute: %v, want %v", lazy.get(), l.get())
	}
	lazy.catchUp(64*time.Second, 5)
	if lazy.get() != l.get() {
		t.Errorf("a read within the same 5 s moved the averages: %v", lazy.get())
	}
	lazy.catchUp(65*time.Second, 1)
	l.sample(1)
	if lazy.get() != l.get() {
		t.Errorf("the 13th step: %v, want %v", lazy.get(), l.get())
	}
}

// testVMAs are three VMAs: a program's text (a file), a heap with an
// anonymous huge page, and one anonymous page, with what they map.
func testVMAs() ([]mm.VMAInfo, []MapName) {
	vmas := []mm.VMAInfo{
		{VMA: mm.VMA{Start: 0x400000, End: 0x600000, Prot: mm.ProtRead | mm.ProtExec, File: "prog"},
			Rss: 8192, Pss: 6144, SharedClean: 4096, PrivateClean: 4096, Referenced: 8192},
		{VMA: mm.VMA{Start: 0x600000, End: 0x800000, Prot: mm.ProtRead | mm.ProtWrite, Flags: mm.VMAnon | mm.VMHugepage},
			Rss: 2 << 20, Pss: 2 << 20, PssDirty: 2 << 20, PrivateDirty: 2 << 20, Referenced: 2 << 20, Anonymous: 2 << 20, AnonHuge: 2 << 20},
		{VMA: mm.VMA{Start: 0x7f0000000000, End: 0x7f0000001000, Prot: mm.ProtRead | mm.ProtWrite, Flags: mm.VMAnon}},
	}
	names := []MapName{{Path: "/bin/prog", Dev: abi.Mkdev(0, 2), Ino: 12}, {Path: "[heap]"}, {}}
	return vmas, names
}

func TestMapsSmaps(t *testing.T) {
	vmas, names := testVMAs()
	golden(t, "maps", maps(vmas, names))
	golden(t, "smaps", smaps(vmas, names))
}

func testStat() Stat {
	caps := uint64(1)<<41 - 1
	return Stat{Comm: "init", State: 'S', TGID: 1, PGID: 1, SID: 1, TTY: 5<<8 | 1, TPGID: 1, Flags: 0x400100,
		Umask: 0o22, FDSize: 64, MinFlt: 100, UTime: 500e6, STime: 250e6, NumThreads: 2, StartTime: 1230e6,
		CPU: 1, ExitSignal: 17, SigIgnored: 1 << 12, SigCaught: 1 << 16, SigQueueLimit: 1983,
		CapPrm: caps, CapEff: caps, CapBnd: caps, VoluntarySwitches: 5, InvoluntarySwitches: 3,
		StartCode: 0x401000, EndCode: 0x4a0000, StartData: 0x4b0000, EndData: 0x4c0000, StartBrk: 0x4d0000,
		StartStack: 0x7ffffffde000, ArgStart: 0x7ffffffdf000, ArgEnd: 0x7ffffffdf010, EnvStart: 0x7ffffffdf010, EnvEnd: 0x7ffffffdffe0}
}

func TestPidFiles(t *testing.T) {
	vmas, names := testVMAs()
	f := figures(vmas, names, "/bin/prog", 16384)
	want := memFigures{Size: 4<<20 + 4096, Rss: 2<<20 + 8192, RssAnon: 2 << 20, RssShmem: 8192, Data: 2<<20 + 4096,
		Exe: 2 << 20, PTE: 16384, Shared: 8192, Text: 2 << 20}
	if f != want {
		t.Errorf("figures %+v, want %+v", f, want)
	}
	golden(t, "stat", pidStatLine(1, testStat(), f))
	golden(t, "status", pidStatus(StatusInputs{PID: 1, HasMM: true, Mem: f, NumCPU: 2}, testStat()))
	if got := string(pidStatm(f)); got != "1025 514 2 512 0 513 0\n" {
		t.Errorf("statm %q", got)
	}
}

func TestBitmaps(t *testing.T) {
	for _, c := range []struct {
		n          int
		mask, list string
	}{{1, "1", "0"}, {2, "3", "0-1"}, {4, "f", "0-3"}, {8, "ff", "0-7"}, {33, "1,ffffffff", "0-32"}} {
		if m, l := cpuMask(c.n), cpuList(c.n); m != c.mask || l != c.list {
			t.Errorf("%d CPUs: %q %q, want %q %q", c.n, m, l, c.mask, c.list)
		}
	}
}

func TestMounts(t *testing.T) {
	var ms []fs.MountInfo
	for _, m := range [][3]string{{"rootfs", "/", "rootfs"}, {"proc", "/proc", "proc"}, {"tmpfs", "/my dir", "tmpfs"}} {
		ms = append(ms, fs.MountInfo{Source: m[0], Dir: m[1], Type: m[2]})
	}
	got := string(mounts(ms))
	want := "rootfs / rootfs rw 0 0\nproc /proc proc rw,relatime 0 0\ntmpfs /my\\040dir tmpfs rw,relatime 0 0\n"
	if got != want {
		t.Errorf("mounts:\n%s\nwant:\n%s", got, want)
	}
}
