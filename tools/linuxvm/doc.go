// Package linuxvm owns running Linux — Debian's 6.1 cloud kernel — in the
// same QEMU set-up as retract, for side-by-side comparisons:
//
//   - [Fetch] gets the kernel: `apt-get download linux-image-cloud-amd64`
//     and the versioned linux-image-6.1.*-cloud-amd64 package it depends
//     on, into build/linux/, and takes boot/vmlinuz-* and boot/config-*
//     out of the package with `dpkg-deb --fsys-tarfile` (the package is
//     never installed on the host). A second call finds build/linux/kernel.txt
//     and downloads nothing.
//   - [CheckConfig] checks the kernel's config for what the runs need:
//     transparent huge pages, memfd, shmem/tmpfs, the 8250 serial console,
//     initramfs (gzip), devtmpfs, proc and sysfs.
//   - [BuildImage] makes a test initramfs: retract's user/init as /init,
//     the programs to run, /etc/init.cmd (the command) and /etc/fstab.
//   - [Boot] boots the kernel with that image through retract/qemu
//     (Guest "linux": q35, -no-reboot, console=ttyS0 panic=-1) and
//     collects the serial log, the timings, and the program's exit status
//     from init's marker line ("init: exit status N"). With Run.Guest set
//     to retract it boots retract's kernel with the same image on the
//     same machine, for the other half of a side-by-side run.
//   - [Kernels.Setup] prepares a Run for either kernel by name ([Linux],
//     [Retract]): fetches Linux, or checks retract's ELF and tells it
//     init=/bin/init.
//   - [Results], [ParseResults] pick the "name value unit" lines (and
//     their values) out of a serial log; [Marker] the program's status.
//
// Both kernels start from the same THP setting: Linux is booted with
// transparent_hugepage=madvise (the cloud kernel's built-in default is
// "always"), so that only MADV_HUGEPAGE regions, MADV_COLLAPSE and
// khugepaged make huge pages — as in retract — and "quiet", so that kernel
// messages do not interleave with the program's output lines.
package linuxvm
