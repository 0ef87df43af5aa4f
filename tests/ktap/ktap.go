// Package ktap parses KTAP, the test output format of Linux's KUnit
// (Documentation/dev-tools/ktap.rst), as retract's kernel prints it on the
// serial console, mixed with ordinary kernel log lines.
//
// A KTAP document looks like this (subtests are indented by 4 spaces per
// level):
//
//	KTAP version 1
//	1..2
//	    KTAP version 1
//	    # Subtest: boot
//	    1..3
//	    ok 1 memmap_sane
//	    # page0_faults: expected a #PF, got none
//	    not ok 2 page0_faults
//	    ok 3 frames_accounting # SKIP no memory
//	ok 1 boot
//	...
//
// # What is accepted
//
//   - The header "KTAP version 1", or TAP's "TAP version 13" / "TAP version 14".
//     Everything before the top-level header is kernel log ([Report.Other]).
//   - A subtest block opens with an indented version line, an indented
//     "# Subtest: NAME" line or (older kernels) an indented plan, and is
//     closed by the result line one level up, whose name is authoritative.
//   - Result lines "ok N name", "not ok N name", optionally with TAP's "- "
//     before the name and a directive after an unescaped '#'. A SKIP
//     directive (on "ok" or "not ok") makes the result [Skip]; any other
//     directive (TODO, XFAIL, ...) is kept in [Test.Directive] and the result
//     follows "ok"/"not ok".
//   - The plan "1..N" may come before or after the results of its block.
//   - Lines that are not KTAP, or KTAP-looking lines at an indentation that
//     does not belong to any open block, go to [Report.Other]: the serial
//     console interleaves kernel log lines with the test output. Lines end
//     in "\n" or "\r\n".
//
// # Where diagnostic lines go
//
// A diagnostic line "# text" at the indentation of a block is stored
// without its "# " prefix:
//
//   - in the Diag of the test that owns the block (every diagnostic line of
//     the block, in order; for the top level, in [Report.Diag]);
//   - for a test's own story, KUnit-style: lines printed after the previous
//     result line of the same block go to the next test that ends there; a
//     line "# NAME: ..." whose NAME is the test whose result line came last
//     goes to that test instead (kernels that print the reason right after
//     "not ok").
//
// # Errors
//
// Parse stops at the first structural error and returns a [*ParseError]
// with the line number: no header, an unsupported version, a missing
// top-level plan, a plan that disagrees with the number of results, a test
// number out of order, a result line deeper than any open block, a block
// that is never closed (truncated output: the kernel crashed or hung), or a
// second header. The [Report] returned with the error holds what was parsed
// up to that point.
package ktap

import (
	"bufio"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// Result is the outcome of one test.
type Result int

// Results. The zero Result is none of them, so a forgotten assignment shows.
const (
	Pass Result = iota + 1 // "ok"
	Fail                   // "not ok"
	Skip                   // "# SKIP" directive
)

func (r Result) String() string {
	switch r {
	case Pass:
		return "pass"
	case Fail:
		return "fail"
	case Skip:
		return "skip"
	}
	return "Result(" + strconv.Itoa(int(r)) + ")"
}

// Test is one result line and, if it had one, its subtest block.
type Test struct {
	Number    int
	Name      string // from the result line; from "# Subtest:" when the result line has none
	Result    Result
	Directive string   // text after the '#' of the result line ("SKIP no memory", "TODO"), trimmed
	Diag      []string // diagnostic lines without "# " (see the package doc for which)
	Subtests  []*Test
	Plan      int // the plan of the subtest block, -1 if none
	Line      int // line number of the result line (1-based)
}

// Report is a parsed KTAP document and the log lines around it.
type Report struct {
	Version int      // 1 for KTAP, 13 or 14 for TAP
	Plan    int      // the top-level plan; -1 (with an error) if there is none
	Tests   []*Test  // top-level tests (retract's suites)
	Diag    []string // top-level diagnostic lines (without "# "), e.g. the kernel's summary
	Other   []string // non-KTAP lines (kernel log), in order
}

// ParseError is a structural error in the KTAP stream.
type ParseError struct {
	Line int // 1-based line number the error was found at
	Msg  string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("ktap: line %d: %s", e.Line, e.Msg)
}

var (
	versionRE = regexp.MustCompile(`^(KTAP|TAP) version (\S+)$`)
	planRE    = regexp.MustCompile(`^1\.\.(\d+)(?:\s*#.*)?$`)
	resultRE  = regexp.MustCompile(`^(ok|not ok) (\d+)(?:\s+(.*))?$`)
	subtestRE = regexp.MustCompile(`^# Subtest: ?(.*)$`)
)

// indentStep is the indentation of one subtest level.
const indentStep = 4

// block is one open level of the document: the top level or a subtest
// block.
type block struct {
	indent  int
	line    int    // where it opened
	name    string // from "# Subtest:"
	version bool   // had its own version line
	plan    int
	planAt  int
	tests   []*Test
	all     []string // every diagnostic line of the block
	pending []string // diagnostic lines waiting for the next result line
}

type parser struct {
	rep    *Report
	stack  []*block // stack[0] is the top level once the header was seen
	lineNo int
	header int // line of the top-level header, 0 before it

	firstKTAP     int // first KTAP-looking line before the header, for the error
	firstKTAPText string
}

// Parse reads a serial log and returns the KTAP report in it. The returned
// Report is never nil; with an error it holds what was parsed before it.
func Parse(r io.Reader) (*Report, error) {
	p := &parser{rep: &Report{Plan: -1}}
	br := bufio.NewReader(r)
	for {
		s, err := br.ReadString('\n')
		if len(s) > 0 {
			p.lineNo++
			if perr := p.line(strings.TrimRight(s, "\r\n")); perr != nil {
				return p.rep, perr
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return p.rep, fmt.Errorf("ktap: reading line %d: %w", p.lineNo+1, err)
		}
	}
	return p.rep, p.finish()
}

func (p *parser) errorf(line int, format string, args ...any) error {
	return &ParseError{Line: line, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) top() *block { return p.stack[len(p.stack)-1] }

// path names the innermost open block, as "boot/sub".
func (p *parser) path() string {
	var names []string
	for _, b := range p.stack[1:] {
		n := b.name
		if n == "" {
			n = fmt.Sprintf("(unnamed, line %d)", b.line)
		}
		names = append(names, n)
	}
	return strings.Join(names, "/")
}

func (p *parser) other(raw string) {
	p.rep.Other = append(p.rep.Other, raw)
}

// line handles one line without its line ending.
func (p *parser) line(raw string) error {
	indent := len(raw) - len(strings.TrimLeft(raw, " "))
	text := strings.TrimRight(raw[indent:], " \t\r")

	if p.header == 0 {
		return p.preamble(raw, indent, text)
	}

	cur := p.top()
	switch {
	case versionRE.MatchString(text):
		return p.version(raw, indent, text)
	case resultRE.MatchString(text):
		return p.result(indent, text)
	case planRE.MatchString(text):
		switch indent {
		case cur.indent:
			return p.plan(cur, text)
		case cur.indent + indentStep:
			b := p.open(indent)
			return p.plan(b, text)
		}
	case subtestRE.MatchString(text):
		m := subtestRE.FindStringSubmatch(text)
		name := strings.TrimSpace(m[1])
		switch {
		case indent == cur.indent+indentStep:
			p.open(indent).name = name
			return nil
		case indent == cur.indent && len(p.stack) > 1 && cur.name == "" && len(cur.tests) == 0:
			cur.name = name
			return nil
		case indent == cur.indent:
			p.diag(cur, text)
			return nil
		}
	case text == "#" || strings.HasPrefix(text, "# "):
		if indent == cur.indent {
			p.diag(cur, text)
			return nil
		}
	}
	p.other(raw)
	return nil
}

// preamble handles a line before the top-level header.
func (p *parser) preamble(raw string, indent int, text string) error {
	if indent == 0 && versionRE.MatchString(text) {
		if err := p.checkVersion(text); err != nil {
			return err
		}
		p.header = p.lineNo
		p.rep.Version, _ = strconv.Atoi(versionRE.FindStringSubmatch(text)[2])
		p.stack = []*block{{indent: 0, line: p.lineNo, version: true, plan: -1}}
		return nil
	}
	if p.firstKTAP == 0 && indent == 0 && (planRE.MatchString(text) || resultRE.MatchString(text)) {
		p.firstKTAP, p.firstKTAPText = p.lineNo, text
	}
	p.other(raw)
	return nil
}

func (p *parser) checkVersion(text string) error {
	m := versionRE.FindStringSubmatch(text)
	switch {
	case m[1] == "KTAP" && m[2] == "1":
	case m[1] == "TAP" && (m[2] == "13" || m[2] == "14"):
	default:
		return p.errorf(p.lineNo, "unsupported version %q (want \"KTAP version 1\" or \"TAP version 13/14\")", text)
	}
	return nil
}

func (p *parser) version(raw string, indent int, text string) error {
	cur := p.top()
	switch {
	case indent == cur.indent+indentStep:
		if err := p.checkVersion(text); err != nil {
			return err
		}
		p.open(indent).version = true
		return nil
	case indent == cur.indent && len(p.stack) == 1:
		return p.errorf(p.lineNo, "second %q header (the first was at line %d): did the kernel reboot?", text, p.header)
	case indent == cur.indent:
		if cur.version || cur.plan >= 0 || len(cur.tests) > 0 {
			return p.errorf(p.lineNo, "unexpected %q inside subtest block %q opened at line %d", text, p.path(), cur.line)
		}
		if err := p.checkVersion(text); err != nil {
			return err
		}
		cur.version = true
		return nil
	case indent < cur.indent:
		return p.errorf(p.lineNo, "%q at indentation %d while subtest block %q opened at line %d is still open (truncated output?)", text, indent, p.path(), cur.line)
	}
	p.other(raw)
	return nil
}

// open starts a subtest block at indent, one level below the current one.
func (p *parser) open(indent int) *block {
	b := &block{indent: indent, line: p.lineNo, plan: -1}
	p.stack = append(p.stack, b)
	return b
}

func (p *parser) plan(b *block, text string) error {
	if b.plan >= 0 {
		return p.errorf(p.lineNo, "second plan %q (the first was at line %d)", text, b.planAt)
	}
	n, err := strconv.Atoi(planRE.FindStringSubmatch(text)[1])
	if err != nil {
		return p.errorf(p.lineNo, "bad plan %q: %v", text, err)
	}
	b.plan, b.planAt = n, p.lineNo
	if b == p.stack[0] {
		p.rep.Plan = n
	}
	return nil
}

func (p *parser) diag(b *block, text string) {
	d := strings.TrimPrefix(strings.TrimPrefix(text, "#"), " ")
	b.all = append(b.all, d)
	if b == p.stack[0] {
		p.rep.Diag = b.all
	}
	if n := len(b.tests); n > 0 {
		last := b.tests[n-1]
		if name, _, ok := strings.Cut(d, ":"); ok && last.Name != "" && name == last.Name {
			last.Diag = append(last.Diag, d)
			return
		}
	}
	b.pending = append(b.pending, d)
}

func (p *parser) result(indent int, text string) error {
	cur := p.top()
	var child *block
	switch {
	case indent == cur.indent:
	case indent > cur.indent:
		if indent == cur.indent+indentStep {
			return p.errorf(p.lineNo, "result line %q at indentation %d without a subtest header (\"KTAP version 1\" or \"# Subtest:\") before it", text, indent)
		}
		return p.errorf(p.lineNo, "result line %q at indentation %d, deeper than any open subtest block (expected %d)", text, indent, cur.indent)
	case len(p.stack) > 1 && indent == cur.indent-indentStep:
		child = cur
		if err := p.checkCount(child, fmt.Sprintf("subtest block %q", p.path())); err != nil {
			return err
		}
		p.stack = p.stack[:len(p.stack)-1]
		cur = p.top()
	default:
		return p.errorf(p.lineNo, "result line %q at indentation %d, but subtest block %q opened at line %d was never closed (truncated output?)", text, indent, p.path(), cur.line)
	}

	m := resultRE.FindStringSubmatch(text)
	num, err := strconv.Atoi(m[2])
	if err != nil {
		return p.errorf(p.lineNo, "bad test number in %q: %v", text, err)
	}
	if want := len(cur.tests) + 1; num != want {
		where := "at the top level"
		if len(p.stack) > 1 {
			where = fmt.Sprintf("in subtest block %q", p.path())
		}
		return p.errorf(p.lineNo, "test number %d out of order %s: expected %d in %q", num, where, want, text)
	}
	name, directive := splitDescription(m[3])
	t := &Test{
		Number:    num,
		Name:      name,
		Result:    Pass,
		Directive: directive,
		Diag:      cur.pending,
		Plan:      -1,
		Line:      p.lineNo,
	}
	cur.pending = nil
	if m[1] == "not ok" {
		t.Result = Fail
	}
	if isSkip(directive) {
		t.Result = Skip
	}
	if child != nil {
		t.Subtests = child.tests
		t.Plan = child.plan
		t.Diag = append(t.Diag, child.all...)
		if t.Name == "" {
			t.Name = child.name
		}
	}
	cur.tests = append(cur.tests, t)
	if len(p.stack) == 1 {
		p.rep.Tests = cur.tests
	}
	return nil
}

// checkCount compares a closing block's plan with its results.
func (p *parser) checkCount(b *block, what string) error {
	if b.plan >= 0 && b.plan != len(b.tests) {
		return p.errorf(p.lineNo, "plan/count mismatch: %s planned %d tests (line %d) but has %d results", what, b.plan, b.planAt, len(b.tests))
	}
	return nil
}

// finish checks the document at the end of the input.
func (p *parser) finish() error {
	if p.header == 0 {
		if p.firstKTAP != 0 {
			return p.errorf(p.firstKTAP, "no \"KTAP version 1\" header before %q (a KTAP document must start with one)", p.firstKTAPText)
		}
		return p.errorf(p.lineNo, "no \"KTAP version 1\" header in %d lines of output", p.lineNo)
	}
	if len(p.stack) > 1 {
		cur := p.top()
		return p.errorf(p.lineNo, "subtest block %q opened at line %d was never closed by a result line: the output ends inside it (truncated: did the kernel crash or hang?)", p.path(), cur.line)
	}
	b := p.stack[0]
	if b.plan < 0 {
		return p.errorf(p.header, "missing top-level plan (\"1..N\") for the KTAP header at line %d", p.header)
	}
	if b.plan != len(b.tests) {
		return p.errorf(p.lineNo, "plan/count mismatch: top-level plan at line %d says %d tests but the output has %d results", b.planAt, b.plan, len(b.tests))
	}
	return nil
}

// splitDescription splits what follows the test number into the name and
// the directive (after the first '#' not escaped as "\#").
func splitDescription(s string) (name, directive string) {
	s = strings.TrimPrefix(s, "- ")
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' {
			i++
			continue
		}
		if s[i] == '#' {
			name, directive = s[:i], strings.TrimSpace(s[i+1:])
			return unescape(strings.TrimSpace(name)), directive
		}
	}
	return unescape(strings.TrimSpace(s)), ""
}

func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	return strings.NewReplacer(`\#`, `#`, `\\`, `\`).Replace(s)
}

// isSkip reports whether a directive is SKIP (case-insensitive, a whole word).
func isSkip(directive string) bool {
	if len(directive) < 4 || !strings.EqualFold(directive[:4], "SKIP") {
		return false
	}
	return len(directive) == 4 || directive[4] == ' ' || directive[4] == '\t'
}

// Leaves calls fn for every test without subtests, depth first, with the
// names of its ancestors.
func (r *Report) Leaves(fn func(path []string, t *Test)) {
	var walk func(path []string, ts []*Test)
	walk = func(path []string, ts []*Test) {
		for _, t := range ts {
			p := append(path[:len(path):len(path)], t.Name)
			if len(t.Subtests) == 0 {
				fn(p, t)
			} else {
				walk(p, t.Subtests)
			}
		}
	}
	walk(nil, r.Tests)
}

// Counts returns the number of leaf tests by result.
func (r *Report) Counts() (pass, fail, skip int) {
	r.Leaves(func(_ []string, t *Test) {
		switch t.Result {
		case Pass:
			pass++
		case Fail:
			fail++
		case Skip:
			skip++
		}
	})
	return
}
