package main

// What runtests does as PID 1 (init=/bin/runtests); the same as user/init
// does, plus a tmpfs on /tmp.

import (
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"
)

var mounts = []struct{ source, target, fstype string }{
	{"proc", "/proc", "proc"},
	{"sysfs", "/sys", "sysfs"},
	{"devtmpfs", "/dev", "devtmpfs"},
	{"tmpfs", "/tmp", "tmpfs"},
}

// mountAll mounts them, creating the directories; already mounted, no
// such file system or no mount system call are not worth a word.
func mountAll() {
	for _, m := range mounts {
		os.Mkdir(m.target, 0o755)
		err := syscall.Mount(m.source, m.target, m.fstype, syscall.MS_NOSUID, "")
		switch err {
		case nil, syscall.EBUSY, syscall.ENOENT, syscall.ENODEV, syscall.ENOSYS:
		default:
			fmt.Fprintf(os.Stderr, "runtests: mount %s on %s: %v\n", m.fstype, m.target, err)
		}
	}
}

// ensureConsole opens /dev/console as fds 0-2 when fd 1 is not open.
func ensureConsole() {
	var st syscall.Stat_t
	if syscall.Fstat(1, &st) != syscall.EBADF {
		return
	}
	fd, err := syscall.Open("/dev/console", syscall.O_RDWR, 0)
	if err != nil {
		return
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

// powerOff drains the console (TCSBRK), syncs and powers off; PID 1 must
// not exit on Linux, so if that fails it sleeps forever. On retract, PID 1
// exits with status: the kernel then powers off and QEMU's exit status
// carries it.
func powerOff(status int) {
	syscall.Syscall(syscall.SYS_IOCTL, 1, 0x5409, 1)
	syscall.Sync()
	if onRetract() {
		os.Exit(status)
	}
	err := syscall.Reboot(syscall.LINUX_REBOOT_CMD_POWER_OFF)
	fmt.Fprintf(os.Stderr, "runtests: power off failed: %v; halting here\n", err)
	for {
		time.Sleep(time.Hour)
	}
}

// onRetract reports whether the kernel is retract (its release says so).
func onRetract() bool {
	var u syscall.Utsname
	if syscall.Uname(&u) != nil {
		return false
	}
	var b []byte
	for _, c := range u.Release {
		if c == 0 {
			break
		}
		b = append(b, byte(c))
	}
	return strings.Contains(string(b), "retract")
}
