// trapctx: process context only

// Package sysfs is retract's /sys: a synthetic file system with the
// corners programs here read and tune, /sys/kernel/mm/transparent_hugepage
// (Linux's mm/huge_memory.c, mm/khugepaged.c and mm/shmem.c attributes)
// and debugfs's /sys/kernel/debug/fault_around_bytes (mm/memory.c).
// Each file shows and sets a tunable of package mm — the same ones the
// shell's `khugepaged set` changes — in Linux 6.1's format, and refuses
// what Linux refuses with EINVAL. docs/procfs.md lists the files and what
// each changes here.
package sysfs

import (
	"strconv"
	"strings"
	"sync/atomic"

	"retract/kernel/abi"
	"retract/kernel/fs"
	"retract/mm"
)

// New builds /sys for v; Mount puts it at /sys.
func New(v *fs.VFS) *fs.FS {
	thp := fs.SynthDir(0o755,
		fs.SynthEntry{Name: "defrag", Node: choice(&mm.THP.Defrag, []string{"always", "defer", "defer+madvise", "madvise", "never"}, nil)},
		fs.SynthEntry{Name: "enabled", Node: choice(&mm.THP.Enabled, []string{"always", "madvise", "never"}, mm.WakeKhugepaged)},
		fs.SynthEntry{Name: "hpage_pmd_size", Node: value(func() uint64 { return mm.HPageSize })},
		fs.SynthEntry{Name: "khugepaged", Node: khugepagedDir()},
		fs.SynthEntry{Name: "shmem_enabled", Node: choice(&mm.THP.ShmemEnabled, []string{"always", "within_size", "advise", "never", "deny", "force"}, nil)},
		fs.SynthEntry{Name: "use_zero_page", Node: flag(&mm.THP.UseZeroPage)},
	)
	mmDir := fs.SynthDir(0o755, fs.SynthEntry{Name: "transparent_hugepage", Node: thp})
	debug := fs.SynthDir(0o700, fs.SynthEntry{Name: "fault_around_bytes", Node: faultAroundBytes()})
	kernel := fs.SynthDir(0o755, fs.SynthEntry{Name: "debug", Node: debug}, fs.SynthEntry{Name: "mm", Node: mmDir})
	root := fs.SynthDir(0o555, fs.SynthEntry{Name: "kernel", Node: kernel})
	return v.NewSyntheticFS("sysfs", abi.SYSFS_MAGIC, root)
}

// Mount builds /sys for v and mounts it at /sys.
func Mount(v *fs.VFS) (*fs.FS, error) {
	s := New(v)
	return s, v.Mount("/sys", s)
}

func khugepagedDir() *fs.Synthetic {
	k, st := &mm.Khugepaged, &mm.KhugepagedStat
	maxPtes := uint64(mm.HPageNr - 1)
	return fs.SynthDir(0o755,
		fs.SynthEntry{Name: "alloc_sleep_millisecs", Node: number(&k.AllocSleepMs, 0, 1<<32-1, mm.WakeKhugepaged)},
		fs.SynthEntry{Name: "defrag", Node: flag(&k.Defrag)},
		fs.SynthEntry{Name: "full_scans", Node: value(st.FullScans.Load)},
		fs.SynthEntry{Name: "max_ptes_none", Node: number(&k.MaxPtesNone, 0, maxPtes, nil)},
		fs.SynthEntry{Name: "max_ptes_shared", Node: number(&k.MaxPtesShared, 0, maxPtes, nil)},
		fs.SynthEntry{Name: "max_ptes_swap", Node: number(&k.MaxPtesSwap, 0, maxPtes, nil)},
		fs.SynthEntry{Name: "pages_collapsed", Node: value(st.Collapsed.Load)},
		fs.SynthEntry{Name: "pages_to_scan", Node: number(&k.PagesToScan, 1, 1<<32-1, nil)},
		fs.SynthEntry{Name: "scan_sleep_millisecs", Node: number(&k.ScanSleepMs, 0, 1<<32-1, mm.WakeKhugepaged)},
	)
}

// choice is a file that shows its options with the current one in
// brackets ("always [madvise] never") and takes one of them, with or
// without a newline (sysfs_streq); anything else is EINVAL. changed runs
// after a successful write.
func choice(v *atomic.Int32, options []string, changed func()) *fs.Synthetic {
	return &fs.Synthetic{
		Mode: abi.S_IFREG | 0o644,
		Read: func(any) ([]byte, error) { return []byte(showChoice(options, int(v.Load()))), nil },
		Write: func(_ any, b []byte) (int, error) {
			i, err := parseChoice(options, b)
			if err != nil {
				return 0, err
			}
			v.Store(int32(i))
			if changed != nil {
				changed()
			}
			return len(b), nil
		},
	}
}

// showChoice prints options with the current one bracketed.
func showChoice(options []string, cur int) string {
	parts := make([]string, len(options))
	for i, o := range options {
		parts[i] = o
		if i == cur {
			parts[i] = "[" + o + "]"
		}
	}
	return strings.Join(parts, " ") + "\n"
}

// parseChoice finds the option written (one trailing newline allowed).
func parseChoice(options []string, b []byte) (int, error) {
	s := strings.TrimSuffix(string(b), "\n")
	for i, o := range options {
		if s == o {
			return i, nil
		}
	}
	return 0, abi.EINVAL
}

// number is a file that shows a decimal and takes one in [lo, hi], as
// kstrtouint does (an optional '+', digits, an optional newline);
// anything else is EINVAL, like the khugepaged attributes' stores.
func number(v *atomic.Int64, lo, hi uint64, changed func()) *fs.Synthetic {
	return &fs.Synthetic{
		Mode: abi.S_IFREG | 0o644,
		Read: func(any) ([]byte, error) { return []byte(strconv.FormatInt(v.Load(), 10) + "\n"), nil },
		Write: func(_ any, b []byte) (int, error) {
			n, err := parseUint(b)
			if err != nil || n < lo || n > hi {
				return 0, abi.EINVAL
			}
			v.Store(int64(n))
			if changed != nil {
				changed()
			}
			return len(b), nil
		},
	}
}

// faultAroundBytes is Linux's debugfs file fault_around_bytes (Linux
// mounts debugfs at /sys/kernel/debug; here it is part of /sys): how much
// a file fault maps around itself. A value over 2 MiB is EINVAL; others
// are rounded down to a power of two, one page at least (which turns
// fault-around off).
func faultAroundBytes() *fs.Synthetic {
	return &fs.Synthetic{
		Mode: abi.S_IFREG | 0o644,
		Read: func(any) ([]byte, error) { return []byte(strconv.FormatUint(mm.FaultAroundBytes(), 10) + "\n"), nil },
		Write: func(_ any, b []byte) (int, error) {
			n, err := parseUint(b)
			if err != nil {
				return 0, err
			}
			if mm.SetFaultAroundBytes(n) != nil {
				return 0, abi.EINVAL
			}
			return len(b), nil
		},
	}
}

// flag is a 0/1 file (use_zero_page, khugepaged/defrag): a value above 1
// is EINVAL, one that does not parse is kstrtoul's error.
func flag(v *atomic.Bool) *fs.Synthetic {
	return &fs.Synthetic{
		Mode: abi.S_IFREG | 0o644,
		Read: func(any) ([]byte, error) {
			if v.Load() {
				return []byte("1\n"), nil
			}
			return []byte("0\n"), nil
		},
		Write: func(_ any, b []byte) (int, error) {
			n, err := parseUint(b)
			if err != nil {
				return 0, err
			}
			if n > 1 {
				return 0, abi.EINVAL
			}
			v.Store(n == 1)
			return len(b), nil
		},
	}
}

// value is a read-only decimal file.
func value(get func() uint64) *fs.Synthetic {
	return fs.SynthFile(0o444, func(any) ([]byte, error) { return []byte(strconv.FormatUint(get(), 10) + "\n"), nil })
}

// parseUint is kstrtoull in base 10: an optional '+', decimal digits and
// an optional newline; EINVAL for anything else, ERANGE past 64 bits.
func parseUint(b []byte) (uint64, error) {
	s := strings.TrimSuffix(string(b), "\n")
	s = strings.TrimPrefix(s, "+")
	if s == "" || strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' }) >= 0 {
		return 0, abi.EINVAL
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, abi.ERANGE
	}
	return n, nil
}
