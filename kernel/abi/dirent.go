// dirent.go: struct linux_dirent64, getdents64's records.

// trapctx: process context only

package abi

// Dirent64 is one directory entry as getdents64 returns it.
type Dirent64 struct {
	Ino  uint64
	Off  int64 // the directory offset of the next entry
	Type uint8 // DT_*
	Name string
}

// direntHeader is the size of the fixed part: d_ino (0), d_off (8),
// d_reclen (16), d_type (18); d_name starts at 19.
const direntHeader = 19

// Dirent64Len returns the record length of an entry named name: the
// header, the name and its NUL, rounded up to 8 bytes.
func Dirent64Len(name string) int { return (direntHeader + len(name) + 1 + 7) &^ 7 }

// AppendDirent64 appends d's record (NUL-padded to its length) to b.
func AppendDirent64(b []byte, d Dirent64) []byte {
	n := Dirent64Len(d.Name)
	start := len(b)
	b = append(b, make([]byte, n)...)
	r := b[start:]
	le.PutUint64(r[0:], d.Ino)
	le.PutUint64(r[8:], uint64(d.Off))
	le.PutUint16(r[16:], uint16(n))
	r[18] = d.Type
	copy(r[19:], d.Name)
	return b
}

// ParseDirents64 decodes a getdents64 buffer; it returns EINVAL for a
// malformed record (a length that is short, unaligned, runs past the
// end, or a name without its NUL).
func ParseDirents64(b []byte) ([]Dirent64, error) {
	var out []Dirent64
	for len(b) > 0 {
		if len(b) < direntHeader+1 {
			return out, EINVAL
		}
		n := int(le.Uint16(b[16:]))
		if n < direntHeader+1 || n%8 != 0 || n > len(b) {
			return out, EINVAL
		}
		name := b[direntHeader:n]
		end := 0
		for end < len(name) && name[end] != 0 {
			end++
		}
		if end == len(name) {
			return out, EINVAL
		}
		out = append(out, Dirent64{Ino: le.Uint64(b), Off: int64(le.Uint64(b[8:])), Type: b[18], Name: string(name[:end])})
		b = b[n:]
	}
	return out, nil
}
