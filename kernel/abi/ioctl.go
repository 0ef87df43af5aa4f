// ioctl.go: terminal and generic ioctl numbers, signals that the terminal
// raises, and poll/epoll bits.

// trapctx: process context only

package abi

// Terminal ioctls (asm-generic/ioctls.h) and the generic file ones.
const (
	TCGETS     = 0x5401
	TCSETS     = 0x5402
	TCSETSW    = 0x5403
	TCSETSF    = 0x5404
	TCGETA     = 0x5405
	TCSETA     = 0x5406
	TCSETAW    = 0x5407
	TCSETAF    = 0x5408
	TCSBRK     = 0x5409
	TCXONC     = 0x540A
	TCFLSH     = 0x540B
	TIOCEXCL   = 0x540C
	TIOCNXCL   = 0x540D
	TIOCSCTTY  = 0x540E
	TIOCGPGRP  = 0x540F
	TIOCSPGRP  = 0x5410
	TIOCOUTQ   = 0x5411
	TIOCSTI    = 0x5412
	TIOCGWINSZ = 0x5413
	TIOCSWINSZ = 0x5414
	FIONREAD   = 0x541B // TIOCINQ
	TIOCNOTTY  = 0x5422
	FIONBIO    = 0x5421
	TIOCGSID   = 0x5429
	FIONCLEX   = 0x5450
	FIOCLEX    = 0x5451
	FIOASYNC   = 0x5452
	TCGETS2    = 0x802c542a
	TCSETS2    = 0x402c542b

	// TCFLSH arguments.
	TCIFLUSH  = 0
	TCOFLUSH  = 1
	TCIOFLUSH = 2
)

// Signal is a Linux signal number.
type Signal int

// The signals the file system raises (through its callers).
const (
	SIGHUP   Signal = 1
	SIGINT   Signal = 2
	SIGQUIT  Signal = 3
	SIGPIPE  Signal = 13
	SIGTSTP  Signal = 20
	SIGTTIN  Signal = 21
	SIGTTOU  Signal = 22
	SIGWINCH Signal = 28
)

// poll(2) and epoll event bits (the same values).
const (
	POLLIN     = 0x1
	POLLPRI    = 0x2
	POLLOUT    = 0x4
	POLLERR    = 0x8
	POLLHUP    = 0x10
	POLLNVAL   = 0x20
	POLLRDNORM = 0x40
	POLLRDBAND = 0x80
	POLLWRNORM = 0x100
	POLLWRBAND = 0x200
	POLLMSG    = 0x400
	POLLRDHUP  = 0x2000

	EPOLLIN        = POLLIN
	EPOLLPRI       = POLLPRI
	EPOLLOUT       = POLLOUT
	EPOLLERR       = POLLERR
	EPOLLHUP       = POLLHUP
	EPOLLRDNORM    = POLLRDNORM
	EPOLLRDBAND    = POLLRDBAND
	EPOLLWRNORM    = POLLWRNORM
	EPOLLWRBAND    = POLLWRBAND
	EPOLLMSG       = POLLMSG
	EPOLLRDHUP     = POLLRDHUP
	EPOLLEXCLUSIVE = 1 << 28
	EPOLLWAKEUP    = 1 << 29
	EPOLLONESHOT   = 1 << 30
	EPOLLET        = 1 << 31

	EPOLL_CTL_ADD = 1
	EPOLL_CTL_DEL = 2
	EPOLL_CTL_MOD = 3
	EPOLL_CLOEXEC = O_CLOEXEC
)
