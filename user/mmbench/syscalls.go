package main

import (
	"fmt"
	"os"
	"syscall"
	"time"
)

// The null system call: getppid, with RawSyscall (no Go scheduler
// bookkeeping around it), in batches, for the run's duration.
func nullSyscall(e *env) (float64, error) {
	if err := pin(e.cpus[0]); err != nil {
		return 0, err
	}
	defer unpin()
	const batch = 10000
	ppid := uintptr(os.Getppid())
	var calls int
	t0 := time.Now()
	var d time.Duration
	for calls == 0 || d < e.duration() {
		for i := 0; i < batch; i++ {
			if r, _, _ := syscall.RawSyscall(syscall.SYS_GETPPID, 0, 0, 0); r != ppid {
				return 0, fmt.Errorf("getppid returned %d, want %d", r, ppid)
			}
		}
		calls += batch
		d = time.Since(t0)
	}
	return float64(d.Nanoseconds()) / float64(calls), nil
}

// fork+exec+wait: syscall.ForkExec of this program with -exit-at-once
// (the child's Go runtime starts and exits at once), then wait4.
func forkExecWait(e *env) (float64, error) {
	exe, err := os.Executable() // /proc/self/exe
	if err != nil {
		exe = os.Args[0]
	}
	argv := []string{exe, exitAtOnce}
	attr := &syscall.ProcAttr{Files: []uintptr{0, 1, 2}}
	var n int
	var busy time.Duration
	min := e.rounds(3, 10)
	for n < min || busy < e.duration() {
		t0 := time.Now()
		pid, err := syscall.ForkExec(exe, argv, attr)
		if err != nil {
			return 0, fmt.Errorf("fork/exec %s: %v", exe, err)
		}
		var ws syscall.WaitStatus
		for {
			_, err = syscall.Wait4(pid, &ws, 0, nil)
			if err != syscall.EINTR {
				break
			}
		}
		busy += time.Since(t0)
		if err != nil {
			return 0, fmt.Errorf("wait4: %v", err)
		}
		if !ws.Exited() || ws.ExitStatus() != 0 {
			return 0, fmt.Errorf("child ended with status %#x", int(ws))
		}
		n++
	}
	return float64(busy.Nanoseconds()) / 1e3 / float64(n), nil
}
