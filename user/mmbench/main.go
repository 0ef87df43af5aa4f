// Command mmbench measures memory-management work from user space, on
// Linux and on retract alike: a static linux/amd64 binary that only makes
// ordinary system calls. It prints one "name value unit" line per metric —
// the format of `make bench` — and, for a metric that fails, a line
// "# name: error ..." on stderr; it exits 1 at the end if any failed.
//
//	mmbench [-only name[,name]] [-cpus N] [-count N] [-quick] [-list]
//
// The metrics (see -list, and each file for the method):
//
//	user_anon_fault_per_s          anonymous 4 KiB write faults per second, 1 thread
//	user_anon_fault_per_s_allcpus  the same on one pinned thread per CPU, per thread
//	user_memfd_first_touch_per_s   write faults that create memfd page-cache pages
//	user_memfd_hit_write_fault_per_s  write faults on memfd pages already cached
//	user_collapse_anon_us_per_2m   MADV_COLLAPSE of 512 anonymous 4 KiB pages
//	user_collapse_memfd_us_per_2m  MADV_COLLAPSE of 512 memfd page-cache pages
//	user_munmap_shootdown_us       munmap of one page while another CPU runs the mm
//	user_null_syscall_ns           getppid round trip
//	fork_exec_wait_us              fork+exec of mmbench itself (exits at once), wait4
//
// -quick runs each metric once or for a short while (for CI and slow
// emulators); without it each runs for about two seconds. -cpus caps the
// CPUs used (default: every CPU in the affinity mask). -count N runs the
// selected metrics N times over, one line per run, to see the spread
// within one boot.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// exitAtOnce is the argument with which mmbench exits immediately: the
// child of fork_exec_wait_us.
const exitAtOnce = "-exit-at-once"

func main() {
	if len(os.Args) == 2 && os.Args[1] == exitAtOnce {
		os.Exit(0)
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("mmbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	only := fs.String("only", "", "run only these metrics (comma-separated names)")
	cpus := fs.Int("cpus", 0, "use at most N CPUs (default: all in the affinity mask)")
	quick := fs.Bool("quick", false, "short runs (CI, emulators)")
	list := fs.Bool("list", false, "list the metrics and exit")
	count := fs.Int("count", 1, "run the selected metrics N times (one line per run)")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "mmbench: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if *list {
		for _, m := range metrics {
			fmt.Fprintf(stdout, "%-34s %-4s %s\n", m.name, m.unit, m.doc)
		}
		return 0
	}
	selected, err := selectMetrics(*only)
	if err != nil {
		fmt.Fprintf(stderr, "mmbench: %v\n", err)
		return 2
	}
	all, err := allowedCPUs()
	if err != nil {
		fmt.Fprintf(stderr, "mmbench: %v\n", err)
		return 1
	}
	if *count < 1 {
		fmt.Fprintf(stderr, "mmbench: bad -count %d\n", *count)
		return 2
	}
	if *cpus < 0 {
		fmt.Fprintf(stderr, "mmbench: bad -cpus %d\n", *cpus)
		return 2
	}
	if *cpus > 0 && *cpus < len(all) {
		all = all[:*cpus]
	}
	env := &env{cpus: all, quick: *quick, note: func(format string, a ...any) {
		fmt.Fprintf(stderr, "# "+format+"\n", a...)
	}}
	failed := 0
	var runs []metric
	for range *count {
		runs = append(runs, selected...)
	}
	for _, m := range runs {
		v, err := m.run(env)
		switch {
		case err == errSkip:
			fmt.Fprintf(stderr, "# %s: skipped: %s\n", m.name, env.skipWhy)
		case err != nil:
			fmt.Fprintf(stderr, "# %s: error %v\n", m.name, err)
			failed++
		default:
			fmt.Fprintln(stdout, line(m.name, v, m.unit))
		}
	}
	if failed > 0 {
		fmt.Fprintf(stderr, "# %d of %d metrics failed\n", failed, len(runs))
		return 1
	}
	return 0
}

// line formats a result like `make bench` does.
func line(name string, v float64, unit string) string {
	return fmt.Sprintf("%s %.6g %s", name, v, unit)
}

// selectMetrics returns the metrics named in the comma-separated list
// (all of them for ""), in the table's order.
func selectMetrics(only string) ([]metric, error) {
	if only == "" {
		return metrics, nil
	}
	want := map[string]bool{}
	for _, n := range strings.Split(only, ",") {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		if lookup(n) == nil {
			return nil, fmt.Errorf("unknown metric %q (see -list)", n)
		}
		want[n] = true
	}
	var out []metric
	for _, m := range metrics {
		if want[m.name] {
			out = append(out, m)
		}
	}
	return out, nil
}

func lookup(name string) *metric {
	for i := range metrics {
		if metrics[i].name == name {
			return &metrics[i]
		}
	}
	return nil
}
