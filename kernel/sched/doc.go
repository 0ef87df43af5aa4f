// Package sched owns threads: the kernel threads that the Go runtime creates
// with clone (its Ms), one idle thread per CPU, the run queue, blocking and
// waking (futex, sleeps, console and eventfd waits), the tick, and the
// context switch.
//
// # Design
//
// Every thread has a 32 KiB kernel stack. A thread runs Go code until it
// traps (syscall, interrupt, exception); the trap frame sits at the top of
// its kernel stack, and the thread switches away only from there, inside
// trap context, via amd64.Swtch (xv6's design). Preemption is the LAPIC
// timer interrupt calling Tick, which switches when the thread's slice is
// used up and someone else is runnable.
//
// One global run queue (FIFO) under one lock. With at most 8 CPUs and a few
// dozen threads (the runtime's Ms) the lock is cheap, and one queue makes
// wake-ups and load balancing trivially correct; the SMP issue revisits it
// with measurements.
//
// # Locking
//
// lock (a spinlock, taken with interrupts off) protects every Thread's
// state, links and wait fields, the run queue and the per-CPU current/idle
// fields. It is held across amd64.Swtch and released by the thread that
// resumes (in finishSwitch or the forkret hook). Lock order: sched.lock →
// mm.Frames (stacks of dead threads are freed under it).
//
// # Invariants
//
//   - A thread is in exactly one state; Runnable threads are on the run queue
//     exactly once; the thread a CPU runs is Running and is that CPU's cur.
//   - Nothing here allocates or stores Go pointers: threads live in a static
//     array and link to each other by index.
package sched
