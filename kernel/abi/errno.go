// errno.go: Linux error numbers.

// trapctx: process context only

package abi

import "strconv"

// Errno is a Linux error number; a system call returns its negation.
type Errno uint64

// The Linux x86-64 error numbers (asm-generic/errno-base.h, errno.h).
const (
	EPERM           Errno = 1
	ENOENT          Errno = 2
	ESRCH           Errno = 3
	EINTR           Errno = 4
	EIO             Errno = 5
	ENXIO           Errno = 6
	E2BIG           Errno = 7
	ENOEXEC         Errno = 8
	EBADF           Errno = 9
	ECHILD          Errno = 10
	EAGAIN          Errno = 11
	ENOMEM          Errno = 12
	EACCES          Errno = 13
	EFAULT          Errno = 14
	ENOTBLK         Errno = 15
	EBUSY           Errno = 16
	EEXIST          Errno = 17
	EXDEV           Errno = 18
	ENODEV          Errno = 19
	ENOTDIR         Errno = 20
	EISDIR          Errno = 21
	EINVAL          Errno = 22
	ENFILE          Errno = 23
	EMFILE          Errno = 24
	ENOTTY          Errno = 25
	ETXTBSY         Errno = 26
	EFBIG           Errno = 27
	ENOSPC          Errno = 28
	ESPIPE          Errno = 29
	EROFS           Errno = 30
	EMLINK          Errno = 31
	EPIPE           Errno = 32
	EDOM            Errno = 33
	ERANGE          Errno = 34
	EDEADLK         Errno = 35
	ENAMETOOLONG    Errno = 36
	ENOLCK          Errno = 37
	ENOSYS          Errno = 38
	ENOTEMPTY       Errno = 39
	ELOOP           Errno = 40
	ENOMSG          Errno = 42
	EIDRM           Errno = 43
	ENOSTR          Errno = 60
	ENODATA         Errno = 61
	ETIME           Errno = 62
	ENOSR           Errno = 63
	ENOLINK         Errno = 67
	EPROTO          Errno = 71
	EBADMSG         Errno = 74
	EOVERFLOW       Errno = 75
	EBADFD          Errno = 77
	EILSEQ          Errno = 84
	ENOTSOCK        Errno = 88
	EDESTADDRREQ    Errno = 89
	EMSGSIZE        Errno = 90
	EPROTOTYPE      Errno = 91
	ENOPROTOOPT     Errno = 92
	EPROTONOSUPPORT Errno = 93
	ESOCKTNOSUPPORT Errno = 94
	EOPNOTSUPP      Errno = 95
	EAFNOSUPPORT    Errno = 97
	EADDRINUSE      Errno = 98
	EADDRNOTAVAIL   Errno = 99
	ENETDOWN        Errno = 100
	ENETUNREACH     Errno = 101
	ECONNABORTED    Errno = 103
	ECONNRESET      Errno = 104
	ENOBUFS         Errno = 105
	EISCONN         Errno = 106
	ENOTCONN        Errno = 107
	ETIMEDOUT       Errno = 110
	ECONNREFUSED    Errno = 111
	EHOSTUNREACH    Errno = 113
	EALREADY        Errno = 114
	EINPROGRESS     Errno = 115
	ESTALE          Errno = 116
	EDQUOT          Errno = 122
	ECANCELED       Errno = 125
	EOWNERDEAD      Errno = 130
	ENOTRECOVERABLE Errno = 131

	EWOULDBLOCK = EAGAIN
	EDEADLOCK   = EDEADLK
	ENOTSUP     = EOPNOTSUPP

	// Kernel-internal codes (include/linux/errno.h): a blocking call
	// interrupted by a signal returns one of these, and the signal layer
	// restarts the call or turns it into EINTR. Never seen by user space.
	ERESTARTSYS           Errno = 512 // restart if the handler has SA_RESTART (or there is no handler), else EINTR
	ERESTARTNOINTR        Errno = 513 // always restart
	ERESTARTNOHAND        Errno = 514 // restart if no handler runs, else EINTR
	ENOIOCTLCMD           Errno = 515 // no such ioctl (becomes ENOTTY)
	ERESTART_RESTARTBLOCK Errno = 516 // restart through restart_syscall
)

var errnoNames = map[Errno][2]string{
	EPERM: {"EPERM", "operation not permitted"}, ENOENT: {"ENOENT", "no such file or directory"},
	ESRCH: {"ESRCH", "no such process"}, EINTR: {"EINTR", "interrupted system call"},
	EIO: {"EIO", "input/output error"}, ENXIO: {"ENXIO", "no such device or address"},
	E2BIG: {"E2BIG", "argument list too long"}, ENOEXEC: {"ENOEXEC", "exec format error"},
	EBADF: {"EBADF", "bad file descriptor"}, ECHILD: {"ECHILD", "no child processes"},
	EAGAIN: {"EAGAIN", "resource temporarily unavailable"}, ENOMEM: {"ENOMEM", "cannot allocate memory"},
	EACCES: {"EACCES", "permission denied"}, EFAULT: {"EFAULT", "bad address"},
	ENOTBLK: {"ENOTBLK", "block device required"}, EBUSY: {"EBUSY", "device or resource busy"},
	EEXIST: {"EEXIST", "file exists"}, EXDEV: {"EXDEV", "invalid cross-device link"},
	ENODEV: {"ENODEV", "no such device"}, ENOTDIR: {"ENOTDIR", "not a directory"},
	EISDIR: {"EISDIR", "is a directory"}, EINVAL: {"EINVAL", "invalid argument"},
	ENFILE: {"ENFILE", "too many open files in system"}, EMFILE: {"EMFILE", "too many open files"},
	ENOTTY: {"ENOTTY", "inappropriate ioctl for device"}, ETXTBSY: {"ETXTBSY", "text file busy"},
	EFBIG: {"EFBIG", "file too large"}, ENOSPC: {"ENOSPC", "no space left on device"},
	ESPIPE: {"ESPIPE", "illegal seek"}, EROFS: {"EROFS", "read-only file system"},
	EMLINK: {"EMLINK", "too many links"}, EPIPE: {"EPIPE", "broken pipe"},
	EDOM: {"EDOM", "numerical argument out of domain"}, ERANGE: {"ERANGE", "numerical result out of range"},
	EDEADLK: {"EDEADLK", "resource deadlock avoided"}, ENAMETOOLONG: {"ENAMETOOLONG", "file name too long"},
	ENOLCK: {"ENOLCK", "no locks available"}, ENOSYS: {"ENOSYS", "function not implemented"},
	ENOTEMPTY: {"ENOTEMPTY", "directory not empty"}, ELOOP: {"ELOOP", "too many levels of symbolic links"},
	ENOMSG: {"ENOMSG", "no message of desired type"}, EIDRM: {"EIDRM", "identifier removed"},
	ENOSTR: {"ENOSTR", "device not a stream"}, ENODATA: {"ENODATA", "no data available"},
	ETIME: {"ETIME", "timer expired"}, ENOSR: {"ENOSR", "out of streams resources"},
	ENOLINK: {"ENOLINK", "link has been severed"}, EPROTO: {"EPROTO", "protocol error"},
	EBADMSG: {"EBADMSG", "bad message"}, EOVERFLOW: {"EOVERFLOW", "value too large for defined data type"},
	EBADFD: {"EBADFD", "file descriptor in bad state"}, EILSEQ: {"EILSEQ", "invalid or incomplete multibyte or wide character"},
	ENOTSOCK: {"ENOTSOCK", "socket operation on non-socket"}, EDESTADDRREQ: {"EDESTADDRREQ", "destination address required"},
	EMSGSIZE: {"EMSGSIZE", "message too long"}, EPROTOTYPE: {"EPROTOTYPE", "protocol wrong type for socket"},
	ENOPROTOOPT: {"ENOPROTOOPT", "protocol not available"}, EPROTONOSUPPORT: {"EPROTONOSUPPORT", "protocol not supported"},
	ESOCKTNOSUPPORT: {"ESOCKTNOSUPPORT", "socket type not supported"},
	EOPNOTSUPP:      {"EOPNOTSUPP", "operation not supported"}, EAFNOSUPPORT: {"EAFNOSUPPORT", "address family not supported by protocol"},
	EADDRINUSE: {"EADDRINUSE", "address already in use"}, EADDRNOTAVAIL: {"EADDRNOTAVAIL", "cannot assign requested address"},
	ENETDOWN: {"ENETDOWN", "network is down"}, ENETUNREACH: {"ENETUNREACH", "network is unreachable"},
	ECONNABORTED: {"ECONNABORTED", "software caused connection abort"}, ECONNRESET: {"ECONNRESET", "connection reset by peer"},
	ENOBUFS: {"ENOBUFS", "no buffer space available"}, EISCONN: {"EISCONN", "transport endpoint is already connected"},
	ENOTCONN: {"ENOTCONN", "transport endpoint is not connected"}, ETIMEDOUT: {"ETIMEDOUT", "connection timed out"},
	ECONNREFUSED: {"ECONNREFUSED", "connection refused"}, EHOSTUNREACH: {"EHOSTUNREACH", "no route to host"},
	EALREADY: {"EALREADY", "operation already in progress"}, EINPROGRESS: {"EINPROGRESS", "operation now in progress"},
	ESTALE: {"ESTALE", "stale file handle"}, EDQUOT: {"EDQUOT", "disk quota exceeded"},
	ECANCELED: {"ECANCELED", "operation canceled"}, EOWNERDEAD: {"EOWNERDEAD", "owner died"},
	ENOTRECOVERABLE: {"ENOTRECOVERABLE", "state not recoverable"},
	ERESTARTSYS:     {"ERESTARTSYS", "interrupted; restart if SA_RESTART"}, ERESTARTNOINTR: {"ERESTARTNOINTR", "interrupted; restart"},
	ERESTARTNOHAND: {"ERESTARTNOHAND", "interrupted; restart if no handler"}, ENOIOCTLCMD: {"ENOIOCTLCMD", "no such ioctl"},
	ERESTART_RESTARTBLOCK: {"ERESTART_RESTARTBLOCK", "interrupted; restart through restart_syscall"},
}

// Name returns the errno's symbolic name ("ENOENT"), or "errno N".
func (e Errno) Name() string {
	if n, ok := errnoNames[e]; ok {
		return n[0]
	}
	return "errno " + strconv.FormatUint(uint64(e), 10)
}

// Error gives the name and the description: "ENOENT (no such file or
// directory)".
func (e Errno) Error() string {
	if n, ok := errnoNames[e]; ok {
		return n[0] + " (" + n[1] + ")"
	}
	return "errno " + strconv.FormatUint(uint64(e), 10)
}

// Restart reports whether e is one of the kernel-internal restart codes
// that an interrupted blocking call returns (see the package doc).
func (e Errno) Restart() bool {
	return e == ERESTARTSYS || e == ERESTARTNOINTR || e == ERESTARTNOHAND || e == ERESTART_RESTARTBLOCK
}

// Interrupted reports whether err is EINTR or a restart code: the call
// was interrupted by a signal.
func Interrupted(err error) bool {
	e, ok := err.(Errno)
	return ok && (e == EINTR || e.Restart())
}

// ToErrno returns err as an Errno: itself if it is one, 0 for nil, EIO
// for anything else (an unexpected error from an implementation of an
// interface, such as a file's Data).
func ToErrno(err error) Errno {
	if err == nil {
		return 0
	}
	if e, ok := err.(Errno); ok {
		return e
	}
	return EIO
}
