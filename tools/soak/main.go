// Command soak boots the kernel on 4 CPUs with the soak suite (rcutorture
// and stress retract together) for -duration, streams its progress, and
// prints the totals — what `make soak` runs. The serial log goes to
// build/soak.log. It exits 0 only if the suite passed.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"retract/qemu"
)

func main() {
	kernel := flag.String("kernel", "build/kernel.elf", "kernel ELF")
	cpus := flag.Int("cpus", 4, "CPUs")
	dur := flag.Duration("duration", time.Hour, "how long the soak runs")
	machine := flag.String("machine", envOr("MACHINE", "microvm"), "QEMU machine")
	accel := flag.String("accel", envOr("ACCEL", "auto"), "auto, kvm or tcg")
	seed := flag.Uint64("seed", uint64(time.Now().UnixNano()), "seed")
	flag.Parse()
	secs := int(dur.Seconds())
	if secs < 1 {
		fmt.Fprintln(os.Stderr, "soak: -duration must be at least 1s")
		os.Exit(2)
	}
	s, err := qemu.Start(context.Background(), qemu.Config{Kernel: *kernel, Machine: *machine, Accel: *accel,
		CPUs: *cpus, MemMB: 1024, Append: fmt.Sprintf("test=soak torture=%d seed=%d", secs, *seed)})
	if err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "soak: %v on %d CPUs, %s, seed %d; serial log in build/soak.log\n", *dur, *cpus, s.Decision(), *seed)
	// Stream progress: the suite's "# ..." lines as they come.
	done := make(chan struct{})
	go func() {
		seen := 0
		for {
			select {
			case <-done:
				return
			case <-time.After(5 * time.Second):
			}
			lines := strings.Split(string(s.Log()), "\n")
			for ; seen < len(lines)-1; seen++ {
				if l := strings.TrimSpace(lines[seen]); strings.HasPrefix(l, "# torture_and_retract:") {
					fmt.Println(strings.TrimPrefix(l, "# torture_and_retract: "))
				}
			}
		}
	}()
	code, err := s.Wait(*dur*2 + 10*time.Minute)
	close(done)
	log := s.Log()
	os.MkdirAll("build", 0o755)
	os.WriteFile("build/soak.log", log, 0o644)
	for _, l := range strings.Split(string(log), "\n") {
		if l = strings.TrimSpace(l); strings.HasPrefix(l, "# torture_and_retract: soak:") || strings.HasPrefix(l, "ok ") || strings.HasPrefix(l, "not ok ") {
			fmt.Println(l)
		}
	}
	if err != nil || code != 1 {
		fmt.Fprintf(os.Stderr, "soak: FAILED: QEMU status %d (%v); see build/soak.log\n", code, err)
		os.Exit(1)
	}
	fmt.Println("soak: passed")
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
