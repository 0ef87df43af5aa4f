// crash.go: retract's private "crash points" (like Linux's LKDTM), which
// fault on purpose in trap context so that the oops path for kernel bugs in
// syscall handlers can be seen and tested. The shell's crash command uses
// them; no Linux program knows this number.

package sys

// SysCrash is the private syscall number of the crash points.
const SysCrash = 1000

// Crash points.
const (
	CrashStack = 1 // recurse until the kernel stack runs out
	CrashNil   = 2 // read through a nil pointer in a syscall handler
)

var crashSink uint64

//go:noinline
func recurse(n uint64) uint64 {
	var pad [256]byte
	pad[n%256] = byte(n)
	if n == 0 {
		return uint64(pad[0])
	}
	return recurse(n+1) + uint64(pad[n%256])
}

var nilPtr *uint64

func sysCrash(kind uint64) uint64 {
	switch kind {
	case CrashStack:
		crashSink = recurse(1)
	case CrashNil:
		crashSink = *nilPtr
	default:
		return ret(0, EINVAL)
	}
	return 0
}
