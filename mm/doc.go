// Package mm owns physical memory and page tables: the frame allocator
// (frames.go: a buddy allocator whose metadata array lives outside the Go
// heap, like Linux's struct page array), the kernel half of every address
// space (kernelmap.go: the identity map of RAM and the Go heap window), and
// user address spaces (aspace.go, vma.go, walk.go, fault.go, uaccess.go):
// VMAs, page tables the MMU walks, and the page-fault handler; files and
// their page cache (file.go); huge pages, collapse, retract and khugepaged
// (huge.go, collapse.go, khugepaged.go); race-widening delays (delay.go).
//
// # Lock order
//
//	File.collapseMu      one collapse or split of a file at a time (collapse.go)
//	File.immapMu         the file's i_mmap; held across rmap walks
//	MM.MmapLock          sleeping RW lock, like mmap_lock (VMAs; faults read-lock it)
//	  MM.pageTableLock     spinlock, like pmd_lock/page_table_lock: a PMD changing
//	                     between none, table and huge; taken with pmdLock, in
//	                     atomic context (preemption and Go preemption off)
//	  Frame.PTL          a PT page's split lock, like ptdesc->ptl (its PTEs);
//	                     taken inside the RCU read side or under pmdLock
//	rcu read side        PteOffsetMap holds it from mapping a PT until PteUnmap
//	File.mu              the page cache; taken alone
//	kernelMapLock        spinlock (heap-window page tables); may call the allocator
//	Allocator.lock       taken with interrupts off; a leaf
//
// The allocator and the heap window run in trap context too (the Go
// runtime's mmap, demand paging of the heap); the user-space half is
// process context only. A TLB shootdown may wait for other CPUs while the
// PMD lock and a PTL are held (PmdpCollapseFlush, as in Linux): both are
// taken with interrupts on, so a CPU spinning on them still answers the
// IPI. None waits under a lock taken with interrupts off.
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
//   - A PT page detached without MmapLock for writing (retract) is freed
//     only through PteFreeDefer, after an RCU grace period (unless
//     RetractUnsafe: the bug, on purpose).
//   - An mm leaves a file's i_mmap before it frees the page tables that
//     mapped the file, so rmap walks (which hold File.immapMu) never
//     reach a freed table.
//   - A page's frame is freed only after every TLB that may cache a
//     mapping of it was flushed.
package mm
