package oops

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func crashSym(a uint64) (string, uint64) {
	switch {
	case a >= 0x2a1f20 && a < 0x2a1f80:
		return "retract/kernel/shell.crash", 0x2a1f20
	case a == 0x300000:
		return "runtime.gopanic", 0x300000
	}
	return "", 0
}

func TestDisassemble(t *testing.T) {
	code := []byte{
		0x48, 0x8b, 0x00, // MOVQ 0(AX), AX
		0xe8, 0xb8, 0xe0, 0x05, 0x00, // CALL rel32 to 0x300000
		0x06,       // invalid in 64-bit mode
		0x0f, 0x0b, // UD2
		0x48, 0xb8, 1, 2, 3, 4, 5, 6, 7, 8, // MOVQ $imm64, AX
		0xeb, 0xfe, // JMP to itself
		0x48, 0x8b, // cut short
	}
	var b strings.Builder
	if err := Disassemble(&b, code, 0x2a1f40, 0x2a1f40, 0, crashSym); err != nil {
		t.Fatal(err)
	}
	want := "" +
		"=> 0x00000000002a1f40 <retract/kernel/shell.crash+0x20>  48 8b 00              MOVQ 0(AX), AX\n" +
		"   0x00000000002a1f43 <retract/kernel/shell.crash+0x23>  e8 b8 e0 05 00        CALL runtime.gopanic(SB)\n" +
		"   0x00000000002a1f48 <retract/kernel/shell.crash+0x28>  06                    (bad)\n" +
		"   0x00000000002a1f49 <retract/kernel/shell.crash+0x29>  0f 0b                 UD2\n" +
		"   0x00000000002a1f4b <retract/kernel/shell.crash+0x2b>  48 b8 01 02 03 04 05 06 07 08  MOVQ $0x807060504030201, AX\n" +
		"   0x00000000002a1f55 <retract/kernel/shell.crash+0x35>  eb fe                 JMP 0x2a1f55\n"
	if b.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", b.String(), want)
	}

	// No symbols, a limit of 2 instructions, the mark on the second.
	b.Reset()
	if err := Disassemble(&b, code, 0x2a1f40, 0x2a1f43, 2, nil); err != nil {
		t.Fatal(err)
	}
	want = "" +
		"   0x00000000002a1f40  48 8b 00              MOVQ 0(AX), AX\n" +
		"=> 0x00000000002a1f43  e8 b8 e0 05 00        CALL 0x300000\n"
	if b.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", b.String(), want)
	}
}

type brokenWriter struct{ n int }

func (w *brokenWriter) Write(p []byte) (int, error) {
	w.n++
	return 0, errors.New("serial gone")
}

func TestDisassembleWriteError(t *testing.T) {
	w := &brokenWriter{}
	err := Disassemble(w, []byte{0x90, 0x90, 0x90}, 0, 0, 0, nil)
	if err == nil || err.Error() != "serial gone" || w.n != 1 {
		t.Errorf("err %v after %d writes", err, w.n)
	}
}

// fakeMemory is code at 0x1000..0x1020; reads elsewhere fail.
//
//	0x1000  06 48 b8     bytes of no instruction that matters
//	0x1003  55           PUSHQ BP              <- entry
//	0x1004  48 83 ec 18  SUBQ $0x18, SP
//	0x1008  48 8b 00     MOVQ 0(AX), AX        <- mark
//	0x100b  e8 f0 0f 00 00  CALL 0x2000
//	0x1010  c3           RET
//	0x1011  cc...        INT3 padding
//
// Decoding from 0x1000 hits a bad byte; from 0x1001 and 0x1002 it runs
// over the mark; from 0x1003 it lands on it.
func fakeMemory() func(addr uint64, buf []byte) error {
	mem := []byte{0x06, 0x48, 0xb8, 0x55, 0x48, 0x83, 0xec, 0x18, 0x48, 0x8b, 0x00, 0xe8, 0xf0, 0x0f, 0x00, 0x00, 0xc3}
	for len(mem) < 0x20 {
		mem = append(mem, 0xcc)
	}
	return func(addr uint64, buf []byte) error {
		if addr < 0x1000 || addr+uint64(len(buf)) > 0x1000+uint64(len(mem)) {
			return fmt.Errorf("unmapped %#x", addr)
		}
		copy(buf, mem[addr-0x1000:])
		return nil
	}
}

func fakeSym(a uint64) (string, uint64) {
	switch {
	case a >= 0x1003 && a < 0x1011:
		return "retract/kernel/x.f", 0x1003
	case a == 0x2000:
		return "runtime.gopanic", 0x2000
	}
	return "", 0
}

func TestAround(t *testing.T) {
	want := "" +
		"   0x0000000000001003 <retract/kernel/x.f+0x0>  55                    PUSHQ BP\n" +
		"   0x0000000000001004 <retract/kernel/x.f+0x1>  48 83 ec 18           SUBQ $0x18, SP\n" +
		"=> 0x0000000000001008 <retract/kernel/x.f+0x5>  48 8b 00              MOVQ 0(AX), AX\n" +
		"   0x000000000000100b <retract/kernel/x.f+0x8>  e8 f0 0f 00 00        CALL runtime.gopanic(SB)\n" +
		"   0x0000000000001010 <retract/kernel/x.f+0xd>  c3                    RET\n"
	for _, entry := range []uint64{
		0x1003, // the right entry: decode forward from it
		0,      // unknown: search start offsets
		0x1001, // wrong: decoding from it misses the mark, so search
	} {
		var b strings.Builder
		if err := Around(&b, fakeMemory(), entry, 0x1008, 5, 2, fakeSym); err != nil {
			t.Fatalf("entry %#x: %v", entry, err)
		}
		if b.String() != want {
			t.Errorf("entry %#x: got:\n%s\nwant:\n%s", entry, b.String(), want)
		}
	}

	// Fewer instructions before; none at all.
	var b strings.Builder
	if err := Around(&b, fakeMemory(), 0, 0x1008, 1, 0, nil); err != nil {
		t.Fatal(err)
	}
	want = "" +
		"   0x0000000000001004  48 83 ec 18           SUBQ $0x18, SP\n" +
		"=> 0x0000000000001008  48 8b 00              MOVQ 0(AX), AX\n"
	if b.String() != want {
		t.Errorf("before=1: got:\n%s\nwant:\n%s", b.String(), want)
	}
	b.Reset()
	if err := Around(&b, fakeMemory(), 0x1003, 0x1008, 0, 0, nil); err != nil {
		t.Fatal(err)
	}
	if want := "=> 0x0000000000001008  48 8b 00              MOVQ 0(AX), AX\n"; b.String() != want {
		t.Errorf("before=0: got %q, want %q", b.String(), want)
	}

	// Unreadable mark.
	if err := Around(&b, fakeMemory(), 0, 0x5000, 3, 3, nil); err == nil || err.Error() != "oops: cannot read code at 0x5000" {
		t.Errorf("unreadable mark: err %v", err)
	}
}

func TestLongest(t *testing.T) {
	for _, tc := range []struct{ n, limit, want int }{
		{10, 100, 10}, {10, 10, 10}, {10, 7, 7}, {10, 0, 0}, {0, 5, 0}, {75, 8, 8},
	} {
		if got := longest(tc.n, func(k int) bool { return k <= tc.limit }); got != tc.want {
			t.Errorf("longest(%d) with limit %d = %d, want %d", tc.n, tc.limit, got, tc.want)
		}
	}
}
