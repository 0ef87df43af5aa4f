// Package trace is the kernel's event tracer: per-CPU, lock-free ring
// buffers of TSC-stamped events that the fault path, collapse and
// retract, RCU, the IPI layer and the scheduler record at their trace
// points (events.go), and a dumper that turns them into the timeline
// format of tools/trace ("# retract-trace 1"): one track per CPU, slices
// for faults, read-side sections, ptl holds, collapses and their phases,
// TLB flushes and grace periods, and flow arrows from each retract to the
// faults that retried on its table (or, freed unsafely, hit the debug
// check) and to the grace period that freed it (dump.go). In the spirit
// of Linux's ftrace ring buffer and trace events; the shell's `trace`
// command and the trace= command-line option drive it.
//
// # Contexts and cost
//
// A trace point runs in any context — trap context (IRQ and IPI handlers,
// the context switch) included: it is nosplit, allocates nothing, stores
// no Go pointer and takes no lock. Off, it costs one atomic load and a
// branch (the enabled classes, Enabled). On, it reserves a slot of its
// CPU's ring with an atomic add and fills it (make bench: trace_point).
//
// # Locking
//
// No lock guards the rings. A CPU writes its own ring (an interrupt on
// the same CPU may write it in the middle of another write, and a thread
// the tick moved may finish a write on its old CPU's ring), so a writer
// reserves its slot with an atomic add on the ring's head, invalidates
// the slot's sequence word, fills the slot, then publishes the sequence.
// Readers (Snapshot, process context) copy a slot and keep it only if
// its sequence was the expected one before and after the copy, so a slot
// being written or overwritten meanwhile is dropped, never torn; they
// sort each CPU's events by time (reservations and timestamps may
// interleave). NMIs do not trace.
// Enable, Disable and Clear are for process context and may race with
// recording harmlessly (an event more or less).
package trace
