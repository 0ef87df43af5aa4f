// uaccess.go: reading and writing the memory that syscall arguments point at.
//
// The Go runtime shares the kernel's address space, so its pointers are
// kernel addresses; they are checked with mm.KernelValid (EFAULT otherwise)
// and then used directly. Touching a committed heap page that has no frame
// yet faults into mm.HeapFault as a nested trap, which is fine here.

package sys

import (
	"sync/atomic"
	"unsafe"

	"retract/arch/amd64"
	"retract/mm/phys"
)

func valid(a, n uint64) bool { return phys.KernelValid(uintptr(a), uintptr(n)) }

// bytesAt returns the n bytes at a. Preconditions: valid(a, n).
func bytesAt(a, n uint64) []byte {
	if n == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(amd64.Ptr(uintptr(a))), n)
}

func load64(a uint64) uint64     { return *(*uint64)(amd64.Ptr(uintptr(a))) }
func store64(a, v uint64)        { *(*uint64)(amd64.Ptr(uintptr(a))) = v }
func store32(a uint64, v uint32) { *(*uint32)(amd64.Ptr(uintptr(a))) = v }
func atomicLoad32(a uint64) uint32 {
	return atomic.LoadUint32((*uint32)(amd64.Ptr(uintptr(a))))
}

// readTimespec reads a struct timespec {tv_sec, tv_nsec int64} as ns.
func readTimespec(a uint64) (uint64, Errno) {
	if !valid(a, 16) {
		return 0, EFAULT
	}
	sec, nsec := int64(load64(a)), int64(load64(a+8))
	if sec < 0 || nsec < 0 || nsec >= 1e9 {
		return 0, EINVAL
	}
	if sec > 1<<33 {
		sec = 1 << 33 // ~272 years: "forever"
	}
	return uint64(sec)*1e9 + uint64(nsec), 0
}

func writeTimespec(a uint64, ns int64) Errno {
	if !valid(a, 16) {
		return EFAULT
	}
	store64(a, uint64(ns/1e9))
	store64(a+8, uint64(ns%1e9))
	return 0
}
