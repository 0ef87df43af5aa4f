// lockdep.go: printing the lock validator's reports, like the oops report
// without allocating (a report may come from trap context).

package oops

import (
	"strings"

	"retract/arch/amd64"
	"retract/kernel/console"
	"retract/lockdep"
)

// LockdepReport prints r: what went wrong, which locks, and the stacks
// that explain it. amd64.InstallLockdep takes it as the report hook.
func LockdepReport(r lockdep.Report) {
	var m console.Msg
	m.S("lockdep: WARNING: ").S(r.Kind.String()).S(" on CPU ").U(uint64(amd64.This().ID)).S("\n").Print()
	switch r.Kind {
	case lockdep.Inversion:
		line("lockdep:   this context takes ", r.Class, " while holding ", r.Other, ":")
		pcs("lockdep:     ", r.PC[:])
		line("lockdep:   where it took ", r.Other, "", 0, ":")
		pcs("lockdep:     ", r.OtherPC[:])
		if held, took, heldPC, tookPC, ok := r.BeforeStacks(); ok {
			line("lockdep:   but earlier ", took, " was taken while holding ", held, ":")
			pcs("lockdep:     ", tookPC[:])
			line("lockdep:   after taking ", held, " at", 0, ":")
			pcs("lockdep:     ", heldPC[:])
		}
		var p console.Msg
		p.S("lockdep:   known order:")
		for i := 0; i < r.PathLen; i++ {
			p.S(" ").S(r.Path[i].Name())
			if i+1 < r.PathLen {
				p.S(" ->")
			}
		}
		p.S(" -> ").S(r.Path[0].Name()).S(" would close a cycle: two CPUs taking them in the two orders can deadlock\n").Print()
	case lockdep.IRQUnsafe:
		line("lockdep:   ", r.Class, " is taken with interrupts on at:", 0, "")
		pcs("lockdep:     ", r.PC[:])
		line("lockdep:   and in interrupt context at:", 0, "", 0, "")
		pcs("lockdep:     ", r.OtherPC[:])
		console.WriteString("lockdep:   an interrupt arriving while the first holds it spins forever: take it with LockIRQ\n")
	case lockdep.SleepInAtomic:
		var c console.Msg
		c.S("lockdep:   ").S(r.Class.Name()).S(" taken with")
		if r.Context.IRQsOff {
			c.S(" interrupts off,")
		}
		c.S(" preempt count ").I(int64(r.Context.Preempt)).S(", trap nesting ").I(int64(r.Context.Nesting)).S(":\n").Print()
		pcs("lockdep:     ", r.PC[:])
	case lockdep.Recursive:
		line("lockdep:   ", r.Class, " taken again by its holder:", 0, "")
		pcs("lockdep:     ", r.PC[:])
		line("lockdep:   first taken at:", 0, "", 0, "")
		pcs("lockdep:     ", r.OtherPC[:])
	default:
		line("lockdep:   lock class ", r.Class, ":", 0, "")
		pcs("lockdep:     ", r.PC[:])
	}
}

// line prints a, the name of class c (if any), b, the name of d (if any)
// and e on one line.
func line(a string, c lockdep.Class, b string, d lockdep.Class, e string) {
	var m console.Msg
	m.S(a)
	if c != 0 {
		m.S(c.Name())
	}
	m.S(b)
	if d != 0 {
		m.S(d.Name())
	}
	m.S(e).S("\n").Print()
}

// pcs prints return addresses with symbols, one per line, leaving out the
// validator's own frames and the lock types' methods.
func pcs(prefix string, pc []uintptr) {
	for _, p := range pc {
		if p == 0 {
			break
		}
		name := ""
		if t := Symbols(); t != nil {
			name, _, _ = t.Lookup(p - 1)
		}
		if strings.HasPrefix(name, "retract/lockdep.") || strings.HasPrefix(name, "retract/arch/amd64.(*SpinLock).") ||
			strings.HasPrefix(name, "retract/arch/amd64.InstallLockdep") || strings.HasPrefix(name, "retract/arch/amd64.CallerPCs") {
			continue
		}
		var m console.Msg
		m.S(prefix).X(uint64(p)).S(" ")
		sym(&m, uint64(p))
		m.S("\n").Print()
	}
}
