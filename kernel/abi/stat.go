// stat.go: struct stat (x86-64, 144 bytes), struct statx (256 bytes) and
// struct statfs (120 bytes).

// trapctx: process context only

package abi

import "encoding/binary"

var le = binary.LittleEndian

// Stat is x86-64's struct stat, as fstat, newfstatat and stat fill it.
type Stat struct {
	Dev     uint64
	Ino     uint64
	Nlink   uint64
	Mode    uint32
	UID     uint32
	GID     uint32
	Rdev    uint64
	Size    int64
	Blksize int64
	Blocks  int64 // 512-byte units
	Atime   Timespec
	Mtime   Timespec
	Ctime   Timespec
}

// StatSize is sizeof(struct stat) on x86-64.
const StatSize = 144

// Encode returns the 144 bytes of st.
//
//	0 st_dev  8 st_ino  16 st_nlink  24 st_mode  28 st_uid  32 st_gid
//	36 pad  40 st_rdev  48 st_size  56 st_blksize  64 st_blocks
//	72 st_atim  88 st_mtim  104 st_ctim  120 unused[3]
func (st *Stat) Encode() []byte {
	b := make([]byte, StatSize)
	le.PutUint64(b[0:], st.Dev)
	le.PutUint64(b[8:], st.Ino)
	le.PutUint64(b[16:], st.Nlink)
	le.PutUint32(b[24:], st.Mode)
	le.PutUint32(b[28:], st.UID)
	le.PutUint32(b[32:], st.GID)
	le.PutUint64(b[40:], st.Rdev)
	le.PutUint64(b[48:], uint64(st.Size))
	le.PutUint64(b[56:], uint64(st.Blksize))
	le.PutUint64(b[64:], uint64(st.Blocks))
	st.Atime.put(b[72:])
	st.Mtime.put(b[88:])
	st.Ctime.put(b[104:])
	return b
}

// statx mask bits.
const (
	STATX_TYPE        = 0x1
	STATX_MODE        = 0x2
	STATX_NLINK       = 0x4
	STATX_UID         = 0x8
	STATX_GID         = 0x10
	STATX_ATIME       = 0x20
	STATX_MTIME       = 0x40
	STATX_CTIME       = 0x80
	STATX_INO         = 0x100
	STATX_SIZE        = 0x200
	STATX_BLOCKS      = 0x400
	STATX_BASIC_STATS = 0x7ff
	STATX_BTIME       = 0x800
	STATX_MNT_ID      = 0x1000
	STATX_DIOALIGN    = 0x2000
	STATX__RESERVED   = 0x80000000
)

// Statx is struct statx. Mask says which fields are valid (Linux fills
// what it has whatever was asked, and says so in the mask).
type Statx struct {
	Mask           uint32
	Blksize        uint32
	Attributes     uint64
	Nlink          uint32
	UID, GID       uint32
	Mode           uint16
	Ino            uint64
	Size           uint64
	Blocks         uint64
	AttributesMask uint64
	Atime, Btime   Timespec
	Ctime, Mtime   Timespec
	RdevMajor      uint32
	RdevMinor      uint32
	DevMajor       uint32
	DevMinor       uint32
	MntID          uint64
}

// StatxSize is sizeof(struct statx).
const StatxSize = 256

// Encode returns the 256 bytes of sx.
//
//	0 stx_mask  4 stx_blksize  8 stx_attributes  16 stx_nlink  20 stx_uid
//	24 stx_gid  28 stx_mode  30 spare  32 stx_ino  40 stx_size
//	48 stx_blocks  56 stx_attributes_mask  64 stx_atime  80 stx_btime
//	96 stx_ctime  112 stx_mtime (each {s64 sec; u32 nsec; s32 pad})
//	128 stx_rdev_major  132 stx_rdev_minor  136 stx_dev_major
//	140 stx_dev_minor  144 stx_mnt_id  152 dio aligns  160 spare[12]
func (sx *Statx) Encode() []byte {
	b := make([]byte, StatxSize)
	le.PutUint32(b[0:], sx.Mask)
	le.PutUint32(b[4:], sx.Blksize)
	le.PutUint64(b[8:], sx.Attributes)
	le.PutUint32(b[16:], sx.Nlink)
	le.PutUint32(b[20:], sx.UID)
	le.PutUint32(b[24:], sx.GID)
	le.PutUint16(b[28:], sx.Mode)
	le.PutUint64(b[32:], sx.Ino)
	le.PutUint64(b[40:], sx.Size)
	le.PutUint64(b[48:], sx.Blocks)
	le.PutUint64(b[56:], sx.AttributesMask)
	for i, t := range []Timespec{sx.Atime, sx.Btime, sx.Ctime, sx.Mtime} {
		o := 64 + 16*i
		le.PutUint64(b[o:], uint64(t.Sec))
		le.PutUint32(b[o+8:], uint32(t.Nsec))
	}
	le.PutUint32(b[128:], sx.RdevMajor)
	le.PutUint32(b[132:], sx.RdevMinor)
	le.PutUint32(b[136:], sx.DevMajor)
	le.PutUint32(b[140:], sx.DevMinor)
	le.PutUint64(b[144:], sx.MntID)
	return b
}

// File system magic numbers (statfs's f_type).
const (
	TMPFS_MAGIC         = 0x01021994
	RAMFS_MAGIC         = 0x858458f6
	PROC_SUPER_MAGIC    = 0x9fa0
	SYSFS_MAGIC         = 0x62656572
	DEVPTS_SUPER_MAGIC  = 0x1cd1
	PIPEFS_MAGIC        = 0x50495045
	ANON_INODE_FS_MAGIC = 0x09041934
)

// statfs's f_flags (ST_*).
const (
	ST_RDONLY   = 0x1
	ST_NOSUID   = 0x2
	ST_NODEV    = 0x4
	ST_NOEXEC   = 0x8
	ST_VALID    = 0x20
	ST_NOATIME  = 0x400
	ST_RELATIME = 0x1000
)

// Statfs is x86-64's struct statfs.
type Statfs struct {
	Type    int64
	Bsize   int64
	Blocks  uint64
	Bfree   uint64
	Bavail  uint64
	Files   uint64
	Ffree   uint64
	Fsid    [2]int32
	Namelen int64
	Frsize  int64
	Flags   int64
}

// StatfsSize is sizeof(struct statfs) on x86-64.
const StatfsSize = 120

// Encode returns the 120 bytes of sf.
//
//	0 f_type  8 f_bsize  16 f_blocks  24 f_bfree  32 f_bavail  40 f_files
//	48 f_ffree  56 f_fsid  64 f_namelen  72 f_frsize  80 f_flags
//	88 f_spare[4]
func (sf *Statfs) Encode() []byte {
	b := make([]byte, StatfsSize)
	le.PutUint64(b[0:], uint64(sf.Type))
	le.PutUint64(b[8:], uint64(sf.Bsize))
	le.PutUint64(b[16:], sf.Blocks)
	le.PutUint64(b[24:], sf.Bfree)
	le.PutUint64(b[32:], sf.Bavail)
	le.PutUint64(b[40:], sf.Files)
	le.PutUint64(b[48:], sf.Ffree)
	le.PutUint32(b[56:], uint32(sf.Fsid[0]))
	le.PutUint32(b[60:], uint32(sf.Fsid[1]))
	le.PutUint64(b[64:], uint64(sf.Namelen))
	le.PutUint64(b[72:], uint64(sf.Frsize))
	le.PutUint64(b[80:], uint64(sf.Flags))
	return b
}
