// percpu.go: the per-CPU area that assembly reaches through GS.

package amd64

import "unsafe"

// MaxCPUs is the most CPUs retract supports.
const MaxCPUs = 8

// IST stack indexes in the TSS (SDM Vol. 3A §8.7, 64-bit TSS).
const (
	istTrap  = 1 // every ordinary exception and interrupt: left at once for the thread's kernel stack
	istDF    = 2 // #DF: must work even when the trap path itself is broken
	istNMI   = 3 // NMI: may arrive while IST1 is still in use
	istMC    = 4 // #MC
	istCount = 4
)

const (
	istSize       = 8 << 10  // bytes per IST stack
	emergencySize = 32 << 10 // the stack fatal reports run on
)

// CPU is one processor's area. GS base points at it for the CPU's whole
// life; the fields up to Nesting are read by the entry assembly (offsets in
// go_asm.h), so they stay first and are plain words. It holds no Go pointers:
// it lives in the kernel image's bss and interrupt code reads it.
type CPU struct {
	Self      uintptr // this struct's own address: GS:0
	KStackTop uintptr // top of the running thread's kernel stack; syscall and trap entry land here
	KStackLo  uintptr // lowest usable address of that stack
	Scratch   uintptr // the interrupted RSP during syscall entry
	KernelG   uintptr // kernel g of the running thread (see kernelg.go)
	EmergTop  uintptr // top of this CPU's emergency stack
	EmergG    uintptr // kernel g describing the emergency stack
	OnEmerg   uint32  // set when a fatal trap moved to the emergency stack
	Nesting   uint32  // trap nesting depth (0 = running Go code)

	// Ring 3 (user.go). While a task runs in user space: UserKSP is the
	// goroutine-stack pointer switchToUser saved, UserRegs the task's
	// register block, KernelFS the thread's own FS base (its Go TLS),
	// which the entry from ring 3 restores before anything reads FS.
	UserKSP  uintptr
	UserRegs uintptr
	KernelFS uintptr
	// The NMI/#DF/#MC ("paranoid") entry (vectors_amd64.s) may interrupt
	// the few instructions where GS or FS already hold user values: it
	// saves the interrupted FS base here, runs on EmergTLS, and records
	// whether it had to swap GS.
	ParanoidFS uintptr
	ParanoidGS uint32
	_          uint32
	EmergTLS   uintptr // FS base for the paranoid entry: FS:-8 is emergTLS[0]

	// RCU and preemption state of the code running on this CPU (package
	// rcu): read-side nesting and the preempt count. The scheduler saves
	// and restores them on every switch (they belong to the thread).
	RCUNest      int32
	PreemptCount int32
	// PinBits has one bit per PreemptDisable level: whether it pinned.
	PinBits uint64

	ID     uint32 // logical CPU number, 0 = the boot CPU
	APICID uint32
	Online uint32

	// Thread is the scheduler's current thread (an address, owned by package sched).
	Thread uintptr

	tss tss
	gdt [gdtEntries]uint64
	ist [istCount][istSize]byte

	emergency [emergencySize]byte
	emergG    KernelG
	emergTLS  [2]uintptr
}

var cpus [MaxCPUs]CPU

// CPUByID returns the area of logical CPU id.
func CPUByID(id int) *CPU { return &cpus[id] }

// This returns the running CPU's area (read from GS:0).
//
//go:nosplit
func This() *CPU { return (*CPU)(ptr(gsSelf())) }

// gsSelf returns GS:0, the address of this CPU's CPU struct.
func gsSelf() uintptr

const msrGSBase = 0xc0000101
const msrFSBase = 0xc0000100

// SetFSBase loads the FS base (the running thread's TLS pointer).
//
//go:nosplit
func SetFSBase(v uintptr) { Wrmsr(msrFSBase, uint64(v)) }

// FSBase returns the FS base.
//
//go:nosplit
func FSBase() uintptr { return uintptr(Rdmsr(msrFSBase)) }

// onEmergencyStack reports whether sp lies on c's emergency stack.
//
//go:nosplit
func (c *CPU) onEmergencyStack(sp uintptr) bool {
	return sp > c.EmergTop-emergencySize && sp <= c.EmergTop
}

// setupPerCPU points GS at c and fills in its self pointer and emergency
// stack; called once per CPU during bring-up.
func setupPerCPU(c *CPU, id int) {
	c.Self = uintptr(unsafe.Pointer(c))
	c.ID = uint32(id)
	lo := uintptr(unsafe.Pointer(&c.emergency[0]))
	c.EmergTop = (lo + emergencySize) &^ 15
	c.emergG.init(lo, c.EmergTop)
	c.EmergG = uintptr(unsafe.Pointer(&c.emergG))
	c.emergTLS[0] = c.EmergG
	c.EmergTLS = uintptr(unsafe.Pointer(&c.emergTLS[1]))
	Wrmsr(msrGSBase, uint64(c.Self))
}
