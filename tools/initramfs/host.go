package initramfs

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// HostFile adds the host file (or directory tree, or symlink) at host
// under the image path p. A regular file keeps only whether it is
// executable; a symlink is copied as a symlink with the same target.
func (t *Tree) HostFile(p, host string) error {
	fi, err := os.Lstat(host)
	if err != nil {
		return err
	}
	switch {
	case fi.Mode().IsRegular():
		data, err := os.ReadFile(host)
		if err != nil {
			return err
		}
		return t.File(p, data, fi.Mode().Perm()&0o111 != 0, host)
	case fi.Mode()&fs.ModeSymlink != 0:
		target, err := os.Readlink(host)
		if err != nil {
			return err
		}
		return t.Symlink(p, target)
	case fi.IsDir():
		return t.HostTree(p, host)
	default:
		return fmt.Errorf("%s: %s is neither a file, a directory nor a symlink", host, fi.Mode().Type())
	}
}

// HostTree adds everything under the host directory dir below the image
// directory at (use "/" for the image root): files, directories and
// symlinks; anything else (devices, sockets) is an error.
func (t *Tree) HostTree(at, dir string) error {
	return filepath.WalkDir(dir, func(hp string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, hp)
		if err != nil {
			return err
		}
		ip := filepath.ToSlash(filepath.Join(at, rel))
		if ip == "/" {
			return nil
		}
		if d.IsDir() {
			return t.add(ip, &node{kind: kindDir, perm: 0o755, source: hp})
		}
		return t.HostFile(ip, hp)
	})
}
