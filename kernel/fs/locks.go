// locks.go: the lock classes of package fs (the order is in doc.go and
// docs/locking.md).

// trapctx: process context only

package fs

import "retract/lockdep"

var (
	classRename    = lockdep.Register("fs.FS.renameMu", lockdep.Sleep)
	classPos       = lockdep.Register("fs.File.posMu", lockdep.Sleep)
	classInode     = lockdep.Register("fs.Inode.mu", lockdep.Sleep)
	classSynth     = lockdep.Register("fs.FS.synthMu", lockdep.Sleep)
	classVFS       = lockdep.Register("fs.VFS.mu", lockdep.Sleep)
	classFDTable   = lockdep.Register("fs.FDTable.mu", lockdep.Sleep)
	classFSContext = lockdep.Register("fs.FSContext.mu", lockdep.Sleep)
	classEpollNest = lockdep.Register("fs.epollNestMu", lockdep.Sleep)
	classEpoll     = lockdep.Register("fs.Epoll.mu", lockdep.Sleep)
	classEpLinks   = lockdep.Register("fs.epLinksMu", lockdep.Sleep)
	classPipe      = lockdep.Register("fs.Pipe.mu", lockdep.Sleep)
	classSocket    = lockdep.Register("fs.Socket.mu", lockdep.Sleep)
	classTTY       = lockdep.Register("fs.TTY.mu", lockdep.Sleep)
	classQueue     = lockdep.Register("fs.Queue.mu", lockdep.Sleep)
)
