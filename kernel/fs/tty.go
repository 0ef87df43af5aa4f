// tty.go: the terminal line discipline (Linux's n_tty) as a state
// machine: the kernel feeds it the bytes typed on the serial console
// (Input) and gives it a function to write to the console; programs read,
// write and ioctl it through /dev/console and /dev/tty.

// trapctx: process context only

package fs

import (
	"encoding/binary"
	"time"

	"retract/kernel/abi"
	"retract/lockdep"
)

// TTYHooks connect a TTY to the kernel.
type TTYHooks struct {
	// Output writes bytes to the terminal as they are (the line
	// discipline already turned "\n" into "\r\n"). It is called with
	// fs.TTY.mu held: it must not call back into the TTY and should not
	// block for long.
	Output func(p []byte)
	// Interrupt sends sig (SIGINT for ^C, SIGQUIT for ^\, SIGTSTP for ^Z,
	// SIGWINCH for a new window size) to the foreground process group
	// pgrp. Called with no fs lock held.
	Interrupt func(sig abi.Signal, pgrp int)
	// CheckPgrp validates TIOCSPGRP's group (ESRCH, EPERM); nil accepts
	// any positive number.
	CheckPgrp func(pgrp int) error
}

// ttyBufSize is the input buffer (N_TTY_BUF_SIZE).
const ttyBufSize = 4096

// TTY is one terminal: its termios, window size, foreground process
// group, and the input on its way to readers.
type TTY struct {
	mu    lockdep.Mutex // fs.TTY.mu: everything below
	hooks TTYHooks

	termios abi.Termios
	winsize abi.Winsize
	pgrp    int
	sid     int

	edit  []byte   // canonical: the line being typed
	lines [][]byte // canonical: lines ready to read; an empty one is an end of file (^D)
	raw   []byte   // non-canonical: bytes ready to read
	lnext bool     // the next byte is literal (^V)

	column   int // the output column, for erasing tabs
	canonCol int // the column where the edited line began

	q Queue
}

// NewTTY makes a terminal with Linux's default termios (canonical, echo,
// ISIG, ICRNL, OPOST|ONLCR) and an 80x24 window.
func NewTTY(h TTYHooks) *TTY {
	t := &TTY{hooks: h, termios: abi.DefaultTermios(), winsize: abi.Winsize{Row: 24, Col: 80}}
	t.mu.Class = classTTY
	t.q.init()
	return t
}

// SetForeground sets the foreground process group (the process layer, at
// the first process; TIOCSPGRP too).
func (t *TTY) SetForeground(pgrp int) {
	t.mu.Lock()
	t.pgrp = pgrp
	t.mu.Unlock()
}

// Foreground returns the foreground process group.
func (t *TTY) Foreground() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.pgrp
}

// SetSession sets what TIOCGSID reports (0: ENOTTY).
func (t *TTY) SetSession(sid int) {
	t.mu.Lock()
	t.sid = sid
	t.mu.Unlock()
}

// Termios returns the current settings.
func (t *TTY) Termios() abi.Termios {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.termios
}

func (t *TTY) lflag(f uint32) bool { return t.termios.Lflag&f != 0 }
func (t *TTY) iflag(f uint32) bool { return t.termios.Iflag&f != 0 }
func (t *TTY) oflag(f uint32) bool { return t.termios.Oflag&f != 0 }

// cc returns control character i, or -1 if disabled (0).
func (t *TTY) cc(i int) int {
	if c := t.termios.Cc[i]; c != 0 {
		return int(c)
	}
	return -1
}

// buffered counts the input bytes held. Preconditions: mu held.
func (t *TTY) buffered() int {
	n := len(t.edit) + len(t.raw)
	for _, l := range t.lines {
		n += len(l)
	}
	return n
}

// Input processes bytes typed on the terminal: signals, editing, echo.
// Called by the kernel (process context) with what the serial port
// received.
func (t *TTY) Input(p []byte) {
	var sigs []abi.Signal
	t.mu.Lock()
	var echo, out []byte
	for _, c := range p {
		if sig := t.receive(c, &echo); sig != 0 {
			sigs = append(sigs, sig)
		}
		// Process each byte's echo at once: erasing needs the column.
		if len(echo) > 0 {
			out = append(out, t.opost(echo)...)
			echo = echo[:0]
		}
	}
	if len(out) > 0 && t.hooks.Output != nil {
		t.hooks.Output(out)
	}
	pgrp := t.pgrp
	t.q.Notify()
	t.mu.Unlock()
	if t.hooks.Interrupt != nil {
		for _, s := range sigs {
			t.hooks.Interrupt(s, pgrp)
		}
	}
}

// echoChar appends c's echo: "^X" for a control character with ECHOCTL
// (but tab and newline), else c.
func (t *TTY) echoChar(echo *[]byte, c byte) {
	if t.lflag(abi.ECHOCTL) && isCtl(c) && c != '\t' && c != '\n' {
		*echo = append(*echo, '^', c^0x40)
		return
	}
	*echo = append(*echo, c)
}

func isCtl(c byte) bool { return c < 0x20 || c == 0x7f }

// receive handles one input byte and returns a signal to send, if any.
// Preconditions: mu held.
func (t *TTY) receive(c byte, echo *[]byte) abi.Signal {
	if t.iflag(abi.ISTRIP) {
		c &= 0x7f
	}
	canon := t.lflag(abi.ICANON)
	doEcho := t.lflag(abi.ECHO)
	if t.lnext {
		t.lnext = false
		if canon && doEcho && len(*echo) >= 2 {
			*echo = append(*echo, '\b', '\b') // over the "^\b" echoed for ^V
		}
		return t.store(c, echo, canon, doEcho)
	}
	switch {
	case c == '\r' && t.iflag(abi.IGNCR):
		return 0
	case c == '\r' && t.iflag(abi.ICRNL):
		c = '\n'
	case c == '\n' && t.iflag(abi.INLCR):
		c = '\r'
	}
	ci := int(c)
	if t.lflag(abi.ISIG) {
		var sig abi.Signal
		switch ci {
		case t.cc(abi.VINTR):
			sig = abi.SIGINT
		case t.cc(abi.VQUIT):
			sig = abi.SIGQUIT
		case t.cc(abi.VSUSP):
			sig = abi.SIGTSTP
		}
		if sig != 0 {
			if !t.lflag(abi.NOFLSH) {
				t.edit, t.lines, t.raw = nil, nil, nil
			}
			if doEcho {
				t.echoChar(echo, c)
			}
			return sig
		}
	}
	if t.iflag(abi.IXON) && (ci == t.cc(abi.VSTOP) || ci == t.cc(abi.VSTART)) {
		return 0 // flow control: consumed (output is never stopped)
	}
	if !canon {
		return t.store(c, echo, false, doEcho)
	}
	iexten := t.lflag(abi.IEXTEN)
	switch {
	case ci == t.cc(abi.VERASE) || c == '\b' && t.cc(abi.VERASE) == 0x7f:
		t.erase(echo, eraseChar)
	case iexten && ci == t.cc(abi.VWERASE):
		t.erase(echo, eraseWord)
	case ci == t.cc(abi.VKILL):
		t.erase(echo, eraseLine)
	case ci == t.cc(abi.VEOF):
		t.pushLine()
	case iexten && ci == t.cc(abi.VLNEXT):
		t.lnext = true
		if doEcho {
			t.startEcho()
			*echo = append(*echo, '^', '\b')
		}
	case iexten && ci == t.cc(abi.VREPRINT):
		if doEcho {
			t.echoChar(echo, c)
			*echo = append(*echo, '\n')
			for _, b := range t.edit {
				t.echoChar(echo, b)
			}
		}
	default:
		return t.store(c, echo, true, doEcho)
	}
	return 0
}

// store adds an ordinary byte (canonical: to the edited line, ending it
// on a newline or EOL character; else to the raw input) and echoes it.
func (t *TTY) store(c byte, echo *[]byte, canon, doEcho bool) abi.Signal {
	ci := int(c)
	eol := canon && (c == '\n' || ci == t.cc(abi.VEOL) || t.lflag(abi.IEXTEN) && ci == t.cc(abi.VEOL2))
	n := t.buffered()
	if n >= ttyBufSize || n >= ttyBufSize-1 && !eol {
		return 0 // full: dropped (Linux keeps room for the line's end)
	}
	if doEcho {
		if canon && len(t.edit) == 0 {
			t.startEcho()
		}
		t.echoChar(echo, c)
	} else if c == '\n' && canon && t.lflag(abi.ECHONL) {
		*echo = append(*echo, '\n')
	}
	if !canon {
		t.raw = append(t.raw, c)
		return 0
	}
	t.edit = append(t.edit, c)
	if eol {
		t.pushLine()
	}
	return 0
}

// startEcho records the column where a new edited line starts.
func (t *TTY) startEcho() { t.canonCol = t.column }

// pushLine makes the edited line readable (an empty one reads as end of
// file).
func (t *TTY) pushLine() {
	t.lines = append(t.lines, t.edit)
	t.edit = nil
}

const (
	eraseChar = iota
	eraseWord
	eraseLine
)

// erase removes the last character, word or the whole edited line, and
// echoes its erasure.
func (t *TTY) erase(echo *[]byte, kind int) {
	if len(t.edit) == 0 {
		return
	}
	doEcho := t.lflag(abi.ECHO)
	if kind == eraseLine && (!doEcho || !t.lflag(abi.ECHOK) || !t.lflag(abi.ECHOKE) || !t.lflag(abi.ECHOE)) {
		t.edit = nil
		if doEcho {
			t.echoChar(echo, t.termios.Cc[abi.VKILL])
			if t.lflag(abi.ECHOK) {
				*echo = append(*echo, '\n')
			}
		}
		return
	}
	seenAlnum := false
	for len(t.edit) > 0 {
		// One character: a UTF-8 lead byte takes its continuation bytes.
		i := len(t.edit) - 1
		if t.iflag(abi.IUTF8) {
			for i > 0 && t.edit[i]&0xc0 == 0x80 {
				i--
			}
		}
		c := t.edit[i]
		if kind == eraseWord {
			if isAlnum(c) {
				seenAlnum = true
			} else if seenAlnum {
				break
			}
		}
		t.edit = t.edit[:i]
		if doEcho {
			switch {
			case kind == eraseChar && !t.lflag(abi.ECHOE):
				t.echoChar(echo, t.termios.Cc[abi.VERASE])
			case c == '\t':
				col := t.canonCol
				for _, b := range t.edit {
					switch {
					case b == '\t':
						col = col | 7 + 1
					case isCtl(b) && t.lflag(abi.ECHOCTL):
						col += 2
					case b&0xc0 == 0x80 && t.iflag(abi.IUTF8):
					case !isCtl(b):
						col++
					}
				}
				for k := t.column - col; k > 0; k-- {
					*echo = append(*echo, '\b')
				}
			default:
				w := 1
				if isCtl(c) {
					w = 0
					if t.lflag(abi.ECHOCTL) {
						w = 2
					}
				}
				for ; w > 0; w-- {
					*echo = append(*echo, '\b', ' ', '\b')
				}
			}
		}
		if kind == eraseChar {
			break
		}
	}
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
}

// opost applies output processing (OPOST: ONLCR, OCRNL, ONOCR, ONLRET,
// OLCUC) and tracks the column. Preconditions: mu held.
func (t *TTY) opost(p []byte) []byte {
	if !t.oflag(abi.OPOST) {
		return append([]byte(nil), p...)
	}
	out := make([]byte, 0, len(p)+8)
	for _, c := range p {
		switch c {
		case '\n':
			if t.oflag(abi.ONLRET) {
				t.column = 0
			}
			if t.oflag(abi.ONLCR) {
				t.column, t.canonCol = 0, 0
				out = append(out, '\r', '\n')
				continue
			}
			t.canonCol = t.column
		case '\r':
			if t.oflag(abi.ONOCR) && t.column == 0 {
				continue
			}
			if t.oflag(abi.OCRNL) {
				c = '\n'
				if t.oflag(abi.ONLRET) {
					t.column, t.canonCol = 0, 0
				}
				break
			}
			t.column, t.canonCol = 0, 0
		case '\t':
			t.column = t.column | 7 + 1
		case '\b':
			if t.column > 0 {
				t.column--
			}
		default:
			if !isCtl(c) {
				if t.oflag(abi.OLCUC) && c >= 'a' && c <= 'z' {
					c -= 'a' - 'A'
				}
				if !(t.iflag(abi.IUTF8) && c&0xc0 == 0x80) {
					t.column++
				}
			}
		}
		out = append(out, c)
	}
	return out
}

// Write writes p to the terminal (output processing applied) and returns
// len(p).
func (t *TTY) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.hooks.Output != nil && len(p) > 0 {
		t.hooks.Output(t.opost(p))
	}
	return len(p), nil
}

// Read reads input: in canonical mode one line at most (0 at an end of
// file, ^D at the start of a line); otherwise as VMIN and VTIME say (MIN
// bytes at least, or whatever came within TIME tenths of a second).
// EAGAIN when nonblock and nothing is ready; ERESTARTSYS when intr fires.
func (t *TTY) Read(p []byte, nonblock bool, intr <-chan struct{}) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	var timeout <-chan time.Time
	lastLen := -1
	for {
		if t.lflag(abi.ICANON) {
			if len(t.lines) > 0 {
				return t.takeLine(p), nil
			}
		} else {
			vmin, vtime := int(t.termios.Cc[abi.VMIN]), int(t.termios.Cc[abi.VTIME])
			want := max(1, min(vmin, len(p)))
			switch {
			case len(t.raw) >= want, vmin == 0 && vtime == 0, nonblock && len(t.raw) > 0:
				return t.takeRaw(p), nil
			case vtime > 0 && (vmin == 0 && timer == nil || vmin > 0 && len(t.raw) > 0 && len(t.raw) != lastLen):
				// VMIN 0: one timer for the whole read; VMIN > 0: the
				// inter-byte timer, restarted by every byte.
				if timer != nil {
					timer.Stop()
				}
				timer = time.NewTimer(time.Duration(vtime) * 100 * time.Millisecond)
				timeout = timer.C
				lastLen = len(t.raw)
			}
		}
		if nonblock {
			return 0, abi.EAGAIN
		}
		ch := t.q.Changed()
		t.mu.Unlock()
		err := block(ch, intr, timeout, abi.ERESTARTSYS)
		t.mu.Lock()
		if err == errTimeout {
			return t.takeRaw(p), nil
		}
		if err != nil {
			return 0, err
		}
	}
}

// takeLine reads from the first ready line. Preconditions: mu held, a
// line ready.
func (t *TTY) takeLine(p []byte) int {
	l := t.lines[0]
	n := copy(p, l)
	if n == len(l) {
		t.lines = t.lines[1:]
	} else {
		t.lines[0] = l[n:]
	}
	t.q.Notify()
	return n
}

func (t *TTY) takeRaw(p []byte) int {
	n := copy(p, t.raw)
	t.raw = t.raw[n:]
	if len(t.raw) == 0 {
		t.raw = nil
	}
	t.q.Notify()
	return n
}

// Poll returns EPOLLIN when a read would not block (a line, or VMIN
// bytes) and EPOLLOUT always.
func (t *TTY) Poll() uint32 {
	t.mu.Lock()
	defer t.mu.Unlock()
	ev := uint32(abi.POLLOUT | abi.POLLWRNORM)
	if t.readable() {
		ev |= abi.POLLIN | abi.POLLRDNORM
	}
	return ev
}

func (t *TTY) readable() bool {
	if t.lflag(abi.ICANON) {
		return len(t.lines) > 0
	}
	amt := 1
	if t.termios.Cc[abi.VTIME] == 0 && t.termios.Cc[abi.VMIN] > 0 {
		amt = int(t.termios.Cc[abi.VMIN])
	}
	return len(t.raw) >= amt
}

// setTermios installs new settings; leaving canonical mode makes the
// edited line readable as it is, entering it makes the bytes waiting one
// line (Linux's n_tty_set_termios).
func (t *TTY) setTermios(nt abi.Termios, flush bool) {
	wasCanon := t.lflag(abi.ICANON)
	t.termios = nt
	if flush {
		t.edit, t.lines, t.raw = nil, nil, nil
	}
	switch canon := t.lflag(abi.ICANON); {
	case wasCanon && !canon:
		for _, l := range t.lines {
			t.raw = append(t.raw, l...)
		}
		t.raw = append(t.raw, t.edit...)
		t.lines, t.edit = nil, nil
	case !wasCanon && canon && len(t.raw) > 0:
		t.lines = [][]byte{t.raw}
		t.raw = nil
	}
	t.q.Notify()
}

// Ioctl handles the terminal's requests: TCGETS, TCSETS, TCSETSW,
// TCSETSF, TIOCGWINSZ, TIOCSWINSZ (a new size sends SIGWINCH), TIOCGPGRP,
// TIOCSPGRP, TIOCSCTTY and TIOCNOTTY (accepted), TIOCGSID, FIONREAD,
// TIOCOUTQ, TCFLSH, TCSBRK, TCXONC; ENOTTY for anything else.
func (t *TTY) Ioctl(cmd uint32, arg IoctlArg) (uint64, error) {
	switch cmd {
	case abi.TCGETS:
		tm := t.Termios()
		return 0, arg.CopyOut(tm.Encode())
	case abi.TCSETS, abi.TCSETSW, abi.TCSETSF:
		b := make([]byte, abi.TermiosSize)
		if err := arg.CopyIn(b); err != nil {
			return 0, err
		}
		nt, err := abi.DecodeTermios(b)
		if err != nil {
			return 0, err
		}
		t.mu.Lock()
		t.setTermios(nt, cmd == abi.TCSETSF)
		t.mu.Unlock()
		return 0, nil
	case abi.TIOCGWINSZ:
		t.mu.Lock()
		w := t.winsize
		t.mu.Unlock()
		return 0, arg.CopyOut(w.Encode())
	case abi.TIOCSWINSZ:
		b := make([]byte, abi.WinsizeSize)
		if err := arg.CopyIn(b); err != nil {
			return 0, err
		}
		w, _ := abi.DecodeWinsize(b)
		t.mu.Lock()
		changed := w != t.winsize
		t.winsize = w
		pgrp := t.pgrp
		t.mu.Unlock()
		if changed && pgrp > 0 && t.hooks.Interrupt != nil {
			t.hooks.Interrupt(abi.SIGWINCH, pgrp)
		}
		return 0, nil
	case abi.TIOCGPGRP:
		return 0, putInt32(arg, int32(t.Foreground()))
	case abi.TIOCSPGRP:
		var b [4]byte
		if err := arg.CopyIn(b[:]); err != nil {
			return 0, err
		}
		pgrp := int(int32(binary.LittleEndian.Uint32(b[:])))
		if pgrp < 0 {
			return 0, abi.EINVAL
		}
		if t.hooks.CheckPgrp != nil {
			if err := t.hooks.CheckPgrp(pgrp); err != nil {
				return 0, err
			}
		}
		t.SetForeground(pgrp)
		return 0, nil
	case abi.TIOCGSID:
		t.mu.Lock()
		sid := t.sid
		t.mu.Unlock()
		if sid == 0 {
			return 0, abi.ENOTTY
		}
		return 0, putInt32(arg, int32(sid))
	case abi.TIOCSCTTY, abi.TIOCNOTTY, abi.TCSBRK, abi.TCXONC:
		return 0, nil
	case abi.FIONREAD:
		t.mu.Lock()
		n := len(t.raw)
		for _, l := range t.lines {
			n += len(l)
		}
		t.mu.Unlock()
		return 0, putInt32(arg, int32(n))
	case abi.TIOCOUTQ:
		return 0, putInt32(arg, 0)
	case abi.TCFLSH:
		switch arg.Value() {
		case abi.TCIFLUSH, abi.TCIOFLUSH:
			t.mu.Lock()
			t.edit, t.lines, t.raw = nil, nil, nil
			t.q.Notify()
			t.mu.Unlock()
		case abi.TCOFLUSH:
		default:
			return 0, abi.EINVAL
		}
		return 0, nil
	}
	return 0, abi.ENOTTY
}

// Open makes a TTY a Device: /dev/console and /dev/tty open it.
func (t *TTY) Open(f *File) (FileOps, error) {
	f.stream = true
	return ttyOps{t}, nil
}

type ttyOps struct{ t *TTY }

func (o ttyOps) Read(f *File, p []byte, _ *int64, intr <-chan struct{}) (int, error) {
	return o.t.Read(p, f.Nonblock(), intr)
}

func (o ttyOps) Write(f *File, p []byte, _ *int64, _ <-chan struct{}) (int, error) {
	return o.t.Write(p)
}

func (o ttyOps) Poll(*File) uint32                                       { return o.t.Poll() }
func (o ttyOps) Queue(*File) *Queue                                      { return &o.t.q }
func (o ttyOps) Ioctl(_ *File, cmd uint32, arg IoctlArg) (uint64, error) { return o.t.Ioctl(cmd, arg) }
func (o ttyOps) Release(*File)                                           {}
