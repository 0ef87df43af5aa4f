package cpio

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

// hdr builds a raw newc header by hand, independent of the Writer.
func hdr(magic string, mode, size, namesize, check uint32) string {
	return fmt.Sprintf("%s%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x",
		magic, 1, mode, 0, 0, 1, 0, size, 0, 0, 0, 0, namesize, check)
}

// entry builds one hand-made entry with correct padding.
func entry(magic string, mode uint32, name, data string, check uint32) string {
	s := hdr(magic, mode, uint32(len(data)), uint32(len(name)+1), check) + name + "\x00"
	for len(s)%4 != 0 {
		s += "\x00"
	}
	s += data
	for len(s)%4 != 0 {
		s += "\x00"
	}
	return s
}

var trailer = entry(MagicNewc, 0, Trailer, "", 0)

func TestHandMadeArchive(t *testing.T) {
	a := entry(MagicNewc, TypeRegular|0o644, "hello", "world", 0) +
		entry(MagicCRC, TypeRegular|0o644, "crc", "abc", 'a'+'b'+'c') + trailer
	r := NewReader([]byte(a))
	e, err := r.Next()
	if err != nil || e.Name != "hello" || string(e.Data) != "world" {
		t.Fatalf("first: %+v %q %v", e.Header, e.Data, err)
	}
	e, err = r.Next()
	if err != nil || e.Name != "crc" || string(e.Data) != "abc" {
		t.Fatalf("second: %+v %q %v", e.Header, e.Data, err)
	}
	if _, err := r.Next(); err != io.EOF {
		t.Fatalf("trailer: %v", err)
	}
	// Upper-case hex digits are valid too.
	up := strings.Replace(a, hdr(MagicNewc, TypeRegular|0o644, 5, 6, 0), strings.ToUpper(hdr(MagicNewc, TypeRegular|0o644, 5, 6, 0)), 1)
	if e, err := NewReader([]byte(up)).Next(); err != nil || e.Mode != TypeRegular|0o644 {
		t.Errorf("upper-case hex: %+v %v", e.Header, err)
	}
}

func TestCorrupt(t *testing.T) {
	good := entry(MagicNewc, TypeRegular|0o644, "hello", "world", 0) // no padding after the name
	hi := entry(MagicNewc, TypeRegular|0o644, "hi", "world", 0)      // 3 bytes of padding after it
	// field returns the offset of header field i in an entry at 0.
	field := func(i int) int { return 6 + 8*i }
	setField := func(s string, i int, v string) string {
		return s[:field(i)] + v + s[field(i)+8:]
	}
	cases := []struct {
		name    string
		archive string
		offset  int
		says    string
	}{
		{"empty", "", 0, "without a TRAILER!!!"},
		{"no trailer", good, len(good), "without a TRAILER!!!"},
		{"short header", good[:50], 0, "truncated header"},
		{"bad magic", "070707" + good[6:] + trailer, 0, "bad magic"},
		{"binary magic", "\xc7\x71" + good[2:] + trailer, 0, "bad magic"},
		{"non-hex mode", setField(good, fMode, "000081g4") + trailer, field(fMode), "field mode is not 8 hex digits"},
		{"space in size", setField(good, fFilesize, "       5") + trailer, field(fFilesize), "field filesize"},
		{"sign in uid", setField(good, fUID, "-0000001") + trailer, field(fUID), "field uid"},
		{"unknown type", setField(good, fMode, "000001a4") + trailer, field(fMode), "unknown file type"},
		{"namesize 0", setField(good, fNamesize, "00000000") + trailer, field(fNamesize), "namesize 0"},
		{"namesize 1", setField(good, fNamesize, "00000001") + trailer, field(fNamesize), "namesize 1"},
		{"namesize huge", setField(good, fNamesize, "ffffffff") + trailer, field(fNamesize), "larger than"},
		{"name past end", good[:headerSize+3], headerSize, "runs past the end"},
		{"name without NUL", setField(good, fNamesize, "00000005") + trailer, headerSize + 4, "not NUL-terminated"},
		{"NUL in name", entry(MagicNewc, TypeRegular, "a\x00b", "", 0) + trailer, headerSize + 1, "NUL inside the name"},
		{"size past end", setField(good, fFilesize, "00001000") + trailer, field(fFilesize), "runs past the end"},
		{"size 4 GiB", setField(good, fFilesize, "ffffffff") + trailer, field(fFilesize), "runs past the end"},
		{"name padding", hi[:headerSize+4] + "X" + hi[headerSize+5:] + trailer, headerSize + 4, "padding byte after the name"},
		{"data padding", good[:len(good)-1] + "X" + trailer, len(good) - 1, "padding byte after the data"},
		{"data padding cut", good[:len(good)-2], len(good) - 3, "padding after the data runs past"},
		{"name padding cut", hi[:headerSize+4], headerSize + 3, "padding after the name runs past"},
		{"dir with data", entry(MagicNewc, TypeDir|0o755, "d", "xyz", 0) + trailer, field(fFilesize), "directory"},
		{"empty symlink", entry(MagicNewc, TypeSymlink|0o777, "l", "", 0) + trailer, field(fFilesize), "empty target"},
		{"long symlink", entry(MagicNewc, TypeSymlink|0o777, "l", strings.Repeat("t", MaxNameSize), 0) + trailer, field(fFilesize), "longer than"},
		{"bad checksum", entry(MagicCRC, TypeRegular|0o644, "c", "abc", 7) + trailer, field(fCheck), "checksum"},
		{"second entry bad", good + "0707X1" + trailer[6:], len(good), "bad magic"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := NewReader([]byte(c.archive))
			var err error
			for i := 0; i < 10; i++ {
				if _, err = r.Next(); err != nil {
					break
				}
			}
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("got %v, want a *cpio.Error", err)
			}
			if ce.Offset != c.offset || !strings.Contains(ce.Msg, c.says) {
				t.Errorf("got %q, want offset %d and %q", err, c.offset, c.says)
			}
			if !strings.HasPrefix(err.Error(), fmt.Sprintf("cpio: offset %d: ", c.offset)) {
				t.Errorf("message %q does not start with the offset", err)
			}
			// The error is sticky.
			if _, err2 := r.Next(); err2 != err {
				t.Errorf("next call: %v, want the same error", err2)
			}
		})
	}
}

// Every prefix of a good archive is either fine up to some entry and then
// an error, never a panic.
func TestEveryTruncation(t *testing.T) {
	a := sample(t)
	for n := 0; n < len(a); n++ {
		r := NewReader(a[:n])
		var err error
		for err == nil {
			_, err = r.Next()
		}
		if err == io.EOF && n < len(a) {
			// Only the trailer's own final padding may be cut.
			if !bytes.HasSuffix(a[:n], []byte(Trailer+"\x00")) {
				t.Errorf("prefix of %d bytes read to the end", n)
			}
		}
	}
}
