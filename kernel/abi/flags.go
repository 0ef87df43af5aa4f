// flags.go: open, fcntl, *at, seek, access, rename, memfd, pipe and
// close_range flags; file types and mode bits; limits.

// trapctx: process context only

package abi

// open(2) flags (asm-generic/fcntl.h, as on x86-64).
const (
	O_RDONLY    = 0
	O_WRONLY    = 1
	O_RDWR      = 2
	O_ACCMODE   = 3
	O_CREAT     = 0o100
	O_EXCL      = 0o200
	O_NOCTTY    = 0o400
	O_TRUNC     = 0o1000
	O_APPEND    = 0o2000
	O_NONBLOCK  = 0o4000
	O_DSYNC     = 0o10000
	O_ASYNC     = 0o20000 // FASYNC
	O_DIRECT    = 0o40000
	O_LARGEFILE = 0o100000
	O_DIRECTORY = 0o200000
	O_NOFOLLOW  = 0o400000
	O_NOATIME   = 0o1000000
	O_CLOEXEC   = 0o2000000
	O_SYNC      = 0o4000000 | O_DSYNC
	O_PATH      = 0o10000000
	O_TMPFILE   = 0o20000000 | O_DIRECTORY

	// OTmpfileBit is __O_TMPFILE, the bit of O_TMPFILE besides O_DIRECTORY.
	OTmpfileBit = 0o20000000
	// ValidOpenFlags is every flag open(2) knows (VALID_OPEN_FLAGS).
	ValidOpenFlags = O_RDONLY | O_WRONLY | O_RDWR | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_APPEND |
		O_NONBLOCK | O_DSYNC | O_ASYNC | O_DIRECT | O_LARGEFILE | O_DIRECTORY | O_NOFOLLOW |
		O_NOATIME | O_CLOEXEC | O_SYNC | O_PATH | O_TMPFILE
	// SetflMask is what F_SETFL may change (SETFL_MASK).
	SetflMask = O_APPEND | O_NONBLOCK | O_ASYNC | O_DIRECT | O_NOATIME
)

// fcntl(2) commands and descriptor flags.
const (
	F_DUPFD         = 0
	F_GETFD         = 1
	F_SETFD         = 2
	F_GETFL         = 3
	F_SETFL         = 4
	F_GETLK         = 5
	F_SETLK         = 6
	F_SETLKW        = 7
	F_SETOWN        = 8
	F_GETOWN        = 9
	F_SETSIG        = 10
	F_GETSIG        = 11
	F_SETOWN_EX     = 15
	F_GETOWN_EX     = 16
	F_OFD_GETLK     = 36
	F_OFD_SETLK     = 37
	F_OFD_SETLKW    = 38
	F_SETLEASE      = 1024
	F_GETLEASE      = 1025
	F_NOTIFY        = 1026
	F_DUPFD_CLOEXEC = 1030
	F_SETPIPE_SZ    = 1031
	F_GETPIPE_SZ    = 1032
	F_ADD_SEALS     = 1033
	F_GET_SEALS     = 1034

	FD_CLOEXEC = 1
)

// The *at calls' dirfd and flags.
const (
	AT_FDCWD            = -100
	AT_SYMLINK_NOFOLLOW = 0x100
	AT_EACCESS          = 0x200 // faccessat
	AT_REMOVEDIR        = 0x200 // unlinkat
	AT_SYMLINK_FOLLOW   = 0x400
	AT_NO_AUTOMOUNT     = 0x800
	AT_EMPTY_PATH       = 0x1000
	AT_STATX_SYNC_TYPE  = 0x6000
	AT_STATX_FORCE_SYNC = 0x2000
	AT_STATX_DONT_SYNC  = 0x4000
	AT_RECURSIVE        = 0x8000
)

// lseek(2) whences.
const (
	SEEK_SET  = 0
	SEEK_CUR  = 1
	SEEK_END  = 2
	SEEK_DATA = 3
	SEEK_HOLE = 4
)

// access(2) modes.
const (
	F_OK = 0
	X_OK = 1
	W_OK = 2
	R_OK = 4
)

// renameat2(2) flags.
const (
	RENAME_NOREPLACE = 1
	RENAME_EXCHANGE  = 2
	RENAME_WHITEOUT  = 4
)

// memfd_create(2) flags.
const (
	MFD_CLOEXEC       = 1
	MFD_ALLOW_SEALING = 2
	MFD_HUGETLB       = 4
	MFD_NOEXEC_SEAL   = 8
	MFD_EXEC          = 0x10
)

// close_range(2) flags.
const (
	CLOSE_RANGE_UNSHARE = 2
	CLOSE_RANGE_CLOEXEC = 4
)

// O_NOTIFICATION_PIPE is pipe2's watch-queue flag (= O_EXCL).
const O_NOTIFICATION_PIPE = O_EXCL

// File types (the S_IFMT bits of a mode) and permission bits.
const (
	S_IFMT   = 0o170000
	S_IFSOCK = 0o140000
	S_IFLNK  = 0o120000
	S_IFREG  = 0o100000
	S_IFBLK  = 0o060000
	S_IFDIR  = 0o040000
	S_IFCHR  = 0o020000
	S_IFIFO  = 0o010000
	S_ISUID  = 0o4000
	S_ISGID  = 0o2000
	S_ISVTX  = 0o1000

	S_IRWXUGO = 0o777
	S_IALLUGO = 0o7777
	S_IXUGO   = 0o111
)

// linux_dirent64's d_type values.
const (
	DT_UNKNOWN = 0
	DT_FIFO    = 1
	DT_CHR     = 2
	DT_DIR     = 4
	DT_BLK     = 6
	DT_REG     = 8
	DT_LNK     = 10
	DT_SOCK    = 12
)

// DirentType returns the d_type of a file of the given mode.
func DirentType(mode uint32) uint8 { return uint8(mode & S_IFMT >> 12) }

// utimensat(2)'s special nanosecond values.
const (
	UTIME_NOW  = 1<<30 - 1
	UTIME_OMIT = 1<<30 - 2
)

// Limits.
const (
	PATH_MAX    = 4096 // bytes in a path, its NUL included
	NAME_MAX    = 255  // bytes in one path component
	PIPE_BUF    = 4096 // writes up to this size to a pipe are atomic
	MAXSYMLINKS = 40   // symbolic links followed in one lookup
	IOV_MAX     = 1024
	// MAX_RW_COUNT is the most one read or write transfers (INT_MAX
	// rounded down to a page).
	MAX_RW_COUNT = 0x7ffff000
	// MAX_LFS_FILESIZE is the largest file offset.
	MAX_LFS_FILESIZE = 1<<63 - 1
	// RLIMIT_NOFILE_DEFAULT is the default soft limit on descriptors.
	RLIMIT_NOFILE_DEFAULT = 1024
	// NR_OPEN is the most descriptors a table may hold (fs.nr_open).
	NR_OPEN = 1 << 20
)

// Mkdev encodes a device number as Linux's user-visible dev_t
// (new_encode_dev): minor's low 8 bits, major's 12 bits, minor's upper 12.
func Mkdev(major, minor uint32) uint64 {
	return uint64(minor&0xff) | uint64(major&0xfff)<<8 | uint64(minor&^0xff)<<12
}

// Major and Minor decode a device number made by Mkdev.
func Major(dev uint64) uint32 { return uint32(dev>>8) & 0xfff }
func Minor(dev uint64) uint32 { return uint32(dev&0xff) | uint32(dev>>12)&^0xff }
