package cpio

// The newc header: a 6-byte magic and 13 fields of 8 hex digits.
const (
	headerSize = 110
	fieldCount = 13

	// MagicNewc is the magic of the "newc" format without checksums.
	MagicNewc = "070701"
	// MagicCRC is the magic of the same format with a data checksum in
	// the check field: the byte sum of a regular file's data, modulo 2^32
	// (other types carry 0, as GNU cpio writes them).
	MagicCRC = "070702"

	// Trailer is the name of the entry that ends an archive.
	Trailer = "TRAILER!!!"

	// MaxNameSize is the largest accepted namesize, NUL included (Linux's
	// PATH_MAX).
	MaxNameSize = 4096
)

// Field indices in the header, in order.
const (
	fIno = iota
	fMode
	fUID
	fGID
	fNlink
	fMtime
	fFilesize
	fDevMajor
	fDevMinor
	fRdevMajor
	fRdevMinor
	fNamesize
	fCheck
)

var fieldNames = [fieldCount]string{
	"ino", "mode", "uid", "gid", "nlink", "mtime", "filesize",
	"devmajor", "devminor", "rdevmajor", "rdevminor", "namesize", "check",
}

// File types: the S_IFMT bits of Header.Mode.
const (
	TypeMask    = 0o170000
	TypeSocket  = 0o140000
	TypeSymlink = 0o120000
	TypeRegular = 0o100000
	TypeBlock   = 0o060000
	TypeDir     = 0o040000
	TypeChar    = 0o020000
	TypeFIFO    = 0o010000

	// PermMask covers the permission bits, setuid, setgid and sticky.
	PermMask = 0o7777
)

// validType reports whether t (mode & TypeMask) is a known file type.
func validType(t uint32) bool {
	switch t {
	case TypeSocket, TypeSymlink, TypeRegular, TypeBlock, TypeDir, TypeChar, TypeFIFO:
		return true
	}
	return false
}

// align4 rounds n up to a multiple of 4.
func align4(n int) int { return (n + 3) &^ 3 }

// Header is the metadata of one entry.
type Header struct {
	Name  string // path inside the archive, conventionally without a leading "/"
	Mode  uint32 // file type (TypeMask bits) and permissions (PermMask bits)
	UID   uint32
	GID   uint32
	Nlink uint32
	Mtime uint32 // seconds since 1970
	Size  int    // data size in bytes (filesize)
	Ino   uint32

	DevMajor, DevMinor   uint32 // device holding the file (informational)
	RdevMajor, RdevMinor uint32 // device number of a block or char special file
}

// Type returns the file type bits of the mode (one of the Type constants).
func (h *Header) Type() uint32 { return h.Mode & TypeMask }

// Perm returns the permission, setuid, setgid and sticky bits.
func (h *Header) Perm() uint32 { return h.Mode & PermMask }

// IsDir, IsRegular and IsSymlink test the file type.
func (h *Header) IsDir() bool     { return h.Type() == TypeDir }
func (h *Header) IsRegular() bool { return h.Type() == TypeRegular }
func (h *Header) IsSymlink() bool { return h.Type() == TypeSymlink }
