// entry_amd64.s: from the PVH entry (32-bit protected mode, paging off) to
// the Go runtime's own linux/amd64 entry point.
//
// pvhEntry runs in 32-bit mode but is assembled by Go's amd64 assembler, so
// it only uses instructions whose encoding means the same in both modes: no
// REX prefixes (no Q suffixes, no R8-R15), no RIP-relative sym(SB) operands,
// absolute addresses as constants (see ../shared reference §1.9).
//
// The kernel is linked at high addresses (KernelBase + 2 MiB, see
// arch/amd64/layout.go) but QEMU loads it at 2 MiB and jumps to the
// physical address of pvhEntry with paging off. pvhEntry and the first
// instructions of entry64 therefore run at physical addresses, and only
// use position-independent references; entry64 then jumps to
// entry64high through an absolute address, and everything after runs high.
//
// Physical memory it uses (constants in layout.go, mirrored in mm/phys):
//
//	0x0f000  32-bit boot stack (grows down)
//	0x10000  PML4: entry 0 (identity, until phys.DropIdentity) and 273
//	         (direct map) -> PDPT; 402 -> heap PDPT; 511 -> kernel PDPT
//	0x11000  PDPT: entries 0-3 -> the four PDs
//	0x12000  PD 0-3 GiB... four PDs, 2 MiB pages, 0-4 GiB (3-4 GiB uncached: MMIO)
//	0x16000  PT for 0-2 MiB (4 KiB pages; start64 clears entry 0 so nil dereferences fault)
//	0x17000  kernel PDPT: entry 510 -> the PD of 0-1 GiB (KernelBase = physical 0)
//	0x18000  heap PDPT (empty: the Go heap window's tables come later)
//	0x19000  GDT (null, 64-bit code 0x08, data 0x10), GDTR at 0x19100

#include "textflag.h"
#include "go_asm.h"

// func pvhEntry()
TEXT ·pvhEntry(SB), NOSPLIT|NOFRAME, $0-0
	// EBX = &hvm_start_info: keep BX untouched until entry64 stores it.
	CLI
	CLD
	MOVL	$const_bootStack32, SP

	// Zero the table area.
	MOVL	$const_tablesBase, DI
	XORL	AX, AX
	MOVL	$((const_tablesEnd-const_tablesBase)/4), CX
	REP;	STOSL

	// PML4[0] and PML4[273] -> PDPT (identity and direct map), PML4[402]
	// -> heap PDPT, PML4[511] -> kernel PDPT; PDPT[0..3] -> PD0..PD3;
	// kernel PDPT[510] -> PD0.
	MOVL	$(const_pdpt+3), const_pml4
	MOVL	$(const_pdpt+3), (const_pml4+const_pml4DirectMap*8)
	MOVL	$(const_heapPDPT+3), (const_pml4+const_pml4Heap*8)
	MOVL	$(const_kernelPDPT+3), (const_pml4+const_pml4Kernel*8)
	MOVL	$(const_pd0+3), (const_kernelPDPT+const_pdptKernel*8)
	MOVL	$(const_pd0+3), const_pdpt
	MOVL	$(const_pd0+0x1000+3), (const_pdpt+8)
	MOVL	$(const_pd0+0x2000+3), (const_pdpt+16)
	MOVL	$(const_pd0+0x3000+3), (const_pdpt+24)

	// 2048 PD entries of 2 MiB pages: P|RW|PS, plus PWT|PCD from 3 GiB up.
	MOVL	$const_pd0, DI
	MOVL	$0x83, AX
	XORL	CX, CX
pdloop:
	CMPL	CX, $1536
	JNE	pdstore
	ORL	$0x18, AX
pdstore:
	MOVL	AX, (DI)
	ADDL	$0x200000, AX
	ADDL	$8, DI
	ADDL	$1, CX
	CMPL	CX, $2048
	JNE	pdloop

	// The first 2 MiB through a page table, so that page 0 can be unmapped
	// (start64 does it once start_info, which q35 puts in page 0, is copied).
	MOVL	$(const_pt0+3), const_pd0
	MOVL	$const_pt0, DI
	MOVL	$0x0003, AX
ptloop:
	MOVL	AX, (DI)
	ADDL	$0x1000, AX
	ADDL	$8, DI
	CMPL	DI, $(const_pt0+0x1000)
	JNE	ptloop

	// GDT: null, 64-bit code (L=1), data.
	MOVL	$0, const_gdt
	MOVL	$0, (const_gdt+4)
	MOVL	$0, (const_gdt+8)
	MOVL	$0x00209a00, (const_gdt+12)
	MOVL	$0, (const_gdt+16)
	MOVL	$0x00009200, (const_gdt+20)
	MOVW	$23, (const_gdt+0x100)
	MOVL	$const_gdt, (const_gdt+0x102)
	MOVL	$(const_gdt+0x100), AX
	LGDT	(AX)

	// Long mode (SDM Vol. 3A §10.8.5): PAE, CR3, EFER.LME (+NXE, SCE), then PG.
	MOVL	CR4, AX
	ORL	$0x20, AX
	MOVL	AX, CR4
	MOVL	$const_pml4, AX
	MOVL	AX, CR3
	MOVL	$0xc0000080, CX
	RDMSR
	ORL	$0x901, AX
	WRMSR
	MOVL	CR0, AX
	ORL	$0x80010000, AX		// PG | WP
	MOVL	AX, CR0

	// Far return into the 64-bit code segment. In 32-bit mode LEAL sym(SB)
	// computes sym - (address of the next instruction); getip returns that
	// next instruction's address + 5 (the CALL's length).
	LEAL	·entry64(SB), AX
	CALL	·getip(SB)
	ADDL	CX, AX
	SUBL	$5, AX
	PUSHQ	$8			// 6a 08: push imm8 (4 bytes in 32-bit mode)
	PUSHQ	AX			// 50: push eax
	BYTE	$0xcb			// RETF: pop EIP, CS
	JMP	0(PC)

// getip returns its return address in CX (32-bit mode helper).
// func getip()
TEXT ·getip(SB), NOSPLIT|NOFRAME, $0-0
	MOVL	0(SP), CX
	RET

// entry64 is the first 64-bit code, still at its physical address. It
// loads the data segments and jumps to the linked (high) address of
// entry64high, which it reads from entry64highAddr: RIP-relative
// addressing would give the physical alias.
//
// func entry64()
TEXT ·entry64(SB), NOSPLIT|NOFRAME, $0-0
	MOVL	$0x10, AX
	MOVW	AX, DS
	MOVW	AX, ES
	MOVW	AX, SS
	XORL	AX, AX
	MOVW	AX, FS
	MOVW	AX, GS
	MOVQ	·entry64highAddr(SB), AX
	JMP	AX

// entry64highAddr holds the absolute (linked) address of entry64high.
DATA ·entry64highAddr+0(SB)/8, $·entry64high(SB)
GLOBL ·entry64highAddr(SB), RODATA, $8

// entry64high runs at the kernel's linked address. It prepares what Go
// code needs before its first call — SSE on, FS pointing at a TLS block
// whose g slot is a kernel g describing the boot stack — calls start64 for
// the rest of the early set-up, then jumps to the Go runtime's entry with
// the process stack start64 built.
//
// func entry64high()
TEXT ·entry64high(SB), NOSPLIT|NOFRAME, $0-0
	MOVL	BX, BX			// zero-extend &hvm_start_info (a physical address)
	MOVQ	BX, ·startInfoAddr(SB)

	// start64 runs below the top procArea bytes, which buildProcessStack fills.
	LEAQ	·bootStack+(const_bootStackSize-const_procArea)(SB), SP
	ANDQ	$~15, SP

	CALL	enableSSE<>(SB)

	// The boot kernel g (layout: amd64.KernelG): stack.lo, stack.hi, stackguard0, stackguard1.
	LEAQ	·bootStack(SB), AX
	MOVQ	AX, ·bootG+0(SB)
	LEAQ	2048(AX), BX
	MOVQ	BX, ·bootG+16(SB)
	MOVQ	BX, ·bootG+24(SB)
	ADDQ	$const_bootStackSize, AX
	MOVQ	AX, ·bootG+8(SB)
	LEAQ	·bootG(SB), AX
	MOVQ	AX, ·bootTLS(SB)

	// FS base = &bootTLS[1], so that FS:-8 is bootTLS[0] = &bootG.
	LEAQ	·bootTLS+8(SB), AX
	MOVQ	AX, DX
	SHRQ	$32, DX
	MOVL	$0xc0000100, CX
	WRMSR

	MOVQ	·bootTLS(SB), R14
	XORPS	X15, X15
	CALL	·start64(SB)

	// Enter the Go runtime exactly as Linux would start a static binary.
	MOVQ	·runtimeSP(SB), SP
	STI
	JMP	_rt0_amd64_linux(SB)

// apEntry64 is where an application processor arrives from the trampoline
// (trampoline.go), in 64-bit mode on the boot page tables with RSP = the top
// of its idle thread's kernel stack. Like entry64 it turns SSE on and points
// FS at a TLS block whose g slot holds a kernel g, then calls apStart.
//
// func apEntry64()
TEXT ·apEntry64(SB), NOSPLIT|NOFRAME, $0-0
	MOVL	$0x10, AX
	MOVW	AX, DS
	MOVW	AX, ES
	MOVW	AX, SS
	ANDQ	$~15, SP
	CALL	enableSSE<>(SB)
	MOVQ	·apFS(SB), AX
	MOVQ	AX, DX
	SHRQ	$32, DX
	MOVL	$0xc0000100, CX
	WRMSR
	MOVQ	-8(FS), R14
	XORPS	X15, X15
	CALL	·apStart(SB)
	HLT
	JMP	-1(PC)

// func apEntry64Addr() uintptr
TEXT ·apEntry64Addr(SB), NOSPLIT|NOFRAME, $0-8
	LEAQ	·apEntry64(SB), AX
	MOVQ	AX, ret+0(FP)
	RET

// enableSSE turns on SSE for Go code (SDM Vol. 3A §14.1.3): CR0.EM=0,
// CR0.MP=1, CR4.OSFXSR|OSXMMEXCPT. CR4.OSXSAVE stays off, so Go never uses
// AVX and FXSAVE is enough to save a thread's FPU state.
TEXT enableSSE<>(SB), NOSPLIT|NOFRAME, $0-0
	MOVQ	CR0, AX
	ANDQ	$~4, AX
	ORQ	$2, AX
	MOVQ	AX, CR0
	MOVQ	CR4, AX
	ORQ	$0x600, AX
	MOVQ	AX, CR4
	RET
