// pte.go: typed helpers on page-table entries, named after Linux's, and Prot, a VMA's protection.

package mm

import (
	"retract/arch/amd64"
	"retract/mm/phys"
)

// Prot is the protection of a VMA, as given to mmap and mprotect.
type Prot uint8

// Protection bits. ProtNone (no bit set) means no access at all.
const (
	ProtRead  Prot = 1 << 0
	ProtWrite Prot = 1 << 1
	ProtExec  Prot = 1 << 2
	ProtNone  Prot = 0

	protAll = ProtRead | ProtWrite | ProtExec
)

// PteProtNone marks a PTE that keeps a page in a PROT_NONE mapping, like
// Linux's _PAGE_PROTNONE: the Present bit is clear, so the MMU faults on
// every access (from ring 3 and from the kernel's uaccess alike, and the
// fault path refuses it from the VMA: SIGSEGV with SEGV_ACCERR, or
// EFAULT), but the entry still holds the frame, so the data comes back
// when mprotect allows access again. It is one of the bits the MMU
// ignores in a non-present entry.
const PteProtNone amd64.PTE = 1 << 58

// PTEFlags returns the flags of a user PTE that maps a page with protection
// p: Present|User, Write if p allows writing, NX unless p allows execution.
// amd64 has no write-only or execute-only pages, so any access bit makes the
// page readable. ProtNone returns PteProtNone alone (see there).
func (p Prot) PTEFlags() amd64.PTE {
	if p&protAll == 0 {
		return PteProtNone
	}
	f := amd64.PTEPresent | amd64.PTEUser
	if p&ProtWrite != 0 {
		f |= amd64.PTEWrite
	}
	if p&ProtExec == 0 {
		f |= amd64.PTENX
	}
	return f
}

// readOnly is p without write permission, for an entry that must fault
// on the first write (copy on write, the zero page): still readable (x86
// pages are readable whenever they are mapped), unless p is ProtNone.
func (p Prot) readOnly() Prot {
	if p&protAll == 0 {
		return ProtNone
	}
	return p&^ProtWrite | ProtRead
}

// String returns p like /proc/PID/maps does: "rwx", "r--", "---".
func (p Prot) String() string {
	b := []byte("---")
	if p&ProtRead != 0 {
		b[0] = 'r'
	}
	if p&ProtWrite != 0 {
		b[1] = 'w'
	}
	if p&ProtExec != 0 {
		b[2] = 'x'
	}
	return string(b) // alloc: process context only (display)
}

// PteNone reports whether p is empty (maps nothing), like Linux's pte_none.
func PteNone(p amd64.PTE) bool { return p == 0 }

// PteSame reports whether a and b are identical in every bit, including
// Accessed and Dirty, like Linux's pte_same. The fault path uses it to see
// whether an entry changed between its lockless read and taking the ptl.
func PteSame(a, b amd64.PTE) bool { return a == b }

// PtePresent reports whether p maps a page, like Linux's pte_present: the
// MMU may use it, or it keeps a page of a PROT_NONE mapping (PteProtNone).
// This kernel has no swap entries.
func PtePresent(p amd64.PTE) bool { return p.Present() || p&PteProtNone != 0 }

// PteWrite reports whether p allows writes, like Linux's pte_write.
func PteWrite(p amd64.PTE) bool { return p&amd64.PTEWrite != 0 }

// PteDirty reports whether the page has been written through p, like
// Linux's pte_dirty.
func PteDirty(p amd64.PTE) bool { return p&amd64.PTEDirty != 0 }

// PteYoung reports whether the page has been accessed through p, like
// Linux's pte_young.
func PteYoung(p amd64.PTE) bool { return p&amd64.PTEAccessed != 0 }

// PtePFN returns the frame number p points at, like Linux's pte_pfn.
func PtePFN(p amd64.PTE) uint64 { return p.Addr() >> phys.PageShift }

// PfnPTE builds a user PTE mapping frame pfn with protection prot, like
// Linux's pfn_pte; with ProtNone, a PteProtNone entry that keeps the page.
func PfnPTE(pfn uint64, prot Prot) amd64.PTE {
	return amd64.MakePTE(pfn<<phys.PageShift, prot.PTEFlags())
}

// PteMkWrite returns p with writes allowed, like Linux's pte_mkwrite.
func PteMkWrite(p amd64.PTE) amd64.PTE { return p | amd64.PTEWrite }

// PteMkDirty returns p marked dirty, like Linux's pte_mkdirty.
func PteMkDirty(p amd64.PTE) amd64.PTE { return p | amd64.PTEDirty }

// PmdNone reports whether the PMD (page-directory) entry p is empty, like
// Linux's pmd_none.
func PmdNone(p amd64.PTE) bool { return p == 0 }

// PmdHuge reports whether p is present and maps a 2 MiB page directly (PS
// set) rather than pointing at a page table, like Linux's pmd_trans_huge.
func PmdHuge(p amd64.PTE) bool { return p.Present() && p.Huge() }

// pmdTableBad are the bits a PMD entry that points at a page table never
// carries in this kernel: NX, caching overrides, Global (ignored in
// non-leaf entries) and the ignored/protection-key bits 52-62. Permissions
// live in the leaf PTEs, so table pointers are always Present|Write (plus
// User for user tables; the MMU sets Accessed).
const pmdTableBad = amd64.PTENX | amd64.PTEPWT | amd64.PTEPCD | amd64.PTEGlobal | 0x7ff<<52

// PmdBad reports whether p is present, not huge, and not a valid pointer to
// a page table (see pmdTableBad; Write must be set), like Linux's pmd_bad.
func PmdBad(p amd64.PTE) bool {
	if !p.Present() || p.Huge() {
		return false
	}
	return p&pmdTableBad != 0 || p&amd64.PTEWrite == 0
}

// PmdPFN returns the frame number p points at (the page table, or the first
// frame of the 2 MiB page when p is huge), like Linux's pmd_pfn. In a huge
// entry bit 12 is PAT, not part of the address, so it is masked off.
func PmdPFN(p amd64.PTE) uint64 {
	a := p.Addr()
	if p.Huge() {
		a &^= amd64.PDESpan - 1
	}
	return a >> phys.PageShift
}
