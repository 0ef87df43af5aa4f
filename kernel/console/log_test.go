package console

import (
	"bytes"
	"testing"
)

func TestRingEmpty(t *testing.T) {
	var r Ring
	if r.Len() != 0 || len(r.AppendTo(nil)) != 0 {
		t.Fatalf("empty ring: Len %d, contents %q", r.Len(), r.AppendTo(nil))
	}
}

func TestRingKeepsEverythingUntilFull(t *testing.T) {
	r := new(Ring)
	r.Append([]byte("retract: booting\n"))
	r.AppendByte('x')
	if got, want := string(r.AppendTo([]byte("> "))), "> retract: booting\nx"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	if r.Len() != 18 || r.Head != 18 {
		t.Fatalf("Len %d Head %d, want 18 18", r.Len(), r.Head)
	}
}

// The ring keeps exactly the last LogSize bytes, in order, however the
// stream wraps.
func TestRingWraps(t *testing.T) {
	r := new(Ring)
	var all []byte
	for i := 0; len(all) < 3*LogSize+123; i++ {
		line := []byte("line " + string(rune('a'+i%26)) + " of the console\n")
		if i%7 == 0 {
			line = bytes.Repeat(line, 50) // writes longer than a wrap's remainder
		}
		r.Append(line)
		all = append(all, line...)
		want := all[max(0, len(all)-LogSize):]
		if r.Len() != len(want) || r.Head != uint64(len(all)) {
			t.Fatalf("after %d bytes: Len %d Head %d, want %d %d", len(all), r.Len(), r.Head, len(want), len(all))
		}
		if i%97 == 0 || len(all) >= 3*LogSize+123 {
			if got := r.AppendTo(nil); !bytes.Equal(got, want) {
				t.Fatalf("after %d bytes the ring holds %d bytes that differ from the last %d written", len(all), len(got), len(want))
			}
		}
	}
	// Exactly full, at a wrap boundary.
	r = new(Ring)
	r.Append(bytes.Repeat([]byte{'a'}, LogSize))
	r.Append(bytes.Repeat([]byte{'b'}, LogSize))
	if got := r.AppendTo(nil); !bytes.Equal(got, bytes.Repeat([]byte{'b'}, LogSize)) {
		t.Fatalf("two full rings: got %d bytes, not LogSize b's", len(got))
	}
}

// Appending must not allocate: the console appends in trap context.
func TestRingAppendDoesNotAllocate(t *testing.T) {
	r := new(Ring)
	p := []byte("no allocation here\n")
	if n := testing.AllocsPerRun(100, func() { r.Append(p); r.AppendByte('\n') }); n != 0 {
		t.Fatalf("Append allocates %v times per call", n)
	}
}
