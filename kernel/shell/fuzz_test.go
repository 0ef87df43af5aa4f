package shell

import (
	"bytes"
	"io"
	"reflect"
	"strings"
	"testing"
)

// FuzzEditor feeds raw terminal bytes to the line editor and tokenizes
// every line it completes. The properties: nothing panics; a completed
// line is at most MaxLine bytes of printable ASCII, or an error with no
// line; a line of words round-trips through the tokenizer (quoting each
// word gives the same words back); and the whole shell survives the bytes.
func FuzzEditor(f *testing.F) {
	for _, s := range []string{
		"echo hi\r", "h\xc3\xa9llo\r", strings.Repeat("x", MaxLine+3) + "\r", "a\x1b[A\x1b[B\x1bOA\r\n",
		"echo \"a b\" c\r", "echo \"open\r", "\x00\xff\x7f\x08\x15\x03\r", "\x1b[999;999H\x1b]0;t\x07\r",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		e := NewLineEditor(io.Discard)
		for _, b := range in {
			line, done, err := e.Feed(b)
			if !done {
				if line != "" || err != nil {
					t.Fatalf("Feed(%#x) returned %q, %v before the end of a line", b, line, err)
				}
				continue
			}
			if err != nil {
				if line != "" {
					t.Fatalf("a refused line came with text %q", line)
				}
				if strings.ContainsAny(err.Error(), "\r\n") {
					t.Fatalf("error %q spans lines", err)
				}
				continue
			}
			if len(line) > MaxLine {
				t.Fatalf("line of %d bytes", len(line))
			}
			for i := 0; i < len(line); i++ {
				if line[i] < 0x20 || line[i] > 0x7e {
					t.Fatalf("line %q holds byte %#x", line, line[i])
				}
			}
			words, terr := tokenize(line)
			if terr != nil {
				continue
			}
			var quoted []string
			for _, w := range words {
				if strings.Contains(w, `"`) {
					quoted = nil
					break // no escapes: a word with a quote cannot be written back
				}
				quoted = append(quoted, `"`+w+`"`)
			}
			if quoted == nil {
				continue
			}
			again, err := tokenize(strings.Join(quoted, " "))
			if err != nil || !reflect.DeepEqual(again, words) {
				t.Fatalf("tokenize(%q) = %q; quoted back: %q, %v", line, words, again, err)
			}
		}
		var out bytes.Buffer
		if err := New(bytes.NewReader(in), &out, testCommands()).Run(); err != nil {
			t.Fatalf("Run: %v", err)
		}
	})
}

// FuzzTokenize checks the tokenizer alone: no panic, no empty result for
// a line with a non-blank byte outside quotes, and words without the
// separators unless they were quoted.
func FuzzTokenize(f *testing.F) {
	for _, s := range []string{"", "a b", `"a b" c`, `a"b c"d`, `"`, `""`, "\t\r\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		words, err := tokenize(line)
		if err != nil {
			if strings.Count(line, `"`)%2 == 0 {
				t.Fatalf("tokenize(%q): %v with balanced quotes", line, err)
			}
			return
		}
		if !strings.Contains(line, `"`) {
			if want := strings.FieldsFunc(line, func(r rune) bool { return r == ' ' || r == '\t' || r == '\r' || r == '\n' }); !reflect.DeepEqual(words, want) && len(words)+len(want) > 0 {
				t.Fatalf("tokenize(%q) = %q, want %q", line, words, want)
			}
		}
	})
}
