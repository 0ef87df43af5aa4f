package shell

import (
	"fmt"
	"io"
)

// MaxLine is the longest line the editor accepts, in bytes.
const MaxLine = 256

// Control bytes the editor acts on.
const (
	ctrlC     = 0x03
	backspace = 0x08
	bell      = 0x07
	ctrlU     = 0x15
	esc       = 0x1b
	del       = 0x7f
)

// escape-sequence states of the editor.
const (
	escNone = iota // not in a sequence
	escSeen        // after ESC
	escCSI         // after ESC [, until a final byte 0x40..0x7e
	escSS3         // after ESC O, waiting for one byte
)

// LineEditor turns the bytes typed on a raw terminal into lines, echoing
// what the terminal should show. It understands printable ASCII, Backspace
// (DEL or BS), Ctrl-U (erase line), Ctrl-C (discard line), CR or LF (end of
// line; a CR LF or LF CR pair counts once) and the up and down arrows
// (history of the last 32 lines). Other escape sequences are ignored, and
// so are other control bytes, which ring the bell.
//
// Nothing typed is changed behind the user's back: a line that was too
// long (more than MaxLine bytes; the first byte dropped rings the bell) or
// that held a byte >= 0x80 (the shell takes ASCII only) ends with an error
// instead of a line to run. Ctrl-U, which erases the line, forgets both.
type LineEditor struct {
	echo     io.Writer
	buf      []byte // the line so far
	tooLong  bool   // bytes were dropped from this line (the bell rang)
	nonASCII byte   // the first byte >= 0x80 typed on this line, or 0
	esc      int    // escape-sequence state
	pairEnd  byte   // '\r' or '\n' if it just ended a line
	hist     history
}

// LineError is why a line ended without being taken: it is not run.
type LineError struct {
	TooLong  bool // longer than MaxLine bytes
	NonASCII byte // a byte >= 0x80 on the line (when not TooLong)
}

func (e *LineError) Error() string {
	if e.TooLong {
		return fmt.Sprintf("line too long (max %d bytes); not run", MaxLine)
	}
	return fmt.Sprintf("non-ASCII byte %#x: the shell takes ASCII only; line not run", e.NonASCII)
}

// NewLineEditor returns an editor that writes its echo to echo. Write
// errors on echo are ignored: there is nowhere to report them.
func NewLineEditor(echo io.Writer) *LineEditor {
	return &LineEditor{echo: echo, buf: make([]byte, 0, MaxLine)}
}

// Feed processes one input byte. When it completes a line it returns the
// line and done = true; Ctrl-C completes an empty line (the typed text is
// discarded, and not remembered). A line that cannot be taken as typed
// completes with a *LineError instead (and an empty line): it must not
// run, and it is not remembered.
func (e *LineEditor) Feed(b byte) (line string, done bool, err error) {
	if p := e.pairEnd; p != 0 {
		e.pairEnd = 0
		if p == '\r' && b == '\n' || p == '\n' && b == '\r' {
			return "", false, nil
		}
	}
	line, done = e.feed(b)
	if done && (e.tooLong || e.nonASCII != 0) {
		err = &LineError{TooLong: e.tooLong, NonASCII: e.nonASCII}
		line = ""
	}
	if done {
		if err == nil && line != "" {
			e.hist.add(line)
		} else {
			e.hist.reset()
		}
		e.endLine()
	}
	return line, done, err
}

// feed is Feed without the end-of-line bookkeeping.
func (e *LineEditor) feed(b byte) (line string, done bool) {

	switch e.esc {
	case escSeen:
		e.esc = escNone
		switch b {
		case '[':
			e.esc = escCSI
			return "", false
		case 'O':
			e.esc = escSS3
			return "", false
		}
		// A lone ESC: drop it and treat b as ordinary input.
	case escCSI:
		switch {
		case b >= 0x20 && b <= 0x3f: // parameter and intermediate bytes
			return "", false
		case b >= 0x40 && b <= 0x7e: // final byte
			e.esc = escNone
			e.arrow(b)
			return "", false
		}
		// Not part of a sequence: abandon it and treat b as input.
		e.esc = escNone
	case escSS3:
		e.esc = escNone
		if b >= 0x20 && b <= 0x7e {
			e.arrow(b) // application-mode arrows are ESC O A / ESC O B
			return "", false
		}
	}

	switch {
	case b == '\r' || b == '\n':
		line = string(e.buf)
		e.pairEnd = b
		e.write("\r\n")
		return line, true
	case b == ctrlC:
		e.buf = e.buf[:0]
		e.tooLong, e.nonASCII = false, 0
		e.write("^C\r\n")
		return "", true
	case b == ctrlU:
		e.replace("")
	case b == del || b == backspace:
		if n := len(e.buf); n > 0 {
			e.buf = e.buf[:n-1]
			e.write("\b \b")
		}
	case b == esc:
		e.esc = escSeen
	case b >= 0x20 && b <= 0x7e:
		if len(e.buf) >= MaxLine {
			if !e.tooLong {
				e.tooLong = true
				e.write(string(rune(bell)))
			}
			return "", false
		}
		e.buf = append(e.buf, b)
		e.write(string(rune(b)))
	case b >= 0x80:
		if e.nonASCII == 0 {
			e.nonASCII = b
			e.write(string(rune(bell)))
		}
	default: // another control byte: not a key the editor knows
		e.write(string(rune(bell)))
	}
	return "", false
}

// History returns the remembered lines, oldest first.
func (e *LineEditor) History() []string {
	return append([]string(nil), e.hist.lines...)
}

// arrow acts on the final byte of an escape sequence: A is up, B is down.
func (e *LineEditor) arrow(final byte) {
	var (
		s  string
		ok bool
	)
	switch final {
	case 'A':
		s, ok = e.hist.up(string(e.buf))
	case 'B':
		s, ok = e.hist.down()
	}
	if ok {
		e.replace(s)
	}
}

// replace erases the line on the terminal and shows s instead.
func (e *LineEditor) replace(s string) {
	for range e.buf {
		e.write("\b \b")
	}
	e.buf = append(e.buf[:0], s...)
	e.tooLong, e.nonASCII = false, 0
	e.write(s)
}

// endLine starts a new, empty line.
func (e *LineEditor) endLine() {
	e.buf = e.buf[:0]
	e.tooLong, e.nonASCII = false, 0
	e.esc = escNone
}

func (e *LineEditor) write(s string) {
	if s != "" {
		_, _ = io.WriteString(e.echo, s)
	}
}
