// msg.go: formatted output without allocation, for trap context.

package console

// Msg builds one line on the stack and prints it at once, so that messages
// from trap context (where fmt cannot be used: it allocates) still come out
// whole:
//
//	var m console.Msg
//	m.S("sys: unknown syscall ").U(nr).S(" (").S(name).S(")\n").Print()
type Msg struct {
	buf [240]byte
	n   int
}

// S appends a string.
func (m *Msg) S(s string) *Msg {
	for i := 0; i < len(s) && m.n < len(m.buf); i++ {
		m.buf[m.n] = s[i]
		m.n++
	}
	return m
}

// C appends a byte.
func (m *Msg) C(c byte) *Msg {
	if m.n < len(m.buf) {
		m.buf[m.n] = c
		m.n++
	}
	return m
}

// U appends an unsigned decimal.
func (m *Msg) U(v uint64) *Msg {
	var tmp [20]byte
	i := len(tmp)
	for {
		i--
		tmp[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			break
		}
	}
	for ; i < len(tmp); i++ {
		m.C(tmp[i])
	}
	return m
}

// I appends a signed decimal.
func (m *Msg) I(v int64) *Msg {
	if v < 0 {
		m.C('-')
		return m.U(uint64(-v))
	}
	return m.U(uint64(v))
}

// X appends 0x and v in hex, 16 digits.
func (m *Msg) X(v uint64) *Msg { return m.S("0x").Hex(v, 16) }

// Hex appends v in hex with at least digits digits, no prefix.
func (m *Msg) Hex(v uint64, digits int) *Msg {
	const hexdigits = "0123456789abcdef"
	var tmp [16]byte
	n := 0
	for v != 0 || n < digits {
		tmp[15-n] = hexdigits[v&15]
		v >>= 4
		n++
		if n == 16 {
			break
		}
	}
	for i := 16 - n; i < 16; i++ {
		m.C(tmp[i])
	}
	return m
}

// String returns what was built (allocates; not for trap context).
func (m *Msg) String() string { return string(m.buf[:m.n]) } // alloc: process context only

// Bytes returns what was built, without copying.
func (m *Msg) Bytes() []byte { return m.buf[:m.n] }

// Print writes the message to the console.
func (m *Msg) Print() { Write(m.buf[:m.n]) }

// PrintLocked writes with the output lock already held (oops path).
func (m *Msg) PrintLocked() {
	for i := 0; i < m.n; i++ {
		putc(m.buf[i])
	}
}
