package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// outcome is how a program ended.
type outcome struct {
	ws       syscall.WaitStatus
	err      error // it could not be started or waited for
	timedOut time.Duration
	took     time.Duration
}

func (o outcome) ok() bool {
	return o.err == nil && o.timedOut == 0 && o.ws.Exited() && o.ws.ExitStatus() == 0
}

func (o outcome) String() string {
	secs := fmt.Sprintf("in %.2f s", o.took.Seconds())
	switch {
	case o.err != nil:
		return "FAILED: " + o.err.Error()
	case o.timedOut != 0:
		return fmt.Sprintf("FAILED: timed out after %v (killed with its process group)", o.timedOut)
	case o.ws.Signaled():
		return fmt.Sprintf("FAILED: killed by signal %d (%s) %s", int(o.ws.Signal()), signalName(o.ws.Signal()), secs)
	case o.ws.ExitStatus() != 0:
		return fmt.Sprintf("FAILED: exit status %d %s", o.ws.ExitStatus(), secs)
	}
	return "exit status 0 " + secs
}

func signalName(s syscall.Signal) string {
	n := s.String()
	if strings.HasPrefix(n, "signal ") {
		return "SIG" + strconv.Itoa(int(s))
	}
	return n
}

// runOne starts prog in a process group of its own with the given fds as
// its 0-2 and waits for it, reaping any other child that exits meanwhile
// (orphans, when runtests is PID 1). After timeout it kills the group.
func runOne(prog string, argv []string, timeout time.Duration, fds []uintptr) outcome {
	t0 := time.Now()
	attr := &syscall.ProcAttr{Env: environ(), Files: fds, Sys: &syscall.SysProcAttr{Setpgid: true}}
	pid, err := syscall.ForkExec(prog, argv, attr)
	if err == syscall.ENOSYS { // a kernel without setpgid
		attr.Sys = nil
		pid, err = syscall.ForkExec(prog, argv, attr)
	}
	if err != nil {
		return outcome{err: fmt.Errorf("exec %s: %v", prog, err)}
	}
	timedOut := make(chan struct{})
	timer := time.AfterFunc(timeout, func() {
		close(timedOut)
		if attr.Sys != nil {
			syscall.Kill(-pid, syscall.SIGKILL)
		}
		syscall.Kill(pid, syscall.SIGKILL)
	})
	defer timer.Stop()
	for {
		var ws syscall.WaitStatus
		wpid, err := syscall.Wait4(-1, &ws, 0, nil)
		switch {
		case err == syscall.EINTR:
			continue
		case err != nil:
			return outcome{err: fmt.Errorf("wait for %s (pid %d): %v", prog, pid, err), took: time.Since(t0)}
		case wpid != pid || !(ws.Exited() || ws.Signaled()):
			continue // an orphan, or a stop
		}
		o := outcome{ws: ws, took: time.Since(t0)}
		select {
		case <-timedOut:
			o.timedOut = timeout
		default:
		}
		return o
	}
}

// environ is runtests' environment with PATH defaulted.
func environ() []string {
	env := os.Environ()
	if os.Getenv("PATH") == "" {
		env = append(env, "PATH="+pathEnv())
	}
	return env
}
