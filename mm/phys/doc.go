// Package phys owns physical memory: the frame allocator (frames.go: a
// buddy allocator with per-CPU caches, whose metadata array — Linux's
// struct page array — lives outside the Go heap), the reserve that user
// memory may not take (the min watermark), the kernel's own mappings
// (kernelmap.go: the direct map of RAM and the Go heap window, demand
// paged), and the accessors every page table is read and written with
// (Table, LoadPTE, StorePTE).
//
// Everything here may run in trap context — the Go runtime's mmap and the
// heap window's page faults are system calls and exceptions — so nothing
// here allocates, stores Go pointers or sleeps (the trap-context test
// checks the compiled code), and the helpers that run under the
// allocator's locks are nosplit: a goroutine stack growing there would
// allocate, and an allocation may fault in a heap page, whose handler
// needs these very locks.
//
// # Lock order
//
//	kernelMapLock            the heap window's page tables (may allocate)
//	  Allocator.pcp[].lock   one CPU's cache of free frames
//	    Allocator.lock       the buddy lists; a leaf
//
// All three are taken with interrupts off. The allocator may be called
// under any lock of package mm (docs/locking.md: the "bottom" locks).
//
// # Invariants
//
//   - A frame is in exactly one of: reserved, free (on one buddy list, as
//     part of exactly one free block, or in one per-CPU cache), or
//     allocated.
//   - Free + allocated frames == usable frames (Allocator.Check).
//   - Freed frames are filled with PoisonByte when Poison is on, and their
//     generation (Frame.Gen) is bumped.
//   - User allocations (AllocUser) never take the last Reserve frames.
package phys
