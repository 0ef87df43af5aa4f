// tracecmd.go: the trace command — the event tracer (kernel/trace) from
// the shell: switch it on for some classes of events, off, clear it, and
// dump what it holds as a timeline that tools/trace turns into Perfetto
// JSON or an SVG.

package main

import (
	"fmt"

	"retract/kernel/clock"
	"retract/kernel/cmdargs"
	"retract/kernel/shell"
	"retract/kernel/sys"
	"retract/kernel/trace"
	"retract/mm"
)

func traceCommands() []shell.Command {
	return []shell.Command{
		{Name: "trace", Usage: cmdargs.TraceUsage,
			Help: "record events per CPU in lock-free rings (like ftrace): on EVENTS (all, or some of fault, pte, ptl, collapse, retract, rcu, ipi, sched, user), off, clear, stats; dump prints a timeline for tools/trace (Perfetto JSON, SVG)",
			Run:  cmdTrace},
	}
}

// traceNames are the names the dump borrows from mm.
var traceNames = trace.Names{
	FaultPath:      func(p uint32) string { return mm.FaultPath(p).Short() },
	CollapseKind:   func(k uint8) string { return mm.CollapseKind(k).Linux() },
	CollapseResult: func(r int) string { return mm.CollapseResult(r).String() },
	Syscall:        sys.Name,
}

func cmdTrace(sh *shell.Shell, args []string) error {
	r, err := cmdargs.ParseTrace(args)
	if err != nil {
		return err
	}
	switch r.Op {
	case cmdargs.TraceOn:
		trace.Enable(r.Classes)
		sh.Printf("trace: recording %v (the newest %d events of each CPU are kept)\n", r.Classes, trace.RingSize)
	case cmdargs.TraceOff:
		trace.Disable()
		printTraceStats(sh)
	case cmdargs.TraceClear:
		trace.Clear()
	case cmdargs.TraceDump:
		events, cpus := trace.Snapshot(r.Classes)
		return trace.Dump(sh.Out(), events, cpus, clock.TSCHz, traceNames)
	case cmdargs.TraceStats:
		printTraceStats(sh)
	}
	return nil
}

func printTraceStats(sh *shell.Shell) {
	state := "off"
	if c := trace.Enabled(); c != 0 {
		state = "recording " + c.String()
	}
	sh.Printf("trace: %s\n", state)
	for id, s := range trace.Stats() {
		lost := ""
		if s.Lost > 0 {
			lost = fmt.Sprintf(" (%d overwritten: the ring keeps the newest %d)", s.Lost, trace.RingSize)
		}
		sh.Printf("  CPU %d: %d events%s\n", id, s.Recorded, lost)
	}
}
