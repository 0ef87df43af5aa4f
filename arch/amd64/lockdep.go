// lockdep.go: the machine interface of the lock validator (package
// lockdep): which CPU, which context, which goroutine, and a stack walk.

package amd64

import "retract/lockdep"

// CurrentG returns the running thread's g (the word at FS:-8): the
// goroutine in Go code, the thread's kernel g in trap context.
func CurrentG() uintptr

// FramePointer returns the caller's frame pointer (RBP): the base of the
// calling Go function's frame, whose saved RBP and return address start
// the frame-pointer chain.
func FramePointer() uintptr

// CallerPCs fills pcs with return addresses from the frame-pointer chain
// of its caller, skipping skip frames, and returns how many it wrote. It
// reads only the chain (Go keeps RBP frames on amd64; trap entry and
// goroutine starts end it with 0) and allocates nothing.
//
//go:nosplit
func CallerPCs(skip int, pcs []uintptr) int {
	bp := FramePointer()
	n := 0
	for bp != 0 && n < len(pcs) {
		ra := *(*uintptr)(ptr(bp + 8))
		next := *(*uintptr)(ptr(bp))
		if skip > 0 {
			skip--
		} else {
			pcs[n] = ra
			n++
		}
		// Frames grow upwards through the chain, each within a stack.
		if next <= bp || next-bp > 1<<20 {
			break
		}
		bp = next
	}
	return n
}

// InstallLockdep gives the lock validator its view of the machine (boot
// path, before the Go runtime starts). report prints a report without
// allocating.
func InstallLockdep(report func(r lockdep.Report)) {
	lockdep.SetMachine(lockdep.Machine{ // wb: boot, before the runtime
		CPU: ldCPU, Nesting: ldNesting, IRQsOn: ldIRQsOn, Preempt: ldPreempt, G: CurrentG,
		IRQSave: ldIRQSave, IRQRestor: ldIRQRestore, Callers: ldCallers, Report: report,
	})
}

//go:nosplit
func ldCPU() int { return int(This().ID) }

//go:nosplit
func ldNesting() int { return int(This().Nesting) }

//go:nosplit
func ldIRQsOn() bool { return !Bare || Flags()&FlagIF != 0 }

//go:nosplit
func ldPreempt() int32 { return This().PreemptCount }

// ldIRQSave enters atomic context (EnterAtomic: interrupts off, and a
// goroutine pinned) and packs the state into a word: the IF bit, and bit
// 0 for "pinned".
//
//go:nosplit
func ldIRQSave() (uintptr, bool) {
	if !Bare {
		return 0, true
	}
	f := EnterAtomic()
	t := f.rflags & FlagIF
	if f.pinned {
		t |= 1
	}
	return t, f.rflags&FlagIF != 0
}

//go:nosplit
func ldIRQRestore(t uintptr) {
	if Bare {
		ExitAtomic(AtomicFlags{rflags: t & FlagIF, pinned: t&1 != 0})
	}
}

// ldCallers skips its own frame; the report skips the frames of lockdep
// and of the lock types by name.
//
//go:nosplit
func ldCallers() (pcs [lockdep.StackDepth]uintptr) {
	CallerPCs(1, pcs[:])
	return pcs
}
