// uaccess.go: reading and writing user memory from kernel code (see
// docs/architecture.md §9, "Faults and oops").
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
	"unsafe"

	"retract/arch/amd64"
	"retract/mm/phys"
)

// Load64 reads the 8 bytes at user address va.
func (m *MM) Load64(va uintptr) (uint64, error) {
	for i := 0; ; i++ {
		if v, ok := amd64.ProbeLoad(va); ok {
			return v, nil
		}
		if err := m.fixup(va, false, i); err != nil {
			return 0, err
		}
	}
}

// Store64 writes the 8 bytes at user address va.
func (m *MM) Store64(va uintptr, v uint64) error {
	for i := 0; ; i++ {
		if amd64.ProbeStore(va, v) {
			return nil
		}
		if err := m.fixup(va, true, i); err != nil {
			return err
		}
	}
}

// fixup resolves the fault that made attempt i of an accessor at va fail:
// the fault path's error (ErrFault for a bad address, ErrNoMemory when no
// frame was left for the page) or, if the access keeps faulting although
// the fault path says it resolved it, ErrFault.
func (m *MM) fixup(va uintptr, write bool, attempt int) error {
	if attempt > 100 {
		return ErrFault
	}
	return m.HandleMMFault(va, write)
}

// Use makes the calling goroutine run on m's page tables: it locks the
// goroutine to its thread and gives the thread m's PML4 (the scheduler
// reloads it on every switch). Pair with Unuse.
func (m *MM) Use() {
	runtime.LockOSThread()
	machine.SetCR3(m.PML4)
}

// Activate loads m's page tables on the calling thread, which must already
// be locked to its goroutine (by Use on another mm, or LockOSThread): exec
// moves a thread from one address space to another with it.
func (m *MM) Activate() { machine.SetCR3(m.PML4) }

// Unuse returns the thread to the kernel's page tables.
func (m *MM) Unuse() {
	machine.SetCR3(phys.BootPML4)
	runtime.UnlockOSThread()
}

// Touch faults va in for reading (or writing) without transferring data.
// A write touch is a CAS of 0 with 0: LOCK CMPXCHG writes its destination
// back even when the comparison fails (SDM Vol. 2A, CMPXCHG), so it needs
// write access and leaves the word unchanged either way.
func (m *MM) Touch(va uintptr, write bool) error {
	if write {
		_, err := m.CAS32(va&^3, 0, 0)
		return err
	}
	_, err := m.Load64(va &^ 7)
	return err
}

// CAS32 atomically replaces the 32-bit word at va with new if it holds old.
func (m *MM) CAS32(va uintptr, old, new uint32) (bool, error) {
	if va&3 != 0 {
		return false, ErrInval
	}
	for i := 0; ; i++ {
		if swapped, ok := amd64.ProbeCAS32(va, old, new); ok {
			return swapped, nil
		}
		if err := m.fixup(va, true, i); err != nil {
			return false, err
		}
	}
}

// CopyOut copies b to user memory at va; va and len(b) must be multiples
// of 8 (the accessors move words).
func (m *MM) CopyOut(va uintptr, b []byte) error {
	if va&7 != 0 || len(b)&7 != 0 {
		return ErrInval
	}
	for i := 0; i < len(b); i += 8 {
		w := uint64(b[i]) | uint64(b[i+1])<<8 | uint64(b[i+2])<<16 | uint64(b[i+3])<<24 |
			uint64(b[i+4])<<32 | uint64(b[i+5])<<40 | uint64(b[i+6])<<48 | uint64(b[i+7])<<56
		if err := m.Store64(va+uintptr(i), w); err != nil {
			return err
		}
	}
	return nil
}

// CopyIn copies user memory at va into b, with CopyOut's alignment rule.
func (m *MM) CopyIn(b []byte, va uintptr) error {
	if va&7 != 0 || len(b)&7 != 0 {
		return ErrInval
	}
	for i := 0; i < len(b); i += 8 {
		w, err := m.Load64(va + uintptr(i))
		if err != nil {
			return err
		}
		for j := 0; j < 8; j++ {
			b[i+j] = byte(w >> (8 * j))
		}
	}
	return nil
}

// CopyToUser copies b to user memory at va (Linux's copy_to_user): any
// alignment, any length. A fault is resolved as for the other accessors
// and the copy goes on from the byte that faulted; an unresolvable fault
// is ErrFault (or ErrNoMemory), with the bytes before it copied.
func (m *MM) CopyToUser(va uintptr, b []byte) error {
	if len(b) == 0 {
		return nil
	}
	if !userRange(va, len(b)) {
		return ErrFault
	}
	for done, attempt := 0, 0; done < len(b); attempt++ {
		left := amd64.CopyUser(va+uintptr(done), uintptr(unsafe.Pointer(&b[done])), uintptr(len(b)-done))
		if left == 0 {
			return nil
		}
		if now := len(b) - int(left); now > done {
			done, attempt = now, 0 // progress: count the attempts of the new page afresh
		}
		if err := m.fixup(va+uintptr(done), true, attempt); err != nil {
			return err
		}
	}
	return nil
}

// CopyFromUser copies user memory at va into b (copy_from_user), with
// CopyToUser's rules.
func (m *MM) CopyFromUser(b []byte, va uintptr) error {
	if len(b) == 0 {
		return nil
	}
	if !userRange(va, len(b)) {
		return ErrFault
	}
	for done, attempt := 0, 0; done < len(b); attempt++ {
		left := amd64.CopyUser(uintptr(unsafe.Pointer(&b[done])), va+uintptr(done), uintptr(len(b)-done))
		if left == 0 {
			return nil
		}
		if now := len(b) - int(left); now > done {
			done, attempt = now, 0
		}
		if err := m.fixup(va+uintptr(done), false, attempt); err != nil {
			return err
		}
	}
	return nil
}

// userRange reports whether [va, va+n) is inside user space (an address in
// the kernel half is EFAULT before any access, as Linux's access_ok).
func userRange(va uintptr, n int) bool {
	end := va + uintptr(n)
	return n >= 0 && end >= va && va >= UserBase && end <= UserEnd
}
