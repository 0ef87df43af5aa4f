// log.go: the console log, a ring of the last LogSize bytes the console
// wrote, like the kernel log buffer Linux's dmesg reads (much reduced: no
// records, levels or timestamps, just the byte stream).

package console

// LogSize is the size of the console log: the last 64 KiB of output.
const LogSize = 64 << 10

// Ring keeps the last LogSize bytes appended to it. It neither allocates
// nor locks: its writer serialises appends (the console appends under
// outLock), so trap context and the oops path can use it. A debugger reads
// it from memory (tools/gdb/retract.py's rt-dmesg reads Log): the bytes of
// the stream from max(0, Head-LogSize) to Head are Buf[i%LogSize].
type Ring struct {
	// Head counts the bytes ever appended; the next one goes to
	// Buf[Head%LogSize].
	Head uint64
	Buf  [LogSize]byte
}

// AppendByte appends c, overwriting the oldest byte when the ring is full.
func (r *Ring) AppendByte(c byte) {
	r.Buf[r.Head%LogSize] = c
	r.Head++
}

// Append appends p.
func (r *Ring) Append(p []byte) {
	for _, c := range p {
		r.AppendByte(c)
	}
}

// Len returns the number of bytes the ring holds (at most LogSize).
func (r *Ring) Len() int { return int(min(r.Head, LogSize)) }

// AppendTo appends the bytes the ring holds, oldest first, to dst and
// returns the result. It may allocate (process context); the caller keeps
// the ring from changing meanwhile (for the console: outLock, or a stopped
// machine).
func (r *Ring) AppendTo(dst []byte) []byte {
	n := uint64(r.Len())
	start := (r.Head - n) % LogSize
	if start+n <= LogSize {
		return append(dst, r.Buf[start:start+n]...) // alloc: process context only
	}
	dst = append(dst, r.Buf[start:]...)            // alloc: process context only
	return append(dst, r.Buf[:start+n-LogSize]...) // alloc: process context only
}

// Log is the console log: every byte sent through Write, WriteString,
// WriteRaw, WriteLocked and Msg.Print, in order, appended under outLock.
// Lines end in "\n" alone (the "\r" that Write sends before each "\n" is
// not kept; WriteRaw's bytes are kept as they are).
var Log Ring
