// Package mm owns user address spaces: the MM (aspace.go) and its VMAs
// (vma.go, and vmaiter.go for /proc's maps and smaps), the page tables the
// MMU walks (walk.go, pte.go), the page-fault handler with copy on write
// (fault.go), uaccess (uaccess.go), files — the page cache of every
// regular file, with a size, writes, truncation and the reverse map of who
// maps them (file.go, page.go) — huge pages (huge.go) and their switches
// (tunables.go), collapse and retract (collapse.go, retract.go),
// khugepaged (khugepaged.go), fork (fork.go), the mm side of the memory
// system calls with Linux's semantics and errnos (mmap.go, madvise.go,
// mremap.go, mincore.go, errno.go) and the zap that takes PTEs and page
// tables out (zap.go), the per-mm accounting (rss.go), how user frames
// are allocated, with fault injection (alloc.go), the memory counters /proc prints (memstat.go), and the
// teaching instruments — the table check, the violation report, the
// retract log and the delay points (debug.go, delay.go). Physical memory —
// frames, their metadata, the kernel's own mappings — is package mm/phys.
//
// Everything here is process context (goroutines), except ByPML4,
// CR3Loading and CR3Left (cpumask.go), which the scheduler calls in trap
// context.
//
// # Lock order
//
// The whole kernel's order is docs/locking.md (checked by the tests
// against the order the lock validator learns at run time). mm's part:
//
//	File.collapseMu        sleeping; one collapse, split, truncate or write
//	                       of a file at a time
//	  File.immapMu         sleeping, like i_mmap_rwsem; held across rmap walks
//	                       (collapse's unmap, retract, truncate's unmap)
//	    MM.pmdLock         see below
//	  File.mu              sleeping; the page cache and the file's size
//	MM.MmapLock            sleeping RW, like mmap_lock: the VMAs (faults read-lock
//	                       it; munmap removes VMAs for writing, then downgrades
//	                       to reading for the zap, like mmap_write_downgrade)
//	  mmsMu                the registry of address spaces
//	  File.immapMu         (MmapFile and munmap change i_mmap)
//	  File.mu              (FindPage in faults)
//	  MM.pmdLock           MM.pageTableLock taken by pmdLock, like pmd_lock /
//	                       mm->page_table_lock: a PMD changing between none,
//	                       table and huge; atomic context (preemption off)
//	    Frame.PTL          a PT page's split lock (phys.Frame.PTL), like
//	                       ptdesc->ptl: its PTEs
//	  [RCU read side]      PteOffsetMap holds it from mapping a PT until PteUnmap
//	    Frame.PTL          (PteOffsetMapLock, and the fault's lockHeld)
//	retractMu              the retract log; a leaf
//	khp.mu                 khugepaged's slots; taken alone
//
// Retract takes File.immapMu, the PMD lock and the PTL with no MmapLock at
// all: that is the point (retract.go). So does a truncate's unmap
// (File.Truncate), as Linux's unmap_mapping_range does. fs calls the page
// cache with its inode lock held (fs.Inode.mu above File.collapseMu), and
// /proc's files take MmapLock under fs.File.posMu. A TLB shootdown (FlushUser) may be
// issued with the PMD lock and a PTL held, both taken with interrupts on.
// The frame allocator (phys) may be called under any of these.
//
// Two locks of one class are held at once in two places: Fork holds the
// parent's and the child's MmapLock, the child's PMD lock then the
// parent's, the child's PTL then the parent's (the child is reachable by
// no one else but rmap walks, which take one PTL at a time); mremap holds
// the old table's PTL, then the new one's. File.collapseMu is also taken
// to release a file whose last mapping went, after MmapLock is dropped.
//
// Functions that need a lock held end in Locked and say so in
// "Preconditions:"; with the lock validator on, AssertHeld checks it.
//
// # Invariants
//
//   - A user PT page is reached only through PteOffsetMap; its PTEs change
//     only under its PTL, after PteSame revalidation (I2, I5; the I1–I23
//     of docs/retract.md).
//   - A PT page detached while a lockless walker may hold it (retract:
//     faults in a VMA that still maps the range hold MmapLock only for
//     reading) is freed only through PteFreeDefer, after an RCU grace
//     period (unless an unsafe FreeMode: the bug, on purpose). munmap
//     detaches and frees tables under the read lock too, after a
//     downgrade, but only tables of a 2 MiB no VMA covers any more: every
//     walker that holds MmapLock reaches tables through a VMA, and the
//     faults that began before the munmap ended before its write lock.
//     (Linux frees those through RCU as well, for GUP-fast, a walker that
//     needs no VMA; there is none here.)
//   - An mm leaves a file's i_mmap before it frees the page tables that
//     mapped the file, so rmap walks (which hold File.immapMu) never reach
//     a freed table.
//   - A page's frame is freed only after every TLB that may cache a
//     mapping of it was flushed.
//   - A page's head frame counts its references and its mappings
//     (page.go); a page is freed with its last reference.
//   - No page past the end of a file is ever mapped once Truncate has
//     returned: the size is set before the unmap walk, and every path that
//     maps a file page rechecks the size under the lock the walk takes
//     (the PT lock, or the PMD lock for a huge PMD).
//   - A private page mapped by more than one PTE or PMD (after fork) is
//     mapped read-only everywhere; a write copies it, unless the writer
//     holds its only reference and mapping (then it is reused). A piece of
//     a huge page mapped by PTEs is always copied.
//   - Every anonymous huge PMD has one page table deposited in its PD
//     page's list (huge.go), so that a split never allocates.
//   - The per-mm counters (rss.go) follow every mapping made and removed;
//     a test's address spaces end with them, and the kernel's frame
//     counts, back where they started.
package mm
