package selftest

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// SourcePackage is the Debian package with the Linux 6.1 source tarball.
const SourcePackage = "linux-source-6.1"

// Tarball is where SourcePackage puts the source.
const Tarball = "/usr/src/linux-source-6.1.tar.xz"

// topDir is the tarball's top-level directory.
const topDir = "linux-source-6.1"

// Members are the files Extract takes out of the tarball, relative to the
// top of the Linux tree.
var Members = []string{
	"tools/testing/selftests/vm/khugepaged.c",
	"tools/testing/selftests/vm/vm_util.c",
	"tools/testing/selftests/vm/vm_util.h",
	"tools/testing/selftests/kselftest.h",
	"include/uapi/linux/magic.h",
}

// VMDir is the selftest directory inside an extracted tree.
const VMDir = "tools/testing/selftests/vm"

// ensurePackage makes sure a Debian package providing the file or command
// check is installed: as root it runs apt-get install, otherwise it fails
// with the command to run.
func ensurePackage(pkgs []string, present func() bool, what string, log io.Writer) error {
	if present() {
		return nil
	}
	cmdline := "apt-get install -y " + strings.Join(pkgs, " ")
	if os.Geteuid() != 0 {
		return fmt.Errorf("%s is missing: run  sudo %s", what, cmdline)
	}
	fmt.Fprintf(log, "selftest: %s is missing; %s\n", what, cmdline)
	env := append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	for _, args := range [][]string{{"update", "-qq"}, append([]string{"install", "-y", "-qq"}, pkgs...)} {
		cmd := exec.Command("apt-get", args...)
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("apt-get %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	if !present() {
		return fmt.Errorf("installed %s but %s is still missing", strings.Join(pkgs, " "), what)
	}
	return nil
}

func fileExists(p string) func() bool {
	return func() bool { _, err := os.Stat(p); return err == nil }
}

func onPath(cmd string) func() bool {
	return func() bool { _, err := exec.LookPath(cmd); return err == nil }
}

// EnsureSource makes sure the source tarball and the tools to unpack it
// (tar, xz) are there.
func EnsureSource(log io.Writer) error {
	if err := ensurePackage([]string{"xz-utils"}, onPath("xz"), "xz", log); err != nil {
		return err
	}
	return ensurePackage([]string{SourcePackage}, fileExists(Tarball), Tarball, log)
}

// Extract unpacks Members of the tarball under dest (dest/tools/...,
// dest/include/...), unless they are there already (the tarball is 130 MiB
// of xz: unpacking takes half a minute).
func Extract(tarball, dest string, log io.Writer) error {
	return ExtractMembers(tarball, dest, Members, log)
}

// ExtractMembers is Extract for another list of files.
func ExtractMembers(tarball, dest string, members []string, log io.Writer) error {
	all := true
	for _, m := range members {
		if _, err := os.Stat(filepath.Join(dest, m)); err != nil {
			all = false
		}
	}
	if all {
		return nil
	}
	if err := os.MkdirAll(dest, 0o755); err != nil {
		return err
	}
	fmt.Fprintf(log, "selftest: extracting %d files from %s into %s\n", len(members), tarball, dest)
	args := []string{"-xJf", tarball, "-C", dest, "--strip-components=1"}
	for _, m := range members {
		args = append(args, topDir+"/"+m)
	}
	if out, err := exec.Command("tar", args...).CombinedOutput(); err != nil {
		return fmt.Errorf("tar %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}
