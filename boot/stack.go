// stack.go: the initial process stack the Go runtime's entry expects, laid
// out as Linux's execve leaves it (System V AMD64 ABI §3.4.1):
//
//	high  strings: "retract", environment, 16 AT_RANDOM bytes
//	      AT_NULL                         auxv, pairs of (type, value)
//	      AT_RANDOM -> the 16 bytes
//	      AT_PAGESZ 4096
//	      NULL                            end of envp
//	      envp[0..n-1]
//	      NULL                            end of argv
//	      argv[0] -> "retract"
//	SP -> argc = 1
//
// The runtime's rt0_go makes the 64 KiB below SP its first g0 stack.

package boot

import (
	"unsafe"

	"retract/arch/amd64"
)

// Environment: GODEBUG settings that keep the runtime inside what the
// kernel emulates (docs/syscalls.md lists them; docs/architecture.md §1
// explains the idea).
var env = [...]string{
	"GODEBUG=asyncpreemptoff=1,decoratemappings=0,updatemaxprocs=0,containermaxprocs=0",
	"GOTRACEBACK=all",
	"HOME=/",
	"TERM=vt100",
}

const (
	atNull   = 0
	atPagesz = 6
	atRandom = 25
)

func buildProcessStack() {
	top := uintptr(unsafe.Pointer(&bootStack[0])) + bootStackSize
	p := top
	putString := func(s string) uintptr {
		p -= uintptr(len(s) + 1)
		b := (*[1 << 16]byte)(amd64.Ptr(p))
		copy(b[:len(s)], s)
		b[len(s)] = 0
		return p
	}
	argv0 := putString("retract")
	var envp [len(env)]uintptr
	for i, e := range env {
		envp[i] = putString(e)
	}
	p -= 16
	random := p
	for i := uintptr(0); i < 16; i += 8 {
		v := amd64.Rdtsc() * 0x9e3779b97f4a7c15
		if cpuHasRDRAND() {
			if r, ok := amd64.Rdrand(); ok {
				v = r
			}
		}
		*(*uint64)(amd64.Ptr(random + i)) = v
	}
	p &^= 15
	words := 1 + 2 + len(env) + 1 + 6
	p -= uintptr(words) * 8
	p &^= 15
	w := (*[64]uintptr)(amd64.Ptr(p))
	i := 0
	put := func(v uintptr) { w[i] = v; i++ }
	put(1)
	put(argv0)
	put(0)
	for _, e := range envp {
		put(e)
	}
	put(0)
	put(atPagesz)
	put(4096)
	put(atRandom)
	put(random)
	put(atNull)
	put(0)
	runtimeSP = p
}

func cpuHasRDRAND() bool {
	_, _, ecx, _ := amd64.Cpuid(1, 0)
	return ecx&(1<<30) != 0
}
