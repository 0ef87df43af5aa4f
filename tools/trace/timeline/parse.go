// parse.go: reading the text format.

package timeline

import (
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Markers that delimit a trace inside a serial log.
const (
	BeginMarker = "--- trace begin ---"
	EndMarker   = "--- trace end ---"
)

// Header is the first line of a trace; Version its version.
const (
	Header  = "# retract-trace 1"
	Version = 1
)

// Error is a problem with the input, at a line (1-based, counted in the
// whole input, serial log included).
type Error struct {
	Line int
	Msg  string
}

func (e *Error) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

func errorf(line int, format string, args ...any) *Error {
	return &Error{Line: line, Msg: fmt.Sprintf(format, args...)}
}

// Parse reads a trace. If the input holds a "--- trace begin ---" line,
// only the lines from there to "--- trace end ---" (or the end of the
// input, for a log cut short) are read.
func Parse(r io.Reader) (*Trace, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	lines := strings.Split(string(data), "\n")
	first, last, err := section(lines)
	if err != nil {
		return nil, err
	}
	p := parser{t: &Trace{}, open: map[uint32][]string{}, last: map[uint32]uint64{}, flows: map[string]Event{}}
	for i := first; i < last; i++ {
		if err := p.line(i+1, strings.TrimSpace(lines[i])); err != nil {
			return nil, err
		}
	}
	if !p.header {
		return nil, errorf(first+1, "no %q header: not a retract trace", Header)
	}
	return p.t, nil
}

// section returns the range [first, last) of lines that hold the trace.
func section(lines []string) (first, last int, err error) {
	begin, end := -1, -1
	for i, l := range lines {
		switch strings.TrimSpace(l) {
		case BeginMarker:
			switch {
			case begin >= 0 && end < 0:
				return 0, 0, errorf(i+1, "%q inside the trace begun at line %d", BeginMarker, begin+1)
			case begin >= 0:
				return 0, 0, errorf(i+1, "a second trace in the input (the first is at lines %d-%d)", begin+1, end+1)
			}
			begin = i
		case EndMarker:
			if begin < 0 || end >= 0 {
				return 0, 0, errorf(i+1, "%q without %q before it", EndMarker, BeginMarker)
			}
			end = i
		}
	}
	switch {
	case begin < 0:
		return 0, len(lines), nil
	case end < 0:
		return begin + 1, len(lines), nil
	}
	return begin + 1, end, nil
}

type parser struct {
	t      *Trace
	header bool
	open   map[uint32][]string // per track: names of the open slices, innermost last
	last   map[uint32]uint64   // per track: the latest timestamp
	flows  map[string]Event    // started, unfinished flows: their start
}

func (p *parser) line(n int, l string) error {
	if l == "" {
		return nil
	}
	if strings.HasPrefix(l, "#") {
		return p.comment(n, l)
	}
	if !p.header {
		return errorf(n, "an event before the %q header", Header)
	}
	toks, err := tokens(n, l)
	if err != nil {
		return err
	}
	if len(toks) < 4 {
		return errorf(n, "an event needs at least <ts> <track> <kind> <name>, got %q", l)
	}
	ts, err := strconv.ParseUint(toks[0], 10, 64)
	if err != nil {
		return errorf(n, "timestamp %q is not an unsigned integer (nanoseconds)", toks[0])
	}
	id, err := strconv.ParseUint(toks[1], 10, 32)
	if err != nil {
		return errorf(n, "track %q is not an unsigned integer", toks[1])
	}
	track := uint32(id)
	if _, ok := p.t.track(track); !ok {
		return errorf(n, "track %d is not declared (a \"# track %d NAME\" line must come first)", track, track)
	}
	if len(toks[2]) != 1 || !Kind(toks[2][0]).valid() {
		return errorf(n, "event kind %q is not one of B, E, I, S, F", toks[2])
	}
	if prev, ok := p.last[track]; ok && ts < prev {
		return errorf(n, "timestamp %d on track %d is before the previous one (%d)", ts, track, prev)
	}
	e := Event{TS: ts, Track: track, Kind: Kind(toks[2][0]), Line: n}
	rest := toks[3:]
	switch e.Kind {
	case Begin, Instant:
		if e.Name, err = name(n, rest[0]); err != nil {
			return err
		}
		if e.Args, err = args(n, rest[1:]); err != nil {
			return err
		}
		if e.Kind == Begin {
			p.open[track] = append(p.open[track], e.Name)
		}
	case End:
		if len(rest) != 1 {
			return errorf(n, "E takes only a name, got %d more fields", len(rest)-1)
		}
		if e.Name, err = name(n, rest[0]); err != nil {
			return err
		}
		if !p.end(track, e.Name) {
			return errorf(n, "E %s on track %d: no slice of that name is open there", strconv.Quote(e.Name), track)
		}
	case FlowStart, FlowFinish:
		if len(rest) != 2 {
			return errorf(n, "%c takes a flow id and a name, got %d fields", e.Kind, len(rest))
		}
		if e.Flow, err = name(n, rest[0]); err != nil {
			return err
		}
		if e.Name, err = name(n, rest[1]); err != nil {
			return err
		}
		if err := p.flow(n, e); err != nil {
			return err
		}
	}
	p.last[track] = ts
	p.t.Events = append(p.t.Events, e)
	return nil
}

// comment handles a line starting with '#': the header, a track, or a
// comment.
func (p *parser) comment(n int, l string) error {
	f := strings.Fields(l)
	if len(f) < 2 || f[0] != "#" {
		return nil
	}
	switch f[1] {
	case "retract-trace":
		if p.header {
			return errorf(n, "a second header")
		}
		if len(f) != 3 || f[2] != strconv.Itoa(Version) {
			return errorf(n, "header %q: this tool reads version %d (%q)", l, Version, Header)
		}
		if len(p.t.Tracks) > 0 {
			return errorf(n, "the header must come before the tracks")
		}
		p.header = true
	case "track":
		if !p.header {
			return errorf(n, "a track before the %q header", Header)
		}
		if len(f) < 4 {
			return errorf(n, "a track needs an id and a name: \"# track ID NAME\"")
		}
		id, err := strconv.ParseUint(f[2], 10, 32)
		if err != nil {
			return errorf(n, "track id %q is not an unsigned integer", f[2])
		}
		if _, ok := p.t.track(uint32(id)); ok {
			return errorf(n, "track %d is declared twice", id)
		}
		p.t.Tracks = append(p.t.Tracks, Track{ID: uint32(id), Name: strings.Join(f[3:], " ")})
	}
	return nil
}

// end closes the innermost open slice called name on track.
func (p *parser) end(track uint32, name string) bool {
	s := p.open[track]
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == name {
			p.open[track] = append(s[:i], s[i+1:]...)
			return true
		}
	}
	return false
}

func (p *parser) flow(n int, e Event) error {
	s, ok := p.flows[e.Flow]
	switch {
	case e.Kind == FlowStart && ok:
		return errorf(n, "flow %s starts again: it started at line %d and has not finished", strconv.Quote(e.Flow), s.Line)
	case e.Kind == FlowStart:
		p.flows[e.Flow] = e
	case !ok:
		return errorf(n, "flow %s finishes but has not started", strconv.Quote(e.Flow))
	case e.TS < s.TS:
		return errorf(n, "flow %s finishes at %d, before it starts (%d, line %d)", strconv.Quote(e.Flow), e.TS, s.TS, s.Line)
	default:
		delete(p.flows, e.Flow)
	}
	return nil
}

// tokens splits an event line at spaces; a token that starts with '"',
// or whose value (after the first '=') starts with '"', is a Go-quoted
// string and may hold spaces. Tokens are returned as written.
func tokens(n int, l string) ([]string, error) {
	var out []string
	for i := 0; i < len(l); {
		if isSpace(l[i]) {
			i++
			continue
		}
		start := i
		for i < len(l) && !isSpace(l[i]) {
			if l[i] != '"' {
				i++
				continue
			}
			if eq := strings.IndexByte(l[start:i], '='); i != start && eq != i-start-1 {
				return nil, errorf(n, "column %d: a quote inside a token (quote the whole name or value)", i+1)
			}
			q, err := strconv.QuotedPrefix(l[i:])
			if err != nil {
				return nil, errorf(n, "column %d: a malformed or unterminated quoted string", i+1)
			}
			i += len(q)
			if i < len(l) && !isSpace(l[i]) {
				return nil, errorf(n, "column %d: text right after a quoted string", i+1)
			}
		}
		out = append(out, l[start:i])
	}
	return out, nil
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' }

// name returns a token's text: unquoted, and not empty.
func name(n int, tok string) (string, error) {
	s := tok
	if strings.HasPrefix(tok, `"`) {
		var err error
		if s, err = strconv.Unquote(tok); err != nil {
			return "", errorf(n, "bad quoted string %s", tok)
		}
	}
	if s == "" {
		return "", errorf(n, "an empty name")
	}
	return s, nil
}

// args parses key=value tokens.
func args(n int, toks []string) ([]Arg, error) {
	var out []Arg
	for _, tok := range toks {
		k, v, ok := strings.Cut(tok, "=")
		if !ok || k == "" || strings.HasPrefix(k, `"`) {
			return nil, errorf(n, "argument %s is not key=value", tok)
		}
		if quote(k) != k {
			return nil, errorf(n, "argument key %q: only printable characters, no quotes or backslashes", k)
		}
		if strings.HasPrefix(v, `"`) {
			var err error
			if v, err = strconv.Unquote(v); err != nil {
				return nil, errorf(n, "argument %s: bad quoted value", k)
			}
		}
		for _, a := range out {
			if a.Key == k {
				return nil, errorf(n, "argument %s given twice", k)
			}
		}
		out = append(out, Arg{Key: k, Value: v})
	}
	return out, nil
}
