// Package console owns COM1, the 16550 UART that is retract's serial
// console: output for every context (Go code, trap handlers, oops reports)
// and input through the UART's receive interrupt into a ring buffer.
//
// Locking: outLock serialises output, and with it the appends to Log, so
// that lines from different CPUs do not interleave mid-line; it is taken
// with interrupts off (LockIRQ) because trap handlers print too. An oops breaks the lock (BreakLock) after a
// bounded wait rather than deadlock against the CPU that crashed holding it.
// inLock protects the input ring; the receive interrupt and readers take it.
// The interrupt also acts on two keys at once (input.go): Ctrl-C bumps
// Interrupts (atomic, no lock) and Ctrl-\ runs the backtrace hook after
// inLock is released.
//
// Nothing here allocates: output goes byte by byte to the UART, and into
// the console log (Log, log.go), a 64 KiB ring kept for debuggers: gdb's
// rt-dmesg (tools/gdb/retract.py) prints it from a stopped machine.
package console

import (
	"github.com/usbarmory/tamago/soc/intel/uart"

	"retract/arch/amd64"
	"retract/lockdep"
)

// COM1 on every PC-compatible machine, microvm included.
const (
	com1Base = 0x3f8
	com1IRQ  = 4 // ISA IRQ 4 = IOAPIC GSI 4

	regIER = 1 // interrupt enable
	regFCR = 2 // FIFO control
	regLCR = 3 // line control
	regLSR = 5 // line status

	ierRxData = 1 << 0 // interrupt when received data is available
)

var (
	port    = uart.UART{Index: 1, Base: com1Base}
	outLock amd64.SpinLock

	// Written is the number of bytes sent, for statistics.
	Written uint64
)

func init() { outLock.SetClass(lockdep.Register("console.outLock", lockdep.Spin)) }

// Init programs COM1: 8N1, FIFOs on, modem-control OUT2 (which gates the
// interrupt line on PCs) through tamago's driver. Safe before the Go runtime
// starts.
func Init() {
	amd64.Outb(com1Base+regIER, 0)
	amd64.Outb(com1Base+regLCR, 0x03) // 8 data bits, no parity, 1 stop bit
	amd64.Outb(com1Base+regFCR, 0x07) // enable and clear both FIFOs
	port.Init()
}

// IRQ returns the ISA interrupt line of the console.
func IRQ() int { return com1IRQ }

// EnableRxInterrupt asks the UART to interrupt when a byte arrives.
func EnableRxInterrupt() { amd64.Outb(com1Base+regIER, ierRxData) }

func putc(c byte) {
	if c == '\n' {
		port.Tx('\r')
	}
	port.Tx(c)
	Log.AppendByte(c)
	Written++
}

// Write sends p; "\n" becomes "\r\n". It implements io.Writer for Go code
// (fmt.Fprintf(console.W, ...)) and is safe in trap context.
func Write(p []byte) {
	f := outLock.LockIRQ()
	for _, c := range p {
		putc(c)
	}
	outLock.UnlockIRQ(f)
}

// WriteRaw sends p exactly as it is (a terminal's line discipline has
// already turned "\n" into "\r\n").
func WriteRaw(p []byte) {
	f := outLock.LockIRQ()
	for _, c := range p {
		port.Tx(c)
		Log.AppendByte(c)
		Written++
	}
	outLock.UnlockIRQ(f)
}

// WriteString is Write for a string.
func WriteString(s string) {
	f := outLock.LockIRQ()
	for i := 0; i < len(s); i++ {
		putc(s[i])
	}
	outLock.UnlockIRQ(f)
}

// writer adapts Write to io.Writer.
type writer struct{}

func (writer) Write(p []byte) (int, error) { Write(p); return len(p), nil }

// W is the console as an io.Writer.
var W writer

// BreakLock is for the oops path: it waits a little for the output lock and
// then takes it over, so that a CPU that died holding it cannot silence the
// report. It returns with the lock held and interrupts off.
func BreakLock() {
	amd64.Cli()
	for i := 0; i < 1000000; i++ {
		if outLock.TryLock() {
			return
		}
		amd64.Pause()
	}
	// Whoever holds it is not coming back.
}

// UnlockBroken releases the lock taken by BreakLock (interrupts stay off).
func UnlockBroken() { outLock.Unlock() }

// WriteLocked writes with the output lock already held (after BreakLock).
func WriteLocked(s string) {
	for i := 0; i < len(s); i++ {
		putc(s[i])
	}
}
