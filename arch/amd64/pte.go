// pte.go: the amd64 page-table entry format (SDM Vol. 3A §4.5, Tables 4-14 to 4-20).
//
// A 48-bit linear address is split into four 9-bit table indexes and a
// 12-bit offset:
//
//	 47      39 38      30 29      21 20      12 11         0
//	+----------+----------+----------+----------+------------+
//	| PML4 idx | PDPT idx |  PD idx  |  PT idx  |   offset   |
//	+----------+----------+----------+----------+------------+
//
// Every level's entry has the same shape: flags in the low 12 bits and bit
// 63, the physical address of the next table (or of the page) in 12..51.

package amd64

// PTE is one entry of any level. Entries are read and written with atomic
// 64-bit operations by their users: the MMU sets Accessed and Dirty behind
// the kernel's back.
type PTE uint64

// Entry bits.
const (
	PTEPresent  PTE = 1 << 0
	PTEWrite    PTE = 1 << 1
	PTEUser     PTE = 1 << 2
	PTEPWT      PTE = 1 << 3
	PTEPCD      PTE = 1 << 4
	PTEAccessed PTE = 1 << 5
	PTEDirty    PTE = 1 << 6
	PTEHuge     PTE = 1 << 7 // PS: this PD (or PDPT) entry maps a 2 MiB (1 GiB) page
	PTEGlobal   PTE = 1 << 8
	PTESoft0    PTE = 1 << 9 // available to software
	PTENX       PTE = 1 << 63

	pteAddrMask PTE = 0x000ffffffffff000
)

// Entries per table and the coverage of each level.
const (
	PTEntries = 512
	PTESpan   = 1 << 12 // a PT entry maps 4 KiB
	PDESpan   = 1 << 21 // a PD entry maps 2 MiB
	PDPTESpan = 1 << 30 // a PDPT entry maps 1 GiB
	PML4ESpan = 1 << 39 // a PML4 entry maps 512 GiB
)

// MakePTE builds an entry that points at physical address pa.
func MakePTE(pa uint64, flags PTE) PTE { return PTE(pa)&pteAddrMask | flags }

// Present reports the P bit.
func (p PTE) Present() bool { return p&PTEPresent != 0 }

// Huge reports the PS bit (meaningful in PD and PDPT entries).
func (p PTE) Huge() bool { return p&PTEHuge != 0 }

// Addr returns the physical address the entry points at.
func (p PTE) Addr() uint64 { return uint64(p & pteAddrMask) }

// Index returns the table index of va at the given level (4 = PML4 ... 1 = PT).
func Index(va uintptr, level int) int { return int(va>>(12+9*(level-1))) & 511 }
