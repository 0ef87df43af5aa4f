// Package abi holds the Linux x86-64 system-call ABI that retract's
// user-facing packages share: errno values, flag and mode constants, and
// byte-exact little-endian encoders (and, where a system call reads one,
// decoders) of the structures that cross the user boundary — struct stat,
// statx, statfs, linux_dirent64, the kernel's termios, winsize, timespec,
// timeval, pollfd and epoll_event. Values and layouts are those of Linux
// 6.1 on x86-64 (the uapi headers); each encoder's test checks every field
// at its offset.
//
// It owns no state and takes no locks; everything is a pure function.
//
// # Errors
//
// A failing call returns an [Errno]; its Error method gives the Linux name
// and the description, "ENOENT (no such file or directory)". The kernel's
// internal restart codes (ERESTARTSYS and friends, 512-516) are Errnos too:
// a blocking call interrupted by a signal returns the one Linux returns, and
// the signal layer turns it into EINTR or restarts the call (SA_RESTART);
// they never reach user space.
package abi
