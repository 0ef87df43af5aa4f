package elf

import (
	"encoding/binary"
	"strings"
	"testing"

	"retract/kernel/abi"
)

func TestStackLayout(t *testing.T) {
	const top = 0x7ffffffff000
	spec := StackSpec{
		Top: top, Argv: []string{"/bin/prog", "-x"}, Envp: []string{"A=1", "HOME=/"},
		ExecFn: "/bin/prog", Random: [16]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16},
		Aux: Aux{Phdr: 0x400040, Phnum: 9, Entry: 0x401000, HWCap: 0x178bfbff, HWCap2: 2, MinSigStkSz: 3632, SysinfoEHDR: 0x7ffff7ffd000},
	}
	st, err := NewStack(spec)
	if err != nil {
		t.Fatal(err)
	}
	if st.SP%16 != 0 || uint64(len(st.Bytes)) != top-st.SP {
		t.Fatalf("sp %#x, %d bytes", st.SP, len(st.Bytes))
	}
	mem := func(addr uint64, n int) []byte { return st.Bytes[addr-st.SP : addr-st.SP+uint64(n)] }
	word := func(i int) uint64 { return binary.LittleEndian.Uint64(st.Bytes[8*i:]) }
	cstr := func(addr uint64) string {
		b := st.Bytes[addr-st.SP:]
		return string(b[:strings.IndexByte(string(b), 0)])
	}
	// The strings, from the top down: 8 zero bytes, the file name, envp
	// strings, argv strings (argv[0] lowest).
	if string(mem(top-8, 8)) != "\x00\x00\x00\x00\x00\x00\x00\x00" {
		t.Errorf("end marker")
	}
	if st.ExecFn != top-8-uint64(len("/bin/prog\x00")) || cstr(st.ExecFn) != "/bin/prog" {
		t.Errorf("execfn at %#x", st.ExecFn)
	}
	if st.EnvEnd != st.ExecFn || st.EnvStart != st.EnvEnd-uint64(len("A=1\x00HOME=/\x00")) || string(mem(st.EnvStart, 11)) != "A=1\x00HOME=/\x00" {
		t.Errorf("env strings [%#x, %#x)", st.EnvStart, st.EnvEnd)
	}
	if st.ArgEnd != st.EnvStart || string(mem(st.ArgStart, 13)) != "/bin/prog\x00-x\x00" {
		t.Errorf("arg strings at %#x", st.ArgStart)
	}
	// Below, after 16-byte alignment: "x86_64", then the random bytes.
	if st.Platform != (st.ArgStart&^15)-7 || cstr(st.Platform) != "x86_64" {
		t.Errorf("platform at %#x (args at %#x)", st.Platform, st.ArgStart)
	}
	if st.Random != st.Platform-16 || mem(st.Random, 16)[15] != 16 || mem(st.Random, 16)[0] != 1 {
		t.Errorf("random at %#x", st.Random)
	}
	// The table: argc, argv, NULL, envp, NULL, auxv.
	if word(0) != 2 || cstr(word(1)) != "/bin/prog" || cstr(word(2)) != "-x" || word(3) != 0 ||
		cstr(word(4)) != "A=1" || cstr(word(5)) != "HOME=/" || word(6) != 0 {
		t.Errorf("argc/argv/envp words: %#x %#x %#x %#x %#x %#x %#x", word(0), word(1), word(2), word(3), word(4), word(5), word(6))
	}
	wantAux := []uint64{
		abi.AT_SYSINFO_EHDR, 0x7ffff7ffd000, abi.AT_MINSIGSTKSZ, 3632, abi.AT_HWCAP, 0x178bfbff,
		abi.AT_PAGESZ, 4096, abi.AT_CLKTCK, 100, abi.AT_PHDR, 0x400040, abi.AT_PHENT, 56, abi.AT_PHNUM, 9,
		abi.AT_BASE, 0, abi.AT_FLAGS, 0, abi.AT_ENTRY, 0x401000, abi.AT_UID, 0, abi.AT_EUID, 0,
		abi.AT_GID, 0, abi.AT_EGID, 0, abi.AT_SECURE, 0, abi.AT_RANDOM, st.Random, abi.AT_HWCAP2, 2,
		abi.AT_EXECFN, st.ExecFn, abi.AT_PLATFORM, st.Platform, abi.AT_NULL, 0,
	}
	for i, w := range wantAux {
		if got := word(7 + i); got != w {
			t.Errorf("auxv word %d = %#x, want %#x", i, got, w)
		}
	}
	// Between the end of auxv and the random bytes: only alignment.
	end := st.SP + uint64(8*(7+len(wantAux)))
	if end > st.Random || st.Random-end >= 16+8 {
		t.Errorf("table ends at %#x, random at %#x", end, st.Random)
	}
}

func TestStackEdges(t *testing.T) {
	// argc 0 becomes {""} (Linux 5.18+); no vDSO: AT_SYSINFO_EHDR left out.
	st, err := NewStack(StackSpec{Top: 0x10000000, ExecFn: "x"})
	if err != nil {
		t.Fatal(err)
	}
	w := func(i int) uint64 { return binary.LittleEndian.Uint64(st.Bytes[8*i:]) }
	if w(0) != 1 || st.Bytes[w(1)-st.SP] != 0 || w(2) != 0 || w(3) != 0 || w(4) != abi.AT_MINSIGSTKSZ {
		t.Errorf("empty argv: %#x %#x %#x %#x %#x", w(0), w(1), w(2), w(3), w(4))
	}
	// Alignment for every string length.
	for n := 0; n < 40; n++ {
		st, err := NewStack(StackSpec{Top: 0x7ffffffff000, Argv: []string{strings.Repeat("a", n)}, Envp: make([]string, n%3), ExecFn: strings.Repeat("e", n%5)})
		if err != nil || st.SP%16 != 0 {
			t.Fatalf("n=%d: sp %#x %v", n, st.SP, err)
		}
	}
	_, err = NewStack(StackSpec{Top: 0x10000000, Argv: []string{strings.Repeat("a", 32*4096)}})
	if err != abi.E2BIG {
		t.Errorf("an argument of 128 KiB: %v", err)
	}
	big := make([]string, 40)
	for i := range big {
		big[i] = strings.Repeat("b", 60000)
	}
	if _, err := NewStack(StackSpec{Top: 0x10000000, Envp: big}); err != abi.E2BIG {
		t.Errorf("2.4 MB of environment: %v", err)
	}
	if _, err := NewStack(StackSpec{Top: 0x10000000, Envp: big[:30]}); err != nil {
		t.Errorf("1.8 MB of environment: %v", err)
	}
	if _, err := NewStack(StackSpec{Top: 0x10000000, Argv: []string{"a", "b"}, MaxArgs: 19}); err != abi.E2BIG {
		t.Errorf("MaxArgs counts pointers: %v", err)
	}
}
