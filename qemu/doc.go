//go:build linux

// Package qemu owns everything retract needs to boot its kernel under QEMU
// on a Linux host: choosing the accelerator, building the
// qemu-system-x86_64 command line, locating the QEMU binary, and driving a
// running guest through its serial console.
//
// # What it owns
//
//   - [Config] describes one boot (kernel, initramfs, guest, machine type,
//     accelerator, CPUs, memory, kernel command line, gdbstub). The guest
//     is retract (a PVH ELF, the default) or Linux ([GuestLinux]: a
//     bzImage such as Debian's 6.1 cloud kernel, on q35, with
//     console=ttyS0 and panic=-1 added to its command line), so that the
//     side-by-side runs boot both kernels through the same code.
//   - [ChooseAccel] decides between KVM and TCG and explains why.
//   - [Args] and [TerminalArgs] turn a Config and a [Decision] into QEMU's
//     argv. The kernel is loaded with -kernel (PVH entry for retract, the
//     bzImage boot protocol for Linux), an initramfs with -initrd. Every boot has an
//     isa-debug-exit device at I/O port 0xf4: a guest write of value v makes
//     QEMU exit with status (v<<1)|1, which is how the kernel reports test
//     results and fatal errors; an ACPI poweroff exits with status 0.
//     -no-reboot turns a triple fault into an exit instead of a reboot loop.
//   - [Binary] finds qemu-system-x86_64 or says how to install it.
//   - [Start] runs QEMU with the guest's serial port on QEMU's stdin/stdout,
//     returning a [Session] that tests use to [Session.Write] input,
//     [Session.Expect] output and [Session.Wait] for the exit status.
//
// The interactive launcher lives in retract/qemu/cmd/launch.
//
// # How the accelerator is chosen
//
// "tcg" always gives TCG (software emulation, -cpu max). "auto" (the
// default) gives KVM only when /dev/kvm exists and opens read-write AND
// /proc/modules lists kvm_intel or kvm_amd, i.e. the host has real hardware
// virtualisation (VMX or SVM); in every other case it falls back to TCG and
// the [Decision] says why. "kvm" insists on the same conditions and fails
// with an explanation when they do not hold.
//
// # Why kvm-pvm is refused
//
// Some cloud VMs expose a /dev/kvm that is backed by kvm_pvm (Pagetable
// Virtual Machine, the paravirtualised KVM used for nested guests without
// hardware virtualisation). PVM can only run guests that are themselves
// PVM-aware, i.e. Linux kernels built for it; it does not emulate a full
// x86 machine. A stock guest such as retract starts fine under it and then
// stops dead at its first SSE instruction. Because "/dev/kvm opens" is
// therefore not proof that KVM works, the module list is checked as well and
// a host whose only KVM backend is kvm_pvm uses TCG.
package qemu
