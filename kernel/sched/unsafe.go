// unsafe.go: addresses of static objects, for the CPU fields read by assembly.

package sched

import "unsafe"

func unsafePointer[T any](p *T) unsafe.Pointer { return unsafe.Pointer(p) }
