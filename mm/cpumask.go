// cpumask.go: which CPUs have loaded an address space (mm_cpumask).

package mm

import "retract/mm/phys"

// ByPML4 finds the address space whose PML4 is at pa (nil if none). It
// only reads the frame metadata and the registry, so trap context may use it.
func ByPML4(pa uint64) *MM {
	f := phys.Frames.Meta(pa >> phys.PageShift)
	if f == nil || f.Level != 4 || f.Owner == 0 || int(f.Owner) >= len(mms) {
		return nil
	}
	return mms[f.Owner]
}

// NoteCR3 records that CPU cpu switches from the page tables at prev to
// those at next, like the mm_cpumask updates of Linux's switch_mm: call
// it with next before the CR3 write (CR3Loading) and with prev after it
// (CR3Left). The scheduler calls them on every switch that changes CR3
// (trap context: they only read the registry and set or clear a bit).
//
// Why a CPU may leave the mask: retract uses no PCIDs, so a CR3 write
// drops every non-global TLB entry and every paging-structure cache
// entry of the old tables; once it has switched away, a CPU holds
// nothing of the mm that a flush would have to reach. The order makes
// the race with a flush safe: a CPU sets its bit before it loads CR3 and
// clears it only after, and FlushUser reads the mask with a full barrier
// after its page-table change (see flushMask), so either the flush sees
// the bit, or the CPU's walks see the change.
func CR3Loading(next uint64, cpu int) {
	if m := userMM(next); m != nil {
		m.CPUMask.Or(1 << cpu)
	}
}

// CR3Left: see CR3Loading.
func CR3Left(prev uint64, cpu int) {
	if m := userMM(prev); m != nil {
		m.CPUMask.And(^uint32(1 << cpu))
	}
}

func userMM(cr3 uint64) *MM {
	if cr3 == phys.BootPML4 || cr3 == 0 {
		return nil
	}
	return ByPML4(cr3)
}

// flushMask returns the CPUs a flush of m must reach, read with a full
// barrier (a locked OR of nothing): the page-table change the flush is for
// is then visible to any CPU that joins the mask after this read.
func flushMask(m *MM) uint32 { return m.CPUMask.Or(0) }
