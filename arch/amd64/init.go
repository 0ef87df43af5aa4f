// init.go: per-CPU bring-up of the descriptor tables and entry paths.

package amd64

// Bare is set by the boot path when the kernel runs on the machine (rather
// than as a host process under go test). Locks only touch RFLAGS.IF when it
// is set.
var Bare bool

// InitCPU sets up the calling CPU as logical CPU id: GS base and per-CPU
// area, GDT, TSS with IST stacks, IDT and SYSCALL. The boot CPU calls it
// before the Go runtime starts; it must not allocate.
func InitCPU(id int) *CPU {
	c := &cpus[id]
	setupPerCPU(c, id)
	loadGDT(c)
	if id == 0 {
		buildIDT()
	}
	loadIDT()
	enableSyscall()
	enableSMEPSMAP(id == 0)
	c.Online = 1
	return c
}
