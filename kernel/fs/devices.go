// devices.go: character devices — the driver registry and the memory
// devices (null, zero, full, random, urandom) — and devfs, the /dev that
// holds their nodes.

// trapctx: process context only

package fs

import (
	"retract/kernel/abi"
)

// Device is a character-device driver: opening a node whose rdev it is
// registered under calls Open, which returns the file's operations.
type Device interface {
	Open(f *File) (FileOps, error)
}

// Device numbers of the nodes devfs makes.
const (
	memMajor     = 1
	nullMinor    = 3
	zeroMinor    = 5
	fullMinor    = 7
	randomMinor  = 8
	urandomMinor = 9
	ttyMajor     = 5
	ttyMinor     = 0
	consoleMinor = 1
)

// RegisterDevice installs the driver of character device major:minor.
func (v *VFS) RegisterDevice(major, minor uint32, d Device) {
	v.mu.Lock()
	v.devices[abi.Mkdev(major, minor)] = d
	v.mu.Unlock()
}

func (v *VFS) device(rdev uint64) Device {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.devices[rdev]
}

// RegisterMemoryDevices installs null, zero, full, random and urandom;
// random reads from fill (nil: EIO).
func (v *VFS) RegisterMemoryDevices(fill func(p []byte)) {
	v.RegisterDevice(memMajor, nullMinor, memDevice{kind: nullMinor})
	v.RegisterDevice(memMajor, zeroMinor, memDevice{kind: zeroMinor})
	v.RegisterDevice(memMajor, fullMinor, memDevice{kind: fullMinor})
	v.RegisterDevice(memMajor, randomMinor, memDevice{kind: randomMinor, fill: fill})
	v.RegisterDevice(memMajor, urandomMinor, memDevice{kind: urandomMinor, fill: fill})
}

// NewDevfs makes /dev: a tmpfs-like file system (statfs says TMPFS_MAGIC,
// like devtmpfs) with the nodes null, zero, full, random, urandom (0666),
// tty (0666), console (0600). Other nodes may be added with Mknodat.
func (v *VFS) NewDevfs() *FS {
	fs := v.newFS("devtmpfs", abi.TMPFS_MAGIC, 0o755)
	for _, d := range []struct {
		name         string
		major, minor uint32
		perm         uint32
	}{
		{"null", memMajor, nullMinor, 0o666}, {"zero", memMajor, zeroMinor, 0o666},
		{"full", memMajor, fullMinor, 0o666}, {"random", memMajor, randomMinor, 0o666},
		{"urandom", memMajor, urandomMinor, 0o666}, {"tty", ttyMajor, ttyMinor, 0o666},
		{"console", ttyMajor, consoleMinor, 0o600},
	} {
		n := fs.newInode(abi.S_IFCHR | d.perm)
		n.rdev = abi.Mkdev(d.major, d.minor)
		fs.root.mu.Lock()
		fs.root.linkLocked(d.name, n)
		fs.root.mu.Unlock()
	}
	return fs
}

// memDevice is /dev/null, zero, full, random or urandom.
type memDevice struct {
	kind uint32
	fill func(p []byte)
}

func (d memDevice) Open(*File) (FileOps, error) { return d, nil }

func (d memDevice) Read(_ *File, p []byte, _ *int64, _ <-chan struct{}) (int, error) {
	switch d.kind {
	case nullMinor:
		return 0, nil
	case zeroMinor, fullMinor:
		clear(p)
		return len(p), nil
	}
	if d.fill == nil {
		return 0, abi.EIO
	}
	d.fill(p)
	return len(p), nil
}

func (d memDevice) Write(_ *File, p []byte, _ *int64, _ <-chan struct{}) (int, error) {
	if d.kind == fullMinor {
		return 0, abi.ENOSPC
	}
	return len(p), nil // random: the bytes would be mixed in; dropped
}

func (d memDevice) Poll(*File) uint32 { return defaultPollMask }

func (d memDevice) Ioctl(*File, uint32, IoctlArg) (uint64, error) { return 0, abi.ENOTTY }

func (d memDevice) Release(*File) {}

// Seek: null, zero and full stay at 0 (Linux's null_lseek); random and
// urandom do not move.
func (d memDevice) Seek(f *File, off int64, whence int) (int64, error) {
	if d.kind == randomMinor || d.kind == urandomMinor {
		f.posMu.Lock()
		defer f.posMu.Unlock()
		return f.pos, nil
	}
	return 0, nil
}
