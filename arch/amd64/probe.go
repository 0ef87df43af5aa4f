// probe.go: loads that may fault, and the exception table that lets them
// (DESIGN §7). A fault at one of the listed instructions does not oops:
// the page-fault handler moves RIP to the instruction's fixup, which
// returns ok=false. The uaccess accessors of the mm issue join this table.

package amd64

// ProbeLoad reads 8 bytes at addr; ok is false if the read faulted.
func ProbeLoad(addr uintptr) (v uint64, ok bool)

func probeLoadInsn()
func probeLoadFixup()
func probeLoadInsnAddr() uintptr
func probeLoadFixupAddr() uintptr

// Fixup returns where execution continues when the instruction at rip
// faults, if rip is in the exception table.
func Fixup(rip uint64) (uint64, bool) {
	if rip == uint64(probeLoadInsnAddr()) {
		return uint64(probeLoadFixupAddr()), true
	}
	return 0, false
}
