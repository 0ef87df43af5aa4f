//go:build linux

package qemu

import (
	"slices"
	"strings"
	"testing"
)

var (
	tcg = Decision{Accel: "tcg", Reason: "requested"}
	kvm = Decision{Accel: "kvm", Reason: "auto: /dev/kvm backed by kvm_intel"}
)

func TestArgsDefaults(t *testing.T) {
	got := Args(Config{}, tcg)
	want := []string{
		"-machine", "microvm,acpi=on,rtc=on",
		"-accel", "tcg,thread=multi", "-cpu", "max",
		"-smp", "1",
		"-m", "512M",
		"-kernel", "build/kernel.elf",
		"-no-reboot",
		"-display", "none",
		"-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
		"-serial", "stdio", "-monitor", "none",
	}
	if !slices.Equal(got, want) {
		t.Errorf("Args(Config{}, tcg) =\n  %q\nwant\n  %q", got, want)
	}
}

func TestArgsEverything(t *testing.T) {
	cfg := Config{
		Kernel:  "/tmp/k.elf",
		Machine: "q35",
		Accel:   "kvm",
		CPUs:    4,
		MemMB:   2048,
		Append:  "log=debug test=all",
		Debug:   true,
		GDBPort: 4321,
		Extra:   []string{"-d", "int,cpu_reset"},
	}
	got := Args(cfg, kvm)
	want := []string{
		"-machine", "q35",
		"-accel", "kvm", "-cpu", "host,-arch-capabilities",
		"-smp", "4",
		"-m", "2048M",
		"-kernel", "/tmp/k.elf",
		"-append", "log=debug test=all",
		"-no-reboot",
		"-display", "none",
		"-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
		"-serial", "stdio", "-monitor", "none",
		"-S", "-gdb", "tcp::4321",
		"-d", "int,cpu_reset",
	}
	if !slices.Equal(got, want) {
		t.Errorf("Args =\n  %q\nwant\n  %q", got, want)
	}
}

// The accelerator flags follow the Decision, not Config.Accel (which is
// only the request).
func TestArgsFollowDecision(t *testing.T) {
	a := strings.Join(Args(Config{Accel: "auto"}, kvm), " ")
	if !strings.Contains(a, "-accel kvm -cpu host,-arch-capabilities") || strings.Contains(a, "tcg") {
		t.Errorf("KVM decision: %s", a)
	}
	a = strings.Join(Args(Config{Accel: "auto"}, tcg), " ")
	if !strings.Contains(a, "-accel tcg,thread=multi -cpu max") || strings.Contains(a, "kvm") {
		t.Errorf("TCG decision: %s", a)
	}
}

func TestArgsDebugDefaultPort(t *testing.T) {
	a := strings.Join(Args(Config{Debug: true}, tcg), " ")
	if !strings.Contains(a, "-S -gdb tcp::1234") {
		t.Errorf("debug args: %s", a)
	}
	a = strings.Join(Args(Config{}, tcg), " ")
	if strings.Contains(a, "-S") || strings.Contains(a, "-gdb") {
		t.Errorf("gdbstub without Debug: %s", a)
	}
}

func TestArgsNoDebugExit(t *testing.T) {
	a := strings.Join(Args(Config{NoDebugExit: true}, tcg), " ")
	if strings.Contains(a, "isa-debug-exit") {
		t.Errorf("NoDebugExit: the device is still there: %s", a)
	}
	if !strings.Contains(a, "-no-reboot -display none -serial stdio") {
		t.Errorf("NoDebugExit dropped more than the device: %s", a)
	}
}

func TestArgsNoEmptyAppend(t *testing.T) {
	if slices.Contains(Args(Config{}, tcg), "-append") {
		t.Error("-append with an empty command line")
	}
}

func TestArgsNeverNodefaults(t *testing.T) {
	for _, a := range [][]string{Args(Config{}, tcg), TerminalArgs(Config{}, tcg), Args(Config{Machine: "q35"}, kvm)} {
		if slices.Contains(a, "-nodefaults") {
			t.Errorf("-nodefaults would drop microvm's ISA serial port: %q", a)
		}
	}
}

func TestTerminalArgs(t *testing.T) {
	cfg := Config{CPUs: 2, Append: "log=debug", Debug: true}
	a, ta := Args(cfg, tcg), TerminalArgs(cfg, tcg)
	if s := strings.Join(ta, " "); !strings.Contains(s, "-serial mon:stdio") || strings.Contains(s, "-monitor") || strings.Contains(s, "-serial stdio") {
		t.Errorf("TerminalArgs serial: %s", s)
	}
	if !slices.Contains(ta, "none") || !strings.Contains(strings.Join(ta, " "), "-display none") {
		t.Errorf("TerminalArgs without -display none: %q", ta)
	}
	// Apart from the serial/monitor flags the two are identical.
	strip := func(a []string, drop ...string) []string {
		var out []string
		for i := 0; i < len(a); i++ {
			if slices.Contains(drop, a[i]) {
				i++ // and its value
				continue
			}
			out = append(out, a[i])
		}
		return out
	}
	if x, y := strip(a, "-serial", "-monitor"), strip(ta, "-serial"); !slices.Equal(x, y) {
		t.Errorf("Args and TerminalArgs differ beyond serial:\n  %q\n  %q", x, y)
	}
}

func TestArgsDoesNotAliasExtra(t *testing.T) {
	extra := make([]string, 1, 10)
	extra[0] = "-s"
	cfg := Config{Extra: extra}
	a := Args(cfg, tcg)
	a[len(a)-1] = "changed"
	if extra[0] != "-s" {
		t.Error("Args result aliases cfg.Extra")
	}
}

func TestValidate(t *testing.T) {
	good := []Config{
		{},
		{Machine: "microvm", Accel: "tcg", CPUs: 1, MemMB: 64},
		{Machine: "q35", Accel: "kvm", CPUs: 8, MemMB: 4096, GDBPort: 9000},
	}
	for _, c := range good {
		if err := c.Validate(); err != nil {
			t.Errorf("%+v: %v", c, err)
		}
	}
	bad := map[string]Config{
		"machine": {Machine: "pc-i440fx"},
		"accel":   {Accel: "hax"},
		"cpus":    {CPUs: 9},
		"cpus<0":  {CPUs: -1},
		"mem":     {MemMB: -5},
		"port":    {GDBPort: 70000},
	}
	for name, c := range bad {
		if err := c.Validate(); err == nil {
			t.Errorf("%s: %+v validated", name, c)
		}
	}
}

func TestParseMemMB(t *testing.T) {
	good := map[string]int{
		"512": 512, "512M": 512, "512m": 512, "512MB": 512, "512MiB": 512,
		"1G": 1024, "1g": 1024, "2GiB": 2048, "4GB": 4096, " 64M ": 64, "1": 1,
		"1024G": 1 << 20,
	}
	for in, want := range good {
		got, err := ParseMemMB(in)
		if err != nil || got != want {
			t.Errorf("ParseMemMB(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "0", "0G", "-1", "+512", "-1G", "1.5G", "512K", "512T", "M", "G", "lots", "512 M", "0x200", "1025G", "99999999999999999999"} {
		if got, err := ParseMemMB(in); err == nil {
			t.Errorf("ParseMemMB(%q) = %d, want an error", in, got)
		} else if !strings.Contains(err.Error(), "memory size") {
			t.Errorf("ParseMemMB(%q): unclear error %q", in, err)
		}
	}
}

func TestArgsLinuxGuest(t *testing.T) {
	got := Args(Config{Guest: GuestLinux, Initrd: "build/x.cpio.gz", CPUs: 2, Append: "transparent_hugepage=madvise"}, tcg)
	want := []string{
		"-machine", "q35",
		"-accel", "tcg,thread=multi", "-cpu", "max",
		"-smp", "2",
		"-m", "512M",
		"-kernel", "build/linux/vmlinuz",
		"-initrd", "build/x.cpio.gz",
		"-append", "console=ttyS0 panic=-1 transparent_hugepage=madvise",
		"-no-reboot",
		"-display", "none",
		"-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
		"-serial", "stdio", "-monitor", "none",
	}
	if !slices.Equal(got, want) {
		t.Errorf("Args =\n  %q\nwant\n  %q", got, want)
	}
	// A retract guest gets -initrd too, and its command line untouched.
	a := strings.Join(Args(Config{Initrd: "i.gz", Append: "log=debug"}, tcg), " ")
	if !strings.Contains(a, "-initrd i.gz") || !strings.Contains(a, "-append log=debug -no-reboot") || !strings.Contains(a, "microvm") {
		t.Errorf("retract with initrd: %s", a)
	}
}

func TestLinuxAppend(t *testing.T) {
	cases := map[string]string{
		"":                            "console=ttyS0 panic=-1",
		"quiet":                       "console=ttyS0 panic=-1 quiet",
		"console=tty0 quiet":          "panic=-1 console=tty0 quiet",
		"panic=5":                     "console=ttyS0 panic=5",
		"console=ttyS1 panic=0 -- -x": "console=ttyS1 panic=0 -- -x",
	}
	for in, want := range cases {
		if got := LinuxAppend(in); got != want {
			t.Errorf("LinuxAppend(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestValidateGuest(t *testing.T) {
	if err := (Config{Guest: GuestLinux, Machine: MachineMicrovm}).Validate(); err == nil || !strings.Contains(err.Error(), "q35") {
		t.Errorf("Linux on microvm: %v", err)
	}
	if err := (Config{Guest: GuestLinux}).Validate(); err != nil {
		t.Errorf("Linux with the default machine: %v", err)
	}
	if err := (Config{Guest: "bsd"}).Validate(); err == nil {
		t.Error("unknown guest validated")
	}
	if c := (Config{Guest: GuestLinux}).WithDefaults(); c.Machine != MachineQ35 || c.Kernel != DefaultLinuxKernel {
		t.Errorf("Linux defaults: %+v", c)
	}
	if c := (Config{}).WithDefaults(); c.Machine != MachineMicrovm || c.Kernel != DefaultKernel || c.Guest != GuestRetract {
		t.Errorf("retract defaults: %+v", c)
	}
}

func TestInitStatus(t *testing.T) {
	for _, c := range []struct{ qemu, want int }{
		{0, 0},               // ACPI power-off
		{(8+0)*2 + 1, 0},     // exit(0)
		{(8+42)*2 + 1, 42},   // exit(42)
		{(8+63)*2 + 1, 63},   // exit(63) (and above: saturated)
		{(72+11)*2 + 1, 139}, // SIGSEGV
		{(72+9)*2 + 1, 137},  // SIGKILL
		{126*2 + 1, 127},     // the program could not be started
		{127*2 + 1, 255},     // oops
		{1, 255},             // a test verdict, not a program's
		{2, 255},             // not from the exit device
	} {
		if got, msg := InitStatus(c.qemu); got != c.want {
			t.Errorf("InitStatus(%d) = %d (%s), want %d", c.qemu, got, msg, c.want)
		}
	}
}
