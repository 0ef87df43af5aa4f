// Command bench boots the kernel with bench=all (or BENCH=names) and prints
// the "name value unit" lines it reports — what `make bench` shows. The
// serial log goes to build/bench.log. Under TCG the numbers are emulator
// numbers: compare runs on the same machine, not with hardware.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"

	"retract/qemu"
)

var result = regexp.MustCompile(`^[a-z][a-z0-9_]* [-+0-9.e]+ [^ ]+$`)

func main() {
	kernel := flag.String("kernel", "build/kernel.elf", "kernel ELF")
	cpus := flag.Int("cpus", 2, "CPUs (the SMP benchmarks need 2)")
	names := flag.String("bench", envOr("BENCH", "all"), "benchmarks, comma-separated, or all")
	machine := flag.String("machine", envOr("MACHINE", "microvm"), "QEMU machine")
	accel := flag.String("accel", envOr("ACCEL", "auto"), "auto, kvm or tcg")
	flag.Parse()

	s, err := qemu.Start(context.Background(), qemu.Config{Kernel: *kernel, Machine: *machine, Accel: *accel,
		CPUs: *cpus, MemMB: 512, Append: "bench=" + *names})
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "bench: %s, %d CPUs, %s\n", *machine, *cpus, s.Decision())
	code, err := s.Wait(15 * time.Minute)
	log := s.Log()
	os.MkdirAll("build", 0o755)
	os.WriteFile("build/bench.log", log, 0o644)
	n := 0
	for _, l := range strings.Split(string(log), "\n") {
		l = strings.TrimRight(l, "\r")
		if result.MatchString(l) {
			fmt.Println(l)
			n++
		} else if strings.HasPrefix(l, "bench: ") {
			fmt.Fprintln(os.Stderr, l)
		}
	}
	if err != nil || code != 1 || n == 0 {
		fmt.Fprintf(os.Stderr, "bench: QEMU status %d (%v), %d results; serial log in build/bench.log\n", code, err, n)
		os.Exit(1)
	}
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
