package oops

import (
	"errors"
	"fmt"
	"io"

	"golang.org/x/arch/x86/x86asm"
)

// maxInsnLen is the longest x86 instruction, in bytes.
const maxInsnLen = 15

// maxEntryDistance bounds how far Around decodes forward from a function
// entry; beyond it, it searches backwards from the mark instead.
const maxEntryDistance = 64 << 10

// maxWindow bounds the bytes before the mark that Around searches for an
// instruction boundary, which costs up to one decoding pass per byte.
const maxWindow = 512

// bytesColumn is the width of the instruction-bytes column (7 bytes).
const bytesColumn = 20

// Disassemble decodes instructions from code, which starts at address pc,
// and writes one line per instruction:
//
//	=> 0x00000000002a1f40 <retract/kernel/shell.crash+0x20>  48 8b 00              MOVQ 0(AX), AX
//
// The instruction at address mark is marked with "=>"; others start with
// three spaces. sym, which may be nil, names addresses (it returns a
// symbol name and its base address, or "") for the <name+0xoff> column and
// for branch targets in the Go-syntax text. Disassemble stops after n
// instructions (n <= 0: at the end of code). A byte that does not start a
// valid instruction is shown as "(bad)" and decoding resumes at the next
// byte; an instruction cut short by the end of code ends the listing.
func Disassemble(w io.Writer, code []byte, pc, mark uint64, n int, sym func(uint64) (string, uint64)) error {
	ew := &errWriter{w: w}
	for i := 0; (n <= 0 || i < n) && len(code) > 0; i++ {
		inst, size, err := decode(code)
		if errors.Is(err, x86asm.ErrTruncated) && len(code) < maxInsnLen {
			break
		}
		text := "(bad)"
		if err == nil {
			text = x86asm.GoSyntax(inst, pc, x86asm.SymLookup(sym))
		}
		marker := "   "
		if pc == mark {
			marker = "=> "
		}
		where := ""
		if sym != nil {
			if name, base := sym(pc); name != "" {
				where = fmt.Sprintf(" <%s+%#x>", name, pc-base)
			}
		}
		fmt.Fprintf(ew, "%s0x%016x%s  %-*s  %s\n", marker, pc, where, bytesColumn, fmt.Sprintf("% x", code[:size]), text)
		code = code[size:]
		pc += uint64(size)
	}
	return ew.err
}

// decode decodes the instruction at the start of code in 64-bit mode. On
// failure size is 1: the caller skips one byte.
func decode(code []byte) (inst x86asm.Inst, size int, err error) {
	inst, err = x86asm.Decode(code, 64)
	switch {
	case err != nil:
	case inst.Op == 0 && len(code) < maxInsnLen:
		// x86asm reports an instruction cut off by the end of code
		// as a 1-byte instruction without an opcode.
		err = x86asm.ErrTruncated
	case inst.Op == 0 || inst.Len <= 0 || inst.Len > len(code):
		err = x86asm.ErrUnrecognized
	}
	if err != nil {
		return inst, 1, err
	}
	return inst, inst.Len, nil
}

// Around writes the disassembly of up to before instructions preceding
// mark, the instruction at mark, and up to after instructions following
// it, reading code with read (which fills buf from addr or fails).
//
// Instruction boundaries before mark are not known. When entry, the start
// of the function containing mark, is known (non-zero) and not too far,
// Around decodes forward from it. Otherwise, or if that does not arrive
// exactly at mark, it reads a window of bytes before mark and tries
// successive start offsets, taking the first from which decoding arrives
// exactly at mark without undecodable bytes. The window is larger than the
// instructions shown so that the decoding has time to fall into step with
// the real instruction stream.
func Around(w io.Writer, read func(addr uint64, buf []byte) error, entry, mark uint64, before, after int, sym func(uint64) (string, uint64)) error {
	before, after = max(before, 0), max(after, 0)
	tail := readForward(read, mark, (after+1)*maxInsnLen)
	if len(tail) == 0 {
		return fmt.Errorf("oops: cannot read code at %#x", mark)
	}

	var (
		head   []byte   // bytes just before mark
		starts []uint64 // instruction addresses in head, ascending
	)
	if before > 0 && entry != 0 && entry <= mark && mark-entry <= maxEntryDistance {
		buf := make([]byte, mark-entry)
		if read(entry, buf) == nil {
			if s, ok := boundaries(append(buf, tail...), entry, mark, false); ok {
				head, starts = buf, s
			}
		}
	}
	if before > 0 && starts == nil {
		window := readBackward(read, mark, min((before+4)*maxInsnLen, maxWindow))
		code := append(window, tail...)
		base := mark - uint64(len(window))
		for off := range window {
			if s, ok := boundaries(code[off:], base+uint64(off), mark, true); ok {
				head, starts = window, s
				break
			}
		}
	}

	first := mark
	if k := min(before, len(starts)); k > 0 {
		first = starts[len(starts)-k]
	}
	code := append(head[len(head)-int(mark-first):], tail...)
	return Disassemble(w, code, first, mark, min(before, len(starts))+1+after, sym)
}

// boundaries decodes code, which starts at address start, up to address
// mark and returns the instruction addresses on the way if decoding lands
// exactly on mark. With strict, an undecodable byte fails the attempt.
func boundaries(code []byte, start, mark uint64, strict bool) ([]uint64, bool) {
	var starts []uint64
	pc := start
	for pc < mark {
		_, size, err := decode(code[pc-start:])
		if err != nil && strict {
			return nil, false
		}
		starts = append(starts, pc)
		pc += uint64(size)
	}
	return starts, pc == mark
}

// readForward reads the longest readable prefix, at most n bytes, of the
// memory starting at addr.
func readForward(read func(uint64, []byte) error, addr uint64, n int) []byte {
	buf := make([]byte, n)
	good := longest(n, func(k int) bool { return read(addr, buf[:k]) == nil })
	if good > 0 && read(addr, buf[:good]) != nil {
		return nil
	}
	return buf[:good]
}

// readBackward reads the longest readable stretch, at most n bytes, of the
// memory ending just before addr.
func readBackward(read func(uint64, []byte) error, addr uint64, n int) []byte {
	n = int(min(uint64(n), addr))
	buf := make([]byte, n)
	good := longest(n, func(k int) bool { return read(addr-uint64(k), buf[n-k:]) == nil })
	if good > 0 && read(addr-uint64(good), buf[n-good:]) != nil {
		return nil
	}
	return buf[n-good:]
}

// longest returns the largest k in [0, n] for which ok(k) holds, given
// that ok holds for all k up to some limit and fails beyond it.
func longest(n int, ok func(k int) bool) int {
	if n <= 0 || ok(n) {
		return max(n, 0)
	}
	lo, hi := 0, n // ok(lo) assumed, !ok(hi)
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		if ok(mid) {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo
}

// errWriter remembers the first write error and drops later writes.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}
