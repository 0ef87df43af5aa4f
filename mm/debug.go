// debug.go: the teaching instruments of the fault and retract paths: the
// page-table check a fault makes once it holds a table's lock (is this
// still the live table it mapped?), the violation report that tells both
// CPUs' stories, and the log of recent retracts that the report reads.
// The race-widening delay points are in delay.go.

// trapctx: process context only

package mm

import (
	"fmt"
	"sync/atomic"

	"retract/arch/amd64"
	"retract/kernel/trace"
	"retract/mm/phys"
)

// Violations counts failed debug checks.
var Violations atomic.Uint64

// violation is what checkTable saw; reported after the locks are dropped.
type violation struct {
	va           uintptr
	table        uint64
	gen, mapped  uint32
	owner        uint32
	level        uint8
	pmdNow, orig amd64.PTE
	cpu          int
}

// checkTable verifies, with the PT lock held, that the table the fault
// path is about to change is still a live page table of this mm: the same
// generation as when PteOffsetMap mapped it, owned by m, level 1. A
// violation means the table was freed (and maybe reused) under a walker:
// the use-after-free that RCU-deferred freeing of retracted tables
// prevents. Whether the PMD still points at the table is not checked here:
// a retracted but live table is legal (PteSame catches it).
func (m *MM) checkTable(pm PTEMap, va uintptr) (violation, bool) {
	f := phys.Frames.Meta(pm.Table >> phys.PageShift)
	gen := atomic.LoadUint32(&f.Gen)
	if gen == pm.Gen && f.Owner == m.ID && f.Level == 1 {
		return violation{}, true
	}
	Violations.Add(1)
	trace.Violation(va, pm.Table, m.ID)
	return violation{va: va, table: pm.Table, gen: gen, mapped: pm.Gen, owner: f.Owner, level: f.Level,
		pmdNow: phys.LoadPTE(pm.PMD), orig: pm.Load(), cpu: int(amd64.This().ID)}, false
}

// reportViolation logs a failed check with both sides of the story: what
// this CPU was doing, and who freed the table (the retract log). The first
// ReportLimit violations are told in full, then every 100th in one line.
func (m *MM) reportViolation(v violation) {
	n := reported.Add(1)
	if n > ReportLimit {
		if n%100 == 0 {
			fmt.Printf("mm: VIOLATION #%d: CPU %d at %#x in mm %d: PT page %#x freed under the fault (generation %d, mapped at %d)\n",
				n, v.cpu, v.va, m.ID, v.table, v.gen, v.mapped)
		}
		return
	}
	fmt.Printf("mm: VIOLATION: CPU %d faulting at %#x in mm %d used PT page %#x after it was freed:\n", v.cpu, v.va, m.ID, v.table)
	fmt.Printf("mm:   fault side:   mapped the table at generation %d (PteOffsetMap: pte_offset_map, RCU read side), read origPte locklessly (ptep_get_lockless), then took the table's ptl;\n", v.mapped)
	fmt.Printf("mm:                 now the frame has generation %d, owner %d, level %d, the slot reads %#x, the PMD holds %#x\n", v.gen, v.owner, v.level, uint64(v.orig), uint64(v.pmdNow))
	if r, ok := lastRetractOf(v.table); ok {
		fmt.Printf("mm:   retract side: CPU %d retracted it from mm %d at %#x (generation %d; retract_page_tables), flushed the TLBs (pmdp_collapse_flush) and freed it %s, %d µs before this check\n",
			r.cpu, r.mm, r.va, r.gen, r.mode.When(), (nanotime()-r.ns)/1000)
	} else {
		fmt.Printf("mm:   retract side: no retract of this table in the log (freed by another path)\n")
	}
	fmt.Printf("mm:   the fault backs out and retries: it writes nothing into the freed page\n")
}

// ReportLimit is how many violations are reported in full.
const ReportLimit = 5

var reported atomic.Uint64

// The retract log: the last retracts, for the violation report's "other
// CPU's story". A slot whose table is 0 is unused (no page table lives at
// physical address 0).
type retractRecord struct {
	table uint64
	mm    uint32
	va    uintptr
	cpu   int
	gen   uint32
	ns    uint64 // when (nanotime)
	mode  FreeMode
}

var (
	retractLog  [64]retractRecord
	retractNext uint64 // the slot after the newest record
	retractMu   amd64.SpinLock
)

func logRetract(table uint64, mmID uint32, va uintptr, gen uint32) {
	at := amd64.EnterAtomic()
	retractMu.Lock()
	retractLog[retractNext%uint64(len(retractLog))] = retractRecord{table: table, mm: mmID, va: va, gen: gen,
		cpu: int(amd64.This().ID), ns: nanotime(), mode: FreeModeNow()}
	retractNext++
	retractMu.Unlock()
	amd64.ExitAtomic(at)
}

// lastRetractOf returns the newest log record of table.
func lastRetractOf(table uint64) (retractRecord, bool) {
	at := amd64.EnterAtomic()
	retractMu.Lock()
	defer func() {
		retractMu.Unlock()
		amd64.ExitAtomic(at)
	}()
	for i := uint64(1); i <= uint64(len(retractLog)); i++ {
		if r := retractLog[(retractNext-i)%uint64(len(retractLog))]; r.table == table {
			return r, true
		}
	}
	return retractRecord{}, false
}

// BadPMDs counts PMD entries PteOffsetMap found corrupt (PmdBad).
var BadPMDs atomic.Uint64

// badPMD reports a corrupt PMD entry once per 100.
func badPMD(pmd *amd64.PTE, v amd64.PTE) {
	if BadPMDs.Add(1)%100 == 1 {
		fmt.Printf("mm: BUG: bad PMD %#x at %p (not a page-table pointer); %d so far\n", uint64(v), pmd, BadPMDs.Load())
	}
}
