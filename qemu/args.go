//go:build linux

package qemu

import (
	"fmt"
	"strconv"
	"strings"
)

// Defaults applied to zero fields of a [Config].
const (
	DefaultKernel  = "build/kernel.elf"
	DefaultMachine = "microvm"
	DefaultAccel   = AccelAuto
	DefaultCPUs    = 1
	DefaultMemMB   = 512
	DefaultGDBPort = 1234

	// DefaultLinuxKernel is the bzImage a Linux guest boots by default
	// (what tools/linuxvm fetches).
	DefaultLinuxKernel = "build/linux/vmlinuz"

	// MaxCPUs is the largest CPU count the launcher accepts.
	MaxCPUs = 8
	// MaxMemMB is the largest memory size ParseMemMB accepts (1 TiB).
	MaxMemMB = 1 << 20
)

// Machine types accepted in [Config.Machine].
const (
	MachineMicrovm = "microvm"
	MachineQ35     = "q35"
)

// Guests accepted in [Config.Guest].
const (
	// GuestRetract is retract's own kernel: a PVH ELF.
	GuestRetract = "retract"
	// GuestLinux is a Linux bzImage, e.g. Debian's 6.1 cloud kernel, for
	// side-by-side runs. It needs q35 (Linux 6.1 hangs calibrating the
	// TSC on microvm under TCG); the launcher adds "console=ttyS0" and
	// "panic=-1" to its command line unless they are there already, so
	// its console is the serial port and a panic ends QEMU (-no-reboot)
	// instead of hanging.
	GuestLinux = "linux"
)

// DebugExitPort is the I/O port of the isa-debug-exit device. A guest
// write of v there makes QEMU exit with status (v<<1)|1.
const DebugExitPort = 0xf4

// Config describes one boot.
type Config struct {
	Kernel  string   // path to the ELF, or bzImage (default "build/kernel.elf", "build/linux/vmlinuz" for Linux)
	Initrd  string   // initramfs image for -initrd, may be empty
	Guest   string   // "retract" (default) or "linux"
	Machine string   // "microvm" (default; "q35" for Linux) or "q35"
	Accel   string   // "auto" (default), "kvm" or "tcg"
	CPUs    int      // default 1
	MemMB   int      // default 512
	Append  string   // kernel command line (-append), may be empty
	Debug   bool     // start halted with the gdbstub: -S -gdb tcp::GDBPort
	GDBPort int      // default 1234
	Extra   []string // extra raw QEMU arguments
	// NoDebugExit leaves out the isa-debug-exit device, as on a machine
	// without it: the kernel then powers off through ACPI (QEMU exits 0)
	// and cannot report a test verdict in the exit status.
	NoDebugExit bool
}

// WithDefaults returns c with every zero field replaced by its default.
func (c Config) WithDefaults() Config {
	if c.Guest == "" {
		c.Guest = GuestRetract
	}
	if c.Kernel == "" {
		c.Kernel = DefaultKernel
		if c.Guest == GuestLinux {
			c.Kernel = DefaultLinuxKernel
		}
	}
	if c.Machine == "" {
		c.Machine = DefaultMachine
		if c.Guest == GuestLinux {
			c.Machine = MachineQ35
		}
	}
	if c.Accel == "" {
		c.Accel = DefaultAccel
	}
	if c.CPUs == 0 {
		c.CPUs = DefaultCPUs
	}
	if c.MemMB == 0 {
		c.MemMB = DefaultMemMB
	}
	if c.GDBPort == 0 {
		c.GDBPort = DefaultGDBPort
	}
	return c
}

// Validate reports the first invalid field of c (zero fields are valid:
// they take their defaults).
func (c Config) Validate() error {
	switch c.Guest {
	case "", GuestRetract:
	case GuestLinux:
		if c.Machine == MachineMicrovm {
			return fmt.Errorf("a Linux guest needs machine q35 (Linux 6.1 hangs calibrating the TSC on microvm under TCG)")
		}
	default:
		return fmt.Errorf("unknown guest %q (want retract or linux)", c.Guest)
	}
	switch c.Machine {
	case "", MachineMicrovm, MachineQ35:
	default:
		return fmt.Errorf("unknown machine %q (want microvm or q35)", c.Machine)
	}
	switch c.Accel {
	case "", AccelAuto, AccelKVM, AccelTCG:
	default:
		return fmt.Errorf("unknown accelerator %q (want auto, kvm or tcg)", c.Accel)
	}
	if c.CPUs < 0 || c.CPUs > MaxCPUs {
		return fmt.Errorf("bad CPU count %d (want 1..%d)", c.CPUs, MaxCPUs)
	}
	if c.MemMB < 0 || c.MemMB > MaxMemMB {
		return fmt.Errorf("bad memory size %d MiB (want 1..%d)", c.MemMB, MaxMemMB)
	}
	if c.GDBPort < 0 || c.GDBPort > 65535 {
		return fmt.Errorf("bad gdb port %d", c.GDBPort)
	}
	return nil
}

// Args returns QEMU's argv (without the binary) for cfg and the chosen accelerator.
// The guest's serial port is QEMU's stdin/stdout and there is no monitor
// (-serial stdio -monitor none); this is what [Start] runs.
//
// Zero fields of cfg take their defaults; cfg is not validated (see
// [Config.Validate]) and an unknown Machine is passed to QEMU verbatim.
func Args(cfg Config, d Decision) []string {
	return buildArgs(cfg, d, []string{"-serial", "stdio", "-monitor", "none"})
}

// TerminalArgs is like [Args] but for a human at a terminal: the serial
// port and the QEMU monitor are multiplexed on stdio (-serial mon:stdio),
// so Ctrl-A X quits QEMU and Ctrl-A C switches to the monitor and back.
func TerminalArgs(cfg Config, d Decision) []string {
	return buildArgs(cfg, d, []string{"-serial", "mon:stdio"})
}

func buildArgs(cfg Config, d Decision, serial []string) []string {
	cfg = cfg.WithDefaults()
	var a []string

	switch cfg.Machine {
	case MachineMicrovm:
		// acpi=on gives ACPI poweroff (exit 0); rtc=on the CMOS clock.
		// microvm's default ISA serial port is kept (no -nodefaults).
		a = append(a, "-machine", "microvm,acpi=on,rtc=on")
	default:
		a = append(a, "-machine", cfg.Machine)
	}

	if d.Accel == AccelKVM {
		// arch-capabilities is masked: on some (nested, cloud) hosts KVM
		// reports the IA32_ARCH_CAPABILITIES MSR but then fails to set it.
		a = append(a, "-accel", "kvm", "-cpu", "host,-arch-capabilities")
	} else {
		a = append(a, "-accel", "tcg,thread=multi", "-cpu", "max")
	}

	a = append(a,
		"-smp", strconv.Itoa(cfg.CPUs),
		"-m", strconv.Itoa(cfg.MemMB)+"M",
		"-kernel", cfg.Kernel,
	)
	if cfg.Initrd != "" {
		a = append(a, "-initrd", cfg.Initrd)
	}
	appendLine := cfg.Append
	if cfg.Guest == GuestLinux {
		appendLine = LinuxAppend(cfg.Append)
	}
	if appendLine != "" {
		a = append(a, "-append", appendLine)
	}
	a = append(a, "-no-reboot", "-display", "none")
	if !cfg.NoDebugExit {
		a = append(a, "-device", fmt.Sprintf("isa-debug-exit,iobase=%#x,iosize=0x04", DebugExitPort))
	}
	a = append(a, serial...)
	if cfg.Debug {
		a = append(a, "-S", "-gdb", "tcp::"+strconv.Itoa(cfg.GDBPort))
	}
	a = append(a, cfg.Extra...)
	return a
}

// LinuxAppend returns a Linux guest's kernel command line: s with
// "console=ttyS0" in front unless s names a console, and "panic=-1"
// unless s sets panic= (Linux's "reboot at once on panic", which
// -no-reboot turns into QEMU exiting).
func LinuxAppend(s string) string {
	var pre []string
	words := strings.Fields(s)
	has := func(prefix string) bool {
		for _, w := range words {
			if strings.HasPrefix(w, prefix) {
				return true
			}
		}
		return false
	}
	if !has("console=") {
		pre = append(pre, "console=ttyS0")
	}
	if !has("panic=") {
		pre = append(pre, "panic=-1")
	}
	return strings.TrimSpace(strings.Join(pre, " ") + " " + s)
}

// ParseMemMB parses a memory size as written in the MEM variable: a
// positive whole number of MiB, optionally followed by a unit: M, MB, MiB
// or G, GB, GiB (case-insensitive, G means 1024 MiB). "512", "512M" and
// "1G" are all valid; "0", "-1", "1.5G", "512K" and "" are not.
func ParseMemMB(s string) (int, error) {
	t := strings.TrimSpace(s)
	num := strings.TrimRightFunc(t, func(r rune) bool {
		return (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z')
	})
	unit := strings.ToLower(t[len(num):])
	mult := 0
	switch unit {
	case "", "m", "mb", "mib":
		mult = 1
	case "g", "gb", "gib":
		mult = 1024
	default:
		return 0, fmt.Errorf("bad memory size %q: unit must be M or G", s)
	}
	n, err := strconv.Atoi(num)
	if err != nil || num == "" || num[0] == '+' || num[0] == '-' {
		return 0, fmt.Errorf("bad memory size %q: want a whole number of MiB, like 512, 512M or 1G", s)
	}
	if n < 1 || n > MaxMemMB/mult {
		return 0, fmt.Errorf("bad memory size %q: want 1M..%dG", s, MaxMemMB/1024)
	}
	return n * mult, nil
}

// InitStatus turns QEMU's exit status after an init= run into the
// program's, the way a shell reports it: exit(N) is N, a death by signal K
// is 128+K. The kernel writes code 8+N (N up to 63), 72+K (K up to 53)
// 126 (the program could not be started: 127, as a shell says for a
// command it cannot run) or 127 (a kernel oops) to isa-debug-exit, and
// QEMU exits with code*2+1;
// 0 is an ACPI power-off (reboot(2) from PID 1). Anything else is the
// kernel's own status (a test verdict, the runtime exiting): 255.
func InitStatus(qemuStatus int) (int, string) {
	if qemuStatus == 0 {
		return 0, "init: the machine powered off (status 0)"
	}
	if qemuStatus&1 == 0 {
		return 255, fmt.Sprintf("QEMU exited with status %d (not from the kernel's exit device)", qemuStatus)
	}
	switch code := qemuStatus >> 1; {
	case code >= 8 && code < 72:
		return code - 8, fmt.Sprintf("init: exit status %d", code-8)
	case code >= 72 && code < 126:
		return 128 + code - 72, fmt.Sprintf("init: killed by signal %d (status %d)", code-72, 128+code-72)
	case code == 126:
		return 127, "init: the program could not be started (status 127)"
	case code == 127:
		return 255, "init: the kernel oopsed (status 255)"
	default:
		return 255, fmt.Sprintf("the kernel ended with its own status %d (QEMU %d), not the program's", code, qemuStatus)
	}
}
