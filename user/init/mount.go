package main

import (
	"fmt"
	"os"
	"syscall"
)

// mounts are the file systems PID 1 mounts, in order.
var mounts = []struct{ source, target, fstype string }{
	{"proc", "/proc", "proc"},
	{"sysfs", "/sys", "sysfs"},
	{"devtmpfs", "/dev", "devtmpfs"},
}

// benignMountError reports whether a mount failure just means there is
// nothing to do: already mounted (EBUSY), no such mount point or file
// system type (ENOENT, ENODEV), or no mount system call at all (ENOSYS).
func benignMountError(err error) bool {
	switch err {
	case syscall.EBUSY, syscall.ENOENT, syscall.ENODEV, syscall.ENOSYS:
		return true
	}
	return false
}

// mountAll mounts /proc, /sys and /dev. Failures other than the benign
// ones are reported and otherwise ignored: the command may not need them.
func mountAll() {
	for _, m := range mounts {
		if err := os.Mkdir(m.target, 0o755); err != nil && !os.IsExist(err) && !benignMountError(underlying(err)) {
			fmt.Fprintf(os.Stderr, "init: mkdir %s: %v\n", m.target, err)
		}
		err := syscall.Mount(m.source, m.target, m.fstype, syscall.MS_NOSUID|syscall.MS_NOEXEC, "")
		if err != nil && !benignMountError(err) {
			fmt.Fprintf(os.Stderr, "init: mount %s on %s: %v\n", m.fstype, m.target, err)
		}
	}
}

// underlying returns the errno inside a *PathError, or err.
func underlying(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// ensureConsole opens /dev/console as fds 0, 1 and 2 when fd 1 is not
// open (a kernel that started init without a console).
func ensureConsole() {
	var st syscall.Stat_t
	if syscall.Fstat(1, &st) != syscall.EBADF {
		return
	}
	fd, err := syscall.Open("/dev/console", syscall.O_RDWR, 0)
	if err != nil {
		return // nowhere to say so
	}
	for i := 0; i < 3; i++ {
		if fd != i {
			syscall.Dup2(fd, i)
		}
	}
	if fd > 2 {
		syscall.Close(fd)
	}
}
