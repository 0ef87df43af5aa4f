// format.go: writing the text format.

package timeline

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"
)

// WriteText writes t in the format Parse reads: the header, the tracks,
// then the events in order. Names and values that need it are quoted.
func (t *Trace) WriteText(w io.Writer) error {
	b := bufio.NewWriter(w)
	fmt.Fprintln(b, Header)
	for _, tr := range t.Tracks {
		if strings.TrimSpace(tr.Name) == "" || strings.ContainsAny(tr.Name, "\r\n") {
			return fmt.Errorf("timeline: track %d: the name %q cannot be written (empty, or a line break)", tr.ID, tr.Name)
		}
		fmt.Fprintf(b, "# track %d %s\n", tr.ID, strings.Join(strings.Fields(tr.Name), " "))
	}
	for _, e := range t.Events {
		if !e.Kind.valid() {
			return fmt.Errorf("timeline: event %q: kind %q is not one of B, E, I, S, F", e.Name, rune(e.Kind))
		}
		fmt.Fprintf(b, "%d %d %c", e.TS, e.Track, e.Kind)
		if e.Kind == FlowStart || e.Kind == FlowFinish {
			fmt.Fprintf(b, " %s", quote(e.Flow))
		}
		fmt.Fprintf(b, " %s", quote(e.Name))
		for _, a := range e.Args {
			if a.Key == "" || a.Key != quote(a.Key) || strings.Contains(a.Key, "=") {
				return fmt.Errorf("timeline: event %q: argument key %q cannot be written (empty, '=', a quote or a space)", e.Name, a.Key)
			}
			fmt.Fprintf(b, " %s=%s", a.Key, quote(a.Value))
		}
		b.WriteByte('\n')
	}
	return b.Flush()
}

// quote returns s as a token: as it is if it can be, else Go-quoted.
func quote(s string) string {
	if s == "" || strings.IndexFunc(s, func(r rune) bool {
		return r == '"' || r == '\\' || unicode.IsSpace(r) || !unicode.IsPrint(r)
	}) >= 0 {
		return strconv.Quote(s)
	}
	return s
}
