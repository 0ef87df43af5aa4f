// synthetic.go: synthetic file systems (/proc, /sys): trees of nodes whose
// files produce their contents when read and take writes through
// callbacks, and whose directories may list entries computed on the spot
// (/proc/PID).

// trapctx: process context only

package fs

import (
	"retract/kernel/abi"
)

// Synthetic is one node of a synthetic file system. Callbacks get the
// Proc of the calling task (Task.Proc) and run with no fs lock held but,
// for Read, the file's fs.File.posMu.
type Synthetic struct {
	// Mode is the type (S_IFREG, S_IFDIR or S_IFLNK) and permissions.
	Mode uint32
	// Read produces a file's contents. It is called at the first read
	// and at every read from offset 0 (so a reader that rewinds sees
	// fresh data); reads at other offsets use that snapshot.
	Read func(proc any) ([]byte, error)
	// ReadAt, if set, serves reads by position with no snapshot: it
	// fills p from offset off and returns the count (0 at the end). For
	// files too large to produce whole (/proc/PID/pagemap).
	ReadAt func(proc any, p []byte, off int64) (int, error)
	// Write takes what a write(2) wrote (the whole buffer, whatever the
	// offset) and returns the count accepted. Nil: opening the file for
	// writing fails with EACCES.
	Write func(proc any, p []byte) (int, error)
	// Readlink gives a link's target (/proc/self -> "42").
	Readlink func(proc any) (string, error)
	// Entries lists a directory, in getdents order.
	Entries func(proc any) ([]SynthEntry, error)
	// Lookup finds one entry (optional: Entries is searched without it).
	Lookup func(proc any, name string) (*Synthetic, error)
}

// SynthEntry is a name in a synthetic directory.
type SynthEntry struct {
	Name string
	Node *Synthetic
}

// SynthDir returns a directory node with fixed entries.
func SynthDir(mode uint32, entries ...SynthEntry) *Synthetic {
	return &Synthetic{Mode: abi.S_IFDIR | mode&abi.S_IALLUGO, Entries: func(any) ([]SynthEntry, error) { return entries, nil }}
}

// SynthFile returns a read-only file node whose contents read returns.
func SynthFile(mode uint32, read func(proc any) ([]byte, error)) *Synthetic {
	return &Synthetic{Mode: abi.S_IFREG | mode&abi.S_IALLUGO, Read: read}
}

// NewSyntheticFS makes a synthetic file system (name "proc", magic
// PROC_SUPER_MAGIC, say) with root as its root directory; Mount puts it
// in the tree.
func (v *VFS) NewSyntheticFS(name string, magic int64, root *Synthetic) *FS {
	fs := v.newFS(name, magic, root.Mode&abi.S_IALLUGO)
	fs.root.synth = root
	fs.synthInodes = map[*Synthetic]*Inode{root: fs.root}
	return fs
}

// ForgetSynthetic drops the inodes of nodes that their file system made
// for them (a /proc/PID directory and its files, once the process is
// gone), so that they do not pile up: a later lookup of the same node
// would get a new inode number. Files open on them keep working.
func (fs *FS) ForgetSynthetic(nodes ...*Synthetic) {
	fs.synthMu.Lock()
	defer fs.synthMu.Unlock()
	for _, n := range nodes {
		if n != fs.root.synth {
			delete(fs.synthInodes, n)
		}
	}
}

// SyntheticInodes returns how many inodes the file system holds for its
// nodes (for tests).
func (fs *FS) SyntheticInodes() int {
	fs.synthMu.Lock()
	defer fs.synthMu.Unlock()
	return len(fs.synthInodes)
}

// inodeFor returns the inode of node under directory parent, made on
// first sight (nodes keep their inode numbers while they exist).
func (fs *FS) inodeFor(parent *Inode, name string, node *Synthetic) *Inode {
	fs.synthMu.Lock()
	defer fs.synthMu.Unlock()
	if n := fs.synthInodes[node]; n != nil {
		return n
	}
	mode := node.Mode
	if mode&abi.S_IFMT == 0 {
		mode |= abi.S_IFREG
	}
	n := fs.newInode(mode)
	n.synth = node
	n.dir = nil
	if n.IsDir() {
		n.parent, n.name = parent, name
	}
	fs.synthInodes[node] = n
	return n
}

// synthLookup finds name in a synthetic directory.
func (n *Inode) synthLookup(owner any, name string) (*Inode, error) {
	s := n.synth
	if s.Lookup != nil {
		c, err := s.Lookup(owner, name)
		if err != nil {
			return nil, err
		}
		if c == nil {
			return nil, abi.ENOENT
		}
		return n.fs.inodeFor(n, name, c), nil
	}
	if s.Entries == nil {
		return nil, abi.ENOENT
	}
	ents, err := s.Entries(owner)
	if err != nil {
		return nil, err
	}
	for _, e := range ents {
		if e.Name == name {
			return n.fs.inodeFor(n, name, e.Node), nil
		}
	}
	return nil, abi.ENOENT
}

// synthDirents lists a synthetic directory from position pos (an index:
// 0 ".", 1 "..", then the entries).
func synthDirents(f *File, pos int64, room int) ([]abi.Dirent64, error) {
	n := f.inode
	var ents []SynthEntry
	if n.synth.Entries != nil {
		var err error
		if ents, err = n.synth.Entries(f.owner); err != nil {
			return nil, err
		}
	}
	parent := (&nameidata{root: n.fs.vfs.root.root}).dotdot(n)
	if n == n.fs.root {
		parent = n
	}
	var out []abi.Dirent64
	used := 0
	add := func(d abi.Dirent64) bool {
		out = append(out, d)
		used += abi.Dirent64Len(d.Name)
		return used <= room
	}
	if pos <= 0 && !add(abi.Dirent64{Ino: n.ino, Off: 1, Type: abi.DT_DIR, Name: "."}) {
		return out, nil
	}
	if pos <= 1 && !add(abi.Dirent64{Ino: parent.ino, Off: 2, Type: abi.DT_DIR, Name: ".."}) {
		return out, nil
	}
	for i := max(pos, 2) - 2; i < int64(len(ents)); i++ {
		e := ents[i]
		c := n.fs.inodeFor(n, e.Name, e.Node)
		if !add(abi.Dirent64{Ino: c.ino, Off: i + 3, Type: abi.DirentType(c.ftype), Name: e.Name}) {
			break
		}
	}
	return out, nil
}

// synthOps: reads come from Read's snapshot, writes go to Write.
type synthOps struct{}

func (synthOps) Read(f *File, p []byte, pos *int64, _ <-chan struct{}) (int, error) {
	s := f.inode.synth
	if s.ReadAt != nil {
		n, err := s.ReadAt(f.owner, p, *pos)
		*pos += int64(n)
		return n, err
	}
	if s.Read == nil {
		return 0, abi.EINVAL
	}
	if *pos == 0 || f.synthBuf == nil {
		b, err := s.Read(f.owner)
		if err != nil {
			return 0, err
		}
		f.synthBuf = append([]byte{}, b...)
	}
	if *pos >= int64(len(f.synthBuf)) {
		return 0, nil
	}
	n := copy(p, f.synthBuf[*pos:])
	*pos += int64(n)
	return n, nil
}

func (synthOps) Write(f *File, p []byte, pos *int64, _ <-chan struct{}) (int, error) {
	n, err := f.inode.synth.Write(f.owner, p)
	if n > 0 {
		*pos += int64(n)
	}
	return n, err
}

func (synthOps) Poll(*File) uint32                             { return defaultPollMask }
func (synthOps) Ioctl(*File, uint32, IoctlArg) (uint64, error) { return 0, abi.ENOTTY }
func (synthOps) Release(*File)                                 {}
