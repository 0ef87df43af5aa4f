package cpio

import (
	"errors"
	"fmt"
	"io"
	"math"
)

// Writer writes a newc ("070701") archive to an io.Writer.
type Writer struct {
	w      io.Writer
	off    int    // bytes written so far (padding is relative to the archive start)
	ino    uint32 // last inode number given
	closed bool
	err    error // the first error; every later call returns it
	hdr    [headerSize]byte
}

// NewWriter returns a Writer that writes an archive to w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// ErrClosed is returned by a Writer's methods after Close.
var ErrClosed = errors.New("cpio: write after Close")

// File adds a regular file with permission bits perm (e.g. 0o755).
func (w *Writer) File(name string, perm uint32, data []byte) error {
	return w.Add(Header{Name: name, Mode: TypeRegular | perm&PermMask}, data)
}

// Dir adds a directory with permission bits perm (e.g. 0o755).
func (w *Writer) Dir(name string, perm uint32) error {
	return w.Add(Header{Name: name, Mode: TypeDir | perm&PermMask}, nil)
}

// Symlink adds a symbolic link name -> target (mode 0777, like Linux).
func (w *Writer) Symlink(name, target string) error {
	return w.Add(Header{Name: name, Mode: TypeSymlink | 0o777}, []byte(target))
}

// Add writes an entry with header h and the given data. h.Size is
// ignored (the data's length is written); a zero h.Ino gets the next
// inode number and a zero h.Nlink gets 2 for a directory, 1 otherwise.
// The name must be non-empty, without NUL bytes, shorter than
// MaxNameSize, and not "TRAILER!!!" (Close writes that).
func (w *Writer) Add(h Header, data []byte) error {
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return ErrClosed
	}
	if err := checkHeader(&h, data); err != nil {
		return err // the archive is still good: no sticky error
	}
	if h.Ino == 0 {
		w.ino++
		h.Ino = w.ino
	}
	if h.Nlink == 0 {
		h.Nlink = 1
		if h.IsDir() {
			h.Nlink = 2
		}
	}
	h.Size = len(data)
	return w.write(&h, data)
}

func checkHeader(h *Header, data []byte) error {
	switch {
	case h.Name == "":
		return errors.New("cpio: empty name")
	case len(h.Name)+1 > MaxNameSize:
		return fmt.Errorf("cpio: name of %d bytes is too long (max %d)", len(h.Name), MaxNameSize-1)
	case h.Name == Trailer:
		return fmt.Errorf("cpio: %q is reserved for the trailer", Trailer)
	case !validType(h.Type()):
		return fmt.Errorf("cpio: %s: unknown file type in mode %#o", h.Name, h.Mode)
	case h.Mode&^(TypeMask|PermMask) != 0:
		return fmt.Errorf("cpio: %s: mode %#o has bits outside the type and permissions", h.Name, h.Mode)
	case uint64(len(data)) > math.MaxUint32:
		return fmt.Errorf("cpio: %s: %d bytes of data is more than newc can describe", h.Name, len(data))
	case h.IsDir() && len(data) != 0:
		return fmt.Errorf("cpio: %s: a directory has no data", h.Name)
	case h.IsSymlink() && (len(data) == 0 || len(data) >= MaxNameSize):
		return fmt.Errorf("cpio: %s: symlink target must be 1..%d bytes", h.Name, MaxNameSize-1)
	}
	for i := 0; i < len(h.Name); i++ {
		if h.Name[i] == 0 {
			return fmt.Errorf("cpio: name %q contains NUL", h.Name)
		}
	}
	return nil
}

// Close writes the trailer. It does not close the underlying writer.
func (w *Writer) Close() error {
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return ErrClosed
	}
	h := Header{Name: Trailer, Nlink: 1}
	if err := w.write(&h, nil); err != nil {
		return err
	}
	w.closed = true
	return nil
}

var zeros [4]byte

func (w *Writer) write(h *Header, data []byte) error {
	b := w.hdr[:]
	copy(b, MagicNewc)
	fields := [fieldCount]uint32{
		fIno: h.Ino, fMode: h.Mode, fUID: h.UID, fGID: h.GID, fNlink: h.Nlink,
		fMtime: h.Mtime, fFilesize: uint32(len(data)),
		fDevMajor: h.DevMajor, fDevMinor: h.DevMinor, fRdevMajor: h.RdevMajor, fRdevMinor: h.RdevMinor,
		fNamesize: uint32(len(h.Name) + 1),
	}
	for i, v := range fields {
		putHex8(b[6+8*i:], v)
	}
	w.put(b)
	w.putString(h.Name)
	w.put(zeros[:1])
	w.pad()
	w.put(data)
	w.pad()
	return w.err
}

func (w *Writer) put(p []byte) {
	if w.err != nil || len(p) == 0 {
		return
	}
	n, err := w.w.Write(p)
	w.off += n
	if err == nil && n < len(p) {
		err = io.ErrShortWrite
	}
	w.err = err
}

func (w *Writer) putString(s string) {
	if w.err != nil {
		return
	}
	n, err := io.WriteString(w.w, s)
	w.off += n
	if err == nil && n < len(s) {
		err = io.ErrShortWrite
	}
	w.err = err
}

func (w *Writer) pad() { w.put(zeros[:align4(w.off)-w.off]) }

const hexDigits = "0123456789abcdef"

func putHex8(b []byte, v uint32) {
	for i := 7; i >= 0; i-- {
		b[i] = hexDigits[v&0xf]
		v >>= 4
	}
}
