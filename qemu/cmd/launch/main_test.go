//go:build linux

package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"retract/qemu"
	"retract/qemu/internal/pvhtest"
)

// With launchAsMainEnv set, the test binary is the launcher itself (used
// by the tests that check the real exec and exit status).
const launchAsMainEnv = "RETRACT_LAUNCH_TEST_AS_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(launchAsMainEnv) != "" {
		main()
		return
	}
	os.Exit(m.Run())
}

type fakeHost struct {
	env      map[string]string
	stderr   bytes.Buffer
	probe    qemu.HostProbe
	noQEMU   bool
	noKernel bool
	noGDBPy  bool // tools/gdb/retract.py is not there
	execBin  string
	execArgv []string
}

var errExecFake = errors.New("fake exec")

func (h *fakeHost) launcher() launcher {
	if h.probe.DevKVMUsable == nil {
		h.probe = qemu.HostProbe{
			DevKVMUsable: func() bool { return true },
			Modules:      func() (string, error) { return "kvm_pvm 1 0 - Live 0x0\nkvm 2 1 kvm_pvm, Live 0x0\n", nil },
		}
	}
	return launcher{
		getenv: func(k string) string { return h.env[k] },
		stderr: &h.stderr,
		probe:  h.probe,
		binary: func() (string, error) {
			if h.noQEMU {
				return "", errors.New("qemu-system-x86_64 not found on PATH; install it with:  sudo apt-get install -y qemu-system-x86")
			}
			return "/usr/bin/qemu-system-x86_64", nil
		},
		stat: func(p string) error {
			if h.noKernel || (h.noGDBPy && p == gdbHelpers) {
				return os.ErrNotExist
			}
			return nil
		},
		exec: func(bin string, argv []string) error {
			h.execBin, h.execArgv = bin, argv
			return errExecFake
		},
	}
}

// launch runs the launcher with env and args; it returns the exit status,
// stderr, and QEMU's argv joined with spaces ("" if it was not exec'd).
func launch(t *testing.T, h *fakeHost, args ...string) (int, string, string) {
	t.Helper()
	code := h.launcher().run(args)
	return code, h.stderr.String(), strings.Join(h.execArgv, " ")
}

func TestLaunchDefaults(t *testing.T) {
	h := &fakeHost{}
	code, stderr, argv := launch(t, h)
	if code != exitFail || !strings.Contains(stderr, "fake exec") {
		t.Errorf("status %d after a failed exec; stderr:\n%s", code, stderr)
	}
	want := "/usr/bin/qemu-system-x86_64 " + strings.Join(qemu.TerminalArgs(qemu.Config{}, qemu.Decision{Accel: "tcg"}), " ")
	if argv != want {
		t.Errorf("argv\n  %s\nwant\n  %s", argv, want)
	}
	if h.execBin != "/usr/bin/qemu-system-x86_64" || h.execArgv[0] != h.execBin {
		t.Errorf("exec(%q, %q)", h.execBin, h.execArgv)
	}
	if !strings.Contains(stderr, "qemu: accel tcg (auto: /dev/kvm is kvm_pvm, which cannot run this guest)\n") {
		t.Errorf("no decision line on stderr:\n%s", stderr)
	}
	if strings.Contains(stderr, "gdb") {
		t.Errorf("gdb hint without -debug:\n%s", stderr)
	}
	for _, f := range []string{"-serial mon:stdio", "-display none", "-kernel build/kernel.elf", "-smp 1", "-m 512M", "-machine microvm,acpi=on,rtc=on"} {
		if !strings.Contains(argv, f) {
			t.Errorf("argv lacks %q: %s", f, argv)
		}
	}
}

func TestLaunchEnv(t *testing.T) {
	h := &fakeHost{env: map[string]string{
		"KERNEL": "out/k.elf", "MACHINE": "q35", "ACCEL": "tcg", "CPUS": "2", "MEM": "1G", "APPEND": "log=debug", "GDBPORT": "4000",
	}}
	_, stderr, argv := launch(t, h, "-debug")
	for _, f := range []string{"-machine q35", "-accel tcg,thread=multi", "-smp 2", "-m 1024M", "-kernel out/k.elf", "-append log=debug", "-S -gdb tcp::4000"} {
		if !strings.Contains(argv, f) {
			t.Errorf("argv lacks %q: %s", f, argv)
		}
	}
	if !strings.Contains(stderr, "qemu: accel tcg (requested)\n") {
		t.Errorf("stderr:\n%s", stderr)
	}
	if !strings.Contains(stderr, "\n  gdb -q out/k.elf -x tools/gdb/retract.py -ex 'target remote localhost:4000'\n") {
		t.Errorf("no gdb command line:\n%s", stderr)
	}
}

func TestLaunchFlagsOverrideEnv(t *testing.T) {
	h := &fakeHost{env: map[string]string{"CPUS": "2", "MEM": "1G", "APPEND": "from=env", "MACHINE": "q35"}}
	_, _, argv := launch(t, h, "-cpus", "4", "-mem", "256", "-append", "from=flag", "-machine", "microvm", "--", "-d", "int")
	for _, f := range []string{"-smp 4", "-m 256M", "-append from=flag", "-machine microvm", " -d int"} {
		if !strings.Contains(argv, f) {
			t.Errorf("argv lacks %q: %s", f, argv)
		}
	}
	if !strings.HasSuffix(argv, "-d int") {
		t.Errorf("extra arguments not last: %s", argv)
	}
}

func TestLaunchDebugDefault(t *testing.T) {
	h := &fakeHost{}
	_, stderr, argv := launch(t, h, "-debug")
	if !strings.Contains(argv, "-S -gdb tcp::1234") {
		t.Errorf("argv: %s", argv)
	}
	if !strings.Contains(stderr, "gdb -q build/kernel.elf -x tools/gdb/retract.py -ex 'target remote localhost:1234'") {
		t.Errorf("stderr:\n%s", stderr)
	}
}

// Run from elsewhere than the repository root, the gdb command leaves the
// helpers out and says so.
func TestLaunchDebugNoHelpers(t *testing.T) {
	h := &fakeHost{noGDBPy: true}
	_, stderr, _ := launch(t, h, "-debug")
	if !strings.Contains(stderr, "\n  gdb -q build/kernel.elf -ex 'target remote localhost:1234'\n") || !strings.Contains(stderr, "no tools/gdb/retract.py here") {
		t.Errorf("stderr:\n%s", stderr)
	}
}

func TestGDBCommandQuotes(t *testing.T) {
	if got, want := gdbCommand("my build/kernel.elf", 1234, ""), `gdb -q 'my build/kernel.elf' -ex 'target remote localhost:1234'`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	if got, want := gdbCommand("k.elf", 1234, "my tools/r.py"), `gdb -q k.elf -x 'my tools/r.py' -ex 'target remote localhost:1234'`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	if got, want := gdbCommand("it's.elf", 9, ""), `gdb -q 'it'\''s.elf' -ex 'target remote localhost:9'`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestLaunchUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		args []string
		says string
	}{
		{"cpus 0", nil, []string{"-cpus", "0"}, "CPU count 0"},
		{"cpus 9", nil, []string{"-cpus", "9"}, "CPU count 9"},
		{"env CPUS 0", map[string]string{"CPUS": "0"}, nil, "CPU count 0"},
		{"env CPUS junk", map[string]string{"CPUS": "two"}, nil, `CPUS="two"`},
		{"mem junk", nil, []string{"-mem", "lots"}, "memory size"},
		{"mem 0", nil, []string{"-mem", "0"}, "memory size"},
		{"env MEM junk", map[string]string{"MEM": "512K"}, nil, "MEM"},
		{"machine", nil, []string{"-machine", "pc"}, `unknown machine "pc"`},
		{"env machine", map[string]string{"MACHINE": "virt"}, nil, `unknown machine "virt"`},
		{"accel", nil, []string{"-accel", "hvf"}, `unknown accelerator "hvf"`},
		{"gdbport", nil, []string{"-gdbport", "0"}, "gdb port"},
		{"env GDBPORT", map[string]string{"GDBPORT": "x"}, nil, "GDBPORT"},
		{"no such flag", nil, []string{"-frobnicate"}, "frobnicate"},
		{"cpus not a number", nil, []string{"-cpus", "many"}, "many"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &fakeHost{env: tt.env}
			code, stderr, argv := launch(t, h, tt.args...)
			if code != exitUsage {
				t.Errorf("status %d, want %d", code, exitUsage)
			}
			if !strings.Contains(stderr, tt.says) {
				t.Errorf("stderr does not say %q:\n%s", tt.says, stderr)
			}
			if argv != "" {
				t.Errorf("exec'd QEMU anyway: %s", argv)
			}
		})
	}
}

func TestLaunchFailures(t *testing.T) {
	h := &fakeHost{noQEMU: true}
	code, stderr, argv := launch(t, h)
	if code != exitFail || !strings.Contains(stderr, "apt-get install -y qemu-system-x86") || argv != "" {
		t.Errorf("missing QEMU: status %d, stderr:\n%s", code, stderr)
	}

	h = &fakeHost{noKernel: true}
	code, stderr, argv = launch(t, h, "-kernel", "nope.elf")
	if code != exitFail || !strings.Contains(stderr, "nope.elf") || argv != "" {
		t.Errorf("missing kernel: status %d, stderr:\n%s", code, stderr)
	}

	h = &fakeHost{} // a kvm_pvm host
	code, stderr, argv = launch(t, h, "-accel", "kvm")
	if code != exitFail || !strings.Contains(stderr, "kvm_pvm") || argv != "" {
		t.Errorf("kvm on kvm_pvm: status %d, stderr:\n%s", code, stderr)
	}
}

func TestLaunchHelp(t *testing.T) {
	h := &fakeHost{}
	if code, stderr, _ := launch(t, h, "-h"); code != 0 || !strings.Contains(stderr, "CPUS") {
		t.Errorf("-h: status %d, stderr:\n%s", code, stderr)
	}
}

// launchProcess runs this test binary as the launcher with the given PATH
// and environment.
func launchProcess(t *testing.T, path string, env []string, args ...string) (int, string, string) {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(self, args...)
	cmd.Env = append(os.Environ(), launchAsMainEnv+"=1", "PATH="+path)
	cmd.Env = append(cmd.Env, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	return cmd.ProcessState.ExitCode(), stdout.String(), stderr.String()
}

// TestLaunchExecsFakeQEMU checks the real exec path with a shell script
// standing in for QEMU: its argv and its exit status pass through.
func TestLaunchExecsFakeQEMU(t *testing.T) {
	dir := t.TempDir()
	script := "#!/bin/sh\necho \"fake qemu: $*\"\nexit 67\n"
	if err := os.WriteFile(filepath.Join(dir, "qemu-system-x86_64"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	kernel := filepath.Join(dir, "kernel.elf")
	if err := os.WriteFile(kernel, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := launchProcess(t, dir, []string{"KERNEL=" + kernel, "ACCEL=tcg", "CPUS=3"})
	if code != 67 {
		t.Errorf("status %d, want QEMU's 67; stderr:\n%s", code, stderr)
	}
	want := "fake qemu: " + strings.Join(qemu.TerminalArgs(qemu.Config{Kernel: kernel, CPUs: 3}, qemu.Decision{Accel: "tcg"}), " ") + "\n"
	if stdout != want {
		t.Errorf("QEMU got\n  %s\nwant\n  %s", stdout, want)
	}
}

func TestLaunchMissingQEMUProcess(t *testing.T) {
	code, _, stderr := launchProcess(t, t.TempDir(), nil, "-accel", "tcg")
	if code != exitFail || !strings.Contains(stderr, "apt-get install -y qemu-system-x86") {
		t.Errorf("status %d, stderr:\n%s", code, stderr)
	}
}

// TestLaunchRealQEMU boots a tiny PVH kernel that writes 0x21 to the
// isa-debug-exit port through the real launcher and QEMU: the launcher's
// exit status must be QEMU's, (0x21<<1)|1.
func TestLaunchRealQEMU(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: not running QEMU")
	}
	bin, err := exec.LookPath(qemu.BinaryName)
	if err != nil {
		t.Skipf("%s not installed", qemu.BinaryName)
	}
	kernel := pvhtest.WriteKernel(t, pvhtest.ExitGuest)
	for _, machine := range []string{"microvm", "q35"} {
		code, _, stderr := launchProcess(t, filepath.Dir(bin), []string{"KERNEL=" + kernel, "ACCEL=tcg", "MACHINE=" + machine, "MEM=64M"})
		if code != pvhtest.ExitGuestExit {
			t.Errorf("%s: status %d, want %d; stderr:\n%s", machine, code, pvhtest.ExitGuestExit, stderr)
		}
		if !strings.Contains(stderr, "qemu: accel tcg (requested)") {
			t.Errorf("%s: stderr:\n%s", machine, stderr)
		}
	}
}

func TestLaunchLinux(t *testing.T) {
	h := &fakeHost{env: map[string]string{"ACCEL": "tcg"}}
	_, stderr, argv := launch(t, h, "-linux", "-initrd", "build/i.gz", "-append", "quiet")
	for _, f := range []string{"-machine q35", "-kernel build/linux/vmlinuz", "-initrd build/i.gz", "-append console=ttyS0 panic=-1 quiet"} {
		if !strings.Contains(argv, f) {
			t.Errorf("argv lacks %q: %s\n%s", f, argv, stderr)
		}
	}
	h = &fakeHost{env: map[string]string{"MACHINE": "microvm"}}
	code, stderr, argv := launch(t, h, "-linux")
	if code != exitUsage || !strings.Contains(stderr, "q35") || argv != "" {
		t.Errorf("Linux on microvm: status %d, stderr %s", code, stderr)
	}
	h = &fakeHost{env: map[string]string{"INITRD": "env.gz"}}
	if _, _, argv := launch(t, h); !strings.Contains(argv, "-initrd env.gz") {
		t.Errorf("INITRD: %s", argv)
	}
}

func TestHasInit(t *testing.T) {
	for _, c := range []struct {
		cmdline string
		want    bool
	}{{"init=/bin/x", true}, {"log=debug init=/bin/x -- a", true}, {"test=mm", false}, {"-- init=/bin/x", false}} {
		if got := hasInit(c.cmdline); got != c.want {
			t.Errorf("hasInit(%q) = %v", c.cmdline, got)
		}
	}
}
