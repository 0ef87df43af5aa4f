package cpio

import (
	"bytes"
	"io"
	"testing"
)

// FuzzReader feeds arbitrary bytes to the Reader: it must never panic,
// every entry's data must lie inside the archive, and every error must be
// an *Error with an offset inside (or at the end of) the input.
// `go test` runs the seed corpus; `go test -fuzz FuzzReader ./kernel/fs/cpio`
// fuzzes.
func FuzzReader(f *testing.F) {
	f.Add(sample(f))
	f.Add([]byte(entry(MagicCRC, TypeRegular|0o644, "crc", "abc", 'a'+'b'+'c') + trailer))
	f.Add([]byte(entry(MagicNewc, TypeSymlink|0o777, "l", "target", 0) + trailer))
	f.Add([]byte(hdr(MagicNewc, TypeRegular, 0xffffffff, 0xffffffff, 0)))
	f.Add([]byte(trailer))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, a []byte) {
		r := NewReader(a)
		for i := 0; ; i++ {
			e, err := r.Next()
			if err == io.EOF {
				return
			}
			if err != nil {
				ce, ok := err.(*Error)
				if !ok || ce.Offset < 0 || ce.Offset > len(a) {
					t.Fatalf("error %v (%T)", err, err)
				}
				return
			}
			if len(e.Data) != e.Size || e.Offset < 0 || e.Offset >= len(a) {
				t.Fatalf("entry %+v with %d data bytes", e.Header, len(e.Data))
			}
			if len(e.Data) > 0 && !bytes.Contains(a[e.Offset:], e.Data) {
				t.Fatalf("data not inside the archive")
			}
			if r.Offset() <= e.Offset || r.Offset() > len(a) {
				t.Fatalf("offset went from %d to %d", e.Offset, r.Offset())
			}
		}
	})
}
