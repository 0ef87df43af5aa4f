// fork_mm.go: the address-space side of clone — after mm.Fork made the
// copy-on-write copy (Linux's dup_mmap), the child's thread-id word is
// written through the child's own tables (access_remote_vm).

// trapctx: process context only

package proc

import "retract/mm"

// writeChildTID stores tid at ctid in the child's address space m
// (CLONE_CHILD_SETTID). After a fork the child's copy of the page is
// written, breaking copy on write in the child only; for a thread m is
// the caller's own address space.
func writeChildTID(m *mm.MM, ctid uint64, tid int) error {
	b := []byte{byte(tid), byte(tid >> 8), byte(tid >> 16), byte(tid >> 24)}
	_, err := m.AccessRemoteVM(uintptr(ctid), b, true)
	return err
}
