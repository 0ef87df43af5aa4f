// ptr_unsafe.go: the one place this package turns addresses into pointers.

package amd64

import "unsafe"

// ptr converts a kernel address (the direct map of RAM, the kernel image, or
// MMIO) to a pointer. The memory it names is never Go heap memory, so the
// garbage collector has no business with it; the conversion goes through
// memory so that vet's unsafeptr check, meant for heap addresses, stays quiet.
//
//go:nosplit
func ptr(a uintptr) unsafe.Pointer { return *(*unsafe.Pointer)(unsafe.Pointer(&a)) }

// Ptr is ptr for other packages.
//
//go:nosplit
func Ptr(a uintptr) unsafe.Pointer { return *(*unsafe.Pointer)(unsafe.Pointer(&a)) }
