// kernelg.go: the "kernel g" that lets ordinary Go code run on kernel stacks.

package amd64

import "unsafe"

// KernelG imitates the first words of the Go runtime's g struct (runtime2.go:
// stack.lo, stack.hi, stackguard0, stackguard1, then _panic, _defer, m).
// Compiled Go functions begin by comparing SP with g.stackguard0 (R14+16); a
// kernel stack is not a goroutine stack, so trap entry points R14 and the TLS
// g slot at a KernelG whose bounds describe the kernel stack. The prologue
// check then passes, and running out of kernel stack calls morestack, which
// dereferences the nil m and faults: an oops that names runtime.morestack,
// instead of silent corruption.
//
// Everything else in the g is zero. That is why trap-context code must not
// allocate, take write barriers or panic: all of those use g.m.
type KernelG struct {
	StackLo     uintptr
	StackHi     uintptr
	StackGuard0 uintptr
	StackGuard1 uintptr
	_           [28]uintptr // room for the fields the runtime might read (all zero: m == nil)
}

// kernelGuard is how far above the stack bottom the guard sits: Go's
// StackGuard (928 bytes) plus the nosplit allowance, rounded up.
const kernelGuard = 2048

func (g *KernelG) init(lo, hi uintptr) {
	*g = KernelG{StackLo: lo, StackHi: hi, StackGuard0: lo + kernelGuard, StackGuard1: lo + kernelGuard}
}

// InitKernelG fills g for the kernel stack [lo, hi) and returns its address
// as the word the trap entry stores in R14.
func InitKernelG(g *KernelG, lo, hi uintptr) uintptr {
	g.init(lo, hi)
	return uintptr(unsafe.Pointer(g))
}
