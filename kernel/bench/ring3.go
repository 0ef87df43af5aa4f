// ring3.go: the cost of one trip from ring 3 into the kernel and back.

package bench

import (
	"fmt"
	"io"
	"time"

	"retract/arch/amd64"
	"retract/mm"
	"retract/mm/phys"
)

func init() {
	Register(Bench{Name: "ring3_syscall_ns", Doc: "a SYSCALL from ring 3 and the return to it, through amd64.RunUser, with nothing done in between: the floor under every system call and fault of a program", Run: ring3Syscall})
}

// ring3Syscall times round trips of a ring-3 loop of SYSCALLs that the
// kernel side answers at once (no system-call table, no signals, no
// process): what amd64's entry, userTrap, the Go runtime's
// exitsyscall/entersyscall and switchToUser cost together.
func ring3Syscall(w io.Writer) error {
	return withOwnMM(func(m *mm.MM) error {
		const code, stack = 0x400000, 0x7fff0000
		if _, err := m.Mmap(code, phys.PageSize, mm.ProtRead|mm.ProtWrite|mm.ProtExec, 0); err != nil {
			return err
		}
		if _, err := m.Mmap(stack, phys.PageSize, mm.ProtRead|mm.ProtWrite, 0); err != nil {
			return err
		}
		// syscall; jmp back to it
		if err := m.CopyOut(code, []byte{0x0f, 0x05, 0xeb, 0xfc, 0, 0, 0, 0}); err != nil {
			return err
		}
		var r amd64.UserRegs
		r.Init()
		r.RIP, r.RSP = code, stack+phys.PageSize-64
		const n = 20000
		best, err := bestOf(3, func() (float64, error) {
			start := time.Now()
			for i := 0; i < n; {
				if !amd64.RunUser(&r) {
					return 0, fmt.Errorf("RunUser refused RIP %#x", r.RIP)
				}
				switch {
				case r.Vector == amd64.VectorSyscall:
					i++
				case r.Vector < 32:
					return 0, fmt.Errorf("vector %d at %#x", r.Vector, r.RIP)
				}
			}
			return float64(time.Since(start).Nanoseconds()) / n, nil
		})
		if err != nil {
			return err
		}
		Line(w, "ring3_syscall_ns", best, "ns")
		return nil
	})
}
