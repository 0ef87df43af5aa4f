// Command init is a tiny PID 1 for test initramfs images, for Linux and
// for retract alike. As PID 1 it:
//
//  1. mounts proc on /proc, sysfs on /sys and devtmpfs on /dev (creating
//     the directories), ignoring EBUSY (already mounted), ENOENT, ENODEV
//     and ENOSYS (a kernel without them, or one that mounted them itself).
//     Then it mounts what /etc/fstab lists, if there is one ("source
//     target fstype [options]" per line; e.g. "tmpfs /mnt tmpfs
//     huge=advise" for the khugepaged selftest's file cases);
//
//  2. if it has no usable standard output, opens /dev/console for fds 0-2;
//
//  3. runs one command: its own arguments if it has any (Linux passes
//     the words after "--" on the kernel command line), otherwise the
//     first line of /etc/init.cmd that is neither empty nor a comment,
//     split at white space (no quoting). A command name without a slash
//     is looked up in PATH (/bin:/sbin:/usr/bin:/usr/sbin by default);
//
//  4. lets the command write straight to the console (its fds 0-2 are
//     init's), reaps every process that exits meanwhile (orphans are
//     re-parented to PID 1), and when the command exits prints the marker
//     line "init: exit status N" or "init: killed by signal S (NAME)" —
//     how a host harness learns the program's exit status ("init: exit
//     status 127" if there was no command or it could not be started);
//
//  5. waits for the console to drain, syncs, and powers the machine off
//     with reboot(LINUX_REBOOT_CMD_POWER_OFF). PID 1 must never exit (Linux
//     would panic), so if power-off fails it says so and sleeps forever.
//
// Run as any other PID (on the host, for tests) it mounts nothing, runs
// the command the same way, prints the same marker, and exits with the
// command's status (128+S after a signal) instead of powering off.
package main

import (
	"fmt"
	"os"
)

func main() {
	pid1 := os.Getpid() == 1
	if pid1 {
		mountAll()
		mountFstab("/etc/fstab")
		ensureConsole()
	}
	status := 127
	argv, err := command(os.Args[1:], "/etc/init.cmd")
	if err != nil {
		fmt.Fprintf(os.Stderr, "init: %v\n", err)
		fmt.Printf("init: exit status %d\n", status)
	} else {
		if up, ok := uptime(); ok {
			fmt.Printf("init: running %q at %.2f s uptime\n", argv, up)
		} else {
			fmt.Printf("init: running %q\n", argv)
		}
		ws, err := runAndReap(argv)
		if err != nil {
			fmt.Fprintf(os.Stderr, "init: %v\n", err)
			fmt.Printf("init: exit status %d\n", status)
		} else {
			fmt.Println(marker(ws))
			status = exitCode(ws)
		}
	}
	if !pid1 {
		os.Exit(status)
	}
	powerOff(status)
}
