// backtrace.go: a backtrace of every CPU on demand, like Linux's
// trigger_all_cpu_backtrace and nmi_cpu_backtrace (sysrq l): the caller
// marks every online CPU, sends an NMI to all of them (itself included),
// and each records, in its NMI handler, where it was — RIP, flags, the
// preempt count and RCU nesting, and the frame-pointer chain. An NMI gets
// through even to a CPU that spins with interrupts off, which is the point:
// the timer interrupt, and with it the watchdog and the tick, never reach
// such a CPU. The caller then prints the records, symbolized.
//
// Everything here allocates nothing and takes no lock but the console's
// output lock (to print): the console's Ctrl-\ runs it in trap context,
// from the serial interrupt; the shell's `bt all` from a goroutine.

package smp

import (
	"io"
	"sync/atomic"

	"retract/arch/amd64"
	"retract/kernel/clock"
	"retract/kernel/console"
	"retract/kernel/oops"
	"retract/kernel/sched"
	"retract/mm/phys"
)

// MaxFrames is how many return addresses a backtrace keeps per stack.
const MaxFrames = 24

// Stack is one chain of frames: where the code was and its callers.
type Stack struct {
	RIP   uint64
	AtRSP uint64 // the word at RSP if it is a code address (a leaf's return address), else 0
	N     int
	PCs   [MaxFrames]uint64
}

// Backtrace is what one CPU recorded in its NMI handler.
type Backtrace struct {
	CPU        int
	Answered   bool  // the CPU recorded in time
	TID        int32 // the scheduler's current thread (-1 before it runs)
	Idle       bool  // it is the CPU's idle thread
	RFLAGS     uint64
	Preempt    int32 // preempt count
	RCUNest    int32 // RCU read-side nesting
	Nesting    uint32
	TrapCtx    bool  // the NMI interrupted trap-context code (a handler)
	Stack      Stack // the interrupted code
	Outer      Stack // TrapCtx: the Go code that handler interrupted (its frame tops the kernel stack)
	OuterValid bool
}

// IRQsOff reports whether the CPU ran with interrupts disabled.
func (b *Backtrace) IRQsOff() bool { return b.RFLAGS&amd64.FlagIF == 0 }

// Backtrace request states per CPU.
const (
	btIdle uint32 = iota
	btWanted
	btDone
)

var (
	btState  [amd64.MaxCPUs]atomic.Uint32
	btRecord [amd64.MaxCPUs]Backtrace
	btBusy   atomic.Bool   // one request at a time
	btLast   atomic.Uint64 // when the console key last asked (nanotime)
)

// TriggerBacktraces sends an NMI to every online CPU and waits (at most
// timeoutNS) for each to record where it was. It returns the records, in
// CPU order, and false if another request is under way. Any context.
func TriggerBacktraces(out *[amd64.MaxCPUs]Backtrace, timeoutNS uint64) (n int, ok bool) {
	if !btBusy.CompareAndSwap(false, true) {
		return 0, false
	}
	defer btBusy.Store(false)
	n = Count()
	for id := 0; id < n; id++ {
		btState[id].Store(btWanted)
	}
	amd64.SendNMIAll()
	for end := clock.Nanotime() + timeoutNS; clock.Nanotime() < end; {
		all := true
		for id := 0; id < n; id++ {
			all = all && btState[id].Load() == btDone
		}
		if all {
			break
		}
		amd64.Pause()
	}
	for id := 0; id < n; id++ {
		out[id] = btRecord[id]
		out[id].CPU = id
		out[id].Answered = btState[id].Load() == btDone
		btState[id].Store(btIdle)
	}
	return n, true
}

// backtraceNMI is the NMI handler's part: if this CPU was asked for a
// backtrace, record it and report true (the NMI was expected).
func backtraceNMI(tf *amd64.TrapFrame) bool {
	c := amd64.This()
	id := c.ID
	if btState[id].Load() != btWanted {
		return false
	}
	r := &btRecord[id]
	r.TID, r.Idle = sched.TIDAt(c.Thread)
	r.RFLAGS = tf.RFLAGS
	r.Preempt, r.RCUNest = c.PreemptCount, c.RCUNest
	r.Nesting = c.Nesting - 1 // without this NMI
	r.TrapCtx = tf.FromKernel()
	walk(&r.Stack, tf.RIP, tf.RSP, tf.RBP)
	r.OuterValid = false
	if r.TrapCtx && !r.Idle {
		// The first trap on a thread builds its frame at the top of the
		// kernel stack (vectors_amd64.s): that is the Go code the
		// handler interrupted. (An idle thread runs on its kernel stack
		// itself: nothing is above it.)
		fa := c.KStackTop - uintptr(trapFrameSize)
		if readable(fa, uintptr(trapFrameSize)) {
			o := (*amd64.TrapFrame)(amd64.Ptr(fa))
			if isText(o.RIP) {
				walk(&r.Outer, o.RIP, o.RSP, o.RBP)
				r.OuterValid = true
			}
		}
	}
	btState[id].Store(btDone)
	return true
}

const trapFrameSize = 24 * 8 // amd64.TrapFrame

// walk records rip, the word at rsp (if it is code) and the frame-pointer
// chain from rbp, reading only memory that is mapped and present (a fault
// here, inside an NMI, must not happen).
func walk(s *Stack, rip, rsp, rbp uint64) {
	s.RIP, s.AtRSP, s.N = rip, 0, 0
	if readable(uintptr(rsp), 8) {
		if ra := *(*uint64)(amd64.Ptr(uintptr(rsp))); isText(ra) {
			s.AtRSP = ra
		}
	}
	for bp := rbp; s.N < MaxFrames && bp != 0 && readable(uintptr(bp), 16); {
		ra := *(*uint64)(amd64.Ptr(uintptr(bp + 8)))
		if !isText(ra) {
			break
		}
		s.PCs[s.N] = ra
		s.N++
		next := *(*uint64)(amd64.Ptr(uintptr(bp)))
		if next <= bp {
			break
		}
		bp = next
	}
}

func isText(pc uint64) bool { return pc >= oops.TextStart && pc < oops.TextEnd }

// readable reports whether [a, a+n) is mapped and present in the kernel's
// address space: RAM (identity-mapped), or heap-window pages that are
// backed already (a committed but untouched page would fault in a frame,
// which takes the allocator's lock — not from an NMI).
func readable(a, n uintptr) bool {
	if !phys.KernelValid(a, n) {
		return false
	}
	if a < phys.HeapBase {
		return true
	}
	for p := a &^ (phys.PageSize - 1); p < a+n; p += phys.PageSize {
		if !phys.HeapLookup(p).Present() {
			return false
		}
	}
	return true
}

// PrintBacktraces prints records on the console, one block per CPU, like
// Linux's "NMI backtrace for cpu N". Allocation-free: trap context may
// call it.
func PrintBacktraces(recs []Backtrace) { formatBacktraces(recs, btSink{}) }

// FprintBacktraces writes what PrintBacktraces prints to w. Process
// context.
func FprintBacktraces(w io.Writer, recs []Backtrace) { formatBacktraces(recs, btSink{w}) }

// btSink is where the report's lines go: the console (no writer), or w.
type btSink struct{ w io.Writer }

func (s btSink) emit(m *console.Msg) {
	if s.w == nil {
		m.Print()
		return
	}
	b := append([]byte(nil), m.Bytes()...) // alloc: process context only (FprintBacktraces)
	s.w.Write(b)
}

// formatBacktraces hands each line of the records' report to out.
func formatBacktraces(recs []Backtrace, out btSink) {
	for i := range recs {
		r := &recs[i]
		var m console.Msg
		m.S("NMI backtrace for CPU ").U(uint64(r.CPU))
		if !r.Answered {
			m.S(": no answer to the NMI\n")
			out.emit(&m)
			continue
		}
		m.S(": interrupts ")
		if r.IRQsOff() {
			m.S("OFF")
		} else {
			m.S("on")
		}
		m.S(", preempt count ").I(int64(r.Preempt)).S(", RCU nesting ").I(int64(r.RCUNest)).S(", thread ").I(int64(r.TID))
		if r.Idle {
			m.S(" (idle)")
		}
		if r.TrapCtx {
			m.S(", in trap context")
		}
		m.S("\n")
		out.emit(&m)
		formatStack(&r.Stack, " RIP ", out)
		if r.OuterValid {
			formatStack(&r.Outer, " interrupted Go code: RIP ", out)
		}
	}
}

func formatStack(s *Stack, head string, out btSink) {
	var m console.Msg
	m.S(head).X(s.RIP).S(" ")
	oops.AppendSym(&m, s.RIP)
	m.S("\n")
	out.emit(&m)
	if s.AtRSP != 0 {
		m = console.Msg{}
		m.S("  ").X(s.AtRSP).S(" ")
		oops.AppendSym(&m, s.AtRSP)
		m.S(" (at RSP)\n")
		out.emit(&m)
	}
	for _, pc := range s.PCs[:s.N] {
		m = console.Msg{}
		m.S("  ").X(pc).S(" ")
		oops.AppendSym(&m, pc)
		m.S("\n")
		out.emit(&m)
	}
}

// BacktraceAll triggers and prints a backtrace of every CPU, with a
// header naming Linux's equivalents. It reports false when another
// request was under way (nothing printed). Any context.
func BacktraceAll() bool {
	var recs [amd64.MaxCPUs]Backtrace
	n, ok := TriggerBacktraces(&recs, 2e9)
	if !ok {
		return false
	}
	var m console.Msg
	m.S("sysrq: backtrace of all CPUs (trigger_all_cpu_backtrace → nmi_cpu_backtrace), from CPU ").U(uint64(amd64.This().ID)).S("\n").Print()
	PrintBacktraces(recs[:n])
	return true
}

// backtraceKey is the console's Ctrl-\ (trap context, the serial
// interrupt or a tick's poll). A flood of the key gets one backtrace a
// second.
func backtraceKey() {
	now := clock.Nanotime()
	if last := btLast.Load(); last != 0 && now-last < 1e9 || !btLast.CompareAndSwap(last, now) {
		return
	}
	BacktraceAll()
}
