// percpu_generic.go: per-CPU variables for Go code.

package amd64

// PerCPU holds one T per CPU. Each CPU touches its own element without
// locks (with interrupts off, or with preemption off in process context,
// so that the goroutine cannot move to another CPU in between); other CPUs
// may read them for statistics. T must hold no Go pointers if trap-context
// code writes it.
type PerCPU[T any] [MaxCPUs]T

// This returns the running CPU's element.
func (p *PerCPU[T]) This() *T { return &p[This().ID] }

// Of returns CPU id's element.
func (p *PerCPU[T]) Of(id int) *T { return &p[id] }
