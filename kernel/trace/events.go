// events.go: the event kinds and the trace points the rest of the kernel
// calls. Every trace point is nosplit and inlinable: off, it is one atomic
// load of the enabled classes and a branch.

package trace

import "sync/atomic"

// Kind is what an event records. The comments give its fields: ID, then
// A, B, C.
type Kind uint8

const (
	KindNone Kind = iota
	// ClassFault
	KindFaultBegin // fault id; va, write (0/1), mm
	KindFaultRetry // fault id; va, orig PTE, table | reason (RetryReason in the low 12 bits)
	KindFaultEnd   // fault id; va, handler (mm.FaultPath), error (0 ok, 1 EFAULT, 2 ENOMEM)
	// ClassPte
	KindPteMap   // -; va, table, PMD value
	KindPteUnmap // -
	// ClassPtl
	KindPtlLock   // -; table
	KindPtlUnlock // -; table
	// ClassCollapse
	KindCollapseBegin // collapse id; kind (mm.CollapseKind), addr or file index, mm (0 for a file)
	KindCollapsePhase // collapse id; phase (Phase)
	KindCollapseEnd   // collapse id; result (mm.CollapseResult), tables retracted
	// ClassRetract
	KindPmdClear   // collapse id; mm, va, table: the PMD is cleared (pmdp_collapse_flush)
	KindFlushBegin // -; mm, cpumask: TLB shootdown of a user range begins
	KindFlushEnd   // -
	KindPteFreeDef // collapse id; table, grace period (0: freed at once), mode
	KindPteFree    // -; table: the deferred free ran (after its grace period)
	KindViolation  // -; va, table, mm: the debug check caught a use after free
	// ClassRCU
	KindGPStart   // -; grace period
	KindGPEnd     // -; grace period
	KindQS        // -; cpu whose quiescent state, grace period
	KindCallbacks // -; callback list's cpu, callbacks run, grace periods completed
	// ClassIPI
	KindIPISend  // -; target cpu
	KindIPIServe // -; (the call served on this CPU)
	KindIPIAck   // -; target cpu: its answer was seen
	// ClassSched
	KindSwitch // -; previous thread id, next thread id, the next one's user thread (0: none)
	// ClassUser
	KindUserEnter // -; syscall or vector: the CPU leaves ring 3
	KindUserExit  // -; the CPU returns to ring 3
	numKinds
)

// kindClass is each kind's class.
var kindClass = [numKinds]Class{
	KindFaultBegin: ClassFault, KindFaultRetry: ClassFault, KindFaultEnd: ClassFault,
	KindPteMap: ClassPte, KindPteUnmap: ClassPte,
	KindPtlLock: ClassPtl, KindPtlUnlock: ClassPtl,
	KindCollapseBegin: ClassCollapse, KindCollapsePhase: ClassCollapse, KindCollapseEnd: ClassCollapse,
	KindPmdClear: ClassRetract, KindFlushBegin: ClassRetract, KindFlushEnd: ClassRetract, KindPteFreeDef: ClassRetract,
	KindPteFree: ClassRetract, KindViolation: ClassRetract,
	KindGPStart: ClassRCU, KindGPEnd: ClassRCU, KindQS: ClassRCU, KindCallbacks: ClassRCU,
	KindIPISend: ClassIPI, KindIPIServe: ClassIPI, KindIPIAck: ClassIPI,
	KindSwitch:    ClassSched,
	KindUserEnter: ClassUser, KindUserExit: ClassUser,
}

// Class returns k's class.
func (k Kind) Class() Class {
	if k < numKinds {
		return kindClass[k]
	}
	return 0
}

// RetryReason says why a fault attempt started over.
type RetryReason uint8

const (
	RetryPteChanged RetryReason = iota + 1 // pte_same failed: another CPU changed the entry
	RetryRetracted                         // pte_same failed on a table retract had detached: the seed email's case
	RetryPmdChanged                        // the PMD changed under the fault (pmd_same, or pte_offset_map found none)
	RetryCollapsing                        // the file range is being collapsed: back out under the ptl
	RetryViolation                         // the debug check caught a freed table: back out without writing
	numRetryReasons
)

var retryNames = [numRetryReasons]string{"?", "pte_changed", "retracted", "pmd_changed", "collapsing", "violation"}

// String names the reason.
func (r RetryReason) String() string {
	if r < numRetryReasons {
		return retryNames[r]
	}
	return "?"
}

// Phase is a step of a collapse.
type Phase uint8

const (
	PhaseUnmap   Phase = iota + 1 // try_to_unmap of the small pages (unmapRange)
	PhaseCopy                     // copy into the huge page
	PhaseRetract                  // retract_page_tables
	numPhases
)

var phaseNames = [numPhases]string{"?", "try_to_unmap", "copy", "retract_page_tables"}

// String names the phase after Linux's function.
func (p Phase) String() string {
	if p < numPhases {
		return phaseNames[p]
	}
	return "?"
}

// enabled is the set of classes being recorded (0: tracing is off).
var enabled atomic.Uint32

// Enabled returns the classes being recorded.
//
//go:nosplit
func Enabled() Class { return Class(enabled.Load()) }

// On reports whether class c is being recorded: the one load a trace
// point costs when tracing is off.
//
//go:nosplit
func On(c Class) bool { return enabled.Load()&uint32(c) != 0 }

var nextID atomic.Uint32

// NewID returns a fresh id for a fault or a collapse (its slice), or 0
// when class c is off.
//
//go:nosplit
func NewID(c Class) uint32 {
	if !On(c) {
		return 0
	}
	return nextID.Add(1)
}

// The trace points. Each records one event if its class is on.

// FaultBegin: HandleMMFault starts (handle_mm_fault).
//
//go:nosplit
func FaultBegin(id uint32, va uintptr, write bool, mm uint32) {
	if On(ClassFault) {
		w := uint64(0)
		if write {
			w = 1
		}
		record(KindFaultBegin, id, uint64(va), w, uint64(mm))
	}
}

// FaultRetry: one attempt of fault id ends without resolving it.
//
//go:nosplit
func FaultRetry(id uint32, va uintptr, orig uint64, table uint64, why RetryReason) {
	if On(ClassFault) {
		record(KindFaultRetry, id, uint64(va), orig, table&^0xfff|uint64(why))
	}
}

// FaultEnd: the fault is resolved by handler path (mm.FaultPath), or
// failed (err 1: EFAULT, 2: ENOMEM).
//
//go:nosplit
func FaultEnd(id uint32, va uintptr, path uint32, err uint64) {
	if On(ClassFault) {
		record(KindFaultEnd, id, uint64(va), uint64(path), err)
	}
}

// PteMap: PteOffsetMap mapped table for va and entered the RCU read side.
//
//go:nosplit
func PteMap(va uintptr, table, pmd uint64) {
	if On(ClassPte) {
		record(KindPteMap, 0, uint64(va), table, pmd)
	}
}

// PteUnmap: PteUnmap left the read side.
//
//go:nosplit
func PteUnmap() {
	if On(ClassPte) {
		record(KindPteUnmap, 0, 0, 0, 0)
	}
}

// PtlLock: the ptl of table was taken.
//
//go:nosplit
func PtlLock(table uint64) {
	if On(ClassPtl) {
		record(KindPtlLock, 0, table, 0, 0)
	}
}

// PtlUnlock: the ptl of table was released.
//
//go:nosplit
func PtlUnlock(table uint64) {
	if On(ClassPtl) {
		record(KindPtlUnlock, 0, table, 0, 0)
	}
}

// CollapseBegin: a collapse of kind (mm.CollapseKind) starts at addr (an
// address in mm, or a file index when mm is 0).
//
//go:nosplit
func CollapseBegin(id uint32, kind uint8, addr uint64, mm uint32) {
	if On(ClassCollapse) {
		record(KindCollapseBegin, id, uint64(kind), addr, uint64(mm))
	}
}

// CollapsePhase: collapse id enters phase p.
//
//go:nosplit
func CollapsePhase(id uint32, p Phase) {
	if On(ClassCollapse) {
		record(KindCollapsePhase, id, uint64(p), 0, 0)
	}
}

// CollapseEnd: collapse id ended with result (mm.CollapseResult), having
// retracted tables.
//
//go:nosplit
func CollapseEnd(id uint32, result int, tables int) {
	if On(ClassCollapse) {
		record(KindCollapseEnd, id, uint64(result), uint64(tables), 0)
	}
}

// PmdClear: collapse id's retract clears, with pmdp_collapse_flush, the
// PMD of va in mm that points at table.
//
//go:nosplit
func PmdClear(id uint32, mm uint32, va uintptr, table uint64) {
	if On(ClassRetract) {
		record(KindPmdClear, id, uint64(mm), uint64(va), table)
	}
}

// FlushBegin: a TLB shootdown of mm's range starts, to the CPUs in mask.
//
//go:nosplit
func FlushBegin(mm uint32, mask uint32) {
	if On(ClassRetract) {
		record(KindFlushBegin, 0, uint64(mm), uint64(mask), 0)
	}
}

// FlushEnd: the shootdown is done (every CPU answered).
//
//go:nosplit
func FlushEnd() {
	if On(ClassRetract) {
		record(KindFlushEnd, 0, 0, 0, 0)
	}
}

// PteFreeDefer: collapse id's retract handed table to pte_free_defer,
// freed after grace period gp (0: at once, unsafe mode mode).
//
//go:nosplit
func PteFreeDefer(id uint32, table, gp uint64, mode uint8) {
	if On(ClassRetract) {
		record(KindPteFreeDef, id, table, gp, uint64(mode))
	}
}

// PteFree: the deferred free of table ran.
//
//go:nosplit
func PteFree(table uint64) {
	if On(ClassRetract) {
		record(KindPteFree, 0, table, 0, 0)
	}
}

// Violation: the debug check caught a fault at va of mm using the freed
// table.
//
//go:nosplit
func Violation(va uintptr, table uint64, mm uint32) {
	if On(ClassRetract) {
		record(KindViolation, 0, uint64(va), table, uint64(mm))
	}
}

// GPStart: grace period gp starts.
//
//go:nosplit
func GPStart(gp uint64) {
	if On(ClassRCU) {
		record(KindGPStart, 0, gp, 0, 0)
	}
}

// GPEnd: grace period gp ends.
//
//go:nosplit
func GPEnd(gp uint64) {
	if On(ClassRCU) {
		record(KindGPEnd, 0, gp, 0, 0)
	}
}

// QS: cpu reported the quiescent state the running grace period gp
// needed from it.
//
//go:nosplit
func QS(cpu int, gp uint64) {
	if On(ClassRCU) {
		record(KindQS, 0, uint64(cpu), gp, 0)
	}
}

// Callbacks: n callbacks of cpu's list ran, completed grace periods being
// done.
//
//go:nosplit
func Callbacks(cpu int, n int, done uint64) {
	if On(ClassRCU) {
		record(KindCallbacks, 0, uint64(cpu), uint64(n), done)
	}
}

// IPISend: a function-call IPI to target was sent.
//
//go:nosplit
func IPISend(target int) {
	if On(ClassIPI) {
		record(KindIPISend, 0, uint64(target), 0, 0)
	}
}

// IPIServe: this CPU served a call another CPU posted.
//
//go:nosplit
func IPIServe() {
	if On(ClassIPI) {
		record(KindIPIServe, 0, 0, 0, 0)
	}
}

// IPIAck: target's answer to our call was seen.
//
//go:nosplit
func IPIAck(target int) {
	if On(ClassIPI) {
		record(KindIPIAck, 0, uint64(target), 0, 0)
	}
}

// Switch: this CPU switched from thread prev to thread next, which runs
// user thread nextUser (0: a kernel thread, such as one of the Go
// runtime's).
//
//go:nosplit
func Switch(prev, next, nextUser int32) {
	if On(ClassSched) {
		record(KindSwitch, 0, uint64(prev), uint64(next), uint64(nextUser))
	}
}

// UserEnter records that a user thread came back into the kernel from
// ring 3, by a system call or a vector (kernel/proc's task loop calls it
// right after amd64.RunUser returns); nr is the system call's number
// (Linux's sys_enter tracepoint), ignored for other vectors.
//
//go:nosplit
func UserEnter(vector, nr uint64) {
	if On(ClassUser) {
		record(KindUserEnter, 0, vector, nr, 0)
	}
}

// UserExit is UserEnter's pair: the CPU returns to user mode.
//
//go:nosplit
func UserExit() {
	if On(ClassUser) {
		record(KindUserExit, 0, 0, 0, 0)
	}
}
