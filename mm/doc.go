// Package mm owns physical memory and page tables: the frame allocator
// (frames.go: a buddy allocator whose metadata array lives outside the Go
// heap, like Linux's struct page array), the kernel half of every address
// space (kernelmap.go: the identity map of RAM and the Go heap window), and
// user address spaces (aspace.go, vma.go, walk.go, fault.go, uaccess.go):
// VMAs, page tables the MMU walks, and the page-fault handler.
//
// # Lock order
//
//	MM.MmapLock          sleeping RW lock, like mmap_lock (VMAs; faults read-lock it)
//	  MM.ptAllocLock     spinlock, like page_table_lock (installing upper-level tables)
//	  Frame.PTL          a PT page's split lock, like ptdesc->ptl (its PTEs)
//	rcu read side        PteOffsetMap holds it from mapping a PT until PteUnmap
//	kernelMapLock        spinlock (heap-window page tables); may call the allocator
//	Allocator.lock       taken with interrupts off; a leaf
//
// The allocator and the heap window run in trap context too (the Go
// runtime's mmap, demand paging of the heap); the user-space half is
// process context only. No TLB shootdown waits while a spinlock is held.
//
// # Invariants
//
//   - A frame is in exactly one of: reserved, free (on one buddy list, as
//     part of exactly one free block), or allocated.
//   - Free + allocated frames == usable frames (Allocator.Check).
//   - Freed frames are filled with PoisonByte when Poison is on, and their
//     generation (Frame.Gen) is bumped.
//   - A user PT page is reached only through PteOffsetMap; its PTEs change
//     only under its PTL, after PteSame revalidation.
//   - A page's frame is freed only after every TLB that may cache a
//     mapping of it was flushed.
package mm
