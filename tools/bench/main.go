// Command bench boots the kernel with bench=all (or BENCH=names) and prints
// the "name value unit" lines it reports — what `make bench` shows — then
// boots it again with the initramfs and runs user/mmbench as PID 1: the
// same user-space benchmark binary `make bench-linux` runs on Linux
// (user_anon_fault_per_s, user_null_syscall_ns, fork_exec_wait_us,
// user_collapse_file_us_per_2m, ...). The serial logs go to
// build/bench.log and build/bench-user.log. Under TCG the numbers are
// emulator numbers: compare runs on the same machine, not with hardware.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"retract/qemu"
	"retract/tools/linuxvm"
)

func main() {
	kernel := flag.String("kernel", "build/kernel.elf", "kernel ELF")
	cpus := flag.Int("cpus", 2, "CPUs (the SMP benchmarks need 2)")
	names := flag.String("bench", envOr("BENCH", "all"), "benchmarks, comma-separated, or all")
	machine := flag.String("machine", envOr("MACHINE", "microvm"), "QEMU machine")
	accel := flag.String("accel", envOr("ACCEL", "auto"), "auto, kvm or tcg")
	initrd := flag.String("initrd", "build/initramfs.cpio", "initramfs with /bin/mmbench for the user-space benchmarks (empty: skip them)")
	mmbench := flag.String("mmbench", envOr("MMBENCH", ""), "arguments for mmbench, e.g. -quick")
	flag.Parse()
	ok := runKernelBench(*kernel, *machine, *accel, *names, *cpus)
	if *initrd != "" && (*names == "all" || *names == "") {
		ok = runUserBench(*kernel, *machine, *accel, *initrd, *mmbench, *cpus) && ok
	}
	if !ok {
		os.Exit(1)
	}
}

// runUserBench runs mmbench as PID 1 and prints its result lines.
func runUserBench(kernel, machine, accel, initrd, args string, cpus int) bool {
	app := "init=/bin/mmbench"
	if args != "" {
		app += " -- " + args
	}
	s, err := qemu.Start(context.Background(), qemu.Config{Kernel: kernel, Machine: machine, Accel: accel,
		CPUs: cpus, MemMB: 1024, Append: app, Initrd: initrd})
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return false
	}
	fmt.Fprintf(os.Stderr, "bench: user space (mmbench as PID 1), %d CPUs\n", cpus)
	code, err := s.Wait(20 * time.Minute)
	log := s.Log()
	os.WriteFile("build/bench-user.log", log, 0o644)
	n := 0
	for _, l := range linuxvm.Lines(log) {
		if _, ok := linuxvm.ParseResult(l); ok {
			fmt.Println(l)
			n++
		} else if strings.HasPrefix(l, "# ") {
			fmt.Fprintln(os.Stderr, "bench: mmbench:", l[2:])
		}
	}
	st, msg := qemu.InitStatus(code)
	if err != nil || st != 0 || n == 0 {
		fmt.Fprintf(os.Stderr, "bench: mmbench: %s (%v), %d results; serial log in build/bench-user.log\n", msg, err, n)
		return false
	}
	return true
}

// runKernelBench runs the in-kernel benchmarks and prints their lines.
func runKernelBench(kernel, machine, accel, names string, cpus int) bool {

	s, err := qemu.Start(context.Background(), qemu.Config{Kernel: kernel, Machine: machine, Accel: accel,
		CPUs: cpus, MemMB: 512, Append: "bench=" + names})
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return false
	}
	fmt.Fprintf(os.Stderr, "bench: %s, %d CPUs, %s\n", machine, cpus, s.Decision())
	code, err := s.Wait(15 * time.Minute)
	log := s.Log()
	os.MkdirAll("build", 0o755)
	os.WriteFile("build/bench.log", log, 0o644)
	n := 0
	for _, l := range linuxvm.Lines(log) {
		if _, ok := linuxvm.ParseResult(l); ok {
			fmt.Println(l)
			n++
		} else if strings.HasPrefix(l, "bench: ") {
			fmt.Fprintln(os.Stderr, l)
		}
	}
	if err != nil || code != 1 || n == 0 {
		fmt.Fprintf(os.Stderr, "bench: QEMU status %d (%v), %d results; serial log in build/bench.log\n", code, err, n)
		return false
	}
	return true
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
