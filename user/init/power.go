package main

import (
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"
)

// tcsbrk is the TCSBRK ioctl; with a non-zero argument it is tcdrain:
// wait until the terminal has sent everything written to it.
const tcsbrk = 0x5409

// powerOff drains the console, syncs and powers off. It never returns.
func powerOff(status int) {
	// Without the drain, the last lines can still be in the serial
	// driver's buffer when the machine goes away.
	syscall.Syscall(syscall.SYS_IOCTL, 1, tcsbrk, 1)
	syscall.Sync()
	// On retract PID 1 may exit: the kernel powers off and QEMU's exit
	// status is the program's.
	if onRetract() {
		os.Exit(status)
	}
	// reboot(2) with LINUX_REBOOT_MAGIC1/MAGIC2 and
	// LINUX_REBOOT_CMD_POWER_OFF (system call 169 on amd64).
	err := syscall.Reboot(syscall.LINUX_REBOOT_CMD_POWER_OFF)
	fmt.Fprintf(os.Stderr, "init: power off failed: %v; halting here\n", err)
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
