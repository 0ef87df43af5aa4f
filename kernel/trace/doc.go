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
// branch (the enabled classes, Enabled). On, it disables interrupts for
// the few stores of one event, so that the event lands in the ring of the
// CPU it happened on.
//
// # Locking
//
// No lock guards the rings. Each CPU writes only its own ring, with
// interrupts off (NMIs do not trace), so a ring has one writer at a time;
// the writer invalidates a slot's sequence word, fills the slot, then
// publishes the sequence. Readers (Snapshot, process context) copy a
// slot and keep it only if its sequence was the expected one before and
// after the copy, so a slot overwritten meanwhile is dropped, never torn.
// Enable, Disable and Clear are for process context and may race with
// recording harmlessly (an event more or less).
package trace
