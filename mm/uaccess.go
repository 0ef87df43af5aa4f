// uaccess.go: reading and writing user memory from kernel code (DESIGN §7).
//
// The accessors are amd64.ProbeLoad/ProbeStore, whose faulting instruction
// is in the exception table: a fault on a user address returns "failed"
// instead of oopsing. Then the fault is resolved here, in process context
// on the calling goroutine (HandleMMFault), and the access retried; an
// unresolvable fault is EFAULT. The calling goroutine must be using m
// (Use), so that its thread runs on m's page tables.

// trapctx: process context only

package mm

import (
	"runtime"

	"retract/arch/amd64"
)

// Load64 reads the 8 bytes at user address va.
func (m *MM) Load64(va uintptr) (uint64, error) {
	for i := 0; ; i++ {
		if v, ok := amd64.ProbeLoad(va); ok {
			return v, nil
		}
		if err := m.HandleMMFault(va, false); err != nil || i > 100 {
			return 0, ErrFault
		}
	}
}

// Store64 writes the 8 bytes at user address va.
func (m *MM) Store64(va uintptr, v uint64) error {
	for i := 0; ; i++ {
		if amd64.ProbeStore(va, v) {
			return nil
		}
		if err := m.HandleMMFault(va, true); err != nil || i > 100 {
			return ErrFault
		}
	}
}

// current CR3 of each thread is kept by the scheduler; Use and Unuse set it
// through this hook (installed by the boot path: sched.SetCR3).
var setThreadCR3 = func(cr3 uint64) { amd64.WriteCR3(cr3) }

// SetCR3Hook installs the scheduler's per-thread CR3 setter.
func SetCR3Hook(f func(cr3 uint64)) { setThreadCR3 = f } // wb: boot, before the runtime

// Use makes the calling goroutine run on m's page tables: it locks the
// goroutine to its thread and gives the thread m's PML4 (the scheduler
// reloads it on every switch). Pair with Unuse.
func (m *MM) Use() {
	runtime.LockOSThread()
	setThreadCR3(m.PML4)
}

// Unuse returns the thread to the kernel's page tables.
func (m *MM) Unuse() {
	setThreadCR3(BootPML4)
	runtime.UnlockOSThread()
}
