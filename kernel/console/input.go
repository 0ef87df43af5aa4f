// input.go: console input, from the UART's receive interrupt into a ring.
//
// Two keys act at once, in the interrupt, like a terminal's signal keys
// and Linux's sysrq: Ctrl-C (0x03) is counted (Interrupts; the shell's long
// commands watch the count and stop) and still queued; Ctrl-\ (0x1c) is
// not queued but runs the backtrace hook (every CPU's backtrace, through
// an NMI: it works while a CPU spins with interrupts off).

package console

import (
	"sync/atomic"

	"retract/arch/amd64"
	"retract/lockdep"
)

// The keys the interrupt acts on.
const (
	KeyInterrupt = 0x03 // Ctrl-C: stop the running command
	KeyBacktrace = 0x1c // Ctrl-\: backtrace of every CPU
)

const ringSize = 4096

var (
	inLock amd64.SpinLock
	ring   [ringSize]byte
	head   uint32 // next byte to read
	tail   uint32 // next free slot
	// Received counts bytes taken from the UART; Dropped those lost because
	// the ring was full (a flood of input loses bytes, never the kernel).
	Received, Dropped uint64

	inputHook, backtraceHook func()

	// Interrupts counts the Ctrl-C bytes queued so far.
	Interrupts atomic.Uint64
)

func init() { inLock.SetClass(lockdep.Register("console.inLock", lockdep.Spin)) }

// SetInputHook installs a function called (in trap context) after new input
// arrived; the syscall layer uses it to wake a reader.
func SetInputHook(f func()) { inputHook = f } // wb: set at boot, before the runtime

// SetBacktraceKey installs what Ctrl-\ runs (in trap context, with the
// input lock released).
func SetBacktraceKey(f func()) { backtraceHook = f } // wb: set at boot, before the runtime

// Interrupt drains the UART's receive FIFO into the ring. It runs in trap
// context (the serial interrupt) and from every CPU's tick as a fallback
// poll — which is how the keys still work while the CPU the serial
// interrupt goes to spins with interrupts off.
func Interrupt() {
	got, backtrace := false, false
	f := inLock.LockIRQ()
	for amd64.Inb(com1Base+regLSR)&1 != 0 {
		c := amd64.Inb(com1Base)
		Received++
		if c == KeyBacktrace {
			backtrace = true
			continue
		}
		if tail-head == ringSize {
			Dropped++
			continue
		}
		ring[tail%ringSize] = c
		tail++
		got = true
		if c == KeyInterrupt {
			Interrupts.Add(1)
		}
	}
	inLock.UnlockIRQ(f)
	if got && inputHook != nil {
		inputHook()
	}
	if backtrace && backtraceHook != nil {
		backtraceHook()
	}
}

// TryRead copies buffered input into p and returns how many bytes it copied
// (0 when nothing is buffered).
func TryRead(p []byte) int {
	f := inLock.LockIRQ()
	n := 0
	for n < len(p) && head != tail {
		p[n] = ring[head%ringSize]
		head++
		n++
	}
	inLock.UnlockIRQ(f)
	return n
}

// Buffered returns how many input bytes wait in the ring.
func Buffered() int {
	f := inLock.LockIRQ()
	n := int(tail - head)
	inLock.UnlockIRQ(f)
	return n
}
