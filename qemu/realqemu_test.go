//go:build linux

package qemu

import (
	"context"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"retract/qemu/internal/pvhtest"
)

// These tests run the real qemu-system-x86_64 (TCG, so they work without
// KVM) and are skipped when it is not installed or with -short.

func needQEMU(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: not running QEMU")
	}
	if _, err := exec.LookPath(BinaryName); err != nil {
		t.Skipf("%s not installed", BinaryName)
	}
}

func TestRealQEMUMissingKernel(t *testing.T) {
	needQEMU(t)
	for _, machine := range []string{MachineMicrovm, MachineQ35} {
		t.Run(machine, func(t *testing.T) {
			kernel := filepath.Join(t.TempDir(), "no-such-kernel.elf")
			s, err := Start(context.Background(), Config{Kernel: kernel, Machine: machine, Accel: AccelTCG})
			if err != nil {
				t.Fatal(err)
			}
			code, err := s.Wait(30 * time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if code == 0 {
				t.Errorf("exit status 0 for a missing kernel; stderr: %s", s.Stderr())
			}
			if !strings.Contains(string(s.Stderr()), "no-such-kernel.elf") {
				t.Errorf("stderr does not name the kernel: %q", s.Stderr())
			}
			_, err = s.Expect(regexp.MustCompile("never"), time.Second)
			if err == nil || !strings.Contains(err.Error(), "no-such-kernel.elf") {
				t.Errorf("Expect after exit: want an error quoting QEMU's stderr, got %v", err)
			}
		})
	}
}

// TestRealQEMUBoot boots a hand-made PVH kernel on both machines and
// drives it through the serial console: this checks the command line
// from Args end to end (PVH -kernel, COM1 on stdio, isa-debug-exit
// status).
func TestRealQEMUBoot(t *testing.T) {
	needQEMU(t)
	kernel := pvhtest.WriteKernel(t, pvhtest.EchoGuest)
	for _, machine := range []string{MachineMicrovm, MachineQ35} {
		t.Run(machine, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			s, err := Start(ctx, Config{Kernel: kernel, Machine: machine, Accel: AccelTCG, MemMB: 64})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Kill()
			if _, err := s.Expect(regexp.MustCompile(`hi\n`), 30*time.Second); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Write([]byte("abc")); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Expect(regexp.MustCompile(`abc`), 10*time.Second); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Write([]byte("q")); err != nil {
				t.Fatal(err)
			}
			code, err := s.Wait(10 * time.Second)
			if err != nil {
				t.Fatalf("%v; stderr: %s", err, s.Stderr())
			}
			if code != pvhtest.EchoGuestExit {
				t.Errorf("exit status %d, want %d; stderr: %s; log: %q", code, pvhtest.EchoGuestExit, s.Stderr(), s.Log())
			}
			if got := string(s.Log()); got != "hi\nabcq" {
				t.Errorf("serial log %q, want %q", got, "hi\nabcq")
			}
		})
	}
}
