// commands.go: the shell's commands for this issue (the table and the
// small ones; dis and crash have their own files).

package main

import (
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"time"

	"retract/arch/amd64"
	"retract/boot"
	"retract/kernel/abi"
	"retract/kernel/bench"
	"retract/kernel/clock"
	"retract/kernel/console"
	"retract/kernel/fs"
	"retract/kernel/ktest"
	"retract/kernel/power"
	"retract/kernel/rootfs"
	"retract/kernel/sched"
	"retract/kernel/shell"
	"retract/kernel/smp"
	"retract/kernel/sys"
	"retract/kernel/trap"
	"retract/mm"
	"retract/mm/phys"
)

func commands() []shell.Command {
	return append(append(append(append(mmCommands(), thpCommands()...), traceCommands()...), procCommands()...), []shell.Command{
		{Name: "mem", Usage: "mem", Help: "frames by kind, the Go heap, the firmware's memory map", Run: cmdMem},
		{Name: "cpus", Usage: "cpus", Help: "per CPU: APIC ID, current thread, ticks, switches, idle time", Run: cmdCPUs},
		{Name: "threads", Usage: "threads", Help: "kernel threads (the Go runtime's Ms, task_struct), their states and the user thread each runs", Run: cmdThreads},
		{Name: "uptime", Usage: "uptime", Help: "time since boot and the wall clock", Run: cmdUptime},
		{Name: "echo", Usage: "echo WORDS...", Help: "print the words", Run: cmdEcho},
		{Name: "cat", Usage: "cat PATH", Help: "print a file of the VFS: /proc/vmstat, /proc/meminfo, /sys/kernel/mm/...", Run: cmdCat},
		{Name: "syscalls", Usage: "syscalls", Help: "how often the Go runtime made each Linux system call", Run: cmdSyscalls},
		{Name: "crash", Usage: "crash [pf|ud|stack|nil|hardlockup [SECONDS]]", Help: "fault on purpose in kernel code, to see an oops (like LKDTM); hardlockup spins with interrupts off", Run: cmdCrash},
		{Name: "dis", Usage: "dis ADDR|SYMBOL [N]", Help: "disassemble N (16) instructions of kernel code", Run: cmdDis},
		{Name: "rcu", Usage: "rcu stats|sync|expedited|mode rcu|unsafe", Help: "RCU grace periods, callbacks and readers; run a grace period (synchronize_rcu, synchronize_rcu_expedited); switch grace periods off (the bug)", Run: cmdRCU},
		{Name: "test", Usage: "test SUITE...|list", Help: "run in-kernel test suites (KTAP output, like KUnit); Ctrl-C skips the cases left", Run: cmdTest},
		{Name: "bench", Usage: "bench NAME...|all|list", Help: "run benchmarks (\"name value unit\" lines); Ctrl-C skips the ones left", Run: cmdBench},
		{Name: "bt", Usage: "bt [all]", Help: "every CPU's backtrace through an NMI, even one spinning with interrupts off (Linux's sysrq l: trigger_all_cpu_backtrace); Ctrl-\\ on the console does the same", Run: cmdBt},
		{Name: "poweroff", Usage: "poweroff", Help: "turn the machine off (QEMU exits)", Run: cmdPoweroff},
	}...)
}

func noArgs(args []string) error {
	if len(args) != 0 {
		return fmt.Errorf("takes no arguments (got %q)", strings.Join(args, " "))
	}
	return nil
}

func mib(frames uint64) string { return fmt.Sprintf("%d MiB", frames*phys.PageSize>>20) }

func cmdMem(sh *shell.Shell, args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	st := phys.Frames.Stats()
	sh.Printf("frames: %d total (%s), %d free (%s), %d used\n", st.Total, mib(st.Total), st.Free, mib(st.Free), st.Total-st.Free)
	for k := phys.KindKernel; k <= phys.KindPageCache; k++ {
		sh.Printf("  %-10s %8d frames %10s\n", k, st.ByKind[k], mib(st.ByKind[k]))
	}
	user := uint64(mm.UserTables.Load())
	sh.Printf("page tables: %d of user address spaces, %d of the kernel (the heap window's grow with the Go heap)\n",
		user, st.ByKind[phys.KindPageTable]-user)
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	sh.Printf("Go heap: %s in use, %s obtained from the kernel, %s returned (MADV_DONTNEED), %d GCs\n",
		mb(ms.HeapInuse), mb(ms.HeapSys), mb(ms.HeapReleased), ms.NumGC)
	sh.Printf("heap window: %s of address space handed out at %#x\n", mb(sys.HeapReserved), phys.HeapBase)
	sh.Printf("page faults: %d (%d backed a Go heap page)\n", trap.PageFaults, trap.HeapFaults)
	ram, top := boot.Boot.RAM()
	sh.Printf("memory map (from the firmware): %d ranges, %d KiB of RAM up to %#x\n", boot.Boot.NMem, ram>>10, top)
	for _, r := range boot.Boot.Mem[:boot.Boot.NMem] {
		sh.Printf("  %#012x-%#012x %10d KiB  %s\n", r.Addr, r.Addr+r.Size, r.Size>>10, boot.MemTypeName(r.Type))
	}
	return nil
}

// cmdCat prints a file read through the VFS (at most 1 MiB of it).
func cmdCat(sh *shell.Shell, args []string) error {
	if len(args) != 1 {
		return errors.New("usage: cat PATH")
	}
	if rootfs.VFS == nil {
		return errors.New("no file system (rootfs.Init failed at boot)")
	}
	tk := rootfs.VFS.NewTask()
	fd, err := fs.Openat(tk, abi.AT_FDCWD, args[0], abi.O_RDONLY, 0)
	if err != nil {
		return fmt.Errorf("%s: %v", args[0], err)
	}
	defer fs.Close(tk, fd)
	buf := make([]byte, 4096)
	for total := 0; total < 1<<20; {
		n, err := fs.Read(tk, fd, buf)
		if err != nil {
			return fmt.Errorf("%s: %v", args[0], err)
		}
		if n == 0 {
			break
		}
		sh.Printf("%s", buf[:n])
		total += n
	}
	return nil
}

func mb(b uint64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

func cmdCPUs(sh *shell.Shell, args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	sh.Printf("CPU  APIC  online  thread  ticks     switches  idle        IPIs     calls\n")
	for id := 0; id < smp.Count(); id++ {
		c := amd64.CPUByID(id)
		s := sched.CPUStats(id)
		i := smp.CPUStats(id)
		sh.Printf("%-4d %-5d %-7s %-7d %-9d %-9d %-11v %-8d %d\n", id, c.APICID, yesNo(c.Online == 1), s.Current, s.Ticks, s.Switches,
			time.Duration(s.IdleNS).Round(time.Millisecond), i.IPIs, i.Calls)
	}
	return nil
}

func cmdThreads(sh *shell.Shell, args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	type row struct {
		tid      int32
		state    sched.State
		cpu      int32
		switches uint64
		idle     bool
		user     int32
	}
	var rows []row
	var buf [sched.MaxThreads]row
	n := 0
	sched.ForEach(func(t *sched.Thread) {
		buf[n] = row{t.TID(), t.State(), t.CPU(), t.Switches, t.Idle(), t.User.Load()}
		n++
	})
	rows = buf[:n]
	sh.Printf("TID   STATE     CPU  SWITCHES\n")
	for _, r := range rows {
		name := "  (Go runtime)"
		switch {
		case r.idle:
			name = "  (idle)"
		case r.user != 0:
			name = fmt.Sprintf("  (user thread %d)", r.user)
		}
		sh.Printf("%-5d %-9s %-4d %d%s\n", r.tid, r.state, r.cpu, r.switches, name)
	}
	return nil
}

func cmdUptime(sh *shell.Shell, args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	up := time.Duration(clock.Nanotime())
	sh.Printf("up %v; wall clock %s\n", up.Round(time.Millisecond), time.Unix(0, clock.Walltime()).UTC().Format(time.RFC3339))
	return nil
}

func cmdEcho(sh *shell.Shell, args []string) error {
	sh.Printf("%s\n", strings.Join(args, " "))
	return nil
}

func cmdSyscalls(sh *shell.Shell, args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	for nr, n := range sys.Counts {
		if n > 0 {
			sh.Printf("%4d %-20s %d\n", nr, sys.Name(uint64(nr)), n)
		}
	}
	return nil
}

func cmdTest(sh *shell.Shell, args []string) error {
	if len(args) == 0 {
		return errors.New("which suites? (test list shows them)")
	}
	if len(args) == 1 && args[0] == "list" {
		ktest.List(sh.Out())
		return nil
	}
	var unknown []string
	for _, name := range args {
		if len(ktest.Check([]string{name})) > 0 {
			unknown = append(unknown, strconv.Quote(name))
		}
	}
	if len(unknown) > 0 {
		var known []string
		for _, s := range ktest.Suites() {
			known = append(known, s.Name)
		}
		return fmt.Errorf("unknown suite %s (known: %s); nothing ran", strings.Join(unknown, ", "), strings.Join(known, ", "))
	}
	passed, failed, skipped, errs := ktest.Run(testConfig(sh.Out(), sh.Interrupted), args)
	sh.Printf("%d passed, %d failed, %d skipped", passed, failed, skipped)
	if sh.Interrupted() {
		sh.Printf(" (interrupted: the cases after Ctrl-C were skipped)")
	}
	sh.Printf("\n")
	return errors.Join(errs...)
}

func cmdBench(sh *shell.Shell, args []string) error {
	switch {
	case len(args) == 0:
		return errors.New("which benchmarks? (bench list shows them; bench all runs every one)")
	case len(args) == 1 && args[0] == "list":
		for _, b := range bench.All() {
			sh.Printf("%-34s %s\n", b.Name, b.Doc)
		}
		return nil
	}
	if errs := bench.Check(args); len(errs) > 0 {
		return errors.Join(errs...)
	}
	errs := bench.Run(sh.Out(), args, sh.Interrupted)
	if len(errs) > 0 && errors.Is(errs[len(errs)-1], bench.ErrInterrupted) {
		sh.Printf("bench: interrupted (Ctrl-C): the benchmarks after it did not run\n")
		errs = errs[:len(errs)-1]
	}
	return errors.Join(errs...)
}

func cmdBt(sh *shell.Shell, args []string) error {
	if len(args) > 1 || len(args) == 1 && args[0] != "all" {
		return errors.New("usage: bt [all]")
	}
	if !smp.BacktraceAll() {
		return errors.New("another backtrace is under way")
	}
	return nil
}

func cmdPoweroff(sh *shell.Shell, args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	console.WriteString("retract: powering off\n")
	power.Off()
	return nil
}
