// stop.go: stopping the other CPUs when one oopses.

package smp

import (
	"sync/atomic"

	"retract/arch/amd64"
	"retract/kernel/console"
)

var stopper atomic.Int32 // CPU that stopped the others, +1 (0: nobody)

// StopOthers sends an NMI to every other CPU; each prints one line and
// halts with interrupts off. NMIs get through even to a CPU spinning with
// interrupts disabled. Called by the oops path.
func StopOthers() {
	me := int32(amd64.This().ID)
	if !stopper.CompareAndSwap(0, me+1) || Count() == 1 {
		return
	}
	amd64.SendNMIAllButSelf()
}

// nmi handles vector 2. Stop requests halt the CPU; a backtrace request
// records where the CPU was and returns to it (backtrace.go); any other
// NMI is unexpected hardware trouble and is reported as an oops.
func nmi(tf *amd64.TrapFrame) {
	by := stopper.Load()
	if by == 0 {
		if backtraceNMI(tf) {
			return
		}
		amd64.Fatal(tf)
		return
	}
	var m console.Msg
	m.S("CPU ").U(uint64(amd64.This().ID)).S(" stopped (oops on CPU ").U(uint64(by - 1)).S(") at RIP ").X(tf.RIP).S("\n")
	m.Print()
	for {
		amd64.Cli()
		amd64.Hlt()
	}
}
