package linuxvm

import (
	"regexp"
	"strconv"
	"strings"
)

// Lines splits a serial log into lines without their "\r\n" (a Linux tty
// turns "\n" into "\r\n"). A lone "\r" (a program redrawing a progress
// line) stays in its line.
func Lines(log []byte) []string {
	s := strings.ReplaceAll(string(log), "\r\n", "\n")
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// resultLine is a "name value unit" line, as tools/bench accepts it.
var resultLine = regexp.MustCompile(`^[a-z][a-z0-9_]* [-+0-9.e]+ [^ ]+$`)

// Results returns the "name value unit" lines of a log.
func Results(log []byte) []string {
	var out []string
	for _, l := range Lines(log) {
		if resultLine.MatchString(l) {
			out = append(out, l)
		}
	}
	return out
}

var (
	exitMarker   = regexp.MustCompile(`^init: exit status (\d+)$`)
	signalMarker = regexp.MustCompile(`^init: killed by signal (\d+)`)
	initRunning  = regexp.MustCompile(`^init: running .* at ([0-9.]+) s uptime$`)
)

// Status is how the program init ran ended, from init's marker line.
type Status struct {
	Found  bool // a marker line was seen
	Exit   int  // exit status (when Signal == 0)
	Signal int  // the signal that killed it, or 0
}

// OK reports a marker with exit status 0.
func (s Status) OK() bool { return s.Found && s.Signal == 0 && s.Exit == 0 }

func (s Status) String() string {
	switch {
	case !s.Found:
		return "no init marker (the program did not finish)"
	case s.Signal != 0:
		return "killed by signal " + strconv.Itoa(s.Signal)
	default:
		return "exit status " + strconv.Itoa(s.Exit)
	}
}

// Marker finds init's last marker line in a log.
func Marker(log []byte) Status {
	var st Status
	for _, l := range Lines(log) {
		if m := exitMarker.FindStringSubmatch(l); m != nil {
			n, _ := strconv.Atoi(m[1])
			st = Status{Found: true, Exit: n}
		} else if m := signalMarker.FindStringSubmatch(l); m != nil {
			n, _ := strconv.Atoi(m[1])
			st = Status{Found: true, Signal: n}
		}
	}
	return st
}

// InitUptime returns the guest's uptime in seconds when init started the
// command (from its "init: running ... at X s uptime" line).
func InitUptime(log []byte) (float64, bool) {
	for _, l := range Lines(log) {
		if m := initRunning.FindStringSubmatch(l); m != nil {
			v, err := strconv.ParseFloat(m[1], 64)
			return v, err == nil
		}
	}
	return 0, false
}

// Result is one parsed "name value unit" line.
type Result struct {
	Name  string
	Value float64
	Unit  string
}

// ParseResult parses a "name value unit" line (as [Results] returns
// them); ok is false for anything else.
func ParseResult(line string) (r Result, ok bool) {
	if !resultLine.MatchString(line) {
		return r, false
	}
	f := strings.Fields(line)
	v, err := strconv.ParseFloat(f[1], 64)
	if err != nil {
		return r, false
	}
	return Result{Name: f[0], Value: v, Unit: f[2]}, true
}

// ParseResults returns the "name value unit" lines of a log, parsed.
func ParseResults(log []byte) []Result {
	var out []Result
	for _, l := range Results(log) {
		if r, ok := ParseResult(l); ok {
			out = append(out, r)
		}
	}
	return out
}
