// Command bench-compare runs user/mmbench on Linux 6.1 and on retract in
// turn — Linux, retract, Linux, retract, ... (ABAB), -rounds times each —
// and prints one table: each metric's median on either kernel, the
// min–max of its rounds, the ratio retract/Linux, which kernel wins (and
// which way is better), and issue 13's target for the ratio: `make
// bench-compare`. The table also goes to build/bench-compare.txt, with
// every round's values under it.
//
// Both kernels boot the same image (tools/linuxvm.MMBenchImage: user/init
// running "mmbench -cpus N ARGS") on the same machine (q35: Linux 6.1
// hangs on microvm under TCG), CPU count and memory. Linux runs the
// image's /init; retract is told init=/bin/init (the same program) and
// khugepaged=on (Linux's khugepaged always runs). Besides mmbench's
// metrics the host measures boot_to_init_first_line_ms: host time from
// starting QEMU to the first line init prints.
//
// Each boot's serial log is build/bench-compare-KERNEL-ROUND.log. It needs
// build/user (make user) and build/kernel.elf (make kernel); Linux is
// fetched as for make bench-linux.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"retract/qemu"
	"retract/tools/linuxvm"
)

func main() {
	rounds := flag.Int("rounds", 5, "rounds: each boots Linux, then retract")
	cpus := flag.Int("cpus", 2, "CPUs")
	memArg := flag.String("mem", "1G", "memory (512, 512M, 1G; retract runs out in a full run with 512M)")
	accel := flag.String("accel", envOr("ACCEL", "auto"), "auto, kvm or tcg")
	args := flag.String("args", "", "more mmbench arguments, e.g. -quick")
	userDir := flag.String("user", "build/user", "directory with the init and mmbench binaries")
	kernel := flag.String("kernel", qemu.DefaultKernel, "retract's kernel (make kernel)")
	appendArg := flag.String("append", "", "more of retract's command line")
	out := flag.String("o", "build/bench-compare.txt", "where the table goes too")
	timeout := flag.Duration("timeout", 30*time.Minute, "give up on a boot after")
	verbose := flag.Bool("v", false, "echo the serial consoles on stderr")
	flag.Parse()

	mem, err := qemu.ParseMemMB(*memArg)
	if err != nil {
		fail("-mem: %v", err)
	}
	if *rounds < 1 || *cpus < 1 {
		fail("want -rounds and -cpus of at least 1")
	}
	t0 := time.Now()
	img := "build/bench-compare.cpio"
	image, cmd := linuxvm.MMBenchImage(*userDir, *cpus, *args)
	if err := linuxvm.BuildImage(img, image); err != nil {
		fail("%v (run make user first)", err)
	}

	ks := linuxvm.Kernels{RetractELF: *kernel, RetractAppend: "khugepaged=on " + *appendArg}
	var runs [sides]linuxvm.Run
	var what [sides]string
	for i, k := range []string{linuxvm.Linux, linuxvm.Retract} {
		runs[i] = linuxvm.Run{Initrd: img, CPUs: *cpus, MemMB: mem, Accel: *accel, Timeout: *timeout}
		if *verbose {
			runs[i].Echo = os.Stderr
		}
		if what[i], err = ks.Setup(&runs[i], k, os.Stderr); err != nil {
			fail("%s: %v", k, err)
		}
	}

	samples := NewSamples()
	notes := [sides]map[string]bool{{}, {}}
	failed := 0
	var decision string
	for round := 1; round <= *rounds; round++ {
		for side, k := range []string{linuxvm.Linux, linuxvm.Retract} {
			logPath := fmt.Sprintf("build/bench-compare-%s-%d.log", k, round)
			o, err := linuxvm.Boot(context.Background(), runs[side])
			if o == nil {
				fail("round %d, %s: %v", round, k, err)
			}
			os.WriteFile(logPath, o.Log, 0o644)
			decision = "accel " + o.Decision.Accel
			results := linuxvm.ParseResults(o.Log)
			samples.AddRound(side, results, float64(o.ToInit.Microseconds())/1000)
			for _, l := range linuxvm.Lines(o.Log) {
				if strings.HasPrefix(l, "# ") {
					notes[side][l] = true
				}
			}
			fmt.Fprintf(os.Stderr, "bench-compare: round %d/%d %-7s %d results, boot to init's first line %.1f s, whole boot %.1f s, mmbench %s (%.0f s so far)\n",
				round, *rounds, sideNames[side], len(results), o.ToInit.Seconds(), o.Wall.Seconds(), o.Status, time.Since(t0).Seconds())
			if err != nil || !o.Status.OK() || len(results) == 0 {
				fmt.Fprintf(os.Stderr, "bench-compare: round %d, %s: %v; serial log in %s\n", round, k, err, logPath)
				failed++
			}
		}
	}

	var table bytes.Buffer
	fmt.Fprintf(&table, "mmbench on %s and %s\n", what[linuxSide], what[retractSide])
	fmt.Fprintf(&table, "%d rounds each, alternating (Linux first); q35, %d CPUs, %d MiB, %s; init runs %q\n\n",
		*rounds, *cpus, mem, decision, cmd)
	WriteTable(&table, samples.Rows(), *rounds)
	for i := range notes {
		if len(notes[i]) > 0 {
			fmt.Fprintf(&table, "\nmmbench's notes on %s:\n", sideNames[i])
			var ls []string
			for l := range notes[i] {
				ls = append(ls, l)
			}
			sort.Strings(ls)
			for _, l := range ls {
				fmt.Fprintln(&table, l)
			}
		}
	}
	os.Stdout.Write(table.Bytes())
	fmt.Fprintf(&table, "\nEvery round's values, in order:\n")
	samples.WriteRaw(&table)
	if err := os.WriteFile(*out, table.Bytes(), 0o644); err != nil {
		fail("%v", err)
	}
	fmt.Fprintf(os.Stderr, "bench-compare: %d boots in %.0f s; table in %s, serial logs in build/bench-compare-*.log\n",
		2**rounds, time.Since(t0).Seconds(), *out)
	if failed > 0 {
		fail("%d of %d boots failed", failed, 2**rounds)
	}
}

func fail(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "bench-compare: "+format+"\n", a...)
	os.Exit(1)
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
