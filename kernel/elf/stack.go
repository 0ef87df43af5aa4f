// stack.go: the initial stack of a new process, laid out as Linux's
// create_elf_tables (and, before it, execve's copy of the strings) does.

// trapctx: process context only

package elf

import (
	"encoding/binary"

	"retract/kernel/abi"
)

// Aux holds the values of the auxiliary vector; the addresses of AT_RANDOM,
// AT_EXECFN and AT_PLATFORM come from the strings NewStack places.
type Aux struct {
	SysinfoEHDR uint64 // AT_SYSINFO_EHDR (the vDSO); 0: left out
	MinSigStkSz uint64 // AT_MINSIGSTKSZ
	HWCap       uint64 // AT_HWCAP
	PageSz      uint64 // AT_PAGESZ (0: 4096)
	ClkTck      uint64 // AT_CLKTCK (0: 100)
	Phdr        uint64 // AT_PHDR
	Phent       uint64 // AT_PHENT (0: 56)
	Phnum       uint64 // AT_PHNUM
	Base        uint64 // AT_BASE (0: no interpreter)
	Flags       uint64 // AT_FLAGS
	Entry       uint64 // AT_ENTRY
	UID, EUID   uint64
	GID, EGID   uint64
	Secure      uint64 // AT_SECURE
	HWCap2      uint64 // AT_HWCAP2
}

// StackSpec is what execve gives the new stack.
type StackSpec struct {
	Top      uint64 // the address just above the stack (STACK_TOP)
	Argv     []string
	Envp     []string
	ExecFn   string   // the path execve was given (AT_EXECFN)
	Platform string   // AT_PLATFORM ("" : "x86_64")
	Random   [16]byte // AT_RANDOM's bytes
	Aux      Aux
	// MaxArgs bounds the strings and pointers of argv and envp (0: 2 MiB,
	// a quarter of an 8 MiB stack limit).
	MaxArgs int
}

// Stack is the initial stack: Bytes go at [SP, Top).
type Stack struct {
	SP    uint64 // the initial RSP: argc is there; 16-byte aligned
	Bytes []byte
	// Where things are, for /proc/PID/{cmdline,environ,auxv} and tests.
	ArgStart, ArgEnd uint64 // argv strings
	EnvStart, EnvEnd uint64 // envp strings
	ExecFn           uint64
	Platform         uint64
	Random           uint64
	Auxv             []uint64 // the vector as written, pairs up to AT_NULL
}

// maxArgStrlen is MAX_ARG_STRLEN: one string's limit, NUL included.
const maxArgStrlen = 32 * PageSize

// NewStack lays out the initial stack, from the top down: 8 bytes of
// zero, the file name, the envp strings, the argv strings (argv[0]
// lowest), then — after aligning to 16 — "x86_64", the 16 random bytes,
// and at the 16-byte-aligned bottom argc, argv[], NULL, envp[], NULL and
// the auxiliary vector. E2BIG if a string is longer than 128 KiB or
// everything exceeds MaxArgs; an empty argv becomes {""} (Linux 5.18+).
func NewStack(spec StackSpec) (*Stack, error) {
	argv := spec.Argv
	if len(argv) == 0 {
		argv = []string{""}
	}
	limit := spec.MaxArgs
	if limit == 0 {
		limit = 2 << 20
	}
	total := (len(argv) + len(spec.Envp)) * 8
	for _, s := range append(append([]string{}, argv...), spec.Envp...) {
		if len(s)+1 > maxArgStrlen {
			return nil, abi.E2BIG
		}
		total += len(s) + 1
	}
	if total > limit {
		return nil, abi.E2BIG
	}
	if len(spec.ExecFn)+1 > maxArgStrlen {
		return nil, abi.E2BIG
	}
	platform := spec.Platform
	if platform == "" {
		platform = "x86_64"
	}
	st := &Stack{}
	// Strings, top down, into a buffer that grows downwards: buf holds
	// [p, Top).
	var buf []byte
	p := spec.Top
	push := func(b []byte) uint64 {
		buf = append(append([]byte{}, b...), buf...)
		p -= uint64(len(b))
		return p
	}
	pushStr := func(s string) uint64 { return push(append([]byte(s), 0)) }
	push(make([]byte, 8)) // the end marker
	st.ExecFn = pushStr(spec.ExecFn)
	envp := make([]uint64, len(spec.Envp))
	st.EnvEnd = p
	for i := len(spec.Envp) - 1; i >= 0; i-- {
		envp[i] = pushStr(spec.Envp[i])
	}
	st.EnvStart = p
	argp := make([]uint64, len(argv))
	st.ArgEnd = p
	for i := len(argv) - 1; i >= 0; i-- {
		argp[i] = pushStr(argv[i])
	}
	st.ArgStart = p
	// arch_align_stack (no randomization): 16-byte alignment.
	push(make([]byte, p-p&^15))
	st.Platform = pushStr(platform)
	st.Random = push(spec.Random[:])
	a := spec.Aux
	def := func(v, d uint64) uint64 {
		if v == 0 {
			return d
		}
		return v
	}
	var auxv []uint64
	if a.SysinfoEHDR != 0 {
		auxv = append(auxv, abi.AT_SYSINFO_EHDR, a.SysinfoEHDR)
	}
	auxv = append(auxv,
		abi.AT_MINSIGSTKSZ, a.MinSigStkSz,
		abi.AT_HWCAP, a.HWCap,
		abi.AT_PAGESZ, def(a.PageSz, PageSize),
		abi.AT_CLKTCK, def(a.ClkTck, 100),
		abi.AT_PHDR, a.Phdr,
		abi.AT_PHENT, def(a.Phent, phdrSize),
		abi.AT_PHNUM, a.Phnum,
		abi.AT_BASE, a.Base,
		abi.AT_FLAGS, a.Flags,
		abi.AT_ENTRY, a.Entry,
		abi.AT_UID, a.UID,
		abi.AT_EUID, a.EUID,
		abi.AT_GID, a.GID,
		abi.AT_EGID, a.EGID,
		abi.AT_SECURE, a.Secure,
		abi.AT_RANDOM, st.Random,
		abi.AT_HWCAP2, a.HWCap2,
		abi.AT_EXECFN, st.ExecFn,
		abi.AT_PLATFORM, st.Platform,
		abi.AT_NULL, 0,
	)
	st.Auxv = auxv
	words := 1 + len(argp) + 1 + len(envp) + 1 + len(auxv)
	sp := (p - uint64(8*words)) &^ 15
	table := make([]byte, p-sp)
	le := binary.LittleEndian
	w := 0
	put := func(v uint64) { le.PutUint64(table[w:], v); w += 8 }
	put(uint64(len(argp)))
	for _, v := range argp {
		put(v)
	}
	put(0)
	for _, v := range envp {
		put(v)
	}
	put(0)
	for _, v := range auxv {
		put(v)
	}
	st.SP = sp
	st.Bytes = append(table, buf...)
	return st, nil
}
