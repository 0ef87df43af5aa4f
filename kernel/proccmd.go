// proccmd.go: the shell's commands for user programs: run, ps, kill.

package main

import (
	"fmt"
	"strconv"
	"strings"

	"retract/kernel/proc"
	"retract/kernel/shell"
	"retract/mm"
	"retract/mm/phys"
)

func procCommands() []shell.Command {
	return []shell.Command{
		{Name: "run", Usage: "run PROGRAM [ARGS...]", Help: "run a program of the initramfs in the foreground (Ctrl-C sends SIGINT) and print how it ended", Run: cmdRun},
		{Name: "ps", Usage: "ps", Help: "user processes and their threads: pid, state, CPU, command", Run: cmdPs},
		{Name: "kill", Usage: "kill PID [SIGNAL]", Help: "send a signal (default SIGTERM; a number or a name such as KILL or SIGINT)", Run: cmdKill},
	}
}

func cmdRun(sh *shell.Shell, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: run PROGRAM [ARGS...]")
	}
	path := args[0]
	if !strings.HasPrefix(path, "/") {
		path = "/bin/" + path
	}
	st, err := runForeground(path, append([]string{args[0]}, args[1:]...), defaultEnv)
	sh.InterruptsUsed() // Ctrl-C went to the program as SIGINT
	if err != nil {
		return fmt.Errorf("%s: %v", path, err)
	}
	sh.Printf("%s: %s\n", args[0], proc.StatusString(st))
	return nil
}

func cmdPs(sh *shell.Shell, args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	sh.Printf("%6s %6s %6s %-2s %4s %-16s %s\n", "PID", "TID", "PPID", "S", "CPU", "COMMAND", "EXE")
	for _, pid := range proc.PIDs() {
		p, ok := proc.Lookup(pid)
		if !ok {
			continue
		}
		if p.State() == "Z" {
			sh.Printf("%6d %6s %6d %-2s %4s %-16s %s\n", pid, "-", p.PPID(), "Z", "-", p.Comm(), "<defunct>")
			continue
		}
		for _, t := range p.Threads() {
			cpu := "-"
			if c := t.CPU(); c >= 0 {
				cpu = strconv.Itoa(c)
			}
			sh.Printf("%6d %6d %6d %-2c %4s %-16s %s\n", pid, t.TID, p.PPID(), t.TaskState(), cpu, p.Comm(), p.Exe())
		}
	}
	n, th := proc.Count()
	sh.Printf("%d processes, %d threads\n", n, th)
	st := phys.Frames.Stats()
	sh.Printf("user memory: %d anonymous pages, %d page tables\n", st.ByKind[phys.KindAnon], mm.UserTables.Load())
	return nil
}

func cmdKill(sh *shell.Shell, args []string) error {
	if len(args) < 1 || len(args) > 2 {
		return fmt.Errorf("usage: kill PID [SIGNAL]")
	}
	pid, err := strconv.Atoi(args[0])
	if err != nil || pid <= 0 {
		return fmt.Errorf("%q is not a process id", args[0])
	}
	sig := proc.SIGTERM
	if len(args) == 2 {
		if sig, err = proc.ParseSignal(args[1]); err != nil {
			return err
		}
	}
	return proc.Kill(pid, sig)
}
