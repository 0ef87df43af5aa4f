// layout.go: fixed physical addresses used before the frame allocator exists.

package boot

import (
	"retract/arch/amd64"
	"retract/mm/phys"
)

// Low-memory layout (see the picture in entry_amd64.s). Everything below
// 1 MiB is kept out of the frame allocator.
const (
	bootStack32 = 0xf000
	tablesBase  = phys.BootPML4
	pml4        = phys.BootPML4
	pdpt        = phys.BootPDPT
	pd0         = phys.BootPD0
	pt0         = phys.BootPT0
	kernelPDPT  = phys.BootKernelPDPT
	heapPDPT    = phys.BootHeapPDPT
	gdt         = phys.BootGDT
	tablesEnd   = phys.BootTablesEnd

	pml4DirectMap = amd64.PML4DirectMap
	pml4Heap      = amd64.PML4Heap
	pml4Kernel    = amd64.PML4Kernel
	pdptKernel    = amd64.PDPTKernel

	// The boot stack becomes the Go runtime's first g0 stack (rt0_go uses
	// the 64 KiB below the initial SP), after start64 is done with it.
	bootStackSize = 256 << 10
	// procArea at the top of the boot stack holds the initial process
	// stack (strings, argv, envp, auxv); start64 runs below it.
	procArea = 8 << 10
)
