// cpu.go: instructions that Go cannot express, one small assembly function each.

package amd64

// Cli clears RFLAGS.IF: maskable interrupts are held off.
func Cli()

// Sti sets RFLAGS.IF.
func Sti()

// Hlt halts until the next interrupt (interrupts must be enabled to wake).
func Hlt()

// StiHlt enables interrupts and halts in one step: STI's one-instruction
// interrupt shadow (SDM Vol. 2B, STI) guarantees that an interrupt that
// became pending after the caller checked for work wakes the HLT instead of
// being taken before it. Interrupts are disabled again on return.
func StiHlt()

// Pause is the spin-wait hint (SDM Vol. 2B, PAUSE); under TCG it also lets
// other vCPU threads run.
func Pause()

// Flags returns RFLAGS.
func Flags() uintptr

// SaveFlagsCli returns RFLAGS and then clears IF.
func SaveFlagsCli() uintptr

// RestoreFlags sets IF back to what flags (from SaveFlagsCli) had.
func RestoreFlags(flags uintptr)

// ReadCR0 returns CR0.
func ReadCR0() uint64

// ReadCR2 returns CR2, the linear address of the last page fault.
func ReadCR2() uint64

// ReadCR3 returns CR3, the physical address of the current PML4.
func ReadCR3() uint64

// WriteCR3 loads a PML4 and flushes all non-global TLB entries.
func WriteCR3(v uint64)

// ReadCR4 returns CR4.
func ReadCR4() uint64

// WriteCR4 loads CR4.
func WriteCR4(v uint64)

// Invlpg drops the TLB entry (and paging-structure cache entries) for the
// linear address va on this CPU (SDM Vol. 3A §4.10.4.1).
func Invlpg(va uintptr)

// Rdtsc returns the time-stamp counter.
func Rdtsc() uint64

// Rdmsr reads a model-specific register.
func Rdmsr(msr uint32) uint64

// Wrmsr writes a model-specific register.
func Wrmsr(msr uint32, v uint64)

// Cpuid executes CPUID with EAX=leaf, ECX=sub.
func Cpuid(leaf, sub uint32) (eax, ebx, ecx, edx uint32)

// Rdrand returns a hardware random number; ok is false if the CPU had none
// ready (CF=0). Callers must check CPUID.1:ECX.RDRAND first.
func Rdrand() (v uint64, ok bool)

// Inb reads a byte from an I/O port.
func Inb(port uint16) uint8

// Outb writes a byte to an I/O port.
func Outb(port uint16, v uint8)

// Inw reads a 16-bit word from an I/O port.
func Inw(port uint16) uint16

// Outw writes a 16-bit word to an I/O port.
func Outw(port uint16, v uint16)

// Outl writes a 32-bit word to an I/O port.
func Outl(port uint16, v uint32)

// lgdt loads GDTR from the 10-byte descriptor at p.
func lgdt(p uintptr)

// lidt loads IDTR from the 10-byte descriptor at p.
func lidt(p uintptr)

// ltr loads the task register with a TSS selector.
func ltr(sel uint16)

// reloadSegments reloads CS (far return) and the data segment registers
// from the GDT just loaded.
func reloadSegments(code, data uint16)

// CrashLoad reads 8 bytes from addr. It exists so that the shell's crash
// command faults in a known assembly instruction, which the oops report then
// disassembles.
func CrashLoad(addr uintptr) uint64

// CrashUD executes UD2, the architecturally undefined instruction.
func CrashUD()
