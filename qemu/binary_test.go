//go:build linux

package qemu

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestInstallCommand(t *testing.T) {
	if got, want := InstallCommand("qemu-system-x86", true), "apt-get install -y qemu-system-x86"; got != want {
		t.Errorf("root: %q, want %q", got, want)
	}
	if got, want := InstallCommand("qemu-system-x86", false), "sudo apt-get install -y qemu-system-x86"; got != want {
		t.Errorf("user: %q, want %q", got, want)
	}
}

func TestBinaryMissing(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := Binary()
	if err == nil {
		t.Fatal("found QEMU on an empty PATH")
	}
	want := InstallCommand("qemu-system-x86", os.Geteuid() == 0)
	if !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "qemu-system-x86_64") {
		t.Errorf("error %q does not say %q", err, want)
	}
	if os.Geteuid() != 0 && !strings.Contains(err.Error(), "sudo ") {
		t.Errorf("non-root error without sudo: %q", err)
	}
}

func TestBinaryFound(t *testing.T) {
	dir := t.TempDir()
	fake := filepath.Join(dir, "qemu-system-x86_64")
	if err := os.WriteFile(fake, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)
	got, err := Binary()
	if err != nil || got != fake {
		t.Errorf("Binary() = %q, %v; want %q", got, err, fake)
	}
}
