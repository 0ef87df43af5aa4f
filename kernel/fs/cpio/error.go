package cpio

import "fmt"

// Error is a malformed archive: Offset is the byte offset in the archive
// where the problem is (the start of the field, name or data concerned).
type Error struct {
	Offset int
	Msg    string
}

func (e *Error) Error() string { return fmt.Sprintf("cpio: offset %d: %s", e.Offset, e.Msg) }

func errorf(off int, format string, args ...any) error {
	return &Error{Offset: off, Msg: fmt.Sprintf(format, args...)}
}
