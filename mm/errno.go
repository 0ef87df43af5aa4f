// errno.go: the errors package mm returns, and the Linux errno each one
// stands for (Errno), so that the system-call layer answers as Linux does
// without guessing from messages.

package mm

import "errors"

// Linux errno values (asm-generic/errno-base.h, errno.h).
const (
	EPERM     = 1
	EBADF     = 9
	EAGAIN    = 11
	ENOMEM    = 12
	EACCES    = 13
	EFAULT    = 14
	EBUSY     = 16
	EEXIST    = 17
	EINVAL    = 22
	EOVERFLOW = 75
)

// faultError is a fault that uaccess reports as EFAULT but a trap from
// ring 3 turns into a particular signal: errors.Is(e, ErrFault) holds for
// every one.
type faultError struct{ msg string }

func (e *faultError) Error() string        { return e.msg }
func (e *faultError) Is(target error) bool { return target == ErrFault }

// Errors of the fault path besides ErrFault (which alone means "no VMA
// there": SIGSEGV with SEGV_MAPERR).
var (
	// ErrAccErr: a VMA covers the address but does not allow the access
	// (a write to a read-only mapping, any access to PROT_NONE, an
	// instruction fetch from a mapping without PROT_EXEC): SIGSEGV with
	// SEGV_ACCERR from ring 3, EFAULT from a system call.
	ErrAccErr error = &faultError{"mm: access not allowed by the mapping (EFAULT; SIGSEGV SEGV_ACCERR)"}
	// ErrSigbus is what a fault (HandleMMFault, and so the uaccess
	// functions) or FindPage returns for a page of a file mapping that
	// lies beyond the end of the file: Linux's VM_FAULT_SIGBUS. The
	// process layer turns it into SIGBUS (BUS_ADRERR) for a fault from
	// user mode; a system call that copies user memory makes it EFAULT,
	// as Linux does.
	ErrSigbus error = &faultError{"mm: access beyond the end of a mapped file (EFAULT; SIGBUS)"}
)

// Errors of the memory system calls besides ErrInval, ErrNoMemory,
// ErrAgain and ErrBusy.
var (
	ErrBusy     = errors.New("mm: device or resource busy (EBUSY)")
	ErrExist    = errors.New("mm: a mapping is in the way (EEXIST)")
	ErrPerm     = errors.New("mm: address below mmap_min_addr (EPERM)")
	ErrAccess   = errors.New("mm: the mapping may not get that protection (EACCES)")
	ErrOverflow = errors.New("mm: file offset overflows (EOVERFLOW)")
)

// Errno returns the Linux errno for an error that package mm returned
// (positive; 0 for nil). Errors mm does not know are EINVAL.
func Errno(err error) int {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, ErrFault):
		return EFAULT
	case errors.Is(err, ErrNoMemory), errors.Is(err, ErrNotMapped):
		return ENOMEM
	case errors.Is(err, ErrAgain):
		return EAGAIN
	case errors.Is(err, ErrBusy):
		return EBUSY
	case errors.Is(err, ErrExist), errors.Is(err, ErrOverlap):
		return EEXIST
	case errors.Is(err, ErrPerm):
		return EPERM
	case errors.Is(err, ErrAccess):
		return EACCES
	case errors.Is(err, ErrOverflow):
		return EOVERFLOW
	case errors.Is(err, ErrNotSupported):
		return EOPNOTSUPP
	}
	return EINVAL
}
