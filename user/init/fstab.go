package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"
	"syscall"
)

// fstabEntry is one line of /etc/fstab: what to mount where.
type fstabEntry struct {
	source, target, fstype string
	flags                  uintptr
	data                   string // the options that are not mount flags, e.g. "huge=advise"
}

// mountFlags are the fstab options that are mount(2) flags.
var mountFlags = map[string]uintptr{
	"ro": syscall.MS_RDONLY, "nosuid": syscall.MS_NOSUID, "nodev": syscall.MS_NODEV,
	"noexec": syscall.MS_NOEXEC, "noatime": syscall.MS_NOATIME, "relatime": syscall.MS_RELATIME,
	"sync": syscall.MS_SYNCHRONOUS, "rw": 0, "defaults": 0,
}

// parseFstab parses fstab text: "source target fstype [options [dump
// [pass]]]" per line, "#" comments. Options that are mount flags become
// flags; the rest are passed to the file system as data.
func parseFstab(text string) ([]fstabEntry, error) {
	var out []fstabEntry
	sc := bufio.NewScanner(strings.NewReader(text))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 3 || len(f) > 6 {
			return nil, fmt.Errorf("fstab line %d: want source target fstype [options [dump [pass]]], got %q", n, line)
		}
		e := fstabEntry{source: f[0], target: f[1], fstype: f[2]}
		if !strings.HasPrefix(e.target, "/") {
			return nil, fmt.Errorf("fstab line %d: target %q is not absolute", n, e.target)
		}
		if len(f) > 3 {
			var data []string
			for _, o := range strings.Split(f[3], ",") {
				if fl, ok := mountFlags[o]; ok {
					e.flags |= fl
				} else if o != "" {
					data = append(data, o)
				}
			}
			e.data = strings.Join(data, ",")
		}
		out = append(out, e)
	}
	return out, sc.Err()
}

// mountFstab mounts what /etc/fstab lists, if there is one, creating the
// mount points. Errors are reported and otherwise ignored.
func mountFstab(path string) {
	b, err := os.ReadFile(path)
	if err != nil {
		return // no fstab: nothing more to mount
	}
	entries, err := parseFstab(string(b))
	if err != nil {
		fmt.Fprintf(os.Stderr, "init: %s: %v\n", path, err)
		return
	}
	for _, e := range entries {
		if err := os.MkdirAll(e.target, 0o755); err != nil {
			fmt.Fprintf(os.Stderr, "init: mkdir %s: %v\n", e.target, err)
			continue
		}
		if err := syscall.Mount(e.source, e.target, e.fstype, e.flags, e.data); err != nil {
			fmt.Fprintf(os.Stderr, "init: mount %s on %s (%s): %v\n", e.fstype, e.target, e.data, err)
		}
	}
}
