package ktest

import (
	"strconv"
	"strings"
)

// This file knows the KTAP line formats; nothing else in the package
// spells them out.

const ktapVersion = "KTAP version 1"

// indent returns the prefix of a line at nesting depth d (4 spaces a level).
func indent(d int) string { return strings.Repeat("    ", d) }

// appendLine appends one line at depth d to buf.
func appendLine(buf []byte, d int, s string) []byte {
	buf = append(buf, indent(d)...)
	buf = append(buf, s...)
	return append(buf, '\n')
}

// appendHeader appends the opening of a (sub)test block at depth d:
// version, subtest name (omitted for the top level) and plan.
func appendHeader(buf []byte, d int, name string, planned int) []byte {
	buf = appendLine(buf, d, ktapVersion)
	if name != "" {
		buf = appendLine(buf, d, "# Subtest: "+name)
	}
	return appendLine(buf, d, "1.."+strconv.Itoa(planned))
}

// resultLine formats a test result: "ok N name", "not ok N name", with an
// optional directive such as "SKIP reason" or "TIMEOUT after 2m0s".
func resultLine(ok bool, n int, name, directive string) string {
	s := "ok " + strconv.Itoa(n) + " " + name
	if !ok {
		s = "not " + s
	}
	if directive != "" {
		s += " # " + directive
	}
	return s
}

// appendDiag appends a diagnostic at depth d: the first line of msg as
// "# name: line", further lines as "# line".
func appendDiag(buf []byte, d int, name, msg string) []byte {
	msg = strings.TrimRight(msg, "\n")
	for i, l := range strings.Split(msg, "\n") {
		if i == 0 {
			buf = appendLine(buf, d, "# "+name+": "+l)
		} else {
			buf = appendLine(buf, d, "# "+l)
		}
	}
	return buf
}

// oneLine flattens a message for use in a directive.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
