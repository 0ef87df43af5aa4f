// Package fs is retract's in-memory VFS: what Linux system calls on files
// see. It owns the namespace (VFS: a root file system with others mounted
// on it), file systems (ramfs, tmpfs, devfs, synthetic ones for /proc and
// /sys, and the internal ones of pipes, epoll and memfd), inodes and
// directory entries, path resolution, open file descriptions (File),
// descriptor tables (FDTable), the root/cwd/umask of a process
// (FSContext), pipes and FIFOs, poll and epoll, the character devices
// (null, zero, full, random, urandom, console, tty) with the terminal line
// discipline (TTY), memfd, and the initramfs unpacker. It is pure Go,
// process context only, and builds and tests on the host.
//
// The syscall layer decodes registers, copies user memory and calls the
// functions named after the system calls (Openat, Read, Renameat2,
// Getdents64, EpollCtl...) with a Task — the calling thread's descriptor
// table, fs context, interruption channel and process — and returns their
// abi.Errno to user space. docs/vfs.md lists what is supported and which
// errno each case gives.
//
// # What the kernel provides
//
//   - NewData: the Data of regular files. kernel/rootfs sets it at boot
//     to kernel/pagecache's (an mm.File), so that mmap, collapse and
//     retract apply to every file; MemData is the default for tests.
//   - The synthetic file systems of /proc (kernel/procfs) and /sys
//     (kernel/sysfs), mounted with Mount; VFS.Mounts lists the mounts
//     for /proc/mounts, FS.ForgetSynthetic drops the inodes of a dead
//     process's /proc directory.
//   - Config.Now (the clock), Config.Random (the byte source of
//     /dev/random and /dev/urandom), and a TTY whose TTYHooks write to the
//     serial console (Output) and signal the foreground process group
//     (Interrupt); the kernel feeds TTY.Input with the bytes received.
//
// # Blocking and signals
//
// Every call that may block (read and write on pipes, FIFOs and the
// terminal, opening a FIFO, poll, epoll_wait) waits on a Queue's channel
// and, at the same time, on Task.Intr. The process layer closes Intr when
// a signal is pending for the thread (and gives it a fresh channel once
// the signal is delivered); the blocked call then returns at once with
// the code Linux returns there — ERESTARTSYS (read, write, FIFO open: the
// signal layer restarts them under SA_RESTART, else makes them EINTR),
// ERESTARTNOHAND (poll), EINTR (epoll_wait). Nothing is consumed by an
// interrupted call; a write interrupted after some bytes returns the
// count.
//
// # Lock order
//
// docs/locking.md has the whole kernel's tree; fs's part:
//
//	fs.FS.renameMu      one rename at a time per file system: the shape of
//	                    the tree (who is whose ancestor) is stable under it
//	  fs.Inode.mu       the two parents, an ancestor first; then the moved
//	                    inode and the victim
//	fs.File.posMu       a file's offset (read, write, lseek, getdents)
//	  fs.Inode.mu       (and, for synthetic files, the Read callback)
//	  fs.FS.synthMu     (getdents of a synthetic directory)
//	fs.Inode.mu         RW, like i_rwsem: attributes, a directory's
//	                    entries, a regular file's Data. A directory's before
//	                    its children's. Held (for reading, or for writing in
//	                    write and truncate) across calls into Data: the
//	                    kernel's Data takes the mm.File locks below it.
//	fs.epollNestMu      EPOLL_CTL_ADD of an epoll to another (loop check)
//	  fs.Epoll.mu       an epoll's interest list; held while its files are
//	                    polled, so below it: fs.Pipe.mu, fs.TTY.mu, a
//	                    nested epoll's fs.Epoll.mu, fs.epLinksMu
//	fs.Pipe.mu          a pipe's buffer and counts
//	fs.TTY.mu           a terminal's state; TTYHooks.Output runs under it
//	fs.FDTable.mu       a descriptor table (files are released after it)
//	fs.FSContext.mu     root, cwd, umask
//	fs.FS.synthMu       a synthetic file system's inodes
//	fs.VFS.mu           the device registry, mounting
//	fs.Queue.mu         a leaf: watchers are called after it is dropped
//
// Queue.Notify is called with the owner's lock held (fs.Pipe.mu, fs.TTY.mu)
// and calls watchers (poll's, epoll's), which take only fs.Queue.mu.
// Synthetic callbacks and TTYHooks.Interrupt run with no fs lock held
// (Read with fs.File.posMu), so they may take the process layer's locks;
// fs never calls the process layer otherwise.
//
// # Invariants
//
//   - A directory has one parent and one name (no hard links to
//     directories); its parent pointer changes only under renameMu.
//   - A directory that was removed is dead: nothing can be created in it
//     and ".." still leads to its old parent.
//   - An inode's Data lives while it has a name or an open File (the
//     kernel's mmap must keep a File reference, File.Get); then it is
//     released once (Releaser), with no lock held.
//   - A File is released when its last reference goes (descriptors, fork
//     copies, mmaps); a pipe sees its end close then.
//   - getdents64 positions are directory sequence numbers: an entry that
//     stays in a directory is listed exactly once by a reader that
//     started before it and did not rewind, whatever else is created or
//     removed meanwhile (a renamed entry may show up again under its new
//     name).
package fs
