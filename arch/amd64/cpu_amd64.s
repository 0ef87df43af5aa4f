// cpu_amd64.s: bodies of the declarations in cpu.go.

#include "textflag.h"
#include "go_asm.h"

// func Cli()
TEXT ·Cli(SB), NOSPLIT|NOFRAME, $0-0
	CLI
	RET

// func Sti()
TEXT ·Sti(SB), NOSPLIT|NOFRAME, $0-0
	STI
	RET

// func Hlt()
TEXT ·Hlt(SB), NOSPLIT|NOFRAME, $0-0
	HLT
	RET

// func StiHlt()
TEXT ·StiHlt(SB), NOSPLIT|NOFRAME, $0-0
	STI
	HLT
	CLI
	RET

// func Pause()
TEXT ·Pause(SB), NOSPLIT|NOFRAME, $0-0
	PAUSE
	RET

// func Flags() uintptr
TEXT ·Flags(SB), NOSPLIT|NOFRAME, $0-8
	PUSHFQ
	POPQ	AX
	MOVQ	AX, ret+0(FP)
	RET

// func SaveFlagsCli() uintptr
TEXT ·SaveFlagsCli(SB), NOSPLIT|NOFRAME, $0-8
	PUSHFQ
	POPQ	AX
	CLI
	MOVQ	AX, ret+0(FP)
	RET

// func RestoreFlags(flags uintptr)
TEXT ·RestoreFlags(SB), NOSPLIT|NOFRAME, $0-8
	MOVQ	flags+0(FP), AX
	BTQ	$9, AX		// IF
	JCC	off
	STI
off:
	RET

// func ReadCR0() uint64
TEXT ·ReadCR0(SB), NOSPLIT|NOFRAME, $0-8
	MOVQ	CR0, AX
	MOVQ	AX, ret+0(FP)
	RET

// func ReadCR2() uint64
TEXT ·ReadCR2(SB), NOSPLIT|NOFRAME, $0-8
	MOVQ	CR2, AX
	MOVQ	AX, ret+0(FP)
	RET

// func ReadCR3() uint64
TEXT ·ReadCR3(SB), NOSPLIT|NOFRAME, $0-8
	MOVQ	CR3, AX
	MOVQ	AX, ret+0(FP)
	RET

// func WriteCR3(v uint64)
TEXT ·WriteCR3(SB), NOSPLIT|NOFRAME, $0-8
	MOVQ	v+0(FP), AX
	MOVQ	AX, CR3
	RET

// func WriteCR4(v uint64)
TEXT ·WriteCR4(SB), NOSPLIT|NOFRAME, $0-8
	MOVQ	v+0(FP), AX
	MOVQ	AX, CR4
	RET

// func ReadCR4() uint64
TEXT ·ReadCR4(SB), NOSPLIT|NOFRAME, $0-8
	MOVQ	CR4, AX
	MOVQ	AX, ret+0(FP)
	RET

// func Invlpg(va uintptr)
TEXT ·Invlpg(SB), NOSPLIT|NOFRAME, $0-8
	MOVQ	va+0(FP), AX
	INVLPG	(AX)
	RET

// func Rdtsc() uint64
TEXT ·Rdtsc(SB), NOSPLIT|NOFRAME, $0-8
	RDTSC
	SHLQ	$32, DX
	ORQ	DX, AX
	MOVQ	AX, ret+0(FP)
	RET

// func Rdmsr(msr uint32) uint64
TEXT ·Rdmsr(SB), NOSPLIT|NOFRAME, $0-16
	MOVL	msr+0(FP), CX
	RDMSR
	SHLQ	$32, DX
	ORQ	DX, AX
	MOVQ	AX, ret+8(FP)
	RET

// func Wrmsr(msr uint32, v uint64)
TEXT ·Wrmsr(SB), NOSPLIT|NOFRAME, $0-16
	MOVL	msr+0(FP), CX
	MOVQ	v+8(FP), AX
	MOVQ	AX, DX
	SHRQ	$32, DX
	WRMSR
	RET

// func Cpuid(leaf, sub uint32) (eax, ebx, ecx, edx uint32)
TEXT ·Cpuid(SB), NOSPLIT|NOFRAME, $0-24
	MOVL	leaf+0(FP), AX
	MOVL	sub+4(FP), CX
	CPUID
	MOVL	AX, eax+8(FP)
	MOVL	BX, ebx+12(FP)
	MOVL	CX, ecx+16(FP)
	MOVL	DX, edx+20(FP)
	RET

// func Rdrand() (v uint64, ok bool)
TEXT ·Rdrand(SB), NOSPLIT|NOFRAME, $0-9
	// RDRAND RAX
	BYTE	$0x48; BYTE $0x0f; BYTE $0xc7; BYTE $0xf0
	SETCS	BL
	MOVQ	AX, v+0(FP)
	MOVB	BL, ok+8(FP)
	RET

// func Inb(port uint16) uint8
TEXT ·Inb(SB), NOSPLIT|NOFRAME, $0-9
	MOVW	port+0(FP), DX
	INB
	MOVB	AL, ret+8(FP)
	RET

// func Outb(port uint16, v uint8)
TEXT ·Outb(SB), NOSPLIT|NOFRAME, $0-3
	MOVW	port+0(FP), DX
	MOVB	v+2(FP), AL
	OUTB
	RET

// func Inw(port uint16) uint16
TEXT ·Inw(SB), NOSPLIT|NOFRAME, $0-10
	MOVW	port+0(FP), DX
	INW
	MOVW	AX, ret+8(FP)
	RET

// func Outw(port uint16, v uint16)
TEXT ·Outw(SB), NOSPLIT|NOFRAME, $0-4
	MOVW	port+0(FP), DX
	MOVW	v+2(FP), AX
	OUTW
	RET

// func Outl(port uint16, v uint32)
TEXT ·Outl(SB), NOSPLIT|NOFRAME, $0-8
	MOVW	port+0(FP), DX
	MOVL	v+4(FP), AX
	OUTL
	RET

// func lgdt(p uintptr)
TEXT ·lgdt(SB), NOSPLIT|NOFRAME, $0-8
	MOVQ	p+0(FP), AX
	LGDT	(AX)
	RET

// func lidt(p uintptr)
TEXT ·lidt(SB), NOSPLIT|NOFRAME, $0-8
	MOVQ	p+0(FP), AX
	LIDT	(AX)
	RET

// func ltr(sel uint16)
TEXT ·ltr(SB), NOSPLIT|NOFRAME, $0-2
	MOVW	sel+0(FP), AX
	LTR	AX
	RET

// func reloadSegments(code, data uint16)
TEXT ·reloadSegments(SB), NOSPLIT|NOFRAME, $0-4
	MOVWQZX	data+2(FP), AX
	MOVW	AX, DS
	MOVW	AX, ES
	MOVW	AX, SS
	MOVWQZX	code+0(FP), AX
	// Far return to the next instruction with the new CS: push CS, push RIP, LRETQ.
	LEAQ	done<>(SB), BX
	SUBQ	$16, SP
	MOVQ	BX, 0(SP)		// RIP
	MOVQ	AX, 8(SP)		// CS
	BYTE	$0x48; BYTE $0xcb	// LRETQ (REX.W RETF)
	// not reached
	RET

TEXT done<>(SB), NOSPLIT|NOFRAME, $0
	RET

// func CrashLoad(addr uintptr) uint64
TEXT ·CrashLoad(SB), NOSPLIT|NOFRAME, $0-16
	MOVQ	addr+0(FP), AX
	MOVQ	(AX), AX	// faults on purpose when addr is unmapped
	MOVQ	AX, ret+8(FP)
	RET

// func CrashUD()
TEXT ·CrashUD(SB), NOSPLIT|NOFRAME, $0-0
	BYTE	$0x0f; BYTE $0x0b	// UD2
	RET

// func CurrentG() uintptr
TEXT ·CurrentG(SB), NOSPLIT|NOFRAME, $0-8
	MOVQ	-8(FS), AX
	MOVQ	AX, ret+0(FP)
	RET

// func FramePointer() uintptr
TEXT ·FramePointer(SB), NOSPLIT|NOFRAME, $0-8
	MOVQ	BP, AX
	MOVQ	AX, ret+0(FP)
	RET

// func preemptCountInc()
TEXT ·preemptCountInc(SB), NOSPLIT|NOFRAME, $0-0
	INCL	CPU_PreemptCount(GS)
	RET

// func preemptCountDec()
TEXT ·preemptCountDec(SB), NOSPLIT|NOFRAME, $0-0
	DECL	CPU_PreemptCount(GS)
	RET
