// report.go: the oops report (docs/architecture.md §9): what a kernel-mode exception
// prints before the CPU stops.
//
// The report is built in two halves. The first runs in trap context and
// allocates nothing: vector and name, decoded error code, CR2, registers,
// the symbol of RIP, a symbolized stack and the raw code bytes. The second,
// the disassembly, needs x86asm, which allocates; when the fault came from
// Go code on a goroutine, Report makes that goroutine finish the report
// (amd64.InjectCall) with its own g and P. A fault in trap context has no
// Go environment to borrow, so its report stops at the code bytes and says
// why.

package oops

import (
	"bytes"
	"sync/atomic"

	"retract/arch/amd64"
	"retract/kernel/console"
	"retract/mm/phys"
)

// Symbols is the kernel's symbol table, built after the runtime starts
// (before that, reports show bare addresses).
var symbols atomic.Pointer[Table]

// SetSymbols publishes the symbol table.
func SetSymbols(t *Table) { symbols.Store(t) }

// Symbols returns the symbol table, or nil before it is built.
func Symbols() *Table { return symbols.Load() }

// Halt is what happens after a report: by default the CPU stops
// (interrupts off, HLT forever). The kernel's main package replaces it for
// oops=exit (power off with a status the test harness reads).
var Halt = func() {
	for {
		amd64.Cli()
		amd64.Hlt()
	}
}

// StopOthers stops the other CPUs (an NMI broadcast once SMP exists).
var StopOthers = func() {}

// record is the state saved for the second half of the report.
var record struct {
	rip  uint64
	busy atomic.Uint32
}

// Count is the number of oopses so far (nested ones included).
var Count atomic.Uint32

// AppendSym appends pc's symbol and offset ("pkg.Func+0x1f", or "?") to m,
// without allocating: the all-CPU backtrace prints with it.
func AppendSym(m *console.Msg, pc uint64) { sym(m, pc) }

func sym(m *console.Msg, pc uint64) {
	if t := Symbols(); t != nil {
		if name, off, ok := t.Lookup(uintptr(pc)); ok {
			m.S(name).S("+").S("0x").Hex(uint64(off), 1)
			return
		}
	}
	m.S("?")
}

// errorCode decodes a #PF error code (SDM Vol. 3A §4.7, Figure 4-12).
func errorCode(m *console.Msg, vector, code uint64) {
	m.S("error code ").X(code)
	if vector != 14 {
		m.S("\n")
		return
	}
	m.S(":")
	if code&1 == 0 {
		m.S(" not-present")
	} else {
		m.S(" protection-violation")
	}
	if code&2 != 0 {
		m.S(" write")
	} else {
		m.S(" read")
	}
	if code&4 != 0 {
		m.S(" user")
	} else {
		m.S(" kernel")
	}
	if code&8 != 0 {
		m.S(" reserved-bit")
	}
	if code&16 != 0 {
		m.S(" instruction-fetch")
	}
	m.S("\n")
}

// vectorName appends "#PF page fault"-style names without allocating
// (amd64.VectorName concatenates, which trap context cannot do).
func vectorName(m *console.Msg, v uint64) *console.Msg {
	if v < 32 {
		e := amd64.Exceptions[v]
		if e.Mnemonic != "" {
			m.S(e.Mnemonic).S(" ")
		}
		return m.S(e.Name)
	}
	return m.S(amd64.VectorName(v))
}

func reg(m *console.Msg, name string, v uint64) *console.Msg {
	return m.S(name).S(" ").X(v).S("  ")
}

// Report prints an oops for tf and stops the machine. It never returns to
// the faulting code. Trap context.
func Report(tf *amd64.TrapFrame) {
	n := Count.Add(1)
	console.BreakLock()
	cpu := amd64.This()
	if n > 1 {
		var m console.Msg
		vectorName(m.S("\n--- nested oops: "), tf.Vector)
		m.S(" at RIP ").X(tf.RIP).S(" CR2 ").X(amd64.ReadCR2()).S(" while reporting; CPU ").U(uint64(cpu.ID)).S(" halted ---\n").PrintLocked()
		console.UnlockBroken()
		Halt()
	}
	StopOthers()
	cr2 := amd64.ReadCR2()
	var m console.Msg
	vectorName(m.S("\n------------[ oops: "), tf.Vector).S(" (vector ").U(tf.Vector).S(") on CPU ").U(uint64(cpu.ID)).S(" ]------------\n").PrintLocked()
	m = console.Msg{}
	if tf.Vector == 14 {
		m.S("page fault at ").X(cr2)
		switch {
		case cr2 < phys.PageSize:
			m.S(": nil pointer dereference")
		case uintptr(cr2) >= phys.HeapBase && uintptr(cr2) < phys.HeapEnd:
			if e := phys.HeapLookup(uintptr(cr2)); e == phys.PTECommitted {
				m.S(": out of memory backing the Go heap")
			} else {
				m.S(": Go heap window address that is not mapped")
			}
		case uintptr(cr2) < amd64.UserTop && tf.FromKernel():
			m.S(": a user-space (lower-half) address the kernel touched outside uaccess; a physical address used as a pointer? (the kernel reaches physical memory at phys.VA(pa))")
		}
		m.S("\n").PrintLocked()
		m = console.Msg{}
	}
	if cpu.OnEmerg != 0 && tf.Vector != 2 && tf.Vector != 8 && tf.Vector != 18 {
		m.S("kernel stack overflow (trap frame moved to the emergency stack)\n").PrintLocked()
		m = console.Msg{}
	}
	if t := Symbols(); t != nil {
		if name, _, ok := t.Lookup(uintptr(tf.RIP)); ok && name == "runtime.morestack" && tf.FromKernel() {
			m.S("kernel stack overflow: trap-context code reached its kernel g's stack guard (morestack has no m to grow it)\n").PrintLocked()
			m = console.Msg{}
		}
	}
	errorCode(&m, tf.Vector, tf.Err)
	m.PrintLocked()
	m = console.Msg{}
	m.S("RIP ").X(tf.RIP).S(" ")
	sym(&m, tf.RIP)
	m.S("\n").PrintLocked()
	m = console.Msg{}
	m.S("CR2 ").X(cr2).S("  CR3 ").X(amd64.ReadCR3()).S("  RFLAGS ").X(tf.RFLAGS).S("\n").PrintLocked()
	rows := [...]struct {
		a, b, c string
		x, y, z uint64
	}{
		{"RAX", "RBX", "RCX", tf.RAX, tf.RBX, tf.RCX},
		{"RDX", "RSI", "RDI", tf.RDX, tf.RSI, tf.RDI},
		{"RBP", "RSP", "R8 ", tf.RBP, tf.RSP, tf.R8},
		{"R9 ", "R10", "R11", tf.R9, tf.R10, tf.R11},
		{"R12", "R13", "R14", tf.R12, tf.R13, tf.R14},
	}
	for _, r := range rows {
		m = console.Msg{}
		reg(&m, r.a, r.x)
		reg(&m, r.b, r.y)
		reg(&m, r.c, r.z)
		m.S("\n").PrintLocked()
	}
	m = console.Msg{}
	reg(&m, "R15", tf.R15)
	reg(&m, "CS ", tf.CS)
	reg(&m, "SS ", tf.SS)
	m.S("\n").PrintLocked()
	m = console.Msg{}
	m.S("thread g ").X(tf.TLSG).S("  FS base ").X(uint64(amd64.FSBase())).S("  in trap context: ")
	if tf.FromKernel() {
		m.S("yes")
	} else {
		m.S("no")
	}
	m.S("\n").PrintLocked()
	stack(tf)
	codeBytes(tf.RIP)

	// The second half needs a goroutine: the faulting code must have been
	// Go code on a goroutine stack (not nested in trap context).
	if !tf.FromKernel() && tf.TLSG != 0 && cpu.OnEmerg == 0 && phys.KernelValid(uintptr(tf.RSP-64), 64) {
		record.rip = tf.RIP
		atEntry := false
		if t := Symbols(); t != nil {
			if _, off, ok := t.Lookup(uintptr(tf.RIP)); ok && off == 0 {
				atEntry = true
			}
		}
		console.UnlockBroken()
		amd64.InjectCall(tf, atEntry)
		return
	}
	m = console.Msg{}
	m.S("disassembly: not available: the fault is in trap context, where the Go allocator x86asm needs cannot run\n").PrintLocked()
	halted(cpu.ID)
	console.UnlockBroken()
	Halt()
}

func halted(id uint32) {
	var m console.Msg
	m.S("CPU ").U(uint64(id)).S(" halted (oops).\n").PrintLocked()
}

// stack prints return addresses: the word at RSP (a leaf function's return
// address) and then the frame-pointer chain (Go keeps RBP frames on amd64).
func stack(tf *amd64.TrapFrame) {
	var m console.Msg
	m.S("stack:\n").PrintLocked()
	if phys.KernelValid(uintptr(tf.RSP), 8) {
		ra := *(*uint64)(amd64.Ptr(uintptr(tf.RSP)))
		if isText(ra) {
			m = console.Msg{}
			m.S("  ").X(ra).S(" ")
			sym(&m, ra)
			m.S(" (at RSP)\n").PrintLocked()
		}
	}
	bp := tf.RBP
	for i := 0; i < 24 && bp != 0 && phys.KernelValid(uintptr(bp), 16); i++ {
		ra := *(*uint64)(amd64.Ptr(uintptr(bp + 8)))
		if !isText(ra) {
			break
		}
		m = console.Msg{}
		m.S("  ").X(ra).S(" ")
		sym(&m, ra)
		m.S("\n").PrintLocked()
		next := *(*uint64)(amd64.Ptr(uintptr(bp)))
		if next <= bp {
			break
		}
		bp = next
	}
}

// TextStart and TextEnd bound the kernel's code (set at boot from the ELF
// program headers).
var TextStart, TextEnd uint64

func isText(pc uint64) bool { return pc >= TextStart && pc < TextEnd }

func codeBytes(rip uint64) {
	var m console.Msg
	m.S("code:")
	for a := rip - 16; a < rip+16; a++ {
		if !isText(a) {
			continue
		}
		b := *(*byte)(amd64.Ptr(uintptr(a)))
		if a == rip {
			m.S(" <").Hex(uint64(b), 2).S(">")
		} else {
			m.S(" ").Hex(uint64(b), 2)
		}
	}
	m.S("\n").PrintLocked()
}

func readText(addr uint64, buf []byte) error {
	for i := range buf {
		if !isText(addr + uint64(i)) {
			return errNotText
		}
		buf[i] = *(*byte)(amd64.Ptr(uintptr(addr) + uintptr(i)))
	}
	return nil
}

type textError struct{}

func (textError) Error() string { return "address outside the kernel text" }

var errNotText error = textError{}

// ReadText reads kernel text (for the shell's dis command).
func ReadText(addr uint64, buf []byte) error { return readText(addr, buf) }

// SymFunc adapts the symbol table to Disassemble's sym argument.
func SymFunc(pc uint64) (string, uint64) {
	if t := Symbols(); t != nil {
		if name, off, ok := t.Lookup(uintptr(pc)); ok {
			return name, pc - uint64(off)
		}
	}
	return "", 0
}

// finish is the second half, run by the faulting goroutine.
func finish() {
	var b bytes.Buffer
	rip := record.rip
	var entry uint64
	if t := Symbols(); t != nil {
		if _, off, ok := t.Lookup(uintptr(rip)); ok {
			entry = rip - uint64(off)
		}
	}
	b.WriteString("disassembly:\n")
	if err := Around(&b, readText, entry, rip, 4, 3, SymFunc); err != nil {
		b.WriteString("  (" + err.Error() + ")\n")
	}
	console.BreakLock()
	console.WriteLocked(b.String())
	halted(amd64.This().ID)
	console.UnlockBroken()
	Halt()
}

func init() { amd64.SetInjectHook(finish) }
