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

// NoteCR3 records that CPU cpu loaded cr3. The scheduler calls it on every
// switch to a thread with a user address space (trap context: it only
// reads the registry and sets a bit).
func NoteCR3(cr3 uint64, cpu int) {
	if cr3 == phys.BootPML4 || cr3 == 0 {
		return
	}
	if m := ByPML4(cr3); m != nil {
		m.CPUMask.Or(1 << cpu)
	}
}
