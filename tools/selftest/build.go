package selftest

import (
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
)

// Build compiles the khugepaged selftest from the tree extracted in src
// into out, statically linked, as the 6.1 Makefile would (khugepaged.c
// with vm_util.c, -lrt -lpthread), with the tree's own uapi headers ahead
// of the host's.
func Build(src, out string, log io.Writer) error {
	return BuildProgram(src, "khugepaged", out, log)
}

// BuildProgram compiles the vm selftest NAME.c (with vm_util.c) the way
// Build compiles khugepaged.
func BuildProgram(src, name, out string, log io.Writer) error {
	err := ensurePackage([]string{"gcc", "libc6-dev"}, func() bool {
		return onPath("gcc")() && fileExists("/usr/lib/x86_64-linux-gnu/libc.a")()
	}, "gcc with a static libc (gcc, libc6-dev)", log)
	if err != nil {
		return err
	}
	vm := filepath.Join(src, VMDir)
	args := []string{
		"-static", "-O2", "-Wall", "-Wno-unused-result",
		"-I", filepath.Join(src, "include/uapi"),
		"-I", filepath.Join(src, "tools/testing/selftests"),
		"-o", out,
		filepath.Join(vm, name+".c"), filepath.Join(vm, "vm_util.c"),
		"-lrt", "-lpthread",
	}
	fmt.Fprintf(log, "selftest: gcc %s\n", strings.Join(args, " "))
	if o, err := exec.Command("gcc", args...).CombinedOutput(); err != nil {
		return fmt.Errorf("gcc %s: %v\n%s", name, err, o)
	}
	return nil
}
