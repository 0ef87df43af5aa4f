// Package mm owns physical memory and the kernel's page tables.
//
// Today that is the frame allocator (frames.go: a buddy allocator whose
// metadata array lives outside the Go heap, like Linux's struct page array)
// and the kernel half of the address space (kernelmap.go: the identity map
// of RAM and the window the Go heap lives in). User address spaces, VMAs and
// the page-fault handler arrive with the mm issue.
//
// # Lock order
//
//	Allocator.lock (taken with interrupts off; a leaf: nothing is called with it held)
//	kernelMapLock  (heap-window page tables; may call the allocator)
//
// Both are spinlocks, so everything here may run in trap context: the Go
// runtime's mmap and the demand-paging fault of the heap window call it.
//
// # Invariants
//
//   - A frame is in exactly one of: reserved (never given out), free (on one
//     buddy list, as part of exactly one free block), or allocated.
//   - Free + allocated frames == usable frames (Stats checks it).
//   - Freed frames are filled with PoisonByte when Poison is on, so that a
//     use after free reads junk rather than the old data.
package mm
