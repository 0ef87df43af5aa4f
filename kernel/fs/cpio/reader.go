package cpio

import "io"

// Entry is one archive member as read by [Reader.Next].
type Entry struct {
	Header
	// Data is the entry's data (a symlink's target, a file's contents):
	// a sub-slice of the archive, not a copy. Empty for directories.
	Data []byte
	// Offset is where the entry's header starts in the archive.
	Offset int
}

// Reader iterates over the entries of a newc archive held in memory.
type Reader struct {
	buf  []byte
	off  int  // start of the next header
	done bool // the trailer was read
	err  error
}

// NewReader returns a Reader over archive. The Reader does not copy it:
// entries' Data slices point into it.
func NewReader(archive []byte) *Reader { return &Reader{buf: archive} }

// Offset returns the offset just after the last entry read (after its
// padding); after io.EOF, where the bytes that follow the trailer begin.
func (r *Reader) Offset() int { return r.off }

// Next returns the next entry. After the trailer it returns io.EOF; a
// malformed archive gives an [*Error], and every later call returns the
// same error.
func (r *Reader) Next() (Entry, error) {
	if r.err != nil {
		return Entry{}, r.err
	}
	if r.done {
		return Entry{}, io.EOF
	}
	e, next, err := parseEntry(r.buf, r.off)
	if err != nil {
		r.err = err
		return Entry{}, err
	}
	r.off = next
	if e.Name == Trailer {
		r.done = true
		return Entry{}, io.EOF
	}
	return e, nil
}

// All reads every entry up to the trailer and calls fn for each; it stops
// at the first error from the archive or from fn.
func (r *Reader) All(fn func(*Entry) error) error {
	for {
		e, err := r.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := fn(&e); err != nil {
			return err
		}
	}
}

// parseEntry parses the entry whose header starts at off and returns it
// with the offset of the following entry.
func parseEntry(buf []byte, off int) (e Entry, next int, err error) {
	if off >= len(buf) {
		return e, 0, errorf(off, "archive ends without a %s entry", Trailer)
	}
	if len(buf)-off < headerSize {
		return e, 0, errorf(off, "truncated header: %d bytes left, a header is %d", len(buf)-off, headerSize)
	}
	magic := buf[off : off+6]
	crc := false
	switch string(magic) { // no allocation: the compiler compares in place
	case MagicNewc:
	case MagicCRC:
		crc = true
	default:
		return e, 0, errorf(off, "bad magic %q (want %q or %q)", magic, MagicNewc, MagicCRC)
	}
	var f [fieldCount]uint32
	for i := range f {
		at := off + 6 + 8*i
		v, ok := parseHex8(buf[at : at+8])
		if !ok {
			return e, 0, errorf(at, "field %s is not 8 hex digits: %q", fieldNames[i], buf[at:at+8])
		}
		f[i] = v
	}

	mode := f[fMode]

	nameOff := off + headerSize
	nameSize := int(f[fNamesize])
	switch {
	case nameSize < 2:
		return e, 0, errorf(off+6+8*fNamesize, "namesize %d: the name must be at least one byte and its NUL", nameSize)
	case nameSize > MaxNameSize:
		return e, 0, errorf(off+6+8*fNamesize, "namesize %d is larger than %d", nameSize, MaxNameSize)
	case nameSize > len(buf)-nameOff:
		return e, 0, errorf(nameOff, "name of %d bytes runs past the end of the archive (%d bytes)", nameSize, len(buf))
	}
	name := buf[nameOff : nameOff+nameSize]
	if name[nameSize-1] != 0 {
		return e, 0, errorf(nameOff+nameSize-1, "name is not NUL-terminated")
	}
	name = name[:nameSize-1]
	for i, c := range name {
		if c == 0 {
			return e, 0, errorf(nameOff+i, "NUL inside the name")
		}
	}

	if !validType(mode&TypeMask) && string(name) != Trailer { // GNU cpio's trailer has mode 0
		return e, 0, errorf(off+6+8*fMode, "unknown file type in mode %#o", mode)
	}

	dataOff := align4(nameOff + nameSize)
	if dataOff > len(buf) {
		return e, 0, errorf(nameOff+nameSize, "padding after the name runs past the end of the archive")
	}
	if err := checkPadding(buf, nameOff+nameSize, dataOff, "name"); err != nil {
		return e, 0, err
	}

	size := int(f[fFilesize]) // at most 2^32-1: no overflow on 64-bit
	if size > len(buf)-dataOff {
		return e, 0, errorf(off+6+8*fFilesize, "filesize %d runs past the end of the archive (%d bytes left after the name)", size, len(buf)-dataOff)
	}
	data := buf[dataOff : dataOff+size]
	end := dataOff + size
	next = align4(end)
	if next > len(buf) {
		// Tolerate a missing final pad only after the trailer.
		if string(name) != Trailer {
			return e, 0, errorf(end, "padding after the data runs past the end of the archive")
		}
		next = len(buf)
	}
	if err := checkPadding(buf, end, next, "data"); err != nil {
		return e, 0, err
	}

	typ := mode & TypeMask
	switch {
	case typ == TypeDir && size != 0:
		return e, 0, errorf(off+6+8*fFilesize, "directory %q has filesize %d (want 0)", name, size)
	case typ == TypeSymlink && size == 0:
		return e, 0, errorf(off+6+8*fFilesize, "symlink %q has an empty target", name)
	case typ == TypeSymlink && size >= MaxNameSize:
		return e, 0, errorf(off+6+8*fFilesize, "symlink %q target of %d bytes is longer than %d", name, size, MaxNameSize-1)
	}
	if crc && typ == TypeRegular { // GNU cpio sums regular files only
		var sum uint32
		for _, c := range data {
			sum += uint32(c)
		}
		if sum != f[fCheck] {
			return e, 0, errorf(off+6+8*fCheck, "checksum %#x does not match the data's %#x", f[fCheck], sum)
		}
	}

	e = Entry{
		Header: Header{
			Name:      string(name),
			Mode:      mode,
			UID:       f[fUID],
			GID:       f[fGID],
			Nlink:     f[fNlink],
			Mtime:     f[fMtime],
			Size:      size,
			Ino:       f[fIno],
			DevMajor:  f[fDevMajor],
			DevMinor:  f[fDevMinor],
			RdevMajor: f[fRdevMajor],
			RdevMinor: f[fRdevMinor],
		},
		Data:   data,
		Offset: off,
	}
	return e, next, nil
}

// checkPadding checks that buf[from:to] is all NUL bytes.
func checkPadding(buf []byte, from, to int, after string) error {
	for i := from; i < to; i++ {
		if buf[i] != 0 {
			return errorf(i, "padding byte after the %s is %#x, not NUL", after, buf[i])
		}
	}
	return nil
}

// parseHex8 parses exactly 8 hexadecimal digits (either case).
func parseHex8(b []byte) (uint32, bool) {
	if len(b) != 8 {
		return 0, false
	}
	var v uint32
	for _, c := range b {
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, false
		}
		v = v<<4 | uint32(d)
	}
	return v, true
}
