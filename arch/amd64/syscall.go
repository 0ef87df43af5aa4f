// syscall.go: the SYSCALL instruction in ring 0 (SDM Vol. 3A §5.8.8).

package amd64

const (
	msrEFER  = 0xc0000080
	msrSTAR  = 0xc0000081
	msrLSTAR = 0xc0000082
	msrFMASK = 0xc0000084

	eferSCE = 1 << 0
	eferNXE = 1 << 11
)

func syscallEntry()
func syscallEntryAddr() uintptr

// enableSyscall points SYSCALL at syscallEntry. STAR[47:32] gives CS (and
// SS = CS+8) for the entry; the Go runtime issues SYSCALL in ring 0, so the
// CPU "changes" to the ring it is already in. FMASK clears IF (the entry runs
// with interrupts off until it is on the kernel stack and beyond), DF, TF
// and AC. The return is IRETQ, since SYSRET always goes to ring 3.
func enableSyscall() {
	Wrmsr(msrEFER, Rdmsr(msrEFER)|eferSCE|eferNXE)
	Wrmsr(msrSTAR, uint64(KernelCS)<<32)
	Wrmsr(msrLSTAR, uint64(syscallEntryAddr()))
	Wrmsr(msrFMASK, FlagIF|FlagDF|FlagTF|FlagAC)
}
