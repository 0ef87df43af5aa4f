// crash.go: the crash command — kernel faults on purpose, to show an oops.

package main

import (
	"fmt"
	"syscall"

	"retract/arch/amd64"
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
	switch kind {
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
		return fmt.Errorf("unknown kind %q: want pf (page fault), ud (invalid opcode), stack (kernel stack overflow) or nil (fault in trap context)", kind)
	}
	return nil
}
