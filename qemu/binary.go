//go:build linux

package qemu

import (
	"fmt"
	"os"
	"os/exec"
)

// BinaryName is the QEMU executable looked up on PATH.
const BinaryName = "qemu-system-x86_64"

// DebianPackage is the Debian/Ubuntu package that provides [BinaryName].
const DebianPackage = "qemu-system-x86"

// Binary finds qemu-system-x86_64 on PATH or returns an error that says how to install it:
// as root "apt-get install -y qemu-system-x86", otherwise "sudo apt-get install -y qemu-system-x86".
func Binary() (string, error) {
	path, err := exec.LookPath(BinaryName)
	if err != nil {
		return "", fmt.Errorf("%s not found on PATH; install it with:  %s", BinaryName, InstallCommand(DebianPackage, os.Geteuid() == 0))
	}
	return path, nil
}

// InstallCommand is the shell command that installs a Debian package,
// prefixed with sudo unless root.
func InstallCommand(pkg string, root bool) string {
	cmd := "apt-get install -y " + pkg
	if !root {
		cmd = "sudo " + cmd
	}
	return cmd
}

// findBinary is what Start uses to locate QEMU; tests replace it with a
// fake.
var findBinary = Binary

// hostProbe is the probe Start passes to ChooseAccel; tests replace it.
var hostProbe = DefaultProbe
