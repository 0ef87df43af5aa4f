// Command peer-test runs Linux's own khugepaged selftest (6.1,
// tools/testing/selftests/vm/khugepaged.c) as a peer test on Linux 6.1,
// on retract, or on both, and prints a per-case table: `make
// peer-test-linux` runs it on Debian's Linux 6.1 in QEMU, `make
// peer-test` on both kernels, one after the other, with one table that
// shows each case's result on each.
//
// Steps: make sure linux-source-6.1 and gcc are installed (apt-get when
// root), extract the test into build/selftests/src, build it static into
// build/selftests/khugepaged, put it in an initramfs with user/init and an
// /etc/fstab that mounts a tmpfs with huge=advise at /mnt/khugepaged (the
// directory its "file" cases use), boot, and parse the output. Both
// kernels boot the same image on the same machine (q35), CPU count and
// memory; Linux runs the image's /init, retract is told init=/bin/init
// (the same program). For each kernel K the serial log is
// build/peer-test-K.log and its table build/peer-test-K.txt; with -on
// both the side-by-side table also goes to build/peer-test.txt. It exits
// 1 if the test did not run to its end on a kernel; failed cases alone do
// not fail the command (the table is the result).
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"retract/qemu"
	"retract/tools/linuxvm"
	"retract/tools/selftest"
)

// testDir is where the selftest's file cases create their file: a tmpfs
// mounted with huge=advise (tmpfs's name for madvise), as its usage says.
const testDir = "/mnt/khugepaged"

// Column names in the tables.
const (
	linuxName   = "Linux 6.1"
	retractName = "retract"
)

type options struct {
	cpus, mem int
	accel     string
	args      string
	timeout   time.Duration
	verbose   bool
	kernel    string // retract's kernel.elf
	appendArg string // more retract command line
}

func main() {
	on := flag.String("on", "both", "kernel to run the selftest on: linux, retract or both")
	var o options
	flag.IntVar(&o.cpus, "cpus", 2, "CPUs")
	flag.IntVar(&o.mem, "mem", 2048, "memory in MiB (collapse_compound_extreme needs 512 huge pages: with 1 GiB Linux dies)")
	flag.StringVar(&o.accel, "accel", envOr("ACCEL", "auto"), "auto, kvm or tcg")
	flag.StringVar(&o.args, "args", "all:all "+testDir, "the selftest's arguments (\"<context>:<mem_type> [dir]\")")
	userDir := flag.String("user", "build/user", "directory with the init binary")
	flag.StringVar(&o.kernel, "kernel", qemu.DefaultKernel, "retract's kernel (make kernel)")
	flag.StringVar(&o.appendArg, "append", "", "more of retract's command line (e.g. log=debug)")
	flag.DurationVar(&o.timeout, "timeout", 60*time.Minute, "give up on a boot after")
	flag.BoolVar(&o.verbose, "v", false, "echo the serial console on stderr")
	flag.Parse()

	kernels, err := linuxvm.KernelsOn(*on)
	if err != nil {
		fail("%v", err)
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
	fmt.Fprintf(os.Stderr, "peer-test: selftest built in %.1f s\n", time.Since(t0).Seconds())

	img := "build/peer-test.cpio.gz"
	err = linuxvm.BuildImage(img, linuxvm.Image{
		Init:     *userDir + "/init",
		Programs: map[string]string{"/bin/khugepaged": bin},
		Cmd:      "khugepaged " + o.args,
		Fstab:    "tmpfs " + testDir + " tmpfs huge=advise 0 0\n",
	})
	if err != nil {
		fail("%v (run make user first)", err)
	}

	var cols []selftest.Column
	incomplete := false
	for _, k := range kernels {
		col, ok := run(k, img, o, len(kernels) == 1)
		cols = append(cols, col)
		incomplete = incomplete || !ok
	}
	if len(cols) > 1 {
		var table bytes.Buffer
		fmt.Fprintf(&table, "khugepaged selftest (Linux 6.1 source), khugepaged %s, %d CPUs, %d MiB, q35\n", o.args, o.cpus, o.mem)
		selftest.Compare(&table, cols)
		os.Stdout.Write(table.Bytes())
		os.WriteFile("build/peer-test.txt", table.Bytes(), 0o644)
	}
	fmt.Fprintf(os.Stderr, "peer-test: total %.1f s\n", time.Since(t0).Seconds())
	if incomplete {
		os.Exit(1)
	}
}

// run boots kernel ("linux" or "retract") with the image, writes its
// table to build/peer-test-KERNEL.txt (and stdout with print) and returns
// its column; ok is false when the selftest did not run to its end.
func run(kernel, img string, o options, print bool) (col selftest.Column, ok bool) {
	r := linuxvm.Run{Initrd: img, CPUs: o.cpus, MemMB: o.mem, Accel: o.accel, Timeout: o.timeout}
	if o.verbose {
		r.Echo = os.Stderr
	}
	// khugepaged running on retract, as it always is on Linux.
	ks := linuxvm.Kernels{RetractELF: o.kernel, RetractAppend: "khugepaged=on " + o.appendArg}
	col.Name = linuxName
	if kernel == linuxvm.Retract {
		col.Name = retractName
	}
	// A kernel that cannot be had (no apt or network for Linux, no
	// kernel.elf) gets a column saying so; the other still runs.
	what, err := ks.Setup(&r, kernel, os.Stderr)
	if err != nil {
		fmt.Fprintf(os.Stderr, "peer-test: %s: %v\n", kernel, err)
		return col, false
	}
	logPath := "build/peer-test-" + kernel + ".log"
	fmt.Fprintf(os.Stderr, "peer-test: booting %s (q35, %d CPUs, %d MiB) with khugepaged %s\n", what, o.cpus, o.mem, o.args)
	out, err := linuxvm.Boot(context.Background(), r)
	if out != nil {
		os.WriteFile(logPath, out.Log, 0o644)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "peer-test: %s: %v; serial log in %s\n", kernel, err, logPath)
		if out == nil {
			return col, false
		}
	}
	rep := selftest.Parse(linuxvm.Lines(out.Log))
	col.Report, col.Ran = rep, true
	var table bytes.Buffer
	fmt.Fprintf(&table, "khugepaged selftest (Linux 6.1 source) on %s, %d CPUs, %d MiB, %s\n", what, o.cpus, o.mem, out.Decision.Accel)
	rep.Table(&table)
	if print {
		os.Stdout.Write(table.Bytes())
	}
	os.WriteFile("build/peer-test-"+kernel+".txt", table.Bytes(), 0o644)
	up, _ := linuxvm.InitUptime(out.Log)
	fmt.Fprintf(os.Stderr, "peer-test: %s: %s; boot to /init %.1f s (guest uptime %.2f s), whole boot %.1f s; khugepaged %s; serial log in %s, table in build/peer-test-%s.txt\n",
		kernel, rep.Summary(), out.ToInit.Seconds(), up, out.Wall.Seconds(), out.Status, logPath, kernel)
	if !out.Status.Found || !rep.Finished {
		fmt.Fprintf(os.Stderr, "peer-test: %s: the selftest did not run to its end (%s)\n", kernel, out.Status)
		return col, false
	}
	return col, err == nil
}

func fail(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "peer-test: "+format+"\n", a...)
	os.Exit(1)
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
