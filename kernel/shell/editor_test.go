package shell

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

// feed runs input through the editor and returns the completed lines; a
// line that ended with an error is "ERROR: " and the error.
func feed(e *LineEditor, input string) []string {
	var lines []string
	for i := 0; i < len(input); i++ {
		if line, done, err := e.Feed(input[i]); done {
			if err != nil {
				line = "ERROR: " + err.Error()
			}
			lines = append(lines, line)
		}
	}
	return lines
}

func TestEditor(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		lines []string
		echo  string
	}{
		{"plain", "ls -l\r", []string{"ls -l"}, "ls -l\r\n"},
		{"lf", "ls\n", []string{"ls"}, "ls\r\n"},
		{"crlf once", "a\r\nb\r\n", []string{"a", "b"}, "a\r\nb\r\n"},
		{"lfcr once", "a\n\rb\n\r", []string{"a", "b"}, "a\r\nb\r\n"},
		{"cr cr is two", "a\r\r", []string{"a", ""}, "a\r\n\r\n"},
		{"lf lf is two", "\n\n", []string{"", ""}, "\r\n\r\n"},
		{"backspace del", "abc\x7f\x7fx\r", []string{"ax"}, "abc\b \b\b \bx\r\n"},
		{"backspace bs", "ab\x08\r", []string{"a"}, "ab\b \b\r\n"},
		{"backspace empty", "\x7fa\r", []string{"a"}, "a\r\n"},
		{"ctrl-u", "abc\x15xy\r", []string{"xy"}, "abc\b \b\b \b\b \bxy\r\n"},
		{"ctrl-c", "abc\x03", []string{""}, "abc^C\r\n"},
		{"control rings", "a\x01\x02\x04\x7e\x00\tb\r", []string{"a~b"}, "a\a\a\a~\a\ab\r\n"},
		{"high refused", "a\x80\xff\xc3\xa9b\r", []string{"ERROR: non-ASCII byte 0x80: the shell takes ASCII only; line not run"}, "a\ab\r\n"},
		{"utf-8 refused", "h\xc3\xa9llo\r", []string{"ERROR: non-ASCII byte 0xc3: the shell takes ASCII only; line not run"}, "h\allo\r\n"},
		{"ctrl-u forgets high", "a\xc3\x15b\r", []string{"b"}, "a\a\b \bb\r\n"},
		{"ctrl-c forgets high", "a\xc3\x03b\r", []string{"", "b"}, "a\a^C\r\nb\r\n"},
		{"csi ignored", "a\x1b[Cb\x1b[1;5Dc\x1b[3~d\r", []string{"abcd"}, "abcd\r\n"},
		{"ss3 ignored", "a\x1bOPb\r", []string{"ab"}, "ab\r\n"},
		{"lone esc", "a\x1bb\r", []string{"ab"}, "ab\r\n"},
		{"esc esc [", "a\x1b\x1b[Cb\r", []string{"ab"}, "ab\r\n"},
		{"broken csi", "a\x1b[12\rb\r", []string{"a", "b"}, "a\r\nb\r\n"},
		{"ctrl-u aborts csi", "a\x1b[1\x15b\r", []string{"b"}, "a\b \bb\r\n"},
	}
	for _, tt := range tests {
		var echo bytes.Buffer
		e := NewLineEditor(&echo)
		lines := feed(e, tt.in)
		if !reflect.DeepEqual(lines, tt.lines) {
			t.Errorf("%s: lines %q, want %q", tt.name, lines, tt.lines)
		}
		if echo.String() != tt.echo {
			t.Errorf("%s: echo %q, want %q", tt.name, echo.String(), tt.echo)
		}
	}
}

// A line longer than MaxLine is not cut and run: it ends with an error.
// A line of exactly MaxLine bytes is taken.
func TestEditorCap(t *testing.T) {
	var echo bytes.Buffer
	e := NewLineEditor(&echo)
	long := strings.Repeat("x", MaxLine+10)
	lines := feed(e, long+"\r"+strings.Repeat("y", MaxLine+1)+"\r"+strings.Repeat("z", MaxLine)+"\r")
	tooLong := "ERROR: line too long (max 256 bytes); not run"
	want := []string{tooLong, tooLong, strings.Repeat("z", MaxLine)}
	if !reflect.DeepEqual(lines, want) {
		t.Fatalf("lines %.80q; want %.80q", lines, want)
	}
	wantEcho := strings.Repeat("x", MaxLine) + "\a\r\n" + strings.Repeat("y", MaxLine) + "\a\r\n" + strings.Repeat("z", MaxLine) + "\r\n"
	if echo.String() != wantEcho {
		t.Errorf("echo has %d BELs, length %d; want 2 BELs, length %d",
			strings.Count(echo.String(), "\a"), echo.Len(), len(wantEcho))
	}
	if h := e.History(); len(h) != 1 || h[0] != strings.Repeat("z", MaxLine) {
		t.Errorf("history %.40q: refused lines must not be remembered", h)
	}
	// Ctrl-U starts the line afresh.
	if lines := feed(e, long+"\x15ok\r"); !reflect.DeepEqual(lines, []string{"ok"}) {
		t.Errorf("after Ctrl-U: %q", lines)
	}
}

func TestEditorHistory(t *testing.T) {
	var echo bytes.Buffer
	e := NewLineEditor(&echo)
	feed(e, "one\rtwo\rtwo\r\rthree\r")
	if got := e.History(); !reflect.DeepEqual(got, []string{"one", "two", "three"}) {
		t.Fatalf("history %q", got)
	}
	echo.Reset()
	up, down := "\x1b[A", "\x1b[B"
	// Up twice from a draft "dr", down back to "three", edit and enter.
	lines := feed(e, "dr"+up+up+down+"!\r")
	if !reflect.DeepEqual(lines, []string{"three!"}) {
		t.Errorf("lines %q, want [three!]", lines)
	}
	wantEcho := "dr" + "\b \b\b \b" + "three" + strings.Repeat("\b \b", 5) + "two" +
		strings.Repeat("\b \b", 3) + "three" + "!\r\n"
	if echo.String() != wantEcho {
		t.Errorf("echo %q\nwant %q", echo.String(), wantEcho)
	}

	// Up past the oldest stays there; down past the newest restores the
	// draft; application-mode arrows (ESC O A) work too.
	lines = feed(e, "d"+up+up+up+up+up+"\x1bOB"+down+down+down+"\r")
	if !reflect.DeepEqual(lines, []string{"d"}) {
		t.Errorf("lines %q, want [d]", lines)
	}
	lines = feed(e, up+up+up+up+up+up+up+"\r")
	if !reflect.DeepEqual(lines, []string{"one"}) {
		t.Errorf("oldest: %q, want [one]", lines)
	}
	// Ctrl-C'd lines are not remembered.
	feed(e, "secret\x03")
	if got := e.History(); got[len(got)-1] == "secret" {
		t.Errorf("Ctrl-C'd line in history: %q", got)
	}
}

func TestEditorHistoryLimit(t *testing.T) {
	e := NewLineEditor(&bytes.Buffer{})
	for i := 0; i < historySize+5; i++ {
		feed(e, strings.Repeat("a", i+1)+"\r")
	}
	h := e.History()
	if len(h) != historySize || h[0] != strings.Repeat("a", 6) || h[historySize-1] != strings.Repeat("a", historySize+5) {
		t.Errorf("history has %d lines, oldest %q", len(h), h[0])
	}
}
