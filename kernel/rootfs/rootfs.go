// trapctx: process context only

// Package rootfs builds the kernel's one namespace at boot, as Linux's
// init/initramfs.c and init/do_mounts.c do: every regular file backed by
// the page cache (pagecache.Install), the root file system filled from
// the initramfs (QEMU -initrd: boot.Initrd, gunzipped if need be, copied
// into page-cache pages, then the module's frames given back), /dev and
// /tmp (fs.NewVFS), /proc (procfs) and /sys (sysfs).
//
// The process layer opens, executes and mmaps through VFS; its tasks
// start at VFS.NewTask().
package rootfs

import (
	"crypto/rand"
	"fmt"

	"retract/boot"
	"retract/kernel/abi"
	"retract/kernel/clock"
	"retract/kernel/fs"
	"retract/kernel/pagecache"
	"retract/kernel/procfs"
	"retract/kernel/sysfs"
)

// The namespace and its /proc, set by Init, and what Init did with the
// initramfs: its unpacked size (0: none, or it failed) and the initrd
// memory given back.
var (
	VFS  *fs.VFS
	Proc *procfs.Proc

	InitramfsBytes   int
	InitrdFreedBytes uint64
)

// maxInitramfs bounds the unpacked archive (gzip bombs).
const maxInitramfs = 256 << 20

// Init builds the namespace. A bad initramfs is reported and left out
// (the root is then empty), as Linux goes on after "Initramfs unpacking
// failed". It returns a line for the console, or an error if the
// namespace itself could not be built.
// console is the terminal behind /dev/console and /dev/tty (nil: none).
func Init(console *fs.TTY) (string, error) {
	pagecache.Install()
	cfg := fs.Config{
		Now: func() abi.Timespec {
			ns := clock.Walltime()
			return abi.Timespec{Sec: ns / 1e9, Nsec: ns % 1e9}
		},
		Random:  func(p []byte) { rand.Read(p) },
		Console: console,
	}
	msg := "no initramfs"
	start := clock.Nanotime()
	if img := boot.Initrd(); img != nil {
		archive, err := fs.MaybeGunzip(img, maxInitramfs)
		if err == nil {
			cfg.Initramfs = archive
			msg = fmt.Sprintf("initramfs of %d KiB unpacked into the page cache", len(archive)>>10)
		} else {
			msg = fmt.Sprintf("initramfs unpacking failed: %v", err)
		}
	}
	v, err := fs.NewVFS(cfg)
	if err != nil && cfg.Initramfs != nil {
		msg = fmt.Sprintf("initramfs unpacking failed: %v", err)
		cfg.Initramfs = nil
		v, err = fs.NewVFS(cfg)
	}
	if err != nil {
		return "", err
	}
	InitramfsBytes = len(cfg.Initramfs)
	if InitramfsBytes > 0 {
		msg += fmt.Sprintf(" in %d ms", (clock.Nanotime()-start)/1e6)
	}
	if n := boot.ReleaseModules(); n > 0 {
		InitrdFreedBytes = n
		msg += fmt.Sprintf(" (%d KiB of initrd memory freed)", n>>10)
	}
	p, err := procfs.Mount(v)
	if err != nil {
		return "", fmt.Errorf("mounting /proc: %v", err)
	}
	if _, err := sysfs.Mount(v); err != nil {
		return "", fmt.Errorf("mounting /sys: %v", err)
	}
	VFS, Proc = v, p
	return "rootfs: " + msg + "; /dev, /tmp, /proc, /sys mounted", nil
}
