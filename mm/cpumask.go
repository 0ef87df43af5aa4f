// cpumask.go: which CPUs have loaded an address space (mm_cpumask).

package mm

// NoteCR3 records that CPU cpu loaded cr3. The scheduler calls it on every
// switch to a thread with a user address space (trap context: it only
// reads the registry and sets a bit).
func NoteCR3(cr3 uint64, cpu int) {
	if cr3 == BootPML4 || cr3 == 0 {
		return
	}
	f := Frames.Meta(cr3 >> PageShift)
	if f == nil || f.Level != 4 || f.Owner == 0 || int(f.Owner) >= len(mms) {
		return
	}
	if m := mms[f.Owner]; m != nil {
		m.CPUMask.Or(1 << cpu)
	}
}
