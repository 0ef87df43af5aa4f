// syscall.go: the SYSCALL instruction (SDM Vol. 3A §5.8.8), issued in ring
// 0 by the Go runtime (the kernel's own system calls, served by package
// sys) and in ring 3 by user programs (served on the task's goroutine; see
// user.go). syscallEntry tells them apart by the return address in RCX:
// the kernel runs in the upper half, user space in the lower half.

package amd64

const (
	msrEFER  = 0xc0000080
	msrSTAR  = 0xc0000081
	msrLSTAR = 0xc0000082
	msrFMASK = 0xc0000084

	msrKernelGSBase = 0xc0000102 // the GS base SWAPGS exchanges with GS.base

	eferSCE = 1 << 0
	eferNXE = 1 << 11
)

func syscallEntry()
func syscallEntryAddr() uintptr

// enableSyscall points SYSCALL at syscallEntry. STAR[47:32] gives CS (and
// SS = CS+8) for the entry (for the Go runtime's ring-0 SYSCALLs the CPU
// "changes" to the ring it is already in), STAR[63:48] the user selectors
// SYSRET would load. FMASK clears IF (the entry runs with interrupts off
// until it is on the kernel stack and beyond), DF, TF and AC. Both kinds
// return with IRETQ: SYSRET always goes to ring 3, and for user threads
// IRETQ also restores every register a signal handler or ptrace-like
// change may have set.
func enableSyscall() {
	Wrmsr(msrEFER, Rdmsr(msrEFER)|eferSCE|eferNXE)
	Wrmsr(msrSTAR, uint64(KernelCS)<<32|uint64(user32CS&^3)<<48)
	Wrmsr(msrLSTAR, uint64(syscallEntryAddr()))
	Wrmsr(msrFMASK, FlagIF|FlagDF|FlagTF|FlagAC)
}
