// ring3.go: the ring3 suite — machine code run in ring 3 through
// amd64.RunUser, before any executable or process exists: the way in and
// out (system calls, faults, exceptions, interrupts), what ring 3 must not
// do, and the state that must survive a trip through the kernel.

package suites

import (
	"runtime"
	"sync/atomic"
	"time"

	"retract/arch/amd64"
	"retract/kernel/ktest"
	"retract/kernel/smp"
	"retract/mm"
	"retract/mm/phys"
)

func init() {
	ktest.Register(ktest.Suite{
		Name: "ring3",
		Doc:  "ring 3 entry and exit: SYSCALL, faults, privileged instructions, the timer preempting user code, FS base and SSE state",
		Cases: []ktest.Case{
			{Name: "syscall_roundtrip", Fn: testRing3Syscall},
			{Name: "page_faults", Fn: testRing3Faults},
			{Name: "privileged_instructions", Fn: testRing3Privileged},
			{Name: "timer_preempts_spin", Fn: testRing3Timer, Timeout: 2 * time.Minute},
			{Name: "fs_base_and_sse", Fn: testRing3State},
			{Name: "bad_return_state", Fn: testRing3BadState},
			{Name: "smep_smap_on", Fn: testSMEPSMAP},
		},
	})
}

const (
	ring3Code  = 0x400000 // where static programs are linked
	ring3Data  = 0x600000
	ring3Stack = 0x7fff0000
)

// ring3Env is an address space with code (read/exec), data (read/write)
// and a stack page, used by one goroutine locked to its thread.
type ring3Env struct {
	t *ktest.T
	m *mm.MM
	r amd64.UserRegs
}

func newRing3(t *ktest.T, code []byte) *ring3Env {
	m, err := mm.New()
	if err != nil {
		t.Fatalf("mm.New: %v", err)
	}
	e := &ring3Env{t: t, m: m}
	runtime.LockOSThread()
	m.Use()
	if _, err := m.Mmap(ring3Code, phys.PageSize, mm.ProtRead|mm.ProtWrite|mm.ProtExec, 0); err != nil {
		t.Fatalf("mmap code: %v", err)
	}
	if _, err := m.Mmap(ring3Data, phys.PageSize, mm.ProtRead|mm.ProtWrite, 0); err != nil {
		t.Fatalf("mmap data: %v", err)
	}
	if _, err := m.Mmap(ring3Stack, phys.PageSize, mm.ProtRead|mm.ProtWrite, 0); err != nil {
		t.Fatalf("mmap stack: %v", err)
	}
	buf := make([]byte, (len(code)+7)&^7)
	copy(buf, code)
	if err := m.CopyOut(ring3Code, buf); err != nil {
		t.Fatalf("writing the code: %v", err)
	}
	if err := m.Mprotect(ring3Code, phys.PageSize, mm.ProtRead|mm.ProtExec); err != nil {
		t.Fatalf("mprotect code: %v", err)
	}
	e.r.Init()
	e.r.RIP = ring3Code
	e.r.RSP = ring3Stack + phys.PageSize - 64
	return e
}

func (e *ring3Env) close() {
	e.m.Unuse()
	e.m.Destroy()
	runtime.UnlockOSThread()
}

// run enters ring 3 and returns the vector that brought the thread back,
// skipping returns caused by interrupts (the thread just continues).
func (e *ring3Env) run() uint64 {
	for i := 0; i < 1000; i++ {
		if !amd64.RunUser(&e.r) {
			e.t.Fatalf("RunUser refused RIP %#x RSP %#x", e.r.RIP, e.r.RSP)
		}
		if e.r.Vector < 32 || e.r.Vector == amd64.VectorSyscall {
			return e.r.Vector
		}
	}
	e.t.Fatalf("1000 interrupts and no trap from the code at %#x", e.r.RIP)
	return 0
}

// testRing3Syscall: getpid-like call, result in RAX, then exit(result).
func testRing3Syscall(t *ktest.T) {
	e := newRing3(t, []byte{
		0xb8, 39, 0, 0, 0, // mov eax, 39
		0x0f, 0x05, //        syscall
		0x89, 0xc7, //        mov edi, eax
		0xb8, 60, 0, 0, 0, // mov eax, 60
		0x0f, 0x05, //        syscall
		0xeb, 0xfe, //        jmp .
	})
	defer e.close()
	if v := e.run(); v != amd64.VectorSyscall || e.r.RAX != 39 {
		t.Fatalf("first trap: vector %#x RAX %d, want a system call with RAX 39", v, e.r.RAX)
	}
	if e.r.RIP != ring3Code+7 || e.r.RCX != e.r.RIP || e.r.R11&amd64.FlagIF == 0 {
		t.Errorf("after SYSCALL: RIP %#x RCX %#x R11 %#x; want RIP = RCX = %#x, IF in R11", e.r.RIP, e.r.RCX, e.r.R11, ring3Code+7)
	}
	if e.r.CS != amd64.UserCS || e.r.SS != amd64.UserDS {
		t.Errorf("frame CS %#x SS %#x, want the user selectors %#x %#x", e.r.CS, e.r.SS, amd64.UserCS, amd64.UserDS)
	}
	e.r.RAX = 1234
	if v := e.run(); v != amd64.VectorSyscall || e.r.RAX != 60 || e.r.RDI != 1234 {
		t.Fatalf("second trap: vector %#x RAX %d RDI %d, want exit (60) with 1234", v, e.r.RAX, e.r.RDI)
	}
}

// testRing3Faults: a nil load, a store to read-only memory, a load from
// the kernel's direct map and a jump to a non-executable page are page
// faults with the right CR2 and error code, returned to the goroutine.
func testRing3Faults(t *ktest.T) {
	cases := []struct {
		name string
		code []byte
		cr2  uint64
		err  uint64 // error code bits: P=1, W=2, U=4, I=16
	}{
		{"nil_load", []byte{0x48, 0x8b, 0x04, 0x25, 0, 0, 0, 0}, 0, 4},                         // mov rax, [0]
		{"store_to_text", []byte{0x48, 0x89, 0x04, 0x25, 0, 0, 0x40, 0}, ring3Code, 1 | 2 | 4}, // mov [0x400000], rax
		{"kernel_load", []byte{0x48, 0xa1, 0, 0, 0x10, 0, 0x80, 0x88, 0xff, 0xff}, 0xffff888000100000, 1 | 4},
		{"exec_data", []byte{0xff, 0xe0}, ring3Data, 1 | 4 | 16}, // jmp rax (rax = data page)
	}
	for _, c := range cases {
		e := newRing3(t, c.code)
		e.r.RAX = ring3Data
		if err := e.m.Touch(ring3Data, true); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if err := e.m.Touch(ring3Code, false); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		v := e.run()
		if v != 14 || e.r.CR2 != c.cr2 || e.r.Err&0x17 != c.err {
			t.Errorf("%s: vector %d CR2 %#x error %#x; want #PF at %#x with error %#x", c.name, v, e.r.CR2, e.r.Err, c.cr2, c.err)
		}
		e.close()
	}
}

// testRing3Privileged: what only ring 0 may do traps, with the vector
// Linux turns into the signal a program sees.
func testRing3Privileged(t *ktest.T) {
	cases := []struct {
		name   string
		code   []byte
		vector uint64
	}{
		{"hlt", []byte{0xf4}, 13},                                       // #GP -> SIGSEGV
		{"cli", []byte{0xfa}, 13},                                       // #GP
		{"wrmsr", []byte{0x0f, 0x30}, 13},                               // #GP
		{"in", []byte{0xe4, 0x60}, 13},                                  // #GP: IOPL 0, no I/O bitmap
		{"mov_cr3", []byte{0x0f, 0x22, 0xd8}, 13},                       // #GP
		{"int_0x80", []byte{0xcd, 0x80}, 13},                            // #GP: gate DPL 0
		{"int3", []byte{0xcc}, 3},                                       // #BP -> SIGTRAP
		{"ud2", []byte{0x0f, 0x0b}, 6},                                  // #UD -> SIGILL
		{"div0", []byte{0x31, 0xc9, 0xf7, 0xf1}, 0},                     // xor ecx,ecx; div ecx -> #DE -> SIGFPE
		{"far_jump_32bit", []byte{0xff, 0x2c, 0x25, 0, 0, 0x60, 0}, 11}, // jmp far [data]: selector 0x1b not present -> #NP
	}
	for _, c := range cases {
		e := newRing3(t, c.code)
		if c.name == "far_jump_32bit" {
			// m16:32 at the data page: offset 0, selector 0x1b.
			if err := e.m.Store64(ring3Data, 0x1b<<32); err != nil {
				t.Fatalf("%v", err)
			}
		}
		if v := e.run(); v != c.vector {
			t.Errorf("%s: vector %d at RIP %#x, want %d", c.name, v, e.r.RIP, c.vector)
		}
		e.close()
	}
}

// testRing3Timer: a ring-3 busy loop is interrupted by the timer, and
// each interrupt resumes ring 3 straight from its handler (the thread's
// goroutine sees none of them) until someone asks for the goroutine
// (RequestReturn, as a signal does); then the next interrupt brings the
// thread back, stopped inside its loop. The asking goroutine runs while
// the loop spins — on one CPU too, so the timer preempts ring 3.
func testRing3Timer(t *ktest.T) {
	e := newRing3(t, []byte{
		0x48, 0xff, 0xc0, // inc rax
		0xeb, 0xfb, //       jmp back to the inc
	})
	defer e.close()
	timerBefore := amd64.UserEntries[amd64.VectorTimer]
	resumes := func() (n uint64) {
		for i := range amd64.UserResumes {
			n += amd64.UserResumes[i]
		}
		return n
	}
	resumesBefore := resumes()
	// At least 3 rounds, and more (up to 200: 10 s) until a timer tick
	// has landed in the loop and resumed it: with 4 vCPUs on a busy
	// 2-core host, QEMU may give a vCPU no tick for a few hundred ms.
	rounds := 0
	for round := 0; round < 200; round++ {
		if round >= 3 && amd64.UserEntries[amd64.VectorTimer] != timerBefore && resumes() != resumesBefore {
			break
		}
		rounds++
		e.r.ClearReturn()
		e.r.RAX = 0
		var requested atomic.Bool
		done := make(chan struct{})
		go func() {
			time.Sleep(50 * time.Millisecond)
			requested.Store(true)
			e.r.RequestReturn()
			if c := e.r.RanOn(); c >= 0 {
				smp.Kick(c) // another CPU: an IPI; this one: the next tick
			}
			close(done)
		}()
		if !amd64.RunUser(&e.r) {
			t.Fatalf("RunUser refused")
		}
		if !requested.Load() {
			t.Errorf("round %d: the thread came back (vector %#x at %#x) before anyone asked for it", round, e.r.Vector, e.r.RIP)
		}
		<-done
		if e.r.Vector < 32 || e.r.Vector == amd64.VectorSyscall {
			t.Fatalf("the loop trapped with vector %d at %#x", e.r.Vector, e.r.RIP)
		}
		if e.r.RIP != ring3Code && e.r.RIP != ring3Code+3 {
			t.Fatalf("interrupted at %#x, want the loop at %#x", e.r.RIP, ring3Code)
		}
		if e.r.RAX == 0 {
			t.Errorf("round %d: the loop never ran (RAX 0)", round)
		}
	}
	t.Logf("%d rounds: %d timer interrupts in ring 3, %d interrupts resumed ring 3 from the handler",
		rounds, amd64.UserEntries[amd64.VectorTimer]-timerBefore, resumes()-resumesBefore)
	if amd64.UserEntries[amd64.VectorTimer] == timerBefore {
		t.Errorf("%d rounds of 50 ms of a ring-3 loop, and no timer interrupt from ring 3", rounds)
	}
	if resumes() == resumesBefore {
		t.Errorf("no interrupt resumed ring 3 straight from its handler")
	}
}

// testRing3State: the FS base the thread set is the one its code sees,
// and XMM registers and MXCSR survive system calls and the kernel's own
// SSE use in between.
func testRing3State(t *ktest.T) {
	e := newRing3(t, []byte{
		0x64, 0x48, 0x8b, 0x04, 0x25, 0, 0, 0, 0, // mov rax, fs:[0]
		0x66, 0x48, 0x0f, 0x6e, 0xc0, //             movq xmm0, rax
		0x0f, 0xae, 0x1c, 0x25, 0x08, 0, 0x60, 0, // stmxcsr [0x600008]
		0x0f, 0x05, //                               syscall
		0x66, 0x48, 0x0f, 0x7e, 0xc0, //             movq rax, xmm0
		0x0f, 0xae, 0x1c, 0x25, 0x10, 0, 0x60, 0, // stmxcsr [0x600010]
		0x0f, 0x05, //                               syscall
	})
	defer e.close()
	const magic = 0x1122334455667788
	if err := e.m.Store64(ring3Data, magic); err != nil {
		t.Fatalf("%v", err)
	}
	e.r.FSBase = ring3Data
	e.r.FX()[24] = 0x80 // MXCSR 0x7f80: all exceptions masked, rounding toward zero
	e.r.FX()[25] = 0x7f
	if v := e.run(); v != amd64.VectorSyscall || e.r.RAX != magic {
		t.Fatalf("fs:[0] read %#x (vector %#x), want %#x", e.r.RAX, v, uint64(magic))
	}
	e.r.RAX = 0
	// Kernel SSE use in between: Go code touches X0..X15 freely.
	s := make([]float64, 64)
	for i := range s {
		s[i] = float64(i) * 1.5
	}
	runtime.Gosched()
	if v := e.run(); v != amd64.VectorSyscall || e.r.RAX != magic {
		t.Errorf("xmm0 came back as %#x (vector %#x), want %#x", e.r.RAX, v, uint64(magic))
	}
	m1, _ := e.m.Load64(ring3Data + 8)
	m2, _ := e.m.Load64(ring3Data + 16)
	if uint32(m1) != 0x7f80 || uint32(m2) != 0x7f80 {
		t.Errorf("MXCSR in ring 3: %#x before and %#x after a system call, want 0x7f80 both times", uint32(m1), uint32(m2))
	}
}

// testRing3BadState: register states ring 3 must not be given are
// refused (RIP or RSP in the kernel half, a kernel FS base) or cleaned
// (IOPL, a kernel code selector) — never a fault in the kernel's IRETQ.
func testRing3BadState(t *ktest.T) {
	e := newRing3(t, []byte{0xfa, 0xf4}) // cli; hlt
	defer e.close()
	for _, bad := range []func(r *amd64.UserRegs){
		func(r *amd64.UserRegs) { r.RIP = 0xffffffff80201000 },
		func(r *amd64.UserRegs) { r.RIP = 0x0000800000000000 },
		func(r *amd64.UserRegs) { r.RSP = 0xffff888000000000 },
		func(r *amd64.UserRegs) { r.FSBase = 0xffff888000000000 },
	} {
		saved := e.r
		bad(&e.r)
		if amd64.RunUser(&e.r) {
			t.Errorf("RunUser entered ring 3 with RIP %#x RSP %#x FS %#x", e.r.RIP, e.r.RSP, e.r.FSBase)
		}
		e.r.TrapFrame, e.r.FSBase = saved.TrapFrame, saved.FSBase
	}
	e.r.RFLAGS |= 3 << 12 // IOPL 3 would let CLI work
	e.r.CS = amd64.KernelCS
	if v := e.run(); v != 13 || e.r.RIP != ring3Code {
		t.Errorf("CLI with IOPL 3 requested: vector %d at %#x, want #GP at the CLI", v, e.r.RIP)
	}
	if e.r.CS != amd64.UserCS || e.r.RFLAGS&(3<<12) != 0 {
		t.Errorf("ran with CS %#x RFLAGS %#x: the kernel selector or IOPL got through", e.r.CS, e.r.RFLAGS)
	}
}

// cr4Seen collects each CPU's CR4 (a global: its address crosses CPUs).
var cr4Seen [amd64.MaxCPUs]uint64

func readCR4On(a, b uintptr) { cr4Seen[amd64.This().ID] = amd64.ReadCR4() }

// testSMEPSMAP: when the CPU has SMEP and SMAP (QEMU's -cpu max does),
// every CPU runs with both on, so the kernel cannot execute user pages
// and touches user memory only between STAC and CLAC (the accessors that
// the other cases use).
func testSMEPSMAP(t *ktest.T) {
	if !amd64.SMEP && !amd64.SMAP {
		t.Skipf("the CPU has neither SMEP nor SMAP")
	}
	for id := 0; id < smp.Count(); id++ {
		smp.CallOn(id, readCR4On, 0, 0)
		cr4 := cr4Seen[id]
		if amd64.SMEP && cr4&(1<<20) == 0 || amd64.SMAP && cr4&(1<<21) == 0 {
			t.Errorf("CPU %d: CR4 %#x lacks SMEP (bit 20) or SMAP (bit 21); the CPU has SMEP %v SMAP %v", id, cr4, amd64.SMEP, amd64.SMAP)
		}
	}
	t.Logf("SMEP %v, SMAP %v on %d CPUs", amd64.SMEP, amd64.SMAP, smp.Count())
}
