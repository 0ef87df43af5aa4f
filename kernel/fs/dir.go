// dir.go: directory contents — entries by name, and an order that
// getdents64's cursor can survive concurrent changes in.

// trapctx: process context only

package fs

import (
	"sort"

	"retract/kernel/abi"
)

// dirent is one name in a directory. seq orders a directory's entries:
// each new entry (and a renamed one) gets the next number, so a
// getdents64 position (the seq to continue from) stays meaningful when
// entries before or after it are removed or added.
type dirent struct {
	name  string
	inode *Inode
	seq   int64
}

// dirData is a directory's contents. Protected by the directory's mu.
type dirData struct {
	entries map[string]*dirent
	order   []*dirent // by seq
	nextSeq int64
}

// firstSeq is the position of the first real entry: 0 is ".", 1 is "..".
const firstSeq = 2

func newDirData() *dirData { return &dirData{entries: map[string]*dirent{}, nextSeq: firstSeq} }

func (d *dirData) add(name string, n *Inode) {
	e := &dirent{name: name, inode: n, seq: d.nextSeq}
	d.nextSeq++
	d.entries[name] = e
	d.order = append(d.order, e)
}

func (d *dirData) remove(name string) {
	e := d.entries[name]
	if e == nil {
		return
	}
	delete(d.entries, name)
	i := sort.Search(len(d.order), func(i int) bool { return d.order[i].seq >= e.seq })
	d.order = append(d.order[:i], d.order[i+1:]...)
}

// at returns the index in order of the first entry at position pos or
// later.
func (d *dirData) at(pos int64) int {
	return sort.Search(len(d.order), func(i int) bool { return d.order[i].seq >= pos })
}

// lookupLocked returns the child called name. Preconditions: n is a
// non-synthetic directory, n.mu held.
func (n *Inode) lookupLocked(name string) *Inode {
	if e := n.dir.entries[name]; e != nil {
		return e.inode
	}
	return nil
}

// lookupChild returns the child called name (ENOENT), asking the
// callbacks of a synthetic directory (with no lock held) for owner.
func (n *Inode) lookupChild(owner any, name string) (*Inode, error) {
	if len(name) > abi.NAME_MAX {
		return nil, abi.ENAMETOOLONG
	}
	if n.synth != nil {
		return n.synthLookup(owner, name)
	}
	n.mu.RLock()
	c := n.lookupLocked(name)
	n.mu.RUnlock()
	if c == nil {
		return nil, abi.ENOENT
	}
	return c, nil
}

// linkLocked enters child under name: the directory's times, and for a
// directory child its parent, name and the link counts. Preconditions:
// n.mu held for writing, name absent, child's mu not held by anyone else
// who could see it (a new inode), or held by the caller.
func (n *Inode) linkLocked(name string, child *Inode) {
	n.dir.add(name, child)
	if child.IsDir() {
		child.parent, child.name = n, name
		n.nlink++
	}
	n.touchMtime()
}

// unlinkLocked removes name (whose inode is child) from n. Preconditions:
// n.mu held for writing.
func (n *Inode) unlinkLocked(name string, child *Inode) {
	n.dir.remove(name)
	if child.IsDir() && n.nlink > 2 {
		n.nlink--
	}
	n.touchMtime()
}

// mkdirChild returns the directory name in n, making it with mode perm if
// it is missing (Unpack and NewVFS). EEXIST if name is something else.
func (n *Inode) mkdirChild(name string, perm uint32) (*Inode, error) {
	if len(name) > abi.NAME_MAX {
		return nil, abi.ENAMETOOLONG
	}
	if n.synth != nil {
		return nil, abi.EPERM
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.dead {
		return nil, abi.ENOENT
	}
	if c := n.lookupLocked(name); c != nil {
		if !c.IsDir() {
			return nil, abi.EEXIST
		}
		return c, nil
	}
	c := n.fs.newInode(abi.S_IFDIR | perm&(abi.S_IRWXUGO|abi.S_ISVTX))
	n.linkLocked(name, c)
	return c, nil
}

// isEmptyLocked reports whether a directory has no entries.
// Preconditions: n.mu held.
func (n *Inode) isEmptyLocked() bool { return n.dir == nil || len(n.dir.entries) == 0 }
