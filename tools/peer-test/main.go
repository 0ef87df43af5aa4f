// Command peer-test runs Linux's own khugepaged selftest (6.1,
// tools/testing/selftests/vm/khugepaged.c) as a peer test and prints a
// per-case table: `make peer-test-linux` runs it on Debian's Linux 6.1 in
// QEMU. (The same binary on retract is the next stage: -on retract.)
//
// Steps: make sure linux-source-6.1 and gcc are installed (apt-get when
// root), extract the test into build/selftests/src, build it static into
// build/selftests/khugepaged, put it in an initramfs with user/init and an
// /etc/fstab that mounts a tmpfs with huge=advise at /mnt/khugepaged (the
// directory its "file" cases use), boot, and parse the output. The serial
// log is build/peer-test-linux.log and the table also goes to
// build/peer-test-linux.txt. It exits 1 if the test did not run to its
// end; failed cases alone do not fail the command (the table is the
// result).
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"retract/tools/linuxvm"
	"retract/tools/selftest"
)

// testDir is where the selftest's file cases create their file: a tmpfs
// mounted with huge=advise (tmpfs's name for madvise), as its usage says.
const testDir = "/mnt/khugepaged"

func main() {
	on := flag.String("on", "linux", "kernel to run the selftest on (linux; retract is not there yet)")
	cpus := flag.Int("cpus", 2, "CPUs")
	mem := flag.Int("mem", 2048, "memory in MiB (collapse_compound_extreme needs 512 huge pages: with 1 GiB it dies)")
	accel := flag.String("accel", envOr("ACCEL", "auto"), "auto, kvm or tcg")
	args := flag.String("args", "all:all "+testDir, "the selftest's arguments (\"<context>:<mem_type> [dir]\")")
	userDir := flag.String("user", "build/user", "directory with the init binary")
	timeout := flag.Duration("timeout", 60*time.Minute, "give up after")
	verbose := flag.Bool("v", false, "echo the serial console on stderr")
	flag.Parse()

	fail := func(format string, a ...any) {
		fmt.Fprintf(os.Stderr, "peer-test: "+format+"\n", a...)
		os.Exit(1)
	}
	if *on != "linux" {
		fail("-on %s: only linux is supported so far", *on)
	}
	t0 := time.Now()
	if err := selftest.EnsureSource(os.Stderr); err != nil {
		fail("%v", err)
	}
	src := "build/selftests/src"
	if err := selftest.Extract(selftest.Tarball, src, os.Stderr); err != nil {
		fail("%v", err)
	}
	bin := "build/selftests/khugepaged"
	if err := selftest.Build(src, bin, os.Stderr); err != nil {
		fail("%v", err)
	}
	tBuild := time.Since(t0)

	k, err := linuxvm.Fetch(linuxvm.DefaultDir, os.Stderr)
	if err != nil {
		fail("%v", err)
	}
	if err := linuxvm.CheckConfig(k.Config); err != nil {
		fail("%v", err)
	}
	img := "build/peer-test-linux.cpio.gz"
	err = linuxvm.BuildImage(img, linuxvm.Image{
		Init:     *userDir + "/init",
		Programs: map[string]string{"/bin/khugepaged": bin},
		Cmd:      "khugepaged " + *args,
		Fstab:    "tmpfs " + testDir + " tmpfs huge=advise 0 0\n",
	})
	if err != nil {
		fail("%v (run make user first)", err)
	}
	run := linuxvm.Run{Kernel: k.Vmlinuz, Initrd: img, CPUs: *cpus, MemMB: *mem, Accel: *accel, Timeout: *timeout}
	if *verbose {
		run.Echo = os.Stderr
	}
	fmt.Fprintf(os.Stderr, "peer-test: booting %s (q35, %d CPUs, %d MiB) with khugepaged %s\n", k, *cpus, *mem, *args)
	o, err := linuxvm.Boot(context.Background(), run)
	logPath := "build/peer-test-linux.log"
	if o != nil {
		os.WriteFile(logPath, o.Log, 0o644)
	}
	if err != nil {
		fail("%v; serial log in %s", err, logPath)
	}
	rep := selftest.Parse(linuxvm.Lines(o.Log))
	var table bytes.Buffer
	fmt.Fprintf(&table, "khugepaged selftest (Linux 6.1 source) on %s, %d CPUs, %d MiB, %s\n", k, *cpus, *mem, o.Decision.Accel)
	rep.Table(&table)
	os.Stdout.Write(table.Bytes())
	os.WriteFile("build/peer-test-linux.txt", table.Bytes(), 0o644)
	up, _ := linuxvm.InitUptime(o.Log)
	fmt.Fprintf(os.Stderr, "peer-test: fetch+build %.1f s, boot to /init %.1f s (guest uptime %.2f s), whole boot %.1f s, total %.1f s; khugepaged %s; serial log in %s\n",
		tBuild.Seconds(), o.ToInit.Seconds(), up, o.Wall.Seconds(), time.Since(t0).Seconds(), o.Status, logPath)
	if !o.Status.Found || !rep.Finished {
		fail("the selftest did not run to its end (%s)", o.Status)
	}
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
