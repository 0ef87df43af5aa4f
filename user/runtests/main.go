// Command runtests runs test programs one after another — so that one
// boot (init=/bin/runtests) runs them all — and says how many failed.
//
//	runtests [-list FILE] [-timeout D] [PROGRAM ...]
//
// The programs are the arguments (each a program name, run without
// arguments), or else the lines of -list: one command line per line,
// split at white space, "#" comments. A line starting with "?" is
// optional: skipped, not failed, when its program does not exist (the
// musl builds, say). Without -list and arguments the list is
// /etc/tests.list, else tests.list next to runtests itself.
//
// A program name without a slash is looked up in the directory runtests
// itself is in, then in PATH; the program gets the path found as argv[0]. Before each program runtests prints
// "=== COMMAND LINE"; the program writes straight to runtests' stdout and
// stderr; after it, "--- NAME: exit status N in S s" (or "killed by
// signal ..." or "timed out"). A program fails if it exits non-zero, is
// killed, or runs longer than -timeout (default 10m; it and its process
// group are then killed). The last line is
//
//	runtests: N programs, M failed
//
// and the exit status is 0 only if M is 0.
//
// As PID 1 it first mounts /proc, /sys, /dev (devtmpfs) and a tmpfs on
// /tmp (ignoring failures), opens /dev/console if it has no stdout, reaps
// every orphan while the programs run, prints user/init's marker line
// "init: exit status S" after the summary (for harnesses that read it),
// and powers the machine off.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

func main() {
	pid1 := os.Getpid() == 1
	if pid1 {
		mountAll()
		ensureConsole()
	}
	status := run(os.Args[1:], os.Stdout, os.Stderr)
	if !pid1 {
		os.Exit(status)
	}
	fmt.Printf("init: exit status %d\n", status)
	powerOff(status)
}

// run runs the tests; the programs write straight to stdout's and
// stderr's file descriptors, in order with runtests' own lines.
func run(args []string, stdout, stderr *os.File) int {
	fs := flag.NewFlagSet("runtests", flag.ContinueOnError)
	fs.SetOutput(stderr)
	list := fs.String("list", "", "file of command lines (default /etc/tests.list, else tests.list next to runtests)")
	timeout := fs.Duration("timeout", 10*time.Minute, "kill a program that runs longer")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	self := selfDir()
	var tests []test
	if fs.NArg() > 0 {
		if *list != "" {
			fmt.Fprintln(stderr, "runtests: give -list or programs, not both")
			return 2
		}
		for _, p := range fs.Args() {
			tests = append(tests, test{argv: []string{p}})
		}
	} else {
		path := *list
		if path == "" {
			path = defaultList(self)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			fmt.Fprintf(stdout, "runtests: no list of tests: %v\n", err)
			return 2
		}
		if tests, err = parseList(string(b)); err != nil {
			fmt.Fprintf(stdout, "runtests: %s: %v\n", path, err)
			return 2
		}
	}
	pathDirs := append([]string{self}, filepath.SplitList(pathEnv())...)
	ran, failed := 0, 0
	for _, t := range tests {
		fmt.Fprintf(stdout, "=== %s\n", t)
		prog, err := lookPath(t.argv[0], pathDirs)
		if err != nil {
			if t.optional {
				fmt.Fprintf(stdout, "--- %s: skipped: %v\n", t.argv[0], err)
				continue
			}
			ran++
			failed++
			fmt.Fprintf(stdout, "--- %s: FAILED: %v\n", t.argv[0], err)
			continue
		}
		ran++
		// argv[0] is the path found, so that a program can re-execute
		// itself without /proc/self/exe.
		argv := append([]string{prog}, t.argv[1:]...)
		o := runOne(prog, argv, *timeout, []uintptr{0, stdout.Fd(), stderr.Fd()})
		if !o.ok() {
			failed++
		}
		fmt.Fprintf(stdout, "--- %s: %s\n", t.argv[0], o)
	}
	fmt.Fprintf(stdout, "runtests: %d programs, %d failed\n", ran, failed)
	if failed > 0 {
		return 1
	}
	return 0
}

// selfDir is the directory runtests was started from ("" if unknown).
func selfDir() string {
	exe, err := os.Executable()
	if err != nil {
		exe = os.Args[0]
	}
	if !filepath.IsAbs(exe) && !containsSlash(exe) {
		return ""
	}
	return filepath.Dir(exe)
}

func containsSlash(s string) bool { return filepath.Base(s) != s }

func defaultList(self string) string {
	if _, err := os.Stat("/etc/tests.list"); err == nil || self == "" {
		return "/etc/tests.list"
	}
	return filepath.Join(self, "tests.list")
}

func pathEnv() string {
	if p := os.Getenv("PATH"); p != "" {
		return p
	}
	return "/bin:/sbin:/usr/bin:/usr/sbin"
}
