// getdents.go: getdents64(2) — "." and ".." first, then the entries in
// the order they were made; the position is the next entry's sequence
// number, so removals and additions elsewhere in the directory neither
// repeat nor skip the entries that stay.

// trapctx: process context only

package fs

import (
	"retract/kernel/abi"
)

// Getdents64 is getdents64(2): it fills buf with linux_dirent64 records
// and returns the bytes used (0 at the end). ENOTDIR if fd is not a
// directory, EINVAL if not even one record fits.
func Getdents64(t *Task, fd int, buf []byte) (int, error) {
	f, err := t.getFile(fd)
	if err != nil {
		return 0, err
	}
	defer f.Put()
	if f.inode == nil || !f.inode.IsDir() {
		return 0, abi.ENOTDIR
	}
	f.posMu.Lock()
	defer f.posMu.Unlock()
	var out []byte
	var ents []abi.Dirent64
	if f.inode.synth != nil {
		ents, err = synthDirents(f, f.pos, len(buf))
		if err != nil {
			return 0, err
		}
	} else {
		ents = dirents(f.inode, f.pos, len(buf))
	}
	for _, d := range ents {
		if len(out)+abi.Dirent64Len(d.Name) > len(buf) {
			break
		}
		out = abi.AppendDirent64(out, d)
		f.pos = d.Off
	}
	if len(out) == 0 && len(ents) > 0 {
		return 0, abi.EINVAL
	}
	copy(buf, out)
	if len(out) > 0 {
		f.inode.touchAtime()
	}
	return len(out), nil
}

// dirents lists directory n from position pos: at most what fits in room
// bytes (and at least one entry, to detect a buffer too small).
func dirents(n *Inode, pos int64, room int) []abi.Dirent64 {
	parent := (&nameidata{root: n.fs.vfs.root.root}).dotdot(n)
	if n == n.fs.root {
		parent = n // a mount's root: its own "..", as Linux's dcache_readdir says
	}
	n.mu.RLock()
	defer n.mu.RUnlock()
	var out []abi.Dirent64
	used := 0
	add := func(d abi.Dirent64) bool {
		out = append(out, d)
		used += abi.Dirent64Len(d.Name)
		return used <= room
	}
	if pos <= 0 && !add(abi.Dirent64{Ino: n.ino, Off: 1, Type: abi.DT_DIR, Name: "."}) {
		return out
	}
	if pos <= 1 && !add(abi.Dirent64{Ino: parent.ino, Off: firstSeq, Type: abi.DT_DIR, Name: ".."}) {
		return out
	}
	for _, e := range n.dir.order[n.dir.at(max(pos, firstSeq)):] {
		if !add(abi.Dirent64{Ino: e.inode.ino, Off: e.seq + 1, Type: abi.DirentType(e.inode.ftype), Name: e.name}) {
			break
		}
	}
	return out
}
