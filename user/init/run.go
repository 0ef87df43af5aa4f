package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// runAndReap starts argv with init's standard fds and waits for it,
// reaping any other child that exits meanwhile (as PID 1, orphans). It
// returns the command's wait status.
func runAndReap(argv []string) (syscall.WaitStatus, error) {
	pid, err := syscall.ForkExec(argv[0], argv, &syscall.ProcAttr{
		Env:   environ(),
		Files: []uintptr{0, 1, 2},
	})
	if err != nil {
		return 0, fmt.Errorf("exec %s: %v", argv[0], err)
	}
	for {
		var ws syscall.WaitStatus
		wpid, err := syscall.Wait4(-1, &ws, 0, nil)
		switch {
		case err == syscall.EINTR:
			continue
		case err != nil:
			return 0, fmt.Errorf("wait for %s (pid %d): %v", argv[0], pid, err)
		case wpid == pid && (ws.Exited() || ws.Signaled()):
			return ws, nil
		}
	}
}

// marker is the line init prints when the command has finished.
func marker(ws syscall.WaitStatus) string {
	if ws.Signaled() {
		return fmt.Sprintf("init: killed by signal %d (%s)", int(ws.Signal()), signalName(ws.Signal()))
	}
	return fmt.Sprintf("init: exit status %d", ws.ExitStatus())
}

// exitCode is the status a shell would report: the exit status, or
// 128+S for a signal.
func exitCode(ws syscall.WaitStatus) int {
	if ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ws.ExitStatus()
}

func signalName(s syscall.Signal) string {
	n := s.String() // "killed", "segmentation fault", ...
	if strings.HasPrefix(n, "signal ") {
		return "SIG" + strconv.Itoa(int(s))
	}
	return n
}

// uptime reads /proc/uptime: seconds since boot.
func uptime() (float64, bool) {
	b, err := os.ReadFile("/proc/uptime")
	if err != nil {
		return 0, false
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0, false
	}
	v, err := strconv.ParseFloat(f[0], 64)
	return v, err == nil
}
