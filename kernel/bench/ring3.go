// ring3.go: the cost of one trip from ring 3 into the kernel and back.

package bench

import (
	"fmt"
	"io"
	"runtime"
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
	errc := make(chan error)
	go func() { errc <- ring3SyscallOn(w) }()
	return <-errc
}

func ring3SyscallOn(w io.Writer) error {
	const code, stack = 0x400000, 0x7fff0000
	m, err := mm.New()
	if err != nil {
		return err
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	m.Use()
	defer func() {
		m.Unuse()
		m.Destroy()
	}()
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
	var best float64
	for rep := 0; rep < 3; rep++ {
		start := time.Now()
		for i := 0; i < n; {
			if !amd64.RunUser(&r) {
				return fmt.Errorf("RunUser refused RIP %#x", r.RIP)
			}
			switch {
			case r.Vector == amd64.VectorSyscall:
				i++
			case r.Vector < 32:
				return fmt.Errorf("vector %d at %#x", r.Vector, r.RIP)
			}
		}
		ns := float64(time.Since(start).Nanoseconds()) / n
		if rep == 0 || ns < best {
			best = ns
		}
	}
	Line(w, "ring3_syscall_ns", best, "ns")
	return nil
}

func init() {
	Register(Bench{Name: "munmap_page_us", Doc: "munmap of one touched 4 KiB page of an anonymous mapping, in the kernel (no IPI: the mm runs on one CPU)", Run: munmapPage})
}

// munmapPage times mm.Munmap of one page at a time over 512 touched
// pages: the VMA surgery, the zap, the TLB flush and the freeing, without
// the trip from ring 3.
func munmapPage(w io.Writer) error {
	errc := make(chan error)
	go func() { errc <- munmapPageOn(w) }()
	return <-errc
}

func munmapPageOn(w io.Writer) error {
	const base, n = 0x10000000, 512
	m, err := mm.New()
	if err != nil {
		return err
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	m.Use()
	defer func() {
		m.Unuse()
		m.Destroy()
	}()
	var best float64
	for rep := 0; rep < 3; rep++ {
		if _, err := m.Mmap(base, n*phys.PageSize, mm.ProtRead|mm.ProtWrite, 0); err != nil {
			return err
		}
		for i := uintptr(0); i < n; i++ {
			if err := m.Store64(base+i*phys.PageSize, 1); err != nil {
				return err
			}
		}
		start := time.Now()
		for i := uintptr(0); i < n; i++ {
			if err := m.Munmap(base+i*phys.PageSize, phys.PageSize); err != nil {
				return err
			}
		}
		us := float64(time.Since(start).Nanoseconds()) / 1e3 / n
		if rep == 0 || us < best {
			best = us
		}
	}
	Line(w, "munmap_page_us", best, "us")
	return nil
}
