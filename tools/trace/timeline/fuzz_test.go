package timeline

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse: no input makes Parse panic; whatever it accepts renders in
// every format and survives a round trip through WriteText.
func FuzzParse(f *testing.F) {
	inputs, _ := filepath.Glob("testdata/*.trace")
	for _, in := range inputs {
		if b, err := os.ReadFile(in); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("# retract-trace 1\n# track 0 C\n1 0 I \"a\\x00b\" k=\"\\u2028\"\n2 0 B x\n3 0 B x\n4 0 E x\n"))
	f.Add([]byte("--- trace begin ---\n# retract-trace 1\n# track 4294967295 C\n18446744073709551615 4294967295 S s n\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tr, err := Parse(bytes.NewReader(data))
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		for _, format := range Formats {
			if err := tr.Render(new(bytes.Buffer), format); err != nil {
				t.Fatalf("Render %s: %v", format, err)
			}
		}
		roundTrip(t, tr)
	})
}
