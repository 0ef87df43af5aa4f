// unpack.go: filling a file system from an initramfs (newc cpio, through
// kernel/fs/cpio), the way Linux's init/initramfs.c does, and the gzip
// sniffing the kernel does before.

// trapctx: process context only

package fs

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"

	"retract/kernel/abi"
	"retract/kernel/fs/cpio"
)

// UnpackError is a bad archive or an entry that could not be created: it
// names the entry (empty for a format error) and the offset of its header
// in the archive.
type UnpackError struct {
	Name   string
	Offset int
	Err    error
}

func (e *UnpackError) Error() string {
	if e.Name == "" {
		return fmt.Sprintf("initramfs: %v", e.Err)
	}
	return fmt.Sprintf("initramfs: entry %q at offset %d: %v", e.Name, e.Offset, e.Err)
}

func (e *UnpackError) Unwrap() error { return e.Err }

// Unpack extracts a newc archive (several back to back, with NUL padding
// between them, like Linux) into directory root: directories made as
// needed, regular files, symbolic links, device nodes, FIFOs, hard links
// (entries with the same inode number and nlink > 1), modes, owners and
// modification times. Something already at an entry's name is replaced
// (later entries win; a non-empty directory in the way is an error). A
// malformed archive is an *UnpackError, never a panic.
func Unpack(root *Inode, archive []byte) error {
	t := &Task{Files: NewFDTable(), FS: NewFSContext(root)}
	t.FS.umask = 0
	defer t.Files.Release()
	u := &unpacker{t: t, links: map[[3]uint32]string{}}
	off := 0
	for {
		for off < len(archive) && archive[off] == 0 {
			off++
		}
		if off >= len(archive) {
			break
		}
		r := cpio.NewReader(archive[off:])
		base := off
		err := r.All(func(e *cpio.Entry) error {
			if err := u.entry(e); err != nil {
				return &UnpackError{Name: e.Name, Offset: base + e.Offset, Err: err}
			}
			return nil
		})
		var ce *cpio.Error
		if errors.As(err, &ce) {
			return &UnpackError{Offset: base + ce.Offset, Err: &cpio.Error{Offset: base + ce.Offset, Msg: ce.Msg}}
		}
		if err != nil {
			return err
		}
		off += r.Offset()
	}
	for _, d := range u.dirTimes {
		_ = Utimensat(t, abi.AT_FDCWD, d.name, &[2]abi.Timespec{d.mtime, d.mtime}, abi.AT_SYMLINK_NOFOLLOW)
	}
	return nil
}

type unpacker struct {
	t        *Task
	links    map[[3]uint32]string // (dev major, dev minor, ino) -> first name
	dirTimes []struct {
		name  string
		mtime abi.Timespec
	}
}

// cleanName makes an archive name relative to the root: "./a", "/a" and
// "a" are the same; "" and "." are the root itself.
func cleanName(name string) string {
	for {
		switch {
		case strings.HasPrefix(name, "/"):
			name = name[1:]
		case strings.HasPrefix(name, "./"):
			name = name[2:]
		default:
			name = strings.TrimRight(name, "/")
			if name == "" {
				return "."
			}
			return name
		}
	}
}

func (u *unpacker) entry(e *cpio.Entry) error {
	t := u.t
	name := cleanName(e.Name)
	mtime := abi.Timespec{Sec: int64(e.Mtime)}
	if name == "." {
		if !e.IsDir() {
			return abi.EEXIST
		}
		root := t.FS.Root()
		chmod(root, e.Perm())
		chown(root, e.UID, e.GID)
		u.dirTimes = append(u.dirTimes, struct {
			name  string
			mtime abi.Timespec
		}{"/", mtime})
		return nil
	}
	if err := u.parents(name); err != nil {
		return err
	}
	typ := e.Type()
	if typ != cpio.TypeDir || !u.isDir(name) {
		if err := u.clean(name, typ); err != nil {
			return err
		}
	}
	switch typ {
	case cpio.TypeDir:
		if err := Mkdirat(t, abi.AT_FDCWD, name, e.Perm()); err != nil && err != abi.EEXIST {
			return err
		}
		u.dirTimes = append(u.dirTimes, struct {
			name  string
			mtime abi.Timespec
		}{name, mtime})
	case cpio.TypeRegular:
		flags := uint32(abi.O_WRONLY | abi.O_CREAT | abi.O_TRUNC)
		key := [3]uint32{e.DevMajor, e.DevMinor, e.Ino}
		if e.Nlink >= 2 {
			if first, ok := u.links[key]; ok {
				if err := Linkat(t, abi.AT_FDCWD, first, abi.AT_FDCWD, name, 0); err != nil {
					return err
				}
				flags = abi.O_WRONLY
			} else {
				u.links[key] = name
			}
		}
		f, err := OpenFile(t, abi.AT_FDCWD, name, flags|abi.O_NOFOLLOW, e.Perm())
		if err != nil {
			return err
		}
		if len(e.Data) > 0 {
			_, err = f.Write(e.Data, nil)
		}
		f.Put()
		if err != nil {
			return err
		}
	case cpio.TypeSymlink:
		if err := Symlinkat(t, string(e.Data), abi.AT_FDCWD, name); err != nil {
			return err
		}
	default:
		dev := abi.Mkdev(e.RdevMajor, e.RdevMinor)
		if err := Mknodat(t, abi.AT_FDCWD, name, typ|e.Perm(), dev); err != nil {
			return err
		}
	}
	if typ != cpio.TypeSymlink {
		if err := Fchmodat(t, abi.AT_FDCWD, name, e.Perm()); err != nil {
			return err
		}
	}
	if err := Fchownat(t, abi.AT_FDCWD, name, e.UID, e.GID, abi.AT_SYMLINK_NOFOLLOW); err != nil {
		return err
	}
	if typ != cpio.TypeDir {
		return Utimensat(t, abi.AT_FDCWD, name, &[2]abi.Timespec{mtime, mtime}, abi.AT_SYMLINK_NOFOLLOW)
	}
	return nil
}

// parents makes the directories leading to name (0755), following
// symbolic links already there.
func (u *unpacker) parents(name string) error {
	i := strings.LastIndexByte(name, '/')
	if i < 0 {
		return nil
	}
	path := ""
	for _, c := range strings.Split(name[:i], "/") {
		if c == "" {
			continue
		}
		if path != "" {
			path += "/"
		}
		path += c
		if err := Mkdirat(u.t, abi.AT_FDCWD, path, 0o755); err != nil && err != abi.EEXIST {
			return err
		}
	}
	return nil
}

func (u *unpacker) isDir(name string) bool {
	n, err := u.t.lookup(abi.AT_FDCWD, name, false, false)
	return err == nil && n.IsDir()
}

// clean removes what is at name unless it is a directory and a directory
// is coming (Linux's clean_path).
func (u *unpacker) clean(name string, typ uint32) error {
	n, err := u.t.lookup(abi.AT_FDCWD, name, false, false)
	if err != nil {
		return nil
	}
	if n.IsDir() {
		if typ == cpio.TypeDir {
			return nil
		}
		return Unlinkat(u.t, abi.AT_FDCWD, name, abi.AT_REMOVEDIR)
	}
	return Unlinkat(u.t, abi.AT_FDCWD, name, 0)
}

// MaybeGunzip returns archive decompressed if it starts with the gzip
// magic (1f 8b), else as it is. limit bounds the decompressed size (an
// error beyond it).
func MaybeGunzip(archive []byte, limit int64) ([]byte, error) {
	if len(archive) < 2 || archive[0] != 0x1f || archive[1] != 0x8b {
		return archive, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(archive))
	if err != nil {
		return nil, fmt.Errorf("initramfs: gzip: %w", err)
	}
	// The gzip trailer's ISIZE is the uncompressed size (mod 4 GiB):
	// one buffer of that size, instead of io.ReadAll's doubling and
	// copying (a third of the unpacking time under TCG). It is only a
	// hint: a lying trailer costs a copy, not a wrong result.
	hint := int64(binary.LittleEndian.Uint32(archive[len(archive)-4:]))
	out := bytes.NewBuffer(make([]byte, 0, min(hint, limit, 32*int64(len(archive)))+bytes.MinRead))
	if _, err := out.ReadFrom(io.LimitReader(zr, limit+1)); err != nil {
		return nil, fmt.Errorf("initramfs: gzip: %w", err)
	}
	if int64(out.Len()) > limit {
		return nil, fmt.Errorf("initramfs: gzip: more than %d bytes decompressed", limit)
	}
	return out.Bytes(), nil
}
