package cmdline

import "strconv"

// This file takes the command line out of the memory the boot loader left
// it in. Like lookup.go it runs before the Go runtime is up: no
// allocation, no runtime calls, nosplit.

// MaxLen is the longest command line the kernel keeps, in bytes (without
// the terminating NUL). A longer line is ignored as a whole, never cut: a
// cut word could be a different value (seed=123456789 cut to seed=1234567).
const MaxLen = 4096

// Take copies the NUL-terminated command line at the start of src into
// dst and returns n, the bytes copied, and length, the line's length (up to
// its NUL, or len(src) when src holds no NUL: the line is at least that
// long). A line longer than len(dst) is not copied at all (n is 0).
//
//go:nosplit
func Take(dst, src []byte) (n, length int) {
	for length < len(src) && src[length] != 0 {
		length++
	}
	if length > len(dst) {
		return 0, length
	}
	for n < length && n < len(dst) && n < len(src) {
		dst[n] = src[n]
		n++
	}
	return n, length
}

// TooLong is the error for a command line of length bytes that Take did
// not copy; scanned is how far Take looked for the end (length ==
// scanned means no end was found there).
func TooLong(length, scanned int) error {
	n := strconv.Itoa(length) + " bytes"
	if length >= scanned {
		n = "more than " + strconv.Itoa(scanned-1) + " bytes"
	}
	return tooLongError("cmdline: " + n + ", longer than the " + strconv.Itoa(MaxLen) + " the kernel keeps: ignoring the whole command line")
}

type tooLongError string

func (e tooLongError) Error() string { return string(e) }
