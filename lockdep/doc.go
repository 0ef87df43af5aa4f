// Package lockdep is retract's lock validator, in the spirit of Linux's
// lockdep (kernel/locking/lockdep.c): it watches every lock the kernel
// takes and reports, while the kernel runs, the bugs that would otherwise
// show as a rare deadlock or a hang — without needing the deadlock to
// happen.
//
// # What it checks
//
//   - Lock order: every lock belongs to a class (all PT locks are one class,
//     all MmapLocks another). Taking class B while holding class A records
//     the edge A -> B. A new edge that closes a cycle (B was already taken,
//     directly or through other classes, while holding A) is an inversion:
//     two CPUs taking the locks in the two orders can deadlock. The report
//     shows both acquisitions' stacks.
//   - Sleeping in atomic context: a sleeping lock (Mutex, RWMutex) taken
//     with interrupts off, preemption off or inside an RCU read-side
//     section (Linux's might_sleep).
//   - Interrupt safety: a spinlock class taken in interrupt context (a trap
//     handler) and, elsewhere, with interrupts on: an interrupt arriving
//     on the CPU that holds it would spin forever.
//   - Ownership: a lock released by a context that does not hold it, and
//     AssertHeld (the checked form of a "Preconditions:" comment) failing.
//   - Spinlocks taken in preemptible context (interrupts on and preempt
//     count 0): the holder could be switched out while others spin.
//
// # Contexts
//
// Spinlocks are held in atomic context, so they are tracked per CPU, in a
// stack per trap-nesting level: a trap handler's locks and the locks of
// the code it interrupted are different contexts (an edge between them
// would be meaningless; the interrupt-safety check covers that case).
// Sleeping locks are taken by goroutines and tracked per goroutine (its g
// pointer). The current set of held locks of a goroutine in process
// context is its sleeping locks plus its CPU's level-0 spinlocks.
//
// A lock is known by its address, so it must not live on a goroutine
// stack (stacks move when they grow): kernel locks are globals, fields of
// heap objects or of frame metadata.
//
// # Cost
//
// Off by default; the kernel turns it on for test runs and with
// debug=locks. When off, every lock operation pays one load and one
// predictable branch (Enabled). When on, a spinlock operation pushes or
// pops a per-CPU stack and, for a new pair of classes, walks the order
// graph; a sleeping lock also looks up its goroutine in a map.
//
// # Machine interface
//
// lockdep knows nothing of the hardware: the kernel installs the few
// questions it asks (which CPU, trap nesting, interrupts on, preempt
// count, which goroutine, a stack walk, how to print) with SetMachine.
// Host tests install a simulated machine.
//
// # Locking
//
// The order graph and the goroutine map are protected by raw spin words
// (not SpinLocks: lockdep must not validate itself); per-CPU stacks are
// touched only by their CPU with interrupts off. Nothing allocates on the
// spinlock path, so trap context may take tracked spinlocks.
package lockdep
