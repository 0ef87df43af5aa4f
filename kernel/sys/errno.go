// errno.go: Linux error numbers, returned as -errno in RAX.

package sys

// Errno is a Linux error number.
type Errno uint64

const (
	EPERM     Errno = 1
	ENOENT    Errno = 2
	ESRCH     Errno = 3
	EINTR     Errno = 4
	EBADF     Errno = 9
	EAGAIN    Errno = 11
	ENOMEM    Errno = 12
	EFAULT    Errno = 14
	EEXIST    Errno = 17
	ENODEV    Errno = 19
	EINVAL    Errno = 22
	EMFILE    Errno = 24
	ESPIPE    Errno = 29
	ENOSYS    Errno = 38
	ETIMEDOUT Errno = 110
)

// ret encodes a syscall result: a value, or -errno.
func ret(v uint64, e Errno) uint64 {
	if e != 0 {
		return -uint64(e)
	}
	return v
}
