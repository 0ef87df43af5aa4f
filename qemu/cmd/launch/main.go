//go:build linux

// Command launch boots the retract kernel under QEMU on this terminal.
//
//	go run ./qemu/cmd/launch [flags] [-- extra QEMU arguments]
//
// Flag defaults come from the environment, so that the Makefile can pass
// make variables through (make run CPUS=2 APPEND="log=debug"):
//
//	-kernel   KERNEL   kernel ELF (build/kernel.elf)
//	-machine  MACHINE  microvm or q35 (microvm)
//	-accel    ACCEL    auto, kvm or tcg (auto)
//	-cpus     CPUS     1..8 (1)
//	-mem      MEM      MiB: 512, 512M or 1G (512)
//	-append   APPEND   kernel command line (empty)
//	-debug             start halted, waiting for gdb
//	-gdbport  GDBPORT  gdbstub TCP port (1234)
//	-no-debug-exit     leave out the isa-debug-exit device
//
// launch prints the accelerator decision on stderr (and, with -debug, the
// gdb command that attaches with symbols and loads the rt-* helpers of
// tools/gdb/retract.py), then execs QEMU with the serial
// console and the QEMU monitor on the terminal: Ctrl-A X quits, Ctrl-A C
// switches between the console and the monitor. Its exit status is QEMU's:
// 0 after an ACPI poweroff, (v<<1)|1 after the kernel writes v to the
// isa-debug-exit port (without that device, -no-debug-exit, always 0).
// Bad flags or variables exit with status 2.
//
// With init=PROGRAM on the kernel command line, launch runs QEMU as a
// child instead of replacing itself, and exits with the program's status
// (exit(N): N; killed by signal K: 128+K; a kernel oops: 255), which the
// kernel passes through isa-debug-exit (see qemu.InitStatus).
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"retract/qemu"
)

func main() {
	l := launcher{
		getenv: os.Getenv,
		stderr: os.Stderr,
		probe:  qemu.DefaultProbe(),
		binary: qemu.Binary,
		stat:   func(p string) error { _, err := os.Stat(p); return err },
		exec: func(bin string, argv []string) error {
			return syscall.Exec(bin, argv, os.Environ())
		},
		runChild: func(bin string, argv []string) (int, error) {
			signal.Ignore(os.Interrupt) // QEMU owns the terminal; ^C is a byte for the guest
			cmd := exec.Command(bin, argv[1:]...)
			cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
			err := cmd.Run()
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				return ee.ExitCode(), nil
			}
			return 0, err
		},
	}
	os.Exit(l.run(os.Args[1:]))
}

// launcher holds everything run touches outside the process, so that
// tests can fake it.
type launcher struct {
	getenv func(string) string
	stderr io.Writer
	probe  qemu.HostProbe
	binary func() (string, error)
	stat   func(path string) error
	// exec replaces the process with argv; it returns only on failure.
	exec func(bin string, argv []string) error
	// runChild runs argv as a child on this terminal and returns its exit
	// status (an init= run, whose status launch translates).
	runChild func(bin string, argv []string) (int, error)
}

const (
	exitFail  = 1
	exitUsage = 2
)

// envDefaults builds the default Config from the environment.
func (l launcher) envDefaults() (qemu.Config, error) {
	cfg := qemu.Config{}.WithDefaults()
	for _, v := range []struct {
		env string
		dst *string
	}{{"KERNEL", &cfg.Kernel}, {"MACHINE", &cfg.Machine}, {"ACCEL", &cfg.Accel}, {"APPEND", &cfg.Append}, {"INITRD", &cfg.Initrd}} {
		if s := l.getenv(v.env); s != "" {
			*v.dst = s
		}
	}
	if v := strings.TrimSpace(l.getenv("CPUS")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return cfg, fmt.Errorf("bad CPUS=%q: want a number 1..%d", v, qemu.MaxCPUs)
		}
		cfg.CPUs = n
	}
	if v := l.getenv("MEM"); v != "" {
		n, err := qemu.ParseMemMB(v)
		if err != nil {
			return cfg, fmt.Errorf("MEM: %v", err)
		}
		cfg.MemMB = n
	}
	if v := strings.TrimSpace(l.getenv("GDBPORT")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return cfg, fmt.Errorf("bad GDBPORT=%q: want a TCP port", v)
		}
		cfg.GDBPort = n
	}
	return cfg, nil
}

func (l launcher) errorf(format string, args ...any) {
	fmt.Fprintf(l.stderr, "qemu: "+format+"\n", args...)
}

func (l launcher) run(args []string) int {
	def, err := l.envDefaults()
	if err != nil {
		l.errorf("%v", err)
		return exitUsage
	}

	fs := flag.NewFlagSet("launch", flag.ContinueOnError)
	fs.SetOutput(l.stderr)
	cfg := def
	fs.StringVar(&cfg.Kernel, "kernel", def.Kernel, "kernel ELF (or Linux bzImage with -linux) to boot (env KERNEL)")
	fs.StringVar(&cfg.Initrd, "initrd", def.Initrd, "initramfs image to load with the kernel (env INITRD)")
	linux := fs.Bool("linux", false, "boot a Linux bzImage (default "+qemu.DefaultLinuxKernel+", machine q35) instead of retract")
	fs.StringVar(&cfg.Machine, "machine", def.Machine, "machine type: microvm or q35 (env MACHINE)")
	fs.StringVar(&cfg.Accel, "accel", def.Accel, "accelerator: auto, kvm or tcg (env ACCEL)")
	fs.IntVar(&cfg.CPUs, "cpus", def.CPUs, fmt.Sprintf("number of CPUs, 1..%d (env CPUS)", qemu.MaxCPUs))
	mem := fs.String("mem", strconv.Itoa(def.MemMB)+"M", "memory: 512, 512M or 1G (env MEM)")
	fs.StringVar(&cfg.Append, "append", def.Append, "kernel command line (env APPEND)")
	fs.BoolVar(&cfg.Debug, "debug", false, "start halted and wait for gdb")
	fs.IntVar(&cfg.GDBPort, "gdbport", def.GDBPort, "gdbstub TCP port (env GDBPORT)")
	fs.BoolVar(&cfg.NoDebugExit, "no-debug-exit", false, "leave out the isa-debug-exit device (the kernel powers off through ACPI; QEMU exits 0)")
	fs.Usage = func() {
		fmt.Fprintf(l.stderr, "usage: launch [flags] [-- extra QEMU arguments]\n\nBoots the kernel under QEMU on this terminal (Ctrl-A X quits, Ctrl-A C toggles the monitor).\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return exitUsage
	}
	cfg.Extra = fs.Args()
	if *linux {
		cfg.Guest = qemu.GuestLinux
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		if !set["kernel"] && l.getenv("KERNEL") == "" {
			cfg.Kernel = qemu.DefaultLinuxKernel
		}
		if !set["machine"] && l.getenv("MACHINE") == "" {
			cfg.Machine = qemu.MachineQ35
		}
	}

	if cfg.CPUs < 1 || cfg.CPUs > qemu.MaxCPUs {
		l.errorf("bad CPU count %d: want 1..%d", cfg.CPUs, qemu.MaxCPUs)
		return exitUsage
	}
	if cfg.MemMB, err = qemu.ParseMemMB(*mem); err != nil {
		l.errorf("%v", err)
		return exitUsage
	}
	if cfg.GDBPort < 1 || cfg.GDBPort > 65535 {
		l.errorf("bad gdb port %d: want 1..65535", cfg.GDBPort)
		return exitUsage
	}
	if cfg.Kernel == "" {
		l.errorf("empty kernel path")
		return exitUsage
	}
	if err := cfg.Validate(); err != nil {
		l.errorf("%v", err)
		return exitUsage
	}

	bin, err := l.binary()
	if err != nil {
		l.errorf("%v", err)
		return exitFail
	}
	if err := l.stat(cfg.Kernel); err != nil {
		l.errorf("cannot boot %s: %v (build the kernel first)", cfg.Kernel, err)
		return exitFail
	}
	d, err := qemu.ChooseAccel(cfg.Accel, l.probe)
	if err != nil {
		l.errorf("%v", err)
		return exitFail
	}
	fmt.Fprintf(l.stderr, "qemu: %s\n", d)

	argv := append([]string{bin}, qemu.TerminalArgs(cfg, d)...)
	fmt.Fprintf(l.stderr, "qemu: %s\n", shellJoin(argv))
	if cfg.Debug {
		helpers := gdbHelpers
		if l.stat(helpers) != nil {
			helpers = "" // not run from the repository root
		}
		fmt.Fprintf(l.stderr, "qemu: halted before the first instruction, gdbstub on tcp::%d; attach with symbols:\n", cfg.GDBPort)
		fmt.Fprintf(l.stderr, "  %s\n", gdbCommand(cfg.Kernel, cfg.GDBPort, helpers))
		if helpers == "" {
			fmt.Fprintf(l.stderr, "qemu: (no %s here: run from the repository root for the rt-* commands)\n", gdbHelpers)
		}
	}
	fmt.Fprintf(l.stderr, "qemu: serial console on this terminal; Ctrl-A X quits, Ctrl-A C toggles the monitor\n")

	if cfg.Guest != qemu.GuestLinux && hasInit(cfg.Append) && !cfg.NoDebugExit {
		// A program runs as PID 1: QEMU's status encodes the program's
		// (kernel/power.InitStatus); give it back as launch's own.
		st, err := l.runChild(bin, argv)
		if err != nil {
			l.errorf("run %s: %v", bin, err)
			return exitFail
		}
		code, msg := qemu.InitStatus(st)
		fmt.Fprintf(l.stderr, "qemu: %s\n", msg)
		return code
	}
	err = l.exec(bin, argv)
	l.errorf("exec %s: %v", bin, err)
	return exitFail
}

// hasInit reports whether the kernel command line runs a program as PID 1.
func hasInit(cmdline string) bool {
	for _, w := range strings.Fields(cmdline) {
		if w == "--" {
			return false
		}
		if strings.HasPrefix(w, "init=") {
			return true
		}
	}
	return false
}

// gdbHelpers is the gdb script with retract's rt-* commands
// (docs/debugging.md), relative to the repository root, where make runs
// the launcher.
const gdbHelpers = "tools/gdb/retract.py"

// gdbCommand is the shell command that attaches gdb, with the kernel's
// symbols and the helper script (if helpers is not empty), to the gdbstub
// on port.
func gdbCommand(kernel string, port int, helpers string) string {
	x := ""
	if helpers != "" {
		x = " -x " + shellQuote(helpers)
	}
	return fmt.Sprintf("gdb -q %s%s -ex 'target remote localhost:%d'", shellQuote(kernel), x, port)
}

// shellQuote quotes s for a POSIX shell when it needs quoting.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:,=+@%", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func shellJoin(argv []string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		q[i] = shellQuote(a)
	}
	return strings.Join(q, " ")
}
