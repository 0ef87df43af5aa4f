// Command race is retract's race (docs/retract.md) from user space: a
// static linux/amd64 program that runs unchanged on Linux and on retract.
//
//	race [-workers N] [-seconds S] [-file memfd|tmp] [-seed N] [-regions N] [-quiet] [-expect-bug]
//
// It creates one shared file (a memfd, or an unlinked file in /tmp) of
// 2 MiB of control pages followed by -regions data regions of 2 MiB, and
// re-executes itself (os/exec, the file inherited as fd 3) as N worker
// processes pinned to N CPUs and one collapser process pinned to the
// remaining CPU. Every process maps the whole file MAP_SHARED at a 2 MiB
// aligned address and advises the data MADV_HUGEPAGE.
//
// Round r uses data region r mod -regions. Each worker reads, then writes,
// its own word (offset 8*index) of random pages of the region, checking
// that the read returns what it last wrote there (a lost write is a data
// error). The collapser waits until every worker has touched a random
// number of pages of the region — a page table exists, and more first
// faults are still to come — calls madvise(MADV_COLLAPSE) on it while the
// workers keep faulting, lets them use the collapsed range for a while,
// and starts the next round on a fresh region (small pages again). When
// the rounds wrap around, every worker stops at a barrier, the collapser
// punches the data out of the file (fallocate PUNCH_HOLE, else ftruncate
// down and up) and the workers expect zeros again. The processes meet in
// the control pages (atomics on the mapped file: round, pause, epoch, stop,
// per-worker counters); the parent only starts, times and stops them.
//
// At the end it prints "name value" lines (faults, collapses_ok,
// collapses_failed and its split by errno, rounds, data_errors, ..., and
// the change of every thp_* and pt_* counter of /proc/vmstat), then one
// verdict line:
//
//	race: OK ...                                  exit status 0
//	race: BUG SHOWN: N use-after-free caught      exit status 3 (0 with -expect-bug)
//	race: FAILED: reason                          exit status 1
//
// Data errors, a process that died or hung, and a run in which no
// collapse succeeded are failures. -expect-bug (for retract with the fix
// switched off) turns BUG SHOWN into success and OK into a failure.
// Usage errors exit with 2. See README.md.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"time"
)

// config is what the flags say. The parent passes it on to its children.
type config struct {
	workers   int
	seconds   float64
	file      string
	seed      uint64
	seedSet   bool
	regions   int
	quiet     bool
	expectBug bool
	// jitter bounds a random pause before each MADV_COLLAPSE, so that
	// the collapse lands anywhere in the workers' fault cycle (not always
	// right after an access, when their next fault is a first touch):
	// with the kernel's fault delay point on, about twice that delay.
	jitter time.Duration

	// Set only in the children.
	role  string // "worker" or "collapser"
	index int    // worker index
	cpu   int    // CPU to pin to (-1: do not pin)
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		fmt.Fprintf(stderr, "race: %v\n", err)
		return exitUsage
	}
	switch cfg.role {
	case "":
		return supervise(cfg, stdout, stderr)
	case "worker":
		return worker(cfg, stderr)
	case "collapser":
		return collapser(cfg, stderr)
	}
	fmt.Fprintf(stderr, "race: unknown -role %q\n", cfg.role)
	return exitUsage
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("race", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&c.workers, "workers", 0, "worker processes (default: CPUs-1, at least 1; at most 64)")
	fs.Float64Var(&c.seconds, "seconds", 10, "how long to run")
	fs.StringVar(&c.file, "file", "memfd", "the shared file: memfd (memfd_create) or tmp (an unlinked file in /tmp)")
	seed := fs.Uint64("seed", 0, "seed of the workers' and the collapser's random choices (default: from the clock)")
	fs.IntVar(&c.regions, "regions", 16, "2 MiB data regions in the file (rounds wrap around after that many)")
	fs.BoolVar(&c.quiet, "quiet", false, "no progress lines")
	fs.DurationVar(&c.jitter, "jitter", 0, "a random pause of up to this long before each collapse (e.g. 10ms: twice a kernel fault delay)")
	fs.BoolVar(&c.expectBug, "expect-bug", false, "a use-after-free is expected (the fix is off): the run ends as soon as the kernel catches one; BUG SHOWN exits 0, OK exits 1")
	fs.StringVar(&c.role, "role", "", "internal: worker or collapser (set by the parent)")
	fs.IntVar(&c.index, "index", 0, "internal: worker index")
	fs.IntVar(&c.cpu, "cpu", -1, "internal: CPU to pin to")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "seed" {
			c.seedSet = true
		}
	})
	c.seed = *seed
	switch {
	case c.workers < 0 || c.workers > maxWorkers:
		return c, fmt.Errorf("-workers %d: want 1 to %d (0: CPUs-1)", c.workers, maxWorkers)
	case c.seconds <= 0:
		return c, fmt.Errorf("-seconds %v: want more than 0", c.seconds)
	case c.file != "memfd" && c.file != "tmp":
		return c, fmt.Errorf("-file %q: want memfd or tmp", c.file)
	case c.regions < 1 || c.regions > 4096:
		return c, fmt.Errorf("-regions %d: want 1 to 4096", c.regions)
	case c.index < 0 || c.index >= maxWorkers:
		return c, fmt.Errorf("-index %d out of range", c.index)
	}
	return c, nil
}

// childArgs are the flags that make a child of the given role.
func (c config) childArgs(role string, index, cpu int) []string {
	return []string{
		"-role", role, "-index", fmt.Sprint(index), "-cpu", fmt.Sprint(cpu),
		"-workers", fmt.Sprint(c.workers), "-regions", fmt.Sprint(c.regions),
		"-seed", fmt.Sprint(c.seed), "-seconds", fmt.Sprint(c.seconds), "-jitter", c.jitter.String(),
	}
}
