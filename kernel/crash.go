// crash.go: the crash command — kernel faults on purpose, to show an oops.

package main

import (
	"fmt"
	"runtime"
	"strconv"
	"syscall"

	"retract/arch/amd64"
	"retract/kernel/clock"
	"retract/kernel/sched"
	"retract/kernel/shell"
	"retract/kernel/smp"
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
		target := -1 // any CPU: with one CPU, Ctrl-\ waits for the spin's end
		if n := smp.Count(); n > 1 {
			target = n - 1
			sh.Printf("crash: hardlockup: spinning %d s with interrupts off on CPU %d (LKDTM's HARDLOCKUP); Ctrl-\\ shows every CPU's backtrace\n", secs, target)
		} else {
			sh.Printf("crash: hardlockup: spinning %d s with interrupts off (LKDTM's HARDLOCKUP); with one CPU, nothing answers until it ends\n", secs)
		}
		cpu := hardLockupOn(target, secs*1e9)
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

// hardLockupOn runs hardLockup on CPU target (-1: wherever the caller
// runs). The spin goes to the last CPU, not CPU 0, because CPU 0 takes
// the console's interrupt: spinning there with interrupts off would hold
// back the very Ctrl-\ that is meant to show it (Linux has the same
// problem when a lockup hits the CPU its serial IRQ is routed to).
func hardLockupOn(target int, ns uint64) int {
	if target < 0 {
		return hardLockup(ns)
	}
	done := make(chan int)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if sched.SetAffinity(1 << target) {
			syscall.RawSyscall(syscall.SYS_SCHED_YIELD, 0, 0, 0)
		}
		cpu := hardLockup(ns)
		sched.SetAffinity(0)
		done <- cpu
	}()
	return <-done
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
	// No PAUSE in the loop: under QEMU's TCG every PAUSE leaves the
	// translated code, and with an interrupt pending (this CPU's own tick,
	// held back by IF=0) each exit takes QEMU's global lock, which can
	// starve the other CPUs' interrupts and the serial input for the
	// whole spin. A real CPU does not care either way.
	for end := clock.Nanotime() + ns; clock.Nanotime() < end; {
	}
	amd64.ExitAtomic(f)
	return cpu
}
