// Command bench-linux runs user/mmbench on Linux 6.1 (Debian's cloud
// kernel, fetched by retract/tools/linuxvm) in QEMU — q35, the same CPU
// count and memory as `make bench` — and prints the "name value unit"
// lines it reports: `make bench-linux`. The serial log goes to
// build/bench-linux.log; timings and notes go to stderr.
//
// It needs build/user/init and build/user/mmbench (`make user`).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"retract/tools/linuxvm"
)

func main() {
	cpus := flag.Int("cpus", 2, "CPUs")
	mem := flag.Int("mem", 512, "memory in MiB")
	accel := flag.String("accel", envOr("ACCEL", "auto"), "auto, kvm or tcg")
	args := flag.String("args", "", "mmbench arguments, e.g. \"-quick\" or \"-only user_null_syscall_ns\"")
	userDir := flag.String("user", "build/user", "directory with the init and mmbench binaries")
	kdir := flag.String("linux", linuxvm.DefaultDir, "where the Linux kernel is cached")
	logPath := flag.String("log", "build/bench-linux.log", "serial log")
	timeout := flag.Duration("timeout", 30*time.Minute, "give up after")
	verbose := flag.Bool("v", false, "echo the serial console on stderr")
	flag.Parse()

	fail := func(format string, a ...any) {
		fmt.Fprintf(os.Stderr, "bench-linux: "+format+"\n", a...)
		os.Exit(1)
	}
	k, err := linuxvm.Fetch(*kdir, os.Stderr)
	if err != nil {
		fail("%v", err)
	}
	if err := linuxvm.CheckConfig(k.Config); err != nil {
		fail("%v", err)
	}
	img := "build/bench-linux.cpio"
	image, cmd := linuxvm.MMBenchImage(*userDir, *cpus, *args)
	err = linuxvm.BuildImage(img, image)
	if err != nil {
		fail("%v (run make user first)", err)
	}
	run := linuxvm.Run{Kernel: k.Vmlinuz, Initrd: img, CPUs: *cpus, MemMB: *mem, Accel: *accel, Timeout: *timeout}
	if *verbose {
		run.Echo = os.Stderr
	}
	o, err := linuxvm.Boot(context.Background(), run)
	if o != nil {
		os.MkdirAll("build", 0o755)
		os.WriteFile(*logPath, o.Log, 0o644)
		fmt.Fprintf(os.Stderr, "bench-linux: %s, q35, %d CPUs, %d MiB, %s; %q\n", k, *cpus, *mem, o.Decision, cmd)
	}
	if err != nil {
		fail("%v; serial log in %s", err, *logPath)
	}
	for _, l := range linuxvm.Lines(o.Log) {
		if strings.HasPrefix(l, "# ") {
			fmt.Fprintln(os.Stderr, l)
		}
	}
	results := linuxvm.Results(o.Log)
	for _, l := range results {
		fmt.Println(l)
	}
	up, _ := linuxvm.InitUptime(o.Log)
	fmt.Fprintf(os.Stderr, "bench-linux: boot to /init %.1f s (guest uptime %.2f s), whole run %.1f s; mmbench %s\n",
		o.ToInit.Seconds(), up, o.Wall.Seconds(), o.Status)
	if !o.Status.OK() || len(results) == 0 {
		fail("%d results, mmbench %s; serial log in %s", len(results), o.Status, *logPath)
	}
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
