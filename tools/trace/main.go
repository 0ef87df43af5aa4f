// Command trace renders a retract timeline ("# retract-trace 1", see
// package timeline) — from the model's trail converter, or a serial log
// of the kernel's tracer between "--- trace begin ---" and
// "--- trace end ---" — as Chrome trace-event JSON (open it in
// https://ui.perfetto.dev or chrome://tracing), a self-contained SVG, or a
// plain-text lane view:
//
//	go run ./tools/trace -o out.svg trace.txt
//	go run ./tools/trace -format txt < build/test-logs/boot.log
//
// The output format comes from -format, else from the extension of -o
// (.json, .svg, .txt; .trace writes the timeline format back), else txt.
// A kernel trace of a whole run is long: -focus NAME draws only the time
// around the first flow called NAME, or finishing at an event called NAME
// (the slices that hold its two ends), -window FROM:TO (ns) a window of
// your choice:
//
//	go run ./tools/trace -focus "retract → retry" -o race.svg build/test-logs/TestTrace.log
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"retract/tools/trace/timeline"
)

func main() {
	out := flag.String("o", "", "output file (default: standard output)")
	format := flag.String("format", "", "json, svg, txt or trace (default: from -o's extension, else txt)")
	focus := flag.String("focus", "", "draw only the time around the first flow of this name, or finishing at an event of this name (e.g. \"retract → retry\", \"retry: retracted\")")
	window := flag.String("window", "", "draw only FROM:TO (ns)")
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: trace [-o out.json|out.svg|out.txt] [-format json|svg|txt|trace] [file]\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if err := run(*out, *format, *focus, *window, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "trace:", err)
		os.Exit(1)
	}
}

func run(out, format, focus, window string, args []string) error {
	if len(args) > 1 {
		return fmt.Errorf("one input file at most, got %d", len(args))
	}
	if format == "" {
		if format = timeline.FormatOf(out, ""); format == "" && out != "" {
			return fmt.Errorf("cannot tell the format from %q: use -format, or .json, .svg, .txt or .trace", out)
		}
		if format == "" {
			format = "txt"
		}
	}
	if !slices.Contains(timeline.Formats, format) {
		return fmt.Errorf("unknown output format %q (json, svg, txt or trace)", format)
	}
	in, name := io.Reader(os.Stdin), "standard input"
	if len(args) == 1 && args[0] != "-" {
		f, err := os.Open(args[0])
		if err != nil {
			return err
		}
		defer f.Close()
		in, name = f, args[0]
	}
	t, err := timeline.Parse(in)
	if err != nil {
		var pe *timeline.Error
		if errors.As(err, &pe) {
			return fmt.Errorf("%s:%d: %s", name, pe.Line, pe.Msg)
		}
		return fmt.Errorf("%s: %v", name, err)
	}
	switch {
	case focus != "" && window != "":
		return errors.New("-focus and -window exclude each other")
	case focus != "":
		from, to, ok := t.Around(focus)
		if !ok {
			return fmt.Errorf("%s: no flow called %q", name, focus)
		}
		t = t.Window(from, to)
	case window != "":
		a, b, ok := strings.Cut(window, ":")
		from, err1 := strconv.ParseUint(a, 10, 64)
		to, err2 := strconv.ParseUint(b, 10, 64)
		if !ok || err1 != nil || err2 != nil || to < from {
			return fmt.Errorf("-window %q: want FROM:TO in ns, FROM <= TO", window)
		}
		t = t.Window(from, to)
	}
	if out == "" {
		return t.Render(os.Stdout, format)
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	if err := t.Render(f, format); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
