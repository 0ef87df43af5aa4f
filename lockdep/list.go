// list.go: the classes and the recorded order, for display.

// trapctx: process context only

package lockdep

// Classes returns the registered classes' names, by class number.
func Classes() []string {
	var out []string
	for c := uint32(1); c < nclasses.Load(); c++ {
		out = append(out, classes[c].name)
	}
	return out
}

// Edges returns the recorded order, as class-name pairs (for `lockdep`
// in the shell and for tests).
func Edges() [][2]string {
	f, _ := m.IRQSave()
	graphW.lock()
	out := make([][2]string, 0, nedges) // alloc: process context only
	for i := 0; i < nedges; i++ {
		out = append(out, [2]string{edges[i].from.Name(), edges[i].to.Name()})
	}
	graphW.unlock()
	m.IRQRestor(f)
	return out
}
