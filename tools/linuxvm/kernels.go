package linuxvm

import (
	"fmt"
	"io"
	"os"
	"strings"

	"retract/qemu"
)

// The two kernels of a side-by-side run, as the tools name them.
const (
	Linux   = "linux"
	Retract = "retract"
)

// Kernels says where the two kernels come from.
type Kernels struct {
	LinuxDir      string // Fetch's cache (DefaultDir when empty)
	RetractELF    string // retract's kernel.elf (qemu.DefaultKernel when empty)
	RetractAppend string // more of retract's command line, after init=/bin/init
}

// Setup fills in r's Guest, Kernel and Append for kernel (Linux or
// Retract) and returns a description of it for messages. Linux is
// fetched (Fetch, then CheckConfig); retract's ELF must exist (make
// kernel). Linux runs the image's /init by itself; retract is told
// init=/bin/init, the same program, followed by k.RetractAppend. What
// r.Append said before is kept, after the kernel's own words.
func (k Kernels) Setup(r *Run, kernel string, log io.Writer) (string, error) {
	switch kernel {
	case Linux:
		dir := k.LinuxDir
		if dir == "" {
			dir = DefaultDir
		}
		lk, err := Fetch(dir, log)
		if err == nil {
			err = CheckConfig(lk.Config)
		}
		if err != nil {
			return "", err
		}
		r.Guest, r.Kernel = qemu.GuestLinux, lk.Vmlinuz
		return "Linux " + lk.String(), nil
	case Retract:
		elf := k.RetractELF
		if elf == "" {
			elf = qemu.DefaultKernel
		}
		if _, err := os.Stat(elf); err != nil {
			return "", fmt.Errorf("%v (run make kernel first)", err)
		}
		r.Guest, r.Kernel = qemu.GuestRetract, elf
		r.Append = strings.Join(strings.Fields("init=/bin/init "+k.RetractAppend+" "+r.Append), " ")
		return "retract " + elf, nil
	}
	return "", fmt.Errorf("unknown kernel %q (want %s or %s)", kernel, Linux, Retract)
}

// KernelsOn is what a tool's -on flag names: Linux, Retract, or "both"
// (Linux first, then retract).
func KernelsOn(on string) ([]string, error) {
	switch on {
	case Linux, Retract:
		return []string{on}, nil
	case "both":
		return []string{Linux, Retract}, nil
	}
	return nil, fmt.Errorf("-on %s: want %s, %s or both", on, Linux, Retract)
}
