// input.go: console input, from the UART's receive interrupt into a ring.

package console

import (
	"retract/arch/amd64"
	"retract/lockdep"
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

	inputHook func()
)

func init() { inLock.SetClass(lockdep.Register("console.inLock", lockdep.Spin)) }

// SetInputHook installs a function called (in trap context) after new input
// arrived; the syscall layer uses it to wake a reader.
func SetInputHook(f func()) { inputHook = f } // wb: set at boot, before the runtime

// Interrupt drains the UART's receive FIFO into the ring. It runs in trap
// context (the serial interrupt) and from the tick as a fallback poll.
func Interrupt() {
	got := false
	f := inLock.LockIRQ()
	for amd64.Inb(com1Base+regLSR)&1 != 0 {
		c := amd64.Inb(com1Base)
		Received++
		if tail-head == ringSize {
			Dropped++
			continue
		}
		ring[tail%ringSize] = c
		tail++
		got = true
	}
	inLock.UnlockIRQ(f)
	if got && inputHook != nil {
		inputHook()
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
