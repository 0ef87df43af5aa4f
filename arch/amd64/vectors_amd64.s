// vectors_amd64.s: interrupt and exception entry, the SYSCALL entry, and the
// return path shared by both.
//
// Every IDT gate points into ·vectors at 16*vector. A stub pushes its vector
// number and jumps to common, which
//
//  1. inserts a zero error code for vectors whose CPU frame has none
//     (errorCodeMask, from the table in vectors.go),
//  2. moves the frame off the IST stack onto the running thread's kernel
//     stack (at its top when Go code was interrupted, below the interrupted
//     RSP when trap-context code was), or onto the CPU's emergency stack for
//     NMI, #DF, #MC and kernel stack overflow,
//  3. saves the general registers, the thread's TLS g slot and the FPU/SSE
//     state (FXSAVE; from ring 3 only the SSE registers, into the
//     thread's UserRegs), installs the kernel g, and calls trap(tf) in Go.
//
// A vector that interrupted ring 3 (CS.RPL = 3 in the CPU frame) first
// does SWAPGS and puts the thread's own FS base back (userEntryFS), then
// builds its frame at the top of the thread's kernel stack; trap() hands
// it to userTrap (see user.go), which either resumes the task goroutine
// and never comes back here, or — an interrupt nobody needs the goroutine
// for — returns, and trapReturn loads the user's FS and GS bases, does
// SWAPGS and IRETQs straight back to ring 3. NMI, #DF and
// #MC take the paranoid path: they can arrive between a SWAPGS and the
// IRETQ that follows it, so they look at the GS base MSR itself, and they
// run with FS on a per-CPU block whatever FS held; trapReturn undoes both
// for an NMI that returns.
//
// The stack picture after step 3 (TrapFrame in trapframe.go):
//
//	kernel stack top -> SS RSP RFLAGS CS RIP Err Vector RAX RBX ... R15 TLSG pad
//	                    FXSAVE area (512 bytes, 16-aligned)
//	SP ->               &TrapFrame (the argument of trap)

#include "textflag.h"
#include "go_asm.h"
#include "smap_amd64.h"
#include "sse_amd64.h"

// A stub is exactly 16 bytes so that the IDT can compute its address:
// PUSH imm32 (5 bytes), JMP rel32 to common (5 bytes), 6 bytes of INT3 padding.
// common starts right after the 256 stubs, at offset 4096.
#define STUB(n) BYTE $0x68; LONG $(n); BYTE $0xe9; LONG $(4096-16*(n)-10); BYTE $0xcc; BYTE $0xcc; BYTE $0xcc; BYTE $0xcc; BYTE $0xcc; BYTE $0xcc
#define STUB16(b) STUB(b+0); STUB(b+1); STUB(b+2); STUB(b+3); STUB(b+4); STUB(b+5); STUB(b+6); STUB(b+7); STUB(b+8); STUB(b+9); STUB(b+10); STUB(b+11); STUB(b+12); STUB(b+13); STUB(b+14); STUB(b+15)

// Room a nested trap needs below the interrupted RSP: the frame, the FXSAVE
// area, and some stack for the Go handler.
#define NESTED_ROOM (const_frameWords*8 + const_fxsaveSize + 4096)

// func vectors()
TEXT ·vectors(SB), NOSPLIT|NOFRAME, $0-0
	STUB16(0)
	STUB16(16)
	STUB16(32)
	STUB16(48)
	STUB16(64)
	STUB16(80)
	STUB16(96)
	STUB16(112)
	STUB16(128)
	STUB16(144)
	STUB16(160)
	STUB16(176)
	STUB16(192)
	STUB16(208)
	STUB16(224)
	STUB16(240)
common:
	// IST stack: vector, [error code], RIP, CS, RFLAGS, RSP, SS
	PUSHQ	AX
	PUSHQ	BX
	MOVQ	16(SP), AX		// vector
	CMPQ	AX, $32
	JAE	noerr
	MOVL	$const_errorCodeMask, BX
	BTL	AX, BX
	JCS	haserr
noerr:
	// Insert a zero error code under the vector: shift BX, AX, vector down one word.
	SUBQ	$8, SP
	MOVQ	8(SP), BX
	MOVQ	BX, 0(SP)
	MOVQ	16(SP), BX
	MOVQ	BX, 8(SP)
	MOVQ	24(SP), BX
	MOVQ	BX, 16(SP)
	MOVQ	$0, 24(SP)
	MOVQ	0(SP), BX
haserr:
	// IST: BX(0) AX(8) vector(16) err(24) RIP(32) CS(40) RFLAGS(48) RSP(56) SS(64)
	MOVQ	16(SP), AX
	CMPQ	AX, $2			// NMI
	JEQ	paranoid
	CMPQ	AX, $8			// #DF
	JEQ	paranoid
	CMPQ	AX, $18			// #MC
	JEQ	paranoid
	TESTQ	$3, 40(SP)		// CS.RPL: from ring 3?
	JEQ	fromKernel
	SWAPGS
	CALL	userEntryFS<>(SB)
	JMP	top			// the interrupted RSP is a user address
fromKernel:
	MOVQ	56(SP), AX		// interrupted RSP
	CMPQ	AX, CPU_KStackLo(GS)
	JCS	top
	CMPQ	AX, CPU_KStackTop(GS)
	JCC	top
	// Nested: trap-context code was interrupted; build the frame below its
	// RSP (skipping a red zone), unless that would overflow the kernel stack.
	SUBQ	$128, AX
	ANDQ	$~15, AX
	MOVQ	AX, BX
	SUBQ	$NESTED_ROOM, BX
	CMPQ	BX, CPU_KStackLo(GS)
	JCS	emergency
	JMP	copy
top:
	MOVQ	CPU_KStackTop(GS), AX
	JMP	copy
paranoid:
	// GS: a user GS base (lower half) means ring 3 or the window around
	// SWAPGS: swap, and remember to swap back.
	PUSHQ	CX
	PUSHQ	DX
	MOVL	$0xc0000101, CX		// MSR_GS_BASE
	RDMSR
	XORL	BX, BX
	TESTL	$0x80000000, DX
	JNE	gsok
	SWAPGS
	MOVL	$1, BX
gsok:
	MOVL	BX, CPU_ParanoidGS(GS)
	// FS: keep the interrupted base; run on this CPU's emergency TLS.
	MOVL	$0xc0000100, CX		// MSR_FS_BASE
	RDMSR
	SHLQ	$32, DX
	ORQ	DX, AX
	MOVQ	AX, CPU_ParanoidFS(GS)
	MOVQ	CPU_EmergTLS(GS), AX
	MOVQ	AX, DX
	SHRQ	$32, DX
	WRMSR
	POPQ	DX
	POPQ	CX
emergency:
	MOVL	$1, CPU_OnEmerg(GS)
	MOVQ	CPU_EmergTop(GS), AX
copy:
	// AX = the 16-aligned top to build on. Copy AX..SS (8 words), restore BX.
	MOVQ	64(SP), BX
	MOVQ	BX, -8(AX)
	MOVQ	56(SP), BX
	MOVQ	BX, -16(AX)
	MOVQ	48(SP), BX
	MOVQ	BX, -24(AX)
	MOVQ	40(SP), BX
	MOVQ	BX, -32(AX)
	MOVQ	32(SP), BX
	MOVQ	BX, -40(AX)
	MOVQ	24(SP), BX
	MOVQ	BX, -48(AX)
	MOVQ	16(SP), BX
	MOVQ	BX, -56(AX)
	MOVQ	8(SP), BX
	MOVQ	BX, -64(AX)
	MOVQ	0(SP), BX
	LEAQ	-64(AX), SP		// off the IST stack from here on
	JMP	·trapSave(SB)

// trapSave finishes the frame that common or syscallEntry started: SP points
// at the saved RAX, with Vector, Err and the CPU frame above it.
TEXT ·trapSave(SB), NOSPLIT|NOFRAME, $0-0
	PUSHQ	BX
	PUSHQ	CX
	PUSHQ	DX
	PUSHQ	SI
	PUSHQ	DI
	PUSHQ	BP
	PUSHQ	R8
	PUSHQ	R9
	PUSHQ	R10
	PUSHQ	R11
	PUSHQ	R12
	PUSHQ	R13
	PUSHQ	R14
	PUSHQ	R15
	MOVQ	-8(FS), AX		// the thread's g
	PUSHQ	AX
	PUSHQ	$0
	SUBQ	$const_fxsaveSize, SP
	// The FPU state (see "The FPU" in user.go). From ring 0: all of it,
	// in the frame (a thread switch may follow). From ring 3, into the
	// thread's own FX image: a system call or an exception saves only
	// the SSE state (the x87 state stays in the CPU: nothing switches
	// threads before the task goroutine runs), an interrupt or NMI all
	// of it (its handler may switch threads).
	TESTQ	$3, (const_fxsaveSize+TrapFrame_CS)(SP)
	JEQ	fxFull
	MOVQ	CPU_UserRegs(GS), AX
	MOVQ	UserRegs_fxPtr(AX), AX
	MOVQ	(const_fxsaveSize+TrapFrame_Vector)(SP), BX
	CMPQ	BX, $const_VectorSyscall
	JEQ	fxSSE
	CMPQ	BX, $2
	JEQ	fxUserFull
	CMPQ	BX, $32
	JCS	fxSSE
fxUserFull:
	FXSAVE64	(AX)
	JMP	fxSaved
fxSSE:
	SSE_SAVE(AX)
	JMP	fxSaved
fxFull:
	FXSAVE64	(SP)
fxSaved:
	// An interrupt does not clear RFLAGS.AC: the handler must not run
	// with user access open (a probe's STAC), nor with a user's AC.
	CLAC_IF_SMAP
	INCL	CPU_Nesting(GS)
	// Install the kernel g: in R14 for the code below, and in the TLS slot
	// because the ABI wrapper of trap reloads R14 from FS:-8.
	MOVQ	CPU_KernelG(GS), AX
	CMPL	CPU_OnEmerg(GS), $0
	JEQ	2(PC)
	MOVQ	CPU_EmergG(GS), AX
	MOVQ	AX, -8(FS)
	MOVQ	AX, R14
	MOVQ	$0, BP			// end of the frame-pointer chain for tracebacks
	LEAQ	const_fxsaveSize(SP), AX
	PUSHQ	AX
	CALL	·trap(SB)
	ADDQ	$8, SP
	JMP	·trapReturn(SB)

// trapReturn restores the frame at SP (FXSAVE area first) and IRETQs; a
// frame from ring 3 (an interrupt userTrap resumed) gets the user's FS
// and GS bases back and SWAPGS.
// A new thread's first switch also ends here (see forkret). An NMI that
// returns (only NMIs can: #DF and #MC are fatal) gets the interrupted FS
// base back and its GS swap undone.
TEXT ·trapReturn(SB), NOSPLIT|NOFRAME, $0-0
	DECL	CPU_Nesting(GS)
	TESTQ	$3, (const_fxsaveSize+TrapFrame_CS)(SP)
	JEQ	fxRestoreFrame
	// Back to ring 3 from an interrupt or NMI (userTrap): trapSave saved
	// everything in the thread's FX image.
	MOVQ	CPU_UserRegs(GS), AX
	MOVQ	UserRegs_fxPtr(AX), AX
	FXRSTOR64	(AX)
	JMP	fxRestored
fxRestoreFrame:
	FXRSTOR64	(SP)
fxRestored:
	ADDQ	$const_fxsaveSize, SP
	POPQ	AX			// pad
	POPQ	AX
	MOVQ	AX, -8(FS)		// the thread's g back into its TLS
	CMPQ	(TrapFrame_Vector-16)(SP), $2
	JNE	notNMI
	MOVL	$0, CPU_OnEmerg(GS)
	MOVL	$0xc0000100, CX		// MSR_FS_BASE (AX, CX, DX are restored below)
	MOVQ	CPU_ParanoidFS(GS), AX
	MOVQ	AX, DX
	SHRQ	$32, DX
	WRMSR
	JMP	popRegs
notNMI:
	TESTQ	$3, (TrapFrame_CS-16)(SP)
	JEQ	popRegs
	// An interrupt that resumes ring 3 (userTrap): the user's FS base,
	// and the user's GS base where SWAPGS below will fetch it. The FS
	// base changes after the last use of the kernel's FS above.
	MOVQ	CPU_UserRegs(GS), BX
	MOVL	$0xc0000100, CX		// MSR_FS_BASE
	MOVQ	UserRegs_FSBase(BX), AX
	MOVQ	AX, DX
	SHRQ	$32, DX
	WRMSR
	MOVL	$0xc0000102, CX		// MSR_KERNEL_GS_BASE
	MOVQ	UserRegs_GSBase(BX), AX
	MOVQ	AX, DX
	SHRQ	$32, DX
	WRMSR
popRegs:
	POPQ	R15
	POPQ	R14
	POPQ	R13
	POPQ	R12
	POPQ	R11
	POPQ	R10
	POPQ	R9
	POPQ	R8
	POPQ	BP
	POPQ	DI
	POPQ	SI
	POPQ	DX
	POPQ	CX
	POPQ	BX
	POPQ	AX
	CMPQ	0(SP), $2		// Vector
	JNE	notNMI2
	CMPL	CPU_ParanoidGS(GS), $0
	JEQ	iret
	SWAPGS
	JMP	iret
notNMI2:
	TESTQ	$3, 24(SP)		// CS: back to ring 3?
	JEQ	iret
	SWAPGS
iret:
	ADDQ	$16, SP			// Vector, Err
	IRETQ

// userEntryFS puts back the thread's FS base (its Go TLS, saved by
// switchToUser) on an entry from ring 3, before trapSave reads FS:-8. It
// runs on the entry's stack, after SWAPGS, and keeps every register but
// the flags.
TEXT userEntryFS<>(SB), NOSPLIT|NOFRAME, $0-0
	PUSHQ	AX
	PUSHQ	CX
	PUSHQ	DX
	MOVL	$0xc0000100, CX		// MSR_FS_BASE
	MOVQ	CPU_KernelFS(GS), AX
	MOVQ	AX, DX
	SHRQ	$32, DX
	WRMSR
	POPQ	DX
	POPQ	CX
	POPQ	AX
	RET

// syscallEntry is MSR_LSTAR. SYSCALL leaves RSP alone, puts the return RIP
// in RCX and RFLAGS in R11, and clears the RFLAGS bits in MSR_FMASK (IF
// among them). A return address in the lower half is a user program's
// SYSCALL (fromUser); the kernel runs in the upper half. The caller's stack
// may belong to a thread that is exiting, so nothing is pushed until RSP is
// the thread's kernel stack.
//
// func syscallEntry()
TEXT ·syscallEntry(SB), NOSPLIT|NOFRAME, $0-0
	BTQ	$63, CX
	JCC	fromUser
	MOVQ	SP, CPU_Scratch(GS)
	MOVQ	CPU_KStackTop(GS), SP
	PUSHQ	$const_KernelDS		// SS
	PUSHQ	CPU_Scratch(GS)		// RSP
	PUSHQ	R11			// RFLAGS
	PUSHQ	$const_KernelCS		// CS
	PUSHQ	CX			// RIP
	PUSHQ	$0			// Err
	PUSHQ	$const_VectorSyscall	// Vector
	PUSHQ	AX
	JMP	·trapSave(SB)
fromUser:
	SWAPGS
	MOVQ	SP, CPU_Scratch(GS)
	MOVQ	CPU_KStackTop(GS), SP
	PUSHQ	$const_UserDS		// SS
	PUSHQ	CPU_Scratch(GS)		// RSP
	PUSHQ	R11			// RFLAGS
	PUSHQ	$const_UserCS		// CS
	PUSHQ	CX			// RIP
	PUSHQ	$0			// Err
	PUSHQ	$const_VectorSyscall	// Vector
	PUSHQ	AX
	CALL	userEntryFS<>(SB)
	JMP	·trapSave(SB)

// func vectorsBase() uintptr
TEXT ·vectorsBase(SB), NOSPLIT|NOFRAME, $0-8
	LEAQ	·vectors(SB), AX
	MOVQ	AX, ret+0(FP)
	RET

// func syscallEntryAddr() uintptr
TEXT ·syscallEntryAddr(SB), NOSPLIT|NOFRAME, $0-8
	LEAQ	·syscallEntry(SB), AX
	MOVQ	AX, ret+0(FP)
	RET

// func gsSelf() uintptr
TEXT ·gsSelf(SB), NOSPLIT|NOFRAME, $0-8
	MOVQ	CPU_Self(GS), AX
	MOVQ	AX, ret+0(FP)
	RET
