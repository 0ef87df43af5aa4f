// Command trail2trace draws a counterexample of the retract model: it
// runs SPIN on model/retract.pml for a variant and a property, takes the
// shortest violation, replays it (spin -t -p -g -l) and converts the
// replay into a retract timeline — or converts a replay saved earlier
// (-in). The output is the timeline format, or, by -o's extension or
// -format, Chrome JSON, SVG or the text lane view (see tools/trace).
//
//	go run ./model/cmd/trail2trace -variant UNSAFE -property no_lock_in_freed_table -o docs/model-unsafe.svg
//	go run ./model/cmd/trail2trace -in model/testdata/unsafe-seed.spin -format txt
//
// It needs spin and gcc, except with -in.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"retract/model"
	"retract/tools/trace/timeline"
)

func main() {
	variant := flag.String("variant", "UNSAFE", "RCU, UNSAFE or NO_RECHECK")
	property := flag.String("property", "no_lock_in_freed_table", "the property to violate")
	in := flag.String("in", "", "convert this saved spin -t -p output instead of running spin (- for standard input)")
	spinOut := flag.String("spin-out", "", "also save spin's replay here")
	out := flag.String("o", "", "output file (default: standard output)")
	format := flag.String("format", "", "trace, json, svg or txt (default: from -o's extension, else trace)")
	keep := flag.Bool("keep", false, "keep the directory where pan ran, and say where it is")
	flag.Parse()
	if err := run(*variant, *property, *in, *spinOut, *out, *format, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "trail2trace:", err)
		os.Exit(1)
	}
}

func run(variant, property, in, spinOut, out, format string, keep bool) error {
	if format == "" {
		format = timeline.FormatOf(out, "trace")
	}
	if !slices.Contains(timeline.Formats, format) {
		return fmt.Errorf("unknown format %q (one of %s)", format, strings.Join(timeline.Formats, ", "))
	}
	var replay io.Reader
	switch in {
	case "-":
		replay = os.Stdin
	case "":
		v := model.Variant(variant)
		if !slices.Contains(model.Variants, v) {
			return fmt.Errorf("unknown variant %q (RCU, UNSAFE or NO_RECHECK)", variant)
		}
		p, ok := model.PropertyNamed(property)
		if !ok {
			return fmt.Errorf("unknown property %q", property)
		}
		dir, err := os.MkdirTemp("", "retract-model-")
		if err != nil {
			return err
		}
		if keep {
			fmt.Fprintln(os.Stderr, "trail2trace: pan ran in", dir)
		} else {
			defer os.RemoveAll(dir)
		}
		c := &model.Checker{Dir: dir}
		s, r, err := c.Counterexample(v, p)
		if err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "trail2trace: %s violates %s; the shortest counterexample took a search of %d states\n",
			v, p.Name, r.States)
		if spinOut != "" {
			if err := os.WriteFile(spinOut, []byte(s), 0o644); err != nil {
				return err
			}
		}
		replay = strings.NewReader(s)
	default:
		f, err := os.Open(in)
		if err != nil {
			return err
		}
		defer f.Close()
		replay = f
	}
	t, err := model.Timeline(replay)
	if err != nil {
		return err
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
