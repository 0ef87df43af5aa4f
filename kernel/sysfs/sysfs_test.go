package sysfs

import (
	"errors"
	"testing"

	"retract/kernel/abi"
	"retract/kernel/fs"
	"retract/mm"
)

const thp = "/sys/kernel/mm/transparent_hugepage/"

func setup(t *testing.T) *fs.Task {
	t.Helper()
	v, err := fs.NewVFS(fs.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Mount(v); err != nil {
		t.Fatal(err)
	}
	// Every test leaves the tunables as it found them.
	k := &mm.Khugepaged
	saved := []int64{k.ScanSleepMs.Load(), k.AllocSleepMs.Load(), k.PagesToScan.Load(), k.MaxPtesNone.Load(),
		k.MaxPtesSwap.Load(), k.MaxPtesShared.Load(), int64(mm.THP.Enabled.Load()), int64(mm.THP.Defrag.Load()),
		int64(mm.THP.ShmemEnabled.Load())}
	zero, defrag := mm.THP.UseZeroPage.Load(), k.Defrag.Load()
	t.Cleanup(func() {
		k.ScanSleepMs.Store(saved[0])
		k.AllocSleepMs.Store(saved[1])
		k.PagesToScan.Store(saved[2])
		k.MaxPtesNone.Store(saved[3])
		k.MaxPtesSwap.Store(saved[4])
		k.MaxPtesShared.Store(saved[5])
		mm.THP.Enabled.Store(int32(saved[6]))
		mm.THP.Defrag.Store(int32(saved[7]))
		mm.THP.ShmemEnabled.Store(int32(saved[8]))
		mm.THP.UseZeroPage.Store(zero)
		k.Defrag.Store(defrag)
	})
	return v.NewTask()
}

func read(t *testing.T, tk *fs.Task, path string) string {
	t.Helper()
	fd, err := fs.Openat(tk, abi.AT_FDCWD, path, abi.O_RDONLY, 0)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer fs.Close(tk, fd)
	buf := make([]byte, 200)
	n, err := fs.Read(tk, fd, buf)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return string(buf[:n])
}

func write(tk *fs.Task, path, s string) error {
	fd, err := fs.Openat(tk, abi.AT_FDCWD, path, abi.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer fs.Close(tk, fd)
	_, err = fs.Write(tk, fd, []byte(s))
	return err
}

// The defaults read in Linux 6.1's format: Linux's defaults, except
// enabled and shmem_enabled, which say what this kernel does by default
// (madvise: huge pages only where advised; advise: khugepaged collapses
// files in advised ranges).
func TestDefaults(t *testing.T) {
	tk := setup(t)
	for _, c := range []struct{ file, want string }{
		{"enabled", "always [madvise] never\n"},
		{"defrag", "always defer defer+madvise [madvise] never\n"},
		{"shmem_enabled", "always within_size [advise] never deny force\n"},
		{"use_zero_page", "1\n"},
		{"hpage_pmd_size", "2097152\n"},
		{"khugepaged/defrag", "1\n"},
		{"khugepaged/pages_to_scan", "4096\n"},
		{"khugepaged/scan_sleep_millisecs", "100\n"},
		{"khugepaged/alloc_sleep_millisecs", "60000\n"},
		{"khugepaged/max_ptes_none", "511\n"},
		{"khugepaged/max_ptes_swap", "64\n"},
		{"khugepaged/max_ptes_shared", "256\n"},
	} {
		if got := read(t, tk, thp+c.file); got != c.want {
			t.Errorf("%s reads %q, want %q", c.file, got, c.want)
		}
	}
	for _, f := range []string{"khugepaged/pages_collapsed", "khugepaged/full_scans"} {
		if got := read(t, tk, thp+f); len(got) < 2 || got[len(got)-1] != '\n' {
			t.Errorf("%s reads %q", f, got)
		}
	}
}

// Writes change mm's tunables, the ones `khugepaged set` changes among
// them, and what Linux refuses is EINVAL and changes nothing.
func TestWrites(t *testing.T) {
	tk := setup(t)
	k := &mm.Khugepaged
	for _, c := range []struct {
		file, value string
		err         error
		check       func() bool
	}{
		{"enabled", "always", nil, func() bool { return mm.THPEnabled() == mm.THPAlways }},
		{"enabled", "never\n", nil, func() bool { return mm.THPEnabled() == mm.THPNever }},
		{"enabled", "sometimes", abi.EINVAL, func() bool { return mm.THPEnabled() == mm.THPNever }},
		{"enabled", "never\n\n", abi.EINVAL, func() bool { return mm.THPEnabled() == mm.THPNever }},
		{"defrag", "defer+madvise", nil, func() bool { return mm.THP.Defrag.Load() == int32(mm.DefragDeferMadvise) }},
		{"shmem_enabled", "deny\n", nil, func() bool { return mm.ShmemEnabled() == mm.ShmemDeny }},
		{"shmem_enabled", "huge", abi.EINVAL, func() bool { return mm.ShmemEnabled() == mm.ShmemDeny }},
		{"use_zero_page", "0\n", nil, func() bool { return !mm.THP.UseZeroPage.Load() }},
		{"use_zero_page", "2", abi.EINVAL, func() bool { return !mm.THP.UseZeroPage.Load() }},
		{"use_zero_page", "x", abi.EINVAL, func() bool { return !mm.THP.UseZeroPage.Load() }},
		{"khugepaged/max_ptes_none", "0", nil, func() bool { return k.MaxPtesNone.Load() == 0 }},
		{"khugepaged/max_ptes_none", "511\n", nil, func() bool { return k.MaxPtesNone.Load() == 511 }},
		{"khugepaged/max_ptes_none", "512", abi.EINVAL, func() bool { return k.MaxPtesNone.Load() == 511 }},
		{"khugepaged/max_ptes_none", "-1", abi.EINVAL, func() bool { return k.MaxPtesNone.Load() == 511 }},
		{"khugepaged/pages_to_scan", "+8", nil, func() bool { return k.PagesToScan.Load() == 8 }},
		{"khugepaged/pages_to_scan", "0", abi.EINVAL, func() bool { return k.PagesToScan.Load() == 8 }},
		{"khugepaged/pages_to_scan", "4294967296", abi.EINVAL, func() bool { return k.PagesToScan.Load() == 8 }},
		{"khugepaged/scan_sleep_millisecs", "0", nil, func() bool { return k.ScanSleepMs.Load() == 0 }},
		{"khugepaged/scan_sleep_millisecs", " 5", abi.EINVAL, func() bool { return k.ScanSleepMs.Load() == 0 }},
		{"khugepaged/alloc_sleep_millisecs", "1000", nil, func() bool { return k.AllocSleepMs.Load() == 1000 }},
		{"khugepaged/max_ptes_swap", "10", nil, func() bool { return k.MaxPtesSwap.Load() == 10 }},
		{"khugepaged/max_ptes_shared", "0", nil, func() bool { return k.MaxPtesShared.Load() == 0 }},
		{"khugepaged/defrag", "0", nil, func() bool { return !k.Defrag.Load() }},
	} {
		err := write(tk, thp+c.file, c.value)
		if c.err == nil && err != nil || c.err != nil && !errors.Is(err, c.err) {
			t.Errorf("%s <- %q: %v, want %v", c.file, c.value, err, c.err)
		}
		if !c.check() {
			t.Errorf("%s <- %q: the tunable is not what it should be", c.file, c.value)
		}
	}
	if got := read(t, tk, thp+"enabled"); got != "always madvise [never]\n" {
		t.Errorf("enabled reads %q after writing never", got)
	}
	if got := read(t, tk, thp+"khugepaged/max_ptes_none"); got != "511\n" {
		t.Errorf("max_ptes_none reads %q", got)
	}
	for _, f := range []string{"hpage_pmd_size", "khugepaged/pages_collapsed", "khugepaged/full_scans"} {
		if err := write(tk, thp+f, "1"); !errors.Is(err, abi.EACCES) {
			t.Errorf("writing %s: %v, want EACCES (read-only)", f, err)
		}
	}
}

// fault_around_bytes behaves like Linux's debugfs file: rounded down to a
// power of two, one page at least, EINVAL above 2 MiB.
func TestFaultAroundBytes(t *testing.T) {
	tk := setup(t)
	saved := mm.FaultAroundBytes()
	t.Cleanup(func() { mm.SetFaultAroundBytes(saved) })
	const path = "/sys/kernel/debug/fault_around_bytes"
	if got := read(t, tk, path); got != "65536\n" {
		t.Errorf("default: %q, want 65536", got)
	}
	for _, c := range []struct {
		in   string
		want string
	}{{"100000", "65536\n"}, {"0", "4096\n"}, {"4097\n", "4096\n"}, {"2097152", "2097152\n"}, {"8192", "8192\n"}} {
		if err := write(tk, path, c.in); err != nil {
			t.Errorf("write %q: %v", c.in, err)
		}
		if got := read(t, tk, path); got != c.want {
			t.Errorf("after %q: %q, want %q", c.in, got, c.want)
		}
	}
	for _, bad := range []string{"2101248", "-1", "x", ""} {
		if err := write(tk, path, bad); !errors.Is(err, abi.EINVAL) {
			t.Errorf("write %q: %v, want EINVAL", bad, err)
		}
	}
	if got := read(t, tk, path); got != "8192\n" {
		t.Errorf("after the bad writes: %q, want 8192 (unchanged)", got)
	}
}
