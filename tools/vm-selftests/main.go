// Command vm-selftests runs more of Linux 6.1's own memory-management
// selftests (tools/testing/selftests/vm: madv_populate, mremap_test,
// mlock2-tests, map_populate, ...) on Linux 6.1, on retract, or on both,
// and prints one table: each program's exit status on each kernel. `make
// vm-selftests` runs it on both.
//
// Steps, as tools/peer-test does for the khugepaged selftest: make sure
// linux-source-6.1 and gcc are installed (apt-get when root), extract the
// programs into build/selftests/src, build each static into
// build/selftests/NAME, put them in an initramfs with user/init and
// user/runtests (which runs them one after another and prints "--- NAME:
// exit status N"), boot each kernel with it (q35, the same CPUs and
// memory) and parse the statuses. The serial logs are
// build/vm-selftests-KERNEL.log, the table build/vm-selftests.txt.
// Exit status 0 for a program is a pass, 4 a skip (KSFT_SKIP); which ones
// cannot pass on retract, and why, is in docs/compat.md.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"text/tabwriter"
	"time"

	"retract/qemu"
	"retract/tools/linuxvm"
	"retract/tools/selftest"
)

// programs are the selftests run, in order. Those left out need what
// neither a plain QEMU guest nor retract has (hugetlb pages, userfaultfd,
// KSM, soft-dirty on retract, 5-level paging, ...): docs/compat.md.
var programs = []string{
	"madv_populate", "map_fixed_noreplace", "map_populate", "mlock2-tests",
	"mremap_dontunmap", "mremap_test", "virtual_address_range",
}

func members() []string {
	m := []string{
		selftest.VMDir + "/vm_util.c", selftest.VMDir + "/vm_util.h", selftest.VMDir + "/mlock2.h",
		"tools/testing/selftests/kselftest.h", "include/uapi/linux/magic.h",
	}
	for _, p := range programs {
		m = append(m, selftest.VMDir+"/"+p+".c")
	}
	return m
}

func main() {
	on := flag.String("on", "both", "kernel to run the selftests on: linux, retract or both")
	cpus := flag.Int("cpus", 2, "CPUs")
	mem := flag.Int("mem", 1024, "memory in MiB")
	accel := flag.String("accel", envOr("ACCEL", "auto"), "auto, kvm or tcg")
	userDir := flag.String("user", "build/user", "directory with init and runtests")
	kernel := flag.String("kernel", qemu.DefaultKernel, "retract's kernel (make kernel)")
	timeout := flag.Duration("timeout", 30*time.Minute, "give up on a boot after")
	verbose := flag.Bool("v", false, "echo the serial console on stderr")
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
	if err := selftest.ExtractMembers(selftest.Tarball, src, members(), os.Stderr); err != nil {
		fail("%v", err)
	}
	bins := map[string]string{"/bin/runtests": filepath.Join(*userDir, "runtests")}
	for _, p := range programs {
		out := filepath.Join("build/selftests", p)
		if err := selftest.BuildProgram(src, p, out, os.Stderr); err != nil {
			fail("%v", err)
		}
		bins["/bin/"+p] = out
	}
	fmt.Fprintf(os.Stderr, "vm-selftests: %d programs built in %.1f s\n", len(programs), time.Since(t0).Seconds())
	img := "build/vm-selftests.cpio"
	if err := linuxvm.BuildImage(img, linuxvm.Image{
		Init:     filepath.Join(*userDir, "init"),
		Programs: bins,
		Cmd:      "runtests -timeout 10m " + strings.Join(programs, " "),
	}); err != nil {
		fail("%v (run make user first)", err)
	}

	results := map[string]map[string]string{} // kernel -> program -> status
	for _, k := range kernels {
		r := linuxvm.Run{Initrd: img, CPUs: *cpus, MemMB: *mem, Accel: *accel, Timeout: *timeout}
		if *verbose {
			r.Echo = os.Stderr
		}
		ks := linuxvm.Kernels{RetractELF: *kernel}
		what, err := ks.Setup(&r, k, os.Stderr)
		if err != nil {
			fmt.Fprintf(os.Stderr, "vm-selftests: %s: %v\n", k, err)
			continue
		}
		fmt.Fprintf(os.Stderr, "vm-selftests: booting %s (q35, %d CPUs, %d MiB)\n", what, *cpus, *mem)
		out, err := linuxvm.Boot(context.Background(), r)
		logPath := "build/vm-selftests-" + k + ".log"
		if out != nil {
			os.WriteFile(logPath, out.Log, 0o644)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "vm-selftests: %s: %v; serial log in %s\n", k, err, logPath)
		}
		if out != nil {
			results[k] = statuses(linuxvm.Lines(out.Log))
			fmt.Fprintf(os.Stderr, "vm-selftests: %s done in %.1f s; serial log in %s\n", k, out.Wall.Seconds(), logPath)
		}
	}
	var table bytes.Buffer
	fmt.Fprintf(&table, "Linux 6.1's vm selftests (exit status: 0 pass, 4 skip), %d CPUs, %d MiB, q35\n", *cpus, *mem)
	w := tabwriter.NewWriter(&table, 0, 8, 2, ' ', 0)
	fmt.Fprintf(w, "selftest")
	for _, k := range kernels {
		fmt.Fprintf(w, "\t%s", k)
	}
	if len(kernels) > 1 {
		fmt.Fprintf(w, "\t")
	}
	fmt.Fprintln(w)
	for _, p := range programs {
		fmt.Fprintf(w, "%s", p)
		var cells []string
		for _, k := range kernels {
			s, ok := results[k][p]
			if !ok {
				s = "did not run"
			}
			cells = append(cells, s)
			fmt.Fprintf(w, "\t%s", s)
		}
		if len(cells) > 1 && cells[0] != cells[1] {
			fmt.Fprintf(w, "\tDIFFERS")
		} else if len(cells) > 1 {
			fmt.Fprintf(w, "\tsame")
		}
		fmt.Fprintln(w)
	}
	w.Flush()
	os.Stdout.Write(table.Bytes())
	os.WriteFile("build/vm-selftests.txt", table.Bytes(), 0o644)
	fmt.Fprintf(os.Stderr, "vm-selftests: total %.1f s\n", time.Since(t0).Seconds())
}

// statusLine is runtests' line after each program.
var statusLine = regexp.MustCompile(`^--- (\S+): (?:FAILED: )?(.*?)(?: in [0-9.]+ s)?$`)

// statuses maps each program's name to what runtests said of it.
func statuses(lines []string) map[string]string {
	m := map[string]string{}
	for _, l := range lines {
		if s := statusLine.FindStringSubmatch(strings.TrimSpace(l)); s != nil {
			m[filepath.Base(s[1])] = s[2]
		}
	}
	return m
}

func fail(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "vm-selftests: "+format+"\n", a...)
	os.Exit(1)
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
