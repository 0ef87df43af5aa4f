// userland.go: what the kernel needs to run user programs — the file
// namespace (package rootfs) with the console terminal and its line
// discipline, the router that gives console input to the shell or to the
// foreground program, and init= (a program as PID 1).

package main

import (
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"time"

	"retract/lockdep"
	"retract/mm"
	"retract/mm/phys"
	"retract/rcu"

	"retract/kernel/console"
	"retract/kernel/fs"
	"retract/kernel/oops"
	"retract/kernel/pagecache"
	"retract/kernel/power"
	"retract/kernel/proc"
	"retract/kernel/procfs"
	"retract/kernel/rootfs"
	"retract/kernel/sysfs"
)

var (
	vfs *fs.VFS
	tty *fs.TTY
	// foreground counts the programs that own the console right now (the
	// shell's run, init=): console input goes to the terminal while it is
	// not 0, else to the shell.
	foreground atomic.Int32
	// shellIn is what the shell reads: the console router writes to it.
	shellInR, shellInW = io.Pipe()
)

// setupUserland builds the namespace (package rootfs: the initramfs in
// the page cache, /dev, /tmp, /proc, /sys) with the console terminal, and
// connects the process layer to it. Without an initramfs the namespace
// still exists, but there is nothing to run.
func setupUserland() {
	tty = fs.NewTTY(fs.TTYHooks{
		Output:    console.WriteRaw,
		Interrupt: proc.Interrupt,
		CheckPgrp: proc.CheckPgrp,
	})
	line, err := rootfs.Init(tty)
	if err != nil {
		fmt.Printf("retract: rootfs: %v: no file system, no programs\n", err)
		return
	}
	fmt.Printf("retract: %s\n", line)
	vfs = rootfs.VFS
	proc.Setup(vfs, tty)
	proc.MmFileOf = pagecache.FileOf
	proc.MountSynthetic = func(v *fs.VFS, fstype string) (*fs.FS, bool) {
		switch fstype {
		case "proc":
			return procfs.New(v).FS(), true
		case "sysfs":
			return sysfs.New(v), true
		}
		return nil, false
	}
	proc.InstallProcfs()
	proc.Reboot = func(cmd uint32) { power.Off() }
	go routeConsole()
}

// routeConsole reads the console for ever and hands each piece to the
// foreground program's terminal or to the shell.
func routeConsole() {
	buf := make([]byte, 256)
	for {
		n, err := os.Stdin.Read(buf)
		if n > 0 {
			if foreground.Load() > 0 {
				tty.Input(buf[:n])
			} else {
				shellInW.Write(buf[:n])
			}
		}
		if err != nil {
			return
		}
	}
}

// runForeground starts path as a foreground program and waits for it; it
// returns the wait status.
func runForeground(path string, argv, envp []string) (int, error) {
	foreground.Add(1)
	defer foreground.Add(-1)
	p, err := proc.Spawn(path, argv, envp)
	if err != nil {
		return 0, err
	}
	return proc.Reap(p), nil
}

// defaultEnv is the environment of programs the kernel starts.
var defaultEnv = []string{"HOME=/", "PATH=/bin:/sbin:/usr/bin:/usr/sbin", "TERM=vt100"}

// printUserLeftovers says what is left of user memory once PID 1 is gone:
// address spaces, anonymous pages and user page tables must all be 0 (the
// harness checks the line). Processes that init left behind get a moment
// to finish exiting, and retracted tables their grace period.
func printUserLeftovers() {
	for deadline := time.Now().Add(5 * time.Second); len(mm.All()) > 0 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	rcu.Barrier()
	st := phys.Frames.Stats()
	fmt.Printf("init: user memory left: %d address spaces, %d anonymous pages, %d page tables\n",
		len(mm.All()), st.ByKind[phys.KindAnon], mm.UserTables.Load())
}

// runInit runs path as PID 1 and powers off with its status when it exits
// (power.InitStatus: QEMU's status is code*2+1, and the launcher turns it
// back into the program's).
func runInit(path string, args []string) {
	foreground.Add(1)
	// An oops ends the run with a status of its own (the launcher says
	// "kernel oops"), not the program's.
	oops.Halt = func() { power.DebugExit(power.InitOops) }
	proc.Reboot = func(cmd uint32) { power.Exit(power.InitStatus(0)) }
	proc.InitExited = func(status int) {
		fmt.Printf("init: %s %s\n", path, proc.StatusString(status))
		printUserLeftovers()
		if lockdep.Enabled {
			// What the validator learned (debug=locks), for the harness
			// to check against docs/locking.md, as after a test run.
			for _, e := range lockdep.Edges() {
				fmt.Printf("lockdep: order %s -> %s\n", e[0], e[1])
			}
			u := lockdep.Unexpected()
			fmt.Printf("retract: lockdep: %d unexpected problems (%d provoked on purpose)\n", u, lockdep.Total()-u)
		}
		power.Exit(power.InitStatus(status))
	}
	argv := append([]string{path}, args...)
	if _, err := proc.Spawn(path, argv, defaultEnv); err != nil {
		fmt.Printf("init: cannot run %s: %v\n", path, err)
		power.Exit(power.InitNotRun)
	}
	select {} // init's exit powers the machine off
}
