// vfs.go: the namespace — the root file system, mounts, the device
// registry and the clock — and how the kernel builds it at boot.

// trapctx: process context only

package fs

import (
	"strings"
	"sync/atomic"
	"time"

	"retract/kernel/abi"
	"retract/lockdep"
)

// VFS is one mount namespace: a root file system with others mounted on
// its directories, the character-device drivers, and the clock.
type VFS struct {
	clock func() abi.Timespec

	root *FS

	// mu (fs.VFS.mu) protects devices and mounts and serializes Mount.
	mu      lockdep.RWMutex
	devices map[uint64]Device
	mounts  []*FS // in the order they were mounted

	nextMinor atomic.Uint32 // anonymous device numbers (0:N) of file systems
	nextMount atomic.Uint64

	pipefs *FS // inodes of pipe2's pipes
	anonfs *FS // inodes of epoll instances
	shm    *FS // inodes of memfds (under mu)
}

// Config is what the kernel gives NewVFS.
type Config struct {
	// Now is the clock for timestamps (nil: the host's time.Now).
	Now func() abi.Timespec
	// Initramfs is the root file system's contents: a newc cpio archive,
	// uncompressed (see MaybeGunzip); nil leaves the root empty.
	Initramfs []byte
	// Random fills p with random bytes for /dev/random and /dev/urandom
	// (nil: reading them fails with EIO).
	Random func(p []byte)
	// Console is the terminal behind /dev/console and /dev/tty (nil: the
	// nodes exist and opening them fails with ENXIO).
	Console *TTY
}

// New makes an empty namespace: a ramfs root and nothing mounted.
func New(now func() abi.Timespec) *VFS {
	if now == nil {
		now = func() abi.Timespec {
			t := time.Now()
			return abi.Timespec{Sec: t.Unix(), Nsec: int64(t.Nanosecond())}
		}
	}
	v := &VFS{clock: now, devices: map[uint64]Device{}}
	v.mu.Class = classVFS
	v.root = v.NewRamfs()
	v.pipefs = v.newFS("pipefs", abi.PIPEFS_MAGIC, 0o700)
	v.anonfs = v.newFS("anon_inodefs", abi.ANON_INODE_FS_MAGIC, 0o700)
	return v
}

// NewVFS builds what a booted kernel has: the root file system (ramfs)
// filled from the initramfs, /dev (devfs, with null, zero, full, random,
// urandom, console and tty) and /tmp (tmpfs), creating the mount points if
// the archive did not. /proc and /sys are for the caller to mount
// (NewSyntheticFS, Mount).
func NewVFS(cfg Config) (*VFS, error) {
	v := New(cfg.Now)
	if cfg.Initramfs != nil {
		if err := Unpack(v.root.root, cfg.Initramfs); err != nil {
			return nil, err
		}
	}
	v.RegisterMemoryDevices(cfg.Random)
	if cfg.Console != nil {
		v.RegisterDevice(ttyMajor, consoleMinor, cfg.Console)
		v.RegisterDevice(ttyMajor, ttyMinor, cfg.Console)
	}
	for _, dir := range []string{"/dev", "/tmp", "/proc", "/sys"} {
		if err := v.mkdirAll(dir); err != nil {
			return nil, err
		}
	}
	if err := v.Mount("/dev", v.NewDevfs()); err != nil {
		return nil, err
	}
	if err := v.Mount("/tmp", v.NewTmpfs()); err != nil {
		return nil, err
	}
	return v, nil
}

// Root returns the root directory of the namespace.
func (v *VFS) Root() *Inode { return v.root.root }

// RootFS returns the root file system.
func (v *VFS) RootFS() *FS { return v.root }

// NewTask returns a task at the root of the namespace (cwd "/", umask 022)
// with an empty descriptor table, for the first process and for tests.
func (v *VFS) NewTask() *Task {
	return &Task{Files: NewFDTable(), FS: NewFSContext(v.root.root)}
}

// Mount mounts fs on the directory at the absolute path dir (on top of
// what is mounted there already, as Linux stacks mounts). EBUSY if fs is
// mounted already (or is the root).
func (v *VFS) Mount(dir string, fs *FS) error {
	nd := &nameidata{root: v.root.root}
	n, err := nd.resolve(v.root.root, dir, true)
	if err != nil {
		return err
	}
	if !n.IsDir() {
		return abi.ENOTDIR
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if n.mounted.Load() != nil || fs.mountpoint != nil || fs == v.root {
		return abi.EBUSY
	}
	fs.mountpoint = n
	n.mounted.Store(fs)
	v.mounts = append(v.mounts, fs)
	return nil
}

// MountInfo is one line of /proc/mounts.
type MountInfo struct {
	Source string // what was mounted ("proc", "tmpfs": the type's name here)
	Dir    string // where, as a path from the namespace's root
	Type   string // the file system type ("rootfs", "tmpfs", "proc", ...)
	FS     *FS
}

// Mounts lists the root file system and then every mount, in the order
// they were made (/proc/mounts).
func (v *VFS) Mounts() []MountInfo {
	v.mu.RLock()
	list := append([]*FS{v.root}, v.mounts...)
	v.mu.RUnlock()
	out := make([]MountInfo, 0, len(list))
	for _, fs := range list {
		dir := "/"
		if fs.mountpoint != nil {
			p, ok := pathOf(v.root.root, fs.mountpoint)
			if !ok {
				continue // mounted on a directory that was removed since
			}
			dir = p
		}
		out = append(out, MountInfo{Source: fs.Name, Dir: dir, Type: fs.Name, FS: fs})
	}
	return out
}

// now returns the clock's time.
func (v *VFS) now() abi.Timespec { return v.clock() }

// mkdirAll makes the directories of an absolute path that are missing.
func (v *VFS) mkdirAll(path string) error {
	cur := v.root.root
	for _, name := range strings.Split(strings.Trim(path, "/"), "/") {
		if name == "" {
			continue
		}
		next, err := cur.mkdirChild(name, 0o755)
		if err != nil {
			return err
		}
		for m := next.mounted.Load(); m != nil; m = next.mounted.Load() {
			next = m.root
		}
		cur = next
	}
	return nil
}
