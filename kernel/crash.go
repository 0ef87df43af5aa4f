// crash.go: the crash command — kernel faults on purpose, to show an oops.

package main

import (
	"fmt"
	"strconv"
	"syscall"

	"retract/arch/amd64"
	"retract/kernel/clock"
	"retract/kernel/shell"
	"retract/kernel/sys"
)

// crashAddr is a kernel address nothing maps: in the upper half, between
// the direct map and the Go heap window (see arch/amd64/layout.go).
const crashAddr uintptr = 0xffffa000_dead_0000

func cmdCrash(sh *shell.Shell, args []string) error {
	kind := "pf"
	if len(args) > 0 {
		kind = args[0]
	}
	if kind != "hardlockup" && len(args) > 1 {
		return fmt.Errorf("crash %s takes no more arguments", kind)
	}
	switch kind {
	case "hardlockup":
		secs := uint64(10)
		if len(args) > 2 {
			return fmt.Errorf("usage: crash hardlockup [SECONDS]")
		}
		if len(args) == 2 {
			n, err := strconv.ParseUint(args[1], 10, 64)
			if err != nil || n < 1 || n > 60 {
				return fmt.Errorf("SECONDS must be 1 to 60")
			}
			secs = n
		}
		sh.Printf("crash: hardlockup: spinning %d s with interrupts off (LKDTM's HARDLOCKUP); Ctrl-\\ shows every CPU's backtrace\n", secs)
		cpu := hardLockup(secs * 1e9)
		sh.Printf("crash: hardlockup: CPU %d spun %d s with interrupts off\n", cpu, secs)
	case "pf":
		sh.Printf("crash: reading %#x in amd64.CrashLoad\n", crashAddr)
		amd64.CrashLoad(crashAddr)
	case "ud":
		sh.Printf("crash: executing UD2 in amd64.CrashUD\n")
		amd64.CrashUD()
	case "stack":
		sh.Printf("crash: recursing in a syscall handler until the kernel stack runs out\n")
		syscall.RawSyscall(sys.SysCrash, sys.CrashStack, 0, 0)
	case "nil":
		sh.Printf("crash: nil pointer read in a syscall handler (trap context)\n")
		syscall.RawSyscall(sys.SysCrash, sys.CrashNil, 0, 0)
	default:
		return fmt.Errorf("unknown kind %q: want pf (page fault), ud (invalid opcode), stack (kernel stack overflow), nil (fault in trap context) or hardlockup [SECONDS] (spin with interrupts off)", kind)
	}
	return nil
}

// hardLockup spins ns nanoseconds with interrupts and Go preemption off
// on the CPU it runs on, like LKDTM's HARDLOCKUP (for a while, not for
// ever): no interrupt reaches that CPU, only an NMI — Ctrl-\ or `bt all`
// from another CPU shows where it is. It returns the CPU.
//
//go:noinline
func hardLockup(ns uint64) int {
	f := amd64.EnterAtomic()
	cpu := int(amd64.This().ID)
	for end := clock.Nanotime() + ns; clock.Nanotime() < end; {
		amd64.Pause()
	}
	amd64.ExitAtomic(f)
	return cpu
}
