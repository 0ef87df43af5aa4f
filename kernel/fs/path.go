// path.go: path resolution, as Linux's namei does it: absolute paths from
// the task's root, relative ones from the cwd or a directory descriptor,
// "." and ".." (never above the root; across mount points), symbolic
// links (at most 40 in one lookup), trailing slashes, name and path
// length limits.

// trapctx: process context only

package fs

import (
	"strings"

	"retract/kernel/abi"
)

// nameidata is the state of one lookup: the root it may not climb above,
// the owner passed to synthetic nodes, and the links followed so far.
type nameidata struct {
	root  *Inode
	owner any
	links int
	// lastDir and lastName are where the last component found was
	// looked up (after links: the target's), for File.Path.
	lastDir  *Inode
	lastName string
}

// splitLast splits path into what leads to the parent and the last
// component; slash reports trailing slashes. A path of slashes alone has
// last "" (the root).
func splitLast(path string) (dirPart, last string, slash bool) {
	trimmed := strings.TrimRight(path, "/")
	slash = len(trimmed) < len(path)
	if trimmed == "" {
		return "/", "", slash
	}
	i := strings.LastIndexByte(trimmed, '/')
	if i < 0 {
		return "", trimmed, slash
	}
	return trimmed[:i+1], trimmed[i+1:], slash
}

// walkParent resolves all but the last component of path from start.
// It returns the directory, the last component ("" for "/", or "." or
// ".." as written) and whether the path ended in slashes.
func (nd *nameidata) walkParent(start *Inode, path string) (dir *Inode, last string, slash bool, err error) {
	if path == "" {
		return nil, "", false, abi.ENOENT
	}
	if len(path) >= abi.PATH_MAX {
		return nil, "", false, abi.ENAMETOOLONG
	}
	dirPart, last, slash := splitLast(path)
	cur := start
	if strings.HasPrefix(path, "/") {
		cur = nd.root
	}
	for _, name := range strings.Split(dirPart, "/") {
		if name == "" {
			continue
		}
		if cur, err = nd.step(cur, name, true); err != nil {
			return nil, "", false, err
		}
		if !cur.IsDir() {
			return nil, "", false, abi.ENOTDIR
		}
	}
	if !cur.IsDir() {
		return nil, "", false, abi.ENOTDIR
	}
	return cur, last, slash, nil
}

// resolve resolves a whole path; follow says whether a final symbolic
// link is followed (a trailing slash always follows, and then the result
// must be a directory).
func (nd *nameidata) resolve(start *Inode, path string, follow bool) (*Inode, error) {
	dir, last, slash, err := nd.walkParent(start, path)
	if err != nil {
		return nil, err
	}
	if last == "" {
		return dir, nil
	}
	n, err := nd.step(dir, last, follow || slash)
	if err != nil {
		return nil, err
	}
	if slash && !n.IsDir() {
		return nil, abi.ENOTDIR
	}
	return n, nil
}

// step moves from directory cur to its component name, crossing mount
// points and following a symbolic link if follow.
func (nd *nameidata) step(cur *Inode, name string, follow bool) (*Inode, error) {
	switch name {
	case ".":
		return cur, nil
	case "..":
		return nd.dotdot(cur), nil
	}
	n, err := cur.lookupChild(nd.owner, name)
	if err != nil {
		return nil, err
	}
	nd.lastDir, nd.lastName = cur, name
	n = crossMounts(n)
	if follow && n.IsSymlink() {
		return nd.followLink(cur, n)
	}
	return n, nil
}

// crossMounts goes from a mount point to the root of what is mounted on
// it (repeatedly: a mount may be covered by another).
func crossMounts(n *Inode) *Inode {
	for m := n.mounted.Load(); m != nil; m = n.mounted.Load() {
		n = m.root
	}
	return n
}

// dotdot returns the parent of directory cur: cur itself at the task's
// root; from a mounted file system's root, the parent of its mount point.
func (nd *nameidata) dotdot(cur *Inode) *Inode {
	for {
		if cur == nd.root {
			return cur
		}
		if cur == cur.fs.root {
			if cur.fs.mountpoint == nil {
				return cur // the namespace's root
			}
			cur = cur.fs.mountpoint
			continue
		}
		break
	}
	cur.mu.RLock()
	p := cur.parent
	cur.mu.RUnlock()
	if p == nil {
		return cur
	}
	return crossMounts(p)
}

// followLink resolves the target of link, found in directory dir.
func (nd *nameidata) followLink(dir, link *Inode) (*Inode, error) {
	nd.links++
	if nd.links > abi.MAXSYMLINKS {
		return nil, abi.ELOOP
	}
	target, err := link.readlink(nd.owner)
	if err != nil {
		return nil, err
	}
	if target == "" {
		return nil, abi.ENOENT
	}
	return nd.resolve(dir, target, true)
}

// readlink returns a symbolic link's target.
func (n *Inode) readlink(owner any) (string, error) {
	if n.synth != nil && n.synth.Readlink != nil {
		return n.synth.Readlink(owner)
	}
	return n.target, nil
}

// pathOf returns the absolute path of directory n as seen from root, and
// whether n is still reachable (it or an ancestor was removed: false).
func pathOf(root, n *Inode) (string, bool) {
	var parts []string
	cur := n
	for cur != root {
		if cur == cur.fs.root {
			if cur.fs.mountpoint == nil {
				break // above the task's root: Linux says "(unreachable)"
			}
			cur = cur.fs.mountpoint
			continue
		}
		cur.mu.RLock()
		p, name, dead := cur.parent, cur.name, cur.dead
		cur.mu.RUnlock()
		if dead || p == nil {
			return "", false
		}
		parts = append(parts, name)
		cur = p
	}
	if len(parts) == 0 {
		return "/", true
	}
	var b strings.Builder
	for i := len(parts) - 1; i >= 0; i-- {
		b.WriteString("/")
		b.WriteString(parts[i])
	}
	return b.String(), true
}
