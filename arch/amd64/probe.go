// probe.go: loads that may fault, and the exception table that lets them
// (docs/architecture.md §9). A fault at one of the listed instructions does not oops:
// the page-fault handler moves RIP to the instruction's fixup, which
// returns ok=false. The uaccess accessors of the mm issue join this table.

package amd64

// ProbeLoad reads 8 bytes at addr; ok is false if the read faulted. With a
// user address it is the uaccess load of package mm (which resolves the
// fault and retries).
func ProbeLoad(addr uintptr) (v uint64, ok bool)

func probeLoadInsn()
func probeLoadFixup()
func probeLoadInsnAddr() uintptr
func probeLoadFixupAddr() uintptr

// Fixup returns where execution continues when the instruction at rip
// faults, if rip is in the exception table.
func Fixup(rip uint64) (uint64, bool) {
	switch rip {
	case uint64(probeLoadInsnAddr()):
		return uint64(probeLoadFixupAddr()), true
	case uint64(probeStoreInsnAddr()):
		return uint64(probeStoreFixupAddr()), true
	case uint64(probeCASInsnAddr()):
		return uint64(probeCASFixupAddr()), true
	case uint64(copyUserInsnAddr()):
		return uint64(copyUserFixupAddr()), true
	}
	return 0, false
}

// CopyUser copies n bytes from src to dst, one of which is a user
// address, and returns how many bytes it could not copy: 0, or the count
// left when an access faulted (REP MOVSB stops on the faulting byte with
// RSI, RDI and RCX describing the rest, and the fixup returns RCX). The
// caller resolves the fault at the first byte not copied and calls again
// for the rest (package mm does).
func CopyUser(dst, src, n uintptr) (left uintptr)

func copyUserInsn()
func copyUserFixup()
func copyUserInsnAddr() uintptr
func copyUserFixupAddr() uintptr

// ProbeStore writes 8 bytes at addr; it reports false if the write faulted.
func ProbeStore(addr uintptr, v uint64) bool

func probeStoreInsn()
func probeStoreFixup()
func probeStoreInsnAddr() uintptr
func probeStoreFixupAddr() uintptr

// ProbeCAS32 compares the 32-bit word at addr with old and, if equal,
// stores new (LOCK CMPXCHG); ok is false if the access faulted.
func ProbeCAS32(addr uintptr, old, new uint32) (swapped, ok bool)

func probeCASInsn()
func probeCASFixup()
func probeCASInsnAddr() uintptr
func probeCASFixupAddr() uintptr
