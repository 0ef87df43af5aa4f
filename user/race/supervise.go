package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// child is a started worker or collapser.
type child struct {
	name string
	cmd  *exec.Cmd
	done chan struct{} // closed when it has exited
	err  error         // from Wait
}

// supervise is the parent: it makes the file, starts the children, runs
// the clock, stops them, and prints the counters and the verdict.
func supervise(cfg config, stdout, stderr io.Writer) int {
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stdout, "race: FAILED: "+format+"\n", a...)
		return 1
	}
	cpus, err := allowedCPUs()
	if err != nil {
		return fail("%v", err)
	}
	if cfg.workers == 0 {
		cfg.workers = max(1, len(cpus)-1)
		cfg.workers = min(cfg.workers, maxWorkers)
	}
	if !cfg.seedSet {
		cfg.seed = uint64(time.Now().UnixNano())
	}
	workerCPU := func(w int) int { return cpus[w%len(cpus)] }
	collapserCPU := cpus[cfg.workers%len(cpus)]

	f, err := createFile(cfg.file, fileSize(cfg.regions))
	if err != nil {
		return fail("the shared file (%s): %v", cfg.file, err)
	}
	defer f.Close()
	m, err := mapFile(int(f.Fd()), fileSize(cfg.regions))
	if err != nil {
		return fail("%v", err)
	}
	ctl := m.control()
	ctl.store(wMagic, controlMagic)

	fmt.Fprintf(stdout, "race: %d worker%s on CPU%s %s, collapser on CPU %d; %s; %d regions of 2 MiB; %v s; seed %d; %s\n",
		cfg.workers, plural(cfg.workers), plural(cfg.workers), cpuList(cfg.workers, workerCPU), collapserCPU,
		fileDesc(cfg.file), cfg.regions, cfg.seconds, cfg.seed, systemDesc())

	before, haveVmstat := readVmstat()
	exe, err := os.Executable()
	if err != nil {
		exe = os.Args[0]
	}
	var children []*child
	start := func(name string, args []string) error {
		cmd := exec.Command(exe, args...)
		cmd.ExtraFiles = []*os.File{f}
		cmd.Stdout, cmd.Stderr = stderr, stderr
		if err := cmd.Start(); err != nil {
			return fmt.Errorf("starting the %s (%s): %v", name, exe, err)
		}
		c := &child{name: name, cmd: cmd, done: make(chan struct{})}
		go func() { c.err = cmd.Wait(); close(c.done) }()
		children = append(children, c)
		return nil
	}
	stopAll := func() {
		ctl.store(wStop, 1)
		deadline := time.After(waitForChildren)
		for _, c := range children {
			select {
			case <-c.done:
			case <-deadline:
				c.cmd.Process.Kill()
				<-c.done
				c.err = fmt.Errorf("did not stop within %v after the stop flag (killed)", waitForChildren)
			}
		}
	}
	for w := range cfg.workers {
		if err := start(fmt.Sprintf("worker %d", w), cfg.childArgs("worker", w, workerCPU(w))); err != nil {
			stopAll()
			return fail("%v", err)
		}
	}
	if err := start("collapser", cfg.childArgs("collapser", 0, collapserCPU)); err != nil {
		stopAll()
		return fail("%v", err)
	}
	exited := func() *child {
		for _, c := range children {
			select {
			case <-c.done:
				return c
			default:
			}
		}
		return nil
	}

	// Wait until everyone has mapped the file, then run the clock.
	ready := waitUntil(func() bool {
		return exited() != nil || ctl.load(wCollapserReady) == 1 && allWorkers(ctl, cfg.workers, fReady, 1)
	}, waitForReadiness)
	t0 := time.Now()
	var early *child
	if ready && exited() == nil {
		deadline := t0.Add(time.Duration(cfg.seconds * float64(time.Second)))
		nextLog := t0.Add(2 * time.Second)
		nextCheck := t0
		for now := time.Now(); now.Before(deadline); now = time.Now() {
			if early = exited(); early != nil {
				break
			}
			// With -expect-bug the run may end as soon as the kernel
			// has caught a use-after-free: the point is made, and a
			// slow machine need not wait out the rest.
			if cfg.expectBug && haveVmstat && now.After(nextCheck) {
				nextCheck = now.Add(500 * time.Millisecond)
				if cur, ok := readVmstat(); ok && cur["pt_uaf_caught"] > before["pt_uaf_caught"] {
					break
				}
			}
			if !cfg.quiet && now.After(nextLog) {
				nextLog = nextLog.Add(2 * time.Second)
				fmt.Fprintf(stdout, "race: %.0fs: %d rounds, %d collapses, %d failed, %d accesses, %d data errors\n",
					now.Sub(t0).Seconds(), ctl.load(wRounds), ctl.load(wCollapsesOK), ctl.load(wCollapsesFailed),
					sumWorkers(ctl, cfg.workers, fAccesses), sumWorkers(ctl, cfg.workers, fDataErrors))
			}
			time.Sleep(min(100*time.Millisecond, deadline.Sub(now)))
		}
	}
	elapsed := time.Since(t0)
	stopAll()
	after, _ := readVmstat()

	res := result{
		seconds:         elapsed.Seconds(),
		accesses:        sumWorkers(ctl, cfg.workers, fAccesses),
		collapsesOK:     ctl.load(wCollapsesOK),
		collapsesFailed: ctl.load(wCollapsesFailed),
		collapseNanos:   ctl.load(wCollapseNanos),
		rounds:          ctl.load(wRounds),
		resets:          ctl.load(wResets),
		dataErrors:      sumWorkers(ctl, cfg.workers, fDataErrors),
		errnos:          map[string]uint64{},
		haveVmstat:      haveVmstat,
	}
	res.faults, res.haveFaults = uint64(0), true
	for w := range cfg.workers {
		if v := ctl.load(slot(w) + fFaults); v == ^uint64(0) {
			res.haveFaults = false
		} else {
			res.faults += v
		}
	}
	for e := 1; e < 256; e++ {
		if n := ctl.load(wErrno + e); n > 0 {
			res.errnos[errnoName(syscall.Errno(e))] = n
		}
	}
	if haveVmstat {
		res.vmstat = vmstatDelta(before, after)
	}
	switch {
	case !ready:
		res.problems = append(res.problems, fmt.Sprintf("the children were not ready within %v", waitForReadiness))
	case early != nil:
		res.problems = append(res.problems, fmt.Sprintf("the %s ended after %.1f s, before the time was up", early.name, elapsed.Seconds()))
	}
	for w := range cfg.workers {
		if ctl.load(slot(w)+fDone) != 1 {
			res.problems = append(res.problems, fmt.Sprintf("worker %d did not finish its final check", w))
		}
	}
	for _, c := range children {
		if c.err != nil {
			res.problems = append(res.problems, fmt.Sprintf("the %s: %v", c.name, c.err))
		}
	}
	for _, l := range res.lines() {
		fmt.Fprintln(stdout, l)
	}
	line, code := res.verdict(cfg.expectBug)
	fmt.Fprintln(stdout, line)
	return code
}

func sumWorkers(ctl control, workers, f int) uint64 {
	var s uint64
	for w := range workers {
		s += ctl.load(slot(w) + f)
	}
	return s
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func cpuList(n int, cpu func(int) int) string {
	s := make([]string, n)
	for i := range s {
		s[i] = fmt.Sprint(cpu(i))
	}
	return strings.Join(s, ",")
}

func fileDesc(kind string) string {
	if kind == "memfd" {
		return "a memfd (shmem)"
	}
	return "an unlinked file in /tmp"
}

// systemDesc names the kernel and its THP settings, where it says them.
func systemDesc() string {
	var parts []string
	var u syscall.Utsname
	if syscall.Uname(&u) == nil {
		parts = append(parts, utsString(u.Sysname[:])+" "+utsString(u.Release[:]))
	}
	for _, k := range []string{"enabled", "shmem_enabled"} {
		if b, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/" + k); err == nil {
			parts = append(parts, "THP "+k+" "+selected(string(b)))
		}
	}
	return strings.Join(parts, ", ")
}

func utsString(b []int8) string {
	var s []byte
	for _, c := range b {
		if c == 0 {
			break
		}
		s = append(s, byte(c))
	}
	return string(s)
}

// selected returns the [chosen] word of a sysfs choice list.
func selected(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '['); i >= 0 {
		if j := strings.IndexByte(s[i:], ']'); j > 0 {
			return s[i+1 : i+j]
		}
	}
	return s
}
