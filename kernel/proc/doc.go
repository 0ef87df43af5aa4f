// Package proc owns user processes and their threads: process ids and the
// process tree, the task goroutine that runs each thread in ring 3, the
// Linux system call table that thread's system calls land in, execve,
// clone/fork/vfork, exit and wait, signals, futexes and resource limits.
// It is the layer between ring 3 and the kernel's subsystems: memory
// (package mm), files (package fs), the scheduler (package sched) and
// the clock.
//
// # Threads are goroutines
//
// Every user thread is a Task whose goroutine (the "task goroutine") is
// locked to its own kernel thread and loops (task.go):
//
//	for {
//		handle pending signals (run a handler, or die)
//		amd64.RunUser(&t.Regs)     // ring 3 until the next trap
//		system call / page fault / exception / interrupt
//	}
//
// so a system call or a page fault of a user thread runs as ordinary Go,
// in process context, on the thread's own goroutine: it may block on a
// channel or a mutex, allocate, and be preempted — the way Linux runs a
// system call on the calling thread's kernel stack. A user page fault
// goes through the same mm.HandleMMFault as the kernel's own uaccess
// (PteOffsetMap, PteSame, the retract checks and delay points all apply).
//
// # Lock order
//
// docs/locking.md has the whole kernel's tree; proc's part:
//
//	proc.tasklist          the process tree: pids, parent/children links,
//	                       process groups, zombie and reaped states
//	                       (Linux's tasklist_lock)
//	  proc.Process.sig     one process's signal state: actions, pending
//	                       signals, each thread's mask, interruption
//	                       channel and kill flag; the thread list
//	                       (Linux's sighand->siglock)
//	proc.futexMu           the futex waiters; above mm.MM.MmapLock (the
//	                       word is read under it, and a read may fault)
//
// Memory (mm.MM.MmapLock and below) and files (fs) are taken with none of
// proc's locks held, except that exit and exec drop an mm or a descriptor
// table after the tree is updated.
//
// # Invariants
//
//   - A Process lives in the pid table from fork until its parent reaps
//     it; its PID is not reused before then.
//   - Every live thread of a process is in its thread list; the process
//     becomes a zombie when the last one has exited, after its memory and
//     files were released.
//   - A user register block (Task.Regs) is touched only by its own task
//     goroutine (and by the clone that creates it).
//   - A pending, unblocked signal closes the thread's interruption channel
//     (Task.intr), so that a blocked system call returns; the channel is
//     replaced when the thread next handles its signals.
package proc
