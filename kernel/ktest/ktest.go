// Package ktest owns the kernel's in-kernel tests: suites register
// themselves from init functions, and Run executes the chosen suites inside
// the running kernel, reporting in KTAP version 1 (the format of Linux's
// KUnit) on an io.Writer, typically the serial console, so that the host
// can parse the results.
//
// Output is streamed line by line as cases run, so that a host reading the
// console still sees everything up to the point where a kernel dies. Only
// the nested block of a case that uses T.Run is held back until that case
// returns, because KTAP wants the block's plan before its results.
//
// A run can be cut short (Config.Stop, the shell's Ctrl-C): long cases
// poll T.Interrupted and end early, and the cases after them are reported
// skipped ("interrupted").
package ktest

import "time"

// Case is one test case of a suite.
type Case struct {
	Name string
	Fn   func(t *T)
	// Timeout bounds the case's run time; 0 means Config.DefaultTimeout.
	Timeout time.Duration
}

// Suite is a named group of cases, run in order.
type Suite struct {
	Name  string
	Doc   string // one line, shown by List
	Cases []Case
}
