// switch_amd64.s: Swtch and forkret (see switch.go).

#include "textflag.h"
#include "go_asm.h"

// func Swtch(from *uintptr, to uintptr)
TEXT ·Swtch(SB), NOSPLIT|NOFRAME, $0-16
	MOVQ	from+0(FP), AX
	MOVQ	to+8(FP), BX
	PUSHQ	BP
	MOVQ	SP, (AX)
	MOVQ	BX, SP
	POPQ	BP
	RET

// func forkret()
TEXT ·forkret(SB), NOSPLIT|NOFRAME, $0-0
	// SP: just above the two words Swtch popped = the FXSAVE area of the new frame.
	// The new thread's TLS g slot is still empty: the Go code below needs
	// the kernel g there (trapReturn puts the frame's TLSG back).
	MOVQ	CPU_KernelG(GS), AX
	MOVQ	AX, -8(FS)
	CALL	·forkretGo(SB)
	JMP	·trapReturn(SB)

// func forkretAddr() uintptr
TEXT ·forkretAddr(SB), NOSPLIT|NOFRAME, $0-8
	LEAQ	·forkret(SB), AX
	MOVQ	AX, ret+0(FP)
	RET

// func kthreadStart()
TEXT ·kthreadStart(SB), NOSPLIT|NOFRAME, $0-0
	MOVQ	CPU_KernelG(GS), AX
	MOVQ	AX, -8(FS)
	CALL	·kthreadGo(SB)
	HLT
	JMP	-1(PC)

// func kthreadStartAddr() uintptr
TEXT ·kthreadStartAddr(SB), NOSPLIT|NOFRAME, $0-8
	LEAQ	·kthreadStart(SB), AX
	MOVQ	AX, ret+0(FP)
	RET

// injectTrampoline runs on a goroutine stack after InjectCall: it calls the
// inject hook (ordinary Go with the goroutine's own g) and never returns.
// func injectTrampoline()
TEXT ·injectTrampoline(SB), NOSPLIT|NOFRAME, $0-0
	CALL	·injectGo(SB)
	CLI
	HLT
	JMP	-2(PC)

// func injectTrampolineAddr() uintptr
TEXT ·injectTrampolineAddr(SB), NOSPLIT|NOFRAME, $0-8
	LEAQ	·injectTrampoline(SB), AX
	MOVQ	AX, ret+0(FP)
	RET
