// Package amd64 is retract's hardware layer: the instructions Go cannot
// express, the CPU's descriptor tables, the trap and syscall entry paths,
// per-CPU data reached through GS, the context switch, and the local APIC.
//
// Everything here runs in ring 0. The Go runtime itself also runs in ring 0
// (it is the "user" of this kernel), so every interrupt and exception uses an
// IST stack (Intel SDM Vol. 3A §6.14.5): without one the CPU would push its
// frame onto whatever goroutine stack happened to be running.
//
// # Execution contexts
//
// Trap context is the code reached from the entry stubs in vectors_amd64.s:
// it runs on the current thread's kernel stack with interrupts off and with
// a "kernel g" (see kernelg.go) in R14 and in the thread's TLS slot, so that
// ordinary Go functions can run there. Trap-context code must not allocate,
// must not store Go pointers (no write barriers), must not block in the Go
// runtime and must not panic: there is no m and no P behind the kernel g, so
// any of those faults and becomes an oops.
//
// # Locking
//
// SpinLock is the only lock here. Code that can run in both process context
// (goroutines) and trap context takes spinlocks with LockIRQ so that an
// interrupt on the same CPU cannot deadlock against the holder.
//
// # Invariants
//
//   - GS base always points at this CPU's CPU struct (set once at boot).
//   - FS base is the running thread's TLS; FS:-8 holds the thread's g while
//     it runs Go code and its kernel g while it runs trap-context code.
//   - CPU.KStackTop/KStackLo/KernelG describe the running thread's kernel
//     stack; the scheduler updates them on every switch.
package amd64
