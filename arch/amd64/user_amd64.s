// user_amd64.s: switchToUser and userReturn (see user.go).

#include "textflag.h"
#include "go_asm.h"
#include "sse_amd64.h"

#define MSR_FS_BASE        0xc0000100
#define MSR_KERNEL_GS_BASE 0xc0000102

// UserRegs starts with an embedded TrapFrame, so the TrapFrame_* offsets
// address its registers.

// func switchToUser(r *UserRegs)
TEXT ·switchToUser(SB), NOSPLIT, $0-8
	MOVQ	r+0(FP), DI
	// The goroutine's callee state, on its own stack; userReturn pops it.
	PUSHQ	BP
	PUSHQ	BX
	PUSHQ	R12
	PUSHQ	R13
	PUSHQ	R14
	PUSHQ	R15
	CLI
	MOVQ	SP, CPU_UserKSP(GS)
	MOVQ	DI, CPU_UserRegs(GS)

	// The thread's FS base (its Go TLS), for the entry from ring 3; then
	// the user's FS base and (for after SWAPGS) GS base.
	MOVL	$MSR_FS_BASE, CX
	RDMSR
	SHLQ	$32, DX
	ORQ	DX, AX
	MOVQ	AX, CPU_KernelFS(GS)
	MOVQ	UserRegs_FSBase(DI), AX
	MOVQ	AX, DX
	SHRQ	$32, DX
	WRMSR
	MOVL	$MSR_KERNEL_GS_BASE, CX
	MOVQ	UserRegs_GSBase(DI), AX
	MOVQ	AX, DX
	SHRQ	$32, DX
	WRMSR

	// The user's FPU state: only SSE unless the kernel wrote the image
	// (see "The FPU" in user.go); the x87 part is still in the CPU.
	MOVQ	UserRegs_fxPtr(DI), AX
	CMPB	UserRegs_fxLoad(DI), $0
	JEQ	sseOnly
	MOVB	$0, UserRegs_fxLoad(DI)
	FXRSTOR64	(AX)
	JMP	fpuDone
sseOnly:
	SSE_LOAD(AX)
fpuDone:

	// The IRETQ frame, on the thread's kernel stack (free while the
	// thread is in ring 3: every entry from ring 3 starts at its top).
	MOVQ	CPU_KStackTop(GS), SP
	PUSHQ	TrapFrame_SS(DI)
	PUSHQ	TrapFrame_RSP(DI)
	PUSHQ	TrapFrame_RFLAGS(DI)
	PUSHQ	TrapFrame_CS(DI)
	PUSHQ	TrapFrame_RIP(DI)

	MOVQ	TrapFrame_R15(DI), R15
	MOVQ	TrapFrame_R14(DI), R14
	MOVQ	TrapFrame_R13(DI), R13
	MOVQ	TrapFrame_R12(DI), R12
	MOVQ	TrapFrame_R11(DI), R11
	MOVQ	TrapFrame_R10(DI), R10
	MOVQ	TrapFrame_R9(DI), R9
	MOVQ	TrapFrame_R8(DI), R8
	MOVQ	TrapFrame_RBP(DI), BP
	MOVQ	TrapFrame_RSI(DI), SI
	MOVQ	TrapFrame_RDX(DI), DX
	MOVQ	TrapFrame_RCX(DI), CX
	MOVQ	TrapFrame_RBX(DI), BX
	MOVQ	TrapFrame_RAX(DI), AX
	MOVQ	TrapFrame_RDI(DI), DI
	SWAPGS
	IRETQ

// func userReturn(ksp uintptr, tlsg uint64)
TEXT ·userReturn(SB), NOSPLIT|NOFRAME, $0-16
	MOVQ	ksp+0(FP), AX
	MOVQ	tlsg+8(FP), BX
	TESTQ	AX, AX			// no saved goroutine stack: a trap from ring 3 nobody entered
	JEQ	lost
	DECL	CPU_Nesting(GS)		// trapSave counted the entry
	MOVQ	BX, -8(FS)		// the task goroutine's g back in its TLS slot
	MOVQ	AX, SP			// back on the goroutine stack, in switchToUser's frame
	// Go code expects the default MXCSR, and X15 = 0. (The x87 state is
	// the user's and stays in the CPU: Go never uses it.)
	LDMXCSR	mxcsrDefault<>(SB)
	XORPS	X15, X15
	// Pop what switchToUser pushed (as loads: the assembler checks that a
	// function's own pushes and pops balance).
	MOVQ	0(SP), R15
	MOVQ	8(SP), R14
	MOVQ	16(SP), R13
	MOVQ	24(SP), R12
	MOVQ	32(SP), BX
	XCHGQ	BP, 40(SP)		// BP = the saved frame pointer (vet's framepointer check reads a MOVQ into BP here as a clobber)
	ADDQ	$48, SP
	STI
	RET
lost:
	CLI
	HLT
	JMP	lost

DATA mxcsrDefault<>+0(SB)/4, $0x1f80
GLOBL mxcsrDefault<>(SB), RODATA|NOPTR, $4

// func fxsave(p uintptr)
TEXT ·fxsave(SB), NOSPLIT, $0-8
	MOVQ	p+0(FP), AX
	FXSAVE64	(AX)
	RET
