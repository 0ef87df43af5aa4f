// sys_misc.go: mount, umount2, reboot, and the calls that are known and
// deliberately answered ENOSYS (the C libraries and Go fall back).

// trapctx: process context only

package proc

import (
	"strings"

	"retract/kernel/abi"
	"retract/kernel/fs"
)

func init() {
	reg(165, sysMount)
	reg(166, func(t *Task, a *[6]uint64) (uint64, error) { // umount2: nothing can be unmounted
		if t.P.Cred().EUID != 0 {
			return 0, abi.EPERM
		}
		return 0, abi.EBUSY
	})
	reg(169, sysReboot)
	// Deliberately not implemented, without a console line: glibc runs
	// without rseq, glibc and musl create threads with clone when clone3
	// is ENOSYS, and Go's os/exec uses wait4 when pidfd_open is.
	for _, nr := range []int{334 /* rseq */, 435 /* clone3 */, 434 /* pidfd_open */} {
		reg(nr, func(t *Task, a *[6]uint64) (uint64, error) { return 0, abi.ENOSYS })
	}
}

// MountSynthetic makes the file system of a mount(2) of "proc" or
// "sysfs" (set by the kernel once /proc and /sys exist).
var MountSynthetic func(v *fs.VFS, fstype string) (*fs.FS, bool)

// mount(source, target, fstype, flags, data): tmpfs, devtmpfs, and proc
// and sysfs when the kernel provides them; a remount or a bind is
// accepted and changes nothing.
func sysMount(t *Task, a *[6]uint64) (uint64, error) {
	if t.P.Cred().EUID != 0 {
		return 0, abi.EPERM
	}
	target, err := t.readPath(a[1])
	if err != nil {
		return 0, err
	}
	const msRemount, msBind = 32, 4096
	if a[3]&(msRemount|msBind) != 0 {
		return 0, nil
	}
	fstype, err := t.readString(a[2], 255)
	if err != nil {
		return 0, err
	}
	if !strings.HasPrefix(target, "/") {
		cwd, err := fs.Getcwd(&t.FS, abi.PATH_MAX)
		if err != nil {
			return 0, err
		}
		target = strings.TrimSuffix(string(cwd[:len(cwd)-1]), "/") + "/" + target
	}
	v := ns
	var sb *fs.FS
	switch fstype {
	case "tmpfs":
		sb = v.NewTmpfs()
	case "devtmpfs":
		sb = v.NewDevfs()
	case "proc", "sysfs":
		if MountSynthetic != nil {
			sb, _ = MountSynthetic(v, fstype)
		}
	}
	if sb == nil {
		return 0, abi.ENODEV
	}
	return 0, v.Mount(target, sb)
}

// Reboot is what reboot(2)'s power-off, halt and restart do (the kernel
// sets it: power off, with init's status in an init= run).
var Reboot = func(cmd uint32) {}

func sysReboot(t *Task, a *[6]uint64) (uint64, error) {
	const (
		magic1  = 0xfee1dead
		cmdOff  = 0x4321fedc
		cmdHalt = 0xcdef0123
		cmdBoot = 0x01234567
		cadOn   = 0x89abcdef
		cadOff  = 0
	)
	if uint32(a[0]) != magic1 || !oneOf(uint32(a[1]), 672274793, 85072278, 369367448, 537993216) {
		return 0, abi.EINVAL
	}
	if t.P.Cred().EUID != 0 {
		return 0, abi.EPERM
	}
	switch cmd := uint32(a[2]); cmd {
	case cadOn, cadOff:
		return 0, nil
	case cmdOff, cmdHalt, cmdBoot:
		logf("reboot: ", t.P.Comm(), "[", itoa(t.P.PID), "] asked to power off")
		Reboot(cmd)
		return 0, nil
	}
	return 0, abi.EINVAL
}
