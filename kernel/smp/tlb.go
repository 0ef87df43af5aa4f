// tlb.go: TLB shootdown for the kernel's own mappings (the Go heap window),
// which every CPU may cache: every thread of the runtime shares them.

package smp

import "retract/arch/amd64"

// flushAll is the threshold above which a CPU reloads CR3 instead of
// invalidating page by page.
const flushAll = 64

func flushLocal(va, n uintptr) {
	if n/4096 > flushAll {
		// Reloading CR3 drops every non-global translation, and the
		// paging-structure caches with them (SDM Vol. 3A §4.10.4.1).
		amd64.WriteCR3(amd64.ReadCR3())
		return
	}
	for a := va; a < va+n; a += 4096 {
		amd64.Invlpg(a)
	}
}

// FlushKernel invalidates [va, va+n) on this CPU and on every other
// online CPU, and returns when all have done so. Only then may the frames
// that were mapped there be reused. The caller must hold no spinlock.
func FlushKernel(va, n uintptr) {
	flushLocal(va, n)
	if Count() > 1 {
		CallOthers(flushLocal, va, n)
	}
}

// FlushMask invalidates [va, va+n) on the CPUs in mask (a user address
// space's mm_cpumask), this one included if it is in the mask, and returns
// when all have. The caller may hold spinlocks that others take with
// interrupts on (the PMD lock and a PTL: PmdpCollapseFlush), but none
// that others take with interrupts off: they could not answer the IPI.
//
// Like Linux's flush_tlb_multi it sends every IPI first, flushes this
// CPU's TLB while they travel and then waits for all the answers at once:
// a shootdown to k CPUs costs one round trip, not k. It waits with
// interrupts as the caller had them (on, from process context), only
// preemption off, as Linux does: a CPU spinning with interrupts off and
// an interrupt pending makes QEMU's TCG take its global lock on every
// PAUSE, which slowed the very IPI being waited for several-fold.
func FlushMask(mask uint32, va, n uintptr) {
	amd64.PreemptDisable() // this CPU stays this CPU
	f := amd64.SaveFlagsCli()
	me := int(amd64.This().ID)
	seqs := postMany(me, mask, flushLocal, va, n)
	if mask&(1<<me) != 0 {
		flushLocal(va, n)
	}
	amd64.RestoreFlags(f)
	waitMany(me, mask, &seqs) // with interrupts on, this CPU's IPI handler serves calls to it
	amd64.PreemptEnable()
}
