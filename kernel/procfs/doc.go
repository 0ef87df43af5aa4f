// Package procfs is retract's /proc: a synthetic file system (fs.NewSyntheticFS)
// whose files print the kernel's state the way Linux 6.1 prints it,
// byte for byte where programs parse it. docs/procfs.md lists every file,
// where its figures come from and what is not implemented.
//
// System-wide: cpuinfo (CPUID), meminfo and vmstat (mm's counters, with
// retract's own pt_* counters at the end of vmstat), stat, uptime and
// loadavg (the scheduler's per-CPU times, the clock), filesystems,
// mounts (a link to self/mounts), version, and under sys/ the sysctls
// kernel/{ostype,osrelease,hostname,pid_max} and vm/drop_caches.
//
// Per process: /proc/self and /proc/PID/{auxv,cmdline,comm,cwd,environ,
// exe,fd/,maps,mounts,root,smaps,stat,statm,status,task/}. The process
// layer implements Process and sets the hooks Lookup, List and Self (and
// Forks, LastPID) at boot; fs passes the calling Task's Proc to every
// callback, so /proc/self resolves to the caller. A process's directory
// is made on its first lookup and dropped, with its inodes, once a lookup
// or a listing finds the process gone; a file opened before reads ESRCH.
// maps and smaps walk the address space with mm's ForEachVMA.
//
// # Lock order
//
// Callbacks run with fs.File.posMu held (a read) or nothing (a lookup,
// a readlink). Under posMu they take mm.MM.MmapLock (and, for smaps, the
// PMD lock and PT locks), mm.mmsMu, fs.FDTable.mu, fs.VFS.mu,
// fs.FS.synthMu, sched.lock, and procfs.mu / procfs.pidDir.mu, which are
// leaves; and whatever the process layer's Process methods take
// (docs/locking.md has the tree).
package procfs
