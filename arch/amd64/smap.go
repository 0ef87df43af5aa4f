// smap.go: SMEP and SMAP (SDM Vol. 3A §4.6): the kernel may neither
// execute user pages (SMEP) nor read or write them (SMAP) unless it says
// so by setting RFLAGS.AC (STAC) around the access and clearing it after
// (CLAC). Every user access of this kernel goes through the probe
// accessors and CopyUser (probe_amd64.s), which do exactly that; a stray
// pointer into user memory anywhere else faults, like in Linux.

package amd64

const (
	cr4SMEP = 1 << 20
	cr4SMAP = 1 << 21

	cpuid7SMEP = 1 << 7
	cpuid7SMAP = 1 << 20
)

// SMEP and SMAP report whether the protections are on (every CPU sets
// them the same way; the boot CPU decides).
var SMEP, SMAP bool

// smapOn is SMAP as a byte for the assembly (STAC and CLAC are invalid
// instructions on a CPU without SMAP, so they are skipped when it is 0).
var smapOn uint8

// enableSMEPSMAP turns the protections on for this CPU when it has them.
// The boot CPU decides for all (APs are the same model under QEMU).
func enableSMEPSMAP(boot bool) {
	if boot {
		if max, _, _, _ := Cpuid(0, 0); max >= 7 {
			_, ebx, _, _ := Cpuid(7, 0)
			SMEP = ebx&cpuid7SMEP != 0
			SMAP = ebx&cpuid7SMAP != 0
		}
		if SMAP {
			smapOn = 1
		}
	}
	cr4 := ReadCR4()
	if SMEP {
		cr4 |= cr4SMEP
	}
	if SMAP {
		cr4 |= cr4SMAP
	}
	WriteCR4(cr4)
}
