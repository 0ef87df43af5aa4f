// termios.go: the kernel's struct termios (TCGETS/TCSETS, 36 bytes on
// x86-64) and struct winsize.

// trapctx: process context only

package abi

// NCCS is the number of control characters in the kernel's termios.
const NCCS = 19

// Indices into Termios.Cc.
const (
	VINTR    = 0
	VQUIT    = 1
	VERASE   = 2
	VKILL    = 3
	VEOF     = 4
	VTIME    = 5
	VMIN     = 6
	VSWTC    = 7
	VSTART   = 8
	VSTOP    = 9
	VSUSP    = 10
	VEOL     = 11
	VREPRINT = 12
	VDISCARD = 13
	VWERASE  = 14
	VLNEXT   = 15
	VEOL2    = 16
)

// c_iflag bits.
const (
	IGNBRK  = 0o1
	BRKINT  = 0o2
	IGNPAR  = 0o4
	PARMRK  = 0o10
	INPCK   = 0o20
	ISTRIP  = 0o40
	INLCR   = 0o100
	IGNCR   = 0o200
	ICRNL   = 0o400
	IUCLC   = 0o1000
	IXON    = 0o2000
	IXANY   = 0o4000
	IXOFF   = 0o10000
	IMAXBEL = 0o20000
	IUTF8   = 0o40000
)

// c_oflag bits.
const (
	OPOST  = 0o1
	OLCUC  = 0o2
	ONLCR  = 0o4
	OCRNL  = 0o10
	ONOCR  = 0o20
	ONLRET = 0o40
)

// c_cflag bits.
const (
	CBAUD   = 0o10017
	B38400  = 0o17
	B115200 = 0o10002
	CSIZE   = 0o60
	CS8     = 0o60
	CSTOPB  = 0o100
	CREAD   = 0o200
	PARENB  = 0o400
	HUPCL   = 0o2000
	CLOCAL  = 0o4000
)

// c_lflag bits.
const (
	ISIG    = 0o1
	ICANON  = 0o2
	XCASE   = 0o4
	ECHO    = 0o10
	ECHOE   = 0o20
	ECHOK   = 0o40
	ECHONL  = 0o100
	NOFLSH  = 0o200
	TOSTOP  = 0o400
	ECHOCTL = 0o1000
	ECHOPRT = 0o2000
	ECHOKE  = 0o4000
	FLUSHO  = 0o10000
	PENDIN  = 0o40000
	IEXTEN  = 0o100000
	EXTPROC = 0o200000
)

// Termios is the kernel's struct termios (not glibc's, which is larger).
type Termios struct {
	Iflag, Oflag, Cflag, Lflag uint32
	Line                       uint8
	Cc                         [NCCS]uint8
}

// TermiosSize is sizeof(struct termios) for TCGETS on x86-64.
const TermiosSize = 36

// DefaultTermios is Linux's tty_std_termios: ICRNL|IXON, OPOST|ONLCR,
// B38400|CS8|CREAD|HUPCL, ISIG|ICANON|ECHO|ECHOE|ECHOK|ECHOCTL|ECHOKE|
// IEXTEN, and INIT_C_CC (^C ^\ DEL ^U ^D, TIME 0, MIN 1, ^Q ^S ^Z, ^R ^O
// ^W ^V).
func DefaultTermios() Termios {
	return Termios{
		Iflag: ICRNL | IXON,
		Oflag: OPOST | ONLCR,
		Cflag: B38400 | CS8 | CREAD | HUPCL,
		Lflag: ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN,
		Cc:    [NCCS]uint8{VINTR: 3, VQUIT: 0x1c, VERASE: 0x7f, VKILL: 0x15, VEOF: 4, VTIME: 0, VMIN: 1, VSTART: 0x11, VSTOP: 0x13, VSUSP: 0x1a, VREPRINT: 0x12, VDISCARD: 0x0f, VWERASE: 0x17, VLNEXT: 0x16},
	}
}

// Encode returns the 36 bytes: c_iflag 0, c_oflag 4, c_cflag 8, c_lflag
// 12, c_line 16, c_cc[19] 17.
func (t *Termios) Encode() []byte {
	b := make([]byte, TermiosSize)
	le.PutUint32(b[0:], t.Iflag)
	le.PutUint32(b[4:], t.Oflag)
	le.PutUint32(b[8:], t.Cflag)
	le.PutUint32(b[12:], t.Lflag)
	b[16] = t.Line
	copy(b[17:], t.Cc[:])
	return b
}

// DecodeTermios reads a termios from the 36 bytes TCSETS copies in.
func DecodeTermios(b []byte) (Termios, error) {
	var t Termios
	if len(b) < TermiosSize {
		return t, EFAULT
	}
	t.Iflag, t.Oflag = le.Uint32(b[0:]), le.Uint32(b[4:])
	t.Cflag, t.Lflag = le.Uint32(b[8:]), le.Uint32(b[12:])
	t.Line = b[16]
	copy(t.Cc[:], b[17:TermiosSize])
	return t, nil
}

// Winsize is struct winsize (TIOCGWINSZ): ws_row 0, ws_col 2, ws_xpixel
// 4, ws_ypixel 6.
type Winsize struct {
	Row, Col, Xpixel, Ypixel uint16
}

// WinsizeSize is sizeof(struct winsize).
const WinsizeSize = 8

// Encode returns the 8 bytes of w.
func (w *Winsize) Encode() []byte {
	b := make([]byte, WinsizeSize)
	le.PutUint16(b[0:], w.Row)
	le.PutUint16(b[2:], w.Col)
	le.PutUint16(b[4:], w.Xpixel)
	le.PutUint16(b[6:], w.Ypixel)
	return b
}

// DecodeWinsize reads a winsize (TIOCSWINSZ).
func DecodeWinsize(b []byte) (Winsize, error) {
	if len(b) < WinsizeSize {
		return Winsize{}, EFAULT
	}
	return Winsize{le.Uint16(b[0:]), le.Uint16(b[2:]), le.Uint16(b[4:]), le.Uint16(b[6:])}, nil
}
