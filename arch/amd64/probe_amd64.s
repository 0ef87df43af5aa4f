// probe_amd64.s: ProbeLoad and its exception-table entry (probe.go).

#include "textflag.h"
#include "smap_amd64.h"

// func ProbeLoad(addr uintptr) (v uint64, ok bool)
TEXT ·ProbeLoad(SB), NOSPLIT|NOFRAME, $0-17
	MOVQ	addr+0(FP), AX
	STAC_IF_SMAP
	JMP	·probeLoadInsn(SB)

// The faulting instruction is the first of this function, so its address
// is the symbol's. Arguments are still addressed from SP (no frame): addr
// at 8(SP), v at 16(SP), ok at 24(SP).
// func probeLoadInsn()
TEXT ·probeLoadInsn(SB), NOSPLIT|NOFRAME, $0-0
	MOVQ	(AX), AX
	CLAC_IF_SMAP
	MOVQ	AX, 16(SP)
	MOVB	$1, 24(SP)
	RET

// func probeLoadFixup()
TEXT ·probeLoadFixup(SB), NOSPLIT|NOFRAME, $0-0
	CLAC_IF_SMAP
	MOVQ	$0, 16(SP)
	MOVB	$0, 24(SP)
	RET

// func probeLoadInsnAddr() uintptr
TEXT ·probeLoadInsnAddr(SB), NOSPLIT|NOFRAME, $0-8
	LEAQ	·probeLoadInsn(SB), AX
	MOVQ	AX, ret+0(FP)
	RET

// func probeLoadFixupAddr() uintptr
TEXT ·probeLoadFixupAddr(SB), NOSPLIT|NOFRAME, $0-8
	LEAQ	·probeLoadFixup(SB), AX
	MOVQ	AX, ret+0(FP)
	RET

// func ProbeStore(addr uintptr, v uint64) bool
TEXT ·ProbeStore(SB), NOSPLIT|NOFRAME, $0-17
	MOVQ	addr+0(FP), AX
	MOVQ	v+8(FP), BX
	STAC_IF_SMAP
	JMP	·probeStoreInsn(SB)

// The faulting store is the first instruction; ok is at 24(SP).
// func probeStoreInsn()
TEXT ·probeStoreInsn(SB), NOSPLIT|NOFRAME, $0-0
	MOVQ	BX, (AX)
	CLAC_IF_SMAP
	MOVB	$1, 24(SP)
	RET

// func probeStoreFixup()
TEXT ·probeStoreFixup(SB), NOSPLIT|NOFRAME, $0-0
	CLAC_IF_SMAP
	MOVB	$0, 24(SP)
	RET

// func probeStoreInsnAddr() uintptr
TEXT ·probeStoreInsnAddr(SB), NOSPLIT|NOFRAME, $0-8
	LEAQ	·probeStoreInsn(SB), AX
	MOVQ	AX, ret+0(FP)
	RET

// func probeStoreFixupAddr() uintptr
TEXT ·probeStoreFixupAddr(SB), NOSPLIT|NOFRAME, $0-8
	LEAQ	·probeStoreFixup(SB), AX
	MOVQ	AX, ret+0(FP)
	RET

// func ProbeCAS32(addr uintptr, old, new uint32) (swapped, ok bool)
// Arguments from SP: addr 8, old 16, new 20; results swapped 24, ok 25.
TEXT ·ProbeCAS32(SB), NOSPLIT|NOFRAME, $0-18
	MOVQ	addr+0(FP), BX
	MOVL	old+8(FP), AX
	MOVL	new+12(FP), CX
	STAC_IF_SMAP
	JMP	·probeCASInsn(SB)

// func probeCASInsn()
TEXT ·probeCASInsn(SB), NOSPLIT|NOFRAME, $0-0
	LOCK
	CMPXCHGL	CX, (BX)
	SETEQ	24(SP)
	CLAC_IF_SMAP
	MOVB	$1, 25(SP)
	RET

// func probeCASFixup()
TEXT ·probeCASFixup(SB), NOSPLIT|NOFRAME, $0-0
	CLAC_IF_SMAP
	MOVB	$0, 24(SP)
	MOVB	$0, 25(SP)
	RET

// func probeCASInsnAddr() uintptr
TEXT ·probeCASInsnAddr(SB), NOSPLIT|NOFRAME, $0-8
	LEAQ	·probeCASInsn(SB), AX
	MOVQ	AX, ret+0(FP)
	RET

// func probeCASFixupAddr() uintptr
TEXT ·probeCASFixupAddr(SB), NOSPLIT|NOFRAME, $0-8
	LEAQ	·probeCASFixup(SB), AX
	MOVQ	AX, ret+0(FP)
	RET

// func CopyUser(dst, src, n uintptr) (left uintptr)
// Arguments from SP: dst 8, src 16, n 24; left 32.
TEXT ·CopyUser(SB), NOSPLIT|NOFRAME, $0-32
	MOVQ	dst+0(FP), DI
	MOVQ	src+8(FP), SI
	MOVQ	n+16(FP), CX
	STAC_IF_SMAP
	JMP	·copyUserInsn(SB)

// func copyUserInsn()
TEXT ·copyUserInsn(SB), NOSPLIT|NOFRAME, $0-0
	REP;	MOVSB
	CLAC_IF_SMAP
	MOVQ	CX, 32(SP)
	RET

// func copyUserFixup()
TEXT ·copyUserFixup(SB), NOSPLIT|NOFRAME, $0-0
	CLAC_IF_SMAP
	MOVQ	CX, 32(SP)
	RET

// func copyUserInsnAddr() uintptr
TEXT ·copyUserInsnAddr(SB), NOSPLIT|NOFRAME, $0-8
	LEAQ	·copyUserInsn(SB), AX
	MOVQ	AX, ret+0(FP)
	RET

// func copyUserFixupAddr() uintptr
TEXT ·copyUserFixupAddr(SB), NOSPLIT|NOFRAME, $0-8
	LEAQ	·copyUserFixup(SB), AX
	MOVQ	AX, ret+0(FP)
	RET
